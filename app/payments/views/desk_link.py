"""The page a desk booking's payment link opens (``/payments/link/<order_id>/<token>``), for its
client, signed in or not: the booking and what is due, and "Pay" (a hosted checkout through the
gateway, app/payments/desk_links.py). A tampered link, or one naming another order, is a 404
that reveals nothing; an expired one a 410 saying to ask the venue; a paid booking says so (200),
a cancelled one too (409). The page is never stored (no-store)."""

from __future__ import annotations

from flask import redirect, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.booking.models import Booking
from app.payments import desk_links
from app.platform import timefmt
from app.platform.errors import DomainError
from app.platform.money import format_money
from app.web.blueprints import payments as bp
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

MAX_TOKEN = 300  # our tokens are about 90 characters; anything far longer is not one of ours


def no_store(response: Response) -> Response:
    """The link's page is the client's alone: never kept by a browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(booking: Booking | None, token: str, *, status: int = 200, error: str = "", state: str = "") -> Response:
    context: dict = {"booking": None, "error": error, "state": state, "token": token}
    if booking is not None:
        zone = timefmt.venue_zone(booking.venue)
        paid = desk_links.paid_by_link(booking)
        context.update(
            booking=booking,
            when=timefmt.span_label(booking.starts_at, booking.ends_at, zone),
            timezone=zone.key,
            due=format_money(booking.at_venue_minor, booking.currency),
            paid_amount=format_money(paid.amount_minor, paid.currency) if paid else "",
            confirming=request.args.get("paid") == "1" and state == desk_links.OPEN,
        )
    return no_store(render_page("payments/desk_link.html", status=status, **context))


def _link_refused(error: DomainError) -> Response:
    """A link we can't honour, revealing nothing of its booking: expired (410) or not valid (404)."""
    return _page(None, "", status=410 if isinstance(error, desk_links.LinkExpired) else 404, error=error.message)


def _read(order_id: int, token: str) -> Booking:
    """The booking the link names; a link we can't honour is answered by ``_link_refused``."""
    on_refusal(_link_refused, kinds=(desk_links.LinkExpired, desk_links.LinkNotValid))
    if len(token) > MAX_TOKEN:
        raise desk_links.LinkNotValid(_("This payment link is not valid."))
    return desk_links.read_link(order_id, token)


def _status(state: str) -> int:
    return 409 if state == desk_links.CANCELLED else 200


@bp.get("/link/<int:order_id>/<token>")
def desk_link(order_id: int, token: str) -> Response:
    booking = _read(order_id, token)
    state = desk_links.state_of(booking)
    return _page(booking, token, status=_status(state), state=state)


@bp.post("/link/<int:order_id>/<token>")
def desk_link_pay(order_id: int, token: str) -> Response:
    booking = _read(order_id, token)
    payment = desk_links.start_link_payment(booking)
    if payment is None:  # paid or cancelled meanwhile: nothing starts, the page says why
        state = desk_links.state_of(booking)
        return _page(booking, token, status=_status(state), error=desk_links.nothing_to_pay(state), state=state)
    return redirect(payment.checkout_url, 303)
