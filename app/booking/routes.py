"""Customer-facing booking pages: the booking flow on a venue page, the cart, checkout and
"My bookings".

Each route loads (404), checks who may act (403), validates, calls a service in
``app.booking`` and commits once. Templates get decided, plain values built here.
Anonymous visitors may fill a cart (a random token in the session); venue and admin
accounts can look but not book.
"""

from __future__ import annotations

import calendar as month_grid
import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import segno
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.accounts.models import Role
from app.booking import cart as carts
from app.booking import checkout as checkouts
from app.booking import lifecycle
from app.booking.availability import get_bookable_days, get_slots
from app.booking.errors import CartItemInvalid, SlotUnavailable
from app.booking.forms import (
    MAX_ID,
    MAX_QUANTITY,
    ActionForm,
    AddToCartForm,
    BadInput,
    QuantityForm,
    format_instant,
    parse_day,
    parse_instant,
    parse_month,
)
from app.booking.ics import calendar
from app.booking.models import Booking, BookingStatus, CartItem, Order, OrderStatus
from app.booking.policy import describe_policy, quote_cancellation
from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.payments import service as payments
from app.payments.gateway import GatewayError
from app.payments.models import Refund, RefundStatus
from app.rendering import add_toast, is_htmx, render_page
from app.scheduling import Slot
from app.venues.models import Service, Venue, VenueStatus
from app.venues.slugs import find_venue_by_any_slug

bp = Blueprint("booking", __name__)

LOCALE = "en_GB"
CART_TOKEN = "cart_token"  # noqa: S105 - the session key of the anonymous cart, not a secret
NOT_FOR_BOOKING = "Venue and admin accounts can't book. Sign in with a customer account to book."
# HTMX asks for one part of the booking page by the id of the element it swaps.
BOOK_FRAGMENTS = {"booking-picker": "picker", "booking-slots": "slots", "slot-details": "details"}
B = BookingStatus


# -- who is booking ----------------------------------------------------------------------------


def may_book() -> bool:
    """Customers and anonymous visitors book; venue and admin accounts don't."""
    return not current_user.is_authenticated or current_user.has_role(Role.CUSTOMER)


def require_booker() -> None:
    if not may_book():
        abort(403, NOT_FOR_BOOKING)


def get_cart_owner(*, create: bool = False) -> carts.CartOwner | None:
    """The signed-in customer's cart, or the session's anonymous one (made on first add)."""
    if current_user.is_authenticated:
        return carts.CartOwner(user_id=current_user.id)
    token = session.get(CART_TOKEN)
    if not isinstance(token, str) or not token:
        if not create:
            return None
        token = secrets.token_urlsafe(24)
        session[CART_TOKEN] = token
    return carts.CartOwner(token=token)


def count_cart_items() -> int:
    if not may_book():
        return 0
    owner = get_cart_owner()
    if owner is None:
        return 0
    query = select(func.count()).select_from(CartItem).where(owner.where(), CartItem.expires_at > datetime.now(UTC))
    try:
        return db.session.scalar(query) or 0
    except SQLAlchemyError:  # an error page after a database failure still renders its navbar
        return 0


@bp.app_context_processor
def cart_badge() -> dict[str, Any]:
    # A function, so only templates that show the badge (the navbar) run the query.
    return {"cart_count": count_cart_items}


# -- display helpers ---------------------------------------------------------------------------


def money(minor: int, currency: str) -> str:
    return format_currency(Decimal(minor) / 100, currency, locale=LOCALE)


