"""The demo data a new user meets on `make run`: every approved demo venue takes bookings
(added to the cart and paid with the demo card through the pages), an older demo database is
repaired by seeding again. What the seed sells, and where: tests/demo/test_demo_catalogue.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from app.booking.availability import get_slots
from app.booking.models import Order, OrderStatus
from app.demo import venues as demo
from app.demo.seed import DEMO_ACCOUNTS, seed_demo
from app.memberships.models import MembershipPlan
from app.packages.models import Package
from app.payouts.models import AccountStatus, ConnectedAccount
from app.platform.extensions import db
from app.venues.models import Venue, VenueStatus
from tests.booking.helpers import cart_form
from tests.conftest import csrf_token
from tests.demo.helpers import plain_picture

PAYS = "4242 4242 4242 4242"
DEMO_PAGE_RE = re.compile(r"/payments/demo/(demo_cs_[A-Za-z0-9_-]+)$")
NAMED_PROVIDERS = [email for role, email, _ in DEMO_ACCOUNTS if role == "provider"]


@pytest.fixture
def strict(app, monkeypatch):
    """Development's and production's rule (the test configuration lifts it): only a venue with
    an enabled payout account takes paid bookings."""
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", False)


@pytest.fixture
def plain_pictures(monkeypatch):
    monkeypatch.setattr(demo, "illustration", plain_picture)


@pytest.fixture
def seeded(ctx, strict, plain_pictures):
    seed_demo()
    db.session.flush()


def approved_venues() -> list[Venue]:
    return list(db.session.scalars(select(Venue).where(Venue.status == VenueStatus.APPROVED).order_by(Venue.id)))


def first_free_start(venue: Venue) -> tuple:
    """The venue's first active service and its first free start from three days on."""
    service = venue.active_services[0]
    today = datetime.now(UTC).astimezone(ZoneInfo(venue.timezone)).date()
    for ahead in range(3, 60):
        if slots := get_slots(service, today + timedelta(days=ahead)):
            return service, slots[0].start
    raise AssertionError(f"{venue.name}: no free time in two months")


def book_and_pay(web, token: str, venue: Venue) -> tuple[int | None, str]:
    """Add the venue's service to the cart, check out and pay with the demo card through the
    pages: the order id, or None and what went wrong."""
    service, start = first_free_start(venue)
    added = web.post("/cart/items", {**cart_form(service, start), "csrf_token": token})
    if added.status_code != 303:
        return None, f"Add to cart answered {added.status_code}: {problem_of(added)}"
    checked_out = web.post("/checkout", {"csrf_token": token})
    if checked_out.status_code != 303 or "/orders/" not in checked_out.location:
        return None, f"checkout answered {checked_out.status_code}: {problem_of(checked_out)}"
    order_id = int(checked_out.location.rsplit("/", 1)[-1])
    started = web.post(f"/orders/{order_id}/pay", {"csrf_token": token})
    match = DEMO_PAGE_RE.search(started.location or "")
    if started.status_code != 303 or not match:
        return None, f"Pay answered {started.status_code}: {problem_of(started)}"
    paid = web.post(
        f"/payments/demo/{match.group(1)}/pay",
        {"card_number": PAYS, "expiry": "12/34", "cvc": "123", "csrf_token": token},
    )
    if paid.status_code != 303:
        return None, f"the demo card answered {paid.status_code}: {problem_of(paid)}"
    return order_id, ""


def problem_of(response) -> str:
    """The page's alert (or its start): why a step was refused."""
    page = unescape(response.get_data(as_text=True))
    alert = re.search(r'class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", alert.group(1) if alert else page[:300])).strip()


def test_every_approved_demo_venue_takes_a_booking_paid_with_the_demo_card(seeded, web, customer, run_jobs):
    venues = approved_venues()
    assert len(venues) == 23
    web.sign_in_as(customer)
    token = csrf_token(web.client, "/cart")

    orders, refused = {}, []
    for venue in venues:
        order_id, problem = book_and_pay(web, token, venue)
        if order_id is None:
            refused.append(f"{venue.name} (#{venue.id}): {problem}")
        else:
            orders[venue.name] = order_id
    assert refused == [], "demo venues that can't take a paid booking:\n" + "\n".join(refused)

    # The demo card's events are settled by jobs, as in production (after the seed's own jobs).
    for _batch in range(50):
        if not run_jobs():
            break
    db.session.expire_all()
    unpaid = [name for name, order_id in orders.items() if db.session.get(Order, order_id).status != OrderStatus.PAID]
    assert unpaid == []


def test_seeding_again_connects_the_approved_venues_an_older_seed_left_without_payouts(plain_pictures, seeded):
    """Seeding again adds what an older seed lacked (payouts) and nothing twice (packages, memberships)."""
    # What a database seeded before looks like: only the named providers' venues connected.
    owners = {v.id: v.owner.email for v in db.session.scalars(select(Venue))}
    older = [venue_id for venue_id, email in owners.items() if email not in NAMED_PROVIDERS]
    db.session.execute(delete(ConnectedAccount).where(ConnectedAccount.venue_id.in_(older)))
    db.session.flush()
    # Every venue taking payments sells a package and a membership (app/demo/courses.py), once.
    venue_ids = {v.id for v in approved_venues()}
    assert venue_ids <= set(db.session.scalars(select(Package.venue_id)))
    assert venue_ids <= set(db.session.scalars(select(MembershipPlan.venue_id)))
    courses = [db.session.scalar(select(func.count(model.id))) for model in (Package, MembershipPlan)]

    seed_demo()
    db.session.flush()
    assert [db.session.scalar(select(func.count(model.id))) for model in (Package, MembershipPlan)] == courses

    enabled = set(
        db.session.scalars(select(ConnectedAccount.venue_id).where(ConnectedAccount.status == AccountStatus.ENABLED))
    )
    missing = [v.name for v in approved_venues() if v.id not in enabled]
    assert missing == []
    # The generated owners' drafts, pending and rejected venues stay unconnected (nobody signs
    # in as them); the named providers' venues are connected whatever their state.
    for venue in db.session.scalars(select(Venue)):
        connected = venue.id in enabled
        if venue.owner.email in NAMED_PROVIDERS or venue.status in (VenueStatus.APPROVED, VenueStatus.SUSPENDED):
            assert connected, venue.name
        else:
            assert not connected, venue.name
