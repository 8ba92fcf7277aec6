"""Intake questions: the owner edits them (with validation, their own services only), required
ones must be answered when adding to the cart, and the answers are copied to the booking so later
edits don't change them. Patch tests: a treatment that needs one is only added to the cart (and
checked out) with a paid patch test early enough, or one in the same cart."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.booking import cart, lifecycle
from app.booking.errors import CartItemInvalid
from app.booking.intake import answers_for_bookings
from app.booking.models import BookingStatus, CartItem
from app.checkout import checkout
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues import intake
from app.venues.models import ServiceQuestion
from app.venues.service import save_service
from tests.booking.helpers import book, book_path, cart_form, future_slot, make_bookable_venue


@pytest.fixture
def venue_and_service(ctx, provider):
    return make_bookable_venue(provider)


def questions_path(service) -> str:
    return f"/provider/venue/services/{service.id}/questions"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def ask(service, text, kind="text", options="", required=True) -> ServiceQuestion:
    return intake.add_question(service, text=text, kind=kind, options=options, required=required)


# -- editing questions -----------------------------------------------------------------------------


def test_the_owner_adds_edits_moves_and_removes_questions(web, provider, venue_and_service):
    _, service = venue_and_service
    web.sign_in_as(provider)
    page = web.get(f"/provider/venue/services/{service.id}/intake")
    assert page.status_code == 200 and "No questions yet" in page.text

    added = web.post(questions_path(service), {"text": "Any allergies?", "kind": "text", "required": "y"})
    assert added.status_code == 303
    web.post(questions_path(service), {"text": "Pressure?", "kind": "choice", "options": "Light, Medium, Firm"})
    first, second = service.questions
    assert (first.text, first.kind, first.required, first.position) == ("Any allergies?", "text", True, 1)
    assert (second.options, second.required) == (["Light", "Medium", "Firm"], False)

    web.post(f"{questions_path(service)}/{second.id}/up")
    db.session.expire_all()
    assert [q.text for q in service.questions] == ["Pressure?", "Any allergies?"]
    edited = web.post(f"{questions_path(service)}/{first.id}", {"text": "Allergies or injuries?", "kind": "yes_no"})
    assert edited.status_code == 303
    db.session.expire_all()
    assert db.session.get(ServiceQuestion, first.id).text == "Allergies or injuries?"
    assert web.post(f"{questions_path(service)}/{second.id}/delete").status_code == 303
    db.session.expire_all()
    assert [q.text for q in service.questions] == ["Allergies or injuries?"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"text": "", "kind": "text"}, "Write the question."),
        ({"text": "x" * 201, "kind": "text"}, "Keep the question under 200 characters."),
        ({"text": "Which?", "kind": "essay"}, "Choose what kind of answer the question takes."),
        ({"text": "Which?", "kind": "choice", "options": "Only one"}, "between 2 and 8 options"),
        ({"text": "Which?", "kind": "choice", "options": "A, a"}, "Each option must be different."),
    ],
)
def test_a_bad_question_is_refused_with_a_message_and_nothing_saved(web, provider, venue_and_service, form, message):
    _, service = venue_and_service
    web.sign_in_as(provider)
    response = web.post(questions_path(service), form)
    assert response.status_code == 422 and message in response.text
    assert count(ServiceQuestion) == 0


def test_at_most_ten_questions(ctx, venue_and_service):
    _, service = venue_and_service
    for n in range(intake.MAX_QUESTIONS):
        ask(service, f"Question {n}")
    with pytest.raises(intake.LimitReached):
        ask(service, "One more")
    assert count(ServiceQuestion) == intake.MAX_QUESTIONS


def test_another_venues_service_or_question_is_a_404(web, make_user, venue_and_service):
    _, service = venue_and_service
    question = ask(service, "Any allergies?")
    other_owner = make_user(role=Role.PROVIDER, name="Otto Owner")
    _, other_service = make_bookable_venue(other_owner, name="Other Rooms")
    web.sign_in_as(other_owner)
    assert web.get(f"/provider/venue/services/{service.id}/intake").status_code == 404
    assert web.post(questions_path(service), {"text": "Hack", "kind": "text"}).status_code == 404
    assert web.post(f"{questions_path(other_service)}/{question.id}/delete").status_code == 404
    assert web.post(f"/provider/venue/services/{service.id}/patch-test", {"patch_service_id": ""}).status_code == 404
    assert count(ServiceQuestion) == 1


def test_customers_cant_reach_the_question_pages(web, customer, venue_and_service):
    _, service = venue_and_service
    web.sign_in_as(customer)
    assert web.get(f"/provider/venue/services/{service.id}/intake").status_code == 403
    assert web.post(questions_path(service), {"text": "Hack", "kind": "text"}).status_code == 403


# -- answering at booking ------------------------------------------------------------------------


def test_required_answers_are_asked_checked_and_copied_to_the_booking(web, customer, provider, venue_and_service):
    venue, service = venue_and_service
    allergies = ask(service, "Any allergies?")
    pressure = ask(service, "Pressure?", kind="choice", options="Light, Firm")
    pregnant = ask(service, "Pregnant?", kind="yes_no", required=False)
    start = future_slot()
    web.sign_in_as(customer)
    page = web.get(book_path(venue, service, start=start.strftime("%Y-%m-%dT%H:%M:%SZ"))).text
    assert "Any allergies?" in page and f'name="intake_{pressure.id}"' in page

    missing = web.post("/cart/items", cart_form(service, start, **{f"intake_{pressure.id}": "Firm"}))
    assert missing.status_code == 422 and "Please answer “Any allergies?”." in missing.text
    bad_choice = web.post(
        "/cart/items", cart_form(service, start, **{f"intake_{allergies.id}": "No", f"intake_{pressure.id}": "Hard"})
    )
    assert bad_choice.status_code == 422 and "Choose one of the answers to “Pressure?”." in bad_choice.text
    bad_yes_no = web.post(
        "/cart/items",
        cart_form(
            service,
            start,
            **{f"intake_{allergies.id}": "No", f"intake_{pressure.id}": "Firm", f"intake_{pregnant.id}": "maybe"},
        ),
    )
    assert bad_yes_no.status_code == 422 and "with yes or no" in bad_yes_no.text
    assert count(CartItem) == 0

    good = cart_form(service, start, **{f"intake_{allergies.id}": "Nuts", f"intake_{pressure.id}": "Firm"})
    assert web.post("/cart/items", good).status_code == 303
    order = checkout.checkout(customer)
    [booking] = order.bookings
    assert answers_for_bookings([booking.id]) == {
        booking.id: [{"question": "Any allergies?", "answer": "Nuts"}, {"question": "Pressure?", "answer": "Firm"}]
    }

    intake.update_question(allergies, text="Allergies (new words)", kind="text", options="", required=True)
    assert answers_for_bookings([booking.id])[booking.id][0] == {"question": "Any allergies?", "answer": "Nuts"}

    web.sign_in_as(provider)
    view = web.get(f"/provider/bookings/{booking.id}").text
    assert "Any allergies?" in view and "Nuts" in view
    assert answers_for_bookings([]) == {}


# -- patch tests ---------------------------------------------------------------------------------


@pytest.fixture
def tint(ctx, venue_and_service):
    """A lash tint that needs the venue's patch test at least 48 hours before."""
    venue, patch = venue_and_service
    patch.name = "Patch test"
    treatment = save_service(
        venue,
        None,
        name="Lash tint",
        description="",
        category_id=None,
        duration_minutes=30,
        price_minor=3000,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )
    intake.set_patch_test(venue, treatment, patch_service_id=patch.id, min_hours=48)
    return venue, patch, treatment


