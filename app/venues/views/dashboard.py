"""The provider's dashboard: the onboarding wizard, whose steps stay editable pages later.

Routes for the venue profile (basics, location, hours, closures, review) live here;
app/venues/views/catalog.py adds services, team, FAQs and images to the same blueprint.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.payouts import accounts as payout_accounts
from app.payouts.models import AccountStatus
from app.platform.errors import DomainError
from app.platform.timefmt import day_words, venue_zone
from app.venues.approval import STATUS_LABELS, allowed_actions, transition
from app.venues.closing import is_paused
from app.venues.forms import (
    BasicsForm,
    ClosureForm,
    DayHours,
    LocationForm,
    TimeRow,
    edit_rows,
    read_week,
    week_from_saved,
)
from app.venues.hours import Range, is_open_at, weekday_name
from app.venues.models import Venue
from app.venues.service import (
    WIZARD_STEPS,
    add_closure,
    advance_onboarding,
    copy_day_to,
    create_venue,
    get_categories,
    get_venue_for_owner,
    hours_problem,
    missing_for_submission,
    remove_closure,
    set_day_hours,
    update_basics,
    update_location,
)
from app.venues.wizard import STEP_LABELS, _onboarding, wizard_context
from app.web.blueprints import dashboard as bp
from app.web.guards import OWNER_ONLY, venue_required
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

# -- shared page helpers ----------------------------------------------------------------

ACTION_LABELS = {"submit": _l("Submit for review"), "withdraw": _l("Withdraw from review")}
STATUS_HELP = {
    "draft": _l("Your listing is a draft: only you can see it. Finish the steps, then submit it for review."),
    "pending_review": _l(
        "Our team is reviewing your listing. We'll email you when it's live, usually within two days."
    ),
    "approved": _l("Your listing is live. Changes you make show at once; our team takes a look afterwards."),
    "rejected": _l("Our team asked for a few changes. Make them, then submit the listing again."),
    "suspended": _l("Your listing is hidden from customers. Contact us to find out what is needed."),
    "closed": _l("You closed your venue: customers can't find or book it. Reopen it to send it for review."),
}


# The setup checklist's heading follows where the listing stands: a live one is past submitting.
CHECKLIST_HEADINGS = {
    "draft": _l("Before you submit"),
    "pending_review": _l("While we review your listing"),
    "approved": _l("Taking bookings"),
    "rejected": _l("Before you submit again"),
    "suspended": _l("While your listing is suspended"),
    "closed": _l("While your venue is closed"),
}
PAYOUT_ACTIONS = {
    AccountStatus.NOT_CONNECTED: _l("Set up payouts"),
    AccountStatus.PENDING: _l("Continue setting up payouts"),
    AccountStatus.ENABLED: _l("See your payouts"),
    AccountStatus.RESTRICTED: _l("Add what Stripe needs"),
}


def payouts_item(venue: Venue) -> dict[str, Any]:
    """The checklist's payouts item: where the payout account stands, and whether customers can
    book online only once it is enabled (unless PAYOUTS_COLLECT_BEFORE_ENABLED lets them anyway)."""
    account = payout_accounts.describe(payout_accounts.get_account(venue.id))
    done = account.status == AccountStatus.ENABLED
    return {
        "status": account.status,
        "label": account.label,
        "badge": payout_accounts.STATUS_BADGES[account.status],
        "help": account.help,
        "done": done,
        "blocks_bookings": not done and not payout_accounts.collect_before_enabled(),
        "url": url_for("venues_dashboard.payouts"),
        "action": PAYOUT_ACTIONS[account.status],
    }


def setup_checklist(venue: Venue, missing: list[str]) -> dict[str, Any]:
    """What the owner still has to do, in words that fit the listing's status: what stops the
    submission, and what stops customers booking online (payouts), never "everything is in place"
    while they can't."""
    payouts = payouts_item(venue)
    status = venue.status
    if missing:
        summary = ""
    elif status in ("draft", "rejected"):
        summary = (
            _(
                "Everything needed for review is in place. Before customers can book online, you still need "
                "to set up payouts."
            )
            if payouts["blocks_bookings"]
            else _("Everything needed for review is in place.")
        )
    elif status == "pending_review":
        summary = (
            _("Our team is reviewing your listing. Customers can book online only once your payouts are set up.")
            if payouts["blocks_bookings"]
            else _("Our team is reviewing your listing: nothing else is needed from you.")
        )
    elif status == "approved":
        if payouts["blocks_bookings"]:
            summary = _("Your listing is live, but customers can't book online until your payouts are set up.")
        elif payouts["done"]:
            summary = _("Your listing is live and taking online bookings.")
        else:
            summary = _("Your listing is live and taking bookings. Set up payouts so we can pay you your share.")
    elif status == "closed":
        summary = _("Customers can't see or book your venue while it is closed.")
    else:
        summary = _("Customers can't see or book your listing while it is suspended.")
    return {
        "heading": CHECKLIST_HEADINGS[status],
        "missing": missing,
        "payouts": payouts,
        "summary": summary,
        "ready": not missing and not payouts["blocks_bookings"] and status == "approved",
    }


