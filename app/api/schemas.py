"""The API's schemas (marshmallow): the same classes validate requests and write the OpenAPI
document, so the two cannot disagree.

Conventions: times are ISO 8601 with their offset (a venue's times in the venue's time zone,
the rest in UTC); money is ``{"amount": <minor units, int>, "currency": "GBP"}``.

One module on purpose, over 800 lines: the API's whole contract, every request and answer the
document describes, read in one place beside the shared fields and conventions they are built
from; the classes are declarations, and the few field types and checks they share sit at
the top.
"""

from __future__ import annotations

from collections.abc import Mapping

import marshmallow as ma
from marshmallow import validate

from app.accounts.api_tokens import SCOPES
from app.platform.input_guard import MAX_ID
from app.venues.booking_rules import MAX_ADVANCE_DAYS, MAX_FREE_HOURS, MAX_NOTICE_MINUTES, MAX_REQUEST_WINDOW_HOURS
from app.venues.deposits import PaymentMode

NUL_MESSAGE = "Text can't hold a NUL character (\\u0000)."


# Spaces spelled out: Python's \s and the document's (JSON Schema's, ECMA-262's) differ at the edges.
SPACE = r" \t\n\r\f\v"


class Pattern(validate.Regexp):
    """``validate.Regexp`` over the whole value, as the OpenAPI document's ``pattern`` (written
    from it) reads: Python's ``$`` would let a trailing line break through."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


class JsonInteger(ma.fields.Integer):
    """An integer as JSON Schema reads one in a body (5, or 5.0), never a string ("5") nor a
    fraction (2.5, which marshmallow's own Integer would cut to 2)."""

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._validated(value)


class JsonNumber(ma.fields.Float):
    """A number in a body, never a string ("1.5")."""

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._validated(value)


class JsonBoolean(ma.fields.Boolean):
    """``true`` or ``false`` in a body, never 1, "yes" or "true"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)


def holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def refuse_nul(self, data: object, **kwargs: object) -> object:
        """PostgreSQL keeps no NUL character in text: a value holding one is a 422 naming its
        field here, never a 500 at the database (the document's ``pattern`` says so too)."""
        if isinstance(data, Mapping):
            bad = {str(name): [NUL_MESSAGE] for name, value in data.items() if holds_nul(name) or holds_nul(value)}
            if bad:
                raise ma.ValidationError(bad)
        return data


class Money(ma.Schema):
    amount = ma.fields.Integer(required=True, metadata={"description": "Minor units (pence, cents)"})
    currency = ma.fields.String(required=True, metadata={"description": "ISO 4217 code", "example": "GBP"})


class Problem(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(required=True, metadata={"example": "/api/v1/problems/not-found"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    errors = ma.fields.Dict(metadata={"description": "For validation problems: where -> field -> messages"})


class CursorArgs(Strict):
    cursor = ma.fields.String(validate=validate.Length(max=200), metadata={"description": "From the Link header"})
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(1, 100))


# -- public ----------------------------------------------------------------------------------------


class Category(ma.Schema):
    id = ma.fields.Integer(required=True, metadata={"description": "A venue's or a service's category_id"})
    slug = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class SearchArgs(ma.Schema):
    """The search page's own parameters (``/search``), read by the same parser."""

    class Meta:
        unknown = ma.RAISE

    q = ma.fields.String(validate=validate.Length(max=200))
    category = ma.fields.String(validate=validate.Length(max=40))
    tag = ma.fields.List(ma.fields.String(validate=validate.Length(max=40)), validate=validate.Length(max=10))
    price = ma.fields.List(ma.fields.String(validate=validate.Length(max=20)), validate=validate.Length(max=10))
    price_min = ma.fields.String(validate=validate.Length(max=20))
    price_max = ma.fields.String(validate=validate.Length(max=20))
    rating = ma.fields.String(validate=validate.Length(max=10))
    near = ma.fields.String(validate=validate.Length(max=100))
    place = ma.fields.String(validate=validate.Length(max=20))
    lat = ma.fields.String(validate=validate.Length(max=30))
    lng = ma.fields.String(validate=validate.Length(max=30))
    radius = ma.fields.String(validate=validate.Length(max=20))
    open_now = ma.fields.String(validate=validate.Length(max=5))
    free_date = ma.fields.String(validate=validate.Length(max=20))
    free_from = ma.fields.String(validate=validate.Length(max=10))
    free_to = ma.fields.String(validate=validate.Length(max=10))
    sort = ma.fields.String(validate=validate.Length(max=20))
    per_page = ma.fields.String(validate=validate.Length(max=5))
    cursor = ma.fields.String(validate=validate.Length(max=200))


class VenueSummary(ma.Schema):
    id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    category = ma.fields.String(allow_none=True)
    city = ma.fields.String()
    latitude = ma.fields.Float(allow_none=True)
    longitude = ma.fields.Float(allow_none=True)
    distance_km = ma.fields.Float(allow_none=True)
    price_from = ma.fields.Nested(Money, allow_none=True)
    rating = ma.fields.Float(allow_none=True)
    review_count = ma.fields.Integer()
    timezone = ma.fields.String()


class FacetValue(ma.Schema):
    value = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)


class SearchResult(ma.Schema):
    total = ma.fields.Integer(required=True)
    total_capped = ma.fields.Boolean(required=True)
    relaxed = ma.fields.List(ma.fields.String())
    venues = ma.fields.List(ma.fields.Nested(VenueSummary), required=True)
    facets = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.Nested(FacetValue)))
    next_cursor = ma.fields.String(allow_none=True)


class ServiceOption(ma.Schema):
    id = ma.fields.Integer(required=True, metadata={"description": "The booking page's ?option="})
    name = ma.fields.String(required=True, metadata={"example": "90 min"})
    duration_minutes = ma.fields.Integer(required=True)
    price_minor = ma.fields.Integer(required=True, metadata={"description": "In the service's currency"})


class ServiceAddon(ma.Schema):
    id = ma.fields.Integer(required=True, metadata={"description": "The booking page's ?addons="})
    name = ma.fields.String(required=True, metadata={"example": "Hot stones"})
    price_minor = ma.fields.Integer(required=True, metadata={"description": "Added to the booking's price"})
    extra_minutes = ma.fields.Integer(required=True, metadata={"description": "Added to the booking's length"})


class ServiceProcessing(ma.Schema):
    after_minutes = ma.fields.Integer(required=True, metadata={"description": "When the gap starts, from the start"})
    minutes = ma.fields.Integer(required=True, metadata={"description": "How long the team member is free"})


class ServiceNeed(ma.Schema):
    resource_id = ma.fields.Integer(required=True, metadata={"description": "GET /venue/resources"})
    name = ma.fields.String(required=True, metadata={"example": "Treatment room"})
    units = ma.fields.Integer(required=True, metadata={"description": "How many one booking takes"})
    shared = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "Shared by guests side by side: taken once by guests booked together for one time "
            "(a couples massage's double room); false: each guest's booking takes its own"
        },
    )


