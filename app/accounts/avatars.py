"""Profile photos: one square WebP per user, behind the storage interface."""

from __future__ import annotations

from flask import current_app

from app.accounts.models import User
from app.platform.images import convert_upload, new_key
from app.platform.storage import get_storage

AVATAR_SIZE = (256, 256)


def replace_avatar(user: User, data: bytes) -> str:
    config = current_app.config
    processed = convert_upload(
        data,
        max_bytes=config["AVATAR_MAX_BYTES"],
        max_pixels=config["AVATAR_MAX_PIXELS"],
        variants={"avatar": (AVATAR_SIZE, True)},
    )["avatar"]
    storage = get_storage()
    key = new_key("avatars")
    storage.save(key, processed.data)
    if user.avatar_key:
        storage.delete(user.avatar_key)
    user.avatar_key = key
    return key
