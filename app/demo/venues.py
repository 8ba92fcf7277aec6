"""Demo venues for `flask seed demo`: about 30 venues in three cities, with illustrations drawn
by Pillow (no downloads; app/demo/art.py), services, hours, team, rooms and equipment, and FAQs,
in mixed approval states."""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from secrets import token_urlsafe
from typing import Any

from sqlalchemy import or_, select

from app.accounts.hashing import hash_password
from app.accounts.models import Role, User
from app.demo.art import caption, illustration
from app.platform.extensions import db
from app.team_schedules.service import add_time_off, set_week
from app.venues.addons import AddonInput, set_addons
from app.venues.approval import transition
from app.venues.hours import Range
from app.venues.images import add_image
from app.venues.lists import add_faq, add_team_member
from app.venues.models import Category, Service, Venue, VenueStatus
from app.venues.options import OptionInput, set_options
from app.venues.resources import add_resource, set_needs
from app.venues.service import add_closure, create_venue, save_service, set_day_hours, update_basics, update_location


@dataclass(frozen=True)
class Area:
    name: str
    district: str  # the postcode's outward code
    lat: float
    lng: float


# The cities, their neighbourhoods and the massages sold in options: data, in venues.toml.
DATA = tomllib.loads(Path(__file__).with_name("venues.toml").read_text(encoding="utf-8"))
CITIES = [(city["name"], city["dialling"], [Area(**area) for area in city["areas"]]) for city in DATA["cities"]]
# The letters a postcode's inward code may end in (no C, I, K, M, O or V).
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

CATALOG = {
    "massage": ("Massage", ["Swedish massage", "Deep tissue massage", "Hot stone massage", "Sports massage"]),
    "spa": ("Spa", ["Spa day access", "Couples spa ritual", "Hammam and scrub", "Thermal suite session"]),
    "facial": ("Skin", ["Signature facial", "Hydrating facial", "LED light therapy", "Microdermabrasion"]),
    "nails": ("Nails", ["Gel manicure", "Classic pedicure", "Nail art", "Luxury mani-pedi"]),
    "hair": ("Hair", ["Cut and blow-dry", "Full colour", "Balayage", "Keratin smoothing"]),
    "barber": ("Barber", ["Skin fade", "Beard trim and shape", "Hot towel shave", "Father and son cut"]),
    "brows-lashes": ("Brow", ["Brow lamination", "Lash lift and tint", "Brow shape and tint", "Lash extensions"]),
    "wellness": ("Wellness", ["Reflexology", "Reiki session", "Acupuncture", "Float tank"]),
    "fitness": ("Studio", ["Reformer pilates", "Hot yoga class", "Private yoga session", "Barre class"]),
}

NAME_PARTS = ["Willow", "Lotus", "Amber", "Juniper", "Saffron", "Cedar", "Pearl", "Linden", "Marigold", "Hazel"]
NAME_ENDINGS = {
    "massage": "Massage Rooms",
    "spa": "Spa",
    "facial": "Skin Studio",
    "nails": "Nail Bar",
    "hair": "Hair House",
    "barber": "Barbers",
    "brows-lashes": "Brow & Lash",
    "wellness": "Wellness",
    "fitness": "Movement Studio",
}
TEAM_NAMES = ["Amara", "Ben", "Chiara", "Dev", "Elif", "Finn", "Grace", "Hiro", "Isla", "Jonah", "Keira", "Luca"]
STREETS = ["High Street", "Market Row", "Mill Lane", "Church Road"]