class Service(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String()
    duration_minutes = ma.fields.Integer(required=True, metadata={"description": "With options: the cheapest's"})
    price = ma.fields.Nested(Money, required=True, metadata={"description": "With options: the cheapest's"})
    options = ma.fields.List(
        ma.fields.Nested(ServiceOption),
        required=True,
        metadata={"description": "Lengths or variants, each booked for its own length and price; empty: none"},
    )
    from_price_minor = ma.fields.Integer(
        required=True, metadata={"description": 'The lowest price it sells for ("from £45")'}
    )
    addons = ma.fields.List(
        ma.fields.Nested(ServiceAddon),
        required=True,
        metadata={"description": "Extras a customer may add when booking, each once, per booking; empty: none"},
    )
    processing = ma.fields.Nested(
        ServiceProcessing,
        required=True,
        allow_none=True,
        metadata={
            "description": "Processing time: a gap in the service (a colour developing) when the team member is "
            "free for another client; the client and any room stay. null: none"
        },
    )
    needs = ma.fields.List(
        ma.fields.Nested(ServiceNeed),
        required=True,
        metadata={
            "description": "Rooms and equipment one booking takes for its whole length (one set per booking, "
            "whatever its quantity); a time is offered only when enough are free. Empty: none"
        },
    )
    capacity = ma.fields.Integer()
    payment_mode = ma.fields.String()
    request_to_book = ma.fields.Boolean()
    is_active = ma.fields.Boolean(metadata={"description": "False: hidden, customers can't book it"})
    buffer_minutes = ma.fields.Integer()
    category_id = ma.fields.Integer(allow_none=True)
    deposit_percent = ma.fields.Integer(allow_none=True, metadata={"description": "payment_mode deposit_percent"})
    deposit_fixed = ma.fields.Nested(Money, allow_none=True, metadata={"description": "payment_mode deposit_fixed"})
    no_show_fee_percent = ma.fields.Integer(allow_none=True)
    cancel_free_hours = ma.fields.Integer(metadata={"description": "Free cancellation until this many hours before"})
    cancel_late_fee_percent = ma.fields.Integer(
        allow_none=True, metadata={"description": "Of the price, after that; null: no cancelling then"}
    )
    min_notice_minutes = ma.fields.Integer(allow_none=True, metadata={"description": "null: the platform's"})
    max_advance_days = ma.fields.Integer(allow_none=True, metadata={"description": "null: the platform's"})
    request_window_hours = ma.fields.Integer(metadata={"description": "To accept a request to book"})


class TeamMember(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    title = ma.fields.String()


class OpeningRange(ma.Schema):
    weekday = ma.fields.Integer(required=True, metadata={"description": "0 = Monday"})
    opens = ma.fields.String(required=True, metadata={"example": "09:00"})
    closes = ma.fields.String(required=True, metadata={"example": "18:00"})


class Closure(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "DELETE /venue/closures/{id} removes it"})
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    reason = ma.fields.String()


class Hours(ma.Schema):
    timezone = ma.fields.String(required=True)
    weekly = ma.fields.List(ma.fields.Nested(OpeningRange), required=True)
    closures = ma.fields.List(ma.fields.Nested(Closure), required=True)


class VenueDetail(VenueSummary):
    description = ma.fields.String()
    address_line = ma.fields.String()
    postcode = ma.fields.String()
    country = ma.fields.String()
    phone = ma.fields.String()
    website = ma.fields.String()
    tags = ma.fields.List(ma.fields.String())
    currency = ma.fields.String()
    services = ma.fields.List(ma.fields.Nested(Service))
    team = ma.fields.List(ma.fields.Nested(TeamMember))


class Review(ma.Schema):
    id = ma.fields.Integer(required=True)
    rating = ma.fields.Integer(required=True)
    body = ma.fields.String()
    author = ma.fields.String()
    created_at = ma.fields.AwareDateTime(required=True)


class ReviewPage(ma.Schema):
    reviews = ma.fields.List(ma.fields.Nested(Review), required=True)
    next_cursor = ma.fields.String(allow_none=True)


class AvailabilityArgs(Strict):
    service_id = ma.fields.Integer(required=True, validate=validate.Range(1, MAX_ID))
    option_id = ma.fields.Integer(
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "One of the service's options (its length); default: the cheapest"},
    )
    addon_ids = ma.fields.List(
        ma.fields.Integer(validate=validate.Range(1, MAX_ID)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "The service's add-ons chosen (repeat: addon_ids=3&addon_ids=5): their minutes count"},
    )
    date = ma.fields.Date(metadata={"description": "A local date at the venue: its free start times"})
    start = ma.fields.Date(metadata={"description": "First local day of the days view (default: today)"})
    days = ma.fields.Integer(load_default=14, validate=validate.Range(1, 62))


