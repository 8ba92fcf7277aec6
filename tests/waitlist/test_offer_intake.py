"""A waitlist offer skips the cart, so "Book it" asks what the cart asks (app/waitlist/offers.accept):
the service's required intake questions answered on the offer (or carried from the customer's
earlier booking of the same service); refused with a clear 422 and nothing changed otherwise."""

from __future__ import annotations

from sqlalchemy import select

from app.booking import cart
from app.booking.intake import answers_for_bookings
from app.booking.models import Order, OrderStatus
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from app.venues import intake
from app.venues.service import save_service
from app.waitlist.models import OfferStatus, WaitlistOffer
from tests.booking.helpers import future_slot
from tests.waitlist.test_waitlist import full, offered  # noqa: F401  (the fixture and the builder)


def held_answers(offer) -> list[dict[str, str]]:
    order = db.session.get(Order, offer.order_id)
    return answers_for_bookings([b.id for b in order.bookings]).get(order.bookings[0].id, [])


def test_book_it_asks_the_required_questions_and_keeps_the_answers(web, full, customer, make_user, run_jobs):  # noqa: F811
    _venue, service, _booking, _ = full
    question = intake.add_question(service, text="Any allergies?", kind="text", options="", required=True)
    offer, _second = offered(full, customer, make_user, run_jobs)
    db.session.commit()
    web.sign_in_as(customer)
    page = web.get("/waitlist").get_data(as_text=True)
    assert "Any allergies?" in page and f'name="intake_{question.id}"' in page

    refused = web.post(f"/waitlist/offers/{offer.id}/accept")
    assert refused.status_code == 422 and "Please answer “Any allergies?”" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WaitlistOffer, offer.id).status == OfferStatus.OPEN  # nothing changed
    assert held_answers(offer) == []

    answered = web.post(f"/waitlist/offers/{offer.id}/accept", {f"intake_{question.id}": "Nuts"})
    assert answered.status_code == 303 and answered.headers["Location"] == f"/orders/{offer.order_id}"
    db.session.expire_all()
    assert db.session.get(WaitlistOffer, offer.id).status == OfferStatus.ACCEPTED
    assert db.session.get(Order, offer.order_id).status == OrderStatus.PENDING_PAYMENT
    assert held_answers(offer) == [{"question": "Any allergies?", "answer": "Nuts"}]


def test_a_wrong_answer_is_refused_like_the_carts(web, full, customer, make_user, run_jobs):  # noqa: F811
    _venue, service, _booking, _ = full
    question = intake.add_question(service, text="Pregnant?", kind="yes_no", options="", required=True)
    offer, _second = offered(full, customer, make_user, run_jobs)
    db.session.commit()
    web.sign_in_as(customer)
    response = web.post(f"/waitlist/offers/{offer.id}/accept", {f"intake_{question.id}": "maybe"})
    assert response.status_code == 422 and "with yes or no" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WaitlistOffer, offer.id).status == OfferStatus.OPEN


def test_earlier_answers_to_the_same_service_are_carried(web, full, customer, make_user, run_jobs):  # noqa: F811
    _venue, service, _booking, _ = full
    question = intake.add_question(service, text="Any allergies?", kind="text", options="", required=True)
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(days=9, hour=11),
        quantity=1,
        team_member_id=None,
        answers={f"intake_{question.id}": "Latex"},
    )
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    [earlier] = order.bookings
    assert answers_for_bookings([earlier.id])[earlier.id] == [{"question": "Any allergies?", "answer": "Latex"}]
    offer, _second = offered(full, customer, make_user, run_jobs)
    db.session.commit()
    web.sign_in_as(customer)
    assert f'name="intake_{question.id}"' not in web.get("/waitlist").get_data(as_text=True)  # not asked again
    response = web.post(f"/waitlist/offers/{offer.id}/accept")
    assert response.status_code == 303
    db.session.expire_all()
    assert held_answers(offer) == [{"question": "Any allergies?", "answer": "Latex"}]
    assert db.session.scalar(select(WaitlistOffer.status).where(WaitlistOffer.id == offer.id)) == OfferStatus.ACCEPTED


def test_book_it_keeps_the_patch_test_rule(web, full, customer, make_user, run_jobs):  # noqa: F811
    venue, service, _booking, _ = full
    patch = save_service(
        venue,
        None,
        name="Patch test",
        description="",
        category_id=None,
        duration_minutes=15,
        price_minor=0,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )
    intake.set_patch_test(venue, service, patch_service_id=patch.id, min_hours=48)
    offer, _second = offered(full, customer, make_user, run_jobs)
    db.session.commit()
    web.sign_in_as(customer)
    response = web.post(f"/waitlist/offers/{offer.id}/accept")
    assert response.status_code == 422 and "needs a patch test (Patch test)" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WaitlistOffer, offer.id).status == OfferStatus.OPEN
