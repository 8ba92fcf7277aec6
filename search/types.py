"""The search contract shared by every backend, the indexer and the search page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from flask_babel import gettext as _

SORTS = ("relevance", "distance", "price", "rating")
MAX_PAGE_SIZE = 50
MAX_RADIUS_KM = 500.0
PRICE_BUCKETS = ((0, 2500), (2500, 5000), (5000, 10000), (10000, None))  # minor units, [from, to)
RATING_BUCKETS = (4.5, 4.0, 3.0)  # "4.5 and up", ...


class InvalidQuery(ValueError):
    """A search parameter a person got wrong; the message says which and why, ``field`` names
    the parameter (the API lists it under ``errors``)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    category: str | None = None  # category slug
    tags: tuple[str, ...] = ()
    price_min: int | None = None  # minor units, on the venue's cheapest active service
    price_max: int | None = None
    min_rating: float | None = None
    lat: float | None = None
    lng: float | None = None
    radius_km: float | None = None  # needs lat/lng
    open_now: bool = False
    free_from: datetime | None = None  # aware; "free in this window" (needs the slot engine)
    free_to: datetime | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise InvalidQuery(_("Sort by one of: %(join)s.", join=", ".join(SORTS)), field="sort")
        if self.page < 1:
            raise InvalidQuery(_("The page must be 1 or more."), field="page")
        if self.page > 1000:
            raise InvalidQuery(_("The page must be 1000 or less."), field="page")
        if not 1 <= self.per_page <= MAX_PAGE_SIZE:
            raise InvalidQuery(
                _("Show between 1 and %(max_page_size)s results a page.", max_page_size=MAX_PAGE_SIZE), field="per_page"
            )
        if (self.lat is None) != (self.lng is None):
            raise InvalidQuery(_("Give both latitude and longitude."), field="lat")
        if self.lat is not None and not -90 <= self.lat <= 90:
            raise InvalidQuery(_("Latitude must be between -90 and 90."), field="lat")
        if self.lng is not None and not -180 <= self.lng <= 180:
            raise InvalidQuery(_("Longitude must be between -180 and 180."), field="lng")
        if self.radius_km is not None:
            if self.radius_km <= 0:
                raise InvalidQuery(_("The radius must be more than 0 km."), field="radius")
            if self.radius_km > MAX_RADIUS_KM:
                raise InvalidQuery(
                    _("The radius can be at most %(max_radius_km)s km.", max_radius_km=format(MAX_RADIUS_KM, "g")),
                    field="radius",
                )
            if self.lat is None:
                raise InvalidQuery(_("A radius needs a location (latitude and longitude)."), field="radius")
        if self.sort == "distance" and self.lat is None:
            raise InvalidQuery(_("Sorting by distance needs a location."), field="sort")
        if self.price_min is not None and self.price_min < 0:
            raise InvalidQuery(_("The minimum price can't be negative."), field="price_min")
        if self.price_min is not None and self.price_max is not None and self.price_max < self.price_min:
            raise InvalidQuery(_("The maximum price must be at least the minimum price."), field="price_max")
        if self.min_rating is not None and not 0 <= self.min_rating <= 5:
            raise InvalidQuery(_("The minimum rating is between 0 and 5."), field="rating")
        if (self.free_from is None) != (self.free_to is None):
            raise InvalidQuery(_("Give both the start and the end of the free time window."), field="free_to")
        if self.free_from is not None and self.free_to is not None and self.free_to <= self.free_from:
            raise InvalidQuery(_("The free time window must end after it starts."), field="free_to")
        if len(self.text) > 200:
            raise InvalidQuery(_("Search for at most 200 characters."), field="q")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class VenueDocument:
    """What the index knows about one approved venue (built by search.documents)."""

    id: int
    slug: str
    name: str
    description: str
    category: str | None  # slug
    category_name: str | None
    tags: tuple[str, ...]
    service_names: tuple[str, ...]
    city: str
    lat: float | None
    lng: float | None
    price_from: int | None  # cheapest active service, minor units
    currency: str
    rating: float | None  # average review rating; None until reviews exist
    review_count: int
    cover_thumb: str | None  # storage key of the cover's card variant
    timezone: str
    updated_at: datetime | None = None
    # Can take paid bookings now (app.payouts.accounts.payable_venue_ids, when indexed): a venue
    # that can't ranks below those that can, shows no free times, and a free-window search skips it.
    bookable: bool = True


@dataclass(frozen=True)
class SearchHit:
    venue_id: int
    slug: str
    name: str
    score: float
    distance_km: float | None
    highlight: str  # safe HTML: only <mark> tags around matched words, the rest escaped
    document: VenueDocument | None = None


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Facet:
    name: str  # "category", "tags", "price", "rating"
    values: tuple[FacetValue, ...]
    # False for a broad search (more matches than the backend counts): the values are those
    # of the venues it read, and their counts are not shown.
    counted: bool = True


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[SearchHit, ...]
    total: int
    facets: dict[str, Facet] = field(default_factory=dict)
    backend: str = ""
    # When no venue matched every word: the words the shown venues match instead ("spa day"),
    # one entry per set of words, the most common first. Empty when every word matched.
    relaxed: tuple[str, ...] = ()
    # True when more venues match than the backend counts: ``total`` is then that limit + 1,
    # shown as "1,000+" (search.pg_sql.COUNT_CAP).
    total_capped: bool = False


class SearchBackend(Protocol):
    name: str

    def index(self, venue_ids: list[int]) -> None:
        """(Re)index these venues; ids that are not approved are removed instead."""

    def remove(self, venue_ids: list[int]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Venue names, categories and service names starting with (or close to) ``prefix``."""

    def reindex_all(self, progress=None) -> int:
        """Rebuild everything; ``progress(done, total)`` is called as it goes. Returns the count."""


# -- facet buckets: values and labels (shared wording for every backend) -------------------

TOP_TAGS = 15  # tags shown in the tag facet


def price_bucket_key(low: int, high: int | None) -> str:
    return f"{low}-{high if high is not None else ''}"


def price_bucket_label(low: int, high: int | None) -> str:
    if high is None:
        return _("£%(low)s and up", low=low // 100)
    if low == 0:
        return _("Under £%(high)s", high=high // 100)
    return f"£{low // 100}–£{high // 100}"


def rating_bucket_key(minimum: float) -> str:
    return f"{minimum:g}"


def rating_bucket_label(minimum: float) -> str:
    return _("%(rating)s and up", rating=format(minimum, "g"))