def zone_of(venue: Venue) -> ZoneInfo:
    try:
        return ZoneInfo(venue.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when_label(moment: datetime, zone: ZoneInfo) -> str:
    return format_datetime(moment.astimezone(zone), "EEE d MMM yyyy, HH:mm", locale=LOCALE)


def day_label(day: date) -> str:
    return format_date(day, "EEEE d MMMM yyyy", locale=LOCALE)


def duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return " ".join(([f"{hours} h"] if hours else []) + ([f"{rest} min"] if rest or not hours else []))


def with_vary(response: Response, *headers: str) -> Response:
    for header in headers:
        response.vary.add(header)
    return response


def nav_cart_oob() -> str:
    """The navbar's cart link, for HTMX to swap out-of-band after a cart change."""
    return render_template("booking/_nav_cart.html", oob=True)


# -- the booking flow --------------------------------------------------------------------------


def get_bookable_service(slug: str, service_id: int) -> tuple[Venue, Service]:
    """The venue's active service, only while the venue is approved; everything else is 404."""
    venue = find_venue_by_any_slug(slug)
    service = db.session.get(Service, service_id) if service_id <= MAX_ID else None
    if venue is None or service is None or service.venue_id != venue.id:
        abort(404)
    if not service.is_active or venue.status != VenueStatus.APPROVED:
        abort(404)
    return venue, service


def book_fragment() -> str | None:
    if request.headers.get("HX-History-Restore-Request"):
        return None  # htmx rebuilding a page from history wants the whole page
    return BOOK_FRAGMENTS.get(request.headers.get("HX-Target", ""), "picker")


@bp.get("/venues/<slug>/book/<int:service_id>")
def book(slug: str, service_id: int) -> Response:
    venue, service = get_bookable_service(slug, service_id)
    if slug != venue.slug:
        kept = {key: request.args[key] for key in ("month", "day", "start") if key in request.args}
        return redirect(url_for(".book", slug=venue.slug, service_id=service.id, **kept), 301)
    try:
        month = parse_month(request.args["month"]) if "month" in request.args else None
        day = parse_day(request.args["day"]) if "day" in request.args else None
        start = parse_instant(request.args["start"]) if "start" in request.args else None
    except BadInput as exc:
        abort(400, str(exc))
    page = build_booking_page(venue, service, month=month, day=day, start=start, now=datetime.now(UTC))
    return with_vary(render_page("booking/book.html", book_fragment(), **page), "HX-Target")


def build_booking_page(
    venue: Venue,
    service: Service,
    *,
    month: date | None,
    day: date | None,
    start: datetime | None,
    now: datetime,
    error: str | None = None,
    chosen: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Calendar, the chosen day's times and the chosen time's form, as plain values."""
    zone = zone_of(venue)
    today = now.astimezone(zone).date()
    last_day = (now + timedelta(days=current_app.config["BOOKING_MAX_ADVANCE_DAYS"])).astimezone(zone).date()
    if start is not None:
        day = start.astimezone(zone).date()
    month = month or (day or today).replace(day=1)
    month = min(max(month, today.replace(day=1)), last_day.replace(day=1))
    slots, day_message = day_slots(service, day, today=today, last_day=last_day, now=now)
    slot = next((s for s in slots if s.start == start), None) if start else None

    def link(**args: Any) -> str:
        return url_for(".book", slug=venue.slug, service_id=service.id, **args)

    return {
        "venue": {"name": venue.name, "url": url_for("venues_public.venue_page", slug=venue.slug)},
        "service": {
            "id": service.id,
            "name": service.name,
            "description": service.description,
            "price": money(service.price_minor, service.currency),
            "duration": duration_label(service.duration_minutes),
            "policy": describe_policy(service.cancel_free_hours, service.cancel_late_fee_percent),
        },
        "timezone": zone.key,
        "calendar": month_calendar(service, month, today=today, last_day=last_day, selected=day, now=now, link=link),
        "day": day.isoformat() if day else None,
        "day_label": day_label(day) if day else None,
        "day_message": day_message,
        "slots": [
            {
                "time": format_datetime(s.start.astimezone(zone), "HH:mm", locale=LOCALE),
                "remaining": s.remaining,
                "url": link(month=month.strftime("%Y-%m"), day=day.isoformat(), start=format_instant(s.start)),
                "selected": s.start == start,
            }
            for s in slots
        ],
        "choice": slot_choice(venue, service, slot, zone, chosen) if slot else None,
        "start_missing": start is not None and slot is None,
        "may_book": may_book(),
        "error": error,
        "added": None,
        "retry_url": link(month=month.strftime("%Y-%m"), day=day.isoformat()) if day else link(),
    }


def day_slots(
    service: Service, day: date | None, *, today: date, last_day: date, now: datetime
) -> tuple[list[Slot], str | None]:
    if day is None:
        return [], None
    if day < today:
        return [], "That day has passed. Choose today or a later day."
    if day > last_day:
        days = current_app.config["BOOKING_MAX_ADVANCE_DAYS"]
        return [], f"Bookings open up to {days} days ahead. Choose an earlier day."
    slots = get_slots(service, day, now=now)
    if not slots:
        return [], f"No times left on {day_label(day)}: it's fully booked or closed. Try another day."
    return slots, None


def month_calendar(
    service: Service, month: date, *, today: date, last_day: date, selected: date | None, now: datetime, link: Any
) -> dict[str, Any]:
    """A month grid (Monday first) with each bookable day's number of free times."""
    month_end = month.replace(day=month_grid.monthrange(month.year, month.month)[1])
    first, last = max(month, today), min(month_end, last_day)
    counts = get_bookable_days(service, first, (last - first).days + 1, now=now) if first <= last else {}
    key = month.strftime("%Y-%m")
    weeks = []
    for week in month_grid.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        cells = []
        for d in week:
            if d.month != month.month:
                cells.append(None)
                continue
            free = counts.get(d, 0)
            state = "past" if d < today else ("open" if free else "full")
            status = {"past": "past", "open": f"{free} time{'s' if free != 1 else ''} free", "full": ""}[state]
            cells.append(
                {
                    "number": d.day,
                    "iso": d.isoformat(),
                    "state": state,
                    "label": f"{day_label(d)}, {status}" if status else day_label(d),
                    "url": link(month=key, day=d.isoformat()) if state == "open" else None,
                    "selected": d == selected,
                    "today": d == today,
                }
            )
        weeks.append(cells)
    previous = (month - timedelta(days=1)).replace(day=1)
    following = month_end + timedelta(days=1)
    return {
        "label": format_date(month, "MMMM yyyy", locale=LOCALE),
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "weeks": weeks,
        "previous_url": link(month=previous.strftime("%Y-%m")) if month > today.replace(day=1) else None,
        "next_url": link(month=following.strftime("%Y-%m")) if following <= last_day else None,
        "has_free_days": any(counts.values()),
    }


def slot_choice(
    venue: Venue, service: Service, slot: Slot, zone: ZoneInfo, chosen: dict[str, Any] | None
) -> dict[str, Any]:
    """The form for one free time: who (any, or a free team member) and how many."""
    free = set(slot.team_member_ids)
    chosen = chosen or {}
    return {
        "label": f"{when_label(slot.start, zone)}–{format_datetime(slot.end.astimezone(zone), 'HH:mm', locale=LOCALE)}",
        "starts_at": format_instant(slot.start),
        "members": [{"id": m.id, "name": m.name} for m in venue.team if m.id in free],
        "max_quantity": min(slot.remaining, MAX_QUANTITY),
        "remaining": slot.remaining,
        "quantity": chosen.get("quantity") or 1,
        "member_id": chosen.get("member_id"),
    }


# -- the cart ----------------------------------------------------------------------------------


@bp.post("/cart/items")
def add_to_cart() -> Response:
    require_booker()
    form = AddToCartForm()
    if not form.validate():
        return refuse_item(form, form.first_error(), 400)
    owner = get_cart_owner(create=True)
    try:
        item = carts.add_item(
            owner,
            service_id=form.service_id.data,
            starts_at=form.start,
            quantity=form.quantity.data,
            team_member_id=form.member_id,
        )
    except CartItemInvalid as exc:
        db.session.rollback()
        return refuse_item(form, exc.message, exc.status_code)
    db.session.commit()
    service = item.service
    message = f"Added {service.name} to your cart."
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for(".cart"), 303)
    page = build_booking_page(service.venue, service, month=None, day=None, start=item.starts_at, now=datetime.now(UTC))
    page["added"] = {"message": message, "cart_url": url_for(".cart")}
    response = render_page("booking/book.html", "details", **page)
    response.set_data(response.get_data(as_text=True) + nav_cart_oob())
    return add_toast(response, message)


def refuse_item(form: AddToCartForm, message: str, status: int) -> Response:
    """Show why an item can't go in the cart, on the booking page it came from."""
    service = db.session.get(Service, form.service_id.data) if form.service_id.data else None
    if service is None or not service.is_active or service.venue.status != VenueStatus.APPROVED:
        abort(status, message)
    start = getattr(form, "start", None)
    chosen = {"quantity": form.quantity.data, "member_id": getattr(form, "member_id", None)}
    page = build_booking_page(
        service.venue, service, month=None, day=None, start=start, now=datetime.now(UTC), error=message, chosen=chosen
    )
    return render_page("booking/book.html", "details", status=status, **page)


@bp.get("/cart", endpoint="cart")
def show_cart() -> Response:
    require_booker()
    return render_page("booking/cart.html", "cart", **build_cart_page(get_cart_owner(), now=datetime.now(UTC)))


def build_cart_page(
    owner: carts.CartOwner | None, *, now: datetime, errors: dict[int, str] | None = None
) -> dict[str, Any]:
    view = carts.view_cart(owner, now=now) if owner else carts.CartView(groups=[], currency=None)
    errors = errors or {}
    groups = []
    for group in view.groups:
        zone = zone_of(group.venue)
        groups.append(
            {
                "venue": {"name": group.venue.name, "url": url_for("venues_public.venue_page", slug=group.venue.slug)},
                "total": money(group.total_minor, view.currency or "GBP"),
                "lines": [cart_line(line, zone, errors.get(line.item.id)) for line in group.lines],
            }
        )
    return {
        "groups": groups,
        "count": len(view.lines),
        "total": money(view.total_minor, view.currency or "GBP"),
        "has_problems": any(line.problem for line in view.lines),
        "signed_in": current_user.is_authenticated,
    }


def cart_line(line: carts.CartLine, zone: ZoneInfo, error: str | None) -> dict[str, Any]:
    item, service = line.item, line.service
    # One person with a chosen team member; otherwise up to the places left (or what's chosen).
    max_quantity = 1 if item.team_member_id is not None else min(MAX_QUANTITY, max(line.remaining, item.quantity))
    local_day = item.starts_at.astimezone(zone).date()
    return {
        "id": item.id,
        "service": service.name,
        "when": when_label(item.starts_at, zone),
        "timezone": zone.key,
        "member": item.team_member.name if item.team_member else "Any available",
        "quantity": item.quantity,
        "max_quantity": max_quantity,
        "unit_price": money(line.unit_price_minor, service.currency),
        "total": money(line.total_minor, service.currency),
        "expires": when_label(item.expires_at, zone),
        "policy": line.policy,
        "problem": line.problem,
        "error": error,
        "other_time_url": url_for(
            ".book", slug=line.venue.slug, service_id=service.id, month=local_day.strftime("%Y-%m")
        ),
    }


def cart_changed(message: str | None, *, error: tuple[int, str] | None = None, status: int = 200) -> Response:
    """After a cart change: the fresh cart block for HTMX (with a toast), else a redirect."""
    if not is_htmx() and error is None:
        flash(message, "success")
        return redirect(url_for(".cart"), 303)
    errors = dict([error]) if error else None
    page = build_cart_page(get_cart_owner(), now=datetime.now(UTC), errors=errors)
    response = render_page("booking/cart.html", "cart", status=status, **page)
    if is_htmx():
        response.set_data(response.get_data(as_text=True) + nav_cart_oob())
        if message:
            add_toast(response, message)
    return response


def get_own_cart_item(item_id: int) -> tuple[carts.CartOwner, CartItem]:
    require_booker()
    owner = get_cart_owner()
    item = carts.get_item(owner, item_id) if owner and item_id <= MAX_ID else None
    if owner is None or item is None:
        abort(404, "That item is not in your cart.")
    return owner, item


@bp.post("/cart/items/<int:item_id>")
def update_item(item_id: int) -> Response:
    owner, item = get_own_cart_item(item_id)
    form = QuantityForm()
    if not form.validate():
        message = next(iter(form.quantity.errors or ["Check the number of people."]))
        return cart_changed(None, error=(item_id, message), status=400)
    try:
        carts.update_quantity(owner, item_id, form.quantity.data)
    except CartItemInvalid as exc:
        db.session.rollback()
        return cart_changed(None, error=(item_id, exc.message), status=exc.status_code)
    db.session.commit()
    people = form.quantity.data
    return cart_changed(f"Updated {item.service.name} to {people} {'person' if people == 1 else 'people'}.")


@bp.post("/cart/items/<int:item_id>/delete")
def remove_item(item_id: int) -> Response:
    owner, item = get_own_cart_item(item_id)
    name = item.service.name
    carts.remove_item(owner, item_id)
    db.session.commit()
    return cart_changed(f"Removed {name} from your cart.")


# -- checkout and orders -----------------------------------------------------------------------


@bp.post("/checkout")
def checkout() -> Response:
    if not current_user.is_authenticated:
        flash("Sign in or create an account to check out. Your cart comes with you.", "info")
        return redirect(url_for("accounts.sign_in", next=url_for(".cart")), 303)
    require_booker()
    try:
        order = checkouts.checkout(current_user)
    except (SlotUnavailable, ValidationFailed) as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".cart"), 303)
    db.session.commit()
    return redirect(url_for(".order", order_id=order.id), 303)


