"""The provider's "Before booking" page of one service: its intake questions (add, edit, move,
remove) and its patch-test rule (routes on the venues_dashboard blueprint). A provider only
reaches their own venue's services: another venue's service or question is a 404. The rules live
in app/venues/intake.py."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.ops.errors import http_status
from app.platform.errors import DomainError, ValidationFailed
from app.platform.extensions import db
from app.venues import intake
from app.venues.models import QuestionKind, Service, Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import venue_required
from app.web.rendering import render_page

KIND_LABELS = {
    QuestionKind.TEXT: _l("Free text"),
    QuestionKind.YES_NO: _l("Yes or no"),
    QuestionKind.CHOICE: _l("Choice of options"),
}


def _service(venue: Venue, service_id: int) -> Service:
    service = next((s for s in venue.services if s.id == service_id), None)
    if service is None:
        abort(404)
    return service


def _page(venue: Venue, service: Service, *, status: int = 200, error: str = "", values: dict | None = None):
    return render_page(
        "venues/dashboard/intake.html",
        status=status,
        venue=venue,
        service=service,
        questions=service.questions,
        kinds={k.value: str(label) for k, label in KIND_LABELS.items()},
        error=error,
        values=values or {},
        max_questions=intake.MAX_QUESTIONS,
        max_patch_hours=intake.MAX_PATCH_HOURS,
        patch_choices=[s for s in venue.services if s.id != service.id],
    )


def _refused(venue: Venue, service: Service, refusal: DomainError) -> Response:
    db.session.rollback()  # nothing of a refused change is kept
    service = _service(venue, service.id)
    values = {key: value[:300] for key, value in request.form.items() if key != "csrf_token"}
    return _page(venue, service, status=http_status(refusal), error=refusal.message, values=values)


def _saved(service: Service, message: str) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("venues_dashboard.service_intake", service_id=service.id), 303)


def _question_fields() -> dict:
    return {
        "text": request.form.get("text"),
        "kind": request.form.get("kind"),
        "options": request.form.get("options"),
        "required": request.form.get("required") == "y",
    }


@bp.get("/venue/services/<int:service_id>/intake")
@venue_required
def service_intake(venue: Venue, service_id: int) -> Response:
    return _page(venue, _service(venue, service_id))


@bp.post("/venue/services/<int:service_id>/questions")
@venue_required
def add_service_question(venue: Venue, service_id: int) -> Response:
    service = _service(venue, service_id)
    try:
        intake.add_question(service, **_question_fields())
    except DomainError as refusal:
        return _refused(venue, service, refusal)
    return _saved(service, _("Question added."))


@bp.post("/venue/services/<int:service_id>/questions/<int:question_id>")
@venue_required
def edit_service_question(venue: Venue, service_id: int, question_id: int) -> Response:
    service = _service(venue, service_id)
    try:
        question = intake.get_question(service, question_id)
        intake.update_question(question, **_question_fields())
    except DomainError as refusal:
        return _refused(venue, service, refusal)
    return _saved(service, _("Question saved. Past bookings keep the answers as they were asked."))


@bp.post("/venue/services/<int:service_id>/questions/<int:question_id>/delete")
@venue_required
def delete_service_question(venue: Venue, service_id: int, question_id: int) -> Response:
    service = _service(venue, service_id)
    try:
        intake.remove_question(service, intake.get_question(service, question_id))
    except DomainError as refusal:
        return _refused(venue, service, refusal)
    return _saved(service, _("Question removed."))


@bp.post("/venue/services/<int:service_id>/questions/<int:question_id>/<any(up, down):direction>")
@venue_required
def move_service_question(venue: Venue, service_id: int, question_id: int, direction: str) -> Response:
    service = _service(venue, service_id)
    try:
        intake.move_question(service, intake.get_question(service, question_id), direction)
    except DomainError as refusal:
        return _refused(venue, service, refusal)
    return _saved(service, _("Order saved."))


@bp.post("/venue/services/<int:service_id>/patch-test")
@venue_required
def service_patch_test(venue: Venue, service_id: int) -> Response:
    service = _service(venue, service_id)
    raw_patch, raw_hours = request.form.get("patch_service_id", ""), request.form.get("min_hours", "")
    try:
        if raw_patch and not raw_patch.isdigit():
            raise ValidationFailed(_("Choose the patch test from your own services."))
        if raw_patch and not raw_hours.isdigit():
            raise ValidationFailed(
                _("The patch test must be between 1 and %(max_hours)s hours before.", max_hours=intake.MAX_PATCH_HOURS)
            )
        intake.set_patch_test(
            venue,
            service,
            patch_service_id=int(raw_patch) if raw_patch else None,
            min_hours=int(raw_hours) if raw_hours else None,
        )
    except DomainError as refusal:
        return _refused(venue, service, refusal)
    return _saved(service, _("Patch test saved.") if raw_patch else _("No patch test needed any more."))
