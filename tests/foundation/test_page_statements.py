"""Each page sends the same number of SQL statements whether it shows N things or 3N: no
lazy load per service, team member, photo, review, booking, cart item or venue card.

Every page is asked for twice, with caches emptied first (the cold path is the one that does
the most): once on a world with N of each shown thing, then after a world with 3N has joined it
(a venue's own page shows 3N; search, home and the approval queue show 4N venues). The counts
must be equal, and under a modest ceiling. This is a test of behaviour, not of timing: the
timing is bench/pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.platform.extensions import cache, db
from app.saved.models import SavedVenue
from app.venues.models import Category, OpeningHours, Service, TeamMember, Venue, VenueImage, VenueStatus
from app.venues.slugs import assign_slug, slugify
from bench.pages.showcase import CART_DAY, TZ, Showcase, build_showcase
from search.backend import get_backend
from tests.statements import statements_sent

# How many of each shown thing a world has at scale 1; the other world has three times as many
# (team members: 1 and 3, the limit is 5).
SCALE_1 = {"services": 2, "team": 1, "photos": 2, "reviews": 2, "bookings": 12, "cart_items": 1, "order_items": 1}
# The test harness's own savepoints (each request's session joins the test's transaction).
CARD_PAGES = ("home", "search", "search_geo", "category", "saved", "home_customer", "similar", "recently_viewed")
CARD_LINK = 'class="stretched-link'
OTHER_VENUES = 2  # venue cards on search, category and home pages; venues in the approval queue

# The most statements each page may send (cold caches, signed in where the page needs it): what
# each sent on 2026-11-22, plus two for a cache-version read or a check added later.
# Card pages include their reads of the cache version (tests set CACHE_VERSION_TTL to 0, so
# every read asks PostgreSQL; in production a process asks at most once a second).
CEILING = {
    "venue": 14,  # 12, +1 the venue's packages (app/packages: one statement, however many), +1 its memberships
    # (app/memberships: one statement for the plans and the services' member prices)
    "home": 25,  # 22, and two for "Trending near you" (its venue ids, then their documents), +1 when
    # "Top rated" finds too few rated venues that take bookings: the rated ones that can't yet follow
    "search": 16,
    "search_geo": 17,  # 16, +1 the typed place ("near=London") resolved through the gazetteer
    "category": 18,
    "booking": 11,  # 9, +1 the service's add-ons (the header's checkboxes; not read for a day's times), +1 the
    # venue's memberships (app/memberships: the member's price under the price; not read for a day's times)
    "day_slots": 9,
    "cart": 15,  # 13, +1 the promo code in the cart (one read by key, whatever the items), +1 the
    # customer's packages for the cart's services (app/packages: one statement; their use only when one matches)
    # +1 the customer's memberships giving their benefits (app/memberships: one statement, none for a visitor)
    # -1 the navbar's count: the items the page itself read (cart_items_counted)
    "order": 7,  # 9 until the bookings' venues, services and team members came joined to the bookings
    "after_paying": 6,  # the page after paying (app/payments/views/pay.py, "returned"): its bookings' rows
    # were read one booking at a time before they came with the order (ORDER_BOOKINGS)
    "my_bookings": 8,  # 7, +1 the customer's open waitlist offers (the banner)
    "my_bookings_past": 8,  # the past tab: a page of 20 however many visits (issue 46, item 5)
    "calendar_week": 16,  # 11, +1 who works when (one statement), +1 since the private page cache merged beside it,
    # +1 who waits on each day (the waitlist's counts), -1 the grid's and the cancelled bookings read at once (here no
    # booking is cancelled; a week with cancellations saves 4: their customers, services and team members too),
    # +1 the rooms and equipment the bookings hold (one statement for all of them; none without bookings),
    # +1 the bookings' add-ons as booked ("Massage (90 min) + Hot stones"; one statement for all of them)
    # +1 the cards' flags (channel, new client, intake answers: one statement for all), +1 the bookings'
    # clients (a walk-in's name, client notes: one statement for all, none when no booking names one)
    "admin_queue": 9,
    "saved": 17,
    "home_customer": 32,
    "similar": 16,
    "recently_viewed": 14,
    "place_suggestions": 4,  # the "where" field's options: one indexed statement
}


@dataclass
class World:
    show: Showcase
    provider: object
    admin: object
    others: list


def approved_venue(owner, n: int, now: datetime, category_id: int) -> Venue:
    """A small massage venue in London with a cover photo, one service, a team member and hours."""
    name = f"Quiet Massage Room {owner.id}-{n}"
    venue = Venue(
        owner_id=owner.id,
        name=name,
        slug=slugify(name),
        description="Massage by the park.",
        category_id=category_id,
        city="London",
        latitude=51.50 + n / 1000,
        longitude=-0.12,
        timezone=TZ,
        status=VenueStatus.APPROVED,
        submitted_at=now,
        approved_at=now,
        changed_fields=[],
    )
    db.session.add(venue)
    db.session.flush()
    assign_slug(venue, venue.slug)
    db.session.add_all(
        [
            Service(
                venue_id=venue.id,
                name="Swedish massage",
                duration_minutes=60,
                price_minor=4000 + n,
                currency="GBP",
                is_active=True,
            ),
            VenueImage(
                venue_id=venue.id,
                kind="venue",
                alt_text="Room",
                is_cover=True,
                variants={"card": {"key": "bench/photo-0.webp", "width": 800, "height": 600}},
            ),
            *[OpeningHours(venue_id=venue.id, weekday=d, opens_minute=540, closes_minute=1080) for d in range(7)],
            # A team, as most venues have: every list of cards then reads team members the same way.
            TeamMember(venue_id=venue.id, name="Ana", position=0),
        ]
    )
    return venue


def build_world(make_user, scale: int) -> World:
    now = datetime.now(UTC)
    customers = [make_user(role=Role.CUSTOMER) for _ in range(3)]
    customer = make_user(role=Role.CUSTOMER, name=f"Chloe Scale{scale}")
    provider = make_user(role=Role.PROVIDER)
    admin = make_user(role=Role.ADMIN)
    sizes = {name: count * scale for name, count in SCALE_1.items()}
    massage = db.session.scalar(select(Category.id).where(Category.slug == "massage"))
    show = build_showcase(
        owner=provider,
        customers=customers,
        customer=customer,
        name=f"Showcase Massage Spa {scale}x{provider.id}",
        category_id=massage,
        past_days=3,
        ahead_days=3,
        now=now,
        **sizes,
    )
    others = [approved_venue(make_user(role=Role.PROVIDER), n, now, massage) for n in range(OTHER_VENUES * scale)]
    for n in range(OTHER_VENUES * scale):
        pending = approved_venue(make_user(role=Role.PROVIDER), 100 + n, now, massage)
        pending.status = VenueStatus.PENDING_REVIEW
    db.session.flush()
    db.session.add_all(SavedVenue(user_id=customer.id, venue_id=v.id) for v in others)
    db.session.flush()
    get_backend().index([show.venue.id, *(v.id for v in others)])
    return World(show=show, provider=provider, admin=admin, others=others)


PAGES: dict[str, Callable[[World], tuple[str, str | None, dict[str, str]]]] = {
    # name: world -> (path, who is signed in: "customer", "provider", "admin" or None, headers)
    "venue": lambda w: (f"/venues/{w.show.venue.slug}", None, {}),
    "home": lambda w: ("/", None, {}),
    "search": lambda w: ("/search?q=massage", None, {}),
    "search_geo": lambda w: ("/search?q=massage&near=London&radius=25&price=2500-5000", None, {}),
    "category": lambda w: ("/c/massage", None, {}),
    "booking": lambda w: (f"/venues/{w.show.venue.slug}/book/{w.show.services[0].id}", None, {}),
    "day_slots": lambda w: (
        f"/venues/{w.show.venue.slug}/book/{w.show.services[0].id}?day={slot_day()}",
        None,
        {"HX-Request": "true", "HX-Target": "booking-slots"},
    ),
    "cart": lambda w: ("/cart", "customer", {}),
    "order": lambda w: (f"/orders/{w.show.order.id}", "customer", {}),
    "after_paying": lambda w: (f"/payments/return/{w.show.order.id}", "customer", {}),
    "my_bookings": lambda w: ("/bookings", "customer", {}),
    "my_bookings_past": lambda w: ("/bookings?tab=past", "customer", {}),
    "calendar_week": lambda w: ("/provider/calendar?view=week", "provider", {}),
    "admin_queue": lambda w: ("/admin/venues", "admin", {}),
    # Saved venues and the lists around a person (app/saved).
    "saved": lambda w: ("/saved", "customer", {}),
    "home_customer": lambda w: ("/", "customer", {}),
    "similar": lambda w: (f"/venues/{w.others[0].id}/similar", None, {"HX-Request": "true"}),
    "place_suggestions": lambda w: ("/search/places?near=Rich", None, {"HX-Request": "true"}),
    "recently_viewed": lambda w: (
        "/recently-viewed?ids=" + ",".join(str(v.id) for v in w.others),
        None,
        {"HX-Request": "true"},
    ),
}


def slot_day() -> str:
    return (datetime.now(UTC).astimezone(ZoneInfo(TZ)).date() + timedelta(days=CART_DAY - 3)).isoformat()


@pytest.fixture
def statements_of(app, web):
    """Ask for a page as someone, with empty caches; return (status, statements sent)."""

    def ask(world: World, page: str) -> tuple[int, list[str], str]:
        path, who, headers = PAGES[page](world)
        users = {"customer": world.show.customer, "provider": world.provider, "admin": world.admin}
        if who:
            web.sign_in_as(users[who])
        else:
            web.sign_out()
        cache.clear()
        with statements_sent() as sent:
            response = web.get(path, headers=headers)
        return response.status_code, sent, response.get_data(as_text=True)

    return ask


@pytest.mark.parametrize("page", list(PAGES))
def test_page_sends_as_many_statements_for_3n_things_as_for_n(ctx, make_user, statements_of, page):
    status_small, sent_small, shown_small = statements_of(build_world(make_user, 1), page)
    # The larger world joins the smaller one: search and the admin queue then show 4N venues.
    status_large, sent_large, shown_large = statements_of(build_world(make_user, 3), page)

    assert (status_small, status_large) == (200, 200)
    if page in CARD_PAGES:  # the larger world really shows more venue cards
        assert shown_large.count(CARD_LINK) > shown_small.count(CARD_LINK) > 0
    assert len(sent_large) == len(sent_small), "\n".join(["N:", *sent_small, "3N:", *sent_large])
    assert len(sent_small) <= CEILING[page], "\n".join(sent_small)


def test_the_worlds_really_differ_in_size(ctx, make_user):
    """The comparison means something only if the larger world shows more of everything."""
    small, large = build_world(make_user, 1), build_world(make_user, 3)
    for world, scale in ((small, 1), (large, 3)):
        venue = world.show.venue
        assert len(venue.active_services) == SCALE_1["services"] * scale
        assert len(venue.team) == SCALE_1["team"] * scale
        assert len(venue.gallery) == SCALE_1["photos"] * scale
        assert venue.review_count == SCALE_1["reviews"] * scale
        assert len(world.show.cart_items) == SCALE_1["cart_items"] * scale
        assert len(world.show.order.bookings) == SCALE_1["order_items"] * scale