class Slot(ma.Schema):
    start = ma.fields.AwareDateTime(required=True, metadata={"description": "In the venue's time zone"})
    end = ma.fields.AwareDateTime(required=True)
    remaining = ma.fields.Integer(required=True)
    team_member_ids = ma.fields.List(ma.fields.Integer())


class Day(ma.Schema):
    date = ma.fields.Date(required=True)
    free_starts = ma.fields.Integer(required=True)


class Availability(ma.Schema):
    service_id = ma.fields.Integer(required=True)
    option_id = ma.fields.Integer(allow_none=True, metadata={"description": "The option whose length was asked"})
    addon_ids = ma.fields.List(ma.fields.Integer(), metadata={"description": "The add-ons whose minutes were counted"})
    timezone = ma.fields.String(required=True)
    days = ma.fields.List(ma.fields.Nested(Day))
    slots = ma.fields.List(ma.fields.Nested(Slot))


# -- the customer's own ------------------------------------------------------------------------------


class CartItemIn(Strict):
    service_id = JsonInteger(required=True, validate=validate.Range(1, MAX_ID))
    starts_at = ma.fields.AwareDateTime(required=True, metadata={"description": "A start from availability"})
    quantity = JsonInteger(load_default=1, validate=validate.Range(1, 20))
    team_member_id = JsonInteger(allow_none=True, load_default=None, validate=validate.Range(1, MAX_ID))
    option_id = JsonInteger(
        allow_none=True,
        load_default=None,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "One of the service's options; required when it has any"},
    )
    addon_ids = ma.fields.List(
        JsonInteger(validate=validate.Range(1, MAX_ID)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "The service's add-ons chosen, each once; their price and minutes count"},
    )


class VisitTreatmentIn(Strict):
    service_id = JsonInteger(required=True, validate=validate.Range(1, MAX_ID))
    option_id = JsonInteger(allow_none=True, load_default=None, validate=validate.Range(1, MAX_ID))
    addon_ids = ma.fields.List(
        JsonInteger(validate=validate.Range(1, MAX_ID)), load_default=list, validate=validate.Length(max=20)
    )
    team_member_id = JsonInteger(allow_none=True, load_default=None, validate=validate.Range(1, MAX_ID))
    guest = JsonInteger(load_default=1, validate=validate.Range(1, 6), metadata={"description": "Numbered from 1"})


class VisitIn(Strict):
    venue_slug = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_at = ma.fields.AwareDateTime(required=True, metadata={"description": "A start from visit-times"})
    treatments = ma.fields.List(
        ma.fields.Nested(VisitTreatmentIn),
        required=True,
        validate=validate.Length(min=1, max=24),
        metadata={
            "description": "Each guest's treatments in order (guests 1 to 6; one guest alone: 2 to 4 treatments, "
            "in a group 1 to 4 each): each starts when the one before it ends; every guest starts together"
        },
    )
    guest_names = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=80)),
        load_default=list,
        validate=validate.Length(max=6),
        metadata={"description": "The guests' names, in guest order (optional)"},
    )


class VisitTimesArgs(Strict):
    treatments = ma.fields.String(
        required=True,
        validate=validate.Length(min=3, max=400),
        metadata={
            "description": "Each treatment as guest:service_id[:option_id][+addon_id...], comma separated, in "
            'order: "1:12:3+7,1:15" (guest 1: service 12 as option 3 with add-on 7, then service 15)'
        },
    )
    date = ma.fields.Date(required=True, metadata={"description": "A local date at the venue"})


class VisitPlaced(ma.Schema):
    guest = ma.fields.Integer(required=True, metadata={"description": "Numbered from 1"})
    service_id = ma.fields.Integer(required=True)
    start = ma.fields.AwareDateTime(required=True, metadata={"description": "In the venue's time zone"})
    end = ma.fields.AwareDateTime(required=True)
    team_member_id = ma.fields.Integer(allow_none=True, metadata={"description": "Who would do it (null: anyone)"})


class VisitTime(ma.Schema):
    start = ma.fields.AwareDateTime(required=True)
    treatments = ma.fields.List(ma.fields.Nested(VisitPlaced), required=True)


class VisitTimes(ma.Schema):
    timezone = ma.fields.String(required=True)
    times = ma.fields.List(ma.fields.Nested(VisitTime), required=True)


