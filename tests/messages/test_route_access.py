"""Walk every route of the messages and "Before booking" pages in the URL map: filled in with
the ids of one customer's booking and one venue's service, each answers another customer and
another venue's owner with a 403 or 404, and nothing is written. A new route of these modules is
walked without touching this test."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.messages import service as messages
from app.messages.models import BookingMessage
from app.platform.extensions import db
from app.venues import intake
from app.venues.models import ServiceQuestion
from tests.booking.helpers import book, future_slot, make_bookable_venue

MODULES = {"app.messages.views", "app.venues.views.intake"}


def walked_rules(app):
    """The routes that name a row (a booking, a message, a service): a route naming none (the
    venue's list of its own conversations) shows each person their own, tested on its own."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if app.view_functions[rule.endpoint].__module__ in MODULES
        and not rule.rule.startswith("/admin")
        and rule.arguments
    ]


@pytest.fixture
def world(ctx, provider, customer):
    _, service = make_bookable_venue(provider)
    booking = book(customer, service, future_slot(days=2))
    message = messages.post_message(booking, provider, "Hello", now=datetime.now(UTC))
    question = intake.add_question(service, text="Any allergies?", kind="text", options="", required=False)
    db.session.commit()
    return {
        "reference": booking.reference,
        "booking_id": booking.id,
        "message_id": message.id,
        "service_id": service.id,
        "question_id": question.id,
        "direction": "up",
    }


def fill(rule: str, ids: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(ids[m.group(1)]), rule)


def snapshot() -> tuple:
    return (
        db.session.scalar(select(func.count()).select_from(BookingMessage)),
        db.session.scalar(select(func.count()).select_from(ServiceQuestion)),
        db.session.scalar(select(func.count()).where(BookingMessage.reported_at.is_not(None))),
    )


def test_the_walk_finds_the_routes(app):
    endpoints = {rule.endpoint for rule in walked_rules(app)}
    assert {"booking.post_booking_message", "venues_dashboard.post_venue_message"} <= endpoints
    assert "venues_dashboard.add_service_question" in endpoints and len(endpoints) >= 10


@pytest.mark.parametrize("intruder_role", [Role.CUSTOMER, Role.PROVIDER])
def test_no_one_else_reaches_another_persons_thread_or_questions(app, web, make_user, world, intruder_role):
    intruder = make_user(role=intruder_role, name="Ivy Intruder")
    if intruder_role == Role.PROVIDER:
        make_bookable_venue(intruder, name="Intruder Spa")
        db.session.commit()
    before = snapshot()
    web.sign_in_as(intruder)
    data = {"body": "sneaky", "reason": "sneaky", "text": "sneaky", "kind": "text", "patch_service_id": ""}
    for rule in walked_rules(app):
        path = fill(rule.rule, world)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = web.get(path) if method == "GET" else web.post(path, data)
            assert response.status_code in (403, 404), (method, path, response.status_code)
    db.session.expire_all()
    assert snapshot() == before
