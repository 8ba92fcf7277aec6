"""``/api/v1/me/waitlist``: the customer's waitlist, as the waitlist pages (app/waitlist/views.py)
offer it: list my entries and open offers, join for a service's day (optionally within a window
and with one team member), leave, and answer an offer ("Book it" with the service's intake
questions, or "No thanks"). Each route calls the waitlist's own services
(app/waitlist/service.py, app/waitlist/offers.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort

from app.accounts.models import Role
from app.api import schemas
from app.api.lookups import own_order
from app.api.presenting import local, order_row
from app.api.routes import customer_route
from app.platform.urls import absolute_url
from app.venues.hours import format_minute, parse_minute
from app.waitlist import offers
from app.waitlist import service as waitlist
from app.waitlist.models import WaitlistEntry, WaitlistOffer
from app.waitlist.presenting import offer_questions


def require_customer() -> None:
    """The waitlist is a customer's (the pages' ``role_required(Role.CUSTOMER)``)."""
    if not current_user.has_role(Role.CUSTOMER):
        abort(403, message=_("Only customer accounts have a waitlist."))


def entry_row(entry: WaitlistEntry, position: int | None) -> dict:
    has_window = entry.window_start_minute is not None and entry.window_end_minute is not None
    return {
        "id": entry.id,
        "service_id": entry.service_id,
        "service": entry.service.name,
        "venue": entry.venue.name,
        "venue_slug": entry.venue.slug,
        "day": entry.day,
        "window_start": format_minute(entry.window_start_minute) if has_window else None,
        "window_end": format_minute(entry.window_end_minute) if has_window else None,
        "team_member_id": entry.team_member_id,
        "status": entry.status,
        "position": position,
        "created_at": entry.created_at,
    }


def offer_row(offer: WaitlistOffer) -> dict:
    zone = offer.service.venue.timezone
    return {
        "id": offer.id,
        "entry_id": offer.entry_id,
        "order_id": offer.order_id,
        "service_id": offer.service_id,
        "service": offer.service.name,
        "venue": offer.service.venue.name,
        "team_member_id": offer.team_member_id,
        "starts_at": local(offer.starts_at, zone),
        "ends_at": local(offer.ends_at, zone),
        "expires_at": offer.expires_at,
        "questions": [
            {k: q[k] for k in ("field", "text", "kind", "options", "required")} for q in offer_questions(offer)
        ],
    }


@customer_route("get", "/waitlist", 200, schemas.Waitlist)
def my_waitlist():
    """Your waitlist entries (live first, with your place in line, then the recently ended)
    and the offers open for you now, soonest to end first."""
    require_customer()
    now = datetime.now(UTC)
    return {
        "entries": [entry_row(e, p) for e, p in waitlist.find_my_entries(current_user.id, now=now)],
        "offers": [offer_row(o) for o in waitlist.find_open_offers(current_user.id, now=now)],
    }


def _window(data: dict) -> waitlist.Window | None:
    start, end = data.get("window_start"), data.get("window_end")
    if start is None and end is None:
        return None
    if start is None or end is None:
        missing = "window_start" if start is None else "window_end"
        message = _("Give both ends of the time window, or leave both empty.")
        abort(422, message=message, errors={"json": {missing: [message]}})
    try:
        return waitlist.Window(parse_minute(start), parse_minute(end, allow_midnight_end=True))
    except ValueError as exc:
        abort(422, message=str(exc), errors={"json": {"window_start": [str(exc)]}})
    return None  # unreachable: abort raises


@customer_route(
    "post",
    "/waitlist",
    201,
    schemas.WaitlistEntry,
    body=schemas.WaitlistJoinIn,
    alt=(404, "No such bookable service"),
    idempotent=True,
)
def join_waitlist(data):
    """Join the line for a service on one of the venue's days (what "Join the waitlist" on a
    booking page's full day does). Refused while a time that suits you is free (book it), twice
    for the same day, and past 20 live entries."""
    require_customer()
    window = _window(data)
    service = waitlist.get_joinable_service(data["service_id"])

    def join() -> tuple[WaitlistEntry, int | None]:
        entry = waitlist.join(
            current_user._get_current_object(),
            service=service,
            day=data["day"],
            window=window,
            team_member_id=data["team_member_id"],
        )
        return entry, waitlist.get_position(entry)

    entry, position = join()
    return entry_row(entry, position), 201, {"Location": absolute_url("api_customer.my_waitlist")}


@customer_route("delete", "/waitlist/<int:entry_id>", 204)
def leave_waitlist(entry_id: int):
    """Leave the line (an open offer of it is let go first); leaving twice is not an error."""
    require_customer()
    offers.leave(entry_id, current_user._get_current_object())


@customer_route(
    "post", "/waitlist/offers/<int:offer_id>/accept", 201, schemas.Order, body=schemas.OfferAcceptIn, idempotent=True
)
def accept_offer(data, offer_id: int):
    """ "Book it": the offer's held time becomes your order to pay (``POST /me/orders/{id}/payments``),
    held for checkout's usual time. The service's intake questions (the offer lists them) are
    answered in ``answers``, by their ``field``, unless your earlier booking's answers carry over."""
    require_customer()
    order = offers.accept(offer_id, current_user._get_current_object(), answers=data["answers"])
    order = own_order(order.id)
    return order_row(order), 201, {"Location": absolute_url("api_customer.order", order_id=order.id)}


@customer_route("post", "/waitlist/offers/<int:offer_id>/decline", 204)
def decline_offer(offer_id: int):
    """ "No thanks": the time goes to the next in line; you stay in line for other times."""
    require_customer()
    offers.decline(offer_id, current_user._get_current_object())
