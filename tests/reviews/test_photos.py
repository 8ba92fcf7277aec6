"""Photos on a review: through the upload checks (content, size, count), shown on the venue
page, removed by an admin (audited, files gone); a bad upload refuses the review and stores
nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.platform.extensions import db
from app.platform.storage import get_storage
from app.privacy.deletion import erase_account
from app.reviews.models import Review, ReviewPhoto
from tests.reviews.conftest import png

GOOD = {"rating": "5", "body": "Lovely calm room and a really skilled therapist."}


def review_path(booking) -> str:
    return f"/bookings/{booking.reference}/review"


def files(*blobs: bytes) -> list[tuple[io.BytesIO, str]]:
    return [(io.BytesIO(blob), f"photo{n}.png") for n, blob in enumerate(blobs)]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_review_with_two_photos_shows_them_on_the_venue_page(web, customer, visit):
    web.sign_in_as(customer)
    response = web.post(review_path(visit), {**GOOD, "photos": files(png(), png(colour="navy"))})

    assert response.status_code == 303
    photos = list(db.session.scalars(select(ReviewPhoto).order_by(ReviewPhoto.position)))
    assert [p.position for p in photos] == [0, 1]
    storage = get_storage()
    for photo in photos:
        assert set(photo.variants) == {"thumb", "large"}
        assert storage.exists(photo.variants["thumb"]["key"])
    page = web.get(f"/venues/{visit.venue.slug}").text
    assert f"/media/{photos[0].variants['thumb']['key']}" in page
    assert 'alt="Customer&#39;s photo of Deep tissue massage"' in page


@pytest.mark.parametrize(
    ("blobs", "status", "message"),
    [
        ((b"not an image at all",), 422, "That file is not an image we can read."),
        ((png(), b"GIF89a"), 422, "That file is not an image we can read."),
        ((png(), png(), png(), png()), 409, "Add at most 3 photos to a review."),
    ],
    ids=["not-an-image", "one-bad-of-two", "too-many"],
)
def test_bad_uploads_refuse_the_review_with_a_message_and_store_nothing(web, customer, visit, blobs, status, message):
    web.sign_in_as(customer)
    response = web.post(review_path(visit), {**GOOD, "photos": files(*blobs)})
    assert response.status_code == status
    assert message in response.text
    assert (count(Review), count(ReviewPhoto)) == (0, 0)


def test_a_photo_over_the_size_limit_is_refused(web, app, customer, visit, monkeypatch):
    monkeypatch.setitem(app.config, "REVIEW_PHOTO_MAX_BYTES", 1024)
    web.sign_in_as(customer)
    response = web.post(review_path(visit), {**GOOD, "photos": files(png(400, 300) + b"\0" * 2048)})
    assert response.status_code == 422 and "The image is larger than 1 KB." in response.text
    assert (count(Review), count(ReviewPhoto)) == (0, 0)


def test_an_admin_removes_a_photo_audited_and_its_files_go(web, customer, admin, visit):
    web.sign_in_as(customer)
    web.post(review_path(visit), {**GOOD, "photos": files(png())})
    photo = db.session.scalar(select(ReviewPhoto))
    keys = [v["key"] for v in photo.variants.values()]

    web.sign_in_as(admin)
    assert "Remove photo" in web.get("/admin/reviews").text
    response = web.post(f"/admin/reviews/{photo.review_id}/photos/{photo.id}/remove", {"reason": ""})

    assert response.status_code == 303
    assert count(ReviewPhoto) == 0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "review.photo_removed"))
    assert (entry.actor_id, entry.subject_id) == (admin.id, photo.review_id)
    assert not any(get_storage().exists(key) for key in keys)
    assert f"/media/{keys[0]}" not in web.get(f"/venues/{visit.venue.slug}").text


def test_removing_a_photo_is_for_admins_and_an_unknown_photo_is_a_404(web, customer, provider, admin, visit):
    web.sign_in_as(customer)
    web.post(review_path(visit), {**GOOD, "photos": files(png())})
    photo = db.session.scalar(select(ReviewPhoto))
    for user in (customer, provider):
        web.sign_in_as(user)
        assert web.post(f"/admin/reviews/{photo.review_id}/photos/{photo.id}/remove", {}).status_code == 403
    web.sign_in_as(admin)
    assert web.post(f"/admin/reviews/{photo.review_id}/photos/999999/remove", {}).status_code == 404
    assert count(ReviewPhoto) == 1


def test_erasing_the_account_deletes_the_photos_files(web, customer, visit):
    web.sign_in_as(customer)
    web.post(review_path(visit), {**GOOD, "photos": files(png())})
    keys = [v["key"] for v in db.session.scalar(select(ReviewPhoto)).variants.values()]
    erase_account(customer)
    db.session.commit()
    assert (count(Review), count(ReviewPhoto)) == (0, 0)
    assert not any(get_storage().exists(key) for key in keys)
