"""A corpus of N approved venues for the search benchmark, in a database of its own.

Text is built from word lists per category (names, 3-8 services, 2-3 sentence descriptions
from templates, tags), locations cluster around 25 UK and European cities with gaussian
jitter plus a few rural outliers, prices follow each category (dearer in London, Paris and
Amsterdam), opening hours follow a handful of real-world patterns, and ratings are random
between 3.0 and 5.0 (set directly in ``venue_search``, not written as reviews).

How the rows get in:

1. ``users``, ``venues``, ``services``, ``opening_hours`` and ``closures`` are written with
   ``COPY`` through psycopg, 5,000 venues a batch (the ORM would take far too long at 100k).
2. ``venue_search`` and ``venue_search_terms`` are filled by the backend's own
   ``PostgresBackend.reindex_all()`` (the same code ``flask search reindex`` runs), so the
   index is exactly what production builds. It manages 100k venues in a few minutes here.
3. Ratings and review counts are written into ``venue_search`` directly; that
   UPDATE leaves a dead copy of every row, so ``venue_search`` is rewritten with
   ``VACUUM (FULL)``, then every table is ``VACUUM ANALYZE``d.

Each size gets its own database (``cozywish_bench_1k``, ``_10k``, ``_100k``) made with
``tests.database.create_fresh_database`` on the server ``tests.database.server_url()``
chooses (DATABASE_URL/TEST_DATABASE_URL, else the embedded one), migrated with
``flask_migrate.upgrade()``. A comment on the database records the generator version, size
and seed, so ``--reuse`` can skip a build that is already there.

    .venv/bin/python -m bench.search.generate --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from app.venues.slugs import slugify
from tests.database import create_fresh_database, drop_database, libpq, server_url

GENERATOR_VERSION = 3  # 3: the free time kept ahead (search/free_time.py) is built too
DEFAULT_SEED = 20261122
BATCH_VENUES = 5000
RURAL_SHARE = 0.04
UK_BOX = (50.4, 57.6, -4.8, 1.4)  # lat min, lat max, lng min, lng max: the rural outliers


# -- places --------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    lat: float
    lng: float
    weight: float  # share of venues (relative)
    sigma_km: float  # spread of the cluster
    country: str = "GB"
    timezone: str = "Europe/London"
    currency: str = "GBP"
    price_factor: float = 1.0


CITIES: tuple[City, ...] = (
    City("London", 51.5072, -0.1276, 30, 9.0, price_factor=1.25),
    City("Manchester", 53.4808, -2.2426, 6, 5.0),
    City("Birmingham", 52.4862, -1.8904, 6, 5.5),
    City("Leeds", 53.8008, -1.5491, 4, 4.0),
    City("Glasgow", 55.8642, -4.2518, 4, 4.5),
    City("Edinburgh", 55.9533, -3.1883, 4, 3.5, price_factor=1.1),
    City("Liverpool", 53.4084, -2.9916, 3, 4.0),
    City("Bristol", 51.4545, -2.5879, 3, 3.5, price_factor=1.05),
    City("Sheffield", 53.3811, -1.4701, 2.5, 3.5),
    City("Newcastle", 54.9783, -1.6178, 2.5, 3.5),
    City("Nottingham", 52.9548, -1.1581, 2, 3.0),
    City("Cardiff", 51.4816, -3.1791, 2, 3.0),
    City("Belfast", 54.5973, -5.9301, 2, 3.0),
    City("Leicester", 52.6369, -1.1398, 1.5, 3.0),
    City("Brighton", 50.8225, -0.1372, 2, 2.5, price_factor=1.1),
    City("Oxford", 51.7520, -1.2577, 1.2, 2.0, price_factor=1.15),
    City("Cambridge", 52.2053, 0.1218, 1.2, 2.0, price_factor=1.15),
    City("York", 53.9590, -1.0815, 1, 2.0),
    City("Bath", 51.3811, -2.3590, 0.8, 1.5, price_factor=1.1),
    City("Dublin", 53.3498, -6.2603, 3, 4.0, "IE", "Europe/Dublin", "EUR", 1.15),
    City("Paris", 48.8566, 2.3522, 5, 5.0, "FR", "Europe/Paris", "EUR", 1.2),
    City("Amsterdam", 52.3676, 4.9041, 3, 3.5, "NL", "Europe/Amsterdam", "EUR", 1.2),
    City("Berlin", 52.5200, 13.4050, 3, 6.0, "DE", "Europe/Berlin", "EUR", 1.0),
    City("Madrid", 40.4168, -3.7038, 2, 5.0, "ES", "Europe/Madrid", "EUR", 0.9),
    City("Lisbon", 38.7223, -9.1393, 1.5, 3.5, "PT", "Europe/Lisbon", "EUR", 0.85),
)

VILLAGES = (
    "Ambleside", "Hay-on-Wye", "Bakewell", "Padstow", "Pitlochry", "Rye", "Ludlow", "Keswick",
    "Tenby", "Whitby", "Bourton-on-the-Water", "Aldeburgh", "Hebden Bridge", "Totnes", "Dunkeld",
    "Castle Combe", "Grasmere", "Melrose", "Lavenham", "Beddgelert",
)  # fmt: skip

STREETS = (
    "High Street", "Station Road", "Church Lane", "Market Place", "King Street", "Queen Street",
    "Victoria Road", "Mill Lane", "Park Road", "Bridge Street", "Castle Street", "Green Lane",
)  # fmt: skip


# -- categories, services, names -----------------------------------------------------------


@dataclass(frozen=True)
class CategorySpec:
    slug: str  # as seeded by migration 0003
    weight: float
    noun: str  # "massage studio"
    staff: str  # "massage therapists"
    first_words: tuple[str, ...]
    suffixes: tuple[str, ...]
    services: tuple[tuple[str, int, int], ...]  # (name, typical price in pounds, minutes)
    keywords: tuple[str, ...]  # what people type


CATEGORY_SPECS: tuple[CategorySpec, ...] = (
    CategorySpec(
        "hair", 20, "hair salon", "stylists",
        ("Juniper", "Fringe", "Mane", "Loft", "Scissors", "Shear", "Strand", "Halo", "Blonde", "Curl",
         "Maison", "Copper", "Ivy", "Mirror"),
        ("Hair", "Hair House", "Salon", "Hair Studio", "Hairdressing", "Hair Lounge"),
        (("Cut and blow-dry", 45, 60), ("Blow-dry", 30, 45), ("Balayage", 140, 180),
         ("Full head highlights", 110, 150), ("Root colour", 60, 90), ("Keratin treatment", 150, 150),
         ("Men's haircut", 28, 30), ("Kids' haircut", 18, 30), ("Bridal hair", 95, 90),
         ("Olaplex treatment", 35, 30), ("Curly cut", 55, 75), ("Hair extensions", 250, 180)),
        ("haircut", "hair", "balayage", "highlights", "blow-dry", "colour", "keratin", "salon"),
    ),
    CategorySpec(
        "nails", 15, "nail bar", "nail technicians",
        ("Polished", "Gloss", "Lacquer", "Candy", "Pink", "Crystal", "Diamond", "Velvet", "Cherry",
         "Tips", "Luxe", "Café Zoë", "Petal"),
        ("Nails", "Nail Bar", "Nail Studio", "Nail Lounge", "Nails & Beauty"),
        (("Gel manicure", 28, 45), ("Gel pedicure", 35, 60), ("Classic manicure", 20, 30),
         ("Classic pedicure", 28, 45), ("Acrylic full set", 40, 75), ("Acrylic infills", 30, 60),
         ("BIAB nails", 40, 60), ("Nail art", 10, 20), ("Gel removal", 10, 20),
         ("Luxury spa pedicure", 45, 60), ("Shellac manicure", 27, 45)),
        ("nails", "manicure", "pedicure", "gel nails", "acrylic", "shellac", "biab"),
    ),
    CategorySpec(
        "barber", 12, "barber shop", "barbers",
        ("Blade", "Razor", "Gentleman's", "Fade", "Dapper", "Old Town", "Kings", "Sharp", "Clipper",
         "Brothers", "Union", "Tonic"),
        ("Barbers", "Barber Shop", "Barbering Co", "Grooming", "Barber Club"),
        (("Skin fade", 25, 40), ("Classic haircut", 22, 30), ("Beard trim", 15, 20), ("Hot towel shave", 28, 40),
         ("Haircut and beard", 35, 50), ("Buzz cut", 15, 20), ("Kids' cut", 15, 25), ("Grey blending", 30, 30),
         ("Hair and beard package", 40, 60)),
        ("barber", "skin fade", "beard trim", "shave", "fade", "mens haircut"),
    ),
    CategorySpec(
        "massage", 10, "massage studio", "massage therapists",
        ("Serenity", "Tranquil", "Lotus", "Knead", "Balance", "Harmony", "Stillwater", "Calm", "Zen",
         "Willow", "Ocean", "Soothe", "Amber", "Sage", "Bamboo", "Healing Hands", "Restore"),
        ("Massage", "Massage Studio", "Massage Rooms", "Bodywork", "Massage Clinic", "Therapies"),
        (("Swedish massage", 55, 60), ("Deep tissue massage", 65, 60), ("Hot stone massage", 70, 75),
         ("Aromatherapy massage", 60, 60), ("Sports massage", 55, 45), ("Pregnancy massage", 60, 60),
         ("Thai massage", 65, 60), ("Indian head massage", 35, 30), ("Reflexology", 45, 45),
         ("Back, neck and shoulder massage", 40, 30), ("Lymphatic drainage massage", 70, 60),
         ("Couples massage", 120, 60), ("Shiatsu", 60, 60)),
        ("massage", "deep tissue", "swedish massage", "hot stone", "sports massage", "reflexology",
         "thai massage"),
    ),
    CategorySpec(
        "brows-lashes", 8, "brow and lash studio", "lash artists",
        ("Arch", "Flutter", "Lash", "Brow", "Wink", "Frame", "Lush", "Bambi", "Feather", "Mink"),
        ("Brow Bar", "Lash Studio", "Brows & Lashes", "Lash Lounge", "Brow Studio"),
        (("Brow lamination", 45, 45), ("Lash lift and tint", 50, 60), ("Brow wax and tint", 22, 30),
         ("Classic lash extensions", 60, 90), ("Russian volume lashes", 85, 120), ("Brow threading", 12, 15),
         ("Henna brows", 35, 45), ("Microblading", 250, 150), ("Lash infills", 40, 60)),
        ("lashes", "brows", "lash lift", "brow lamination", "threading", "microblading"),
    ),
    CategorySpec(
        "facial", 7, "skin clinic", "skin therapists",
        ("Glow", "Radiance", "Luminous", "Dewy", "Pure Skin", "Clear", "Derma", "Bloom", "Peony",
         "Velvet", "Aura", "Beauté"),
        ("Skin Clinic", "Facial Bar", "Skin Studio", "Aesthetics", "Skincare", "Skin Lab"),
        (("Signature facial", 65, 60), ("Express facial", 35, 30), ("Hydrafacial", 120, 60),
         ("Chemical peel", 80, 45), ("Microdermabrasion", 75, 45), ("LED light therapy", 45, 30),
         ("Dermaplaning", 55, 45), ("Anti-ageing facial", 85, 75), ("Acne treatment facial", 60, 60),
         ("Microneedling", 150, 60)),
        ("facial", "hydrafacial", "peel", "skin", "dermaplaning", "microneedling"),
    ),
    CategorySpec(
        "fitness", 6, "studio", "instructors",
        ("Core", "Flow", "Pulse", "Stretch", "Iron", "Sweat", "Ashtanga", "Strong", "Align", "Reform"),
        ("Yoga", "Pilates", "Fitness", "Studio", "Yoga Studio", "Movement"),
        (("Yoga class", 15, 60), ("Hot yoga", 18, 60), ("Pilates reformer", 28, 50), ("Mat pilates", 15, 50),
         ("Personal training", 55, 60), ("Barre class", 16, 50), ("Spin class", 14, 45), ("HIIT class", 13, 45),
         ("Boxing class", 15, 60), ("Vinyasa flow", 15, 75)),
        ("yoga", "pilates", "reformer", "hot yoga", "personal training", "spin"),
    ),
    CategorySpec(
        "spa", 5, "day spa", "therapists",
        ("Aqua", "Thermae", "Haven", "Oasis", "Sanctuary", "Elm", "Birch", "Rosewood", "Solace", "Éden",
         "Hydro", "Linden"),
        ("Spa", "Day Spa", "Spa & Hammam", "Urban Spa", "Spa Retreat", "Wellness Spa"),
        (("Spa day access", 75, 240), ("Hammam and scrub", 70, 60), ("Thermal suite", 40, 120),
         ("Body wrap", 65, 60), ("Salt scrub", 50, 45), ("Spa day for two", 150, 240),
         ("Flotation session", 55, 60), ("Mud wrap", 60, 60), ("Sauna and steam", 25, 60), ("Twilight spa", 55, 180)),
        ("spa", "spa day", "hammam", "sauna", "thermal suite", "body wrap"),
    ),
    CategorySpec(
        "wellness", 5, "wellness centre", "practitioners",
        ("Mindful", "Equilibrium", "Root", "Still", "Breathe", "Sol", "Kaya", "Prana", "Hearth"),
        ("Wellness", "Wellbeing Centre", "Clinic", "Health Studio", "Healing Rooms"),
        (("Acupuncture", 60, 45), ("Reiki", 50, 60), ("Sound bath", 25, 60), ("Osteopathy", 65, 45),
         ("Cupping therapy", 45, 45), ("Meditation class", 15, 45), ("Nutrition consultation", 70, 60),
         ("Infrared sauna", 30, 40), ("Cryotherapy", 40, 30)),
        ("acupuncture", "reiki", "sound bath", "osteopath", "cupping", "meditation"),
    ),
    CategorySpec(
        "waxing", 5, "waxing studio", "therapists",
        ("Smooth", "Silk", "Bare", "Sugar", "Satin", "Sleek", "Honey", "Strip"),
        ("Waxing", "Wax Bar", "Hair Removal", "Laser Clinic", "Wax Studio"),
        (("Full leg wax", 35, 45), ("Half leg wax", 25, 30), ("Brazilian wax", 35, 30), ("Hollywood wax", 40, 40),
         ("Underarm wax", 12, 15), ("Laser hair removal", 90, 30), ("Bikini wax", 20, 20), ("Back wax", 30, 30),
         ("Lip and chin wax", 12, 15)),
        ("wax", "waxing", "brazilian", "laser hair removal", "leg wax"),
    ),
    CategorySpec(
        "tanning", 4, "tanning studio", "tan artists",
        ("Bronze", "Sun", "Golden", "Tropic", "Sahara", "Caramel", "Island"),
        ("Tanning", "Tan Studio", "Tan Bar", "Sunbeds", "Tanning Lounge"),
        (("Spray tan", 25, 20), ("Express spray tan", 30, 15), ("Rapid tan", 28, 20), ("Tanning bed session", 10, 12),
         ("Tan removal", 20, 30), ("Bridal tan package", 65, 45)),
        ("tan", "spray tan", "tanning", "sunbed"),
    ),
    CategorySpec(
        "makeup", 3, "makeup studio", "makeup artists",
        ("Blush", "Contour", "Glam", "Rouge", "Palette", "Muse", "Bella", "Kohl"),
        ("Makeup", "Makeup Studio", "Beauty", "Artistry", "Makeup Artistry"),
        (("Bridal makeup", 120, 90), ("Special occasion makeup", 60, 60), ("Makeup lesson", 70, 75),
         ("Party makeup", 50, 45), ("Airbrush makeup", 75, 60), ("Bridal trial", 70, 75), ("Prom makeup", 45, 45)),
        ("makeup", "bridal makeup", "makeup lesson", "airbrush"),
    ),
)  # fmt: skip

PERSON_NAMES = (
    "Anna", "Maya", "Sofia", "Priya", "Chloe", "Amara", "Grace", "Leila", "Ruby", "Isla", "Zara", "Nadia",
    "Tom", "Sam", "Kofi", "Luca", "Omar", "Jack", "Ravi", "Finn", "Mei", "Hana", "Elena", "Jade",
)  # fmt: skip

TAGS: tuple[tuple[str, float], ...] = (
    ("walk-ins", 10), ("parking", 8), ("gift cards", 9), ("vegan products", 6), ("wheelchair access", 7),
    ("late opening", 6), ("women only", 3), ("men only", 2), ("kids welcome", 4), ("couples", 3),
    ("organic", 4), ("card only", 5), ("lgbtq+ friendly", 4), ("student discount", 5), ("eco friendly", 3),
    ("air conditioned", 3), ("free wifi", 4), ("english spoken", 2),
)  # fmt: skip

ADJECTIVES = (
    "friendly", "relaxed", "award-winning", "independent", "boutique", "family-run", "modern", "cosy",
    "stylish", "welcoming", "light-filled", "calm",
)  # fmt: skip
QUALITIES = (
    "products that are kind to your skin", "plenty of time for a consultation", "complimentary tea and coffee",
    "quiet, private treatment rooms", "expert advice and aftercare", "premium organic products",
)  # fmt: skip
CLOSERS = (
    "Book online in seconds.", "Walk-ins welcome when we have space.", "Gift cards are available at reception.",
    "Students get 10% off on weekdays.", "Free parking is available behind the building.",
    "We're a short walk from the station.", "Evening appointments until 8 pm on Thursdays.",
)  # fmt: skip

# Opening patterns: (weekday 0 = Monday, opens, closes) in local minutes since midnight.
HOURS_PATTERNS: tuple[tuple[tuple[int, int, int], ...], ...] = (
    tuple((d, 9 * 60, 18 * 60) for d in range(6)),  # Mon-Sat 9-18
    (*((d, 10 * 60, 20 * 60) for d in range(5)), (5, 9 * 60, 17 * 60), (6, 11 * 60, 16 * 60)),
    tuple((d, 8 * 60, 21 * 60) for d in range(7)),  # every day 8-21
    tuple(r for d in range(1, 6) for r in ((d, 9 * 60, 13 * 60), (d, 14 * 60, 18 * 60 + 30))),  # Tue-Sat, lunch
    (*((d, 7 * 60, 22 * 60) for d in range(5)), (5, 8 * 60, 20 * 60), (6, 8 * 60, 20 * 60)),  # gyms
)
HOURS_WEIGHTS = (35, 25, 15, 15, 10)


def city_weights() -> list[float]:
    return [c.weight for c in CITIES]


# -- one venue ----------------------------------------------------------------------------


@dataclass
class VenueRow:
    id: int
    name: str
    category: CategorySpec
    city: str
    lat: float
    lng: float
    country: str
    timezone: str
    currency: str
    tags: list[str]
    description: str
    address: str
    postcode: str
    services: list[tuple[str, int, int, bool]]  # name, price_minor, minutes, active
    hours: tuple[tuple[int, int, int], ...]
    closure: tuple[date, date] | None
    rating: float
    review_count: int


def _jitter(rng: random.Random, lat: float, lng: float, sigma_km: float) -> tuple[float, float]:
    dlat = rng.gauss(0.0, sigma_km) / 111.32
    dlng = rng.gauss(0.0, sigma_km) / (111.32 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lng + dlng, 6)


def _name(rng: random.Random, spec: CategorySpec, city: str) -> str:
    suffix = rng.choice(spec.suffixes)
    pattern = rng.random()
    if pattern < 0.55:
        return f"{rng.choice(spec.first_words)} {suffix}"
    if pattern < 0.7:
        return f"{rng.choice(PERSON_NAMES)}'s {suffix}"
    if pattern < 0.85:
        return f"The {rng.choice(spec.first_words)} {suffix}"
    return f"{rng.choice(spec.first_words)} {suffix} {city}"


def _description(rng: random.Random, name: str, spec: CategorySpec, city: str, services: list[str]) -> str:
    place = rng.choice((city, f"the heart of {city}", f"central {city}", f"a quiet street in {city}"))
    adjective = rng.choice(ADJECTIVES)
    article = "an" if adjective[0] in "aeiou" else "a"
    first = rng.choice(
        (
            f"{name} is {article} {adjective} {spec.noun} in {place}.",
            f"Tucked away in {place}, {name} is {article} {adjective} {spec.noun} loved by locals.",
            f"Since {rng.randint(1985, 2025)}, {name} has been one of the best-loved {spec.noun}s in {city}.",
        )
    )
    picked = [s.lower() for s in rng.sample(services, min(3, len(services)))]
    while len(picked) < 3:
        picked.append(picked[-1])
    second = rng.choice(
        (
            f"Our {spec.staff} specialise in {picked[0]}, {picked[1]} and {picked[2]}.",
            f"Choose from {picked[0]}, {picked[1]} or {picked[2]}, all with {rng.choice(QUALITIES)}.",
            f"The menu runs from {picked[0]} to {picked[1]}, with {rng.choice(QUALITIES)}.",
        )
    )
    sentences = [first, second]
    if rng.random() < 0.7:
        sentences.append(rng.choice(CLOSERS))
    return " ".join(sentences)


def _weighted_sample(rng: random.Random, items: tuple[tuple[str, float], ...], k: int) -> list[str]:
    pool = list(items)
    out: list[str] = []
    for _ in range(min(k, len(pool))):
        total = sum(w for _, w in pool)
        pick = rng.uniform(0, total)
        for i, (value, weight) in enumerate(pool):
            pick -= weight
            if pick <= 0:
                out.append(value)
                pool.pop(i)
                break
    return out


def _postcode(rng: random.Random) -> str:
    outward = f"{rng.choice('BCEGLMNSW')}{rng.randint(1, 28)}"
    return f"{outward} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}"


def make_venue(rng: random.Random, venue_id: int, today: date) -> VenueRow:
    spec = rng.choices(CATEGORY_SPECS, weights=[c.weight for c in CATEGORY_SPECS])[0]
    if rng.random() < RURAL_SHARE:
        lat = round(rng.uniform(UK_BOX[0], UK_BOX[1]), 6)
        lng = round(rng.uniform(UK_BOX[2], UK_BOX[3]), 6)
        city, country, tz, currency, factor = rng.choice(VILLAGES), "GB", "Europe/London", "GBP", 0.95
    else:
        c = rng.choices(CITIES, weights=city_weights())[0]
        lat, lng = _jitter(rng, c.lat, c.lng, c.sigma_km)
        city, country, tz, currency, factor = c.name, c.country, c.timezone, c.currency, c.price_factor
    count = rng.randint(3, min(8, len(spec.services)))
    chosen = rng.sample(spec.services, count)
    venue_factor = factor * rng.lognormvariate(0.0, 0.15)  # cheaper and dearer venues
    services = []
    for i, (service_name, pounds, minutes) in enumerate(chosen):
        price = max(500, round(pounds * 100 * venue_factor * rng.lognormvariate(0.0, 0.1) / 50) * 50)
        services.append((service_name, price, minutes, not (i == count - 1 and rng.random() < 0.05)))
    name = _name(rng, spec, city)
    hours = rng.choices(HOURS_PATTERNS, weights=HOURS_WEIGHTS)[0]
    shift = rng.choice((-30, 0, 0, 0, 30))
    hours = tuple((d, max(0, o + shift), min(1440, c + shift)) for d, o, c in hours)
    closure = None
    if rng.random() < 0.05:
        start = today + timedelta(days=rng.randint(-3, 60))
        closure = (start, start + timedelta(days=rng.randint(0, 13)))
    return VenueRow(
        id=venue_id,
        name=name,
        category=spec,
        city=city,
        lat=lat,
        lng=lng,
        country=country,
        timezone=tz,
        currency=currency,
        tags=_weighted_sample(rng, TAGS, rng.choices((0, 1, 2, 3, 4), weights=(15, 30, 30, 17, 8))[0]),
        description=_description(rng, name, spec, city, [s[0] for s in services]),
        address=f"{rng.randint(1, 240)} {rng.choice(STREETS)}",
        postcode=_postcode(rng),
        services=services,
        hours=hours,
        closure=closure,
        rating=round(rng.uniform(3.0, 5.0), 1),
        review_count=rng.randint(1, 400),
    )


def venues(size: int, seed: int, today: date) -> Iterator[VenueRow]:
    rng = random.Random(f"{seed}:{size}")
    for venue_id in range(1, size + 1):
        yield make_venue(rng, venue_id, today)


# -- what the benchmark types --------------------------------------------------------------


def text_queries() -> list[str]:
    """Words and short phrases people search for: keywords, service names, name words, cities."""
    words: list[str] = []
    for spec in CATEGORY_SPECS:
        words += list(spec.keywords) * 3  # keywords are what people type most
        words += [s[0].lower() for s in spec.services]
        words += [w.lower() for w in spec.first_words[:4]]
    return words


def typo_bases() -> list[str]:
    """Single keywords long enough to misspell (5+ letters)."""
    return sorted({w for spec in CATEGORY_SPECS for w in spec.keywords if " " not in w and len(w) >= 5})


def typo(word: str, rng: random.Random) -> str:
    """One edit people make: a dropped, doubled, swapped or wrong letter."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return word[:i] + rng.choice("aeiourstn") + word[i + 1 :]