def get_own_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id) if order_id <= MAX_ID else None
    if order is None or order.customer_id != current_user.id:
        abort(404)  # someone else's order is indistinguishable from a missing one
    return order


@bp.get("/orders/<int:order_id>")
@login_required
def order(order_id: int) -> Response:
    return render_page("booking/order.html", **build_order_page(get_own_order(order_id), now=datetime.now(UTC)))


@bp.post("/orders/<int:order_id>/pay")
@login_required
def pay_order(order_id: int) -> Response:
    """Start (or resume) the hosted checkout for the order's held bookings, then go there.

    The amount is the server's sum of the held bookings; nothing in the form is read.
    """
    get_own_order(order_id)  # 404 before taking a lock on someone else's order
    locked = select(Order).where(Order.id == order_id).with_for_update().execution_options(populate_existing=True)
    order = db.session.scalars(locked).one()  # two clicks start one checkout
    now = datetime.now(UTC)
    try:
        if order.status == OrderStatus.PENDING_PAYMENT and order.hold_expires_at <= now:
            raise InvalidTransition("The hold on these times has expired. Add them to your cart again.")
        payment = payments.start_payment(order)
    except (InvalidTransition, GatewayError) as exc:
        db.session.rollback()
        page = build_order_page(get_own_order(order_id), now=now, error=exc.message)
        return render_page("booking/order.html", status=exc.status_code, **page)
    db.session.commit()
    return redirect(payment.checkout_url, 303)


