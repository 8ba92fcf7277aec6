"""Demo data for `flask seed demo`. Idempotent: running it again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from app.accounts.models import Role, User
from app.accounts.service import get_user_by_email
from app.accounts.two_factor import enable_with_known_secret
from app.demo.bookings import seed_demo_bookings
from app.demo.courses import seed_demo_courses
from app.demo.promos import seed_demo_promo_codes
from app.demo.reviews import seed_demo_reviews
from app.demo.venues import seed_demo_venues, venues_taking_payments
from app.payouts.accounts import connect_enabled_demo_account
from app.platform.extensions import db
from config import DEMO_ACCOUNT_EMAILS

DEMO_PASSWORD = "cozy-demo-pass-2026"
# The demo admin's authenticator key (administrators must use two-factor sign-in). Published,
# like the password: production refuses to serve a database holding the demo accounts.
DEMO_TOTP_SECRET = "COZYWISHDEMOADMINTWOFACTORKEYABC"

ROLES_AND_NAMES = [
    (Role.ADMIN, "Ada Admin"),
    (Role.PROVIDER, "Priya Patel"),
    (Role.PROVIDER, "Marco Rossi"),
    (Role.PROVIDER, "Sofia Lindqvist"),
    (Role.CUSTOMER, "Chloe Martin"),
    (Role.CUSTOMER, "Daniel Okafor"),
    (Role.CUSTOMER, "Yuki Tanaka"),
]
# (role, email, name); the addresses are config's, which production checks without this package.
DEMO_ACCOUNTS = [(role, email, name) for (role, name), email in zip(ROLES_AND_NAMES, DEMO_ACCOUNT_EMAILS, strict=True)]


def seed_demo() -> list[dict[str, str]]:
    accounts = []
    for role, email, name in DEMO_ACCOUNTS:
        if get_user_by_email(email) is None:
            user = User(email=email, name=name, role=role, email_verified_at=datetime.now(UTC))
            user.set_password(DEMO_PASSWORD)
            if role == Role.ADMIN:
                enable_with_known_secret(user, DEMO_TOTP_SECRET)
            db.session.add(user)
        account = {"role": str(role), "email": email, "password": DEMO_PASSWORD}
        if role == Role.ADMIN:
            account["totp_secret"] = DEMO_TOTP_SECRET
        accounts.append(account)
    db.session.flush()

    providers = [get_user_by_email(email) for role, email, _ in DEMO_ACCOUNTS if role == Role.PROVIDER]
    admin = get_user_by_email(DEMO_ACCOUNTS[0][1])
    made = seed_demo_venues(providers, admin)
    # Every approved demo venue takes paid bookings: its payouts are set up (the choice of which
    # venues, and why, is by venues_taking_payments). Run on every seed, so a database seeded
    # before every approved venue was connected gets the missing accounts.
    paying = venues_taking_payments(providers)
    for venue in paying:
        connect_enabled_demo_account(venue)
    seed_demo_courses(paying)  # a package and a membership at each
    if made:
        customers = [get_user_by_email(email) for role, email, _ in DEMO_ACCOUNTS if role == Role.CUSTOMER]
        seed_demo_bookings(DEMO_ACCOUNTS[1][1], customers[:2])
        seed_demo_reviews(customers)
    seed_demo_promo_codes(admin)
    return accounts
