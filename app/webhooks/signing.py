"""The signature of a delivery: ``CozyWish-Signature: t=<unix seconds>,v1=<hex>``, where the hex
is HMAC-SHA256, keyed with the endpoint's secret, of ``"<t>.<body>"`` (the exact bytes sent).
While a rolled secret's grace period lasts the header carries one ``v1`` per secret, the new
one first: ``t=<t>,v1=<new>,v1=<old>``. A receiver recomputes it with the secret it holds,
accepts the delivery if any ``v1`` matches (compared in constant time), and refuses an old ``t``
(docs/webhooks.md)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "CozyWish-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(24)


def signature(secret: str, timestamp: int, body: str) -> str:
    message = f"{timestamp}.{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header_value(secret: str, timestamp: int, body: str, *, also: tuple[str, ...] = ()) -> str:
    """The header: one ``v1`` for ``secret``, then one for each secret in ``also`` (a rolled one)."""
    signatures = ",".join(f"v1={signature(key, timestamp, body)}" for key in (secret, *also))
    return f"t={timestamp},{signatures}"


def verify(secret: str, header: str, body: str, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: True if a ``v1`` of ``header`` signs ``body`` with ``secret`` within
    ``tolerance`` s."""
    pairs = [part.strip().split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in pairs if key == "t"]
    candidates = [value for key, value in pairs if key == "v1"]
    if len(stamps) != 1 or not candidates:
        return False
    try:
        timestamp = int(stamps[0])
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    matched = False
    for candidate in candidates:  # every one compared, so the time taken says nothing
        matched |= hmac.compare_digest(expected, candidate)
    return matched