def owner(customer):
    return cart.CartOwner(user_id=customer.id)


def test_a_treatment_without_a_patch_test_is_refused_and_the_page_offers_it(web, customer, tint):
    venue, patch, treatment = tint
    web.sign_in_as(customer)
    page = web.get(book_path(venue, treatment)).text
    assert "needs a patch test (Patch test) at least 48 hours before" in page
    assert f"/venues/{venue.slug}/book/{patch.id}" in page
    response = web.post("/cart/items", cart_form(treatment, future_slot(days=5)))
    assert response.status_code == 422 and "Book the patch test first" in response.text
    assert count(CartItem) == 0


def test_a_patch_test_in_the_same_cart_early_enough_lets_the_treatment_in(customer, tint):
    _, patch, treatment = tint
    cart.add_item(owner(customer), service_id=patch.id, starts_at=future_slot(days=2), quantity=1, team_member_id=None)
    cart.add_item(
        owner(customer), service_id=treatment.id, starts_at=future_slot(days=4), quantity=1, team_member_id=None
    )
    order = checkout.checkout(customer)
    assert len(order.bookings) == 2


def test_a_patch_test_in_the_cart_too_late_is_not_enough(customer, tint):
    _, patch, treatment = tint
    cart.add_item(owner(customer), service_id=patch.id, starts_at=future_slot(days=3), quantity=1, team_member_id=None)
    with pytest.raises(CartItemInvalid, match="needs a patch test"):
        cart.add_item(
            owner(customer),
            service_id=treatment.id,
            starts_at=future_slot(days=4, hour=9),  # 25 hours after the patch test
            quantity=1,
            team_member_id=None,
        )


