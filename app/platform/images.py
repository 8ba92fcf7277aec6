"""Uploaded images: checked by content, stripped of metadata, re-encoded as WebP, within a memory budget.

Memory is bounded three ways: each use has its own pixel cap (a profile photo needs far
fewer pixels than a gallery photo), JPEGs are decoded at a reduced scale close to the
largest size we keep (``draft``), and a process decodes at most ``IMAGE_DECODE_SLOTS``
images at once; other uploads wait for a slot (up to ``IMAGE_DECODE_WAIT_SECONDS``, then a
"busy, try again" error).
"""

from __future__ import annotations

import io
import threading
import uuid
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.platform.errors import DomainError, ValidationFailed

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
# Modes that resize well as they are; anything else is converted after shrinking.
RESIZABLE_MODES = {"RGB", "RGBA", "L", "LA"}


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    width: int
    height: int


class ImagesBusy(DomainError):
    """Every decode slot stayed taken for the whole wait."""


_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def _decode_slots(count: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        return _slots.setdefault(count, threading.BoundedSemaphore(count))


@contextmanager
def decode_slot() -> Iterator[None]:
    """Hold one of this process's image-decoding slots."""
    config = current_app.config
    slots = _decode_slots(int(config.get("IMAGE_DECODE_SLOTS", 1)))
    if not slots.acquire(timeout=float(config.get("IMAGE_DECODE_WAIT_SECONDS", 20))):
        raise ImagesBusy(_("We're processing many photos right now. Try again in a minute."))
    try:
        yield
    finally:
        slots.release()


def convert_upload(
    data: bytes, *, max_bytes: int, max_pixels: int, variants: Mapping[str, tuple[tuple[int, int], bool]]
) -> dict[str, ProcessedImage]:
    """Check an upload and re-encode it as one WebP per variant (name -> ((width, height), crop))."""
    check_upload(data, max_bytes=max_bytes, max_pixels=max_pixels)
    largest = (max(size[0] for size, _ in variants.values()), max(size[1] for size, _ in variants.values()))
    with decode_slot():
        image = _decode(data, largest)
        try:
            return {name: to_webp(image, max_size=size, crop=crop) for name, (size, crop) in variants.items()}
        finally:
            image.close()


def check_upload(data: bytes, *, max_bytes: int, max_pixels: int) -> None:
    """Refuse what we won't decode, reading only the header and the file's structure."""
    if not data:
        raise ValidationFailed(_("The file is empty."))
    if len(data) > max_bytes:
        limit = f"{max_bytes / (1024 * 1024):g} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes // 1024} KB"
        raise ValidationFailed(_("The image is larger than %(limit)s.", limit=limit))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ALLOWED_FORMATS:
                raise ValidationFailed(_("Upload a JPEG, PNG or WebP image."))
            if probe.width * probe.height > max_pixels:
                raise ValidationFailed(
                    _(
                        "The image has too many pixels. Use one under %(megapixels)s megapixels.",
                        megapixels=format(max_pixels / 1_000_000, "g"),
                    )
                )
            probe.verify()
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationFailed(_("That file is not an image we can read. Upload a JPEG, PNG or WebP.")) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationFailed(_("The image file is damaged. Try exporting it again.")) from None


def _decode(data: bytes, target: tuple[int, int]) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.format == "JPEG":
            image.draft("RGB", target)  # decode at 1/2, 1/4 or 1/8 scale, never below ``target``
        image.load()
    except (OSError, SyntaxError, ValueError):
        raise ValidationFailed(_("The image file is damaged. Try exporting it again.")) from None
    ImageOps.exif_transpose(image, in_place=True)
    return image


def to_webp(image: Image.Image, *, max_size: tuple[int, int], crop: bool = False) -> ProcessedImage:
    """Re-encode (which drops EXIF and other metadata) at most ``max_size``; ``image`` is not changed."""
    if image.mode not in RESIZABLE_MODES:
        # Palette and other modes: expand first (resizing a palette image would be crude).
        image = image.convert("RGBA" if "transparency" in image.info or image.mode in ("PA", "P") else "RGB")
    if crop:
        small = ImageOps.fit(image, max_size, Image.Resampling.LANCZOS)
    else:
        small = ImageOps.contain(image, max_size, Image.Resampling.LANCZOS) if _larger(image, max_size) else image
    if small.mode not in ("RGB", "RGBA"):
        small = small.convert("RGBA" if small.mode == "LA" else "RGB")
    out = io.BytesIO()
    small.save(out, "WEBP", quality=82, method=2)  # method 2: near-best size, twice as fast as 4
    return ProcessedImage(out.getvalue(), small.width, small.height)


def _larger(image: Image.Image, size: tuple[int, int]) -> bool:
    return image.width > size[0] or image.height > size[1]


def new_key(folder: str, suffix: str = "webp") -> str:
    return f"{folder}/{uuid.uuid4().hex}.{suffix}"
