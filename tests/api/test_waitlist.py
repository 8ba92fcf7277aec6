"""The customer's waitlist through the API: join, see the place in line and an offer, answer it
("Book it" with the intake questions, or "No thanks"), leave; refusals change nothing; someone
else's entries and offers are not found; only customer accounts have a waitlist."""

from __future__ import annotations

import pytest

from app.booking import lifecycle
from app.booking.models import Order, OrderStatus
from app.platform.extensions import db
from app.venues import intake
from app.waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from tests.api.conftest import bearer
from tests.booking.helpers import make_bookable_venue
from tests.waitlist.helpers import count_entries, fill, open_offers, open_only, the_day

URL = "/api/v1/me/waitlist"


@pytest.fixture
def full(ctx, provider, make_user):
    """A venue whose only open time on the day (10:00) is booked by someone else."""
    venue, service = make_bookable_venue(provider)
    open_only(venue, (10,))
    booker = make_user(name="Bea Booker")
    [booking] = fill(booker, service, 10)
    db.session.commit()
    return venue, service, booking, booker


def join(client, token, service, **body):
    return client.post(
        URL, json={"service_id": service.id, "day": the_day().isoformat(), **body}, headers=bearer(token)
    )


def offer_to(client, full, customer, make_user, make_token, run_jobs):
    """``customer`` first in line, a second customer behind; the day's booking is cancelled and
    the job offers its time to the first."""
    _venue, service, booking, booker = full
    token = make_token(customer, "read", "write")
    assert join(client, token, service).status_code == 201
    second = make_user(name="Sam Second")
    second_token = make_token(second, "read", "write")
    assert join(client, second_token, service).get_json()["position"] == 2
    lifecycle.cancel_by_customer(booking, customer=booker)
    db.session.commit()
    run_jobs()
    [offer] = open_offers()
    assert offer.customer_id == customer.id
    return offer, token, second_token


def test_joining_shows_the_place_in_line(client, full, customer, make_token):
    _venue, service, _booking, _booker = full
    token = make_token(customer, "read", "write")
    joined = join(client, token, service, window_start="09:00", window_end="12:00")
    assert joined.status_code == 201, joined.get_json()
    entry = joined.get_json()
    assert (entry["status"], entry["position"], entry["window_start"], entry["window_end"]) == (
        "waiting",
        1,
        "09:00",
        "12:00",
    )
    assert entry["day"] == the_day().isoformat() and entry["service_id"] == service.id
    listed = client.get(URL, headers=bearer(token)).get_json()
    assert [e["id"] for e in listed["entries"]] == [entry["id"]] and listed["offers"] == []
    again = join(client, token, service)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert count_entries() == 1


def test_bad_joins_are_refused_and_make_nothing(client, full, customer, make_token):
    _venue, service, _booking, _booker = full
    token = make_token(customer, "read", "write")
    cases = [
        ({"day": "tomorrow"}, 422, "day"),
        ({"window_start": "14:00"}, 422, "window_end"),
        ({"window_start": "25:00", "window_end": "26:00"}, 422, "window_start"),
        ({"window_start": "9am", "window_end": "12:00"}, 422, "window_start"),
        ({"team_member_id": 0}, 422, "team_member_id"),
        ({"surprise": 1}, 422, "surprise"),
    ]
    for body, status, field in cases:
        answer = join(client, token, service, **body)
        assert answer.status_code == status, (body, answer.get_json())
        assert field in answer.get_json()["errors"]["json"], (body, answer.get_json())
    narrow = join(client, token, service, window_start="10:00", window_end="10:30")  # shorter than the service
    assert narrow.status_code == 422 and "shorter than the service" in narrow.get_json()["detail"]
    past = join(client, token, service, day="2020-01-01")
    assert past.status_code == 422
    free = join(client, token, service, day=the_day(6).isoformat())  # times are free that day: book instead
    assert free.status_code == 409 and "book it instead" in free.get_json()["detail"]
    missing = client.post(URL, json={"service_id": 999999, "day": the_day().isoformat()}, headers=bearer(token))
    assert missing.status_code == 404
    assert count_entries() == 0