def suggest_prefixes() -> list[str]:
    """2-5 letter starts of keywords, service and venue-name words (most of them 3 letters)."""
    words = {w.split()[0].lower() for spec in CATEGORY_SPECS for w in (*spec.keywords, *spec.first_words)}
    words |= {s[0].split()[0].lower() for spec in CATEGORY_SPECS for s in spec.services}
    prefixes = []
    for word in sorted(words):
        letters = "".join(ch for ch in word if ch.isalpha())
        for n, repeat in ((2, 1), (3, 3), (4, 2), (5, 1)):
            if len(letters) >= n:
                prefixes += [letters[:n]] * repeat
    return prefixes


# -- building a database --------------------------------------------------------------------


@dataclass
class Build:
    size: int
    database: str
    url: str  # SQLAlchemy URL
    built: bool  # False when --reuse found it already there
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    index_method: str = "PostgresBackend.reindex_all()"

    @property
    def libpq_url(self) -> str:
        return libpq(make_url(self.url))


def database_name(size: int) -> str:
    label = f"{size // 1000}k" if size % 1000 == 0 else str(size)
    return f"cozywish_bench_{label}"


def marker(size: int, seed: int) -> str:
    return f"cozywish bench corpus: generator v{GENERATOR_VERSION}, {size} venues, seed {seed}"


