"""The customer's "My bookings": upcoming and past bookings, one booking's page (with its
check-in code and .ics file) and cancelling it (routes on the ``booking`` blueprint of
app/booking/views/book.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

import segno
from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response

from app.booking import lifecycle
from app.booking.forms import ActionForm
from app.booking.ics import calendar
from app.booking.intake import answers_for_bookings
from app.booking.models import Booking, BookingStatus
from app.booking.presenting import booking_row, booking_summary, rebook_links
from app.checkout import move_policy
from app.checkout.top_ups import get_pending_top_up
from app.messages import service as messages
from app.messages.models import Side
from app.payments import service as payments
from app.payments.models import Refund, RefundStatus
from app.platform import cache_versions, timefmt
from app.platform.cache_versions import user_namespace, valid_until
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.platform.money import format_money
from app.reviews.service import eligibility, find_review
from app.tips.presenting import tip_panel
from app.waitlist.presenting import get_offer_rows
from app.web.blueprints import booking as bp
from app.web.loaders import own_booking
from app.web.private_cache import private_page
from app.web.rendering import render_page
from app.web.thread_page import thread_context
from app.web.unit_of_work import on_refusal

B = BookingStatus
PAGE_SIZE = 20  # bookings per page of My bookings (a customer with years of visits has hundreds)
MAX_PAGE = 1000


# -- my bookings -------------------------------------------------------------------------------


@cache
def my_bookings_query(tab: str) -> Select:
    """One page of the tab, the customer, the moment and the page's rows bound at each call.

    Built once per tab: building it and its loader options, and working out its cache key, cost
    about as much as running it (docs/benchmarks.md, "My bookings' statements built once")."""
    now = bindparam("now")
    upcoming = (Booking.starts_at > now) & (
        (Booking.status == B.CONFIRMED) | ((Booking.status == B.HELD) & (Booking.hold_expires_at > now))
    )
    past = Booking.status.notin_([B.HELD, B.EXPIRED]) & or_(Booking.starts_at <= now, Booking.status != B.CONFIRMED)
    return (
        select(Booking)
        .where(
            Booking.customer_id == bindparam("customer_id"),
            Booking.moves_booking_id.is_(None),  # a move's hold shows on the booking it moves
            upcoming if tab == "upcoming" else past,
        )
        .options(
            # read with the bookings in one statement: each row names its venue, service and person
            joinedload(Booking.venue, innerjoin=True),
            joinedload(Booking.service, innerjoin=True),
            joinedload(Booking.team_member),
            selectinload(Booking.addons),  # each row names its add-ons
        )
        .order_by(
            *((Booking.starts_at, Booking.id) if tab == "upcoming" else (Booking.starts_at.desc(), Booking.id.desc()))
        )
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def find_my_bookings(customer_id: int, tab: str, now: datetime, *, page: int = 1) -> list[Booking]:
    """One page of the tab, and the first booking of the next page when there is one."""
    query = my_bookings_query("upcoming" if tab == "upcoming" else "past")
    values = {"customer_id": customer_id, "now": now, "limit": PAGE_SIZE + 1, "offset": (page - 1) * PAGE_SIZE}
    return list(db.session.scalars(query, values))


def with_hold(row: dict[str, Any], booking: Booking, now: datetime) -> dict[str, Any]:
    """The row, and for a held booking its hold's end for the countdown."""
    held = booking.status == B.HELD and booking.hold_expires_at is not None and booking.hold_expires_at > now
    row["held"] = held
    if held:
        row["hold_expires_iso"] = booking.hold_expires_at.astimezone(UTC).isoformat(timespec="seconds")
        row["hold_expires_label"] = timefmt.moment_label(booking.hold_expires_at, timefmt.venue_zone(booking.venue))
    return row


def parse_page(value: str | None) -> int:
    """The page number from the URL: a whole number from 1 to MAX_PAGE, else a 400."""
    if value is None:
        return 1
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        abort(400, _("The page must be a whole number from 1 to %(max_page)s.", max_page=MAX_PAGE))
    return int(value)


