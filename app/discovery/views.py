"""The discovery routes: the search page, category landing pages and search suggestions."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, abort, make_response, render_template, request

from app.discovery.params import CITIES, OUTER_FIELDS, _text, parse_search
from app.discovery.results import build_search_page, page_heading
from app.rendering import is_htmx, render_page
from app.venues.public import page_etag
from app.venues.service import get_categories
from search.backend import get_version, search
from search.backend import suggest as suggest_terms
from search.types import InvalidQuery

bp = Blueprint("discovery", __name__)

TEMPLATE = "discovery/search.html"
MAX_SUGGEST_LENGTH = 100


@bp.get("/search", endpoint="search")
def search_page():
    return respond_with_search(request.args)


@bp.get("/c/<category_slug>")
def category(category_slug: str):
    if category_slug not in {c.slug for c in get_categories()}:
        abort(404)
    return respond_with_search(request.args, category=category_slug)


@bp.get("/search/suggest")
def suggest():
    """The autocomplete listbox's options for ``q`` (an HTML fragment)."""
    prefix = request.args.get("q", "")
    if len(prefix) > MAX_SUGGEST_LENGTH:
        abort(400, f"Type at most {MAX_SUGGEST_LENGTH} characters to get suggestions.")
    terms = suggest_terms(prefix) if prefix.strip() else []
    response = make_response(render_template("discovery/_suggestions.html", suggestions=terms))
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


def respond_with_search(args, *, category: str | None = None) -> Response:
    """The search page for ``args`` (on a category page, ``category`` is fixed)."""
    # A history restore after a cache miss wants the whole page, though it comes from HTMX.
    block = None if request.headers.get("HX-History-Restore-Request") else "results"
    fragment = block is not None and is_htmx()
    outer = {name: _text(args, name)[:200] for name in OUTER_FIELDS}
    common = {"cities": [c.name for c in CITIES.values()], "heading_out_of_band": fragment}
    try:
        found = parse_search(args, category=category)
    except InvalidQuery as exc:
        heading = page_heading(next((c.name for c in get_categories() if c.slug == category), ""))
        return render_page(
            TEMPLATE,
            block,
            status=400,
            error=str(exc),
            page_title="Check your search",
            outer=outer,
            **heading,
            **common,
        )
    now = datetime.now(UTC)
    result = search(found.query)
    page = build_search_page(found, result, now=now)
    outer = {name: found.state.get(name) for name in OUTER_FIELDS}
    etag = page_etag(
        {"url": request.full_path, "fragment": fragment, "version": get_version(), "total": result.total, **page}
    )
    response = render_page(TEMPLATE, block, outer=outer, **common, **page)
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    if fragment:
        page_number = found.query.page
        response.headers["HX-Push-Url"] = found.state.url(page=str(page_number) if page_number > 1 else None)
    return response.make_conditional(request)