def build_order_page(order: Order, *, now: datetime, error: str | None = None) -> dict[str, Any]:
    bookings = order.bookings
    zone = zone_of(bookings[0].venue) if bookings else ZoneInfo("UTC")
    pending = order.status == OrderStatus.PENDING_PAYMENT
    open_payment = payments.get_open_payment(order) if pending else None
    return {
        "order": {
            "id": order.id,
            "status": order.status,
            "total": money(order.total_minor, order.currency),
            "hold_expires_iso": order.hold_expires_at.astimezone(UTC).isoformat(timespec="seconds"),
            "hold_expires_label": when_label(order.hold_expires_at, zone),
            "timezone": zone.key,
        },
        "bookings": [booking_row(b) for b in bookings],
        "can_pay": pending and order.hold_expires_at > now,
        "payment_started": open_payment is not None,
        "hold_expired": order.status == OrderStatus.EXPIRED or (pending and order.hold_expires_at <= now),
        "payment_failed": order.status == OrderStatus.FAILED,
        "paid": order.status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED),
        "receipt_url": url_for("payments.receipt", order_id=order.id) if order.receipt_number else None,
        "error": error,
    }


# -- my bookings -------------------------------------------------------------------------------


def booking_row(booking: Booking) -> dict[str, Any]:
    zone = zone_of(booking.venue)
    return {
        "reference": booking.reference,
        "url": url_for(".booking_detail", reference=booking.reference),
        "service": booking.service.name,
        "venue": booking.venue.name,
        "venue_url": url_for("venues_public.venue_page", slug=booking.venue.slug),
        "when": when_label(booking.starts_at, zone),
        "ends": format_datetime(booking.ends_at.astimezone(zone), "HH:mm", locale=LOCALE),
        "timezone": zone.key,
        "member": booking.team_member.name if booking.team_member else None,
        "quantity": booking.quantity,
        "unit_price": money(booking.unit_price_minor, booking.currency),
        "total": money(booking.total_minor, booking.currency),
        "status": booking.status,
        "status_label": lifecycle.STATUS_LABELS.get(booking.status, booking.status),
        "policy": describe_policy(booking.cancel_free_hours, booking.cancel_late_fee_percent),
        "order_url": url_for(".order", order_id=booking.order_id),
    }


