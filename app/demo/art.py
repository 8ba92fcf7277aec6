"""Demo imagery: flat, photo-like illustrations of each venue's rooms, composed offline by Pillow.

A new user's first look at the demo should be of a marketplace of real-looking places, each
its own. Every venue gets a *look* from its category and seed: a palette (a few interior
schemes per category, each shifted a little per venue), a floor (planks, tiles, terrazzo,
concrete), a wall (plain, panelled, tiled, slatted, an arch), lamps and plants. Its pictures
are *shots* of that one place: the treatment room with the category's furniture (a massage
table, a pool, nail stations and a wall of polish, barber chairs and a striped pole...), a
close-up of its products on a counter with the room blurred behind, a second room from the
other side, and the reception. Soft shadows, lamp and window light and a vignette give a
photographic feel. No text is drawn: labels crop badly in cards.

Everything is deterministic (seeded ``random.Random``) and quick: shapes are drawn at twice
the size and halved (smooth edges), while light, shadows and blurs are worked out on small
images and scaled up.

One long module on purpose: a picture generator with two public functions (``illustration`` and
``caption``), read only by the demo seed and never by production, whose sections (looks, the
canvas, the room, furniture, scenes, close-ups) hold drawing code and no rules, each built on
the ones above it. What each category's pictures are painted in and show is data, in art.toml.
"""

from __future__ import annotations

import colorsys
import io
import math
import random
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1200, 800
SCALE = 2  # drawn at twice the size and halved, so edges are smooth
A = WIDTH / HEIGHT  # drawing units: y runs 0..1 down the picture, x runs 0..A across it

RGB = tuple[int, int, int]


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def shade(colour: RGB, t: float) -> RGB:
    """Lighter (t > 0, towards white) or darker (t < 0, towards black)."""
    return mix(colour, (255, 255, 255), t) if t > 0 else mix(colour, (0, 0, 0), -t)


def alpha(colour: RGB, a: int) -> tuple[int, int, int, int]:
    return (*colour, a)


# -- looks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Palette:
    wall: RGB
    trim: RGB  # the accent wall, panelling, niches
    floor: RGB
    wood: RGB  # furniture
    fabric: RGB  # upholstery, cushions, leather
    linen: RGB  # towels, sheets
    metal: RGB  # lamps, fittings, chrome or brass
    accent: RGB  # art, decor
    leaf: RGB
    pot: RGB


PALETTES = {
    "sage": Palette(
        (218, 226, 210),
        (168, 188, 160),
        (198, 160, 120),
        (150, 108, 72),
        (232, 224, 208),
        (250, 248, 242),
        (196, 170, 118),
        (112, 146, 104),
        (84, 128, 82),
        (226, 214, 196),
    ),
    "terracotta": Palette(
        (241, 225, 208),
        (204, 132, 100),
        (176, 134, 98),
        (118, 82, 56),
        (226, 198, 170),
        (251, 246, 238),
        (190, 156, 96),
        (186, 96, 66),
        (92, 126, 80),
        (196, 118, 86),
    ),
    "blush": Palette(
        (246, 226, 224),
        (228, 184, 184),
        (236, 228, 220),
        (210, 178, 148),
        (236, 196, 198),
        (255, 250, 248),
        (206, 176, 120),
        (214, 120, 134),
        (104, 140, 100),
        (240, 232, 226),
    ),
    "navy": Palette(
        (52, 68, 96),
        (36, 48, 70),
        (126, 92, 64),
        (96, 64, 42),
        (140, 58, 48),
        (240, 236, 228),
        (204, 168, 96),
        (204, 168, 96),
        (92, 134, 92),
        (214, 206, 192),
    ),
    "charcoal": Palette(
        (78, 80, 84),
        (56, 58, 62),
        (150, 116, 86),
        (110, 78, 52),
        (178, 120, 74),
        (236, 232, 226),
        (196, 122, 78),
        (196, 122, 78),
        (98, 138, 94),
        (200, 196, 190),
    ),
    "lavender": Palette(
        (230, 224, 242),
        (190, 176, 222),
        (220, 210, 200),
        (196, 170, 140),
        (206, 190, 230),
        (252, 250, 255),
        (200, 196, 210),
        (140, 114, 196),
        (96, 138, 106),
        (244, 240, 248),
    ),
    "teal": Palette(
        (196, 224, 222),
        (70, 136, 138),
        (214, 204, 188),
        (168, 128, 92),
        (92, 150, 150),
        (248, 250, 248),
        (206, 176, 112),
        (44, 112, 118),
        (70, 124, 86),
        (236, 228, 214),
    ),
    "mustard": Palette(
        (242, 230, 198),
        (214, 168, 70),
        (186, 146, 104),
        (132, 92, 58),
        (222, 176, 80),
        (252, 248, 238),
        (60, 60, 60),
        (196, 138, 44),
        (86, 124, 78),
        (238, 224, 196),
    ),
    "forest": Palette(
        (54, 84, 68),
        (40, 66, 52),
        (176, 136, 98),
        (126, 88, 58),
        (196, 164, 120),
        (244, 240, 230),
        (206, 170, 100),
        (214, 180, 116),
        (120, 160, 104),
        (196, 122, 86),
    ),
    "monochrome": Palette(
        (238, 232, 222),
        (44, 44, 46),
        (206, 198, 186),
        (60, 56, 54),
        (52, 52, 54),
        (250, 248, 244),
        (40, 40, 42),
        (176, 150, 118),
        (96, 134, 92),
        (236, 232, 224),
    ),
    "sky": Palette(
        (216, 230, 242),
        (158, 194, 220),
        (228, 220, 206),
        (186, 150, 112),
        (238, 242, 246),
        (255, 255, 255),
        (190, 198, 206),
        (92, 140, 190),
        (86, 136, 96),
        (246, 244, 238),
    ),
    "oak": Palette(
        (245, 242, 236),
        (224, 216, 202),
        (206, 168, 126),
        (170, 126, 84),
        (214, 206, 192),
        (255, 253, 250),
        (64, 64, 64),
        (172, 142, 108),
        (90, 134, 88),
        (222, 210, 192),
    ),
}

# Per category: its palettes, walls and floors, and what each of its pictures shows (art.toml).
CATEGORIES = tomllib.loads(Path(__file__).with_name("art.toml").read_text(encoding="utf-8"))["categories"]
DEFAULT_CATEGORY = "spa"


@dataclass(frozen=True)
class Look:
    """What every picture of one venue shares."""

    palette: Palette
    wall: str
    floor: str
    lamp: str  # dome, globe, cone, rattan
    plant: str  # leafy, snake, tree
    art: str  # arches, sun, hills
    horizon: float  # where the back wall meets the floor
    warm: float  # colour grade: > 0 warm, < 0 cool


def shifted(palette: Palette, rng: random.Random) -> Palette:
    """The palette nudged in hue and lightness: two venues on one scheme still differ."""
    dh, dl = rng.uniform(-0.03, 0.03), rng.uniform(-0.035, 0.035)

    def nudge(c: RGB) -> RGB:
        h, lightness, s = colorsys.rgb_to_hls(*(v / 255 for v in c))
        r, g, b = colorsys.hls_to_rgb((h + dh) % 1, min(1, max(0, lightness + dl)), s)
        return (round(r * 255), round(g * 255), round(b * 255))

    return Palette(*(nudge(getattr(palette, f.name)) for f in fields(Palette)))