# (status, how many): the rest of the venues are approved.
STATES = [VenueStatus.PENDING_REVIEW] * 3 + [VenueStatus.DRAFT] * 2 + [VenueStatus.REJECTED, VenueStatus.SUSPENDED]
VENUE_COUNT = 30
GENERATED_OWNER_EMAIL = "venue{n:02d}@example.com"
# The demo venues with a payout account (so they take paid bookings): every venue that has been
# approved (live, or suspended after going live), and the named demo providers' venues whatever
# their state, as their owners would have set payouts up. The generated owners' drafts, pending
# and rejected venues stay without one, like a real owner who hasn't finished setting up (nobody
# can sign in as those owners; any new provider meets the wizard's payout step for themselves).
HAS_BEEN_APPROVED = (VenueStatus.APPROVED, VenueStatus.SUSPENDED)


def seed_demo_venues(owners: list[User], admin: User) -> int:
    """Create the demo venues if they are not there yet; returns how many were created."""
    if db.session.scalar(select(Venue.id).limit(1)) is not None:
        return 0
    rng = random.Random(2026)
    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    providers = list(owners)
    # Generated owners share one unguessable password hash: hashing is slow on purpose.
    shared_hash = hash_password(token_urlsafe(24))
    for n in range(len(providers) + 1, VENUE_COUNT + 1):
        user = User(
            email=GENERATED_OWNER_EMAIL.format(n=n),
            name=f"{rng.choice(TEAM_NAMES)} Owner",
            role=Role.PROVIDER,
            email_verified_at=datetime.now(UTC),
        )
        user.password_hash = shared_hash
        db.session.add(user)
        providers.append(user)
    db.session.flush()

    states = STATES + [VenueStatus.APPROVED] * (VENUE_COUNT - len(STATES))
    rng.shuffle(states)
    states[0] = VenueStatus.APPROVED  # provider1's venue is live, so the demo shows a real page
    created = 0
    slugs = list(CATALOG)
    for i, owner in enumerate(providers[:VENUE_COUNT]):
        city, dialling, areas = CITIES[i % len(CITIES)]
        category_slug = slugs[i % len(slugs)]
        noun, services = CATALOG[category_slug]
        area = rng.choice(areas)
        name = f"{NAME_PARTS[i % len(NAME_PARTS)]} {NAME_ENDINGS[category_slug]}"
        venue = create_venue(owner, name=name, category_id=categories[category_slug].id)
        update_basics(
            venue,
            name=name,
            description=(
                f"A calm, friendly {noun.lower()} venue in {area.name}, {city}. We keep appointments unhurried, "
                f"use products we trust, and tailor every treatment to you."
            ),
            category_id=categories[category_slug].id,
            tags=rng.sample(
                ["walk-ins", "vegan products", "wheelchair access", "gift cards", "late opening", "parking"], 3
            ),
            # Ofcom keeps 020 7946 0xxx, 0161 496 0xxx and 0131 496 0xxx for drama: real-looking
            # numbers of the right city that ring nobody.
            phone=f"+44 {dialling} {rng.randint(0, 999):04d}",
            email=f"hello@{venue.slug}.example.com",
            website=f"https://{venue.slug}.example.com",
        )
        update_location(
            venue,
            address_line=f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
            city=city,
            postcode=f"{area.district} {rng.randint(1, 9)}{''.join(rng.choices(INWARD_LETTERS, k=2))}",
            country="GB",
            latitude=round(area.lat + rng.uniform(-0.004, 0.004), 6),  # within a few hundred metres
            longitude=round(area.lng + rng.uniform(-0.006, 0.006), 6),
            timezone="Europe/London",
        )
        late = rng.random() < 0.3
        for weekday in range(6):
            set_day_hours(venue, weekday, [Range(9 * 60, (20 if late else 18) * 60)])
        set_day_hours(venue, 6, [Range(10 * 60, 16 * 60)] if rng.random() < 0.5 else [])
        if rng.random() < 0.3:
            start = datetime.now(UTC).date() + timedelta(days=rng.randint(10, 60))
            add_closure(
                venue, starts_on=start, ends_on=start + timedelta(days=rng.randint(0, 6)), reason="Team holiday"
            )
        made = []
        for position, service_name in enumerate(services[: rng.randint(3, 4)]):
            duration = rng.choice([30, 45, 60, 75, 90])
            made.append(
                save_service(
                    venue,
                    None,
                    name=service_name,
                    description=f"{service_name} with one of our experienced team.",
                    category_id=categories[category_slug].id,
                    duration_minutes=duration,
                    price_minor=rng.randint(5, 24) * 500,
                    capacity=3 if category_slug == "fitness" else 1,
                    buffer_minutes=rng.choice([0, 10, 15]),
                    is_active=True,
                )
            )
            made[-1].position = position
        for t in range(rng.randint(2, 4)):
            add_team_member(
                venue,
                name=TEAM_NAMES[(i + t) % len(TEAM_NAMES)],
                title=rng.choice(["Senior therapist", "Stylist", "Founder", "Therapist", "Educator"]),
                bio="Loves making people feel at home. Ten years in the trade.",
                service_ids=[s.id for s in made if rng.random() < 0.8] or [made[0].id],
            )
        if category_slug == "hair":
            _colour_with_processing(venue)
        if category_slug == "spa":
            _add_massage(venue, categories[category_slug].id, DATA["massages"]["aromatherapy"], position=len(made))
        if category_slug in ("spa", "massage"):
            _add_massage(venue, categories[category_slug].id, DATA["massages"]["couples"], position=len(venue.services))
        _add_rooms(venue, category_slug)
        if i == 0:
            _demo_schedule(venue.team[0])  # provider1's venue: one member with a week of her own
        for question, answer in rng.sample(
            [
                ("Do I need to arrive early?", "Please arrive ten minutes before your appointment."),
                ("Can I bring a friend?", "Yes, book a second place or a couples treatment."),
                ("Is there parking?", "There is street parking nearby, free after 6 pm."),
                ("What is your cancellation policy?", "Cancel free of charge up to 24 hours before."),
                ("Do you sell gift cards?", "Yes, ask at reception or email us."),
            ],
            3,
        ):
            add_faq(venue, question=question, answer=answer)
        # The first venue of each category shows a full gallery (one large photo, four small and
        # "show all"); the others a few pictures, which keeps `make run`'s first start quick.
        for p in range(5 if i < len(slugs) else 2):
            add_image(
                venue,
                illustration(category_slug, p, seed=i),
                alt_text=f"{caption(category_slug, p)} at {name} (illustration)",
            )
        venue.onboarding_step = "review"  # set up in full, as if through the wizard
        _set_state(venue, states[i], admin)
        created += 1
    db.session.flush()
    return created


