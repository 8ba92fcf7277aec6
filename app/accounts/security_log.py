"""Security events in the audit log: sign-ins, sign-outs, password and email changes, resets.

Written by the routes (they know the request's address and browser) in the same
transaction as the change; the admin audit log lists them under the subject "account".
"""

from __future__ import annotations

from flask import request

from app.admin import audit

SUBJECT = "account"


def record_security_event(action: str, *, user_id: int | None, email: str | None = None, **data: object) -> None:
    """Audit ``action`` ("account.signed_in", ...) for ``user_id`` with the request's IP and browser."""
    details: dict[str, object] = {
        "ip": request.remote_addr,
        "user_agent": (request.user_agent.string or "")[:200],
        **data,
    }
    if email:
        details["email"] = email
    audit.record(action, actor_id=user_id, subject_type=SUBJECT, subject_id=user_id, **details)