def changes_by_itself_at(bookings: list[Booking], now: datetime) -> datetime | None:
    """When the list would look different with no write: an upcoming booking starts (it moves
    to "Past") or a hold ends."""
    moments = [b.starts_at for b in bookings if b.starts_at > now]
    moments += [b.hold_expires_at for b in bookings if b.status == B.HELD and b.hold_expires_at]
    return min((m for m in moments if m > now), default=None)


@bp.get("/bookings")
@login_required
@private_page(lambda: [user_namespace(current_user.id), cache_versions.PUBLIC])
def my_bookings() -> Response:
    tab = "past" if request.args.get("tab") == "past" else "upcoming"
    page = parse_page(request.args.get("page"))
    now = datetime.now(UTC)
    found = find_my_bookings(current_user.id, tab, now, page=page)
    bookings, has_next = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    offers = get_offer_rows(current_user.id, now) if tab == "upcoming" else []
    ends = [b for b in (changes_by_itself_at(bookings, now), *(o["expires_at"] for o in offers)) if b]
    valid_until(min(ends, default=None))  # a hold ends or an offer runs out
    rows = [with_hold(booking_summary(b), b, now) for b in bookings]  # what the list shows
    fragment = None if request.headers.get("HX-History-Restore-Request") else "bookings_list"

    def page_url(number: int) -> str:
        return url_for(
            ".my_bookings", **({"tab": tab} if tab == "past" else {}), **({"page": number} if number > 1 else {})
        )

    return render_page(
        "booking/my_bookings.html",
        fragment,
        tab=tab,
        bookings=rows,
        offers=offers,
        page=page,
        previous_url=page_url(page - 1) if page > 1 else None,
        next_url=page_url(page + 1) if has_next else None,
    )


def check_in_code(reference: str) -> Markup:
    """The reference as an inline SVG QR code: built from our own reference only, no styles or scripts."""
    svg = segno.make_qr(reference, error="m").svg_inline(scale=4, light="#fff", dark="#000")
    return Markup(svg)  # noqa: S704 - generated by segno from a reference we issued


def cancellation_quote(booking: Booking, now: datetime) -> dict[str, Any]:
    """What cancelling now would mean, or why it isn't possible."""
    zone = timefmt.venue_zone(booking.venue)
    quote = lifecycle.quote_for(booking, now)
    allowed, reason = quote.allowed, quote.reason
    if booking.status != B.CONFIRMED:
        allowed = False
        reason = _(
            "This booking is “%(status)s”: it can't be cancelled.",
            status=lifecycle.STATUS_LABELS.get(booking.status, booking.status),
        )
    return {
        "allowed": allowed,
        "reason": reason,
        "refund": format_money(quote.refund_minor, booking.currency),
        "fee": format_money(quote.fee_minor, booking.currency),
        "has_fee": quote.fee_minor > 0,
        # The rest of a late-cancellation fee, charged to the saved card (a deposit or pay at the venue).
        "card_charge": format_money(quote.charge_minor, booking.currency) if quote.charge_minor else None,
        "free_until": timefmt.moment_label(quote.free_until, zone),
        "free_now": allowed and quote.fee_minor == 0 and quote.charge_minor == 0,
    }


REFUND_LABELS = {
    RefundStatus.PENDING: _l("Refund pending: on its way to your card"),
    RefundStatus.SUCCEEDED: _l("Refunded to your card"),
    RefundStatus.FAILED: _l("Refund failed: we're looking into it and will be in touch"),
}


def refund_rows(booking: Booking) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(Refund.booking_id == booking.id).order_by(Refund.id)))


