"""Demo imagery: flat illustrations for each category, composed offline with Pillow.

A new user's first look at the demo should be of a marketplace, not of blurred test blobs.
Each picture is a two-tone backdrop in the category's colours, a large arch, a disc with the
category's icon from Bootstrap Icons (the icon font the pages already use, installed by npm
at setup), and a scatter of smaller icons. No text is drawn: labels crop badly in cards.

The icon font is looked up where ``make install`` puts it; without it (a bare checkout) the
pictures keep their shapes and colours and leave the icons out.
"""

from __future__ import annotations

import io
import random
import re
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
ICON_DIRS = (ROOT / "static/vendor/bootstrap-icons", ROOT / "node_modules/bootstrap-icons/font")
ICON_RULE = re.compile(r'\.bi-([a-z0-9-]+)::?before\s*\{\s*content:\s*"\\([0-9a-f]+)"')

# Per category: backdrop light and deep colours, the disc's colour, and its icons (first is the
# main one). Colours sit around the brand's violet, each category with a hue of its own.
STYLES = {
    "massage": ((236, 246, 240), (121, 173, 140), (52, 110, 84), ["flower2", "droplet", "feather", "wind"]),
    "spa": ((238, 235, 252), (149, 128, 226), (105, 65, 198), ["water", "flower1", "cup-hot", "moon-stars"]),
    "facial": ((253, 240, 233), (238, 160, 128), (196, 94, 62), ["droplet-half", "sun", "flower3", "stars"]),
    "nails": ((253, 236, 244), (232, 121, 170), (190, 52, 116), ["brush", "gem", "palette", "stars"]),
    "hair": ((255, 244, 224), (236, 170, 76), (176, 104, 16), ["scissors", "magic", "stars", "brush"]),
    "barber": ((233, 238, 245), (112, 133, 164), (44, 62, 92), ["scissors", "fire", "gem", "stars"]),
    "brows-lashes": ((246, 236, 250), (186, 120, 214), (128, 56, 166), ["eye", "magic", "feather", "gem"]),
    "wellness": ((232, 245, 246), (92, 172, 178), (24, 112, 122), ["tree", "heart-pulse", "moon-stars", "sun"]),
    "fitness": ((234, 241, 253), (98, 144, 232), (36, 88, 196), ["person-arms-up", "activity", "heart-pulse", "sun"]),
}
DEFAULT_STYLE = STYLES["spa"]

WIDTH, HEIGHT = 1200, 800
SCALE = 2  # drawn at twice the size and scaled down, so edges are smooth


def icon_dir() -> Path | None:
    return next((d for d in ICON_DIRS if (d / "fonts/bootstrap-icons.woff").exists()), None)


@lru_cache(maxsize=1)
def code_points() -> dict[str, int]:
    """Icon name -> code point, read from the icon set's own stylesheet."""
    folder = icon_dir()
    if folder is None:
        return {}
    css = next(folder.glob("bootstrap-icons*.css")).read_text()
    return {name: int(point, 16) for name, point in ICON_RULE.findall(css)}


@lru_cache(maxsize=8)
def icon_font(size: int) -> ImageFont.FreeTypeFont | None:
    folder = icon_dir()
    return ImageFont.truetype(str(folder / "fonts/bootstrap-icons.woff"), size) if folder else None


def mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def draw_icon(draw: ImageDraw.ImageDraw, name: str, centre: tuple[int, int], size: int, fill) -> None:
    font, point = icon_font(size), code_points().get(name)
    if font is None or point is None:
        return
    draw.text(centre, chr(point), font=font, fill=fill, anchor="mm")


def illustration(category_slug: str, variant: int, seed: int = 0) -> bytes:
    """One JPEG picture for a venue of this category; ``variant`` and ``seed`` vary the composition."""
    light, deep, strong, icons = STYLES.get(category_slug, DEFAULT_STYLE)
    rng = random.Random(f"{category_slug}:{seed}:{variant}")
    w, h = WIDTH * SCALE, HEIGHT * SCALE
    # A diagonal wash from the light colour to the deep one, turned a different way per picture.
    across, down = Image.linear_gradient("L").rotate(90), Image.linear_gradient("L")
    mask = ImageChops.add(across, down, scale=2).resize((WIDTH, HEIGHT))
    mask = mask.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else mask
    backdrop = Image.composite(Image.new("RGB", (WIDTH, HEIGHT), deep), Image.new("RGB", (WIDTH, HEIGHT), light), mask)

    shapes = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(shapes)
    mirrored = variant % 2 == 1
    # A large arch rising from the bottom edge, and a sun-like circle behind it.
    arch_x = int(w * (0.70 if mirrored else 0.30))
    arch_r = int(h * rng.uniform(0.55, 0.7))
    draw.ellipse(
        [arch_x - arch_r, h - arch_r * 0.9, arch_x + arch_r, h + arch_r * 1.1], fill=(*mix(light, deep, 0.55), 255)
    )
    sun_x = int(w * (0.22 if mirrored else 0.78))
    sun_y = int(h * rng.uniform(0.22, 0.32))
    sun_r = int(h * 0.13)
    draw.ellipse([sun_x - sun_r, sun_y - sun_r, sun_x + sun_r, sun_y + sun_r], fill=(255, 255, 255, 150))
    # Soft horizontal bands, like shelves or water, across the lower third.
    for n in range(3):
        y = int(h * (0.72 + n * 0.07))
        draw.rounded_rectangle(
            [int(w * 0.06), y, int(w * 0.94), y + int(h * 0.018)], radius=h, fill=(255, 255, 255, 60 - n * 15)
        )
    # A scatter of small icons in white.
    small = icons[1:]
    for n in range(9):
        x = int(w * rng.uniform(0.05, 0.95))
        y = int(h * rng.uniform(0.06, 0.6))
        draw_icon(draw, small[n % len(small)], (x, y), int(h * rng.choice([0.05, 0.07, 0.09])), (255, 255, 255, 120))
    # The disc with the category's main icon, on the arch.
    disc_r = int(h * 0.2)
    disc_y = int(h * 0.56)
    draw.ellipse(
        [arch_x - disc_r - 18, disc_y - disc_r - 18, arch_x + disc_r + 18, disc_y + disc_r + 18],
        fill=(255, 255, 255, 235),
    )
    draw.ellipse([arch_x - disc_r, disc_y - disc_r, arch_x + disc_r, disc_y + disc_r], fill=(*strong, 255))
    main = icons[(variant + seed) % len(icons)]
    draw_icon(draw, main, (arch_x, disc_y), int(disc_r * 1.1), (255, 255, 255, 255))

    # Shapes are drawn at twice the size and scaled down (smooth edges); the backdrop needn't be.
    shapes = shapes.resize((WIDTH, HEIGHT), Image.Resampling.BOX)
    backdrop.paste(shapes, (0, 0), shapes)
    out = io.BytesIO()
    backdrop.save(out, "JPEG", quality=86)
    return out.getvalue()
