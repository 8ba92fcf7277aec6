"""A service's intake questions and its patch-test rule, as the venue's owner edits them.

At most ``MAX_QUESTIONS`` questions per service (counted under a row lock on the service, so two
parallel adds can't make one more). A question is free text, yes/no, or a choice between 2 to
``MAX_OPTIONS`` options; it may be required. The customer's answers are checked and kept by
app/booking/intake.py; the patch-test rule is applied by app/booking/patch_test_rule.py.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.platform.errors import LimitReached, ValidationFailed
from app.platform.extensions import db
from app.platform.sqlutil import one_or_not_found
from app.venues.models import QuestionKind, Service, ServiceQuestion, Venue

MAX_QUESTIONS = 10
MAX_OPTIONS = 8
TEXT_MAX_LENGTH = 200
OPTION_MAX_LENGTH = 80
MAX_PATCH_HOURS = 2160  # 90 days


def get_question(service: Service, question_id: int) -> ServiceQuestion:
    return one_or_not_found(
        select(ServiceQuestion).where(ServiceQuestion.id == question_id, ServiceQuestion.service_id == service.id),
        _("That question is not one of this service's."),
    )


def parse_options(kind: str, raw: str | None) -> list[str]:
    """A choice question's options, one a line (or comma-separated): 2 to MAX_OPTIONS, unique."""
    if kind != QuestionKind.CHOICE:
        return []
    text = (raw or "").replace("\r", "")
    parts = text.split("\n") if "\n" in text else text.split(",")
    options = [p.strip() for p in parts if p.strip()]
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise ValidationFailed(
            _("A choice question needs between 2 and %(max_options)s options.", max_options=MAX_OPTIONS)
        )
    if any(len(o) > OPTION_MAX_LENGTH for o in options):
        raise ValidationFailed(_("Keep each option under %(max_length)s characters.", max_length=OPTION_MAX_LENGTH))
    if len({o.casefold() for o in options}) != len(options):
        raise ValidationFailed(_("Each option must be different."))
    return options


def _clean(text: str | None, kind: str | None) -> tuple[str, str]:
    words = (text or "").strip()
    if not words:
        raise ValidationFailed(_("Write the question."))
    if len(words) > TEXT_MAX_LENGTH:
        raise ValidationFailed(_("Keep the question under %(max_length)s characters.", max_length=TEXT_MAX_LENGTH))
    if kind not in {k.value for k in QuestionKind}:
        raise ValidationFailed(_("Choose what kind of answer the question takes."))
    return words, kind


def add_question(
    service: Service, *, text: str | None, kind: str | None, options: str | None, required: bool
) -> ServiceQuestion:
    words, kind = _clean(text, kind)
    choices = parse_options(kind, options)
    db.session.execute(select(Service.id).where(Service.id == service.id).with_for_update())
    count = db.session.scalar(
        select(func.count()).select_from(ServiceQuestion).where(ServiceQuestion.service_id == service.id)
    )
    if count >= MAX_QUESTIONS:
        raise LimitReached(
            _(
                "A service can ask at most %(max_questions)s questions. Remove one to add another.",
                max_questions=MAX_QUESTIONS,
            )
        )
    last = db.session.scalar(select(func.max(ServiceQuestion.position)).where(ServiceQuestion.service_id == service.id))
    question = ServiceQuestion(
        service_id=service.id,
        position=(last or 0) + 1,
        text=words,
        kind=kind,
        options=choices,
        required=bool(required),
    )
    db.session.add(question)
    db.session.flush()
    db.session.expire(service, ["questions"])
    return question


def update_question(
    question: ServiceQuestion, *, text: str | None, kind: str | None, options: str | None, required: bool
) -> None:
    """Past bookings keep the words they were asked (copied at booking), so an edit is safe."""
    words, kind = _clean(text, kind)
    question.options = parse_options(kind, options)
    question.text, question.kind, question.required = words, kind, bool(required)
    db.session.flush()


def remove_question(service: Service, question: ServiceQuestion) -> None:
    db.session.delete(question)
    db.session.flush()
    for position, rest in enumerate(
        db.session.scalars(
            select(ServiceQuestion)
            .where(ServiceQuestion.service_id == service.id)
            .order_by(ServiceQuestion.position, ServiceQuestion.id)
        ),
        start=1,
    ):
        rest.position = position
    db.session.flush()
    db.session.expire(service, ["questions"])


def move_question(service: Service, question: ServiceQuestion, direction: str) -> None:
    ordered = list(
        db.session.scalars(
            select(ServiceQuestion)
            .where(ServiceQuestion.service_id == service.id)
            .order_by(ServiceQuestion.position, ServiceQuestion.id)
        )
    )
    index = ordered.index(question)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        item.position = position
    db.session.flush()
    db.session.expire(service, ["questions"])


def set_patch_test(venue: Venue, service: Service, *, patch_service_id: int | None, min_hours: int | None) -> None:
    """Require (or stop requiring) a patch test of another of the venue's services first."""
    if patch_service_id is None:
        service.patch_test_service_id = None
        db.session.flush()
        return
    if patch_service_id == service.id:
        raise ValidationFailed(_("A service can't be its own patch test. Choose another service."))
    if patch_service_id not in {s.id for s in venue.services}:
        raise ValidationFailed(_("Choose the patch test from your own services."))
    if min_hours is None or not 1 <= min_hours <= MAX_PATCH_HOURS:
        raise ValidationFailed(
            _("The patch test must be between 1 and %(max_hours)s hours before.", max_hours=MAX_PATCH_HOURS)
        )
    service.patch_test_service_id = patch_service_id
    service.patch_test_min_hours = min_hours
    db.session.flush()
