"""The GraphQL read API's types (docs/graphql.md): listed venues, their services with options, a
service's next free times, and the signed-in customer's bookings.

The same facts as ``/api/v1``: the same loaders (``app/venues/listed.py``), presenters
(``app/api/presenting.py``) and slot engine (``app/booking/availability.py``). A query's venues are
loaded with what the engine reads in one go, and their bookings and blocks are read once for all
of them per window of days (``Reading.busy``), so a query's statements don't grow with its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import strawberry
from flask_babel import gettext as _
from flask_login import current_user
from graphql import GraphQLError
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from app.api.auth import scopes
from app.api.conventions import decode_cursor, encode_cursor
from app.api.lookups import BOOKING_LOADS
from app.api.presenting import booking_row, local, money
from app.booking.availability import Busyness, busy_window, get_busy_for_venues, get_slots
from app.booking.models import Booking as BookingRow
from app.platform.errors import DomainError, NotFound
from app.platform.paging import keyset_page
from app.platform.timefmt import venue_zone
from app.venues import listed as venues_listed
from app.venues.addons import Choice
from app.venues.models import Service as ServiceRow
from app.venues.models import ServiceOption as OptionRow
from app.venues.models import TeamMember, VenueStatus
from app.venues.models import Venue as VenueRow

# What a venue's fields and its services' free times read, loaded with the venue.
VENUE_LOADS = (
    selectinload(VenueRow.services).selectinload(ServiceRow.options),
    selectinload(VenueRow.team).selectinload(TeamMember.services),
    selectinload(VenueRow.opening_hours),
    selectinload(VenueRow.closures),
)
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"


@dataclass
class Reading:
    """One request's reading: the venues it loaded, and their busyness by window of days."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    venues: dict[int, VenueRow] = field(default_factory=dict)
    windows: dict[tuple[datetime, datetime], dict[int, Busyness]] = field(default_factory=dict)

    def shown(self, venues: list[VenueRow]) -> list[VenueRow]:
        self.venues.update((v.id, v) for v in venues)
        return venues

    def busy(self, venue: VenueRow, window: tuple[datetime, datetime]) -> Busyness:
        """What is busy at ``venue`` in ``window``: read for every venue of the query at once."""
        found = self.windows.get(window)
        if found is None or venue.id not in found:
            found = get_busy_for_venues(list(self.venues.values()) or [venue], *window)
            self.windows[window] = found
        return found[venue.id]


def refused(message: str, code: str = "BAD_USER_INPUT") -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


@strawberry.type(description="An amount in minor units (pence, cents) and its ISO 4217 currency.")
class Money:
    amount: int
    currency: str


@strawberry.type(description="A start time at which one booking of the service fits, in the venue's time zone.")
class FreeTime:
    start: datetime
    end: datetime
    remaining: int = strawberry.field(description="How many more bookings this start can take")
    team_member_ids: list[int]


@strawberry.type(description="One of a service's lengths and prices.")
class ServiceOption:
    id: int
    name: str
    duration_minutes: int
    price: Money


@strawberry.type(description="An active service of a listed venue.")
class Service:
    id: int
    name: str
    description: str | None
    duration_minutes: int
    price: Money
    row: strawberry.Private[ServiceRow]

    @strawberry.field(description="Its options (lengths and prices), cheapest first as the venue set them.")
    def options(self, first: int = 10) -> list[ServiceOption]:
        currency = self.row.currency
        return [
            ServiceOption(
                id=o.id,
                name=o.name,
                duration_minutes=o.duration_minutes,
                price=Money(amount=o.price_minor, currency=currency),
            )
            for o in self.row.options[:first]
        ]

    @strawberry.field(description="The next free start times from a local day (today by default).")
    def free_times(
        self,
        info: strawberry.Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        days: int = 7,
        limit: int = 10,
        option_id: int | None = None,
    ) -> list[FreeTime]:
        return free_times(info.context["reading"], self.row, from_, days, limit, option_id)


def service_of(row: ServiceRow) -> Service:
    price = money(row.price_minor, row.currency)
    return Service(
        id=row.id,
        name=row.name,
        description=row.description,
        duration_minutes=row.duration_minutes,
        price=Money(**price),
        row=row,
    )


@strawberry.type(description="A listed (approved) venue.")
class Venue:
    id: int
    slug: str
    name: str
    city: str
    timezone: str
    rating: float | None
    review_count: int
    row: strawberry.Private[VenueRow]

    @strawberry.field(description="Its active services, in the venue's order.")
    def services(self, first: int = 20) -> list[Service]:
        return [service_of(s) for s in self.row.services if s.is_active][:first]

    @strawberry.field(description="The next free start times of one of its services.")
    def free_times(
        self,
        info: strawberry.Info,
        service_id: int,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        days: int = 7,
        limit: int = 10,
        option_id: int | None = None,
    ) -> list[FreeTime]:
        service = venues_listed.bookable_service(self.row, service_id)  # another's: NotFound, a field error
        return free_times(info.context["reading"], service, from_, days, limit, option_id)


def venue_of(row: VenueRow) -> Venue:
    return Venue(
        id=row.id,
        slug=row.slug,
        name=row.name,
        city=row.city,
        timezone=row.timezone,
        rating=float(row.rating) if row.rating is not None else None,
        review_count=row.review_count,
        row=row,
    )


