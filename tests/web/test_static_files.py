"""Static files: hashed names cached for a year, compressed on the wire, a small home page.

The build under test is made here, into a temporary folder, from the real static/ (so
static/vendor/ must exist: `make vendor`), and served by an app pointed at it.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from pathlib import Path

import brotli
import pytest

from app import create_app
from app.web.static_files import IMMUTABLE, load_manifest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
HOME_BUDGET = 100 * 1000  # bytes of CSS + JS on the wire for a first visit to the home page


def _build_module():
    spec = importlib.util.spec_from_file_location("build_static", ROOT / "scripts" / "build_static.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_static = _build_module()


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    if not (STATIC / "vendor" / "bootstrap").is_dir():
        pytest.fail("static/vendor/ is missing: run `make vendor` (npm ci + scripts/vendor.py) first")
    target = tmp_path_factory.mktemp("static") / "dist"
    build_static.build(STATIC, target)
    return target


@pytest.fixture(scope="module")
def manifest(dist) -> dict[str, str]:
    return json.loads((dist / "manifest.json").read_text())["files"]


@pytest.fixture
def built(database_url, tmp_path, dist):
    app = create_app(
        "testing",
        overrides={"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_ROOT": str(tmp_path), "STATIC_DIST": str(dist)},
    )
    return app.test_client()


def static_refs(html: str, kind: str = "") -> list[str]:
    """/static/ URLs the page loads as scripts and stylesheets, in order."""
    scripts = re.findall(r'<script[^>]*\ssrc="(/static/[^"]+)"', html)
    styles = re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="(/static/[^"]+)"', html)
    return {"js": scripts, "css": styles}.get(kind, styles + scripts)


def test_the_home_page_names_only_hashed_files_and_no_password_strength_code(built, manifest):
    html = built.get("/").get_data(as_text=True)

    refs = static_refs(html)
    assert refs, "the home page loads no CSS or JS?"
    hashed = {"/static/" + name for name in manifest.values()}
    assert [ref for ref in refs if ref not in hashed] == []
    assert "zxcvbn" not in html and "password-meter" not in html
    assert "leaflet" not in html


def test_hashed_files_are_cached_for_a_year_and_never_revalidated(built, manifest):
    html = built.get("/").get_data(as_text=True)
    icons_css = built.get(next(ref for ref in static_refs(html, "css") if "bootstrap-icons" in ref)).get_data(
        as_text=True
    )
    font = "/static/" + manifest["vendor/bootstrap-icons/fonts/bootstrap-icons.woff2"]
    assert Path(font).name in icons_css  # the stylesheet names the font by its hashed name too

    for ref in [*static_refs(html), font]:
        response = built.get(ref)
        assert response.status_code == 200, ref
        assert response.headers["Cache-Control"] == IMMUTABLE, ref


def test_unhashed_names_still_work_with_a_short_cache(built):
    response = built.get("/static/js/app.js")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "max-age=60, public"


@pytest.mark.parametrize(
    "name", ["css/app.css", "vendor/bootstrap/bootstrap.min.css", "js/app.js", "vendor/htmx/htmx.min.js"]
)
def test_css_and_js_go_out_gzipped_or_brotli_compressed_to_clients_that_accept_it(built, manifest, name):
    url = "/static/" + manifest[name]
    plain = built.get(url, headers={"Accept-Encoding": "identity"})
    gzipped = built.get(url, headers={"Accept-Encoding": "gzip"})
    brotlied = built.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})

    assert "Content-Encoding" not in plain.headers
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert brotlied.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in gzipped.headers["Vary"]
    assert gzip.decompress(gzipped.data) == plain.data == brotli.decompress(brotlied.data)
    assert len(gzipped.data) < len(plain.data)


def test_the_home_page_css_and_js_weigh_at_most_100_kb_on_the_wire(built):
    html = built.get("/").get_data(as_text=True)

    sizes = {ref: len(built.get(ref, headers={"Accept-Encoding": "gzip"}).data) for ref in static_refs(html)}

    assert sum(sizes.values()) <= HOME_BUDGET, sizes


def test_the_password_estimator_loads_only_where_there_is_a_password_meter(built, manifest):
    html = built.get("/account/sign-up").get_data(as_text=True)

    scripts = static_refs(html, "js")
    assert "/static/" + manifest["js/password-meter.js"] in scripts
    # The estimator itself is named, not loaded: password-meter.js fetches it when someone types.
    assert not [src for src in scripts if "zxcvbn" in src]
    assert f'data-zxcvbn-core="/static/{manifest["vendor/zxcvbn-ts/core.js"]}"' in html


def test_without_a_build_pages_use_plain_urls_that_flask_serves(database_url, tmp_path):
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_ROOT": str(tmp_path),
            "STATIC_DIST": str(tmp_path / "none"),
        },
    )
    client = app.test_client()

    html = client.get("/").get_data(as_text=True)

    assert '<script src="/static/js/app.js" defer></script>' in html
    response = client.get("/static/js/app.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_a_stylesheet_names_hashed_fonts_and_a_changed_font_changes_its_hash(tmp_path):
    source = tmp_path / "static"
    (source / "fonts").mkdir(parents=True)
    (source / "fonts" / "icons.woff2").write_bytes(b"font v1")
    (source / "icons.css").write_text(
        '@font-face{src:url("fonts/icons.woff2?v=1") format("woff2")}'
        ".x{background:url(\"data:image/svg+xml,%3csvg xmlns='http://www.w3.org/2000/svg'/%3e\")}"
        ".y{background:url(missing.png)}"
    )

    first = build_static.build(source, compress=False)
    css = (source / "dist" / first["icons.css"]).read_text()
    (source / "fonts" / "icons.woff2").write_bytes(b"font v2")
    second = build_static.build(source, compress=False)

    font = Path(first["fonts/icons.woff2"]).name
    assert f'url("fonts/{font}?v=1")' in css
    assert "url(\"data:image/svg+xml,%3csvg xmlns='http://www.w3.org/2000/svg'/%3e\")" in css
    assert "url(missing.png)" in css  # not ours: left exactly as written
    assert second["icons.css"] != first["icons.css"]


def test_a_source_edited_after_the_build_turns_hashed_names_off(tmp_path):
    source = tmp_path / "static"
    (source / "js").mkdir(parents=True)
    (source / "js" / "app.js").write_text("one();")
    build_static.build(source)
    assert load_manifest(source / "dist", source) == {"js/app.js": build_static.hashed_name("js/app.js", b"one();")}

    (source / "js" / "app.js").write_text("two();")

    assert load_manifest(source / "dist", source) is None


@pytest.mark.parametrize(
    ("accept", "encoding"), [("gzip", "gzip"), ("gzip, deflate, br, zstd", "br"), ("identity", None)]
)
def test_pages_go_out_compressed_as_the_client_accepts(built, accept, encoding):
    response = built.get("/", headers={"Accept-Encoding": accept})

    assert response.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    body = {"gzip": gzip.decompress, "br": brotli.decompress, None: bytes}[encoding](response.data)
    assert b"<!doctype html>" in body and b"</html>" in body


@pytest.mark.parametrize(("language", "sentence"), [("en", "easy to guess"), ("es", "fáciles de adivinar")])
def test_the_password_hints_come_in_the_pages_language(built, manifest, language, sentence):
    """zxcvbn-ts's feedback sentences (warnings and suggestions) are vendored per language; the
    meter names the page's."""
    html = built.get("/account/sign-up", headers={"Accept-Language": language}).get_data(as_text=True)
    hashed = manifest[f"vendor/zxcvbn-ts/translations-{language}.mjs"]
    assert f'data-zxcvbn-translations="/static/{hashed}"' in html
    assert sentence in built.get(f"/static/{hashed}").get_data(as_text=True)
