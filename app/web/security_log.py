"""Security events from a page: the audit log's record (``app.accounts.security_log``) with the
request's IP address and browser."""

from __future__ import annotations

from flask import request

from app.accounts import security_log


def record_security_event(action: str, *, user_id: int | None, email: str | None = None, **data: object) -> None:
    """Audit ``action`` ("account.signed_in", ...) for ``user_id`` with the request's IP and browser."""
    security_log.record_security_event(
        action,
        user_id=user_id,
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
        email=email,
        **data,
    )