def free_times(
    reading: Reading, service: ServiceRow, first_day: date | None, days: int, limit: int, option_id: int | None
) -> list[FreeTime]:
    """Up to ``limit`` free starts of ``service`` (as ``option_id``, else its standard option)
    on ``days`` local days from ``first_day``: the slots ``/api/v1/.../availability`` gives."""
    venue = service.venue
    zone = venue_zone(venue.timezone)
    today = reading.now.astimezone(zone).date()
    first_day = first_day or today
    if first_day < today - timedelta(days=1):
        raise refused(_("Ask for days from today on."))
    option: OptionRow | None = venues_listed.bookable_option(service, option_id)
    busy = reading.busy(venue, busy_window(first_day, days))
    found: list[FreeTime] = []
    for offset in range(days):
        for slot in get_slots(
            service, first_day + timedelta(days=offset), now=reading.now, busy=busy, choice=Choice(option)
        ):
            found.append(
                FreeTime(
                    start=local(slot.start, venue.timezone),
                    end=local(slot.end, venue.timezone),
                    remaining=slot.remaining,
                    team_member_ids=list(slot.team_member_ids),
                )
            )
            if len(found) >= limit:
                return found
    return found


@strawberry.type(name="Booking", description="One of your bookings, as /api/v1/me/bookings shows it.")
class BookingNode:  # named apart from booking's model (tests/foundation/test_rules_once.py)
    reference: str
    status: str
    quantity: int
    venue: str
    venue_slug: str
    service: str
    starts_at: datetime
    ends_at: datetime
    price: Money
    refund: Money | None


@strawberry.type(description="A page of your bookings, newest first.")
class BookingPage:
    nodes: list[BookingNode]
    next_cursor: str | None = strawberry.field(description="Give it as `after` for the next page; null on the last")


def booking_of(row: BookingRow) -> BookingNode:
    shown = booking_row(row)
    fields = ("reference", "status", "quantity", "venue", "venue_slug", "service", "starts_at", "ends_at")
    refund = shown["refund"]
    return BookingNode(
        **{name: shown[name] for name in fields},
        price=Money(**shown["price"]),
        refund=Money(**refund) if refund else None,
    )


def cursor_key(cursor: str | None) -> int | None:
    """The booking id an ``after`` cursor holds (``/api/v1``'s cursors); one we didn't write is refused."""
    try:
        position = decode_cursor(cursor, "before")
    except HTTPException:
        raise refused(_("That cursor isn't one we gave out: start again without it.")) from None
    return position["before"] if position else None


@strawberry.type(description="The signed-in customer: needs a token with the read scope.")
class Me:
    id: int
    name: str

    @strawberry.field(description="Your bookings, newest first (a reschedule's temporary hold is left out).")
    def bookings(self, first: int = 20, after: str | None = None) -> BookingPage:
        query = (
            select(BookingRow)
            .where(BookingRow.customer_id == self.id, BookingRow.moves_booking_id.is_(None))
            .options(*BOOKING_LOADS)
        )
        page = keyset_page(query, BookingRow.id, size=first, last_shown=cursor_key(after), descending=True)
        following = encode_cursor({"before": page.next_key}) if page.next_key is not None else None
        return BookingPage(nodes=[booking_of(b) for b in page.rows], next_cursor=following)


@strawberry.type
class Query:
    @strawberry.field(description="A listed venue by its address (a former one too); null for any other.")
    def venue(self, info: strawberry.Info, slug: str) -> Venue | None:
        row = venues_listed.listed_venue(slug, options=VENUE_LOADS)  # NotFound: null, and an error saying so
        return venue_of(info.context["reading"].shown([row])[0])

    @strawberry.field(description="Listed venues in the order they joined, optionally in one city.")
    def venues(
        self, info: strawberry.Info, first: int = 10, after: int | None = None, city: str | None = None
    ) -> list[Venue]:
        query = select(VenueRow).where(VenueRow.status == VenueStatus.APPROVED).options(*VENUE_LOADS)
        if city:
            query = query.where(VenueRow.city.ilike(city.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")))
        page = keyset_page(query, VenueRow.id, size=first, last_shown=after)
        return [venue_of(row) for row in info.context["reading"].shown(page.rows)]

    @strawberry.field(description="You: needs a token with the read scope (401 without one, 403 without the scope).")
    def me(self) -> Me | None:
        if not current_user.is_authenticated:
            raise refused(_("Send a token: Authorization: Bearer cw_pat_..."), UNAUTHENTICATED)
        if "read" not in scopes():
            raise refused(_("This token lacks the %(scope)s scope.", scope="read"), FORBIDDEN)
        return Me(id=current_user.id, name=current_user.name)


def expected(error: GraphQLError) -> bool:
    """A refusal a resolver raised (``refused``) or a service's (a ``DomainError``): the client's to read."""
    return error.original_error is None or isinstance(error.original_error, GraphQLError | DomainError)


def error_code(error: GraphQLError) -> str | None:
    """The ``extensions.code`` a client sees: ours, or a service's refusal's kind."""
    if isinstance(error.original_error, NotFound):
        return "NOT_FOUND"
    if isinstance(error.original_error, DomainError):
        return "BAD_USER_INPUT"
    return (error.extensions or {}).get("code")


class ReadSchema(strawberry.Schema):
    """Logs only the errors nobody meant: a refusal a resolver raises (``refused``) is the client's."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [
            e for e in errors if e.original_error is not None and not isinstance(e.original_error, GraphQLError)
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = ReadSchema(query=Query)