@bp.get("/bookings/<reference>")
@login_required
@own_booking
def booking_detail(booking: Booking) -> Response:
    venue = booking.venue
    now = datetime.now(UTC)
    move = move_policy.customer_eligibility(booking, now) if booking.status == B.CONFIRMED else None
    return render_page(
        "booking/booking.html",
        booking=with_hold(booking_row(booking), booking, datetime.now(UTC)),
        code=check_in_code(booking.reference) if booking.status == B.CONFIRMED else None,
        venue_address=", ".join(p for p in (venue.address_line, venue.city, venue.postcode) if p),
        book_again=rebook_links([booking])[booking.id],  # with the same person when they still do it
        quote=cancellation_quote(booking, datetime.now(UTC)),
        has_calendar=booking.status not in (B.HELD, B.EXPIRED),
        refund=format_money(booking.refund_minor, booking.currency) if booking.status.startswith("cancelled") else None,
        refunds=[
            {
                "amount": format_money(r.amount_minor, r.currency),
                "status": r.status,
                "label": REFUND_LABELS.get(r.status, r.status),
                "when": timefmt.moment_label(r.settled_at or r.created_at, timefmt.venue_zone(venue)),
            }
            for r in refund_rows(booking)
        ],
        receipt_url=url_for("payments.receipt", order_id=booking.order_id) if booking.order.receipt_number else None,
        cancel_reason=booking.cancel_reason,
        review_link=review_link(booking),
        move=move,
        move_until=timefmt.moment_label(move.until, timefmt.venue_zone(venue)) if move and move.until else None,
        pending_move=pending_move_row(booking, now),
        thread=customer_thread(booking, now),
        intake_answers=answers_for_bookings([booking.id]).get(booking.id, []),
        tip=tip_panel(booking, current_user, now),  # after a visit: "Add a tip" (app/tips)
    )


def customer_thread(booking: Booking, now: datetime) -> dict[str, Any]:
    """The booking's messages with the venue; the venue's are now read."""
    messages.mark_read(booking, current_user._get_current_object(), now=now)
    return thread_context(booking, Side.CUSTOMER)


def pending_move_row(booking: Booking, now: datetime) -> dict[str, Any] | None:
    """A move to a dearer time waiting for its top-up: where to, how much, where to pay."""

    top_up = get_pending_top_up(booking.id) if booking.status == B.CONFIRMED else None
    if top_up is None:
        return None
    zone = timefmt.venue_zone(booking.venue)
    return {
        "when": f"{timefmt.moment_label(top_up.to_starts_at, zone)} ({zone.key})",
        "amount": format_money(top_up.amount_minor, top_up.currency),
        "url": url_for(".top_up_status", reference=booking.reference, top_up_id=top_up.id),
    }


def review_link(booking: Booking) -> str | None:
    """ "read" when the customer reviewed the booking, "write" when they may now, else None."""

    if find_review(booking.id) is not None:
        return "read"
    return "write" if eligibility(booking, datetime.now(UTC)).allowed else None


@bp.get("/bookings/<reference>/calendar.ics")
@login_required
@own_booking
def booking_calendar(booking: Booking) -> Response:
    if booking.status in (B.HELD, B.EXPIRED):
        abort(409, _("This booking isn't confirmed, so there's nothing to add to your calendar yet."))
    response = make_response(calendar([booking], name="CozyWish booking"))
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = f'attachment; filename="cozywish-{booking.reference}.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/bookings/<reference>/cancel", methods=["GET", "POST"])
@login_required
@own_booking
def cancel_booking(booking: Booking) -> Response:
    if request.method == "GET":
        return cancel_page(booking)
    on_refusal(lambda error: cancel_page(booking, error=error.message), kinds=(ValidationFailed, InvalidTransition))
    refund = lifecycle.cancel_by_customer(booking, customer=current_user)
    # In the same transaction: the refund is recorded and its gateway call queued (a job).
    payments.refund_booking(booking, refund, reason=f"Cancelled by the customer ({booking.reference})")
    amount = format_money(refund, booking.currency)
    flash(
        _("Cancelled. Refund due: %(amount)s — on its way back to your card.", amount=amount)
        if refund_rows(booking)
        else _("Cancelled. Refund due: %(amount)s.", amount=amount),
        "success",
    )
    return redirect(url_for(".booking_detail", reference=booking.reference), 303)


def cancel_page(booking: Booking, *, error: str | None = None) -> Response:
    """What cancelling would mean, and "Cancel"; with why not after a refusal (nothing changed)."""
    return render_page(
        "booking/cancel.html",
        booking=booking_row(booking),
        quote=cancellation_quote(booking, datetime.now(UTC)),
        form=ActionForm(formdata=None),
        error=error,
    )