def test_only_customers_with_scopes_use_the_waitlist(client, full, provider, customer, make_token):
    _venue, service, _booking, _booker = full
    venue_token = make_token(provider, "read", "write")
    assert client.get(URL, headers=bearer(venue_token)).status_code == 403
    assert join(client, venue_token, service).status_code == 403
    read_only = make_token(customer, "read")
    assert join(client, read_only, service).status_code == 403
    assert client.get(URL).status_code == 401
    assert count_entries() == 0


def test_book_it_asks_the_intake_question_then_holds_the_order_to_pay(
    client,
    full,
    customer,
    make_user,
    make_token,
    run_jobs,
):
    _venue, service, _booking, _booker = full
    question = intake.add_question(service, text="Any allergies?", kind="text", options="", required=True)
    db.session.commit()
    offer, token, second_token = offer_to(client, full, customer, make_user, make_token, run_jobs)
    listed = client.get(URL, headers=bearer(token)).get_json()
    [shown] = listed["offers"]
    assert shown["id"] == offer.id and shown["order_id"] == offer.order_id
    assert shown["questions"] == [
        {"field": f"intake_{question.id}", "text": "Any allergies?", "kind": "text", "options": [], "required": True}
    ]
    assert listed["entries"][0]["status"] == "offered"
    accept = f"{URL}/offers/{offer.id}/accept"
    unanswered = client.post(accept, json={}, headers=bearer(token))
    assert unanswered.status_code == 422 and "Any allergies?" in unanswered.get_json()["detail"]
    assert client.post(accept, json={"answers": {"x": 1}}, headers=bearer(token)).status_code == 422
    not_theirs = client.post(accept, json={"answers": {f"intake_{question.id}": "Nuts"}}, headers=bearer(second_token))
    assert not_theirs.status_code == 404
    db.session.expire_all()
    assert db.session.get(WaitlistOffer, offer.id).status == OfferStatus.OPEN  # nothing changed

    booked = client.post(accept, json={"answers": {f"intake_{question.id}": "Nuts"}}, headers=bearer(token))
    assert booked.status_code == 201, booked.get_json()
    order = booked.get_json()
    assert order["id"] == offer.order_id and order["status"] == "pending_payment"
    assert booked.headers["Location"].endswith(f"/api/v1/me/orders/{offer.order_id}")
    db.session.expire_all()
    assert db.session.get(WaitlistOffer, offer.id).status == OfferStatus.ACCEPTED
    paying = client.post(f"/api/v1/me/orders/{offer.order_id}/payments", headers=bearer(token))
    assert paying.status_code == 201 and paying.get_json()["checkout_url"]
    assert db.session.get(Order, offer.order_id).status == OrderStatus.PENDING_PAYMENT


def test_no_thanks_passes_the_time_on_and_leaving_ends_the_entry(
    client,
    full,
    customer,
    make_user,
    make_token,
    run_jobs,
):
    offer, token, second_token = offer_to(client, full, customer, make_user, make_token, run_jobs)
    assert client.post(f"{URL}/offers/{offer.id}/decline", headers=bearer(second_token)).status_code == 404
    declined = client.post(f"{URL}/offers/{offer.id}/decline", headers=bearer(token))
    assert declined.status_code == 204
    db.session.expire_all()
    assert db.session.get(WaitlistOffer, offer.id).status == OfferStatus.DECLINED
    [passed_on] = open_offers()
    assert passed_on.customer_id != customer.id  # the second in line has it now
    again = client.post(f"{URL}/offers/{offer.id}/decline", headers=bearer(token))
    assert again.status_code == 409

    entry_id = offer.entry_id
    assert client.delete(f"{URL}/{entry_id}", headers=bearer(second_token)).status_code == 404
    assert db.session.get(WaitlistEntry, entry_id).status == EntryStatus.WAITING
    assert client.delete(f"{URL}/{entry_id}", headers=bearer(token)).status_code == 204
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, entry_id).status == EntryStatus.LEFT
    assert client.delete(f"{URL}/{entry_id}", headers=bearer(token)).status_code == 204  # twice: no error
    assert client.delete(f"{URL}/99999999999", headers=bearer(token)).status_code == 404
