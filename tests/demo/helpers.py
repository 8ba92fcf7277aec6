"""Shared by the tests that seed the demo."""

from __future__ import annotations

import io

from PIL import Image


def plain_picture(*_args, **_kwargs) -> bytes:
    """One plain picture instead of the drawn ones (``app.demo.venues.illustration``), which halves
    the seed's time; for the tests about anything but pictures (tests/demo/test_demo_art.py tests
    those)."""
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (214, 200, 186)).save(out, "JPEG")
    return out.getvalue()