class CartItem(ma.Schema):
    id = ma.fields.Integer(required=True)
    service_id = ma.fields.Integer(required=True)
    option_id = ma.fields.Integer(allow_none=True, required=True)
    addon_ids = ma.fields.List(ma.fields.Integer(), required=True)
    service = ma.fields.String(required=True)
    venue = ma.fields.String(required=True)
    starts_at = ma.fields.AwareDateTime(required=True)
    quantity = ma.fields.Integer(required=True)
    team_member_id = ma.fields.Integer(allow_none=True)
    expires_at = ma.fields.AwareDateTime(required=True)
    price = ma.fields.Nested(Money, required=True)
    visit_key = ma.fields.String(allow_none=True, metadata={"description": "The items of one visit share it"})
    guests = ma.fields.List(ma.fields.Integer(), metadata={"description": "The visit's guests its places are for"})
    guest_names = ma.fields.List(ma.fields.String())


class Cart(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CartItem), required=True)


class CheckoutIn(Strict):
    voucher_code = ma.fields.String(validate=validate.Length(max=40))


class Booking(ma.Schema):
    reference = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    venue = ma.fields.String(required=True)
    venue_slug = ma.fields.String(required=True)
    service = ma.fields.String(required=True)
    starts_at = ma.fields.AwareDateTime(required=True, metadata={"description": "In the venue's time zone"})
    ends_at = ma.fields.AwareDateTime(required=True)
    quantity = ma.fields.Integer(required=True)
    price = ma.fields.Nested(Money, required=True)
    refund = ma.fields.Nested(Money, required=True)
    order_id = ma.fields.Integer(required=True)
    visit_key = ma.fields.String(allow_none=True, metadata={"description": "The bookings of one visit share it"})
    guest = ma.fields.Integer(allow_none=True, metadata={"description": "A group visit's guest, from 1"})
    guest_name = ma.fields.String(allow_none=True)


