"""Build static/dist/: content-hashed copies of static/, compressed, and a manifest.

Run after scripts/vendor.py (`make vendor` does both; so does the Dockerfile's build stage).

For every file under static/ (except dist/ itself and dotfiles) dist/ gets:

- the file under its own name, and a copy named after its content, ``js/app.js`` ->
  ``js/app.3f2a9c1b0d4e.js``: a changed file gets a new URL, so the old one can be cached forever;
- ``.gz`` and ``.br`` beside each text file, written by WhiteNoise's own compressor (Brotli only
  when the ``Brotli`` package is installed), which WhiteNoise then serves to clients that accept them;
- ``manifest.json``: ``{"files": {"js/app.js": "js/app.3f2a9c1b0d4e.js", ...}, "sources":
  {"js/app.js": "<sha256 of static/js/app.js>", ...}}``, which app/web/static_files.py reads to write
  hashed URLs into pages.

CSS ``url(...)`` references to other files under static/ (fonts, images) are rewritten to their
hashed names first, so a stylesheet's own hash changes when a font it names changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from whitenoise.compress import Compressor

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "static"
DIST_NAME = "dist"
MANIFEST = "manifest.json"
HASH_LENGTH = 12

# url("x"), url('x') or url(x); data: URIs contain quotes and parentheses of their own.
CSS_URL = re.compile(r"""url\(\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^)'"\s]*))\s*\)""")


def source_files(source: Path) -> Iterator[str]:
    """Relative POSIX paths of the files to publish: everything but dist/ and dotfiles (stamps)."""
    # os.walk, not Path.rglob: static/vendor may be a symbolic link (a worktree sharing another's).
    found = []
    for directory, subdirs, files in os.walk(source, followlinks=True):
        relative = Path(directory).relative_to(source)
        subdirs[:] = [d for d in subdirs if not d.startswith(".") and not (relative == Path(".") and d == DIST_NAME)]
        found += [(relative / f).as_posix() for f in files if not f.startswith(".")]
    yield from sorted(found)


def hashed_name(name: str, content: bytes) -> str:
    """``vendor/x/x.min.css`` -> ``vendor/x/x.min.<first 12 hex of sha256>.css``."""
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    stem, suffix = posixpath.splitext(name)
    return f"{stem}.{digest}{suffix}"


def rewrite_css_urls(name: str, text: str, manifest: dict[str, str]) -> str:
    """Point relative url(...) references in the stylesheet ``name`` at their hashed copies."""

    def replace(match: re.Match[str]) -> str:
        url = match.group("dq") or match.group("sq") or match.group("bare") or ""
        if not url or url.startswith(("data:", "#", "/", "http:", "https:")) or "//" in url:
            return match.group(0)
        path = re.split(r"[?#]", url, maxsplit=1)[0]
        tail = url[len(path) :]  # ?query or #fragment, kept as written (bootstrap-icons has one)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), path))
        if target not in manifest:
            return match.group(0)  # not ours (or missing): leave it exactly as written
        new_path = posixpath.join(posixpath.dirname(path), posixpath.basename(manifest[target]))
        return f'url("{new_path}{tail}")'

    return CSS_URL.sub(replace, text)


def build(source: Path = SOURCE, dist: Path | None = None, *, compress: bool = True) -> dict[str, str]:
    """Write ``dist`` (default ``source/dist``) afresh and return the manifest it holds."""
    dist = dist or source / DIST_NAME
    staging = dist.with_name(f".{dist.name}.building")  # a dotfile: never published itself
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)

    names = list(source_files(source))
    manifest: dict[str, str] = {}
    sources: dict[str, str] = {}
    # Stylesheets last: their hashes depend on the rewritten names of the files they reference.
    for name in sorted(names, key=lambda n: n.endswith(".css")):
        content = (source / name).read_bytes()
        sources[name] = hashlib.sha256(content).hexdigest()
        if name.endswith(".css"):
            content = rewrite_css_urls(name, content.decode("utf-8"), manifest).encode("utf-8")
        manifest[name] = hashed_name(name, content)
        for target in {name, manifest[name]}:
            (staging / target).parent.mkdir(parents=True, exist_ok=True)
            (staging / target).write_bytes(content)

    if compress:
        compressor = Compressor(quiet=True)
        paths = [p for p in staging.rglob("*") if p.is_file() and compressor.should_compress(p.name)]
        with ThreadPoolExecutor(max_workers=2) as pool:  # two cores; Brotli at its best level is slow
            list(pool.map(compressor.compress, map(str, paths)))

    # Written last: a manifest means the files it names are all there. "sources" lets the app
    # notice a source edited since this build and serve static/ as it is instead (never stale code).
    document = {"files": manifest, "sources": sources}
    (staging / MANIFEST).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    shutil.rmtree(dist, ignore_errors=True)
    staging.rename(dist)
    return manifest


def main() -> int:
    if not (SOURCE / "vendor").is_dir():
        print("static/vendor/ is missing: run scripts/vendor.py first.", file=sys.stderr)
        return 1
    manifest = build()
    print(f"Wrote {len(manifest)} hashed files and their .gz/.br copies into static/{DIST_NAME}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
