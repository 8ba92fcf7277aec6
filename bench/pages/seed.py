"""The page benchmark's database: 400 approved venues from the search benchmark's generator,
40 more waiting for approval, and one showcase venue at realistic size (20 services, 5 team
members, 30 photos, 200 reviews, 300 bookings a week for 60 days back and 28 on), plus the
signed-in users the benchmark needs: a customer with 500 past bookings, a cart and a held order,
the showcase's provider and an admin. ``--scale N`` (``bench/pages/run.py --scale N``) makes N
times the venues, customers, reviews and days of history; the week and the customer stay.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.pages.seed

The database (``cozywish_bench_pages``) is made fresh on the server ``tests.database.server_url()``
chooses, migrated with ``flask_migrate.upgrade()``, filled, indexed by the search backend's own
``reindex_all()`` and analyzed. Photos share a few small WebP files under the upload root.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from PIL import Image
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.pages.showcase import AHEAD_DAYS, CART_DAY, PAST_DAYS, TZ, build_showcase
from bench.search import generate
from tests.database import create_fresh_database, libpq, server_url

DATABASE = "cozywish_bench_pages"
GENERATED_VENUES = 400
PENDING_VENUES = 40  # of the generated ones, put back into the approval queue
CUSTOMERS = 200
PASSWORD = "bench-pages-password-2026"  # noqa: S105 - a benchmark account on loopback
CUSTOMER_EMAIL = "bench-customer@example.com"
PROVIDER_EMAIL = "bench-provider@example.com"
ADMIN_EMAIL = "bench-admin@example.com"
# Administrators sign in with a code: the bench admin's authenticator key, and the key that
# encrypts it (the server gets the same TOTP_ENCRYPTION_KEY; its SECRET_KEY is random).
ADMIN_TOTP_SECRET = "BENCHADMINAUTHENTICATORKEYABCDEF"  # noqa: S105  (bench data)
TOTP_KEY = "bench-pages-totp-encryption-key"
SIZES = {"services": 20, "team": 5, "photos": 30, "reviews": 200, "cart_items": 3, "order_items": 3}
# What ``scale`` multiplies (issue 46, item 5: how cost grows): what grows with a marketplace's
# life. The showcase's services, team and photos stay: a venue's own limits cap them.
GROWING = ("reviews",)
# The showcase's bookings grow as its history does: the same number every day (a week of
# WEEK_BOOKINGS, the week calendar's load), over PAST_DAYS x scale days back and AHEAD_DAYS
# on. The signed-in customer has CUSTOMER_PAST past bookings at every scale (My bookings).
WEEK_BOOKINGS, CUSTOMER_PAST = 300, 500


@dataclass
class Seeded:
    """What the benchmark needs to find its pages and sign in."""

    url: str  # SQLAlchemy URL of the database
    upload_root: str
    venue_slug: str
    service_id: int
    slot_day: str  # a day with free times on the booking page (ISO)
    order_id: int
    category_slug: str
    calendar_day: str
    password: str
    customer_email: str
    provider_email: str
    admin_email: str
    counts: dict[str, int]
    seconds: float


def small_photos(root: Path, count: int = 4) -> list[str]:
    """A few small WebP files every photo row points at (the pages never read the bytes)."""
    keys = []
    for n in range(count):
        key = f"bench/photo-{n}.webp"
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        out = io.BytesIO()
        Image.new("RGB", (64, 48), (90 + 40 * n, 140, 200 - 30 * n)).save(out, "WEBP")
        path.write_bytes(out.getvalue())
        keys.append(key)
    return keys


def seed(base_url: str | None = None, *, log=print, database: str = DATABASE, scale: int = 1) -> Seeded:
    """``scale``: that many times the venues, customers, the showcase's reviews and days of
    bookings behind it (a week ahead and its customer's past bookings stay the same size), in a
    database of its own (``..._x<scale>``)."""
    from flask_migrate import upgrade

    from app import create_app

    started = time.perf_counter()
    base_url = base_url or server_url()
    database = database if scale == 1 else f"{database}_x{scale}"
    url = create_fresh_database(base_url, database)
    upload_root = tempfile.mkdtemp(prefix="bench-pages-uploads-")
    app = create_app(
        "testing",
        overrides={"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_ROOT": upload_root, "TOTP_ENCRYPTION_KEY": TOTP_KEY},
    )
    with app.app_context():
        upgrade()
    log(f"[seed] {database}: migrated")
    dsn = libpq(make_url(url))
    venues = GENERATED_VENUES * scale
    ratings = generate._copy_rows(dsn, venues, generate.DEFAULT_SEED, log=lambda m: log(f"[seed] {m}"))
    keys = small_photos(Path(upload_root))
    with app.app_context():
        result = _fill(app, keys, scale)
    with psycopg.connect(dsn, autocommit=True) as conn:
        # The generator writes venues only; the app finds a venue page by its venue_slugs row.
        conn.execute("INSERT INTO venue_slugs (slug, venue_id) SELECT slug, id FROM venues ON CONFLICT DO NOTHING")
        conn.execute(
            "UPDATE venues SET status = 'pending_review', submitted_at = now() - id * interval '1 hour'"
            " WHERE id IN (SELECT id FROM venues WHERE owner_id <= %s ORDER BY id DESC LIMIT %s)",
            (venues, PENDING_VENUES * scale),
        )
    with app.app_context():
        from app.platform.extensions import db
        from search.postgres import PostgresBackend

        PostgresBackend().reindex_all()
        db.session.commit()
        db.session.remove()
    generate._set_ratings(dsn, ratings)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # our own table names
            for table in ("venues", "services", "team_members", "venue_images", "reviews", "bookings", "users")
        }
    seeded = Seeded(url=url, upload_root=upload_root, counts=counts, seconds=time.perf_counter() - started, **result)
    log(f"[seed] done in {seeded.seconds:.0f} s: {counts}")
    return seeded


def _fill(app, keys: list[str], scale: int = 1) -> dict:
    from app.accounts.hashing import hash_password
    from app.accounts.models import Role, User
    from app.platform.extensions import db
    from app.venues.models import Category, Venue, VenueImage

    now = datetime.now(UTC)
    shared = hash_password(PASSWORD)

    def user(email: str, name: str, role: str) -> User:
        made = User(email=email, name=name, role=role, email_verified_at=now)
        made.password_hash = shared
        db.session.add(made)
        return made

    firsts = ["Chloe", "Daniel", "Yuki", "Amara", "Lukas", "Priya", "Mateo", "Freya", "Omar", "Isla"]
    customers = [
        user(f"bench-c{n}@example.com", f"{firsts[n % 10]} Example{n}", Role.CUSTOMER) for n in range(CUSTOMERS * scale)
    ]
    customer = user(CUSTOMER_EMAIL, "Chloe Bench", Role.CUSTOMER)
    provider = user(PROVIDER_EMAIL, "Priya Bench", Role.PROVIDER)
    from app.accounts.two_factor import enable_with_known_secret

    enable_with_known_secret(user(ADMIN_EMAIL, "Ada Bench", Role.ADMIN), ADMIN_TOTP_SECRET)
    db.session.flush()
    # Each generated venue gets a cover photo, as a listing that passed approval has.
    venue_ids = db.session.scalars(select(Venue.id).order_by(Venue.id)).all()
    db.session.add_all(
        VenueImage(
            venue_id=vid,
            kind="venue",
            alt_text="Inside the venue",
            position=0,
            is_cover=True,
            variants={
                v: {"key": keys[vid % len(keys)], "width": w, "height": h}
                for v, w, h in (("thumb", 400, 300), ("card", 800, 600), ("hero", 1600, 1200))
            },
        )
        for vid in venue_ids
    )
    category = db.session.scalar(select(Category).where(Category.slug == "massage"))
    show = build_showcase(
        owner=provider,
        customers=customers,
        customer=customer,
        category_id=category.id,
        name="Riverside Massage Spa",
        image_keys=keys,
        now=now,
        bookings=-(-WEEK_BOOKINGS // 7) * (PAST_DAYS * scale + AHEAD_DAYS),
        past_days=PAST_DAYS * scale,
        customer_past=CUSTOMER_PAST,
        **{name: size * scale if name in GROWING else size for name, size in SIZES.items()},
    )
    db.session.commit()
    today = now.astimezone(ZoneInfo(TZ)).date()
    return {
        "venue_slug": show.venue.slug,
        "service_id": show.services[0].id,
        "slot_day": (today + timedelta(days=CART_DAY - 3)).isoformat(),
        "order_id": show.order.id,
        "category_slug": "massage",
        "calendar_day": (today + timedelta(days=1)).isoformat(),
        "password": PASSWORD,
        "customer_email": CUSTOMER_EMAIL,
        "provider_email": PROVIDER_EMAIL,
        "admin_email": ADMIN_EMAIL,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write what was seeded (URLs, ids, accounts) here")
    args = parser.parse_args(argv)
    seeded = seed()
    if args.json:
        args.json.write_text(json.dumps(asdict(seeded), indent=2))


if __name__ == "__main__":
    main()
