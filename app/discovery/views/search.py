"""The discovery routes: the search page, category landing pages and search suggestions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.discovery.params import MAX_PLACE_LENGTH, OUTER_FIELDS, _text, parse_search
from app.discovery.results import build_search_page, page_heading
from app.venues.service import get_categories
from app.web.blueprints import discovery as bp
from app.web.etags import page_etag
from app.web.rendering import add_toast, is_htmx, render_page
from app.web.viewer import forget_place, get_last_place, remember_place
from search.backend import get_version, search
from search.backend import suggest as suggest_terms
from search.places import find_places
from search.types import InvalidQuery

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


def _typed(arg: str, max_length: int, too_long: str) -> str:
    """What was typed into a suggestion box so far; longer than ``max_length`` is a 400."""
    typed = request.args.get(arg, "")
    if len(typed) > max_length:
        abort(400, too_long)
    return typed


def _listbox(template: str, cache_control: str, **context: Any) -> Response:
    """A suggestion box's options (an HTML fragment), kept by the browser as ``cache_control`` says."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = cache_control
    return response


@bp.get("/search/suggest")
def suggest():
    """The autocomplete listbox's options for ``q`` (an HTML fragment)."""
    too_long = _(
        "Type at most %(max_suggest_length)s characters to get suggestions.", max_suggest_length=MAX_SUGGEST_LENGTH
    )
    prefix = _typed("q", MAX_SUGGEST_LENGTH, too_long)
    terms = suggest_terms(prefix) if prefix.strip() else []
    return _listbox("discovery/_suggestions.html", "private, max-age=60", suggestions=terms)


@bp.get("/search/places")
def place_suggestions():
    """The "where" field's listbox: towns and cities starting with ``near`` (an HTML fragment)."""
    too_long = _("Type at most %(max_place_length)s characters to get suggestions.", max_place_length=MAX_PLACE_LENGTH)
    typed = _typed("near", MAX_PLACE_LENGTH, too_long)
    places = find_places(typed) if typed.strip() else []
    # The gazetteer changes with a release.
    return _listbox("discovery/_place_suggestions.html", "public, max-age=3600", places=places, typed=typed)


@bp.post("/search/place/forget")
def forget_last_place():
    """The "where" field's "Clear": forget the remembered place (CSRF-checked like every POST)."""
    if is_htmx():
        response = add_toast(make_response("", 204), _("We'll stop suggesting that place."))
    else:
        response = redirect(url_for("discovery.search", near=""), 303)
    forget_place(response)
    return response


def respond_with_search(args, *, category: str | None = None) -> Response:
    """The search page for ``args`` (on a category page, ``category`` is fixed)."""
    # A history restore after a cache miss wants the whole page, though it comes from HTMX.
    block = None if request.headers.get("HX-History-Restore-Request") else "results"
    fragment = block is not None and is_htmx()
    outer = {name: _text(args, name)[:200] for name in OUTER_FIELDS}
    common = {"heading_out_of_band": fragment, "remembered_place": False, "remember_place_id": None}
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
    if found.near is not None:
        common["remember_place_id"] = remember_place(found.near)  # on the account, kept with the request
    elif not any(name in args for name in ("near", "place", "lat")) and "place" not in found.understood.kinds():
        remembered = get_last_place()  # shown in the field; the next search uses it
        if remembered is not None:
            outer.update(near=remembered.label, place=str(remembered.id))
    common["remembered_place"] = bool(outer.get("place"))
    etag = page_etag(
        {
            "url": request.full_path,
            "fragment": fragment,
            "version": get_version(),
            "total": result.total,
            "outer": outer,
            **page,
        }
    )
    response = render_page(TEMPLATE, block, outer=outer, **common, **page)
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Search-Total"] = str(result.total)  # the funnel counts empty searches (app/analytics)
    response.vary.add("Cookie")
    if fragment:
        page_number = found.query.page
        response.headers["HX-Push-Url"] = found.state.url(page=str(page_number) if page_number > 1 else None)
    return response.make_conditional(request)
