"""Profile photos: one square WebP per user, behind the storage interface."""

from __future__ import annotations

from flask import current_app

from app.accounts.models import User
from app.images import new_key, open_upload, to_webp
from app.storage import get_storage

AVATAR_SIZE = (256, 256)


def replace_avatar(user: User, data: bytes) -> str:
    image = open_upload(
        data, max_bytes=current_app.config["AVATAR_MAX_BYTES"], max_pixels=current_app.config["IMAGE_MAX_PIXELS"]
    )
    processed = to_webp(image, max_size=AVATAR_SIZE, crop=True)
    storage = get_storage()
    key = new_key("avatars")
    storage.save(key, processed.data)
    if user.avatar_key:
        storage.delete(user.avatar_key)
    user.avatar_key = key
    return key