def find_my_bookings(customer_id: int, tab: str, now: datetime) -> list[Booking]:
    upcoming = (Booking.starts_at > now) & (
        (Booking.status == B.CONFIRMED) | ((Booking.status == B.HELD) & (Booking.hold_expires_at > now))
    )
    past = Booking.status.notin_([B.HELD, B.EXPIRED]) & or_(Booking.starts_at <= now, Booking.status != B.CONFIRMED)
    query = (
        select(Booking)
        .where(Booking.customer_id == customer_id, upcoming if tab == "upcoming" else past)
        .options(selectinload(Booking.venue), selectinload(Booking.service), selectinload(Booking.team_member))
        .order_by(Booking.starts_at if tab == "upcoming" else Booking.starts_at.desc())
        .limit(200)
    )
    return list(db.session.scalars(query))


@bp.get("/bookings")
@login_required
def my_bookings() -> Response:
    tab = "past" if request.args.get("tab") == "past" else "upcoming"
    rows = [booking_row(b) for b in find_my_bookings(current_user.id, tab, datetime.now(UTC))]
    fragment = None if request.headers.get("HX-History-Restore-Request") else "bookings_list"
    return render_page("booking/my_bookings.html", fragment, tab=tab, bookings=rows)


def get_own_booking(reference: str) -> Booking:
    booking = None
    if len(reference) <= 16:
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference.upper()))
    if booking is None or booking.customer_id != current_user.id:
        abort(404)
    return booking


