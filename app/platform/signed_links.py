"""Reading a signed, timed token (``itsdangerous``) from a link: its payload, or the caller's
own refusal for a link that has expired or was never signed by us (tampered, cut short)."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


def read_signed(
    serializer: URLSafeTimedSerializer, token: str, *, max_age: int, expired: Exception, invalid: Exception
) -> Any:
    """The payload ``serializer`` signed into ``token`` at most ``max_age`` seconds ago; else
    ``expired`` (older) or ``invalid`` (not signed by ``serializer``) is raised."""
    try:
        return serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise expired from None
    except BadSignature:
        raise invalid from None
