"""A seeded search corpus: 12 approved venues in London, Manchester and Edinburgh with known
names, services, prices, tags and coordinates, plus venues that must never be found (two
drafts, one waiting for review, one suspended), and a brute-force model of the filters."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.accounts.models import Role
from app.platform.extensions import db
from app.venues.models import Category, OpeningHours, Service, Venue, VenueImage, VenueStatus
from app.venues.slugs import slugify
from search.geo import distance_km
from search.types import PRICE_BUCKETS, RATING_BUCKETS, SearchQuery

LONDON = (51.5072, -0.1276)
MANCHESTER = (53.4808, -2.2426)
EDINBURGH = (55.9533, -3.1883)


@dataclass(frozen=True)
class Spec:
    name: str
    category: str
    city: str
    lat: float
    lng: float
    services: tuple[tuple[str, int, bool], ...]  # (name, price_minor, active)
    tags: tuple[str, ...] = ()
    status: str = VenueStatus.APPROVED
    description: str = ""
    hours: tuple[int, int] = (9 * 60, 18 * 60)  # opens, closes (local minutes), every day

    @property
    def price_from(self) -> int | None:
        prices = [price for _, price, active in self.services if active]
        return min(prices) if prices else None

    @property
    def searchable(self) -> bool:
        return self.status == VenueStatus.APPROVED


SPECS: tuple[Spec, ...] = (
    Spec(
        "Lotus Massage Rooms",
        "massage",
        "London",
        51.5155,
        -0.1410,
        (("Swedish massage", 4500, True), ("Deep tissue massage", 6000, True)),
        ("walk-ins", "parking"),
    ),
    Spec(
        "Café Zoë Nails",
        "nails",
        "London",
        51.5230,
        -0.0760,
        (("Gel manicure", 2500, True), ("Classic pedicure", 3000, True)),
        ("vegan products",),
    ),
    Spec(
        "Willow Spa",
        "spa",
        "London",
        51.4613,
        -0.1380,
        (("Spa day access", 9000, True), ("Hammam and scrub", 7000, True)),
        ("gift cards", "parking"),
    ),
    Spec(
        "Juniper Hair House",
        "hair",
        "London",
        51.5390,
        -0.1426,
        (("Cut and blow-dry", 4000, True), ("Balayage", 12000, True)),
        ("late opening",),
    ),
    Spec("Cedar Barbers", "barber", "London", 51.5100, -0.1340, (("Skin fade", 2000, True),), ("walk-ins",)),
    Spec(
        "Amber Massage Studio",
        "massage",
        "Manchester",
        53.4840,
        -2.2360,
        (("Sports massage", 5500, True), ("Hot stone massage", 7500, True), ("Express massage", 1000, False)),
        ("walk-ins", "wheelchair access"),
    ),
    Spec("Pearl Skin Studio", "facial", "Manchester", 53.4720, -2.2980, (("Signature facial", 6500, True),)),
    Spec(
        "Saffron Wellness",
        "wellness",
        "Manchester",
        53.4180,
        -2.2310,
        (("Reflexology", 4800, True), ("Reiki session", 5000, True)),
        ("wheelchair access",),
    ),
    Spec(
        "Hazel Nail Bar",
        "nails",
        "Manchester",
        53.4850,
        -2.2400,
        (("Luxury mani-pedi", 4500, True),),
        ("walk-ins", "vegan products"),
    ),
    Spec(
        "Marigold Movement Studio",
        "fitness",
        "Edinburgh",
        55.9580,
        -3.1900,
        (("Reformer pilates", 2200, True), ("Hot yoga class", 1800, True)),
        ("parking",),
    ),
    Spec(
        "Linden Brow & Lash",
        "brows-lashes",
        "Edinburgh",
        55.9420,
        -3.2050,
        (("Brow lamination", 3500, True),),
        ("gift cards",),
    ),
    Spec(
        "Thistle Spa & Massage",
        "spa",
        "Edinburgh",
        55.9750,
        -3.1700,
        (("Couples spa ritual", 15000, True), ("Aromatherapy massage", 8000, True)),
        ("late opening", "parking"),
    ),
    # Never searchable.
    Spec(
        "Lotus Massage Draft House",
        "massage",
        "London",
        51.5150,
        -0.1400,
        (("Swedish massage", 3000, True),),
        ("walk-ins",),
        VenueStatus.DRAFT,
    ),
    Spec(
        "Masseuse Corner",
        "massage",
        "London",
        51.5160,
        -0.1420,
        (("Sports massage", 2800, True),),
        (),
        VenueStatus.DRAFT,
    ),
    Spec(
        "Massage Pending Review",
        "massage",
        "Manchester",
        53.4810,
        -2.2420,
        (("Deep tissue massage", 4000, True),),
        ("walk-ins",),
        VenueStatus.PENDING_REVIEW,
    ),
    Spec(
        "Suspended Massage Parlour",
        "massage",
        "Edinburgh",
        55.9530,
        -3.1880,
        (("Hot stone massage", 5000, True),),
        ("parking",),
        VenueStatus.SUSPENDED,
    ),
)


@dataclass
class Corpus:
    venues: dict[str, Venue] = field(default_factory=dict)  # by name
    specs: dict[int, Spec] = field(default_factory=dict)  # by venue id

    @property
    def ids(self) -> list[int]:
        return sorted(self.specs)

    @property
    def searchable_ids(self) -> set[int]:
        return {i for i, s in self.specs.items() if s.searchable}

    @property
    def hidden_ids(self) -> set[int]:
        return {i for i, s in self.specs.items() if not s.searchable}

    def id_of(self, name: str) -> int:
        return self.venues[name].id

    def name_of(self, venue_id: int) -> str:
        return self.specs[venue_id].name


def build_corpus(make_user, specs: tuple[Spec, ...] = SPECS) -> Corpus:
    """Create every venue of ``specs`` (flushed, not committed) and return them.

    Rows are built directly (one flush) rather than through the venue service: the service
    functions flush and validate per call, which would make every search test slow.
    """
    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    corpus = Corpus()
    for n, spec in enumerate(specs):
        owner = make_user(role=Role.PROVIDER, email=f"search-owner-{n}@example.com")
        category = categories[spec.category]
        venue = Venue(
            owner_id=owner.id,
            name=spec.name,
            slug=slugify(spec.name),
            description=spec.description
            or f"{spec.name} is a friendly {category.name.lower()} venue in {spec.city}. Book online any time.",
            category_id=category.id,
            tags=list(spec.tags),
            address_line=f"{n + 1} High Street",
            city=spec.city,
            postcode="E1 6AN",
            latitude=spec.lat,
            longitude=spec.lng,
            timezone="Europe/London",
            status=spec.status,
            changed_fields=[],
        )
        opens, closes = spec.hours
        venue.opening_hours = [OpeningHours(weekday=d, opens_minute=opens, closes_minute=closes) for d in range(7)]
        venue.services = [
            Service(
                name=name,
                category_id=category.id,
                duration_minutes=60,
                price_minor=price,
                is_active=active,
                position=position,
            )
            for position, (name, price, active) in enumerate(spec.services)
        ]
        venue.images = [
            VenueImage(
                kind="venue",
                alt_text=f"Inside {spec.name}",
                is_cover=True,
                variants={"card": {"key": f"venues/{n}/card.webp"}, "thumb": {"key": f"venues/{n}/thumb.webp"}},
            )
        ]
        db.session.add(venue)
        corpus.venues[spec.name] = venue
    db.session.flush()
    by_name = {spec.name: spec for spec in specs}
    corpus.specs = {venue.id: by_name[venue.name] for venue in corpus.venues.values()}
    return corpus


# -- the filters, by brute force -----------------------------------------------------------------


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance on the one earth model (search.geo), by haversine."""
    return distance_km(lat1, lng1, lat2, lng2) * 1000.0