def _page(template: str, venue: Venue | None, step: str, *, status: int = 200, **context: Any) -> Response:
    return render_page(
        f"venues/dashboard/{template}",
        status=status,
        venue=venue,
        status_label=STATUS_LABELS[venue.status] if venue else None,
        step_title=STEP_LABELS[step],
        onboarding=_onboarding(venue),
        **wizard_context(venue, step),
        **context,
    )


def _saved(venue: Venue, step: str, message: str) -> Response:
    """Say so, and go on to the next step while onboarding, or back to this page later."""
    flash(message, "success")
    if _onboarding(venue) and step != WIZARD_STEPS[-1]:
        return redirect(url_for(f"venues_dashboard.{WIZARD_STEPS[WIZARD_STEPS.index(step) + 1]}"))
    return redirect(url_for(f"venues_dashboard.{step}"))


def _form_refused(form: Any, page: Callable[[], Response]) -> Callable[[DomainError], Response]:
    """A refusal shown with the form again: its message among the form's, on ``page()``."""

    def render(refusal: DomainError) -> Response:
        form.form_errors.append(refusal.message)
        return page()

    return render


def _saved_ranges(venue: Venue) -> dict[int, list[Range]]:
    ranges: dict[int, list[Range]] = {}
    for h in venue.opening_hours:
        ranges.setdefault(h.weekday, []).append(Range(h.opens_minute, h.closes_minute))
    return ranges


def _date_label(day: date) -> str:
    return day_words(day)


# -- home -------------------------------------------------------------------------------


@bp.get("", strict_slashes=False)
@venue_required
def home(venue: Venue):
    reached = WIZARD_STEPS.index(venue.onboarding_step)
    missing = missing_for_submission(venue)
    return render_page(
        "venues/dashboard/home.html",
        venue=venue,
        status_label=STATUS_LABELS[venue.status],
        status_help=STATUS_HELP[venue.status],
        missing=missing,
        checklist=setup_checklist(venue, missing),
        actions=[(action, ACTION_LABELS[action]) for action in allowed_actions(venue, current_user)],
        changed=[STEP_LABELS.get(area, area) for area in venue.changed_fields or []],
        steps=[(s, STEP_LABELS[s], i < reached) for i, s in enumerate(WIZARD_STEPS)],
        paused=is_paused(venue),
    )


# -- basics -----------------------------------------------------------------------------


