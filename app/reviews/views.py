"""Review pages: the customer's form under their booking (``booking`` blueprint), the venue's
reviews with its answers and reports (``venues_dashboard``), and the admins' moderation of
reviews, answers, photos and reports (``admin``). The rules live in app.reviews.service,
replies and photos."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.accounts.access import role_required
from app.admin.listing import BadFilter, like_pattern, paginate, parse_page
from app.booking.models import Booking
from app.booking.presenting import booking_row
from app.reviews import photos, replies, service
from app.reviews.forms import DecisionForm, HideForm, ReplyForm, ReportForm, ReviewForm
from app.reviews.models import PHOTOS_MAX, Review, ReviewReport
from app.venues.models import Venue
from app.web.blueprints import admin as admin_bp
from app.web.blueprints import booking as booking_bp
from app.web.blueprints import dashboard as dashboard_bp
from app.web.guards import OWNER_AND_MANAGER, get_own_booking, venue_required
from app.web.list_filters import chosen_status
from app.web.loaders import admin_row, venue_row
from app.web.rendering import after_change, render_page
from app.web.unit_of_work import on_refusal

STATUS_FILTERS = {"published": "Published", "hidden": "Hidden", "all": "All"}
VENUE_PAGE_SIZE = 20  # reviews per page of the venue's own list


# -- the customer's review ----------------------------------------------------------------------


@booking_bp.route("/bookings/<reference>/review", methods=["GET", "POST"])
@login_required
def review_booking(reference: str) -> Response:
    booking = get_own_booking(reference)  # someone else's booking is a 404
    form = ReviewForm()
    if request.method == "GET":
        return _review_page(booking, form)
    if not form.validate():
        return _review_page(booking, form, error=form.first_error(), status=400)
    on_refusal(lambda refusal: _review_page(get_own_booking(reference), form, error=refusal.message, status=200))
    service.create_review(
        booking,
        customer=current_user._get_current_object(),
        rating=form.rating.data,
        body=form.body.data,
        photos=uploaded_photos(),
    )
    flash(_("Thank you! Your review is live on the venue's page."), "success")
    return redirect(url_for("booking.booking_detail", reference=booking.reference), 303)


def _review_page(booking: Booking, form: ReviewForm, *, error: str | None = None, status: int | None = None):
    """The form under the booking, or the review written; without a ``status``, 409 when the
    booking can't be reviewed (yet, or any more)."""
    existing = service.find_review(booking.id)
    verdict = service.eligibility(booking, datetime.now(UTC))
    if status is None:
        status = 409 if existing is None and not verdict.allowed else 200
    return render_page(
        "reviews/review.html",
        status=status,
        booking=booking_row(booking),
        review=existing,
        verdict=verdict,
        form=form,
        error=error,
        photos_max=PHOTOS_MAX,
        photo_mb=format(current_app.config["REVIEW_PHOTO_MAX_BYTES"] / (1024 * 1024), "g"),
    )


def uploaded_photos() -> list[bytes]:
    """The files of the form's "photos" field (empty file inputs left out); at most one more
    than allowed is read, enough for the service to refuse the lot."""
    files = [f for f in request.files.getlist("photos") if f and f.filename]
    return [f.read() for f in files[: PHOTOS_MAX + 1]]


# -- the venue's reviews: answers and reports ----------------------------------------------------


@dashboard_bp.get("/reviews")
@venue_required(roles=OWNER_AND_MANAGER)
def venue_reviews(venue: Venue) -> Response:
    page = parse_page(request.args.get("page"))
    rows = replies.reviews_for_venue(venue.id, limit=VENUE_PAGE_SIZE + 1, offset=(page - 1) * VENUE_PAGE_SIZE)
    return render_page(
        "reviews/venue_reviews.html",
        venue=venue,
        reviews=rows[:VENUE_PAGE_SIZE],
        page=page,
        has_next=len(rows) > VENUE_PAGE_SIZE,
        reasons=replies.REPORT_REASONS,
    )


def _review_item(venue: Venue, review_id: int, *, status: int = 200, **extra: object) -> Response:
    """One review of the venue's page, as its HTMX fragment (or the whole page without HTMX)."""
    review = replies.reviews_for_venue_one(venue.id, review_id)
    return render_page(
        "reviews/venue_reviews.html",
        "review_item",
        status=status,
        venue=venue,
        reviews=[review],
        review=review,
        page=1,
        has_next=False,
        reasons=replies.REPORT_REASONS,
        **extra,
    )


def _checked(form: FlaskForm) -> None:
    """The CSRF token (and the form's own checks): a refusal like the service's, on the same page."""
    if not form.validate():
        raise BadFilter(next(iter(form.errors.values()))[0])


# Another venue's review is not there, from here (404); the row is locked for the change.
@dashboard_bp.post("/reviews/<int:review_id>/reply")
@venue_required(roles=OWNER_AND_MANAGER)
@venue_row(Review, for_update=True)
def reply_to_review(venue: Venue, review: Review) -> Response:
    review_id, form, first = review.id, ReplyForm(), review.reply is None
    on_refusal(
        lambda refusal: _review_item(venue, review_id, reply_error=refusal.message, reply_draft=form.body.data or "")
    )
    _checked(form)
    replies.save_reply(review, author=current_user._get_current_object(), body=form.body.data or "")
    message = _("Answer published under the review.") if first else _("Answer updated.")
    return _done(venue, review_id, message)


