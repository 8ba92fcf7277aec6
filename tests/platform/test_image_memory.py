"""Uploads stay within a memory budget: per-use pixel caps, reduced JPEG decoding, one decode at a time.

Peak memory is measured in a fresh Python process: a thread samples its resident size every
few milliseconds while the uploads run (ru_maxrss would remember the peak of the imports).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUDGET_MIB = 100

SCRIPT = textwrap.dedent(
    """
    import io, json, os, sys, threading, time
    from PIL import Image
    from app import create_app
    from app.accounts.avatars import replace_avatar
    from app.accounts.models import User
    from app.platform.errors import DomainError
    from app.venues.images import VARIANTS
    from app.platform.images import convert_upload

    def png(size, mode="RGB"):
        out = io.BytesIO()
        Image.new(mode, size, (200, 120, 90) if mode == "RGB" else 3).save(out, "PNG")
        return out.getvalue()

    def jpeg(size):
        out = io.BytesIO()
        Image.linear_gradient("L").resize(size).convert("RGB").save(out, "JPEG", quality=80)
        return out.getvalue()

    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": sys.argv[1], "UPLOAD_ROOT": sys.argv[2]})
    bomb = png((6300, 6300))            # 39.7 megapixels of one colour: about 113 KB on disk
    palette_bomb = png((6300, 6300), "P")
    fair_avatar = png((4000, 3000))      # 12 megapixels: the largest profile photo allowed
    gallery_jpeg = jpeg((6000, 4000))    # a 24-megapixel camera photo for a venue
    results = {"bomb_sizes": [len(bomb), len(palette_bomb)], "refused": [], "errors": []}

    with app.test_request_context():
        replace_avatar(User(id=1, email="warm@example.com", name="W"), png((300, 300)))  # load Pillow's codecs

    def rss_mib():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    peak, done = [0.0], threading.Event()
    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mib())
            time.sleep(0.002)
    baseline = rss_mib()
    sampler = threading.Thread(target=sample)
    sampler.start()

    def upload_avatar(data, n):
        with app.test_request_context():
            try:
                replace_avatar(User(id=n, email=f"u{n}@example.com", name="U"), data)
            except DomainError as exc:
                results["refused"].append(exc.message)
            except Exception as exc:
                results["errors"].append(repr(exc))

    def upload_gallery(data):
        with app.test_request_context():
            try:
                convert_upload(data, max_bytes=app.config["IMAGE_MAX_BYTES"],
                               max_pixels=app.config["IMAGE_MAX_PIXELS"], variants=VARIANTS)
            except Exception as exc:
                results["errors"].append(repr(exc))

    upload_avatar(bomb, 2)
    upload_avatar(palette_bomb, 3)
    for batch in ([bomb] * 4, [fair_avatar] * 4):
        threads = [threading.Thread(target=upload_avatar, args=(d, i)) for i, d in enumerate(batch, 10)]
        [t.start() for t in threads]
        [t.join() for t in threads]
    threads = [threading.Thread(target=upload_gallery, args=(gallery_jpeg,)) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    done.set()
    sampler.join()
    results["growth_mib"] = round(peak[0] - baseline, 1)
    print(json.dumps(results))
    """
)


@pytest.fixture(scope="module")
def measured(database_url, tmp_path_factory):
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, database_url, str(tmp_path_factory.mktemp("uploads"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_single_colour_bombs_are_small_files(measured):
    assert all(size < 400_000 for size in measured["bomb_sizes"])


def test_a_40_megapixel_profile_photo_is_refused_before_decoding(measured):
    assert len(measured["refused"]) == 6  # two alone, then four at once
    assert all("Use one under 12 megapixels" in message for message in measured["refused"])
    assert measured["errors"] == []


def test_bombs_and_parallel_uploads_grow_the_process_by_less_than_the_budget(measured):
    # Six bombs, four 12-megapixel avatars at once, four 24-megapixel gallery JPEGs at once.
    assert measured["growth_mib"] < BUDGET_MIB, measured
