"""One POST to a webhook URL, safely: the host is resolved once and every address it resolves
to is checked (unless private addresses are allowed), the connection goes to that checked
address (a second lookup can't point it elsewhere: DNS rebinding), redirects are never followed
(http.client doesn't), and the connect and read timeouts are short."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

EXCERPT = 500


class UnsafeAddress(ValueError):
    """The URL's host is, or resolves to, an address a webhook may not reach."""


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    response_ms: int
    body_excerpt: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def blocked(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified: anything not global."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_multicast or not ip.is_global


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to: the first one ``host`` resolves to; every one is checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeAddress(f"the host {host} could not be resolved") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise UnsafeAddress(f"the host {host} could not be resolved")
    if not allow_private:
        for address in addresses:
            if blocked(address):
                raise UnsafeAddress(f"{host} resolves to {address}, a private or reserved address")
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(host, port, timeout=read_timeout)
        self._address, self._connect_timeout, self._read_timeout = address, connect_timeout, read_timeout

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), timeout=self._connect_timeout)
        sock.settimeout(self._read_timeout)
        return sock

    def connect(self) -> None:
        self.sock = self._open()


class _PinnedHTTPS(_PinnedHTTP):
    default_port = 443

    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._open(), server_hostname=self.host)  # the name is verified


def post(
    url: str,
    body: str,
    headers: dict[str, str],
    *,
    allow_private: bool,
    connect_timeout: float,
    read_timeout: float,
) -> Outcome:
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    host = parts.hostname or ""
    try:
        address = resolve(host, port, allow_private=allow_private)
    except UnsafeAddress as exc:
        return Outcome(None, took(), None, str(exc))
    kind = _PinnedHTTPS if https else _PinnedHTTP
    connection = kind(host, port, address=address, connect_timeout=connect_timeout, read_timeout=read_timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT * 4).decode("utf-8", "replace")[:EXCERPT]
        status = response.status
    except TimeoutError:
        return Outcome(None, took(), None, "timed out")
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, took(), None, f"{type(exc).__name__}: {exc}"[:500])
    finally:
        connection.close()
    error = None
    if 300 <= status < 400:
        error = f"redirect to {response.getheader('Location', '?')} not followed"[:500]
    elif not 200 <= status < 300:
        error = f"HTTP {status}"
    return Outcome(status, took(), excerpt, error)
