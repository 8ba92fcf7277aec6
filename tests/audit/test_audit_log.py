"""The audit log (app/audit/service.py): an entry is written in the caller's transaction, keeps
the role its actor held on a provider page, and is found newest first by subject and action."""

from __future__ import annotations

from sqlalchemy import select

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.platform.extensions import db


def test_an_entry_is_written_in_the_callers_transaction(ctx, admin):
    entry = audit.record("user.suspended", actor_id=admin.id, about=("user", 7), reason="Spam")
    db.session.flush()
    assert db.session.get(AuditEntry, entry.id).reason == "Spam"

    db.session.rollback()  # the change it records is undone: so is the entry
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.suspended")).all() == []


def test_an_entry_keeps_the_role_its_actor_acted_as_and_only_then(ctx, admin):
    with audit.acting_as("receptionist"):
        as_staff = audit.record("booking.check_in", actor_id=admin.id, about=("booking", 1))
        by_the_system = audit.record("booking.check_in", actor_id=None, about=("booking", 2))
    afterwards = audit.record("booking.check_in", actor_id=admin.id, about=("booking", 3))
    assert as_staff.data == {"actor_role": "receptionist"}
    assert by_the_system.data == {}
    assert afterwards.data == {}


def test_entries_are_found_newest_first_by_subject_and_action(ctx, admin):
    first = audit.record("order.paid", actor_id=None, about=("order", 1))
    second = audit.record("order.refunded", actor_id=admin.id, about=("order", 1))
    other = audit.record("order.paid", actor_id=None, about=("order", 2))
    db.session.flush()
    assert audit.find_entries(subject_type="order", subject_id=1) == [second, first]
    assert audit.find_entries(subject_type="order", action="order.paid") == [other, first]
    assert audit.find_entries(subject_type="order", limit=1) == [other]