@bp.route("/venue/basics", methods=["GET", "POST"])
@venue_required(allow_no_venue=True)
def basics(venue: Venue | None):
    form = BasicsForm(obj=venue, intent="update" if venue else "create")
    if venue is not None and not form.is_submitted():
        form.tags.data = ", ".join(venue.tags)  # obj would win over a keyword and show the list
    form.category_id.choices = [SelectChoice("", "Choose a category")] + [
        SelectChoice(str(c.id), c.name) for c in get_categories()
    ]
    if not form.validate_on_submit():
        return _page("basics.html", venue, "basics", status=422 if request.method == "POST" else 200, form=form)
    # Refused: the venue as it was (none, if this was to create it).
    before = venue
    on_refusal(
        _form_refused(
            form, lambda: _page("basics.html", before or get_venue_for_owner(current_user.id), "basics", form=form)
        )
    )
    if venue is None or form.intent.data == "create":
        venue = create_venue(current_user, name=form.name.data, category_id=form.category_id.data, description="")
    update_basics(
        venue,
        name=form.name.data,
        description=form.description.data or "",
        category_id=form.category_id.data,
        tags=form.tags.data or "",
        phone=form.phone.data or "",
        email=form.email.data or "",
        website=form.website.data or "",
        vat_number=form.vat_number.data or "",
    )
    return _saved(venue, "basics", _("Your venue's basics are saved."))


# -- location ---------------------------------------------------------------------------


@bp.route("/venue/location", methods=["GET", "POST"])
@venue_required
def location(venue: Venue):
    form = LocationForm(obj=venue)
    if request.method == "GET":
        form.show_timezone(venue.timezone)
    if not form.validate_on_submit():
        return _location_page(venue, form, status=422 if request.method == "POST" else 200)
    on_refusal(_form_refused(form, lambda: _location_page(venue, form)))
    update_location(
        venue,
        address_line=form.address_line.data,
        city=form.city.data,
        postcode=form.postcode.data or "",
        country=form.country.data,
        latitude=form.latitude.data,
        longitude=form.longitude.data,
        timezone=form.chosen_timezone(),
    )
    return _saved(venue, "location", _("Your venue's location is saved."))


def _location_page(venue: Venue, form: LocationForm, *, status: int = 200) -> Response:
    return _page(
        "location.html",
        venue,
        "location",
        status=status,
        form=form,
        tile_url=current_app.config.get("MAP_TILE_URL") or "",
        tile_attribution=current_app.config.get("MAP_TILE_ATTRIBUTION") or "",
    )


# -- opening hours and closures ---------------------------------------------------------


def _hours_page(venue: Venue, week: list[DayHours], closure_form: ClosureForm, *, status: int = 200, **context):
    now = datetime.now(UTC)
    closed_dates = [(c.starts_on, c.ends_on) for c in venue.closures]
    return _page(
        "hours.html",
        venue,
        "hours",
        status=status,
        week=week,
        closure_form=closure_form,
        open_now=is_open_at(_saved_ranges(venue), closed_dates, now, venue.timezone),
        local_time=now.astimezone(venue_zone(venue)).strftime("%H:%M"),
        closures=[(c.id, _date_label(c.starts_on), _date_label(c.ends_on), c.reason) for c in venue.closures],
        **context,
    )


@bp.route("/venue/hours", methods=["GET", "POST"])
@venue_required
def hours(venue: Venue):
    if request.method == "GET":
        return _hours_page(venue, week_from_saved(_saved_ranges(venue)), ClosureForm(formdata=None))
    week = read_week(request.form)
    if "add_range" in request.form or "remove_range" in request.form:
        # Row editing without JavaScript: show the grid again with one row more or less; save nothing.
        edit_rows(week, request.form.get("add_range", ""), request.form.get("remove_range", ""))
        return _hours_page(venue, week, ClosureForm(formdata=None), unsaved=True)
    for day in week:
        day.error = day.error or hours_problem([] if day.closed else day.ranges)
    if any(day.error for day in week):  # nothing is saved
        return _hours_page(venue, week, ClosureForm(formdata=None), status=422)
    for day in week:
        # Only the database's last word can refuse now (two edits at once): shown beside the day.
        on_refusal(lambda refusal, day=day: _day_refused(venue, week, day, refusal))
        set_day_hours(venue, day.weekday, [] if day.closed else day.ranges)
    advance_onboarding(venue, "hours")
    return _saved(venue, "hours", _("Your opening hours are saved."))


