"""The retention job: unconfirmed accounts, old sessions, IPs and browsers in old log entries,
expired exports; each after its configured number of days, nothing younger."""

from __future__ import annotations

from sqlalchemy import select, update

from app.accounts.models import User, UserSession
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.booking.models import Order
from app.platform.extensions import db
from app.platform.jobs import queue
from app.privacy.retention import apply_retention, retention_job
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.privacy.conftest import count, days_ago, fresh, run_job_now


def test_the_retention_job_is_a_daily_periodic_task(app):
    # create_app() registered every domain's schedule (app/privacy/wiring.py).
    ids = {periodic_id for (_task, periodic_id) in queue.periodic_registry.periodic_tasks}
    assert {"privacy-retention", "erase-due-accounts"} <= ids


def test_accounts_never_confirmed_are_removed_after_thirty_days(ctx, app, make_user):
    old = make_user(email_verified_at=None, name="Olde Unconfirmed")
    young = make_user(email_verified_at=None)
    confirmed = make_user()
    db.session.execute(update(User).where(User.id.in_([old.id, confirmed.id])).values(created_at=days_ago(31)))
    db.session.execute(update(User).where(User.id == young.id).values(created_at=days_ago(29)))
    db.session.commit()
    assert app.config["RETENTION_UNVERIFIED_DAYS"] == 30

    run_job_now(retention_job)

    db.session.expire_all()
    assert db.session.get(User, old.id) is None
    assert db.session.get(User, young.id) is not None and db.session.get(User, confirmed.id) is not None


def test_an_unconfirmed_account_with_an_order_is_anonymised_not_deleted(ctx, make_user, provider):
    _, service = make_bookable_venue(provider)
    person = make_user(name="Ordering Unconfirmed", phone="0123 456789")
    order = book(person, service, future_slot(days=2)).order
    # (Booking needs a confirmed address today; older accounts could order without one.)
    db.session.execute(update(User).where(User.id == person.id).values(created_at=days_ago(40), email_verified_at=None))
    db.session.commit()

    assert apply_retention().unverified_accounts == 1

    erased = fresh(User, person.id)
    assert erased.name == f"Deleted user {person.id}" and erased.phone is None and not erased.is_active_account
    assert db.session.get(Order, order.id).total_minor == order.total_minor


def test_sessions_ended_or_unused_for_ninety_days_are_removed(ctx, app, customer):
    def session(key: str, **values) -> int:
        row = UserSession(user_id=customer.id, key_hash=key * 64, ip="203.0.113.9", user_agent="Firefox", **values)
        db.session.add(row)
        db.session.flush()
        return row.id

    ended_long_ago = session("a", ended_at=days_ago(91), last_seen_at=days_ago(91))
    idle_long = session("b", last_seen_at=days_ago(95))
    ended_recently = session("c", ended_at=days_ago(10), last_seen_at=days_ago(10))
    live = session("d")
    db.session.commit()
    assert app.config["RETENTION_SESSION_DAYS"] == 90

    assert apply_retention().sessions == 2

    left = set(db.session.scalars(select(UserSession.id)))
    assert {ended_recently, live} <= left and not {ended_long_ago, idle_long} & left


def test_ips_and_browsers_in_log_entries_older_than_ninety_days_are_removed(ctx, app, customer):
    old = audit.record("account.signed_in", actor_id=customer.id, about=("account", customer.id),
                       ip="198.51.100.7", user_agent="Safari", remember=True)  # fmt: skip
    recent = audit.record("account.signed_in", actor_id=customer.id, about=("account", customer.id),
                          ip="198.51.100.8", user_agent="Edge")  # fmt: skip
    db.session.flush()
    db.session.execute(update(AuditEntry).where(AuditEntry.id == old.id).values(created_at=days_ago(91)))
    db.session.commit()
    assert app.config["RETENTION_LOG_IP_DAYS"] == 90

    assert apply_retention().audit_entries == 1

    assert fresh(AuditEntry, old.id).data == {"remember": True}  # the entry stays, without them
    assert fresh(AuditEntry, recent.id).data == {"ip": "198.51.100.8", "user_agent": "Edge"}


def test_nothing_is_removed_when_nothing_is_old(ctx, customer):
    report = apply_retention()
    assert (report.unverified_accounts, report.sessions, report.audit_entries, report.exports) == (0, 0, 0, 0)
    assert count(User) >= 1
