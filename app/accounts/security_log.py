"""Security events in the audit log: sign-ins, sign-outs, password and email changes, resets.

Written by the routes in the same transaction as the change, with the request's address and
browser handed in as plain values (``app/web/security_log.py`` reads them from the request);
the admin audit log lists them under the subject "account". The audit log is its own package
below accounts (app/audit), so writing to it leans on no package above.
"""

from __future__ import annotations

from app.audit import service as audit

SUBJECT = "account"
USER_AGENT_MAX = 200


def record_security_event(
    action: str,
    *,
    user_id: int | None,
    ip: str | None,
    user_agent: str | None,
    email: str | None = None,
    **data: object,
) -> None:
    """Audit ``action`` ("account.signed_in", ...) for ``user_id`` with the IP address and browser it came from."""
    details: dict[str, object] = {
        "ip": ip,
        "user_agent": (user_agent or "")[:USER_AGENT_MAX],
        **data,
    }
    if email:
        details["email"] = email
    audit.record(action, actor_id=user_id, about=(SUBJECT, user_id), **details)