def _day_refused(venue: Venue, week: list[DayHours], day: DayHours, refusal: DomainError) -> Response:
    day.error = refusal.message
    return _hours_page(venue, week, ClosureForm(formdata=None), status=422)


@bp.get("/venue/hours/row")
@venue_required
def hours_row(venue: Venue):
    """An empty opening-hours row for one weekday (HTMX appends it to that day)."""
    weekday = request.args.get("weekday", type=int)
    if weekday is None or not 0 <= weekday <= 6:
        abort(404)
    return render_template("venues/dashboard/_hours_range.html", day=DayHours(weekday), row=TimeRow(), index=None)


def _hours_command(command: Callable[[], None], message: str) -> Response:
    on_refusal(lambda refusal: _back_to_hours(refusal.message, "danger"))
    command()
    return _back_to_hours(message, "success")


def _back_to_hours(message: str, category: str) -> Response:
    flash(message, category)
    return redirect(url_for("venues_dashboard.hours"))


@bp.post("/venue/hours/copy-monday")
@venue_required
def copy_monday(venue: Venue):
    return _hours_command(
        lambda: copy_day_to(venue, 0, [1, 2, 3, 4]), _("Monday's hours are copied to Tuesday to Friday.")
    )


@bp.post("/venue/hours/close-sundays")
@venue_required
def close_sundays(venue: Venue):
    return _hours_command(lambda: set_day_hours(venue, 6, []), _("Your venue is now closed on Sundays."))


@bp.post("/venue/closures")
@venue_required
def closures(venue: Venue):
    form = ClosureForm()

    def page(status: int = 200) -> Response:
        return _hours_page(venue, week_from_saved(_saved_ranges(venue)), form, status=status)

    if not form.validate_on_submit():
        return page(422)
    on_refusal(_form_refused(form, page))
    add_closure(venue, starts_on=form.starts_on.data, ends_on=form.ends_on.data, reason=form.reason.data or "")
    flash(_("The closure is added."), "success")
    return redirect(url_for("venues_dashboard.hours", _anchor="closures"))


@bp.post("/venue/closures/<int:closure_id>/delete")
@venue_required
def delete_closure(venue: Venue, closure_id: int):
    remove_closure(venue, closure_id)  # another venue's: a 404 saying there is no such closure here
    flash(_("The closure is removed."), "success")
    return redirect(url_for("venues_dashboard.hours", _anchor="closures"))


# -- review, submit, withdraw -------------------------------------------------------------


def _review_page(venue: Venue, *, status: int = 200, error: str = "") -> Response:
    saved = _saved_ranges(venue)
    return _page(
        "review.html",
        venue,
        "review",
        status=status,
        error=error,
        status_help=STATUS_HELP[venue.status],
        missing=missing_for_submission(venue),
        payouts=payouts_item(venue),
        actions=[(action, ACTION_LABELS[action]) for action in allowed_actions(venue, current_user)],
        week=[(weekday_name(i), ", ".join(r.label for r in saved.get(i, [])) or _("Closed")) for i in range(7)],
        closures=[(_date_label(c.starts_on), _date_label(c.ends_on), c.reason) for c in venue.closures],
    )


@bp.get("/venue/review")
@venue_required
def review(venue: Venue):
    return _review_page(venue)


def _apply(venue: Venue, action: str, message: str) -> Response:
    on_refusal(lambda refusal: _review_page(venue, error=refusal.message))
    transition(venue, action, actor=current_user)
    flash(message, "success")
    return redirect(url_for("venues_dashboard.home"))


@bp.post("/venue/submit")
@venue_required(roles=OWNER_ONLY)
def submit(venue: Venue):
    return _apply(venue, "submit", _("Your venue is submitted. We'll email you once it has been reviewed."))


@bp.post("/venue/withdraw")
@venue_required(roles=OWNER_ONLY)
def withdraw(venue: Venue):
    return _apply(venue, "withdraw", _("Your venue is back to draft. Submit it again when you're ready."))
