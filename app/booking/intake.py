"""Intake answers: what the customer answered to a service's questions when booking it.

Answers are checked when the service is added to the cart (``clean_answers``: every required
question answered, a yes/no or a choice one of its options), kept on the cart item, and copied to
each booking at checkout (``copy_answers``) with the question's words as asked then, so a later
edit of the venue's questions never changes what a past booking says. ``answers_for_bookings``
reads them back for the provider's booking view and the client card.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.booking.errors import CartItemInvalid
from app.booking.models import Booking, BookingIntakeAnswer
from app.platform.extensions import db
from app.venues.models import QuestionKind, Service, ServiceQuestion

ANSWER_MAX_LENGTH = 500
YES, NO = "yes", "no"


def field_name(question: ServiceQuestion) -> str:
    """The form field of a question's answer on the booking page."""
    return f"intake_{question.id}"


def yes_no_label(value: str) -> str:
    return _("Yes") if value == YES else _("No")


def clean_answers(service: Service, raw: Mapping[str, str] | None) -> list[dict[str, str]]:
    """The answers to ``service``'s questions from the booking form's fields, or CartItemInvalid
    naming the first question that is unanswered (when required) or answered wrongly."""
    raw = raw or {}
    answers: list[dict[str, str]] = []
    for question in service.questions:
        value = (raw.get(field_name(question)) or "").strip()
        if not value:
            if question.required:
                raise CartItemInvalid(_("Please answer “%(question)s”.", question=question.text), field="answers")
            continue
        if question.kind == QuestionKind.TEXT:
            if "\x00" in value or len(value) > ANSWER_MAX_LENGTH:
                raise CartItemInvalid(
                    _(
                        "Keep your answer to “%(question)s” under %(max_length)s characters.",
                        question=question.text,
                        max_length=ANSWER_MAX_LENGTH,
                    ),
                    field="answers",
                )
            shown = value
        elif question.kind == QuestionKind.YES_NO:
            if value not in (YES, NO):
                raise CartItemInvalid(
                    _("Answer “%(question)s” with yes or no.", question=question.text), field="answers"
                )
            shown = yes_no_label(value)
        else:
            if value not in question.options:
                raise CartItemInvalid(
                    _("Choose one of the answers to “%(question)s”.", question=question.text), field="answers"
                )
            shown = value
        answers.append({"question": question.text, "answer": shown})
    return answers


def copy_answers(bookings: Iterable[Booking], answers: list[dict[str, Any]] | None) -> None:
    """Store a cart item's answers on each booking it became."""
    for booking in bookings:
        for position, entry in enumerate(answers or [], start=1):
            db.session.add(
                BookingIntakeAnswer(
                    booking_id=booking.id,
                    position=position,
                    question=str(entry["question"])[:200],
                    answer=str(entry["answer"]),
                )
            )


def answers_for_bookings(booking_ids: Iterable[int]) -> dict[int, list[dict[str, str]]]:
    """Each booking's answers in the order asked: {booking_id: [{"question", "answer"}]}."""
    ids = sorted(set(booking_ids))
    found: dict[int, list[dict[str, str]]] = {}
    if not ids:
        return found
    rows = db.session.scalars(
        select(BookingIntakeAnswer)
        .where(BookingIntakeAnswer.booking_id.in_(ids))
        .order_by(BookingIntakeAnswer.booking_id, BookingIntakeAnswer.position)
    )
    for row in rows:
        found.setdefault(row.booking_id, []).append({"question": row.question, "answer": row.answer})
    return found


def earlier_answers(customer_id: int, service: Service) -> list[dict[str, str]] | None:
    """The customer's answers at their latest booking of ``service`` (same questions, by their
    words), when they answer every required question the service asks now; else None. A
    waitlist offer carries them rather than asking again."""
    latest = db.session.scalar(
        select(Booking.id)
        .where(
            Booking.customer_id == customer_id,
            Booking.service_id == service.id,
            select(BookingIntakeAnswer.id).where(BookingIntakeAnswer.booking_id == Booking.id).exists(),
        )
        .order_by(Booking.created_at.desc(), Booking.id.desc())
        .limit(1)
    )
    if latest is None:
        return None
    given = {row["question"]: row["answer"] for row in answers_for_bookings([latest]).get(latest, [])}
    if any(q.required and q.text not in given for q in service.questions):
        return None
    return [{"question": q.text, "answer": given[q.text]} for q in service.questions if q.text in given]


def answers_for_offer(customer_id: int, service: Service, raw: Mapping[str, str] | None) -> list[dict[str, str]]:
    """The intake answers a booking made outside the cart (a waitlist offer) must carry: those
    given with it (checked as the cart checks them), else the customer's earlier answers to
    the same service, else CartItemInvalid naming the first required question."""
    if not service.questions:
        return []
    raw = raw or {}
    if any((raw.get(field_name(q)) or "").strip() for q in service.questions):
        return clean_answers(service, raw)
    earlier = earlier_answers(customer_id, service)
    if earlier is not None:
        return earlier
    return clean_answers(service, raw)  # refuses: a required question has no answer