def look_of(category_slug: str, seed: int) -> Look:
    category = CATEGORIES.get(category_slug, CATEGORIES[DEFAULT_CATEGORY])
    palettes, walls, floors = category["palettes"], category["walls"], category["floors"]
    rng = random.Random(f"look:{category_slug}:{seed}")
    # The scheme and the wall go by the seed, so no two seeds less than schemes x walls apart
    # (15 or so) share both: the demo's venues of one category are nine apart. The rest is chance.
    palette = PALETTES[palettes[seed % len(palettes)]]
    return Look(
        palette=shifted(palette, rng),
        wall=walls[(seed // len(palettes)) % len(walls)],
        floor=rng.choice(floors),
        lamp=rng.choice(["dome", "globe", "cone", "rattan"]),
        plant=rng.choice(["leafy", "snake", "tree"]),
        art=rng.choice(["arches", "sun", "hills"]),
        horizon=rng.uniform(0.6, 0.68),
        warm=rng.uniform(-0.6, 1.0),
    )


# -- the canvas ----------------------------------------------------------------------------------


class Canvas:
    """Draws in picture units (y 0..1 down, x 0..A across) and collects the soft light and
    shadows that are rendered after the shapes."""

    def __init__(
        self,
        image: Image.Image,
        look: Look,
        rng: random.Random,
        *,
        vx: float,
        ey: float,
        unit: int | None = None,
        origin: tuple[int, int] = (0, 0),
    ):
        self.image = image
        self.unit = unit or image.size[1]
        self.ox, self.oy = origin  # a part of a larger picture starts here (see ``inset``)
        self.draw = ImageDraw.Draw(image, "RGBA")
        self.look, self.p, self.rng = look, look.palette, rng
        self.vx, self.ey = vx, ey  # vanishing point: floor lines and furniture tops recede to it
        self.shadows: list[tuple[float, float, float, float, int]] = []
        self.glows: list[tuple[float, float, float, RGB, int]] = []

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (x * self.unit - self.ox, y * self.unit - self.oy)

    def box(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [
            min(x0, x1) * self.unit - self.ox,
            min(y0, y1) * self.unit - self.oy,
            max(x0, x1) * self.unit - self.ox,
            max(y0, y1) * self.unit - self.oy,
        ]

    def inset(self, x0: float, y0: float, x1: float, y1: float) -> Canvas:
        """A canvas over a part of this one: what is drawn on it stays inside (``paste`` it back)."""
        left, top = round(x0 * self.unit), round(y0 * self.unit)
        size = (max(1, round(x1 * self.unit) - left), max(1, round(y1 * self.unit) - top))
        return Canvas(
            Image.new("RGB", size),
            self.look,
            self.rng,
            vx=self.vx,
            ey=self.ey,
            unit=self.unit,
            origin=(left + self.ox, top + self.oy),
        )

    def paste(self, part: Canvas, mask: Image.Image | None = None) -> None:
        self.image.paste(part.image, (part.ox - self.ox, part.oy - self.oy), mask)
        self.shadows += part.shadows
        self.glows += part.glows

    def rect(self, x0, y0, x1, y1, fill, radius: float = 0.0, outline=None, width: float = 0.0) -> None:
        box = self.box(x0, y0, x1, y1)
        w = max(1, round(width * self.unit)) if outline else 0
        if radius:
            r = min(radius * self.unit, (box[2] - box[0]) / 2, (box[3] - box[1]) / 2)
            self.draw.rounded_rectangle(box, radius=r, fill=fill, outline=outline, width=w)
        else:
            self.draw.rectangle(box, fill=fill, outline=outline, width=w)

    def mirrored_rects(self, cx, inner, outer, y0, y1, fill, radius: float = 0.0) -> None:
        """A pair of rects mirrored about ``cx``, each from ``inner`` to ``outer`` away from it
        (the two arms of a chair)."""
        self.rect(cx - outer, y0, cx - inner, y1, fill, radius)
        self.rect(cx + inner, y0, cx + outer, y1, fill, radius)

    def ellipse(self, cx, cy, rx, ry, fill=None, outline=None, width: float = 0.0) -> None:
        w = max(1, round(width * self.unit)) if outline else 0
        self.draw.ellipse(self.box(cx - rx, cy - ry, cx + rx, cy + ry), fill=fill, outline=outline, width=w)

    def poly(self, points, fill) -> None:
        self.draw.polygon([self.xy(x, y) for x, y in points], fill=fill)

    def line(self, points, fill, width: float) -> None:
        self.draw.line([self.xy(x, y) for x, y in points], fill=fill, width=max(1, round(width * self.unit)))

    def chord(self, cx, cy, rx, ry, start, end, fill) -> None:
        self.draw.chord(self.box(cx - rx, cy - ry, cx + rx, cy + ry), start, end, fill=fill)

    def recede(self, x: float, y: float, k: float) -> tuple[float, float]:
        return (x + (self.vx - x) * k, y + (self.ey - y) * k)

    def shadow(self, cx, cy, rx, ry, strength: int = 110) -> None:
        self.shadows.append((cx, cy, rx, ry, strength))

    def glow(self, cx, cy, r, colour: RGB = (255, 236, 200), strength: int = 120) -> None:
        self.glows.append((cx, cy, r, colour, strength))

    def box3d(self, x0, y0, x1, y1, depth: float, front: RGB, *, radius: float = 0.0, top: RGB | None = None) -> None:
        """A block seen from the front, its top and the side facing the middle receding."""
        side = shade(front, -0.18)
        top = top or shade(front, 0.14)
        if x1 < self.vx:
            self.poly([(x1, y0), (x1, y1), self.recede(x1, y1, depth), self.recede(x1, y0, depth)], side)
        elif x0 > self.vx:
            self.poly([(x0, y0), (x0, y1), self.recede(x0, y1, depth), self.recede(x0, y0, depth)], side)
        if y0 > self.ey:
            self.poly([(x0, y0), (x1, y0), self.recede(x1, y0, depth), self.recede(x0, y0, depth)], top)
        self.rect(x0, y0, x1, y1, front, radius=radius)

    def scale_at(self, base_y: float) -> float:
        """How big things standing on the floor at ``base_y`` look (1 at 0.85)."""
        return max(0.25, (base_y - self.ey) / (0.85 - self.ey))


# -- the room: walls, floors, windows, decor -----------------------------------------------------


def draw_wall(c: Canvas, hy: float, style: str) -> None:
    p = c.p
    c.rect(0, 0, A, hy, p.wall)
    # Light falls from above: the top of the wall a touch darker, as under a ceiling.
    for n in range(6):
        c.rect(0, n * 0.03, A, (n + 1) * 0.03, alpha(shade(p.wall, -0.25), 30 - n * 5))
    if style == "panels":
        top = hy - 0.27
        c.rect(0, top, A, hy, p.trim)
        c.rect(0, top - 0.012, A, top + 0.004, shade(p.trim, 0.12))
        x = 0.04
        while x < A:
            c.rect(x, top + 0.04, x + 0.2, hy - 0.04, None, outline=shade(p.trim, -0.12), width=0.005)
            x += 0.25
    elif style == "tiles":
        top = hy - 0.3
        tile = shade(p.trim, 0.55) if sum(p.trim) < 400 else shade(p.trim, 0.35)
        c.rect(0, top, A, hy, tile)
        grout = shade(tile, -0.12)
        row, y = 0, top
        while y < hy:
            c.line([(0, y), (A, y)], grout, 0.002)
            offset = 0.035 if row % 2 else 0
            x = offset
            while x < A:
                c.line([(x, y), (x, min(hy, y + 0.035))], grout, 0.002)
                x += 0.07
            y += 0.035
            row += 1
        c.rect(0, top - 0.008, A, top, shade(tile, -0.08))
    elif style == "split":
        c.rect(0, hy * 0.55, A, hy, p.trim)
    elif style == "slats":
        x0, x1 = A * 0.18, A * 0.82
        c.rect(x0, 0, x1, hy, shade(p.wood, -0.35))
        x = x0 + 0.008
        while x < x1:
            c.rect(x, 0, x + 0.022, hy, mix(p.wood, p.wall, 0.15))
            x += 0.032
    elif style == "arch":
        cx, w = A / 2 + c.rng.uniform(-0.2, 0.2), c.rng.uniform(0.26, 0.34)
        top = hy * c.rng.uniform(0.12, 0.22)
        c.rect(cx - w, top + w, cx + w, hy, p.trim)
        c.chord(cx, top + w, w, w, 180, 360, p.trim)
    c.rect(0, hy - 0.012, A, hy, shade(p.wall if style in ("plain", "arch", "slats") else p.trim, -0.22))


def draw_floor(c: Canvas, hy: float, style: str) -> None:
    p, vx, ey = c.p, c.vx, c.ey
    c.rect(0, hy, A, 1.01, p.floor)
    # Darker towards the back wall, where less light reaches.
    for n in range(5):
        c.rect(0, hy + n * 0.02, A, hy + (n + 1) * 0.02, alpha(shade(p.floor, -0.3), 50 - n * 10))

    def at(xb: float, y: float) -> float:  # where the line from the vanishing point to (xb, 1) is at y
        return vx + (xb - vx) * (y - ey) / (1 - ey)

    if style == "planks":
        seam = shade(p.floor, -0.16)
        xb, n = -2.0, 0
        while xb < A + 2:
            c.line([(at(xb, hy), hy), (xb, 1.0)], seam, 0.002)
            rng = random.Random(n)
            y = hy + rng.uniform(0, 0.05)
            while y < 1:
                y2 = min(1.0, y + rng.uniform(0.05, 0.14) * (y - ey) / (1 - ey) * 3)
                c.line([(at(xb, y), y), (at(xb + 0.11, y), y)], seam, 0.0015)
                y = y2
            xb += 0.11
            n += 1
    elif style == "tiles":
        light, dark = shade(p.floor, 0.3), shade(p.floor, -0.15)
        rows = [hy]
        k = 0
        while rows[-1] < 1:
            k += 1
            rows.append(ey + (hy - ey) / max(0.05, 1 - k * 0.11))
        columns = [-2.0 + n * 0.16 for n in range(int((A + 4) / 0.16) + 1)]
        for r in range(len(rows) - 1):
            y0, y1 = rows[r], min(rows[r + 1], 1.2)
            for ci in range(len(columns) - 1):
                a, b = columns[ci], columns[ci + 1]
                colour = light if (r + ci) % 2 else dark
                c.poly([(at(a, y0), y0), (at(b, y0), y0), (at(b, y1), y1), (at(a, y1), y1)], colour)
    elif style == "terrazzo":
        c.rect(0, hy, A, 1.01, shade(p.floor, 0.25))
        rng = random.Random(7)
        chips = [shade(p.floor, -0.2), shade(p.floor, -0.35), mix(p.accent, p.floor, 0.5), shade(p.wall, -0.1)]
        for _ in range(170):
            y = rng.uniform(hy, 1)
            s = (y - ey) / (1 - ey)
            x = rng.uniform(0, A)
            c.ellipse(x, y, 0.004 * s + 0.001, 0.0022 * s + 0.0006, fill=rng.choice(chips))
    else:  # polished concrete: a soft sheen
        c.rect(0, hy, A, 1.01, shade(p.floor, 0.08))
        c.poly([(vx - 0.3, hy), (vx + 0.3, hy), (vx + 0.9, 1.0), (vx - 0.9, 1.0)], alpha((255, 255, 255), 22))
    c.rect(0, hy, A, hy + 0.006, alpha(shade(p.floor, -0.5), 90))


def draw_window(c: Canvas, x0: float, y0: float, x1: float, y1: float, *, arched: bool = False) -> None:
    p = c.p
    frame = shade(p.linen, -0.04) if sum(p.wall) < 450 else shade(p.metal, -0.35)
    sky_top, sky_low = (150, 192, 226), (224, 236, 244)
    if c.look.warm > 0.85:  # late afternoon
        sky_top, sky_low = (168, 194, 222), (248, 222, 194)
    pad, r = 0.016, (x1 - x0) / 2
    if arched:
        c.chord(x0 + r, y0 + r, r + pad, r + pad, 180, 360, frame)
        c.rect(x0 - pad, y0 + r, x1 + pad, y1 + pad, frame)
    else:
        c.rect(x0 - pad, y0 - pad, x1 + pad, y1 + pad, frame)
    view = c.inset(x0, y0, x1, y1)
    steps = 10
    for n in range(steps):
        t = n / steps
        view.rect(x0, y0 + (y1 - y0) * t, x1, y0 + (y1 - y0) * (t + 1 / steps) + 0.003, mix(sky_top, sky_low, t))
    rng = random.Random(f"{x0:.3f}:{y0:.3f}")
    for _ in range(3):  # clouds
        cx, cy = rng.uniform(x0, x1), rng.uniform(y0 + 0.02, y0 + (y1 - y0) * 0.4)
        for k in range(3):
            view.ellipse(cx + (k - 1) * 0.025, cy - (k % 2) * 0.01, 0.03, 0.016, fill=(255, 255, 255, 150))
    if rng.random() < 0.5:  # the building across the street
        bx = rng.uniform(x0 - 0.05, x0 + (x1 - x0) * 0.5)
        top = y0 + (y1 - y0) * rng.uniform(0.35, 0.55)
        brick = rng.choice([(196, 150, 128), (214, 200, 180), (170, 168, 172)])
        view.rect(bx, top, bx + (x1 - x0) * 0.6, y1, brick)
        for wy in range(3):
            for wx in range(3):
                view.rect(
                    bx + 0.02 + wx * 0.045,
                    top + 0.03 + wy * 0.06,
                    bx + 0.045 + wx * 0.045,
                    top + 0.07 + wy * 0.06,
                    mix(brick, sky_top, 0.55),
                )
    leaf = shade(p.leaf, 0.2)
    for _ in range(9):  # tree tops along the bottom
        cx = rng.uniform(x0, x1)
        radius = rng.uniform(0.035, 0.07)
        view.ellipse(
            cx, y1 - rng.uniform(-0.01, 0.06), radius, radius * 0.9, fill=mix(leaf, sky_low, rng.uniform(0.15, 0.45))
        )
    mask = None
    if arched:
        mask = Image.new("L", view.image.size, 0)
        md = ImageDraw.Draw(mask)
        width = view.image.size[0]
        md.chord([0, 0, width - 1, width - 1], 180, 360, fill=255)
        md.rectangle([0, width // 2, width, mask.size[1]], fill=255)
    c.paste(view, mask)
    bars = shade(frame, -0.05)
    c.line([(x0 + r, y0 + (r * 0.3 if arched else 0)), (x0 + r, y1)], bars, 0.008)
    c.line([(x0, (y0 + y1) / 2 + 0.02), (x1, (y0 + y1) / 2 + 0.02)], bars, 0.008)
    c.rect(x0 - pad * 1.8, y1 + pad, x1 + pad * 1.8, y1 + pad * 2.2, shade(frame, 0.1))  # the sill
    c.glow(x0 + r, (y0 + y1) / 2, (x1 - x0) * 0.9, (255, 250, 235), 60)


def draw_art(c: Canvas, x0: float, y0: float, x1: float, y1: float) -> None:
    p = c.p
    c.rect(x0 - 0.01, y0 - 0.01, x1 + 0.01, y1 + 0.01, shade(p.wood, -0.2))
    c.rect(x0, y0, x1, y1, shade(p.linen, -0.02))
    m = (x1 - x0) * 0.12
    ix0, iy0, ix1, iy1 = x0 + m, y0 + m, x1 - m, y1 - m
    c.rect(ix0, iy0, ix1, iy1, mix(p.accent, p.linen, 0.72))
    cx, w = (ix0 + ix1) / 2, ix1 - ix0
    if c.look.art == "arches":
        for n, colour in enumerate([p.accent, shade(p.trim, -0.05), shade(p.accent, 0.35)]):
            r = w * (0.42 - n * 0.12)
            c.rect(cx - r, iy1 - r * 1.1, cx + r, iy1, colour)
            c.chord(cx, iy1 - r * 1.1, r, r, 180, 360, colour)
    elif c.look.art == "sun":
        c.ellipse(cx + w * 0.12, iy0 + (iy1 - iy0) * 0.38, w * 0.2, w * 0.2, fill=p.accent)
        c.poly(
            [
                (ix0, iy1),
                (ix0, iy1 - (iy1 - iy0) * 0.3),
                (cx, iy1 - (iy1 - iy0) * 0.15),
                (ix1, iy1 - (iy1 - iy0) * 0.4),
                (ix1, iy1),
            ],
            shade(p.leaf, 0.2),
        )
    else:
        c.poly([(ix0, iy1), (ix0 + w * 0.35, iy0 + (iy1 - iy0) * 0.3), (ix0 + w * 0.7, iy1)], shade(p.accent, 0.2))
        c.poly([(ix0 + w * 0.3, iy1), (ix0 + w * 0.68, iy0 + (iy1 - iy0) * 0.45), (ix1, iy1)], p.accent)


def draw_shelf(c: Canvas, x0: float, x1: float, y: float, items: str = "bottles") -> None:
    """A floating shelf with things on it."""
    p, rng = c.p, c.rng
    c.rect(x0, y, x1, y + 0.014, shade(p.wood, 0.05))
    c.rect(x0, y + 0.014, x1, y + 0.02, alpha((0, 0, 0), 40))
    x = x0 + 0.015
    colours = [p.accent, p.linen, shade(p.trim, -0.1), p.metal, shade(p.accent, 0.4), (90, 70, 60)]
    while x < x1 - 0.04:
        kind = rng.choice(
            ["bottle", "bottle", "jar", "plant", "towels"]
            if items == "bottles"
            else ["books", "jar", "plant", "candle"]
        )
        if kind == "bottle":
            h, w = rng.uniform(0.05, 0.085), rng.uniform(0.018, 0.028)
            draw_bottle(c, x + w / 2, y, w, h, rng.choice(colours))
            x += w + 0.012
        elif kind == "jar":
            w = rng.uniform(0.03, 0.045)
            c.rect(x, y - w * 0.8, x + w, y, rng.choice(colours), radius=0.006)
            c.rect(x - 0.002, y - w * 0.95, x + w + 0.002, y - w * 0.75, shade(p.metal, -0.1), radius=0.003)
            x += w + 0.012
        elif kind == "plant":
            draw_pot_plant(c, x + 0.025, y, 0.5, small=True)
            x += 0.06
        elif kind == "towels":
            w = 0.06
            for n in range(3):
                c.rect(x, y - (n + 1) * 0.016, x + w, y - n * 0.016 - 0.002, shade(p.linen, -0.04 * n), radius=0.006)
            x += w + 0.012
        elif kind == "books":
            for _ in range(rng.randint(3, 6)):
                w, h = rng.uniform(0.01, 0.016), rng.uniform(0.05, 0.075)
                c.rect(x, y - h, x + w, y, rng.choice(colours))
                x += w + 0.002
            x += 0.012
        else:
            draw_candle(c, x + 0.012, y, 0.5)
            x += 0.035


def draw_bottle(c: Canvas, cx: float, base: float, w: float, h: float, colour: RGB, cap: RGB | None = None) -> None:
    cap = cap or shade(c.p.metal, -0.3)
    body = h * 0.72
    c.rect(cx - w / 2, base - body, cx + w / 2, base, colour, radius=w * 0.25)
    c.rect(cx - w * 0.18, base - h * 0.86, cx + w * 0.18, base - body + 0.002, colour)
    c.rect(cx - w * 0.24, base - h, cx + w * 0.24, base - h * 0.84, cap, radius=w * 0.06)
    c.rect(
        cx - w / 2 + w * 0.12, base - body * 0.7, cx - w / 2 + w * 0.26, base - body * 0.15, alpha((255, 255, 255), 70)
    )
    c.rect(cx - w * 0.42, base - body * 0.6, cx + w * 0.42, base - body * 0.3, alpha(shade(colour, 0.6), 170))


def draw_candle(c: Canvas, cx: float, base: float, s: float) -> None:
    """A pillar candle, lit."""
    w, h = 0.024 * s, 0.05 * s
    wax = mix(c.p.linen, c.p.accent, 0.12)
    c.rect(cx - w, base - h, cx + w, base, wax, radius=0.004 * s)
    c.rect(cx + w * 0.35, base - h + 0.003 * s, cx + w, base, alpha(shade(wax, -0.3), 90), radius=0.004 * s)
    c.ellipse(cx, base - h, w * 0.95, 0.004 * s, fill=shade(wax, -0.08))
    c.line([(cx, base - h), (cx, base - h - 0.008 * s)], (40, 30, 20), 0.002 * s)
    c.ellipse(cx, base - h - 0.016 * s, 0.006 * s, 0.012 * s, fill=(255, 196, 90))
    c.ellipse(cx, base - h - 0.013 * s, 0.003 * s, 0.006 * s, fill=(255, 244, 200))
    c.glow(cx, base - h - 0.015 * s, 0.08 * s, (255, 190, 110), 130)
    c.shadow(cx, base, w * 1.3, 0.004 * s, 80)


def leaf_points(x: float, y: float, angle: float, length: float, width: float) -> list[tuple[float, float]]:
    """A pointed leaf from (x, y) along ``angle`` (radians; 0 is up)."""
    dx, dy = math.sin(angle), -math.cos(angle)
    nx, ny = -dy, dx
    points = []
    for n in range(9):
        t = n / 8
        half = width * math.sin(math.pi * t) ** 0.8
        points.append((x + dx * length * t + nx * half, y + dy * length * t + ny * half))
    for n in range(7, 0, -1):
        t = n / 8
        half = width * math.sin(math.pi * t) ** 0.8
        points.append((x + dx * length * t - nx * half, y + dy * length * t - ny * half))
    return points


def draw_pot_plant(
    c: Canvas, cx: float, base: float, s: float, *, small: bool = False, kind: str | None = None
) -> None:
    p, rng = c.p, random.Random(f"{cx:.3f}{base:.3f}")
    kind = "leafy" if small else (kind or c.look.plant)
    pot_w, pot_h = 0.07 * s, 0.09 * s
    leaf_dark, leaf_light = shade(p.leaf, -0.2), shade(p.leaf, 0.15)
    top = base - pot_h
    if kind == "snake":
        for n in range(9):
            a = (n - 4) * 0.13 + rng.uniform(-0.05, 0.05)
            length = rng.uniform(0.22, 0.36) * s
            c.poly(
                leaf_points(cx + (n - 4) * 0.006 * s, top + 0.005, a, length, 0.018 * s), leaf_dark if n % 2 else p.leaf
            )
    elif kind == "tree":
        c.line([(cx, top), (cx - 0.01 * s, top - 0.32 * s)], shade(p.wood, -0.3), 0.01 * s)
        for _ in range(38):
            a = rng.uniform(0, math.tau)
            r = rng.uniform(0, 0.13) * s
            x, y = cx - 0.01 * s + math.cos(a) * r * 1.2, top - 0.4 * s + math.sin(a) * r
            c.poly(
                leaf_points(x, y, rng.uniform(-1.5, 1.5), 0.05 * s, 0.016 * s),
                rng.choice([leaf_dark, p.leaf, leaf_light]),
            )
    else:
        for n in range(11 if not small else 6):
            a = rng.uniform(-1.2, 1.2)
            length = rng.uniform(0.12, 0.22) * s
            stem_end = (cx + math.sin(a) * length * 0.6, top - math.cos(a) * length * 0.6)
            c.line([(cx, top), stem_end], leaf_dark, 0.003 * s)
            c.poly(
                leaf_points(*stem_end, a + rng.uniform(-0.4, 0.4), length * 0.55, length * 0.2),
                [leaf_dark, p.leaf, leaf_light][n % 3],
            )
    c.poly([(cx - pot_w / 2, top), (cx + pot_w / 2, top), (cx + pot_w * 0.38, base), (cx - pot_w * 0.38, base)], p.pot)
    c.rect(
        cx - pot_w / 2 - 0.004 * s, top - 0.012 * s, cx + pot_w / 2 + 0.004 * s, top + 0.004 * s, shade(p.pot, -0.06)
    )
    c.shadow(cx, base, pot_w * 0.8, 0.012 * s, 90)


def draw_pendant(c: Canvas, x: float, y: float, s: float = 1.0) -> None:
    p = c.p
    c.line([(x, 0), (x, y)], shade(p.metal, -0.5), 0.002)
    shade_colour = p.metal if c.look.lamp != "globe" else (250, 246, 236)
    if c.look.lamp == "dome":
        r = 0.06 * s
        c.chord(x, y + r * 0.9, r, r, 180, 360, shade_colour)
        c.ellipse(x, y + r * 0.9, r * 0.45, r * 0.12, fill=(255, 244, 214))
        glow_y = y + r
    elif c.look.lamp == "cone":
        r = 0.045 * s
        c.poly([(x - r * 0.25, y), (x + r * 0.25, y), (x + r, y + r * 1.3), (x - r, y + r * 1.3)], shade_colour)
        c.ellipse(x, y + r * 1.3, r, r * 0.16, fill=(255, 240, 206))
        glow_y = y + r * 1.4
    elif c.look.lamp == "rattan":
        r = 0.055 * s
        c.ellipse(x, y + r, r, r * 0.85, fill=shade(p.wood, 0.35))
        for n in range(-3, 4):
            c.line(
                [(x + n * r * 0.26, y + r * 0.25), (x + n * r * 0.3, y + r * 1.75)],
                alpha(shade(p.wood, -0.1), 120),
                0.002,
            )
        glow_y = y + r * 1.3
    else:
        r = 0.045 * s
        c.ellipse(x, y + r, r, r, fill=(252, 248, 236))
        c.ellipse(x - r * 0.3, y + r * 0.7, r * 0.35, r * 0.3, fill=(255, 255, 250))
        glow_y = y + r
    c.glow(x, glow_y, 0.2 * s, (255, 222, 170), 120)


def draw_sconce(c: Canvas, x: float, y: float) -> None:
    c.rect(x - 0.006, y - 0.01, x + 0.006, y + 0.03, shade(c.p.metal, -0.2))
    c.ellipse(x, y, 0.025, 0.032, fill=(252, 244, 226))
    c.glow(x, y, 0.16, (255, 214, 160), 120)


def room(c: Canvas, *, window: bool = True, art: bool = True) -> None:
    """The back wall, the floor, a window and a picture on the wall; the scene adds the rest."""
    look, rng, hy = c.look, c.rng, c.look.horizon
    draw_wall(c, hy, look.wall)
    draw_floor(c, hy, look.floor)
    if window and look.wall not in ("slats",):
        x0 = rng.uniform(0.06, 0.14)
        draw_window(c, x0, hy * 0.16, x0 + rng.uniform(0.26, 0.34), hy * 0.72, arched=look.wall == "arch")
    elif art:
        draw_art(c, 0.12, hy * 0.25, 0.34, hy * 0.62)


# -- furniture -------------------------------------------------------------------------------------


def massage_table(c: Canvas, cx: float, base: float) -> None:
    p, s = c.p, c.scale_at(base)
    length, height, thick = 0.56 * s, 0.2 * s, 0.045 * s
    x0, x1, top = cx - length / 2, cx + length / 2, base - height
    legs = shade(p.wood, -0.1)
    for x in (x0 + 0.04 * s, x1 - 0.04 * s):  # back legs, smaller and higher
        bx, by = c.recede(x, base, 0.1)
        c.line([(bx, top), (bx, by)], shade(legs, -0.25), 0.012 * s)
    c.box3d(x0, top - thick, x1, top, 0.1, p.fabric, radius=0.012 * s)
    # A towel across it, hanging over the front edge.
    tx0, tx1 = x0 + length * 0.18, x1 - length * 0.12
    c.poly(
        [(tx0, top - thick), (tx1, top - thick), c.recede(tx1, top - thick, 0.1), c.recede(tx0, top - thick, 0.1)],
        shade(p.linen, -0.02),
    )
    c.rect(tx0, top - thick, tx1, top + 0.05 * s, p.linen, radius=0.01 * s)
    c.rect(tx0, top - thick, tx1, top - thick + 0.006 * s, shade(p.linen, -0.08))
    for x in (x0 + 0.04 * s, x1 - 0.04 * s):
        c.rect(x - 0.007 * s, top, x + 0.007 * s, base, legs)
    c.line([(x0 + 0.04 * s, base - height * 0.35), (x1 - 0.04 * s, base - height * 0.35)], legs, 0.006 * s)
    # The face cradle at one end, a rolled towel at the other.
    c.rect(x1 - 0.005, top - thick * 0.8, x1 + 0.06 * s, top - thick * 0.2, shade(p.fabric, -0.04), radius=0.012 * s)
    c.ellipse(x0 + 0.05 * s, top - thick - 0.018 * s, 0.035 * s, 0.022 * s, fill=shade(p.linen, -0.05))
    c.ellipse(x0 + 0.05 * s, top - thick - 0.018 * s, 0.012 * s, 0.014 * s, fill=shade(p.linen, -0.15))
    # A few petals on the towel.
    for n in range(3):
        c.ellipse(cx + (n - 1) * 0.025 * s, top - thick - 0.004 * s, 0.008 * s, 0.004 * s, fill=p.accent)
    c.shadow(cx, base, length * 0.6, 0.03 * s, 120)


def side_trolley(c: Canvas, cx: float, base: float) -> None:
    p, s = c.p, c.scale_at(base)
    w, h = 0.11 * s, 0.2 * s
    for y in (base - h, base - h * 0.45):
        c.box3d(cx - w / 2, y - 0.012 * s, cx + w / 2, y, 0.08, shade(p.wood, 0.05))
    c.rect(cx - w / 2, base - h, cx - w / 2 + 0.008 * s, base, shade(p.wood, -0.1))
    c.rect(cx + w / 2 - 0.008 * s, base - h, cx + w / 2, base, shade(p.wood, -0.1))
    draw_candle(c, cx - w * 0.25, base - h - 0.012 * s, s)
    for n, r in enumerate((0.022, 0.018, 0.013)):  # a stack of stones
        c.ellipse(cx + w * 0.2, base - h - 0.02 * s - n * 0.018 * s, r * s, 0.01 * s, fill=shade((70, 70, 72), 0.1 * n))
    for n in range(2):
        c.rect(
            cx - w * 0.4 + n * 0.05 * s,
            base - h * 0.45 - 0.04 * s,
            cx - w * 0.4 + n * 0.05 * s + 0.045 * s,
            base - h * 0.45 - 0.012 * s,
            shade(p.linen, -0.04 * n),
            radius=0.01 * s,
        )
    c.shadow(cx, base, w * 0.7, 0.015 * s, 90)


def armchair(c: Canvas, cx: float, base: float, colour: RGB, *, width: float = 0.2, back: float = 0.26) -> None:
    s = c.scale_at(base)
    w = width * s
    c.rect(cx - w / 2, base - back * s, cx + w / 2, base - 0.08 * s, shade(colour, -0.06), radius=0.04 * s)
    c.mirrored_rects(
        cx, w / 2 - 0.03 * s, w / 2 + 0.02 * s, base - 0.14 * s, base - 0.03 * s, shade(colour, -0.12), 0.02 * s
    )
    c.rect(cx - w / 2 + 0.02 * s, base - 0.11 * s, cx + w / 2 - 0.02 * s, base - 0.04 * s, colour, radius=0.02 * s)
    for x in (cx - w / 2, cx + w / 2 - 0.01 * s):
        c.rect(x, base - 0.04 * s, x + 0.01 * s, base, shade(c.p.wood, -0.3))
    c.shadow(cx, base, w * 0.65, 0.02 * s, 100)


def sofa(c: Canvas, cx: float, base: float) -> None:
    p, s = c.p, c.scale_at(base)
    w = 0.5 * s
    colour = p.fabric if sum(p.fabric) < 650 else shade(p.accent, 0.3)
    c.box3d(cx - w / 2, base - 0.22 * s, cx + w / 2, base - 0.1 * s, 0.06, shade(colour, -0.08), radius=0.03 * s)
    for n in range(2):
        x0 = cx - w / 2 + 0.04 * s + n * (w - 0.08 * s) / 2
        c.rect(x0 + 0.005, base - 0.13 * s, x0 + (w - 0.08 * s) / 2 - 0.005, base - 0.06 * s, colour, radius=0.02 * s)
    c.mirrored_rects(cx, w / 2 - 0.05 * s, w / 2, base - 0.16 * s, base - 0.03 * s, shade(colour, -0.05), 0.02 * s)
    c.rect(cx - w * 0.3, base - 0.2 * s, cx - w * 0.12, base - 0.12 * s, p.accent, radius=0.015 * s)  # cushions
    c.rect(cx + w * 0.14, base - 0.19 * s, cx + w * 0.3, base - 0.12 * s, shade(p.linen, -0.05), radius=0.015 * s)
    for x in (cx - w / 2 + 0.02 * s, cx + w / 2 - 0.03 * s):
        c.rect(x, base - 0.03 * s, x + 0.01 * s, base, shade(p.wood, -0.3))
    c.shadow(cx, base, w * 0.6, 0.025 * s, 110)


def styling_chair(c: Canvas, cx: float, base: float, colour: RGB, *, barber: bool = False) -> None:
    """A salon or barber chair seen from behind, facing its mirror."""
    p, s = c.p, c.scale_at(base)
    chrome = (196, 198, 202) if barber or sum(p.metal) < 300 else p.metal
    c.ellipse(cx, base - 0.006 * s, 0.07 * s, 0.014 * s, fill=shade(chrome, -0.1))
    c.rect(cx - 0.012 * s, base - 0.12 * s, cx + 0.012 * s, base - 0.008 * s, chrome)
    if barber:
        c.rect(
            cx - 0.05 * s, base - 0.16 * s, cx + 0.05 * s, base - 0.13 * s, shade(chrome, -0.2), radius=0.01 * s
        )  # footrest
    w = 0.15 * s if barber else 0.13 * s
    c.rect(cx - w / 2, base - 0.18 * s, cx + w / 2, base - 0.11 * s, shade(colour, -0.1), radius=0.02 * s)  # seat
    c.mirrored_rects(
        cx,
        w / 2 - 0.012 * s,
        w / 2 + 0.015 * s,
        base - 0.21 * s,
        base - 0.15 * s,
        chrome if barber else shade(colour, -0.18),
        0.008 * s,
    )
    back_top = base - (0.36 if barber else 0.34) * s
    c.rect(cx - w / 2 + 0.008 * s, back_top, cx + w / 2 - 0.008 * s, base - 0.16 * s, colour, radius=0.03 * s)
    if barber:  # tufted leather and a headrest
        for row in range(3):
            for col in range(3):
                c.ellipse(
                    cx - w / 4 + col * w / 4,
                    back_top + 0.04 * s + row * 0.045 * s,
                    0.004 * s,
                    0.004 * s,
                    fill=shade(colour, -0.3),
                )
        c.rect(cx - 0.006 * s, back_top - 0.05 * s, cx + 0.006 * s, back_top, chrome)
        c.rect(cx - 0.04 * s, back_top - 0.075 * s, cx + 0.04 * s, back_top - 0.04 * s, colour, radius=0.015 * s)
    c.rect(
        cx - w / 2 + 0.02 * s, back_top + 0.01 * s, cx - w / 2 + 0.03 * s, base - 0.18 * s, alpha((255, 255, 255), 50)
    )
    c.shadow(cx, base, 0.09 * s, 0.016 * s, 110)


def mirror(c: Canvas, x0: float, y0: float, x1: float, y1: float, *, round_top: bool, frame: RGB) -> None:
    p = c.p
    pad = 0.012
    if round_top:
        r = (x1 - x0) / 2
        c.chord((x0 + x1) / 2, y0 + r, r + pad, r + pad, 180, 360, frame)
        c.rect(x0 - pad, y0 + r, x1 + pad, y1 + pad, frame)
        c.chord((x0 + x1) / 2, y0 + r, r, r, 180, 360, mix(p.wall, (230, 236, 240), 0.6))
        c.rect(x0, y0 + r, x1, y1, mix(p.wall, (230, 236, 240), 0.6))
    else:
        c.rect(x0 - pad, y0 - pad, x1 + pad, y1 + pad, frame, radius=0.02)
        c.rect(x0, y0, x1, y1, mix(p.wall, (230, 236, 240), 0.6), radius=0.012)
    # The room in the glass: a paler floor line and two streaks of reflection.
    c.rect(x0 + 0.004, y1 - (y1 - y0) * 0.22, x1 - 0.004, y1 - 0.004, alpha(shade(p.floor, 0.3), 120))
    c.poly(
        [
            (x0 + (x1 - x0) * 0.2, y1),
            (x0 + (x1 - x0) * 0.35, y1),
            (x0 + (x1 - x0) * 0.75, y0 + (y1 - y0) * 0.25),
            (x0 + (x1 - x0) * 0.6, y0 + (y1 - y0) * 0.25),
        ],
        alpha((255, 255, 255), 60),
    )


def barber_pole(c: Canvas, cx: float, y0: float, y1: float) -> None:
    w = 0.022
    c.rect(cx - w, y0, cx + w, y1, (246, 244, 240))
    colours = [(186, 40, 44), (246, 244, 240), (38, 70, 140), (246, 244, 240)]
    step, y, n = 0.03, y0 - 0.06, 0
    while y < y1:
        ya, yb = max(y0, y), min(y1, y + 0.06)
        top_a, top_b = max(y0, y - 0.02), min(y1, y + step - 0.02)
        if ya < yb and top_a < top_b:
            c.poly(
                [
                    (cx - w, ya),
                    (cx - w, min(y1, ya + step)),
                    (cx + w, max(y0, min(y1, ya + step - 0.04))),
                    (cx + w, max(y0, ya - 0.04)),
                ],
                colours[n % 4],
            )
        y += step
        n += 1
    c.rect(cx - w * 1.25, y0 - 0.02, cx + w * 1.25, y0, (200, 202, 206), radius=0.006)
    c.rect(cx - w * 1.25, y1, cx + w * 1.25, y1 + 0.02, (200, 202, 206), radius=0.006)
    c.ellipse(cx, y0 - 0.028, w * 0.9, 0.012, fill=(220, 222, 226))
    c.rect(cx - w, y0, cx - w * 0.6, y1, alpha((255, 255, 255), 60))
    c.rect(cx + w * 0.5, y0, cx + w, y1, alpha((0, 0, 0), 40))


POLISH = [
    (196, 30, 58),
    (232, 90, 110),
    (238, 160, 170),
    (214, 164, 140),
    (150, 40, 90),
    (120, 80, 160),
    (60, 130, 150),
    (242, 196, 180),
    (184, 58, 40),
    (250, 232, 224),
    (90, 40, 50),
    (226, 120, 90),
]


def polish_wall(c: Canvas, x0: float, x1: float, y0: float, rows: int) -> None:
    """Shelves of nail polish in every colour."""
    rng = random.Random(int(x0 * 997 + y0 * 131))
    for r in range(rows):
        y = y0 + r * 0.075
        c.rect(x0 - 0.01, y, x1 + 0.01, y + 0.008, shade(c.p.wood, 0.2))
        x = x0
        while x < x1 - 0.012:
            colour = rng.choice(POLISH)
            c.rect(x, y - 0.034, x + 0.017, y, colour, radius=0.004)
            c.rect(x + 0.005, y - 0.054, x + 0.012, y - 0.034, (34, 32, 34) if r % 2 else (236, 232, 226))
            c.rect(x + 0.003, y - 0.03, x + 0.006, y - 0.008, alpha((255, 255, 255), 90))
            x += 0.022


def manicure_station(c: Canvas, x0: float, x1: float, base: float, chair: RGB) -> None:
    p, s = c.p, c.scale_at(base)
    h = 0.2 * s
    desk = shade(p.linen, -0.03) if sum(p.wood) > 560 else p.wood
    # Technicians' stools behind the desk.
    stations = max(2, round((x1 - x0) / (0.36 * s)))
    for n in range(stations):
        cx = x0 + (n + 0.5) * (x1 - x0) / stations
        c.rect(
            cx - 0.035 * s,
            base - h - 0.09 * s,
            cx + 0.035 * s,
            base - h - 0.005,
            shade(p.fabric, -0.15),
            radius=0.02 * s,
        )
    c.box3d(x0, base - h - 0.025 * s, x1, base - h, 0.12, desk)
    c.rect(x0 + 0.01, base - h, x1 - 0.01, base, shade(desk, -0.06))
    c.rect(x0 + 0.01, base - h, x1 - 0.01, base - h + 0.01 * s, alpha((0, 0, 0), 40))
    for n in range(stations):
        cx = x0 + (n + 0.5) * (x1 - x0) / stations
        top = base - h - 0.025 * s
        c.rect(cx - 0.05 * s, top - 0.016 * s, cx + 0.05 * s, top, shade(p.linen, -0.06), radius=0.008 * s)  # hand rest
        c.rect(cx + 0.07 * s, top - 0.04 * s, cx + 0.12 * s, top, shade(p.metal, 0.2), radius=0.01 * s)  # the lamp
        c.glow(cx + 0.095 * s, top - 0.02 * s, 0.05 * s, (210, 190, 255), 80)
        draw_bottle(c, cx - 0.075 * s, top, 0.014 * s, 0.04 * s, POLISH[n * 3 % len(POLISH)])
        armchair(c, cx - 0.03 * s, min(1.05, base + 0.14), chair, width=0.15, back=0.19)
    c.shadow((x0 + x1) / 2, base, (x1 - x0) * 0.55, 0.03 * s, 110)


def treatment_bed(c: Canvas, cx: float, base: float) -> None:
    """A facial bed with its back raised."""
    p, s = c.p, c.scale_at(base)
    length, height = 0.5 * s, 0.2 * s
    x0, x1, top = cx - length / 2, cx + length / 2, base - height
    c.box3d(x0 + 0.05 * s, top + 0.03 * s, x1 - 0.05 * s, base, 0.08, shade(p.wood, 0.15), radius=0.01 * s)
    c.box3d(x0 + 0.1 * s, top - 0.02 * s, x1, top + 0.03 * s, 0.09, p.fabric, radius=0.015 * s)
    c.poly(
        [
            (x0 + 0.12 * s, top - 0.02 * s),
            (x0 + 0.02 * s, top - 0.17 * s),
            (x0 - 0.02 * s, top - 0.14 * s),
            (x0 + 0.06 * s, top + 0.02 * s),
        ],
        shade(p.fabric, -0.06),
    )
    c.ellipse(x0 + 0.0, top - 0.165 * s, 0.04 * s, 0.022 * s, fill=p.linen)
    c.rect(x0 + 0.15 * s, top - 0.035 * s, x1 - 0.04 * s, top - 0.012 * s, p.linen, radius=0.01 * s)
    c.shadow(cx, base, length * 0.6, 0.028 * s, 110)


def magnifier_lamp(c: Canvas, x: float, base: float, reach: float) -> None:
    s = c.scale_at(base)
    metal = (214, 216, 220)
    c.ellipse(x, base - 0.006 * s, 0.05 * s, 0.012 * s, fill=shade(metal, -0.2))
    c.line([(x, base), (x, base - 0.42 * s)], metal, 0.008 * s)
    head = (x + reach * s, base - 0.48 * s)
    c.line([(x, base - 0.42 * s), (x + reach * s * 0.5, base - 0.56 * s), head], metal, 0.007 * s)
    c.ellipse(*head, 0.055 * s, 0.03 * s, fill=(250, 250, 250), outline=shade(metal, -0.1), width=0.008 * s)
    c.ellipse(*head, 0.04 * s, 0.02 * s, fill=(214, 232, 240))
    c.glow(head[0], head[1] + 0.03, 0.14 * s, (236, 244, 255), 100)


def ring_light(c: Canvas, x: float, base: float) -> None:
    s = c.scale_at(base)
    c.ellipse(x, base - 0.006 * s, 0.045 * s, 0.01 * s, fill=(60, 60, 64))
    c.line([(x, base), (x, base - 0.44 * s)], (70, 70, 74), 0.006 * s)
    cy, r = base - 0.52 * s, 0.085 * s
    c.ellipse(x, cy, r, r, fill=None, outline=(255, 252, 246), width=0.018 * s)
    c.glow(x, cy, 0.25 * s, (255, 248, 236), 150)


def pool(c: Canvas, hy: float) -> None:
    p = c.p
    water, deep = (120, 196, 210), (60, 150, 176)
    if p.trim[2] > p.trim[0] + 30:
        water, deep = mix(water, p.trim, 0.25), mix(deep, p.trim, 0.25)
    y0, y1 = hy + 0.06, 0.98
    xa, xb = c.vx - 0.42, c.vx + 0.42

    def at(x: float, y: float) -> float:
        return c.vx + (x - c.vx) * (y - c.ey) / (y0 - c.ey)

    coping = shade(p.linen, -0.04)
    m = 0.03
    c.poly(
        [
            (at(xa, y0) - m, y0 - m * 0.5),
            (at(xb, y0) + m, y0 - m * 0.5),
            (at(xb, y1) + m * 2, y1 + 0.02),
            (at(xa, y1) - m * 2, y1 + 0.02),
        ],
        coping,
    )
    steps = 10
    for n in range(steps):
        ya, yb = y0 + (y1 - y0) * n / steps, y0 + (y1 - y0) * (n + 1) / steps
        c.poly([(at(xa, ya), ya), (at(xb, ya), ya), (at(xb, yb), yb), (at(xa, yb), yb)], mix(deep, water, n / steps))
    rng = random.Random(int(hy * 1000))
    for _ in range(22):  # light on the water
        y = rng.uniform(y0 + 0.02, y1 - 0.02)
        x = rng.uniform(at(xa, y) + 0.03, at(xb, y) - 0.12)
        w = rng.uniform(0.04, 0.12) * (y - c.ey) / (y1 - c.ey)
        c.line([(x, y), (x + w * 0.5, y - 0.004), (x + w, y)], alpha((255, 255, 255), 110), 0.003)
    c.glow(c.vx, (y0 + y1) / 2, 0.3, (190, 240, 250), 70)


def lounger(c: Canvas, cx: float, base: float) -> None:
    p, s = c.p, c.scale_at(base)
    w = 0.36 * s
    c.box3d(cx - w / 2, base - 0.09 * s, cx + w / 2, base - 0.03 * s, 0.1, shade(p.wood, 0.1))
    c.rect(cx - w / 2 + 0.01, base - 0.115 * s, cx + w / 2 - 0.01, base - 0.085 * s, p.linen, radius=0.012 * s)
    c.poly(
        [
            (cx - w / 2, base - 0.1 * s),
            (cx - w / 2 - 0.04 * s, base - 0.2 * s),
            (cx - w / 2 + 0.02 * s, base - 0.2 * s),
            (cx - w / 2 + 0.06 * s, base - 0.1 * s),
        ],
        shade(p.linen, -0.05),
    )
    c.ellipse(cx + w * 0.25, base - 0.13 * s, 0.035 * s, 0.02 * s, fill=p.accent)
    for x in (cx - w / 2 + 0.02, cx + w / 2 - 0.03):
        c.rect(x, base - 0.03 * s, x + 0.01 * s, base, shade(p.wood, -0.2))
    c.shadow(cx, base, w * 0.6, 0.022 * s, 100)


def bathtub(c: Canvas, cx: float, base: float) -> None:
    p, s = c.p, c.scale_at(base)
    w, h = 0.46 * s, 0.17 * s
    body = (250, 250, 248)
    c.chord(cx, base - h, w / 2, h, 0, 180, body)
    c.rect(cx - w / 2 - 0.01, base - h - 0.02 * s, cx + w / 2 + 0.01, base - h + 0.004, shade(body, -0.06), radius=0.01)
    c.ellipse(cx, base - h - 0.012 * s, w / 2 - 0.02 * s, 0.018 * s, fill=(170, 214, 222))
    c.chord(cx, base - h, w / 2, h, 90, 180, alpha((0, 0, 0), 18))
    for x in (cx - w * 0.38, cx + w * 0.38):
        c.ellipse(x, base - 0.01 * s, 0.016 * s, 0.01 * s, fill=p.metal)
    c.rect(cx + w / 2 - 0.02 * s, base - h - 0.12 * s, cx + w / 2 - 0.008 * s, base - h, p.metal)
    c.rect(
        cx + w / 2 - 0.06 * s, base - h - 0.125 * s, cx + w / 2 - 0.008 * s, base - h - 0.11 * s, p.metal, radius=0.005
    )
    c.shadow(cx, base, w * 0.55, 0.02 * s, 110)


def mat(c: Canvas, cx: float, y0: float, y1: float, width: float, colour: RGB) -> None:
    """A yoga mat lying on the floor, running away from the camera."""

    def at(x: float, y: float) -> float:
        return c.vx + (x - c.vx) * (y - c.ey) / (1 - c.ey)

    half = width / 2
    c.poly([(at(cx - half, y0), y0), (at(cx + half, y0), y0), (at(cx + half, y1), y1), (at(cx - half, y1), y1)], colour)
    c.poly(
        [
            (at(cx - half, y1), y1),
            (at(cx + half, y1), y1),
            (at(cx + half, y1), y1 + 0.006),
            (at(cx - half, y1), y1 + 0.006),
        ],
        shade(colour, -0.25),
    )


def reformer(c: Canvas, cx: float, base: float, colour: RGB) -> None:
    p, s = c.p, c.scale_at(base)
    w = 0.6 * s
    frame = shade(p.wood, 0.05)
    c.box3d(cx - w / 2, base - 0.07 * s, cx + w / 2, base - 0.03 * s, 0.1, frame)
    c.rect(cx - w / 2, base - 0.03 * s, cx - w / 2 + 0.015 * s, base, shade(frame, -0.2))
    c.rect(cx + w / 2 - 0.015 * s, base - 0.03 * s, cx + w / 2, base, shade(frame, -0.2))
    c.rect(cx - w * 0.2, base - 0.095 * s, cx + w * 0.25, base - 0.07 * s, colour, radius=0.008 * s)  # carriage
    c.rect(cx - w * 0.18, base - 0.13 * s, cx - w * 0.12, base - 0.095 * s, colour, radius=0.006 * s)  # shoulder rests
    c.line(
        [
            (cx + w * 0.42, base - 0.07 * s),
            (cx + w * 0.42, base - 0.16 * s),
            (cx + w * 0.47, base - 0.16 * s),
            (cx + w * 0.47, base - 0.07 * s),
        ],
        (200, 202, 206),
        0.007 * s,
    )  # the foot bar
    c.line([(cx - w / 2 + 0.01, base - 0.07 * s), (cx - w / 2 + 0.01, base - 0.2 * s)], shade(frame, -0.2), 0.008 * s)
    c.shadow(cx, base, w * 0.6, 0.02 * s, 100)


def cushion(c: Canvas, cx: float, base: float, colour: RGB) -> None:
    s = c.scale_at(base)
    c.ellipse(cx, base - 0.03 * s, 0.09 * s, 0.04 * s, fill=shade(colour, -0.12))
    c.ellipse(cx, base - 0.05 * s, 0.085 * s, 0.032 * s, fill=colour)
    c.ellipse(cx, base - 0.05 * s, 0.01 * s, 0.006 * s, fill=shade(colour, -0.25))
    c.shadow(cx, base, 0.1 * s, 0.016 * s, 100)


def low_table(c: Canvas, cx: float, base: float) -> None:
    p, s = c.p, c.scale_at(base)
    w = 0.24 * s
    c.box3d(cx - w / 2, base - 0.08 * s, cx + w / 2, base - 0.065 * s, 0.1, p.wood)
    for x in (cx - w / 2 + 0.01, cx + w / 2 - 0.02 * s):
        c.rect(x, base - 0.065 * s, x + 0.012 * s, base, shade(p.wood, -0.2))
    teapot(c, cx - 0.04 * s, base - 0.08 * s, s * 0.6)
    draw_candle(c, cx + 0.06 * s, base - 0.08 * s, s * 0.8)
    c.shadow(cx, base, w * 0.6, 0.016 * s, 100)


def lantern(c: Canvas, x: float, y: float, r: float) -> None:
    c.line([(x, 0), (x, y - r)], (60, 60, 60), 0.002)
    c.ellipse(x, y, r, r * 1.05, fill=(252, 248, 238))
    for n in range(-2, 3):
        yy = y + n * r * 0.35
        half = r * math.sqrt(max(0.0, 1 - (n * 0.35) ** 2))
        c.line([(x - half, yy), (x + half, yy)], (226, 218, 204), 0.002)
    c.glow(x, y, r * 3, (255, 226, 170), 110)


def teapot(c: Canvas, cx: float, base: float, s: float) -> None:
    body = shade(c.p.accent, -0.1)
    c.ellipse(cx, base - 0.05 * s, 0.06 * s, 0.05 * s, fill=body)
    c.poly(
        [
            (cx + 0.05 * s, base - 0.05 * s),
            (cx + 0.1 * s, base - 0.09 * s),
            (cx + 0.105 * s, base - 0.085 * s),
            (cx + 0.055 * s, base - 0.03 * s),
        ],
        body,
    )
    c.ellipse(cx - 0.065 * s, base - 0.055 * s, 0.025 * s, 0.028 * s, outline=body, width=0.008 * s)
    c.rect(cx - 0.03 * s, base - 0.105 * s, cx + 0.03 * s, base - 0.09 * s, shade(body, -0.1), radius=0.008 * s)
    c.ellipse(cx - 0.02 * s, base - 0.07 * s, 0.012 * s, 0.02 * s, fill=alpha((255, 255, 255), 60))


def reception_desk(c: Canvas, cx: float, base: float) -> None:
    p, s = c.p, c.scale_at(base)
    w, h = 0.62 * s, 0.26 * s
    front = p.trim if c.look.wall not in ("panels", "tiles", "split") else p.wood
    c.box3d(cx - w / 2, base - h - 0.02 * s, cx + w / 2, base - h, 0.16, shade(p.linen, -0.05))
    c.rect(cx - w / 2 + 0.01, base - h, cx + w / 2 - 0.01, base, front)
    x = cx - w / 2 + 0.03
    while x < cx + w / 2 - 0.03:  # fluted front
        c.rect(x, base - h + 0.01, x + 0.012 * s, base - 0.01, shade(front, -0.08), radius=0.006 * s)
        x += 0.026 * s
    draw_pot_plant(c, cx - w * 0.35, base - h - 0.02 * s, s * 0.55, small=True)
    c.rect(
        cx + w * 0.1, base - h - 0.08 * s, cx + w * 0.26, base - h - 0.025 * s, (40, 40, 44), radius=0.006 * s
    )  # screen
    c.rect(cx + w * 0.17, base - h - 0.025 * s, cx + w * 0.19, base - h - 0.02 * s, (60, 60, 64))
    c.shadow(cx, base, w * 0.6, 0.03 * s, 120)


def logo_disc(c: Canvas, cx: float, cy: float, r: float) -> None:
    """The venue's sign: a disc with a simple mark (no letters)."""
    p = c.p
    c.ellipse(cx, cy, r, r, fill=p.accent)
    c.ellipse(cx, cy, r * 0.82, r * 0.82, outline=shade(p.accent, 0.4), width=0.004)
    for a in (-0.6, 0, 0.6):
        c.poly(leaf_points(cx, cy + r * 0.45, a, r * 0.9, r * 0.2), shade(p.accent, 0.6))


# -- scenes: a whole picture each -------------------------------------------------------------------


def massage_scene(c: Canvas, alt: bool) -> None:
    rng, hy = c.rng, c.look.horizon
    room(c)
    right_shelf = rng.random() < 0.6
    if right_shelf:
        draw_shelf(c, A * 0.6, A * 0.88, hy * rng.uniform(0.4, 0.5), "bottles")
    else:
        draw_art(c, A * 0.62, hy * 0.22, A * 0.78, hy * 0.5)
    for x in rng.sample([0.42, 0.55, 0.9], rng.randint(1, 2)):
        draw_sconce(c, A * x, hy * 0.42)
    if rng.random() < 0.7:
        draw_pot_plant(c, A - 0.12, hy + rng.uniform(0.06, 0.14), rng.uniform(0.9, 1.15))
    if alt:  # a couples room: two tables
        massage_table(c, A * 0.36, hy + 0.2)
        massage_table(c, A * 0.62, hy + 0.3)
    else:
        x = A * rng.choice([0.38, 0.46, 0.54])
        side_trolley(c, x + (0.5 if x < A * 0.5 else -0.48), hy + 0.24)
        massage_table(c, x, hy + rng.uniform(0.27, 0.31))
        c.glow(x, hy + 0.1, 0.4, (255, 210, 160), 50)


def spa_scene(c: Canvas, alt: bool) -> None:
    rng, hy = c.rng, c.look.horizon
    room(c, window=not alt)
    if alt:
        draw_shelf(c, A * 0.62, A * 0.86, hy * 0.55, "bottles")
        x = A * rng.uniform(0.42, 0.55)
        bathtub(c, x, hy + 0.28)
        draw_pot_plant(c, A * 0.86, hy + rng.uniform(0.12, 0.2), 1.1)
        draw_candle(c, x - 0.36, hy + 0.27, 1.4)
        draw_candle(c, x - 0.32, hy + 0.29, 1.0)
        draw_sconce(c, x, hy * 0.35)
    else:
        pool(c, hy)
        lounger(c, A * 0.1, hy + 0.2)
        if rng.random() < 0.6:
            lounger(c, A * 0.9, hy + 0.22)
        draw_pot_plant(c, A * rng.choice([0.72, 0.78]), hy + 0.03, 0.9)
        for n in range(rng.randint(1, 3)):
            draw_pendant(c, A * (0.5 + (n - 1) * 0.15), hy * 0.25, 1.1)


def facial_scene(c: Canvas, alt: bool) -> None:
    rng, hy = c.rng, c.look.horizon
    room(c)
    if rng.random() < 0.5:
        draw_art(c, A * 0.6, hy * 0.22, A * 0.74, hy * 0.48)
    else:
        draw_sconce(c, A * 0.66, hy * 0.4)
    draw_shelf(c, A * 0.76, A * 0.96, hy * rng.uniform(0.45, 0.6), "bottles")
    x = A * rng.uniform(0.4, 0.5) if not alt else A * 0.55
    treatment_bed(c, x, hy + 0.28)
    magnifier_lamp(c, x - 0.3 if not alt else A * 0.82, hy + 0.2, 0.16 if not alt else -0.16)
    side_trolley(c, A * (0.8 if not alt else 0.25), hy + 0.18)
    draw_pendant(c, x, hy * 0.18)


def nails_scene(c: Canvas, alt: bool) -> None:
    p, rng, hy = c.p, c.rng, c.look.horizon
    room(c, window=alt, art=False)
    x0 = A * (rng.uniform(0.3, 0.45) if not alt else 0.5)
    polish_wall(c, x0, A * 0.95, hy * 0.22, rng.choice([3, 4]) if not alt else 3)
    chair = p.fabric if sum(p.fabric) < 600 else shade(p.accent, 0.35)
    chair = rng.choice([chair, shade(p.trim, -0.1), (236, 230, 220)])
    width = rng.uniform(0.5, 0.72) if not alt else 0.6
    manicure_station(c, A * (0.5 - width / 2), A * (0.5 + width / 2), hy + 0.18, chair)
    for n in range(2 if alt else 3):
        draw_pendant(c, A * (0.3 + n * 0.2), hy * 0.1, 0.8)
    if rng.random() < 0.5:
        draw_pot_plant(c, A * 0.07, hy + 0.14, 1.0)


def hair_scene(c: Canvas, alt: bool, *, barber: bool = False) -> None:
    p, rng, hy = c.p, c.rng, c.look.horizon
    room(c, window=alt, art=False)
    count = 2 if alt else rng.choice([2, 3, 3])
    frame = shade(p.wood, -0.3) if barber else rng.choice([p.metal, shade(p.wood, 0.1), (240, 236, 230)])
    chair = p.fabric if barber else rng.choice([p.fabric, shade(p.accent, 0.1), (50, 50, 54)])
    round_top = not barber and rng.random() < 0.6
    start = A * (rng.uniform(0.14, 0.24) if not alt else 0.46)
    gap = (A * 0.92 - start) / count
    if barber:
        barber_pole(c, start - 0.1 if not alt else A * 0.38, hy * 0.25, hy * 0.62)
    for n in range(count):
        cx = start + gap * (n + 0.5)
        mirror(c, cx - gap * 0.32, hy * 0.16, cx + gap * 0.32, hy * 0.74, round_top=round_top, frame=frame)
        c.rect(cx - gap * 0.4, hy * 0.74 + 0.01, cx + gap * 0.4, hy * 0.74 + 0.028, shade(p.wood, 0.05))
        draw_bottle(c, cx - gap * 0.28, hy * 0.74 + 0.01, 0.02, 0.06, p.accent)
        draw_bottle(c, cx - gap * 0.2, hy * 0.74 + 0.01, 0.018, 0.05, shade(p.linen, -0.1))
        if not barber:
            draw_pendant(c, cx, hy * 0.02, 0.7)
    for n in range(count):
        cx = start + gap * (n + 0.5)
        styling_chair(c, cx, hy + 0.25, chair, barber=barber)
    if alt:
        draw_pot_plant(c, A * 0.2, hy + 0.2, 1.1)


def barber_scene(c: Canvas, alt: bool) -> None:
    hair_scene(c, alt, barber=True)


def brows_scene(c: Canvas, alt: bool) -> None:
    p, hy = c.p, c.look.horizon
    room(c)
    vanity_x0, vanity_x1 = A * 0.6, A * 0.86
    frame = shade(p.trim, -0.25) if sum(p.trim) > 300 else p.metal
    c.rect(vanity_x0, hy * 0.2, vanity_x1, hy * 0.66, frame, radius=0.012)
    c.rect(vanity_x0 + 0.028, hy * 0.2 + 0.028, vanity_x1 - 0.028, hy * 0.66 - 0.028, mix(p.wall, (230, 236, 240), 0.6))
    c.rect(vanity_x0 + 0.028, hy * 0.5, vanity_x1 - 0.028, hy * 0.66 - 0.028, alpha(shade(p.floor, 0.3), 110))
    for n in range(5):  # the bulbs round a make-up mirror
        for x in (vanity_x0 + 0.014, vanity_x1 - 0.014):
            y = hy * 0.24 + n * (hy * 0.38) / 4
            c.ellipse(x, y, 0.011, 0.011, fill=(255, 250, 232))
            c.glow(x, y, 0.05, (255, 236, 200), 110)
    for n in range(4):
        x = vanity_x0 + 0.05 + n * (vanity_x1 - vanity_x0 - 0.1) / 3
        c.ellipse(x, hy * 0.2 + 0.014, 0.011, 0.011, fill=(255, 250, 232))
        c.glow(x, hy * 0.2 + 0.014, 0.05, (255, 236, 200), 110)
    if alt:
        armchair(c, A * 0.73, hy + 0.26, shade(p.accent, 0.3), width=0.22)
        ring_light(c, A * 0.3, hy + 0.26)
        draw_pot_plant(c, A * 0.12, hy + 0.2, 1.0)
    else:
        lash_bed_x = A * 0.36
        s = c.scale_at(hy + 0.3)
        c.box3d(
            lash_bed_x - 0.3 * s,
            hy + 0.3 - 0.2 * s,
            lash_bed_x + 0.3 * s,
            hy + 0.3 - 0.08 * s,
            0.1,
            p.fabric,
            radius=0.02 * s,
        )
        c.rect(lash_bed_x - 0.29 * s, hy + 0.3 - 0.08 * s, lash_bed_x + 0.29 * s, hy + 0.3, shade(p.wood, 0.1))
        c.ellipse(lash_bed_x - 0.22 * s, hy + 0.3 - 0.21 * s, 0.07 * s, 0.025 * s, fill=p.linen)
        c.shadow(lash_bed_x, hy + 0.3, 0.34 * s, 0.025 * s, 120)
        ring_light(c, lash_bed_x - 0.38 * s, hy + 0.27)
        side_trolley(c, A * 0.8, hy + 0.22)


def wellness_scene(c: Canvas, alt: bool) -> None:
    p, rng, hy = c.p, c.rng, c.look.horizon
    room(c)
    for n in range(3):
        lantern(c, A * (0.35 + n * 0.18) + rng.uniform(-0.03, 0.03), hy * (0.25 + 0.12 * (n % 2)), 0.045)
    draw_pot_plant(c, A * 0.9, hy + 0.15, 1.1, kind="tree")
    if alt:
        for n in range(3):
            mat(c, A * (0.3 + n * 0.2), hy + 0.06, 0.95, 0.16, shade(p.accent, 0.2 + 0.15 * n))
        for n in range(3):
            cushion(c, A * (0.3 + n * 0.2), hy + 0.12, p.fabric)
    else:
        low_table(c, A * 0.5, hy + 0.27)
        for x, y in ((0.3, 0.3), (0.7, 0.32), (0.5, 0.16)):
            cushion(c, A * x, hy + y, [p.fabric, p.accent, shade(p.trim, 0.1)][int(x * 10) % 3])
        draw_shelf(c, A * 0.64, A * 0.86, hy * 0.5, "books")


def fitness_scene(c: Canvas, alt: bool) -> None:
    p, hy = c.p, c.look.horizon
    draw_wall(c, hy, c.look.wall)
    draw_floor(c, hy, "planks")
    for n in range(2):  # tall windows
        x0 = A * (0.08 + n * 0.22)
        draw_window(c, x0, hy * 0.1, x0 + A * 0.16, hy * 0.82)
    mirror(c, A * 0.56, hy * 0.2, A * 0.96, hy * 0.92, round_top=False, frame=(220, 220, 222))
    c.line([(A * 0.53, hy * 0.62), (A * 0.99, hy * 0.62)], shade(p.wood, -0.05), 0.012)  # the barre
    for x in (A * 0.6, A * 0.9):
        c.line([(x, hy * 0.62), (x, hy * 0.66)], (180, 180, 184), 0.006)
    colours = [shade(p.accent, 0.2), shade(p.trim, -0.1), (80, 80, 86), shade(p.accent, -0.1)]
    if alt:
        for n in range(2):
            reformer(c, A * (0.3 + n * 0.42), hy + 0.16 + n * 0.14, colours[n])
    else:
        for n in range(4):
            mat(c, A * (0.2 + n * 0.22), hy + 0.05, 0.96, 0.13, colours[n])
        c.ellipse(A * 0.92, hy + 0.1, 0.06, 0.06, fill=shade(p.accent, 0.35))
        c.ellipse(A * 0.9, hy + 0.08, 0.02, 0.015, fill=alpha((255, 255, 255), 90))
        c.shadow(A * 0.92, hy + 0.16, 0.06, 0.012)
    draw_pot_plant(c, A * 0.06, hy + 0.2, 1.0)


def reception_scene(c: Canvas, category: str) -> None:
    """The front desk and a seat to wait on, with a touch of the category."""
    p, rng, hy = c.p, c.rng, c.look.horizon
    room(c, window=True, art=False)
    desk_x = A * rng.uniform(0.56, 0.62)
    if rng.random() < 0.5:
        logo_disc(c, desk_x, hy * 0.38, 0.09)
    else:
        draw_art(c, desk_x - 0.1, hy * 0.22, desk_x + 0.1, hy * 0.52)
    if category == "nails":
        polish_wall(c, A * 0.7, A * 0.96, hy * 0.3, 3)
    else:
        for y in (0.42, 0.68) if rng.random() < 0.7 else (0.55,):
            draw_shelf(c, A * 0.7, A * 0.96, hy * y, "books" if category == "wellness" else "bottles")
    if category == "barber":
        barber_pole(c, A * 0.4, hy * 0.3, hy * 0.66)
    for x in (desk_x - 0.3, desk_x + 0.3)[: rng.randint(1, 2)]:  # beside the sign, not round it
        draw_pendant(c, x, hy * 0.12)
    reception_desk(c, desk_x, hy + 0.2)
    seat = rng.random()
    if seat < 0.5:
        sofa(c, A * 0.17, hy + 0.3)
    else:
        for n in range(1 if seat < 0.75 else 2):
            armchair(c, A * (0.1 + n * 0.15), hy + 0.3, shade(p.accent, 0.2) if n == 0 else p.fabric, width=0.16)
    if category == "fitness":  # exercise balls by the wall
        for n, (x, r) in enumerate(((0.86, 0.07), (0.95, 0.06))):
            colour = shade(p.accent, 0.15 * n)
            c.ellipse(A * x, hy + 0.22 - r, r, r, fill=colour)
            c.ellipse(A * x - r * 0.35, hy + 0.22 - r * 1.4, r * 0.3, r * 0.22, fill=alpha((255, 255, 255), 80))
            c.shadow(A * x, hy + 0.22, r, 0.012)
    else:
        draw_pot_plant(c, A * 0.93, hy + 0.3, 1.1)


SCENES: dict[str, Callable[[Canvas, bool], None]] = {
    "massage": massage_scene,
    "spa": spa_scene,
    "facial": facial_scene,
    "nails": nails_scene,
    "hair": hair_scene,
    "barber": barber_scene,
    "brows-lashes": brows_scene,
    "wellness": wellness_scene,
    "fitness": fitness_scene,
}


# -- close-ups: things on a counter, the room blurred behind -----------------------------------------


def comb(c: Canvas, x: float, y: float, length: float, colour: RGB) -> None:
    c.rect(x, y - 0.012, x + length, y, colour, radius=0.003)
    n = int(length / 0.008)
    for k in range(n):
        c.line([(x + 0.004 + k * 0.008, y), (x + 0.004 + k * 0.008, y + 0.022)], colour, 0.003)


def scissors(c: Canvas, x: float, y: float, s: float) -> None:
    steel = (196, 198, 204)
    c.poly([(x, y), (x + 0.2 * s, y - 0.015 * s), (x + 0.2 * s, y - 0.008 * s), (x, y + 0.01 * s)], steel)
    c.poly(
        [(x, y + 0.006 * s), (x + 0.2 * s, y + 0.02 * s), (x + 0.2 * s, y + 0.012 * s), (x, y - 0.004 * s)],
        shade(steel, -0.15),
    )
    c.ellipse(x - 0.03 * s, y - 0.018 * s, 0.03 * s, 0.016 * s, outline=(40, 40, 44), width=0.007 * s)
    c.ellipse(x - 0.03 * s, y + 0.022 * s, 0.03 * s, 0.016 * s, outline=(40, 40, 44), width=0.007 * s)
    c.shadow(x + 0.07 * s, y + 0.02, 0.12 * s, 0.012, 70)


def dropper(c: Canvas, cx: float, base: float, s: float, glass: RGB) -> None:
    w, h = 0.07 * s, 0.13 * s
    c.rect(cx - w / 2, base - h, cx + w / 2, base, glass, radius=0.015 * s)
    c.rect(cx - w * 0.35, base - h * 0.7, cx + w * 0.35, base - h * 0.25, alpha((255, 255, 255), 150))
    c.rect(cx - w * 0.3, base - h - 0.025 * s, cx + w * 0.3, base - h, (30, 30, 32), radius=0.004 * s)
    c.ellipse(cx, base - h - 0.05 * s, w * 0.22, 0.03 * s, fill=(40, 40, 42))
    c.rect(cx - w / 2 + 0.008 * s, base - h + 0.01, cx - w / 2 + 0.016 * s, base - 0.01, alpha((255, 255, 255), 90))
    c.shadow(cx, base, w * 0.8, 0.012, 110)


def pump_bottle(c: Canvas, cx: float, base: float, s: float, colour: RGB) -> None:
    w, h = 0.085 * s, 0.22 * s
    c.rect(cx - w / 2, base - h, cx + w / 2, base, colour, radius=0.02 * s)
    c.rect(cx - w * 0.4, base - h * 0.62, cx + w * 0.4, base - h * 0.3, alpha(shade(colour, 0.65), 200))
    c.rect(cx - w * 0.16, base - h - 0.03 * s, cx + w * 0.16, base - h, (40, 40, 42))
    c.rect(cx - w * 0.16, base - h - 0.05 * s, cx + w * 0.45, base - h - 0.03 * s, (40, 40, 42), radius=0.004)
    c.rect(cx - w / 2 + 0.008 * s, base - h + 0.02, cx - w / 2 + 0.016 * s, base - 0.02, alpha((255, 255, 255), 80))
    c.shadow(cx, base, w * 0.8, 0.012, 110)


def jar(c: Canvas, cx: float, base: float, s: float, colour: RGB, lid: RGB) -> None:
    w, h = 0.11 * s, 0.07 * s
    c.rect(cx - w / 2, base - h, cx + w / 2, base, colour, radius=0.012 * s)
    c.rect(cx - w / 2 - 0.003, base - h - 0.025 * s, cx + w / 2 + 0.003, base - h + 0.004, lid, radius=0.006 * s)
    c.rect(cx - w / 2 + 0.01 * s, base - h + 0.01, cx - w / 2 + 0.02 * s, base - 0.01, alpha((255, 255, 255), 80))
    c.shadow(cx, base, w * 0.7, 0.012, 110)


def rolled_towels(c: Canvas, cx: float, base: float, s: float, colour: RGB) -> None:
    r = 0.045 * s
    for n, (dx, dy) in enumerate(((-1, 0), (1, 0), (0, -1.7))):
        x, y = cx + dx * r * 1.02, base - r - (-dy) * r * 1.0
        c.ellipse(x, y, r, r, fill=shade(colour, -0.03 * n))
        c.ellipse(x, y, r * 0.6, r * 0.6, outline=shade(colour, -0.12), width=0.003)
        c.ellipse(x, y, r * 0.25, r * 0.25, outline=shade(colour, -0.12), width=0.003)
    c.shadow(cx, base, r * 2.4, 0.014, 110)


def stones(c: Canvas, cx: float, base: float, s: float) -> None:
    y = base
    for n, r in enumerate((0.075, 0.06, 0.045, 0.032)):
        ry = 0.024 * s * (1 - n * 0.1)
        c.ellipse(cx, y - ry, r * s, ry, fill=shade((64, 64, 66), 0.06 * n))
        c.ellipse(cx - r * s * 0.3, y - ry * 1.4, r * s * 0.4, ry * 0.3, fill=alpha((255, 255, 255), 40))
        y -= ry * 1.8
    c.shadow(cx, base, 0.09 * s, 0.014, 120)


def sprig(c: Canvas, x: float, y: float, s: float) -> None:
    leaf = c.p.leaf
    c.line([(x, y), (x + 0.22 * s, y - 0.06 * s)], shade(leaf, -0.2), 0.004)
    for n in range(7):
        t = n / 7
        bx, by = x + 0.22 * s * t, y - 0.06 * s * t
        c.poly(leaf_points(bx, by, -0.3 if n % 2 else 2.4, 0.05 * s, 0.014 * s), shade(leaf, 0.1 * (n % 3)))


def polish_bottle(c: Canvas, cx: float, base: float, s: float, colour: RGB) -> None:
    w, h = 0.07 * s, 0.08 * s
    c.rect(cx - w / 2, base - h, cx + w / 2, base, colour, radius=0.014 * s)
    c.rect(cx - w * 0.3, base - h - 0.1 * s, cx + w * 0.3, base - h + 0.002, (28, 26, 28), radius=0.006 * s)
    c.rect(
        cx - w / 2 + 0.008 * s,
        base - h + 0.012 * s,
        cx - w / 2 + 0.018 * s,
        base - 0.012 * s,
        alpha((255, 255, 255), 110),
    )
    c.shadow(cx, base, w * 0.8, 0.012, 110)


def shaving_brush(c: Canvas, cx: float, base: float, s: float) -> None:
    handle = shade(c.p.wood, -0.1)
    c.poly(
        [
            (cx - 0.04 * s, base),
            (cx + 0.04 * s, base),
            (cx + 0.03 * s, base - 0.07 * s),
            (cx - 0.03 * s, base - 0.07 * s),
        ],
        handle,
    )
    c.rect(cx - 0.034 * s, base - 0.085 * s, cx + 0.034 * s, base - 0.065 * s, c.p.metal, radius=0.004 * s)
    bristle = (200, 184, 160)
    c.poly(
        [
            (cx - 0.03 * s, base - 0.085 * s),
            (cx + 0.03 * s, base - 0.085 * s),
            (cx + 0.05 * s, base - 0.15 * s),
            (cx - 0.05 * s, base - 0.15 * s),
        ],
        bristle,
    )
    c.ellipse(cx, base - 0.155 * s, 0.05 * s, 0.035 * s, fill=shade(bristle, 0.25))
    c.rect(cx - 0.028 * s, base - 0.06 * s, cx - 0.018 * s, base - 0.01 * s, alpha((255, 255, 255), 60))
    c.shadow(cx, base, 0.05 * s, 0.012, 110)


def razor(c: Canvas, x: float, y: float, s: float) -> None:
    c.rect(x, y - 0.012 * s, x + 0.16 * s, y + 0.004 * s, shade(c.p.wood, -0.25), radius=0.008 * s)
    c.poly(
        [
            (x + 0.16 * s, y - 0.01 * s),
            (x + 0.3 * s, y - 0.02 * s),
            (x + 0.3 * s, y + 0.004 * s),
            (x + 0.16 * s, y + 0.004 * s),
        ],
        (206, 208, 214),
    )
    c.shadow(x + 0.15 * s, y + 0.01, 0.15 * s, 0.01, 70)


def tin(c: Canvas, cx: float, base: float, s: float, colour: RGB) -> None:
    w, h = 0.1 * s, 0.04 * s
    c.rect(cx - w / 2, base - h, cx + w / 2, base, shade(colour, -0.1), radius=0.006 * s)
    c.ellipse(cx, base - h, w / 2, 0.012 * s, fill=colour)
    c.ellipse(cx, base - h, w / 3, 0.007 * s, fill=shade(colour, 0.3))
    c.shadow(cx, base, w * 0.6, 0.01, 110)


def bowl(c: Canvas, cx: float, base: float, s: float, colour: RGB, content: RGB | None = None) -> None:
    w = 0.1 * s
    c.chord(cx, base - 0.05 * s, w, 0.05 * s, 0, 180, colour)
    c.ellipse(cx, base - 0.05 * s, w, 0.016 * s, fill=shade(colour, 0.15))
    c.ellipse(cx, base - 0.05 * s, w * 0.85, 0.011 * s, fill=content or shade(colour, -0.25))
    c.shadow(cx, base, w * 0.9, 0.012, 110)


def dumbbell(c: Canvas, x: float, base: float, s: float, colour: RGB) -> None:
    c.rect(x, base - 0.03 * s, x + 0.18 * s, base - 0.02 * s, (170, 172, 178))
    for dx in (0.0, 0.14 * s):
        c.rect(x + dx, base - 0.06 * s, x + dx + 0.045 * s, base, colour, radius=0.01 * s)
    c.shadow(x + 0.09 * s, base, 0.12 * s, 0.01, 110)


def water_bottle(c: Canvas, cx: float, base: float, s: float, colour: RGB) -> None:
    w, h = 0.06 * s, 0.2 * s
    c.rect(cx - w / 2, base - h, cx + w / 2, base, colour, radius=0.015 * s)
    c.rect(cx - w * 0.35, base - h - 0.03 * s, cx + w * 0.35, base - h + 0.004, (40, 40, 42), radius=0.006 * s)
    c.rect(cx - w / 2 + 0.006 * s, base - h + 0.02, cx - w / 2 + 0.014 * s, base - 0.02, alpha((255, 255, 255), 80))
    c.shadow(cx, base, w * 0.8, 0.012, 110)


def rolled_mat(c: Canvas, x: float, base: float, s: float, colour: RGB) -> None:
    r = 0.045 * s
    c.rect(x, base - 2 * r, x + 0.3 * s, base, colour)
    c.ellipse(x + 0.3 * s, base - r, r * 0.5, r, fill=shade(colour, 0.15))
    c.ellipse(x + 0.3 * s, base - r, r * 0.2, r * 0.4, outline=shade(colour, -0.2), width=0.003)
    c.shadow(x + 0.15 * s, base, 0.18 * s, 0.012, 110)


def cup(c: Canvas, cx: float, base: float, s: float, colour: RGB) -> None:
    c.rect(cx - 0.035 * s, base - 0.05 * s, cx + 0.035 * s, base, colour, radius=0.012 * s)
    c.ellipse(cx, base - 0.05 * s, 0.035 * s, 0.01 * s, fill=(150, 110, 70))
    c.shadow(cx, base, 0.04 * s, 0.01, 100)


def close_up_things(c: Canvas, category: str, alt: bool) -> None:
    """Three or four of the category's things on the counter, big and sharp, in an order of
    their own per venue and picture."""
    p, rng = c.p, c.rng
    glass = rng.choice([(156, 92, 40), (84, 120, 100), (230, 226, 220), (70, 90, 130)])
    soft = [p.accent, shade(p.accent, 0.45), p.linen, shade(p.trim, 0.2), (236, 230, 222)]
    k = rng.uniform(1.9, 2.3)  # how close the camera is
    things: dict[str, Callable[[float, float], None]] = {
        "stones": lambda x, y: stones(c, x, y, k),
        "dropper": lambda x, y: dropper(c, x, y - 0.02, k, glass),
        "oil": lambda x, y: bowl(c, x, y, k * 0.9, (236, 230, 220), (220, 170, 90)),
        "towels": lambda x, y: rolled_towels(c, x, y, k, p.linen),
        "candle": lambda x, y: draw_candle(c, x, y - 0.01, k * rng.uniform(1.1, 1.6)),
        "pump": lambda x, y: pump_bottle(c, x, y - 0.03, k * rng.uniform(0.8, 1.0), rng.choice(soft)),
        "jar": lambda x, y: jar(c, x, y, k, rng.choice(soft), p.metal),
        "polish": lambda x, y: polish_bottle(c, x, y, k, rng.choice(POLISH)),
        "brush": lambda x, y: shaving_brush(c, x, y - 0.02, k),
        "lather": lambda x, y: bowl(c, x, y, k * 0.9, (236, 236, 240), (250, 250, 250)),
        "pomade": lambda x, y: tin(c, x, y, k, rng.choice([p.accent, (40, 40, 44), p.metal])),
        "teapot": lambda x, y: teapot(c, x, y, k * 1.3),
        "cup": lambda x, y: cup(c, x, y, k, shade(p.accent, 0.3)),
        "singing bowl": lambda x, y: bowl(c, x, y, k * 0.8, p.metal, shade(p.metal, -0.35)),
        "bottle": lambda x, y: water_bottle(c, x, y - 0.02, k, rng.choice(soft)),
        "weights": lambda x, y: dumbbell(c, x - 0.1 * k, y, k * 0.9, rng.choice([p.accent, (60, 60, 64)])),
        "tweezers": lambda x, y: tools(c, x, y, p.metal),
        "mat": lambda x, y: rolled_mat(c, x - 0.14 * k, y, k * 0.9, shade(p.accent, 0.2)),
    }
    sets = {
        "massage": ["stones", "dropper", "oil", "towels", "candle"],
        "spa": ["towels", "candle", "stones", "jar", "dropper"],
        "facial": ["pump", "dropper", "jar", "candle", "pump"],
        "nails": ["polish"] * 5,
        "hair": ["pump", "pump", "jar", "bottle"],
        "barber": ["brush", "lather", "pomade", "pump"],
        "brows-lashes": ["dropper", "jar", "tweezers", "pump"],
        "wellness": ["teapot", "cup", "singing bowl", "candle"],
        "fitness": ["bottle", "weights", "mat", "towels"],
    }[category]
    count = len(sets) if category == "nails" else rng.choice([3, 3, 4])
    chosen = rng.sample(sets, min(count, len(sets)))
    step = A * 0.78 / len(chosen)
    y = 0.86 + rng.uniform(-0.02, 0.02)
    for n, name in enumerate(chosen):
        things[name](A * 0.11 + step * (n + 0.5) + rng.uniform(-0.03, 0.03), y + (n % 2) * rng.uniform(0.02, 0.06))
    if category in ("hair", "barber"):  # scissors and a comb in front
        scissors(c, A * rng.uniform(0.45, 0.6), y + 0.05, k * 0.9)
        if alt:
            comb(c, A * 0.3, y + 0.1, 0.42, (40, 40, 44))
    elif category == "barber" or (category in ("massage", "spa", "facial", "wellness") and rng.random() < 0.6):
        sprig(c, A * rng.choice([0.0, 0.75]), y + 0.1, k * 0.8)


def tools(c: Canvas, x: float, y: float, metal: RGB) -> None:
    """Tweezers and two lash spoolies, lying on the counter."""
    for n in range(3):
        c.line([(x - 0.12 + n * 0.05, y + 0.08), (x + 0.08 + n * 0.05, y - 0.04)], (60, 58, 60) if n else metal, 0.008)
        if n:
            c.ellipse(x + 0.08 + n * 0.05, y - 0.04, 0.012, 0.02, fill=(50, 48, 50))
    c.shadow(x, y + 0.04, 0.14, 0.012, 80)


def counter(c: Canvas, top: float) -> None:
    """The surface the close-up's things stand on: marble, wood or linen."""
    p, rng = c.p, c.rng
    kind = rng.choice(["marble", "wood", "linen"])
    base = {"marble": (238, 236, 232), "wood": shade(p.wood, 0.15), "linen": shade(p.linen, -0.05)}[kind]
    c.rect(0, top, A, 1.01, base)
    if kind == "marble":
        for _ in range(5):
            x, y = rng.uniform(0, A), rng.uniform(top, 1)
            pts = [(x + k * 0.05, y + math.sin(k * 0.8 + x) * 0.02 + k * 0.008) for k in range(14)]
            c.line(pts, alpha((160, 160, 166), 90), 0.002)
    elif kind == "wood":
        for n in range(16):
            y = top + (1 - top) * (n / 16) ** 0.8
            c.line([(0, y), (A, y + rng.uniform(-0.01, 0.01))], alpha(shade(p.wood, -0.2), 60), 0.002)
    else:
        for n in range(6):
            y = top + 0.03 + n * 0.06
            c.line([(0, y), (A * 0.5, y + 0.015), (A, y - 0.01)], alpha(shade(base, -0.12), 100), 0.004)
    c.rect(0, top, A, top + 0.008, alpha(shade(base, -0.3), 120))
    for n in range(6):
        c.rect(0, top + 0.008 + n * 0.006, A, top + 0.008 + (n + 1) * 0.006, alpha((0, 0, 0), 30 - n * 5))


# -- rendering ------------------------------------------------------------------------------------


SHOTS = ("room", "close-up", "room-alt", "reception", "close-up-alt")


def caption(category_slug: str, variant: int) -> str:
    """What picture ``variant`` of a venue of this category shows (for alt text)."""
    return CATEGORIES.get(category_slug, CATEGORIES[DEFAULT_CATEGORY])["captions"][variant % len(SHOTS)]


@lru_cache(maxsize=1)
def vignette() -> Image.Image:
    """Dark corners, as through a lens: the mask for a black layer."""
    return Image.radial_gradient("L").resize((WIDTH, HEIGHT)).point(lambda v: max(0, v - 120) * 70 // 135)


@lru_cache(maxsize=1)
def grain() -> Image.Image:
    """A fixed film grain (seeded, so pictures are the same every run)."""
    noise = Image.frombytes("L", (WIDTH // 2, HEIGHT // 2), random.Random(11).randbytes(WIDTH * HEIGHT // 4))
    return noise.resize((WIDTH, HEIGHT), Image.Resampling.NEAREST).convert("RGB")


def new_canvas(size: tuple[int, int], look: Look, rng: random.Random, base: Image.Image | None = None) -> Canvas:
    image = base if base is not None else Image.new("RGB", size)
    ey = rng.uniform(0.3, 0.4)
    return Canvas(image, look, rng, vx=A / 2 + rng.uniform(-0.2, 0.2), ey=ey)


def light(image: Image.Image, canvases: list[Canvas]) -> Image.Image:
    """Soft shadows under things and glow around lamps, worked out small and scaled up."""
    small = (WIDTH // 8, HEIGHT // 8)
    unit = small[1]
    shadows = Image.new("L", small, 0)
    glows = Image.new("RGB", small, (0, 0, 0))
    sd, gd = ImageDraw.Draw(shadows), ImageDraw.Draw(glows)
    for c in canvases:
        for cx, cy, rx, ry, strength in c.shadows:
            sd.ellipse([(cx - rx) * unit, (cy - ry) * unit, (cx + rx) * unit, (cy + ry) * unit], fill=strength)
        for cx, cy, r, colour, strength in c.glows:
            gd.ellipse(
                [(cx - r) * unit, (cy - r) * unit, (cx + r) * unit, (cy + r) * unit],
                fill=mix((0, 0, 0), colour, strength / 255),
            )
    shadows = shadows.filter(ImageFilter.GaussianBlur(2)).resize(image.size, Image.Resampling.BILINEAR)
    glows = glows.filter(ImageFilter.GaussianBlur(3)).resize(image.size, Image.Resampling.BILINEAR)
    image = Image.composite(Image.new("RGB", image.size, (20, 16, 14)), image, shadows)
    return ImageChops.screen(image, glows)


def finish(image: Image.Image, look: Look) -> bytes:
    tint = (255, 196, 140) if look.warm > 0 else (150, 190, 255)
    image = Image.blend(image, Image.new("RGB", image.size, tint), abs(look.warm) * 0.06)
    image = Image.composite(Image.new("RGB", image.size, (10, 8, 8)), image, vignette())
    image = Image.blend(image, grain(), 0.035)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=86)
    return out.getvalue()


def illustration(category_slug: str, variant: int, seed: int = 0) -> bytes:
    """One JPEG picture (1200x800) of a venue of this category: ``seed`` picks the venue's look,
    ``variant`` the shot (the room, a close-up, the room from the other side, the reception)."""
    category = category_slug if category_slug in SCENES else DEFAULT_CATEGORY
    look = look_of(category, seed)
    rng = random.Random(f"shot:{category}:{seed}:{variant}")
    shot = SHOTS[variant % len(SHOTS)]
    size = (WIDTH * SCALE, HEIGHT * SCALE)
    if shot.startswith("close-up"):
        # The room, small and blurred (far behind the counter), then the counter sharp in front.
        back = new_canvas((WIDTH // 6, HEIGHT // 6), look, random.Random(f"back:{category}:{seed}"))
        back.look = replace(look, horizon=look.horizon + 0.12)
        SCENES[category](back, variant % 2 == 1)
        blurred = light(back.image, [back]).resize((WIDTH // 8, HEIGHT // 8)).filter(ImageFilter.GaussianBlur(2.5))
        canvas = new_canvas(size, look, rng, blurred.resize(size, Image.Resampling.BILINEAR))
        for _ in range(9):  # out-of-focus lights
            x, y, r = rng.uniform(0, A), rng.uniform(0.05, 0.5), rng.uniform(0.02, 0.06)
            canvas.ellipse(x, y, r, r, fill=(255, 244, 220, 38))
        counter(canvas, 0.6 + rng.uniform(-0.04, 0.04))
        close_up_things(canvas, category, shot.endswith("alt"))
        canvases = [canvas]
    else:
        canvas = new_canvas(size, look, rng)
        if shot == "reception":
            reception_scene(canvas, category)
        else:
            SCENES[category](canvas, shot == "room-alt")
        canvases = [canvas]
    image = canvas.image.reduce(SCALE)
    image = light(image, canvases)
    if (seed + variant) % 2:  # half the shots from the other side
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return finish(image, look)