def check_in_code(reference: str) -> Markup:
    """The reference as an inline SVG QR code: built from our own reference only, no styles or scripts."""
    svg = segno.make(reference, error="m").svg_inline(scale=4, light="#fff", dark="#000")
    return Markup(svg)  # noqa: S704 - generated by segno from a reference we issued


def cancellation_quote(booking: Booking, now: datetime) -> dict[str, Any]:
    """What cancelling now would mean, or why it isn't possible."""
    zone = zone_of(booking.venue)
    quote = quote_cancellation(
        paid_minor=booking.total_minor,
        starts_at=booking.starts_at,
        now=now,
        free_hours=booking.cancel_free_hours,
        late_fee_percent=booking.cancel_late_fee_percent,
    )
    allowed, reason = quote.allowed, quote.reason
    if booking.status != B.CONFIRMED:
        allowed = False
        reason = (
            f"This booking is “{lifecycle.STATUS_LABELS.get(booking.status, booking.status)}”: it can't be cancelled."
        )
    return {
        "allowed": allowed,
        "reason": reason,
        "refund": money(quote.refund_minor, booking.currency),
        "fee": money(quote.fee_minor, booking.currency),
        "has_fee": quote.fee_minor > 0,
        "free_until": when_label(quote.free_until, zone),
        "free_now": allowed and quote.fee_minor == 0,
    }


