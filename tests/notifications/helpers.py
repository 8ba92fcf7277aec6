"""Builders for notification tests."""

from __future__ import annotations

from sqlalchemy import select, text

from app.notifications.models import BookingReminder, SmsMessage
from app.platform.extensions import db


def reminders_of(booking) -> list[BookingReminder]:
    return list(
        db.session.scalars(
            select(BookingReminder)
            .where(BookingReminder.booking_id == booking.id)
            .order_by(BookingReminder.starts_at, BookingReminder.offset_minutes.desc(), BookingReminder.channel)
        )
    )


def planned(booking) -> set[tuple[int, str]]:
    return {(r.offset_minutes, r.channel) for r in reminders_of(booking) if r.status == "planned"}


def sms_to(number: str) -> list[SmsMessage]:
    return list(db.session.scalars(select(SmsMessage).where(SmsMessage.to_number == number).order_by(SmsMessage.id)))


def job_row(job_id: int):
    return db.session.execute(
        text("SELECT status::text AS status, scheduled_at, args FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
    ).first()


def make_due(job_id: int) -> None:
    """Move a queued job's time to now, so run_jobs() picks it up."""
    db.session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = :id"), {"id": job_id})