class Order(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    total = ma.fields.Nested(Money, required=True)
    hold_expires_at = ma.fields.AwareDateTime(required=True)
    paid_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime(required=True)
    bookings = ma.fields.List(ma.fields.Nested(Booking), required=True)


class BookingPage(ma.Schema):
    bookings = ma.fields.List(ma.fields.Nested(Booking), required=True)
    next_cursor = ma.fields.String(allow_none=True)


class OrderPage(ma.Schema):
    orders = ma.fields.List(ma.fields.Nested(Order), required=True)
    next_cursor = ma.fields.String(allow_none=True)


class PaymentStart(ma.Schema):
    order_id = ma.fields.Integer(required=True)
    gateway = ma.fields.String(required=True)
    checkout_url = ma.fields.String(
        required=True, metadata={"format": "uri", "description": "Send the customer here to pay"}
    )
    amount = ma.fields.Nested(Money, required=True)


class Cancellation(ma.Schema):
    booking = ma.fields.Nested(Booking, required=True)
    refund = ma.fields.Nested(Money, required=True)


class TokenScopes(ma.Schema):
    scopes = ma.fields.List(ma.fields.String(validate=validate.OneOf(SCOPES)))


class Me(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    scopes = ma.fields.List(ma.fields.String(), required=True)
    language = ma.fields.String(required=True)


# -- the venue's staff -------------------------------------------------------------------------------


class RangeArgs(Strict):
    start = ma.fields.Date(required=True, metadata={"description": "First local day"})
    end = ma.fields.Date(required=True, metadata={"description": "Last local day (at most 62 days on)"})


class VenueBooking(Booking):
    customer = ma.fields.String(allow_none=True)
    team_member_id = ma.fields.Integer(allow_none=True)
    channel = ma.fields.String()
    checked_in_at = ma.fields.AwareDateTime(allow_none=True)


class Calendar(ma.Schema):
    timezone = ma.fields.String(required=True)
    bookings = ma.fields.List(ma.fields.Nested(VenueBooking), required=True)


class StaffVenue(VenueDetail):
    category_id = ma.fields.Integer(allow_none=True)
    email = ma.fields.String(metadata={"description": "For bookings"})
    status = ma.fields.String(required=True)
    role = ma.fields.String(required=True, metadata={"description": "Your role at the venue"})


# -- admin -------------------------------------------------------------------------------------------


class ListingArgs(CursorArgs):
    status = ma.fields.String(
        load_default="pending_review",
        validate=validate.OneOf(["draft", "pending_review", "approved", "rejected", "suspended", "closed"]),
    )


class Listing(ma.Schema):
    id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    city = ma.fields.String()
    status = ma.fields.String(required=True)
    status_reason = ma.fields.String(allow_none=True)
    submitted_at = ma.fields.AwareDateTime(allow_none=True)
    owner_email = ma.fields.String()


class ListingPage(ma.Schema):
    listings = ma.fields.List(ma.fields.Nested(Listing), required=True)
    next_cursor = ma.fields.String(allow_none=True)


class DecisionIn(Strict):
    reason = ma.fields.String(load_default="", validate=validate.Length(max=2000))


class ModerationIn(Strict):
    hidden = JsonBoolean(required=True)
    reason = ma.fields.String(load_default="", validate=validate.Length(max=500))


class ModeratedReview(Review):
    status = ma.fields.String(required=True)
    venue_id = ma.fields.Integer(required=True)
    hidden_reason = ma.fields.String(allow_none=True)


# -- the customer's saved venues, notifications and reviews -----------------------------------------


class Saved(ma.Schema):
    venue_ids = ma.fields.List(ma.fields.Integer(), required=True, metadata={"description": "Newest first"})


class SavedIn(Strict):
    saved = JsonBoolean(required=True)


class NamedRef(ma.Schema):
    id = ma.fields.Integer(required=True, allow_none=True)
    name = ma.fields.String(required=True)


class PackageOffer(ma.Schema):
    """A package a venue sells (docs/packages.md): N sessions of a service, to use within days."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    service = ma.fields.Nested(NamedRef, required=True)
    option = ma.fields.Nested(
        NamedRef, required=True, allow_none=True, metadata={"description": "null: any option of the service"}
    )
    sessions = ma.fields.Integer(required=True)
    valid_days = ma.fields.Integer(required=True, metadata={"description": "Days from the purchase"})
    price = ma.fields.Nested(Money, required=True)
    usual_price = ma.fields.Nested(
        Money, required=True, metadata={"description": "The sessions one by one at today's prices"}
    )


class MembershipPlan(ma.Schema):
    """A membership a venue offers (docs/memberships.md): a monthly price for included sessions
    of one service and/or a member's discount on every treatment."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    price = ma.fields.Nested(Money, required=True, metadata={"description": "Each month"})
    included_sessions = ma.fields.Integer(required=True, metadata={"description": "Each month; 0: none"})
    included_service = ma.fields.Nested(NamedRef, required=True, allow_none=True)
    discount_percent = ma.fields.Integer(required=True, metadata={"description": "Off every treatment; 0: none"})


class HeldMembership(ma.Schema):
    """A membership you hold: its state and the end of the month paid."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    venue = ma.fields.Nested(NamedRef, required=True)
    price = ma.fields.Nested(Money, required=True)
    status = ma.fields.String(required=True, metadata={"description": "pending, active, past_due, paused or cancelled"})
    paid_until = ma.fields.AwareDateTime(required=True, allow_none=True)
    cancel_at_period_end = ma.fields.Boolean(required=True)
    grace_until = ma.fields.AwareDateTime(required=True, allow_none=True)
    included_sessions = ma.fields.Integer(required=True)
    discount_percent = ma.fields.Integer(required=True)


class JoinIn(Strict):
    plan_id = ma.fields.Integer(required=True, validate=validate.Range(1, MAX_ID))


class HeldPackage(ma.Schema):
    """A package you bought: a checkout covers your bookings of its service while sessions are left."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    venue = ma.fields.Nested(NamedRef, required=True)
    service = ma.fields.Nested(NamedRef, required=True)
    option = ma.fields.Nested(NamedRef, required=True, allow_none=True)
    sessions = ma.fields.Integer(required=True)
    used = ma.fields.Integer(required=True)
    left = ma.fields.Integer(required=True)
    state = ma.fields.String(required=True, metadata={"description": "active, expired, used or refunded"})
    price = ma.fields.Nested(Money, required=True)
    paid_at = ma.fields.AwareDateTime(required=True)
    expires_at = ma.fields.AwareDateTime(required=True)


class Notice(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    body = ma.fields.String()
    link = ma.fields.String(metadata={"format": "uri", "description": "The page it is about"})
    created_at = ma.fields.AwareDateTime(required=True)
    read_at = ma.fields.AwareDateTime(allow_none=True)


class NoticePage(ma.Schema):
    notices = ma.fields.List(ma.fields.Nested(Notice), required=True)
    unread = ma.fields.Integer(required=True)
    next_cursor = ma.fields.String(allow_none=True)


class ReviewIn(Strict):
    rating = JsonInteger(required=True, validate=validate.Range(1, 5))
    body = ma.fields.String(required=True, validate=validate.Length(max=5000))


class RescheduleIn(Strict):
    starts_at = ma.fields.AwareDateTime(required=True, metadata={"description": "A free start of the same service"})
    team_member_id = JsonInteger(allow_none=True, load_default=None, validate=validate.Range(1, MAX_ID))
    top_up_minor = JsonInteger(
        allow_none=True,
        load_default=None,
        validate=validate.Range(1, 999_999_999),
        metadata={"description": "For a dearer time: the difference you confirm paying (the 409 names it)"},
    )


class Move(ma.Schema):
    booking = ma.fields.Nested(Booking, required=True)
    refund = ma.fields.Nested(Money, required=True)


class CheckInIn(Strict):
    code = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=40), metadata={"example": "CW-7K4P-Q2MX"}
    )


class CheckIn(ma.Schema):
    booking = ma.fields.Nested(VenueBooking, required=True)
    just_now = ma.fields.Boolean(required=True, metadata={"description": "False: it was checked in already"})


# -- the front desk: walk-ins, time blocks, the client book ----------------------------------------


class NewClientIn(Strict):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=120))
    email = ma.fields.String(load_default="", validate=validate.Length(max=254))
    phone = ma.fields.String(load_default="", validate=validate.Length(max=40))


class DeskBookingIn(Strict):
    service_id = JsonInteger(required=True, validate=validate.Range(1, MAX_ID))
    starts_at = ma.fields.AwareDateTime(required=True, metadata={"description": "A free start of the service"})
    team_member_id = JsonInteger(allow_none=True, load_default=None, validate=validate.Range(1, MAX_ID))
    client_id = JsonInteger(
        allow_none=True,
        load_default=None,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "Or new_client"},
    )
    new_client = ma.fields.Nested(NewClientIn, allow_none=True, load_default=None)
    payment = ma.fields.String(
        load_default="at_venue",
        validate=validate.OneOf(["at_venue", "link"]),
        metadata={"description": "link: the client is also sent a payment link"},
    )


