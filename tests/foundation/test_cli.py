"""`flask users create-admin` and `flask seed demo`."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import User
from app.accounts.passwords import password_problems
from app.demo import venues as demo
from app.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from app.platform.extensions import db
from tests.demo.helpers import plain_picture


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_create_admin(app):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create-admin",
            "--email",
            "Boss@Example.com",
            "--name",
            "Boss",
            "--password",
            "amber-falcon-ridge-77",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.com"))
    assert user.role == "admin" and user.is_verified and user.check_password("amber-falcon-ridge-77")


def test_create_admin_refuses_a_weak_password(app):
    before = count_users()
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "--email", "weak@example.com", "--name", "W", "--password", "password"]
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert count_users() == before


def test_create_admin_refuses_a_taken_email(app, customer):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "--email", customer.email, "--name", "X", "--password", "amber-falcon-ridge-77"]
    )
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_seed_demo_creates_every_role_and_is_idempotent(app, monkeypatch):
    monkeypatch.setattr(demo, "illustration", plain_picture)  # the drawing is half the seed's time
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    after_first = count_users()
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0
    assert count_users() == after_first
    for role, email, _name in DEMO_ACCOUNTS:
        assert email in first.output
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.role == role and user.check_password(DEMO_PASSWORD)
    assert DEMO_PASSWORD in first.output
    from app.booking.models import Booking
    from app.venues.models import Venue

    statuses = dict(db.session.execute(select(Venue.status, func.count()).group_by(Venue.status)).all())
    assert statuses == {"approved": 23, "pending_review": 3, "draft": 2, "rejected": 1, "suspended": 1}
    owner = db.session.scalar(select(User).where(User.email == "provider1@example.com"))
    booked = db.session.scalars(select(Booking).join(Venue).where(Venue.owner_id == owner.id)).all()
    # The demo bookings are confirmed; a past visit made for the demo reviews is completed.
    statuses = {b.status for b in booked}
    assert "confirmed" in statuses and statuses <= {"confirmed", "completed"}
    # Confirmed the way production confirms: a Demo payment whose event was settled.
    from app.booking.models import OrderTransition
    from app.payments.models import Payment

    order_ids = {b.order_id for b in booked}
    paid = db.session.execute(select(Payment.order_id, Payment.gateway, Payment.status)).all()
    assert {(o, g, s) for o, g, s in paid if o in order_ids} == {(o, "demo", "succeeded") for o in order_ids}
    confirmed = db.session.scalars(
        select(OrderTransition.order_id).where(OrderTransition.event == "confirm_paid")
    ).all()
    assert order_ids <= set(confirmed)


def test_demo_password_meets_our_own_rules():
    assert password_problems(DEMO_PASSWORD, email="admin@example.com") == []