def _existing(base_url: str, name: str) -> str | None:
    admin = libpq(make_url(base_url).set(database="postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
    return row[0] if row else None


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(libpq(make_url(url))) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # table names are ours
            for table in ("venues", "services", "opening_hours", "venue_search", "venue_search_terms")
        }


def ensure_database(
    base_url: str,
    size: int,
    *,
    seed: int = DEFAULT_SEED,
    reuse: bool = False,
    free_time: bool = True,
    log: Callable[[str], None] = print,
) -> Build:
    name = database_name(size)
    url_of = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    comment = _existing(base_url, name) or ""
    if reuse and comment.split(" | ")[0] == marker(size, seed):
        log(f"[{name}] reusing the corpus already there (migrating it to the current schema)")
        _migrate(url_of)
        seconds = json.loads(comment.split(" | ", 1)[1]) if " | " in comment else {}
        return Build(size, name, url_of, built=False, seconds=seconds, counts=counts(url_of))
    return build_database(base_url, size, seed=seed, free_time=free_time, log=log)


def compact(libpq_url: str) -> None:
    """The search tables rewritten compactly and everything analyzed: no dead rows, and no
    entries waiting in a text index's pending list, which every search using that index reads
    until a VACUUM (a build's rating UPDATE, or a run's reindex, rolled back, leaves both).
    ``venue_search`` is rewritten in venue id order, as a reindex into an empty table leaves it:
    updates put new row versions wherever there is room, and a table whose rows are scattered
    reads more pages for the same matches (a rewrite keeps the order it finds)."""
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        conn.execute("CLUSTER venue_search USING pk_venue_search")
        for table in ("venue_search_words", "venue_search_suggestions", "venue_search_terms"):
            conn.execute(f"VACUUM (FULL) {table}")  # the triggers' count updates left dead rows
        conn.execute("VACUUM (ANALYZE)")


def dead_rows(libpq_url: str) -> int:
    """The dead rows the statistics count in the search tables (what compact() clears): none
    in a corpus as its build or an earlier compact() left it."""
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        return conn.execute(
            "SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables WHERE relname IN"
            " ('venue_search', 'venue_search_words', 'venue_search_suggestions', 'venue_search_terms')"
        ).fetchone()[0]


def _migrate(url: str) -> None:
    """Bring a reused corpus to the current migration head (a no-op when it is there)."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app("testing", overrides=build_overrides(url))
    with app.app_context():
        upgrade()


def build_overrides(url: str) -> dict[str, object]:
    """The app a build (or a reuse's migration) runs in: no statement timeout, since a batch of
    the reindex (5,000 venues, with the free-time triggers) may take longer than the web's 15 s
    (``DB_STATEMENT_TIMEOUT_MS``) on a busy machine; the server cancelled a 100k build's first
    batch with it."""
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "UPLOAD_ROOT": tempfile.mkdtemp(prefix="bench-"),
        "DB_STATEMENT_TIMEOUT_MS": 0,
    }


def build_database(
    base_url: str,
    size: int,
    *,
    seed: int = DEFAULT_SEED,
    free_time: bool = True,
    log: Callable[[str], None] = print,
) -> Build:
    """A corpus of ``size`` venues. Without ``free_time`` no venue's free time is kept ahead (40
    minutes of a million venues' build): the searches of a window then ask the slot engine, and
    the search bench computes it when it reuses the corpus for a shape that needs it."""
    from flask_migrate import upgrade

    from app import create_app

    name = database_name(size)
    started = time.perf_counter()
    url = create_fresh_database(base_url, name)
    build = Build(size, name, url, built=True)
    app = create_app("testing", overrides=build_overrides(url))
    with app.app_context():
        upgrade()
    build.seconds["create and migrate"] = time.perf_counter() - started

    t = time.perf_counter()
    ratings = _copy_rows(build.libpq_url, size, seed, log=lambda msg: log(f"[{name}] {msg}"))
    build.seconds["COPY venues, services, hours"] = time.perf_counter() - t

    t = time.perf_counter()
    _index(app, size, log=lambda msg: log(f"[{name}] {msg}"))
    build.seconds["index (reindex_all)"] = time.perf_counter() - t

    if free_time:
        t = time.perf_counter()
        compute_free_time(app, log=lambda msg: log(f"[{name}] {msg}"))
        build.seconds["free time (search.free_time)"] = time.perf_counter() - t

    t = time.perf_counter()
    _set_ratings(build.libpq_url, ratings)
    # The rating UPDATE left a dead copy of every row: rewrite the table compactly, as a fresh
    # reindex into an empty table would leave it, then analyze everything.
    compact(build.libpq_url)
    build.seconds["ratings, VACUUM"] = time.perf_counter() - t
    build.seconds["total"] = time.perf_counter() - started
    # The marker --reuse looks for, and how long this build took (reported when it is reused).
    comment = f"{marker(size, seed)} | {json.dumps({k: round(v, 1) for k, v in build.seconds.items()})}"
    with psycopg.connect(build.libpq_url, autocommit=True) as conn:
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(comment)))
    build.counts = counts(url)
    log(f"[{name}] built in {build.seconds['total']:.0f} s: {build.counts}")
    log(f"[{name}] " + ", ".join(f"{k} {v:.0f} s" for k, v in build.seconds.items()))
    return build


def _copy_rows(dsn: str, size: int, seed: int, log: Callable[[str], None]) -> dict[int, tuple[float, int]]:
    today = datetime.now(UTC).date()
    now = datetime.now(UTC)
    ratings: dict[int, tuple[float, int]] = {}
    service_id = hours_id = closure_id = 0
    with psycopg.connect(dsn) as conn:
        categories = dict(conn.execute("SELECT slug, id FROM categories").fetchall())
        missing = {spec.slug for spec in CATEGORY_SPECS} - set(categories)
        if missing:
            raise RuntimeError(f"categories not seeded: {sorted(missing)}")
        batch: list[VenueRow] = []

        def flush() -> None:
            nonlocal service_id, hours_id, closure_id
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY users (id, email, name, password_hash, role, session_token, email_verified_at) FROM STDIN"
                ) as copy:
                    for v in batch:
                        token = hashlib.sha256(f"{seed}:{v.id}".encode()).hexdigest()
                        copy.write_row(
                            (v.id, f"bench-{v.id}@example.com", f"Owner {v.id}", "!bench", "provider", token, now)
                        )
                with cur.copy(
                    "COPY venues (id, owner_id, name, slug, description, category_id, tags, address_line, city,"
                    " postcode, country, latitude, longitude, timezone, phone, email, website, currency, status,"
                    " submitted_at, approved_at, changed_fields, onboarding_step) FROM STDIN"
                ) as copy:
                    for v in batch:
                        copy.write_row(
                            (
                                v.id, v.id, v.name, f"{slugify(v.name)}-{v.id}", v.description,
                                categories[v.category.slug], v.tags, v.address, v.city, v.postcode, v.country,
                                v.lat, v.lng, v.timezone, "", "", "", v.currency, "approved", now, now, [], "review",
                            )
                        )  # fmt: skip
                with cur.copy(
                    "COPY services (id, venue_id, name, description, category_id, duration_minutes, price_minor,"
                    " currency, capacity, buffer_minutes, is_active, position) FROM STDIN"
                ) as copy:
                    for v in batch:
                        for position, (service_name, price, minutes, active) in enumerate(v.services):
                            service_id += 1
                            copy.write_row(
                                (
                                    service_id, v.id, service_name, "", categories[v.category.slug], minutes,
                                    price, v.currency, 1, 0, active, position,
                                )
                            )  # fmt: skip
                with cur.copy(
                    "COPY opening_hours (id, venue_id, weekday, opens_minute, closes_minute) FROM STDIN"
                ) as copy:
                    for v in batch:
                        for weekday, opens, closes in v.hours:
                            hours_id += 1
                            copy.write_row((hours_id, v.id, weekday, opens, closes))
                with cur.copy("COPY closures (id, venue_id, starts_on, ends_on, reason) FROM STDIN") as copy:
                    for v in batch:
                        if v.closure:
                            closure_id += 1
                            copy.write_row((closure_id, v.id, v.closure[0], v.closure[1], "Refurbishment"))
            conn.commit()
            batch.clear()

        for venue in venues(size, seed, today):
            batch.append(venue)
            ratings[venue.id] = (venue.rating, venue.review_count)
            if len(batch) >= BATCH_VENUES:
                flush()
                log(f"copied {venue.id:,}/{size:,} venues")
        if batch:
            flush()
        for table in ("users", "venues", "services", "opening_hours", "closures"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
    return ratings


def _index(app, size: int, log: Callable[[str], None]) -> None:
    from app.platform.extensions import db
    from search.postgres import PostgresBackend

    step = max(size // 10, 1)
    last = [0]

    def progress(done: int, total: int) -> None:
        if done - last[0] >= step or done == total:
            last[0] = done
            log(f"indexed {done:,}/{total:,}")

    with app.app_context():
        PostgresBackend().reindex_all(progress)
        db.session.commit()
        db.session.remove()


def compute_free_time(app, log: Callable[[str], None]) -> int:
    """Every venue's free time kept ahead, as the refresh job leaves it (search/free_time.py),
    or brought up to date on a corpus built days ago. Returns how many venues were computed."""
    from app.platform.extensions import db
    from search.free_time import REFRESH_BATCH, refresh_free_time, venues_to_refresh

    done = 0
    with app.app_context():
        while ids := venues_to_refresh(REFRESH_BATCH * 10):
            for n in range(0, len(ids), REFRESH_BATCH):
                done += refresh_free_time(ids[n : n + REFRESH_BATCH])
                db.session.commit()
            log(f"free time of {done:,} venues computed")
        db.session.remove()
    return done


def _set_ratings(dsn: str, ratings: dict[int, tuple[float, int]]) -> None:
    ids = list(ratings)
    with psycopg.connect(dsn) as conn:
        conn.execute(
            """
            UPDATE venue_search AS vs
            SET rating = r.rating, review_count = r.n
            FROM unnest(%s::int[], %s::real[], %s::int[]) AS r(id, rating, n)
            WHERE vs.venue_id = r.id
            """,
            (ids, [ratings[i][0] for i in ids], [ratings[i][1] for i in ids]),
        )
        conn.commit()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--reuse", action="store_true", help="keep a database already built with this seed")
    parser.add_argument("--drop", action="store_true", help="drop the bench databases of these sizes and exit")
    parser.add_argument(
        "--no-free-time",
        action="store_true",
        help="keep no venue's free time ahead (the search bench computes it on reuse when a timed shape needs it)",
    )
    args = parser.parse_args(argv)
    base = server_url()
    for size in args.sizes:
        if args.drop:
            drop_database(base, database_name(size))
            print(f"dropped {database_name(size)}")
        else:
            ensure_database(base, size, seed=args.seed, reuse=args.reuse, free_time=not args.no_free_time)


if __name__ == "__main__":
    main()
