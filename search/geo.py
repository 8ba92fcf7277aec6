"""One earth model for every distance: the radius filter, the distance sort and the distance a
card shows, in both backends.

The earth is a sphere of radius EARTH_RADIUS_M, the mean radius Elasticsearch uses for its
``arc`` distances (and the IUGG's). PostgreSQL's earthdistance places points on a sphere of its
own (``earth()``, 6378.168 km); only the straight-line (chord) distance between two of its
points is used, and turned into the great-circle distance on our sphere, which depends only on
the angle between the points. A radius includes its edge: a venue exactly 5.000 km away is
within 5 km (EDGE_TOLERANCE_M absorbs the rounding of the float arithmetic and of
Elasticsearch's coordinate encoding).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence

EARTH_RADIUS_M = 6371008.7714  # mean radius; Elasticsearch's GeoUtils.EARTH_MEAN_RADIUS
EARTHDISTANCE_RADIUS_M = 6378168.0  # earthdistance's earth(), the sphere ll_to_earth() points lie on
EDGE_TOLERANCE_M = 0.01  # a centimetre: below any distance a person reads, above float noise


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) on the model sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a))) / 1000.0


def radius_limits(radius_km: float) -> dict[str, float]:
    """SQL parameters of a radius on earthdistance's points: ``radius_box_m`` for earth_box()
    (a great-circle length on its sphere) and ``radius_chord_m``, the straight-line distance the
    edge is at, edge included."""
    angle = (radius_km * 1000.0 + EDGE_TOLERANCE_M) / EARTH_RADIUS_M
    angle = min(angle, math.pi)
    return {
        "radius_box_m": angle * EARTHDISTANCE_RADIUS_M,
        "radius_chord_m": 2 * EARTHDISTANCE_RADIUS_M * math.sin(angle / 2),
    }


# A point's great-circle distance in metres from (:lat, :lng) on the model sphere, from the
# chord between earthdistance's points.
DISTANCE_M_SQL = (
    f"(CASE WHEN vs.earth IS NOT NULL THEN 2 * {EARTH_RADIUS_M!r} * asin(least(1.0,"
    f" cube_distance(ll_to_earth(:lat, :lng), vs.earth) / {2 * EARTHDISTANCE_RADIUS_M!r})) END)"
)
# Map cells of the index of where and when venues are open (migration 0046): a venue's key for
# a block of OPEN_CELL_MINUTES of its local week is (zone_code(zone) * 84 + block) * 10^8
# + (floor(lat / OPEN_CELL_LAT_DEG) + 2000) * 10^4 + floor(lng / OPEN_CELL_LNG_DEG) + 3000, as
# venue_search_open_cells() computes it.
OPEN_CELL_LAT_DEG = 0.05
OPEN_CELL_LNG_DEG = 0.08
OPEN_CELL_MINUTES = 120
_BLOCKS_PER_WEEK = 7 * 24 * 60 // OPEN_CELL_MINUTES
# A circle whose bounding box covers more cells than this is searched through the location
# index instead (each cell is a key the GIN index looks up, once per zone asked).
MAX_OPEN_CELLS = 100
_CELL_MARGIN_DEG = 1e-6  # beyond any float noise in the cell arithmetic
_CELL_REACH_MARGIN_KM = 0.1  # see radius_cells


def radius_cells(lat: float, lng: float, radius_km: float) -> list[int] | None:
    """The cell codes (the key without its zone and time) of every cell that a circle of
    ``radius_km`` around the point, edge included, touches (and of none it misses by more
    than _CELL_REACH_MARGIN_KM); None when its bounding box holds more than MAX_OPEN_CELLS
    cells, or the circle reaches a pole or the 180th meridian."""
    angle = (radius_km * 1000.0 + EDGE_TOLERANCE_M) / EARTH_RADIUS_M
    dlat = math.degrees(angle) + _CELL_MARGIN_DEG
    if abs(lat) + dlat >= 90.0 or math.sin(angle) >= math.cos(math.radians(lat)):
        return None
    # The greatest longitude difference of a spherical cap that holds no pole.
    dlng = math.degrees(math.asin(math.sin(angle) / math.cos(math.radians(lat)))) + _CELL_MARGIN_DEG
    if lng - dlng < -180.0 or lng + dlng > 180.0:
        return None
    rows = range(math.floor((lat - dlat) / OPEN_CELL_LAT_DEG), math.floor((lat + dlat) / OPEN_CELL_LAT_DEG) + 1)
    cols = range(math.floor((lng - dlng) / OPEN_CELL_LNG_DEG), math.floor((lng + dlng) / OPEN_CELL_LNG_DEG) + 1)
    if len(rows) * len(cols) > MAX_OPEN_CELLS:
        return None
    # The box's cells that the circle reaches: a corner cell of the box often lies wholly
    # outside it (about one cell in eight for 10 km around London), and every cell listed is
    # looked up in the index and its venues read and tested. A cell's nearest point is taken
    # as the centre's coordinates clamped into the cell: on a sphere the nearest point of a
    # meridian lies a little poleward of that, which changes the distance by far less than
    # _CELL_REACH_MARGIN_KM for any circle MAX_OPEN_CELLS cells can hold.
    reach_km = radius_km + EDGE_TOLERANCE_M / 1000.0 + _CELL_REACH_MARGIN_KM
    return [
        (row + 2000) * 10000 + col + 3000
        for row in rows
        for col in cols
        if distance_km(
            lat,
            lng,
            min(max(lat, row * OPEN_CELL_LAT_DEG), (row + 1) * OPEN_CELL_LAT_DEG),
            min(max(lng, col * OPEN_CELL_LNG_DEG), (col + 1) * OPEN_CELL_LNG_DEG),
        )
        <= reach_km
    ]


def cells_box(cells: Iterable[int]) -> tuple[float, float, float, float]:
    """The south, north, west and east limits in degrees of the map cells ``cells`` (codes as
    radius_cells gives them), widened by float noise."""
    rows = [code // 10000 - 2000 for code in cells]
    cols = [code % 10000 - 3000 for code in cells]
    return (
        min(rows) * OPEN_CELL_LAT_DEG - _CELL_MARGIN_DEG,
        (max(rows) + 1) * OPEN_CELL_LAT_DEG + _CELL_MARGIN_DEG,
        min(cols) * OPEN_CELL_LNG_DEG - _CELL_MARGIN_DEG,
        (max(cols) + 1) * OPEN_CELL_LNG_DEG + _CELL_MARGIN_DEG,
    )


def boxes_overlap(a: Sequence[float] | None, b: Sequence[float]) -> bool:
    """Do two (south, north, west, east) boxes share a point? Never when ``a`` is None."""
    return a is not None and a[0] <= b[1] and b[0] <= a[1] and a[2] <= b[3] and b[2] <= a[3]


def zone_code(zone: str) -> int:
    """A time zone's 12-bit code in the keys of venue_search_open_cells() and
    venue_search_open_zone_hours() (migrations 0046 and 0048)."""
    return int(hashlib.md5(zone.encode(), usedforsecurity=False).hexdigest()[:3], 16)


def open_cell_keys(lat: float, lng: float, radius_km: float, minutes: dict[str, int]) -> list[int] | None:
    """The keys of venue_search_open_cells() that a venue open now within the circle has, for
    ``minutes``, each zone's local minute of the week now (search.pg_sql.local_moments): one
    per zone's block of now and cell. None as radius_cells."""
    cells = radius_cells(lat, lng, radius_km)
    if cells is None:
        return None
    blocks = {(zone_code(zone) * _BLOCKS_PER_WEEK + minute // OPEN_CELL_MINUTES) for zone, minute in minutes.items()}
    return [block * 100_000_000 + cell for block in sorted(blocks) for cell in cells]


def word_cell_keys(words: list[str], cells: list[int]) -> list[str]:
    """The keys of venue_search_word_cells() (migration 0047) that a venue holding one of
    ``words`` (lexemes) in one of ``cells`` (radius_cells) has."""
    return [f"{word}@{cell}" for word in words for cell in cells]


# Within the radius: the GiST index finds the box; the circle is checked on the chord (a plain
# C function; earth_distance() is the same test through a SQL function per row).
RADIUS_EXACT_SQL = "cube_distance(ll_to_earth(:lat, :lng), vs.earth) <= :radius_chord_m"
RADIUS_SQL = f"earth_box(ll_to_earth(:lat, :lng), :radius_box_m) @> vs.earth AND {RADIUS_EXACT_SQL}"


def es_distance(radius_km: float) -> str:
    """The radius as Elasticsearch's geo_distance distance, edge included, in metres without
    exponent notation."""
    metres = radius_km * 1000.0 + EDGE_TOLERANCE_M
    return f"{metres:.3f}".rstrip("0").rstrip(".") + "m"
