"""Builders for booking tests: an approved venue with hours, a service and team."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.booking.cart import CartOwner, add_item
from app.platform.extensions import db
from app.venues.hours import Range
from app.venues.lists import add_team_member
from app.venues.models import Venue, VenueStatus
from app.venues.service import create_venue, save_service, set_day_hours


def make_bookable_venue(
    owner, *, capacity: int = 1, team: int = 0, tz: str = "Europe/London", name: str = "Calm Rooms"
):
    """An approved venue open 09:00-18:00 every day, with one 60-minute service."""
    venue: Venue = create_venue(owner, name=name, category_id=None)
    venue.timezone = tz
    for weekday in range(7):
        set_day_hours(venue, weekday, [Range(9 * 60, 18 * 60)])
    service = save_service(
        venue,
        None,
        name="Deep tissue massage",
        description="",
        category_id=None,
        duration_minutes=60,
        price_minor=6000,
        capacity=capacity,
        buffer_minutes=0,
        is_active=True,
    )
    for n in range(team):
        add_team_member(venue, name=f"Therapist {n + 1}", title="", bio="", service_ids=[service.id])
    venue.status = VenueStatus.APPROVED
    db.session.flush()
    return venue, service


def future_slot(tz: str = "Europe/London", *, days: int = 3, hour: int = 10) -> datetime:
    """A start time ``days`` ahead at ``hour`` local, as an aware UTC datetime."""
    day: date = datetime.now(UTC).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def iso(moment: datetime) -> str:
    """A start time as the booking form sends it: UTC with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def put_in_cart(customer, service, *, days: int = 3, hour: int = 10, **fields) -> None:
    """One of ``service``'s times ``days`` ahead at ``hour`` in ``customer``'s cart (``fields``:
    add_item's others, an option say), as the booking page's form would add it."""
    add_item(
        CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(days=days, hour=hour),
        quantity=1,
        team_member_id=None,
        **fields,
    )


def cart_form(service, start: datetime, **fields) -> dict:
    """The fields of the booking page's "Add to cart" form, with ``fields`` overriding them."""
    form = {"service_id": str(service.id), "starts_at": iso(start), "team_member_id": "", "quantity": "1"}
    form.update({key: str(value) for key, value in fields.items()})
    return form


def book_path(venue, service, **params) -> str:
    """The booking page of ``service``, with query parameters (month, day, start)."""
    from urllib.parse import urlencode

    query = f"?{urlencode(params)}" if params else ""
    return f"/venues/{venue.slug}/book/{service.id}{query}"


def book(customer, service, starts_at: datetime, *, quantity: int = 1, team_member_id=None, confirm: bool = True):
    """A booking made the way customers make them: cart -> checkout -> paid with the Demo
    gateway's paying card, confirmed by settling its event (production's own path)."""
    from app.booking import cart
    from app.checkout import checkout
    from app.payments.demo_webhook import pay_by_demo_card

    owner = cart.CartOwner(user_id=customer.id)
    cart.add_item(owner, service_id=service.id, starts_at=starts_at, quantity=quantity, team_member_id=team_member_id)
    order = checkout.checkout(customer)
    if confirm:
        assert pay_by_demo_card(order) == "paid: bookings confirmed"
    db.session.flush()
    return order.bookings[0]


def move_to_past(booking, *, hours: int = 2) -> None:
    """Pretend the appointment started ``hours`` ago (bookings can't be made in the past)."""
    booking.shift(datetime.now(UTC) - timedelta(hours=hours) - booking.starts_at)
    db.session.flush()
