"""The relevance corpus and the queries people type, with the venues each must find.

Written before the query understanding was tuned (issue 15, item 1): the corpus is a small
marketplace with the words real listings use, and each case is what a person typing the query
expects to see. tests/search/test_relevance.py runs every case on the PostgreSQL backend.

A case lists venues that must be found (``includes``), the one that must come first when the
query asks for an order (``first``), venues that must not be found (``excludes``), whether the
search had to relax to partial matches (``relaxed``), and whether the searcher shared their
location (``located``: central London).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tests.search.corpus import Spec

# A Wednesday at noon in London (GMT): "open now" means open at 12:00 local time.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SEARCHER_IN_LONDON = (51.5072, -0.1276)

SPECS: tuple[Spec, ...] = (
    Spec(
        "Willow Spa",
        "spa",
        "London",
        51.4613,
        -0.1380,
        (("Spa day access", 9000, True), ("Hammam and scrub", 7000, True)),
        ("gift cards", "parking"),
        description="A calm day spa in Brixton with a pool, a sauna and a steam room. Robes included.",
    ),
    Spec(
        "Nordic Sauna House",
        "spa",
        "London",
        51.5300,
        -0.1000,
        (("Finnish sauna session", 2000, True), ("Cold plunge", 1500, True)),
        ("walk-ins",),
        description="Wood-fired saunas and cold plunges by the canal.",
        hours=(7 * 60, 22 * 60),
    ),
    Spec(
        "Evening Sauna Club",
        "spa",
        "Manchester",
        53.4790,
        -2.2450,
        (("Sauna and steam", 2500, True),),
        description="After-work saunas and steam rooms for the city.",
        hours=(17 * 60, 23 * 60),
    ),
    Spec(
        "Thistle Spa & Massage",
        "spa",
        "Edinburgh",
        55.9750,
        -3.1700,
        (("Couples spa ritual", 15000, True), ("Aromatherapy massage", 8000, True)),
        ("late opening", "parking"),
        description="Rituals in a private suite overlooking the firth, with a sauna and a hot tub.",
    ),
    Spec(
        "Lotus Massage Rooms",
        "massage",
        "London",
        51.5155,
        -0.1410,
        (("Swedish massage", 4500, True), ("Deep tissue massage", 6000, True)),
        ("walk-ins", "parking"),
        description="Therapists trained in Swedish and deep tissue techniques, near Oxford Circus.",
    ),
    Spec(
        "Amber Massage Studio",
        "massage",
        "Manchester",
        53.4840,
        -2.2360,
        (("Sports massage", 5500, True), ("Hot stone massage", 7500, True), ("Express massage", 1000, False)),
        ("walk-ins", "wheelchair access"),
        description="Sports and hot stone massage in the Northern Quarter.",
    ),
    Spec(
        "Orchid Thai Massage",
        "massage",
        "Edinburgh",
        55.9500,
        -3.1900,
        (("Thai massage", 5000, True), ("Couples massage", 9000, True)),
        description="Traditional Thai massage on the Royal Mile.",
    ),
    Spec(
        "Café Zoë Nails",
        "nails",
        "London",
        51.5230,
        -0.0760,
        (("Gel manicure", 2500, True), ("Classic pedicure", 3000, True)),
        ("vegan products",),
        description="Gel and classic manicures in Shoreditch.",
    ),
    Spec(
        "Polished Nail Studio",
        "nails",
        "London",
        51.5000,
        -0.1200,
        (("Express manicure", 1500, True), ("Nail art", 2000, True)),
        description="Quick manicures and nail art by Waterloo station.",
    ),
    Spec(
        "Hazel Nail Bar",
        "nails",
        "Manchester",
        53.4850,
        -2.2400,
        (("Luxury mani-pedi", 4500, True),),
        ("walk-ins", "vegan products"),
        description="A relaxed nail bar with vegan polishes.",
    ),
    Spec(
        "Pearl Skin Studio",
        "facial",
        "Manchester",
        53.4720,
        -2.2980,
        (("Signature facial", 6500, True),),
        description="Skin consultations and signature facials.",
    ),
    Spec(
        "Glow Facial Bar",
        "facial",
        "London",
        51.5120,
        -0.1300,
        (("Hydrating facial", 5500, True), ("Express facial", 3000, True)),
        description="Hydrating and express facials in Covent Garden.",
    ),
    Spec(
        "Juniper Hair House",
        "hair",
        "London",
        51.5390,
        -0.1426,
        (("Cut and blow-dry", 4000, True), ("Balayage", 12000, True), ("Hair colour", 9000, True)),
        ("late opening",),
        description="Cuts, colour and balayage in Camden.",
    ),
    Spec(
        "Cedar Barbers",
        "barber",
        "London",
        51.5100,
        -0.1340,
        (("Skin fade", 2000, True), ("Beard trim", 1500, True)),
        ("walk-ins",),
        description="Fades and beard trims, walk-ins welcome.",
    ),
    Spec(
        "Saffron Wellness",
        "wellness",
        "Manchester",
        53.4180,
        -2.2310,
        (("Reflexology", 4800, True), ("Reiki session", 5000, True)),
        ("wheelchair access",),
        description="Reflexology and reiki in a quiet garden room.",
    ),
    Spec(
        "Marigold Movement Studio",
        "fitness",
        "Edinburgh",
        55.9580,
        -3.1900,
        (("Reformer pilates", 2200, True), ("Hot yoga class", 1800, True)),
        ("parking",),
        description="Reformer pilates and hot yoga classes for every level.",
    ),
    Spec(
        "Linden Brow & Lash",
        "brows-lashes",
        "Edinburgh",
        55.9420,
        -3.2050,
        (("Brow lamination", 3500, True), ("Lash lift", 4000, True)),
        ("gift cards",),
        description="Brow lamination, tints and lash lifts.",
    ),
    Spec(
        "Smooth Wax Lounge",
        "waxing",
        "London",
        51.5450,
        -0.0550,
        (("Leg wax", 3000, True), ("Hot wax bikini", 2800, True)),
        description="Waxing for every part of you, in Hackney.",
    ),
)


@dataclass(frozen=True)
class Case:
    query: str
    includes: tuple[str, ...]
    first: str | None = None
    excludes: tuple[str, ...] = ()
    relaxed: bool = False
    located: bool = False


WILLOW, NORDIC, EVENING, THISTLE = "Willow Spa", "Nordic Sauna House", "Evening Sauna Club", "Thistle Spa & Massage"
LOTUS, AMBER, ORCHID = "Lotus Massage Rooms", "Amber Massage Studio", "Orchid Thai Massage"
ZOE, POLISHED, HAZEL = "Café Zoë Nails", "Polished Nail Studio", "Hazel Nail Bar"
PEARL, GLOW, JUNIPER, CEDAR = "Pearl Skin Studio", "Glow Facial Bar", "Juniper Hair House", "Cedar Barbers"
SAFFRON, MARIGOLD, LINDEN, SMOOTH = (
    "Saffron Wellness",
    "Marigold Movement Studio",
    "Linden Brow & Lash",
    "Smooth Wax Lounge",
)
MASSAGES = (LOTUS, AMBER, ORCHID, THISTLE)
NAILS = (ZOE, POLISHED, HAZEL)

CASES: tuple[Case, ...] = (
    # Natural phrasing from the issue.
    Case("spa day for two", (WILLOW,), relaxed=True, excludes=(CEDAR, LOTUS)),
    Case("couples massage", (ORCHID, THISTLE), excludes=(LOTUS, AMBER)),
    Case("cheap manicure", NAILS, first=POLISHED, excludes=(GLOW,)),
    Case("nails near me", (ZOE, POLISHED), first=POLISHED, excludes=(HAZEL,), located=True),
    Case("open now sauna", (WILLOW, NORDIC), excludes=(EVENING,)),
    # Swapped letters and other typos.
    Case("facail", (PEARL, GLOW)),
    Case("hot stnoe", (AMBER,), first=AMBER, excludes=(MARIGOLD,)),
    Case("masage", MASSAGES),
    Case("massgae", MASSAGES),
    Case("reflexolgy", (SAFFRON,)),
    Case("aromatheraphy", (THISTLE,)),
    Case("balyage", (JUNIPER,)),
    Case("pilates", (MARIGOLD,), excludes=(LOTUS,)),
    # Plain words.
    Case("massage", MASSAGES, excludes=(CEDAR, ZOE)),
    Case("sauna", (WILLOW, NORDIC, EVENING, THISTLE), excludes=(LOTUS,)),
    Case("facial", (PEARL, GLOW), excludes=(ZOE,)),
    Case("barber", (CEDAR,), first=CEDAR),
    Case("beard trim", (CEDAR,), first=CEDAR),
    Case("yoga", (MARIGOLD,)),
    Case("hot yoga", (MARIGOLD,), first=MARIGOLD, excludes=(AMBER,)),
    Case("lash lift", (LINDEN,)),
    Case("reiki", (SAFFRON,)),
    Case("swedish massage", (LOTUS,), first=LOTUS),
    Case("sports massage", (AMBER,), first=AMBER),
    Case("thai massage", (ORCHID,), first=ORCHID),
    Case("deep tissue", (LOTUS,)),
    Case("balayage", (JUNIPER,)),
    Case("blow dry", (JUNIPER,)),
    Case("cafe zoe", (ZOE,), first=ZOE),
    Case("mani pedi", (HAZEL,), first=HAZEL),
    # Synonyms.
    Case("manicure", NAILS),
    Case("nails", NAILS, excludes=(GLOW,)),
    Case("hair color", (JUNIPER,), first=JUNIPER),
    Case("colour", (JUNIPER,)),
    Case("day spa", (WILLOW,), first=WILLOW),
    Case("eyebrows", (LINDEN,)),
    Case("blowdry", (JUNIPER,)),
    Case("massage for two", (ORCHID, THISTLE), excludes=(LOTUS,)),
    Case("hair removal", (SMOOTH,)),
    Case("waxing", (SMOOTH,)),
    # Stop words are dropped.
    Case("a facial", (PEARL, GLOW)),
    Case("the best massage", MASSAGES, relaxed=False),
    Case("somewhere for a sports massage", (AMBER,), first=AMBER),
    # Places and intents.
    Case("massage in manchester", (AMBER,), excludes=(LOTUS, ORCHID, THISTLE)),
    Case("massage near edinburgh", (ORCHID, THISTLE), excludes=(LOTUS, AMBER)),
    Case("spa in london", (WILLOW, NORDIC), excludes=(EVENING, THISTLE)),
    # Towns the gazetteer knows (search/places.py), not only the three cities of the old list.
    Case("massage in salford", (AMBER,), excludes=(LOTUS, ORCHID, THISTLE)),
    Case("sauna near richmond", (WILLOW, NORDIC), excludes=(EVENING, THISTLE)),
    Case("massage near musselburgh", (ORCHID, THISTLE), excludes=(LOTUS, AMBER)),
    Case("facial in stockport", (PEARL,), excludes=(GLOW,)),
    Case("cheap massage", MASSAGES, first=LOTUS),
    Case("sauna near me", (WILLOW, NORDIC), first=NORDIC, excludes=(EVENING, THISTLE), located=True),
    Case("open now", (WILLOW, NORDIC, LOTUS), excludes=(EVENING,)),
    # Nothing matches every word: the best partial matches, said so.
    Case("massage with jacuzzi", MASSAGES, relaxed=True),
    Case("pilates retreat", (MARIGOLD,), relaxed=True),
)
