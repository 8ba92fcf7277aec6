"""A visit is reminded of once (issue 44, item 7): its first treatment's reminder lists every
treatment, each guest's named; the others' reminders are skipped when due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.booking import cart, lifecycle
from app.booking.visits import add_visit
from app.checkout import checkout
from app.notifications.reminders import send_reminder
from app.payments.demo_webhook import pay_by_demo_card
from tests.booking.helpers import future_slot
from tests.booking.test_group_visits import book_couple, couples_spa
from tests.booking.test_visits import facial_and_massage, plan
from tests.notifications.helpers import reminders_of


@pytest.fixture
def visit_spa(ctx, provider):
    return facial_and_massage(provider)


@pytest.fixture
def couple_spa(ctx, provider):
    return couples_spa(provider)


def email_reminder(booking):
    [row] = [r for r in reminders_of(booking) if r.channel == "email"]
    return row


def test_a_visit_sends_one_reminder_listing_its_treatments(visit_spa, customer, outbox, run_jobs):
    venue, facial, massage, _ines, _tom = visit_spa
    start = future_slot(days=3, hour=9)
    add_visit(cart.CartOwner(user_id=customer.id), venue, plan(facial, massage), start)
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    first, second = sorted(order.bookings, key=lambda b: b.starts_at)
    run_jobs()
    outbox.clear()
    assert send_reminder(email_reminder(second).id, now=second.starts_at - timedelta(hours=24)) == "skipped"
    assert email_reminder(second).detail == "reminded with the visit's first treatment"
    assert send_reminder(email_reminder(first).id, now=start - timedelta(hours=24)) == "sent"
    run_jobs()
    [message] = outbox
    assert message.subject.startswith("Reminder: your visit at Calm Rooms, ")
    assert "- 09:00 Facial" in message.body and "- 10:00 Deep tissue massage" in message.body
    assert "Need to cancel or reschedule?" in message.body


def test_a_couples_visit_sends_one_reminder_naming_each_guests_treatments(couple_spa, customer, outbox, run_jobs):
    venue, couples, facial, _team, _double = couple_spa
    start = future_slot(days=3, hour=10)
    _items, order = book_couple(customer, venue, couples, facial, start)
    bookings = sorted(order.bookings, key=lambda b: (b.starts_at, b.id))
    run_jobs()
    outbox.clear()
    now = start - timedelta(hours=24)
    assert send_reminder(email_reminder(bookings[0]).id, now=now) == "sent"
    assert [send_reminder(email_reminder(b).id, now=now) for b in bookings[1:]] == ["skipped"] * 3
    run_jobs()
    [message] = outbox
    assert message.body.count("(for Ana)") == 2 and message.body.count("(for Ben Okoro)") == 2


def test_when_a_guest_cancels_the_other_guests_first_treatment_reminds(couple_spa, customer, outbox, run_jobs):
    venue, couples, facial, _team, _double = couple_spa
    start = future_slot(days=3, hour=10)
    _items, order = book_couple(customer, venue, couples, facial, start)
    ana = min((b for b in order.bookings if b.guest == 1), key=lambda b: b.starts_at)
    ben = sorted((b for b in order.bookings if b.guest == 2), key=lambda b: b.starts_at)
    lifecycle.cancel_by_customer(ana, customer=customer)  # Ana's treatments, both
    run_jobs()
    outbox.clear()
    now = start - timedelta(hours=24)
    assert send_reminder(email_reminder(ben[0]).id, now=now) == "sent"
    assert send_reminder(email_reminder(ben[1]).id, now=now) == "skipped"
    run_jobs()
    [message] = outbox
    assert "(for Ana)" not in message.body and message.body.count("(for Ben Okoro)") == 2
