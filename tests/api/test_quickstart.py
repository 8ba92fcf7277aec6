"""docs/api.md's quick start, run line by line against the app: each ``curl`` is replayed
through the test client, each ``| jq -r '<path>'`` read from the answer, each ``NAME=`` kept
for the lines after it. Paying is the one step a person does in a browser (the Demo gateway's
"Pay" button): the test does what that button does when it reaches that line."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

from app.booking.models import Order
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
BLOCK = re.compile(r"<!-- quickstart -->\s*```sh\n(.*?)```", re.S)
ASSIGN = re.compile(r"^([A-Z_]+)=(.*)$")
SUBSHELL = re.compile(r"^\$\((.*)\)$")
STEP = re.compile(r"\.(\w+)|\[(\d+)\]")


def jq(document, path: str):
    for name, index in STEP.findall(path):
        document = document[int(index)] if index else document[name]
    return document


def expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$([A-Z_]+)", lambda m: variables[m.group(1)], text)


def run_curl(client, command: str, variables: dict[str, str]):
    pipe = None
    if "| jq -r " in command:
        command, pipe = command.split("| jq -r ", 1)
        pipe = shlex.split(pipe)[0]
    words = shlex.split(expand(command, variables))
    assert words[0] == "curl"
    method, headers, body, url = "GET", {}, None, None
    rest = iter(words[1:])
    for word in rest:
        if word == "-s":
            continue
        if word == "-X":
            method = next(rest)
        elif word == "-H":
            name, _sep, value = next(rest).partition(": ")
            headers[name] = value
        elif word == "-d":
            body = next(rest)
        else:
            url = word
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    response = client.open(path, method=method, headers=headers, data=body)
    assert response.status_code < 400, (command, response.status_code, response.get_data(as_text=True))
    data = response.get_json()
    return str(jq(data, pipe)) if pipe else data


def test_the_quick_start_runs(client, customer, make_token, listed):
    script = BLOCK.search(DOC.read_text()).group(1)
    variables: dict[str, str] = {}
    outputs: list[object] = []
    for line in script.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        assigned = ASSIGN.match(line)
        if assigned:
            name, value = assigned.groups()
            inner = SUBSHELL.match(value)
            if inner:
                variables[name] = run_curl(client, inner.group(1), variables)
            elif name == "TOKEN":
                variables[name] = make_token(customer, "read", "write")  # made on the account page
            else:
                variables[name] = value
            continue
        outputs.append(run_curl(client, line, variables))
        if line.startswith('curl -s -X POST "$BASE/me/orders/$ORDER/payments"'):
            assert "/payments/demo/" in outputs[-1]
            assert pay_by_demo_card(db.session.get(Order, int(variables["ORDER"]))) == "paid: bookings confirmed"
            db.session.commit()
    venue, service = listed
    assert variables["SLUG"] == venue.slug and variables["SERVICE"] == str(service.id)
    assert outputs[-2:] == ["paid", "confirmed"]