class TimeBlockIn(Strict):
    starts_at = ma.fields.AwareDateTime(required=True)
    ends_at = ma.fields.AwareDateTime(
        required=True, metadata={"description": "Inside one day (at most 25 hours after the start)"}
    )
    team_member_id = JsonInteger(
        allow_none=True, load_default=None, validate=validate.Range(1, MAX_ID), metadata={"description": "None: all"}
    )
    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))
    repeat_weekdays = ma.fields.List(
        JsonInteger(validate=validate.Range(0, 6)),
        load_default=list,
        validate=validate.Length(max=7),
        metadata={"description": "0 = Monday; with repeat_until, a weekly series"},
    )
    repeat_until = ma.fields.Date(allow_none=True, load_default=None)


class TimeBlock(ma.Schema):
    id = ma.fields.Integer(required=True)
    team_member_id = ma.fields.Integer(allow_none=True)
    starts_at = ma.fields.AwareDateTime(required=True)
    ends_at = ma.fields.AwareDateTime(required=True)
    reason = ma.fields.String()
    repeat_weekdays = ma.fields.List(ma.fields.Integer())
    repeat_until = ma.fields.Date(allow_none=True)


class TimeBlocks(ma.Schema):
    timezone = ma.fields.String(required=True)
    blocks = ma.fields.List(ma.fields.Nested(TimeBlock), required=True, metadata={"description": "Occurrences"})


class ClientArgs(Strict):
    q = ma.fields.String(
        load_default="", validate=validate.Length(max=100), metadata={"description": "Name, email or phone"}
    )
    cursor = ma.fields.String(validate=validate.Length(max=200), metadata={"description": "From the Link header"})


class Client(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    tags = ma.fields.List(ma.fields.String())
    blocked = ma.fields.Boolean(required=True)
    visits = ma.fields.Integer(required=True)
    spend = ma.fields.Nested(Money, allow_none=True)
    no_shows = ma.fields.Integer()
    late_cancellations = ma.fields.Integer()
    last_visit = ma.fields.AwareDateTime(allow_none=True)
    next_visit = ma.fields.AwareDateTime(allow_none=True)


class ClientPage(ma.Schema):
    clients = ma.fields.List(ma.fields.Nested(Client), required=True)
    total = ma.fields.Integer(required=True)
    next_cursor = ma.fields.String(allow_none=True)


class ClientCard(Client):
    notes = ma.fields.String(allow_none=True)
    bookings = ma.fields.List(ma.fields.Nested(VenueBooking), required=True, metadata={"description": "Newest first"})


# -- the customer's waitlist ---------------------------------------------------------------------------

HHMM = Pattern(r"^[0-9]{2}:[0-9]{2}$", error="Use HH:MM, like 14:00.")


class WaitlistJoinIn(Strict):
    service_id = JsonInteger(required=True, validate=validate.Range(1, MAX_ID))
    day = ma.fields.Date(required=True, metadata={"description": "The venue's local day"})
    window_start = ma.fields.String(
        allow_none=True, load_default=None, validate=HHMM, metadata={"description": "With window_end, e.g. 14:00"}
    )
    window_end = ma.fields.String(
        allow_none=True, load_default=None, validate=HHMM, metadata={"description": "The appointment ends by it"}
    )
    team_member_id = JsonInteger(allow_none=True, load_default=None, validate=validate.Range(1, MAX_ID))


class WaitlistEntry(ma.Schema):
    id = ma.fields.Integer(required=True)
    service_id = ma.fields.Integer(required=True)
    service = ma.fields.String(required=True)
    venue = ma.fields.String(required=True)
    venue_slug = ma.fields.String(required=True)
    day = ma.fields.Date(required=True)
    window_start = ma.fields.String(allow_none=True)
    window_end = ma.fields.String(allow_none=True)
    team_member_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String(required=True, metadata={"description": "waiting, offered, booked, left, expired"})
    position = ma.fields.Integer(allow_none=True, metadata={"description": "Place in line while live (1 = next)"})
    created_at = ma.fields.AwareDateTime(required=True)


class OfferQuestion(ma.Schema):
    field = ma.fields.String(required=True, metadata={"description": "Its key in answers"})
    text = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    options = ma.fields.List(ma.fields.String(), allow_none=True)
    required = ma.fields.Boolean(required=True)


class WaitlistOffer(ma.Schema):
    id = ma.fields.Integer(required=True)
    entry_id = ma.fields.Integer(required=True)
    order_id = ma.fields.Integer(required=True)
    service_id = ma.fields.Integer(required=True)
    service = ma.fields.String(required=True)
    venue = ma.fields.String(required=True)
    team_member_id = ma.fields.Integer(allow_none=True)
    starts_at = ma.fields.AwareDateTime(required=True, metadata={"description": "In the venue's time zone"})
    ends_at = ma.fields.AwareDateTime(required=True)
    expires_at = ma.fields.AwareDateTime(required=True, metadata={"description": "Answer before it"})
    questions = ma.fields.List(
        ma.fields.Nested(OfferQuestion),
        required=True,
        metadata={"description": "To answer when accepting (empty: none, or your earlier answers carry over)"},
    )


class Waitlist(ma.Schema):
    entries = ma.fields.List(ma.fields.Nested(WaitlistEntry), required=True)
    offers = ma.fields.List(ma.fields.Nested(WaitlistOffer), required=True)


class OfferAcceptIn(Strict):
    answers = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Length(max=40)),
        values=ma.fields.String(validate=validate.Length(max=2000)),
        load_default=dict,
        validate=validate.Length(max=50),
        metadata={
            "description": "The offer's questions' answers by field",
            "maxProperties": 50,
            "propertyNames": {"maxLength": 40},
        },
    )