REFUND_LABELS = {
    RefundStatus.PENDING: "Refund pending: on its way to your card",
    RefundStatus.SUCCEEDED: "Refunded to your card",
    RefundStatus.FAILED: "Refund failed: we're looking into it and will be in touch",
}


def refund_rows(booking: Booking) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(Refund.booking_id == booking.id).order_by(Refund.id)))


@bp.get("/bookings/<reference>")
@login_required
def booking_detail(reference: str) -> Response:
    booking = get_own_booking(reference)
    service, venue = booking.service, booking.venue
    return render_page(
        "booking/booking.html",
        booking=booking_row(booking),
        code=check_in_code(booking.reference) if booking.status == B.CONFIRMED else None,
        venue_address=", ".join(p for p in (venue.address_line, venue.city, venue.postcode) if p),
        book_again_url=(
            url_for(".book", slug=venue.slug, service_id=service.id)
            if service.is_active and venue.status == VenueStatus.APPROVED
            else None
        ),
        quote=cancellation_quote(booking, datetime.now(UTC)),
        has_calendar=booking.status not in (B.HELD, B.EXPIRED),
        refund=money(booking.refund_minor, booking.currency) if booking.status.startswith("cancelled") else None,
        refunds=[
            {
                "amount": money(r.amount_minor, r.currency),
                "status": r.status,
                "label": REFUND_LABELS.get(r.status, r.status),
                "when": when_label(r.settled_at or r.created_at, zone_of(venue)),
            }
            for r in refund_rows(booking)
        ],
        receipt_url=url_for("payments.receipt", order_id=booking.order_id) if booking.order.receipt_number else None,
        cancel_reason=booking.cancel_reason,
    )


@bp.get("/bookings/<reference>/calendar.ics")
@login_required
def booking_calendar(reference: str) -> Response:
    booking = get_own_booking(reference)
    if booking.status in (B.HELD, B.EXPIRED):
        abort(409, "This booking isn't confirmed, so there's nothing to add to your calendar yet.")
    response = make_response(calendar([booking], name="CozyWish booking"))
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = f'attachment; filename="cozywish-{booking.reference}.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/bookings/<reference>/cancel", methods=["GET", "POST"])
@login_required
def cancel_booking(reference: str) -> Response:
    booking = get_own_booking(reference)
    error, status = None, 200
    if request.method == "POST":
        try:
            refund = lifecycle.cancel_by_customer(booking, customer=current_user)
            # In the same transaction: the refund is recorded and its gateway call queued (a job).
            payments.refund_booking(booking, refund, reason=f"Cancelled by the customer ({booking.reference})")
        except (ValidationFailed, InvalidTransition) as exc:
            db.session.rollback()
            booking = get_own_booking(reference)
            error, status = exc.message, exc.status_code
        else:
            db.session.commit()
            note = " — on its way back to your card." if refund_rows(booking) else "."
            flash(f"Cancelled. Refund due: {money(refund, booking.currency)}{note}", "success")
            return redirect(url_for(".booking_detail", reference=booking.reference), 303)
    return render_page(
        "booking/cancel.html",
        status=status,
        booking=booking_row(booking),
        quote=cancellation_quote(booking, datetime.now(UTC)),
        form=ActionForm(formdata=None),
        error=error,
    )
