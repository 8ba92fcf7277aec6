"""Uploaded images: checked by content, stripped of metadata, re-encoded as WebP."""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import ValidationFailed

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    width: int
    height: int


def open_upload(data: bytes, *, max_bytes: int, max_pixels: int) -> Image.Image:
    """Open an uploaded image after checking what it really is; raise ValidationFailed if bad."""
    if not data:
        raise ValidationFailed("The file is empty.")
    if len(data) > max_bytes:
        limit = f"{max_bytes / (1024 * 1024):g} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes // 1024} KB"
        raise ValidationFailed(f"The image is larger than {limit}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ALLOWED_FORMATS:
                raise ValidationFailed("Upload a JPEG, PNG or WebP image.")
            if probe.width * probe.height > max_pixels:
                raise ValidationFailed("The image has too many pixels. Use one under 40 megapixels.")
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationFailed("That file is not an image we can read. Upload a JPEG, PNG or WebP.") from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationFailed("The image file is damaged. Try exporting it again.") from None
    return ImageOps.exif_transpose(image)


def to_webp(image: Image.Image, *, max_size: tuple[int, int], crop: bool = False) -> ProcessedImage:
    """Re-encode (which drops EXIF and other metadata) at most ``max_size``."""
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    if crop:
        image = ImageOps.fit(image, max_size, Image.Resampling.LANCZOS)
    else:
        image.thumbnail(max_size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=82, method=2)  # method 2: near-best size, twice as fast as 4
    return ProcessedImage(out.getvalue(), image.width, image.height)


def new_key(folder: str, suffix: str = "webp") -> str:
    return f"{folder}/{uuid.uuid4().hex}.{suffix}"