# -- a dearer move's top-up ----------------------------------------------------------------------------


class TopUp(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"description": "pending, moved, released or refunded"})
    amount = ma.fields.Nested(Money, required=True, metadata={"description": "The price difference"})
    from_starts_at = ma.fields.AwareDateTime(required=True)
    to_starts_at = ma.fields.AwareDateTime(required=True)
    outcome = ma.fields.String(allow_none=True, metadata={"description": "What happened, once settled"})
    created_at = ma.fields.AwareDateTime(required=True)
    settled_at = ma.fields.AwareDateTime(allow_none=True)


class TopUpStart(ma.Schema):
    state = ma.fields.String(required=True, metadata={"description": "pending_payment: pay at checkout_url"})
    top_up = ma.fields.Nested(TopUp, required=True)
    gateway = ma.fields.String(required=True)
    checkout_url = ma.fields.String(
        required=True, metadata={"format": "uri", "description": "Send the customer here to pay"}
    )
    pay_by = ma.fields.AwareDateTime(required=True, metadata={"description": "The new time is held until then"})
    booking = ma.fields.Nested(Booking, required=True, metadata={"description": "Still at its old time"})


# -- the client card's edits -------------------------------------------------------------------------


class ClientNotesIn(Strict):
    notes = ma.fields.String(required=True, validate=validate.Length(max=4000))
    tags = ma.fields.List(
        ma.fields.String(validate=[validate.Length(max=40), Pattern(r"^[^,]*$", error="No commas in a tag.")]),
        required=True,
        validate=validate.Length(max=10),
        metadata={"description": "At most 10, each at most 40 characters; repeats are dropped"},
    )


class ClientBlockIn(Strict):
    reason = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=300), metadata={"description": "Only your venue sees it"}
    )


# -- editing the venue: services, team, hours, closures ------------------------------------------------


class ServiceOptionIn(Strict):
    id = JsonInteger(
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "One of the service's options, kept; left out: new"},
    )
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=60))
    duration_minutes = JsonInteger(required=True, validate=validate.Range(5, 720))
    price_minor = JsonInteger(required=True, validate=validate.Range(0, 10_000_000))


class ServiceAddonIn(Strict):
    id = JsonInteger(
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "One of the service's add-ons, kept; left out: new"},
    )
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=60))
    price_minor = JsonInteger(required=True, validate=validate.Range(0, 10_000_000))
    extra_minutes = JsonInteger(load_default=0, validate=validate.Range(0, 240))


class ServiceProcessingIn(Strict):
    after_minutes = JsonInteger(required=True, validate=validate.Range(5, 600))
    minutes = JsonInteger(required=True, validate=validate.Range(5, 480))


class ServiceNeedIn(Strict):
    resource_id = JsonInteger(
        required=True, validate=validate.Range(1, MAX_ID), metadata={"description": "One of the venue's resources"}
    )
    units = JsonInteger(
        required=True, validate=validate.Range(1, 10), metadata={"description": "At most the resource's quantity"}
    )
    shared = JsonBoolean(
        load_default=False,
        metadata={
            "description": "true: guests booked together for one time take it once (a couples massage's double "
            "room); false: each guest's booking takes its own. Left out: false"
        },
    )


class Resource(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, metadata={"example": "Treatment room"})
    quantity = ma.fields.Integer(required=True, metadata={"description": "How many; each is booked on its own"})


class ResourceIn(Strict):
    name = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=60), metadata={"description": "Unique in the venue"}
    )
    quantity = JsonInteger(required=True, validate=validate.Range(1, 50))


