"""Venue and team photos: checked by content, re-encoded, three WebP sizes, stored behind Storage."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from app.platform.errors import LimitReached, ValidationFailed
from app.platform.extensions import db
from app.platform.images import convert_upload, new_key
from app.platform.storage import delete_files_after_commit, get_storage
from app.venues.models import Venue, VenueImage

VARIANTS = {
    "thumb": ((320, 240), True),
    "card": ((800, 600), True),
    "hero": ((1600, 900), False),
}
MAX_IMAGES = 20


def add_image(venue: Venue, data: bytes, *, alt_text: str, kind: str = "venue") -> VenueImage:
    alt_text = (alt_text or "").strip()
    if not alt_text:
        raise ValidationFailed(_("Describe the photo for people who can't see it (alt text)."))
    if len(alt_text) > 200:
        raise ValidationFailed(_("Keep the description under 200 characters."))
    if kind == "venue" and len(venue.gallery) >= MAX_IMAGES:
        raise LimitReached(
            _("A venue can have at most %(max_images)s photos. Remove one first.", max_images=MAX_IMAGES)
        )
    converted = convert_upload(
        data,
        max_bytes=current_app.config["IMAGE_MAX_BYTES"],
        max_pixels=current_app.config["IMAGE_MAX_PIXELS"],
        variants=VARIANTS,
    )
    storage = get_storage()
    variants = {}
    try:
        for name, processed in converted.items():
            key = new_key(f"venues/{venue.id}")
            storage.save(key, processed.data)
            variants[name] = {"key": key, "width": processed.width, "height": processed.height}
    except Exception:
        for saved in variants.values():  # a photo is all its sizes or none (a full disk, say)
            storage.delete(saved["key"])
        raise
    record = VenueImage(
        venue_id=venue.id,
        kind=kind,
        alt_text=alt_text,
        variants=variants,
        position=max((i.position for i in venue.gallery), default=-1) + 1,
        is_cover=kind == "venue" and not venue.gallery,
    )
    db.session.add(record)
    venue.images.append(record)
    db.session.flush()
    return record


def delete_image(venue: Venue, image_id: int) -> None:
    """Delete the record now and its files once the transaction commits."""
    image = next((i for i in venue.images if i.id == image_id), None)
    if image is None:
        from werkzeug.exceptions import NotFound

        raise NotFound(_("No such photo at your venue."))
    was_cover = image.is_cover
    keys = [v["key"] for v in image.variants.values()]
    venue.images.remove(image)
    db.session.delete(image)
    db.session.flush()
    if was_cover and venue.gallery:
        venue.gallery[0].is_cover = True
    delete_files_after_commit(keys)


def set_cover(venue: Venue, image_id: int) -> None:
    target = next((i for i in venue.gallery if i.id == image_id), None)
    if target is None:
        from werkzeug.exceptions import NotFound

        raise NotFound(_("No such photo at your venue."))
    for image in venue.gallery:
        image.is_cover = image.id == image_id


def set_alt_text(venue: Venue, image_id: int, alt_text: str) -> None:
    image = next((i for i in venue.images if i.id == image_id), None)
    if image is None:
        from werkzeug.exceptions import NotFound

        raise NotFound(_("No such photo at your venue."))
    alt_text = alt_text.strip()
    if not alt_text or len(alt_text) > 200:
        raise ValidationFailed(_("Alt text is required, up to 200 characters."))
    image.alt_text = alt_text