def test_a_paid_patch_test_booking_lets_the_treatment_in(customer, tint):
    _, patch, treatment = tint
    book(customer, patch, future_slot(days=2))
    item = cart.add_item(
        owner(customer), service_id=treatment.id, starts_at=future_slot(days=5), quantity=1, team_member_id=None
    )
    assert item.id is not None


def test_a_cancelled_or_unpaid_patch_test_does_not_count(customer, tint):
    _, patch, treatment = tint
    unpaid = book(customer, patch, future_slot(days=2), confirm=False)
    assert unpaid.status == BookingStatus.HELD
    with pytest.raises(CartItemInvalid):
        cart.add_item(
            owner(customer), service_id=treatment.id, starts_at=future_slot(days=5), quantity=1, team_member_id=None
        )
    paid = book(customer, patch, future_slot(days=2, hour=12))
    lifecycle.cancel_by_venue(paid, actor=None, reason="Ill")
    with pytest.raises(CartItemInvalid):
        cart.add_item(
            owner(customer), service_id=treatment.id, starts_at=future_slot(days=5), quantity=1, team_member_id=None
        )


def test_checkout_checks_again_when_the_patch_test_left_the_cart(customer, tint):
    _, patch, treatment = tint
    patch_item = cart.add_item(
        owner(customer), service_id=patch.id, starts_at=future_slot(days=2), quantity=1, team_member_id=None
    )
    cart.add_item(
        owner(customer), service_id=treatment.id, starts_at=future_slot(days=4), quantity=1, team_member_id=None
    )
    db.session.delete(patch_item)
    db.session.flush()
    with pytest.raises(ValidationFailed, match="needs a patch test"):
        checkout.checkout(customer)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"patch_service_id": "self", "min_hours": "48"}, "Choose the patch test from your own services."),
        ({"patch_service_id": "SELF_ID", "min_hours": "48"}, "be its own patch test"),
        ({"patch_service_id": "PATCH_ID", "min_hours": "0"}, "between 1 and 2160 hours"),
        ({"patch_service_id": "PATCH_ID", "min_hours": "soon"}, "between 1 and 2160 hours"),
    ],
)
def test_bad_patch_test_settings_are_refused(web, provider, tint, form, message):
    _, patch, treatment = tint
    intake.set_patch_test(treatment.venue, treatment, patch_service_id=None, min_hours=None)
    form = {k: v.replace("SELF_ID", str(treatment.id)).replace("PATCH_ID", str(patch.id)) for k, v in form.items()}
    web.sign_in_as(provider)
    response = web.post(f"/provider/venue/services/{treatment.id}/patch-test", form)
    assert response.status_code == 422 and message in response.text
    db.session.refresh(treatment)
    assert treatment.patch_test_service_id is None


def test_a_patch_test_of_another_venue_is_refused(web, provider, make_user, tint):
    _, _, treatment = tint
    _, foreign = make_bookable_venue(make_user(role=Role.PROVIDER, name="Otto"), name="Other Rooms")
    web.sign_in_as(provider)
    response = web.post(
        f"/provider/venue/services/{treatment.id}/patch-test", {"patch_service_id": str(foreign.id), "min_hours": "48"}
    )
    assert response.status_code == 422 and "your own services" in response.text
