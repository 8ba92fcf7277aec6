"""The retention job: what we stop keeping after a while (periods in config.py, docs/privacy.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, or_, select, text

from app.accounts.models import Role, User, UserSession
from app.booking.models import Booking, Order
from app.platform.extensions import db
from app.platform.jobs import job
from app.privacy import deletion, exports
from app.venues.models import Venue


@dataclass
class RetentionReport:
    unverified_accounts: int = 0
    sessions: int = 0
    audit_entries: int = 0
    exports: int = 0


def _days(key: str) -> timedelta:
    return timedelta(days=current_app.config[key])


def apply_retention(*, now: datetime | None = None) -> RetentionReport:
    now = now or datetime.now(UTC)
    return RetentionReport(
        unverified_accounts=remove_unverified_accounts(now - _days("RETENTION_UNVERIFIED_DAYS"), now=now),
        sessions=remove_old_sessions(now - _days("RETENTION_SESSION_DAYS")),
        audit_entries=strip_old_audit_addresses(now - _days("RETENTION_LOG_IP_DAYS")),
        exports=exports.delete_expired_exports(now=now),
    )


def remove_unverified_accounts(cutoff: datetime, *, now: datetime) -> int:
    """Accounts never confirmed since before ``cutoff``: deleted outright, or erased under a
    pseudonym when an order or a booking points at them."""
    users = list(
        db.session.scalars(
            select(User)
            .where(User.email_verified_at.is_(None), User.created_at < cutoff, User.role != Role.ADMIN)
            .order_by(User.id)
            .with_for_update(skip_locked=True)
        )
    )
    for user in users:
        venue_booked = exists().where(Booking.venue_id == Venue.id, Venue.owner_id == user.id)
        referenced = db.session.scalar(
            select(
                exists().where(Order.customer_id == user.id)
                | exists().where(Booking.customer_id == user.id)
                | venue_booked
            )
        )
        deletion.close_venue_of(user, now=now)
        deletion.erase_account(user, now=now)
        if not referenced:
            db.session.flush()
            db.session.delete(user)
    db.session.flush()
    return len(users)


def remove_old_sessions(cutoff: datetime) -> int:
    """Sessions that ended, or were last used, before ``cutoff`` (their IP and browser go with them)."""
    result = db.session.execute(
        delete(UserSession).where(or_(UserSession.ended_at < cutoff, UserSession.last_seen_at < cutoff))
    )
    return result.rowcount


def strip_old_audit_addresses(cutoff: datetime) -> int:
    """IP addresses and browser strings in audit entries older than ``cutoff``."""
    result = db.session.execute(
        text(
            "UPDATE audit_log SET data = data - 'ip' - 'user_agent'"
            " WHERE created_at < :cutoff AND (data ? 'ip' OR data ? 'user_agent')"
        ),
        {"cutoff": cutoff},
    )
    return result.rowcount


@job(name="privacy.retention")
def retention_job(timestamp: int | None = None) -> None:
    apply_retention()
    db.session.commit()