@dashboard_bp.post("/reviews/<int:review_id>/report")
@venue_required(roles=OWNER_AND_MANAGER)
@venue_row(Review, for_update=True)
def report_review(venue: Venue, review: Review) -> Response:
    review_id, form = review.id, ReportForm()
    on_refusal(
        lambda refusal: _review_item(
            venue,
            review_id,
            report_error=refusal.message,
            report_draft={"reason": form.reason.data or "", "message": form.message.data or ""},
        )
    )
    _checked(form)
    replies.report_review(
        review,
        reporter=current_user._get_current_object(),
        reason=form.reason.data or "",
        details=form.message.data or "",
    )
    return _done(venue, review_id, _("Review reported. Our team will look at it and tell you what they decide."))


def _done(venue: Venue, review_id: int, message: str) -> Response:
    target = url_for("venues_dashboard.venue_reviews") + f"#review-{review_id}"
    return after_change(message, lambda: _review_item(venue, review_id), target, 303)


# -- moderation ---------------------------------------------------------------------------------


@admin_bp.get("/reviews")
@role_required("admin")
def reviews(*, error: str | None = None) -> Response:
    """The moderation list; a refused decision below shows it again by calling this view."""
    status_filter = chosen_status(STATUS_FILTERS, "published")
    q = request.args.get("q", "").strip()[:100]
    page = parse_page(request.args.get("page"))
    query = select(Review).options(
        selectinload(Review.venue),
        selectinload(Review.customer),
        selectinload(Review.reply),
        selectinload(Review.photos),
        selectinload(Review.report),
    )
    if status_filter.value != "all":
        query = query.where(Review.status == status_filter.value)
    if q:
        like = like_pattern(q)
        query = query.join(Venue, Venue.id == Review.venue_id).where(
            or_(Venue.name.ilike(like), Review.body.ilike(like))
        )
    found = paginate(query.order_by(Review.created_at.desc(), Review.id.desc()), page)
    return render_page(
        "admin/reviews.html",
        "results",
        reviews=found.rows,
        **status_filter.context(),
        q=q,
        **found.paging(),
        form=HideForm(formdata=None),
        error=error,
        open_reports=replies.count_open_reports(),
    )


def _show_refusal_on_list() -> None:
    """A refused decision keeps nothing; the list shows why."""
    on_refusal(lambda refusal: reviews(error=refusal.message))


def _decided(decide: Callable[[Any, str], object], message: str) -> Response:
    """An admin's decision from the list (``decide(actor, reason)``, the reason as typed): the
    form checked, a refusal shown on the list, and back to the list."""
    form = HideForm()
    _show_refusal_on_list()
    _checked(form)
    decide(current_user._get_current_object(), form.reason.data or "")
    flash(message, "success")
    return redirect(url_for("admin.reviews", status=request.args.get("status", "published")), 303)


def _hidden_or_published(set_visibility: Callable, item: object, action: str, hidden: str, published: str) -> Response:
    """Hide a review or an answer from the venue's page (``action`` "hide") or publish it again."""
    hide = action == "hide"
    return _decided(
        lambda actor, reason: set_visibility(item, hidden=hide, actor=actor, reason=reason),
        hidden if hide else published,
    )


@admin_bp.post("/reviews/<int:review_id>/<any(hide, publish):action>")
@role_required("admin")
@admin_row(Review, for_update=True)
def moderate_review(review: Review, action: str) -> Response:
    messages = (_("Review hidden from the venue's page."), _("Review published again."))
    return _hidden_or_published(service.set_visibility, review, action, *messages)


@admin_bp.post("/reviews/<int:review_id>/reply/<any(hide, publish):action>")
@role_required("admin")
def moderate_reply(review_id: int, action: str) -> Response:
    reply = replies.find_reply(review_id)
    if reply is None:
        abort(404)
    messages = (_("Answer hidden from the venue's page."), _("Answer published again."))
    return _hidden_or_published(replies.set_reply_visibility, reply, action, *messages)


@admin_bp.post("/reviews/<int:review_id>/photos/<int:photo_id>/remove")
@role_required("admin")
@admin_row(Review, for_update=True)
def remove_review_photo(review: Review, photo_id: int) -> Response:
    return _decided(
        lambda actor, reason: photos.remove_photo(review, photo_id, actor=actor, reason=reason), _("Photo removed.")
    )


@admin_bp.get("/review-reports")
@role_required("admin")
def review_reports() -> Response:
    return _render_reports()


def _render_reports(*, error: str | None = None, status: int = 200) -> Response:
    return render_page(
        "admin/review_reports.html",
        status=status,
        reports=replies.open_reports(),
        reasons=replies.REPORT_REASONS,
        form=DecisionForm(formdata=None),
        error=error,
    )


@admin_bp.post("/review-reports/<int:report_id>/<any(keep, remove):decision>")
@role_required("admin")
@admin_row(ReviewReport, name="report", for_update=True)
def decide_review_report(report: ReviewReport, decision: str) -> Response:
    form = DecisionForm()
    on_refusal(lambda refusal: _render_reports(error=refusal.message))
    _checked(form)
    replies.decide_report(
        report, keep=decision == "keep", actor=current_user._get_current_object(), note=form.note.data or ""
    )
    flash(
        _("Review kept; the venue is told.") if decision == "keep" else _("Review removed; both sides are told."),
        "success",
    )
    return redirect(url_for("admin.review_reports"), 303)
