"""Review pages: the customer's form under their booking (``booking`` blueprint) and the admins'
moderation list (``admin`` blueprint). The rules live in app.reviews.service."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.accounts.access import role_required
from app.admin.listing import BadFilter, like_pattern, paginate, parse_page
from app.booking.presenting import booking_row
from app.errors import DomainError
from app.extensions import db
from app.ops.errors import http_status
from app.rendering import render_page
from app.reviews import service
from app.reviews.forms import HideForm, ReviewForm
from app.reviews.models import Review
from app.venues.models import Venue
from app.web.blueprints import admin as admin_bp
from app.web.blueprints import booking as booking_bp
from app.web.guards import get_own_booking

STATUS_FILTERS = {"published": "Published", "hidden": "Hidden", "all": "All"}


# -- the customer's review ----------------------------------------------------------------------


@booking_bp.route("/bookings/<reference>/review", methods=["GET", "POST"])
@login_required
def review_booking(reference: str) -> Response:
    booking = get_own_booking(reference)  # someone else's booking is a 404
    existing = service.find_review(booking.id)
    verdict = service.eligibility(booking, datetime.now(UTC))
    form = ReviewForm()
    error, status = None, 200
    if request.method == "POST":
        if not form.validate():
            error, status = form.first_error(), 400
        else:
            try:
                service.create_review(
                    booking, customer=current_user._get_current_object(), rating=form.rating.data, body=form.body.data
                )
                db.session.commit()
            except IntegrityError as exc:  # the same booking reviewed twice at once: the other one won
                db.session.rollback()
                if "uq_reviews_booking_id" not in str(exc.orig):
                    raise
                error, status = "You have already reviewed this booking.", 409
            except DomainError as refusal:
                db.session.rollback()
                error, status = refusal.message, http_status(refusal)
            else:
                flash(_("Thank you! Your review is live on the venue's page."), "success")
                return redirect(url_for("booking.booking_detail", reference=booking.reference), 303)
            booking = get_own_booking(reference)
            existing = service.find_review(booking.id)
    elif existing is None and not verdict.allowed:
        status = 409
    return render_page(
        "reviews/review.html",
        status=status,
        booking=booking_row(booking),
        review=existing,
        verdict=verdict,
        form=form,
        error=error,
    )


# -- moderation ---------------------------------------------------------------------------------


@admin_bp.get("/reviews")
@role_required("admin")
def reviews() -> Response:
    return _render_list()


def _render_list(*, error: str | None = None, status: int = 200) -> Response:
    status_filter = request.args.get("status", "published").strip()
    if status_filter not in STATUS_FILTERS:
        raise BadFilter(_("Unknown status filter. Choose one from the list."))
    q = request.args.get("q", "").strip()[:100]
    page = parse_page(request.args.get("page"))
    query = select(Review).options(selectinload(Review.venue), selectinload(Review.customer))
    if status_filter != "all":
        query = query.where(Review.status == status_filter)
    if q:
        like = like_pattern(q)
        query = query.join(Venue, Venue.id == Review.venue_id).where(
            or_(Venue.name.ilike(like), Review.body.ilike(like))
        )
    found = paginate(query.order_by(Review.created_at.desc(), Review.id.desc()), page)
    return render_page(
        "admin/reviews.html",
        "results",
        status=status,
        reviews=found.rows,
        status_filter=status_filter,
        status_filters=STATUS_FILTERS,
        q=q,
        page=page,
        total=found.total,
        has_next=found.has_next,
        form=HideForm(formdata=None),
        error=error,
    )


@admin_bp.post("/reviews/<int:review_id>/<any(hide, publish):action>")
@role_required("admin")
def moderate_review(review_id: int, action: str) -> Response:
    review = db.session.scalars(select(Review).where(Review.id == review_id).with_for_update()).one_or_none()
    if review is None:
        abort(404)
    form = HideForm()
    try:
        if not form.validate():
            raise BadFilter(next(iter(form.errors.values()))[0])
        service.set_visibility(
            review, hidden=action == "hide", actor=current_user._get_current_object(), reason=form.reason.data or ""
        )
    except DomainError as refusal:
        db.session.rollback()  # nothing of a refused decision is kept
        return _render_list(error=refusal.message, status=http_status(refusal))
    db.session.commit()
    flash(_("Review hidden from the venue's page.") if action == "hide" else _("Review published again."), "success")
    return redirect(url_for("admin.reviews", status=request.args.get("status", "published")), 303)