class ServiceIn(Strict):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=120))
    description = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    duration_minutes = JsonInteger(required=True, validate=validate.Range(5, 720))
    price_minor = JsonInteger(
        required=True, validate=validate.Range(0, 10_000_000), metadata={"description": "In the venue's currency"}
    )
    capacity = JsonInteger(load_default=1, validate=validate.Range(1, 50))
    buffer_minutes = JsonInteger(load_default=0, validate=validate.Range(0, 240))
    is_active = JsonBoolean(load_default=True, metadata={"description": "False hides it (archives it)"})
    # Optional, as the dashboard's service form (app/venues/catalog_forms.py) and checked by the same
    # rules (app/venues/deposits.py, booking_rules.py): left out, a PUT keeps the service's, a POST
    # takes the form's defaults (no category, paid in full online, the default booking rules).
    category_id = JsonInteger(
        allow_none=True, validate=validate.Range(1, MAX_ID), metadata={"description": "GET /categories; null: none"}
    )
    payment_mode = ma.fields.String(
        validate=validate.OneOf([mode.value for mode in PaymentMode]), metadata={"description": "How customers pay"}
    )
    deposit_percent = JsonInteger(
        allow_none=True, validate=validate.Range(1, 99), metadata={"description": "With deposit_percent"}
    )
    deposit_fixed_minor = JsonInteger(
        allow_none=True,
        validate=validate.Range(1, 10_000_000),
        metadata={"description": "With deposit_fixed: less than the price"},
    )
    no_show_fee_percent = JsonInteger(allow_none=True, validate=validate.Range(0, 100))
    cancel_free_hours = JsonInteger(validate=validate.Range(0, MAX_FREE_HOURS))
    cancel_late_fee_percent = JsonInteger(
        allow_none=True, validate=validate.Range(0, 100), metadata={"description": "null: no cancelling late"}
    )
    min_notice_minutes = JsonInteger(
        allow_none=True,
        validate=validate.Range(0, MAX_NOTICE_MINUTES),
        metadata={"description": "null: the platform's"},
    )
    max_advance_days = JsonInteger(
        allow_none=True, validate=validate.Range(1, MAX_ADVANCE_DAYS), metadata={"description": "null: the platform's"}
    )
    request_to_book = JsonBoolean(metadata={"description": "True: you accept or decline each booking"})
    request_window_hours = JsonInteger(validate=validate.Range(1, MAX_REQUEST_WINDOW_HOURS))
    options = ma.fields.List(
        ma.fields.Nested(ServiceOptionIn),
        validate=validate.Length(max=10),
        metadata={
            "description": "None, or 2 to 10 with distinct names: they replace the service's (one left out is "
            "removed); its duration_minutes and price_minor become the cheapest's. Left out: kept as they are"
        },
    )
    addons = ma.fields.List(
        ma.fields.Nested(ServiceAddonIn),
        validate=validate.Length(max=10),
        metadata={
            "description": "Up to 10 with distinct names: they replace the service's (one left out is removed; "
            "bookings keep it as booked; []: none). Left out: kept as they are"
        },
    )
    processing = ma.fields.Nested(
        ServiceProcessingIn,
        allow_none=True,
        metadata={
            "description": "A gap after_minutes into the service, minutes long, ending before every length "
            "(its own, each option's); null: none. Left out: kept as it is"
        },
    )
    needs = ma.fields.List(
        ma.fields.Nested(ServiceNeedIn),
        validate=validate.Length(max=20),
        metadata={
            "description": "The rooms and equipment one booking takes, each resource once: they replace what it "
            "needed ([]: nothing). Left out: kept as they are"
        },
    )


class StaffTeamMember(TeamMember):
    bio = ma.fields.String()
    service_ids = ma.fields.List(ma.fields.Integer(), required=True)


class TeamMemberIn(Strict):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=120))
    title = ma.fields.String(load_default="", validate=validate.Length(max=120))
    bio = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    service_ids = ma.fields.List(
        JsonInteger(validate=validate.Range(1, MAX_ID)),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={"description": "Your services they perform"},
    )


class OpeningRangeIn(Strict):
    weekday = JsonInteger(required=True, validate=validate.Range(0, 6), metadata={"description": "0 = Monday"})
    opens = ma.fields.String(required=True, validate=HHMM, metadata={"example": "09:00"})
    closes = ma.fields.String(required=True, validate=HHMM, metadata={"example": "18:00", "description": "24:00 ok"})


class WeeklyHoursIn(Strict):
    weekly = ma.fields.List(
        ma.fields.Nested(OpeningRangeIn),
        required=True,
        validate=validate.Length(max=70),
        metadata={"description": "The whole week: a day with no range is closed"},
    )


class ClosureIn(Strict):
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))


# -- the venue's profile and FAQs ------------------------------------------------------------------------


class VenueProfileIn(Strict):
    """The profile pages' fields (basics, location), each optional: what is left out stays."""

    name = ma.fields.String(validate=validate.Length(min=1, max=120))
    description = ma.fields.String(validate=validate.Length(max=5000))
    category_id = JsonInteger(
        allow_none=True, validate=validate.Range(1, MAX_ID), metadata={"description": "GET /categories; null: none"}
    )
    tags = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=40)),
        validate=validate.Length(max=10),
        metadata={"description": "Replaces the tags: at most 10, letters, numbers and spaces"},
    )
    phone = ma.fields.String(
        validate=[
            validate.Length(max=32),
            Pattern(r"^$|^\+?[0-9 ()\-]{6,32}$", error="Use digits, spaces, brackets and a leading +."),
        ]
    )
    email = ma.fields.String(
        validate=[
            validate.Length(max=254),
            Pattern(rf"^$|^[^@{SPACE}]+@[^@{SPACE}]+\.[^@{SPACE}]+$", error="Enter a valid email address."),
        ],
        metadata={"description": "For bookings; empty: none"},
    )
    website = ma.fields.String(
        validate=[
            validate.Length(max=300),
            Pattern(rf"^$|^[^{SPACE}]+\.[^{SPACE}]+$", error="Enter a web address like example.com."),
        ]
    )
    address_line = ma.fields.String(validate=validate.Length(min=1, max=200))
    city = ma.fields.String(validate=validate.Length(min=1, max=100))
    postcode = ma.fields.String(validate=validate.Length(max=20))
    country = ma.fields.String(validate=validate.Length(max=2), metadata={"example": "GB"})
    latitude = JsonNumber(validate=validate.Range(-90, 90))
    longitude = JsonNumber(validate=validate.Range(-180, 180))
    timezone = ma.fields.String(validate=validate.Length(max=64), metadata={"example": "Europe/London"})


class Faq(ma.Schema):
    id = ma.fields.Integer(required=True)
    question = ma.fields.String(required=True)
    answer = ma.fields.String(required=True)


class FaqIn(Strict):
    question = ma.fields.String(required=True, validate=validate.Length(min=1, max=300))
    answer = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
