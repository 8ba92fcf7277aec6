"""Demo venues for `flask seed demo`: about 30 venues in three cities, with illustrations drawn
by Pillow (no downloads; app/venues/demo_art.py), services, hours, team and FAQs, in mixed
approval states."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import Role, User
from app.extensions import db
from app.venues.demo_art import illustration
from app.venues.hours import Range
from app.venues.images import add_image
from app.venues.models import Category, Venue, VenueStatus
from app.venues.service import (
    add_closure,
    add_faq,
    add_team_member,
    create_venue,
    save_service,
    set_day_hours,
    update_basics,
    update_location,
)

CITIES = [
    ("London", 51.5072, -0.1276, ["Shoreditch", "Camden", "Clapham", "Soho", "Greenwich", "Islington"]),
    ("Manchester", 53.4808, -2.2426, ["Ancoats", "Northern Quarter", "Didsbury", "Chorlton"]),
    ("Edinburgh", 55.9533, -3.1883, ["Leith", "Stockbridge", "Old Town", "Bruntsfield"]),
]

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


def seed_demo_venues(owners: list[User], admin: User) -> int:
    """Create the demo venues if they are not there yet; returns how many were created."""
    if db.session.scalar(select(Venue.id).limit(1)) is not None:
        return 0
    rng = random.Random(2026)
    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    providers = list(owners)
    # Generated owners share one unguessable password hash: hashing is slow on purpose.
    from secrets import token_urlsafe

    from werkzeug.security import generate_password_hash

    shared_hash = generate_password_hash(token_urlsafe(24))
    for n in range(len(providers) + 1, VENUE_COUNT + 1):
        user = User(
            email=f"venue{n:02d}@example.com",
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
        city, lat, lng, areas = CITIES[i % len(CITIES)]
        category_slug = slugs[i % len(slugs)]
        noun, services = CATALOG[category_slug]
        area = rng.choice(areas)
        name = f"{NAME_PARTS[i % len(NAME_PARTS)]} {NAME_ENDINGS[category_slug]}"
        venue = create_venue(owner, name=name, category_id=categories[category_slug].id)
        update_basics(
            venue,
            name=name,
            description=(
                f"A calm, friendly {noun.lower()} venue in {area}, {city}. We keep appointments unhurried, "
                f"use products we trust, and tailor every treatment to you."
            ),
            category_id=categories[category_slug].id,
            tags=rng.sample(
                ["walk-ins", "vegan products", "wheelchair access", "gift cards", "late opening", "parking"], 3
            ),
            phone=f"+44 20 7{rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            email=f"hello@{venue.slug}.example.com",
            website=f"https://{venue.slug}.example.com",
        )
        update_location(
            venue,
            address_line=f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
            city=city,
            postcode=rng.choice(["E1 6AN", "M4 5JD", "EH6 6QU", "SW4 7AA", "NW1 8AB", "M20 2RN"]),
            country="GB",
            latitude=round(lat + rng.uniform(-0.05, 0.05), 6),
            longitude=round(lng + rng.uniform(-0.08, 0.08), 6),
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
                alt_text=f"{noun} illustration for {name} ({p + 1})",
            )
        venue.onboarding_step = "review"  # set up in full, as if through the wizard
        _set_state(venue, states[i], admin)
        created += 1
    db.session.flush()
    return created


def _demo_schedule(member) -> None:
    """Weekdays 09:00-13:00 and 14:00-18:00, and a long weekend off in three weeks."""
    from app.schedules.service import add_time_off, set_week

    set_week(member, {weekday: [Range(9 * 60, 13 * 60), Range(14 * 60, 18 * 60)] for weekday in range(5)})
    friday = datetime.now(UTC).date() + timedelta(days=21)
    friday += timedelta(days=(4 - friday.weekday()) % 7)
    add_time_off(member, kind="holiday", reason="Long weekend away", days=(friday, friday + timedelta(days=3)))


def _set_state(venue: Venue, status: str, admin: User) -> None:
    from app.venues.approval import transition

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
