"""The data export holds a customer's review photos (the files, every size, as it does for other
uploads) and the venue's answers to their reviews; and, for a venue's owner or manager, the
answers they wrote (issue 34; docs/privacy.md)."""

from __future__ import annotations

import io
import json
import zipfile

from app.platform.extensions import db
from app.platform.storage import get_storage
from app.privacy.exports import build_archive
from app.reviews import replies, service
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past
from tests.privacy.conftest import image_bytes


def _archive(user) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(build_archive(user)))


def _visit(customer, massage, day: int):
    booking = book(customer, massage, future_slot(days=day, hour=10))
    move_to_past(booking, hours=3)
    return booking


def test_a_customers_export_has_their_review_photos_and_the_venues_answers(ctx, provider, customer, make_user, admin):
    venue, massage = make_bookable_venue(provider)
    first = service.create_review(
        _visit(customer, massage, 2),
        customer=customer,
        rating=5,
        body="Lovely massage, thank you.",
        photos=[image_bytes(), image_bytes((200, 150))],
    )
    second = service.create_review(
        _visit(customer, massage, 3), customer=customer, rating=2, body="Too rushed this time around."
    )
    replies.save_reply(first, author=provider, body="Thank you, see you soon!")
    hidden = replies.save_reply(second, author=provider, body="Something rude about the customer.")
    replies.set_reply_visibility(hidden, hidden=True, actor=admin, reason="Not kind")
    other = make_user(name="Olga Other")
    service.create_review(
        _visit(other, massage, 4), customer=other, rating=4, body="Olga's own review.", photos=[image_bytes()]
    )
    db.session.flush()

    archive = _archive(customer)
    rows = {r["id"]: r for r in json.loads(archive.read("reviews.json"))}
    assert set(rows) == {first.id, second.id}
    photos = rows[first.id]["photos"]
    assert len(photos) == 2 and rows[second.id]["photos"] == []
    names = [name for photo in photos for name in photo["files"]]
    assert len(names) == 4  # two sizes of each
    storage = get_storage()
    for photo, row in zip(sorted(first.photos, key=lambda p: p.id), sorted(photos, key=lambda p: p["id"]), strict=True):
        for size, variant in photo.variants.items():
            (name,) = [n for n in row["files"] if f"-{size}-" in n]
            assert archive.read(name) == storage.open(variant["key"])  # the file itself
            assert row["variants"][size]["key"] == variant["key"]
    readme = archive.read("README.txt").decode()
    assert all(name in readme for name in names)
    assert not [n for n in archive.namelist() if n.startswith("files/reviews/") and n not in names]  # not Olga's

    assert rows[first.id]["venue_reply"]["venue"] == venue.name
    assert rows[first.id]["venue_reply"]["body"] == "Thank you, see you soon!"
    assert rows[second.id]["venue_reply"] == {**rows[second.id]["venue_reply"], "body": None, "hidden_by_admin": True}
    text = archive.read("reviews.json").decode()
    assert "Something rude" not in text and provider.name not in text and "Olga" not in text
    assert json.loads(archive.read("review_replies_written.json")) == []


def test_a_providers_export_has_the_answers_they_wrote(ctx, provider, customer, admin):
    venue, massage = make_bookable_venue(provider)
    review = service.create_review(
        _visit(customer, massage, 2), customer=customer, rating=3, body="Fine, nothing special."
    )
    reply = replies.save_reply(review, author=provider, body="Sorry to hear that, come back and try the facial.")
    replies.set_reply_visibility(reply, hidden=True, actor=admin, reason="Advertising")
    db.session.flush()

    (written,) = json.loads(_archive(provider).read("review_replies_written.json"))
    assert written["venue"] == venue.name and written["review_id"] == review.id
    assert written["body"] == "Sorry to hear that, come back and try the facial."  # their own words, even hidden
    assert (written["status"], written["hidden_reason"]) == ("hidden", "Advertising")
    assert customer.name not in json.dumps(written)
    assert json.loads(_archive(customer).read("review_replies_written.json")) == []
