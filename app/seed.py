"""Demo data for `flask seed demo`. Idempotent: running it again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from app.accounts.models import Role, User
from app.accounts.service import get_user_by_email
from app.payouts.accounts import connect_enabled_demo_account
from app.venues.demo import seed_demo_venues, venues_taking_payments

DEMO_PASSWORD = "cozy-demo-pass-2026"
# The demo admin's authenticator key (administrators must use two-factor sign-in). Published,
# like the password: production refuses to serve a database holding the demo accounts.
DEMO_TOTP_SECRET = "COZYWISHDEMOADMINTWOFACTORKEYABC"

DEMO_ACCOUNTS = [
    (Role.ADMIN, "admin@example.com", "Ada Admin"),
    (Role.PROVIDER, "provider1@example.com", "Priya Patel"),
    (Role.PROVIDER, "provider2@example.com", "Marco Rossi"),
    (Role.PROVIDER, "provider3@example.com", "Sofia Lindqvist"),
    (Role.CUSTOMER, "customer1@example.com", "Chloe Martin"),
    (Role.CUSTOMER, "customer2@example.com", "Daniel Okafor"),
    (Role.CUSTOMER, "customer3@example.com", "Yuki Tanaka"),
]


def seed_demo() -> list[dict[str, str]]:
    from app.extensions import db

    accounts = []
    for role, email, name in DEMO_ACCOUNTS:
        if get_user_by_email(email) is None:
            user = User(email=email, name=name, role=role, email_verified_at=datetime.now(UTC))
            user.set_password(DEMO_PASSWORD)
            if role == Role.ADMIN:
                from app.accounts.two_factor import enable_with_known_secret

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
    for venue in venues_taking_payments(providers):
        connect_enabled_demo_account(venue)
    if made:
        from app.checkout.demo import seed_demo_bookings

        customers = [get_user_by_email(email) for role, email, _ in DEMO_ACCOUNTS if role == Role.CUSTOMER]
        seed_demo_bookings(DEMO_ACCOUNTS[1][1], customers[:2])
        from app.reviews.demo import seed_demo_reviews

        seed_demo_reviews(customers)
    from app.promos.demo import seed_demo_promo_codes

    seed_demo_promo_codes(admin)
    return accounts
