"""Photos on a customer's review: up to ``PHOTOS_MAX``, checked by content and re-encoded as
venue photos are (app/platform/images.py), stored behind Storage; an admin can remove one (audited)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event

from app.accounts.models import User
from app.audit import service as audit
from app.platform.errors import LimitReached, NotFound
from app.platform.extensions import db
from app.platform.images import ProcessedImage, convert_upload, new_key
from app.platform.storage import get_storage
from app.reviews.models import PHOTOS_MAX, Review, ReviewPhoto

VARIANTS = {
    "thumb": ((320, 240), True),
    "large": ((1200, 900), False),
}


def convert_photos(uploads: list[bytes]) -> list[dict[str, ProcessedImage]]:
    """Check and re-encode every upload before anything is stored: one bad file refuses them
    all (ValidationFailed with its message), and nothing is written."""
    if len(uploads) > PHOTOS_MAX:
        raise LimitReached(_("Add at most %(photos_max)s photos to a review.", photos_max=PHOTOS_MAX))
    config = current_app.config
    return [
        convert_upload(
            data,
            max_bytes=config["REVIEW_PHOTO_MAX_BYTES"],
            max_pixels=config["REVIEW_PHOTO_MAX_PIXELS"],
            variants=VARIANTS,
        )
        for data in uploads
    ]


def store_photos(review: Review, converted: list[dict[str, ProcessedImage]], *, alt_text: str) -> list[ReviewPhoto]:
    """Save converted photos under the review; their files go again if the transaction rolls back."""
    storage = get_storage()
    saved_keys: list[str] = []
    photos = []
    try:
        for position, sizes in enumerate(converted):
            variants = {}
            for name, processed in sizes.items():
                key = new_key(f"reviews/{review.venue_id}")
                storage.save(key, processed.data)
                saved_keys.append(key)
                variants[name] = {"key": key, "width": processed.width, "height": processed.height}
            photo = ReviewPhoto(review_id=review.id, position=position, alt_text=alt_text[:200], variants=variants)
            db.session.add(photo)
            photos.append(photo)
        db.session.flush()
    except Exception:
        for key in saved_keys:
            storage.delete(key)
        raise
    _after_transaction(saved_keys, on_commit=False)
    return photos


def remove_photo(review: Review, photo_id: int, *, actor: User, reason: str = "") -> None:
    """An admin removes one photo of a review: the row now, its files at the commit; audited."""
    photo = next((p for p in review.photos if p.id == photo_id), None)
    if photo is None:
        raise NotFound(_("There is no such photo on this review."))
    keys = [v["key"] for v in photo.variants.values() if v.get("key")]
    review.photos.remove(photo)
    db.session.delete(photo)
    audit.record(
        "review.photo_removed",
        actor_id=actor.id,
        about=("review", review.id),
        reason=(reason or "").strip()[:500] or None,
        venue_id=review.venue_id,
        photo_id=photo_id,
    )
    db.session.flush()
    _after_transaction(keys, on_commit=True)


def _after_transaction(keys: list[str], *, on_commit: bool) -> None:
    """Delete ``keys`` from storage when the session commits (``on_commit``: a removed photo) or
    when it rolls back (new photos whose review was never written)."""
    if not keys:
        return
    session = db.session()
    storage = get_storage()
    state = {"done": False}

    def delete(*_args: object) -> None:
        if not state["done"]:
            state["done"] = True
            for key in keys:
                storage.delete(key)

    def keep(*_args: object) -> None:
        state["done"] = True

    if on_commit:
        event.listen(session, "after_commit", delete, once=True)
        event.listen(session, "after_soft_rollback", keep, once=True)
    else:
        event.listen(session, "after_soft_rollback", delete, once=True)
        event.listen(session, "after_commit", keep, once=True)