def _add_massage(venue: Venue, category_id: int, massage: dict[str, Any], *, position: int) -> Service:
    """One of the massages of venues.toml: sold in its options, the first its own length and price,
    with every massage add-on, performed by the whole team (no random draws: the rest of the seed
    stays as it was)."""
    options = [OptionInput(**option) for option in massage["options"]]
    service = save_service(
        venue,
        None,
        name=massage["name"],
        description=massage["description"],
        category_id=category_id,
        duration_minutes=options[0].duration_minutes,
        price_minor=options[0].price_minor,
        capacity=massage["capacity"],
        buffer_minutes=massage["buffer_minutes"],
        is_active=True,
    )
    service.position = position
    set_options(service, options)
    set_addons(service, [AddonInput(**addon) for addon in DATA["massage_addons"]])
    for member in venue.team:
        member.services.append(service)
    return service


# Every demo venue's rooms and equipment (app/venues/resources.py), by category: (name, how many).
# The first is what a service of the venue needs unless SERVICE_NEEDS names something else.
ROOMS = {
    "massage": [("Treatment room", 2), ("Double room", 1)],
    "spa": [("Treatment room", 2), ("Double room", 1)],
    "facial": [("Treatment room", 2)],
    "nails": [("Nail station", 3), ("Pedicure chair", 2)],
    "hair": [("Styling chair", 3)],
    "barber": [("Barber chair", 3)],
    "brows-lashes": [("Treatment bed", 2)],
    "wellness": [("Treatment room", 2), ("Float tank", 1)],
    "fitness": [("Studio", 1)],
}
# A service that needs something other than its venue's first resource: its name -> (resource, units).
SERVICE_NEEDS = {
    "Couples massage": ("Double room", 1),
    "Couples spa ritual": ("Double room", 1),
    "Classic pedicure": ("Pedicure chair", 1),
    "Luxury mani-pedi": ("Pedicure chair", 1),
    "Float tank": ("Float tank", 1),
}


