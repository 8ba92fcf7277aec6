"""A light race client: each customer's checkout POST as bytes prepared in advance, sent at once.

A thread per customer with ``requests`` costs the client 1-2 ms of CPU a request (building the
request, cookies, urllib3, 100 threads queueing for the GIL), on the same two cores as the
server: with 100 customers that is a large share of what the race measured (the bare hello
app's p99 was 160-190 ms). Here one event loop opens every connection and writes every prepared
request in one go, then reads the answers, so what is timed is the server. The customers'
sessions still come from ``requests`` (signing in is not timed), and each answer's
``Set-Cookie`` goes back into that session, so the loser's next page shows the flash.

Timing is per request, from just before its connection is opened to the end of its answer.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import requests


@dataclass
class Answer:
    status: int
    seconds: float
    location: str
    error: str = ""


def prepared_post(base: str, path: str, session: requests.Session, form: dict[str, str]) -> bytes:
    """The bytes of one POST as the customer's browser would send it (its cookies, a form)."""
    host = urlsplit(base).netloc
    body = urlencode(form).encode()
    cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        f"Cookie: {cookies}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


async def _one(host: str, port: int, payload: bytes, start: asyncio.Event) -> tuple[Answer, list[str]]:
    await start.wait()
    began = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(payload)
        await writer.drain()
        raw = await reader.read()  # the server closes the connection after its answer
        writer.close()
    except OSError as exc:
        return Answer(0, time.perf_counter() - began, "", repr(exc)), []
    seconds = time.perf_counter() - began
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    try:
        status = int(head[0].split()[1])
    except (IndexError, ValueError):
        return Answer(0, seconds, "", f"no status line: {raw[:80]!r}"), []
    location, set_cookies = "", []
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "location":
            location = value.strip()
        elif name.lower() == "set-cookie":
            set_cookies.append(value.strip())
    return Answer(status, seconds, location), set_cookies


async def _race(base: str, payloads: list[bytes]) -> list[tuple[Answer, list[str]]]:
    parts = urlsplit(base)
    start = asyncio.Event()
    tasks = [asyncio.create_task(_one(parts.hostname, parts.port, p, start)) for p in payloads]
    await asyncio.sleep(0)  # every task is waiting on the event
    start.set()
    return await asyncio.gather(*tasks)


def race_posts(base: str, path: str, clients: list[tuple[requests.Session, str]]) -> list[Answer]:
    """Every client POSTs ``path`` with its CSRF token at once; cookies set go back to the client."""
    payloads = [prepared_post(base, path, session, {"csrf_token": token}) for session, token in clients]
    results = asyncio.run(_race(base, payloads))
    answers = []
    for (session, _token), (answer, set_cookies) in zip(clients, results, strict=True):
        for header in set_cookies:
            for morsel in SimpleCookie(header).values():
                known = [c for c in session.cookies if c.name == morsel.key]
                domain = known[0].domain if known else urlsplit(base).hostname
                session.cookies.set(morsel.key, morsel.value, domain=domain, path=morsel["path"] or "/")
        answers.append(answer)
    return answers
