"""Reviews: who may write one and when, bad input, the venue's average, the venue page, search,
and moderation with its audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.booking.models import BookingStatus
from app.platform.extensions import db
from app.reviews import service
from app.reviews.events import review_posted
from app.reviews.models import Review, ReviewStatus
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past

GOOD = {"rating": "5", "body": "Lovely calm room and a really skilled therapist."}


@pytest.fixture
def visit(ctx, provider, customer):
    """A confirmed booking whose appointment ended an hour ago."""
    _, massage = make_bookable_venue(provider)
    booking = book(customer, massage, future_slot(days=2, hour=10))
    move_to_past(booking, hours=2)
    return booking


def review_path(booking) -> str:
    return f"/bookings/{booking.reference}/review"


def count_reviews() -> int:
    return db.session.scalar(select(func.count()).select_from(Review))


# -- writing one ----------------------------------------------------------------------------------


def test_a_customer_reviews_a_past_booking_and_the_venue_average_follows(web, customer, visit):
    web.sign_in_as(customer)
    assert "Publish review" in web.get(review_path(visit)).text

    response = web.post(review_path(visit), GOOD)

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/bookings/{visit.reference}")
    review = db.session.scalar(select(Review).where(Review.booking_id == visit.id))
    assert (review.rating, review.status, review.customer_id) == (5, ReviewStatus.PUBLISHED, customer.id)
    db.session.refresh(visit.venue)
    assert (visit.venue.rating, visit.venue.review_count) == (5.0, 1)
    page = web.get(f"/venues/{visit.venue.slug}").text
    assert "Lovely calm room" in page and "from 1 review" in page
    assert web.get(review_path(visit)).text.count("Your review") >= 1


def test_the_booking_page_offers_a_review_only_when_one_can_be_written(web, customer, visit):
    web.sign_in_as(customer)
    assert "Leave a review" in web.get(f"/bookings/{visit.reference}").text
    web.post(review_path(visit), GOOD)
    page = web.get(f"/bookings/{visit.reference}").text
    assert "Leave a review" not in page and "Your review" in page


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"rating": "6", "body": GOOD["body"]}, "Choose a rating from 1 to 5 stars."),
        ({"rating": "", "body": GOOD["body"]}, "Choose a rating from 1 to 5 stars."),
        ({"rating": "five", "body": GOOD["body"]}, "Choose a rating from 1 to 5 stars."),
        ({"rating": "4", "body": "Nice"}, "Write between 10 and 2000 characters."),
        ({"rating": "4", "body": "x" * 2001}, "Write between 10 and 2000 characters."),
        ({"rating": "4", "body": "   "}, "Write between 10 and 2000 characters."),
    ],
    ids=["rating-6", "no-rating", "rating-text", "too-short", "too-long", "blank"],
)
def test_bad_input_gets_a_400_with_a_message_and_stores_nothing(web, customer, visit, form, message):
    web.sign_in_as(customer)
    response = web.post(review_path(visit), form)
    assert response.status_code == 400
    assert message in response.text
    assert count_reviews() == 0


def test_without_the_csrf_token_nothing_is_stored(web, customer, visit):
    web.sign_in_as(customer)
    response = web.post(review_path(visit), GOOD, csrf=False)
    assert response.status_code == 400
    assert count_reviews() == 0


def test_a_second_review_of_the_same_booking_is_refused(web, customer, visit):
    web.sign_in_as(customer)
    web.post(review_path(visit), GOOD)
    response = web.post(review_path(visit), {"rating": "1", "body": "Changed my mind about all of it."})
    assert response.status_code == 409
    assert "already reviewed" in response.text
    assert [r.rating for r in db.session.scalars(select(Review))] == [5]


def test_the_unique_constraint_backs_up_the_one_review_rule(ctx, customer, visit):
    service.create_review(visit, customer=customer, rating=4, body="Good, would come back again.")
    duplicate = Review(booking_id=visit.id, venue_id=visit.venue_id, customer_id=customer.id, rating=1, body="x" * 20)
    savepoint = db.session.begin_nested()
    db.session.add(duplicate)
    with pytest.raises(IntegrityError, match="uq_reviews_booking_id"):
        db.session.flush()
    savepoint.rollback()


# -- who and when ------------------------------------------------------------------------------------


def test_another_customers_booking_is_a_404(web, make_user, visit):
    web.sign_in_as(make_user(role=Role.CUSTOMER))
    assert web.get(review_path(visit)).status_code == 404
    assert web.post(review_path(visit), GOOD).status_code == 404
    assert count_reviews() == 0


def test_signed_out_visitors_are_sent_to_sign_in(web, visit):
    response = web.post(review_path(visit), GOOD)
    assert response.status_code in (302, 303) and "/sign-in" in response.headers["Location"]
    assert count_reviews() == 0


def test_an_upcoming_appointment_cannot_be_reviewed_yet(web, ctx, provider, customer):
    _, massage = make_bookable_venue(provider)
    upcoming = book(customer, massage, future_slot(days=2, hour=10))
    web.sign_in_as(customer)
    page = web.get(review_path(upcoming))
    assert page.status_code == 409 and "once the appointment is over" in page.text
    assert web.post(review_path(upcoming), GOOD).status_code == 409
    assert count_reviews() == 0


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (BookingStatus.CANCELLED_BY_CUSTOMER, "was cancelled"),
        (BookingStatus.CANCELLED_BY_VENUE, "was cancelled"),
        (BookingStatus.NO_SHOW, "no-show"),
    ],
)
def test_cancelled_and_no_show_bookings_cannot_be_reviewed(web, customer, visit, status, reason):
    visit.status = status
    db.session.flush()
    web.sign_in_as(customer)
    response = web.post(review_path(visit), GOOD)
    assert response.status_code == 409 and reason in response.text
    assert count_reviews() == 0


def test_the_review_window_closes_after_90_days(ctx, customer, visit):
    now = datetime.now(UTC)
    assert service.eligibility(visit, now + timedelta(days=89)).allowed
    late = service.eligibility(visit, now + timedelta(days=91))
    assert not late.allowed and "90 days" in late.reason


# -- the average, search and the venue page ------------------------------------------------------------


def test_the_average_counts_published_reviews_only(ctx, provider, customer, make_user, admin):
    _, massage = make_bookable_venue(provider)
    ratings = [5, 4, 2]
    reviews = []
    for day, stars in enumerate(ratings, start=1):
        someone = make_user(role=Role.CUSTOMER)
        booking = book(someone, massage, future_slot(days=day, hour=10))
        move_to_past(booking, hours=24 * day)
        reviews.append(service.create_review(booking, customer=someone, rating=stars, body="Honest words about it."))
    venue = massage.venue
    assert (venue.rating, venue.review_count) == (Decimal("3.67"), 3)  # exact: numeric(3, 2)
    service.set_visibility(reviews[2], hidden=True, actor=admin, reason="Personal details of a therapist")
    assert (venue.rating, venue.review_count) == (Decimal("4.50"), 2)
    service.set_visibility(reviews[2], hidden=False, actor=admin)
    assert venue.review_count == 3


def test_a_review_reindexes_the_venue_so_search_shows_its_rating(web, customer, visit, run_jobs):
    from search.postgres import PostgresBackend
    from search.types import SearchQuery

    web.sign_in_as(customer)
    web.post(review_path(visit), {"rating": "4", "body": "Good massage, a little rushed."})
    run_jobs()
    (hit,) = [
        h for h in PostgresBackend().search(SearchQuery(text="calm", per_page=50)).hits if h.venue_id == visit.venue_id
    ]
    assert (hit.document.rating, hit.document.review_count) == (4.0, 1)
    assert PostgresBackend().search(SearchQuery(min_rating=4.0, per_page=50)).total >= 1


def test_the_venue_page_escapes_review_text_and_shows_first_names_only(web, customer, visit):
    customer.name = "Ada Lovelace"
    db.session.flush()
    service.create_review(visit, customer=customer, rating=3, body="<script>alert('x')</script> was fine")
    page = web.get(f"/venues/{visit.venue.slug}").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "Ada" in page and "Lovelace" not in page


def test_a_venue_without_reviews_says_so(web, ctx, provider):
    venue, _ = make_bookable_venue(provider)
    assert "No reviews yet" in web.get(f"/venues/{venue.slug}").text


# -- moderation ---------------------------------------------------------------------------------------


def test_an_admin_hides_a_review_with_a_reason_and_it_is_audited(web, customer, admin, visit):
    review = service.create_review(
        visit, customer=customer, rating=1, body="The therapist, Jane Doe of 4 Elm St, was rude"
    )
    web.sign_in_as(admin)
    assert "The therapist, Jane Doe" in web.get("/admin/reviews").text

    response = web.post(f"/admin/reviews/{review.id}/hide", {"reason": "Personal details"})

    assert response.status_code == 303
    db.session.refresh(review)
    assert (review.status, review.hidden_reason) == (ReviewStatus.HIDDEN, "Personal details")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "review.hidden"))
    assert (entry.actor_id, entry.subject_id, entry.reason) == (admin.id, review.id, "Personal details")
    assert "Jane Doe" not in web.get(f"/venues/{visit.venue.slug}").text
    assert "Jane Doe" in web.get("/admin/reviews?status=hidden").text

    assert web.post(f"/admin/reviews/{review.id}/publish", {}).status_code == 303
    assert "Jane Doe" in web.get(f"/venues/{visit.venue.slug}").text


def test_hiding_without_a_reason_is_refused_and_changes_nothing(web, customer, admin, visit):
    review = service.create_review(visit, customer=customer, rating=2, body="Not great, not terrible.")
    web.sign_in_as(admin)
    response = web.post(f"/admin/reviews/{review.id}/hide", {"reason": "  "})
    assert response.status_code == 422 and "Say why the review is hidden" in response.text
    db.session.refresh(review)
    assert review.status == ReviewStatus.PUBLISHED
    assert web.post(f"/admin/reviews/{review.id}/hide", {"reason": "x" * 501}).status_code == 400


@pytest.mark.parametrize("path", ["/admin/reviews?status=deleted", "/admin/reviews?page=0"])
def test_bad_moderation_filters_are_a_400(web, admin, path):
    web.sign_in_as(admin)
    assert web.get(path).status_code == 400


def test_only_admins_moderate(web, customer, provider, visit):
    review = service.create_review(visit, customer=customer, rating=5, body="Wonderful from start to end.")
    for user in (customer, provider):
        web.sign_in_as(user)
        assert web.get("/admin/reviews").status_code == 403
        assert web.post(f"/admin/reviews/{review.id}/hide", {"reason": "no"}).status_code == 403
    web.sign_out()
    signed_out = web.post(f"/admin/reviews/{review.id}/hide", {"reason": "no"})
    assert signed_out.status_code in (302, 303) and "/sign-in" in signed_out.headers["Location"]
    db.session.refresh(review)
    assert review.status == ReviewStatus.PUBLISHED
    assert db.session.execute(text("SELECT count(*) FROM audit_log WHERE action LIKE 'review.%'")).scalar_one() == 0


def test_an_unknown_review_is_a_404(web, admin):
    web.sign_in_as(admin)
    assert web.post("/admin/reviews/999999/hide", {"reason": "spam"}).status_code == 404


# -- the signal ------------------------------------------------------------------------------------


def test_a_review_written_fires_review_posted_once_after_the_venue_is_recounted(customer, visit):
    seen = []

    def spy(sender, *, review, venue_id):
        venue = db.session.get(type(visit.venue), venue_id)
        seen.append((sender, review.id, venue_id, venue.review_count))

    with review_posted.connected_to(spy):
        review = service.create_review(visit, customer=customer, rating=4, body="Good, would come back again.")
        with pytest.raises(service.AlreadyReviewed):
            service.create_review(visit, customer=customer, rating=2, body="Trying to review it twice.")

    assert seen == [("customer", review.id, visit.venue_id, 1)]  # the refused second one fires nothing