def matches(spec: Spec, query: SearchQuery, *, ignore: str | None = None) -> bool:
    """Does ``spec`` pass every filter of ``query`` (text aside), except the facet ``ignore``?"""
    if not spec.searchable:
        return False
    if ignore != "category" and query.category and spec.category != query.category:
        return False
    if ignore != "tags" and not set(query.tags) <= set(spec.tags):
        return False
    if ignore != "price":
        price = spec.price_from
        if query.price_min is not None and (price is None or price < query.price_min):
            return False
        if query.price_max is not None and (price is None or price > query.price_max):
            return False
    if ignore != "rating" and query.min_rating is not None:
        return False  # no venue has a rating yet
    if query.radius_km is not None:
        assert query.lat is not None and query.lng is not None
        if distance_m(query.lat, query.lng, spec.lat, spec.lng) > query.radius_km * 1000:
            return False
    return True


def expected_facets(specs: list[Spec], query: SearchQuery) -> dict[str, object]:
    """Facet counts for ``query`` over ``specs``: category and tags as {value: count} (zeros left
    out), price and rating as counts in PRICE_BUCKETS and RATING_BUCKETS order."""
    category: dict[str, int] = {}
    tags: dict[str, int] = {}
    price = [0] * len(PRICE_BUCKETS)
    for spec in specs:
        if matches(spec, query, ignore="category"):
            category[spec.category] = category.get(spec.category, 0) + 1
        if matches(spec, query, ignore="tags"):
            for tag in spec.tags:
                tags[tag] = tags.get(tag, 0) + 1
        if matches(spec, query, ignore="price") and spec.price_from is not None:
            for i, (low, high) in enumerate(PRICE_BUCKETS):
                if spec.price_from >= low and (high is None or spec.price_from < high):
                    price[i] += 1
    rating = [0] * len(RATING_BUCKETS)  # no venue has a rating yet
    return {"category": category, "tags": tags, "price": price, "rating": rating}
