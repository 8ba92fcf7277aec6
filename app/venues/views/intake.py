"""The provider's "Before booking" page of one service: its intake questions (add, edit, move,
remove) and its patch-test rule (routes on the venues_dashboard blueprint). A provider only
reaches their own venue's services (``venue_row``): another venue's service or question is a
404. A refusal shows the page again with its message and what was typed. The rules live in
app/venues/intake.py."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.platform.errors import DomainError, ValidationFailed
from app.venues import intake
from app.venues.models import QuestionKind, Service, ServiceQuestion, Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import venue_required
from app.web.loaders import venue_row
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

KIND_LABELS = {
    QuestionKind.TEXT: _l("Free text"),
    QuestionKind.YES_NO: _l("Yes or no"),
    QuestionKind.CHOICE: _l("Choice of options"),
}


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


def _show_refusal(venue: Venue, service: Service) -> None:
    """If a service refuses, nothing of the change is kept: the page again, with its message and
    what was typed."""

    def render(refusal: DomainError) -> Response:
        values = {key: value[:300] for key, value in request.form.items() if key != "csrf_token"}
        return _page(venue, service, error=refusal.message, values=values)

    on_refusal(render)


def _saved(service: Service, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("venues_dashboard.service_intake", service_id=service.id), 303)


def _question_fields() -> dict:
    return {
        "text": request.form.get("text"),
        "kind": request.form.get("kind"),
        "options": request.form.get("options"),
        "required": request.form.get("required") == "y",
    }


def _question_to_change(venue: Venue, service: Service, question_id: int) -> ServiceQuestion:
    """The question the URL names, a refusal from here on shown on the page: one that is not this
    service's is refused like any other change (404, on this page with its message)."""
    _show_refusal(venue, service)
    return intake.get_question(service, question_id)


@bp.get("/venue/services/<int:service_id>/intake")
@venue_required
@venue_row(Service)
def service_intake(venue: Venue, service: Service) -> Response:
    return _page(venue, service)


@bp.post("/venue/services/<int:service_id>/questions")
@venue_required
@venue_row(Service)
def add_service_question(venue: Venue, service: Service) -> Response:
    _show_refusal(venue, service)
    intake.add_question(service, **_question_fields())
    return _saved(service, _("Question added."))


@bp.post("/venue/services/<int:service_id>/questions/<int:question_id>")
@venue_required
@venue_row(Service)
def edit_service_question(venue: Venue, service: Service, question_id: int) -> Response:
    intake.update_question(_question_to_change(venue, service, question_id), **_question_fields())
    return _saved(service, _("Question saved. Past bookings keep the answers as they were asked."))


@bp.post("/venue/services/<int:service_id>/questions/<int:question_id>/delete")
@venue_required
@venue_row(Service)
def delete_service_question(venue: Venue, service: Service, question_id: int) -> Response:
    intake.remove_question(service, _question_to_change(venue, service, question_id))
    return _saved(service, _("Question removed."))


@bp.post("/venue/services/<int:service_id>/questions/<int:question_id>/<any(up, down):direction>")
@venue_required
@venue_row(Service)
def move_service_question(venue: Venue, service: Service, question_id: int, direction: str) -> Response:
    intake.move_question(service, _question_to_change(venue, service, question_id), direction)
    return _saved(service, _("Order saved."))


@bp.post("/venue/services/<int:service_id>/patch-test")
@venue_required
@venue_row(Service)
def service_patch_test(venue: Venue, service: Service) -> Response:
    _show_refusal(venue, service)
    raw_patch, raw_hours = request.form.get("patch_service_id", ""), request.form.get("min_hours", "")
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
    return _saved(service, _("Patch test saved.") if raw_patch else _("No patch test needed any more."))