def _colour_with_processing(venue: Venue) -> None:
    """A hair salon's colour: 30 minutes applying, 30 processing, 30 rinsing and finishing
    (app/venues/processing.py). In the gap the stylist is free for a 30-minute cut and blow-dry;
    every stylist does both, and three clients may sit with colour at once (three chairs)."""
    services = {s.name: s for s in venue.services}
    colour, blow_dry = services["Full colour"], services["Cut and blow-dry"]
    colour.duration_minutes, colour.buffer_minutes, colour.capacity = 90, 0, 3
    colour.processing_after_minutes, colour.processing_minutes = 30, 30
    blow_dry.duration_minutes, blow_dry.buffer_minutes = 30, 0
    for member in venue.team:
        member.services.extend(s for s in (colour, blow_dry) if s not in member.services)


def _add_rooms(venue: Venue, category_slug: str) -> None:
    """The venue's rooms and equipment, and what each service needs of them (no random draws)."""
    rooms = {name: add_resource(venue, name=name, quantity=quantity) for name, quantity in ROOMS[category_slug]}
    first = next(iter(rooms.values()))
    for service in venue.services:
        name, units = SERVICE_NEEDS.get(service.name, (first.name, 1))
        room = rooms.get(name, first)
        # A couples treatment's room is shared by the two guests side by side.
        set_needs(venue, service, [(room.id, units)], shared=[room.id] if service.name.startswith("Couples") else [])


def venues_taking_payments(named_owners: list[User]) -> list[Venue]:
    """The demo venues that should have an enabled payout account (see HAS_BEEN_APPROVED)."""
    generated = [GENERATED_OWNER_EMAIL.format(n=n) for n in range(len(named_owners) + 1, VENUE_COUNT + 1)]
    return list(
        db.session.scalars(
            select(Venue)
            .join(User, User.id == Venue.owner_id)
            .where(
                or_(
                    Venue.owner_id.in_([owner.id for owner in named_owners]),
                    User.email.in_(generated) & Venue.status.in_(HAS_BEEN_APPROVED),
                )
            )
            .order_by(Venue.id)
        )
    )


def _demo_schedule(member) -> None:
    """Weekdays 09:00-13:00 and 14:00-18:00, and a long weekend off in three weeks."""
    set_week(member, {weekday: [Range(9 * 60, 13 * 60), Range(14 * 60, 18 * 60)] for weekday in range(5)})
    friday = datetime.now(UTC).date() + timedelta(days=21)
    friday += timedelta(days=(4 - friday.weekday()) % 7)
    add_time_off(member, kind="holiday", reason="Long weekend away", days=(friday, friday + timedelta(days=3)))


def _set_state(venue: Venue, status: str, admin: User) -> None:
    if status == VenueStatus.DRAFT:
        return
    transition(venue, "submit", actor=venue.owner)
    if status == VenueStatus.PENDING_REVIEW:
        return
    if status == VenueStatus.REJECTED:
        transition(venue, "reject", actor=admin, reason="Please add a photo of your treatment rooms.", notify=False)
        return
    transition(venue, "approve", actor=admin, notify=False)
    if status == VenueStatus.SUSPENDED:
        transition(venue, "suspend", actor=admin, reason="Reported closed; checking with the owner.", notify=False)
