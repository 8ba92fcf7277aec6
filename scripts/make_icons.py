"""Draw CozyWish's app icons (the flower mark of the navigation bar) as PNGs under static/icons/.

The icons are our own artwork, drawn here with Pillow and committed: run this again only when
the mark changes (``.venv/bin/python scripts/make_icons.py``). The web app manifest
(app/web/installable.py) names them:

- ``icon-192.png``, ``icon-512.png``: the mark on a rounded purple square (``purpose: any``);
- ``icon-maskable-512.png``: the mark inside the middle 80% "safe zone" on a full-bleed square,
  so a launcher may cut it to any shape (``purpose: maskable``);
- ``apple-touch-icon.png`` (180 px, full bleed: iOS rounds the corners itself).
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
PURPLE = (105, 65, 198, 255)  # #6941c6, the site's primary colour (static/css/app.css)
PETAL = (255, 255, 255, 255)
HEART = (249, 213, 140, 255)  # a warm centre, like a flower's
SUPERSAMPLE = 4  # drawn four times larger, then scaled down: smooth edges without antialiasing support


def flower(draw: ImageDraw.ImageDraw, centre: float, radius: float) -> None:
    """Six round petals around a centre: the mark, fitting in a circle of ``radius``."""
    petal_radius = radius * 0.36
    ring = radius - petal_radius
    for index in range(6):
        angle = math.pi / 2 + index * math.pi / 3
        x, y = centre + ring * math.cos(angle), centre - ring * math.sin(angle)
        draw.ellipse((x - petal_radius, y - petal_radius, x + petal_radius, y + petal_radius), fill=PETAL)
    heart = radius * 0.30
    draw.ellipse((centre - heart, centre - heart, centre + heart, centre + heart), fill=HEART)


def icon(size: int, *, maskable: bool = False, full_bleed: bool = False) -> Image.Image:
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable or full_bleed:
        draw.rectangle((0, 0, big, big), fill=PURPLE)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=PURPLE)
    # A maskable icon's launcher may keep only the circle of 40% radius in the middle.
    flower(draw, big / 2, big * (0.27 if maskable else 0.34))
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, picture in {
        "icon-192.png": icon(192),
        "icon-512.png": icon(512),
        "icon-maskable-512.png": icon(512, maskable=True),
        "apple-touch-icon.png": icon(180, full_bleed=True).convert("RGB"),
    }.items():
        picture.save(OUT / name, optimize=True)
        print(f"static/icons/{name}: {picture.width}x{picture.height}")


if __name__ == "__main__":
    main()
