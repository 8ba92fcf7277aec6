"""One URL serves both the full page and, for an HTMX request, one named block of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, flash, make_response, redirect, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def render_page(template: str, block: str | None = None, *, status: int = 200, **context: Any) -> Response:
    """Render ``template`` whole, or only ``block`` when HTMX asks for a fragment."""
    if block and is_htmx() and not request.headers.get("HX-Boosted"):
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def add_toast(response: Response, message: str, category: str = "success") -> Response:
    """Ask the page to show a toast after an HTMX swap (read by static/js/app.js)."""
    triggers: dict[str, Any] = {}
    existing = response.headers.get("HX-Trigger")
    if existing:
        try:
            triggers = json.loads(existing)
        except ValueError:
            triggers = {existing: None}
    triggers.setdefault("cw:toast", [])
    triggers["cw:toast"].append({"message": message, "category": category})
    response.headers["HX-Trigger"] = json.dumps(triggers)
    return response


def toast_if_htmx(response: Response, message: str, category: str = "success") -> Response:
    """The page with a toast when HTMX swaps it in; a full page says the message itself."""
    return add_toast(response, message, category) if is_htmx() else response


def after_change(message: str, part: Callable[[], Response], target: str, code: int = 302) -> Response:
    """A change made: for HTMX, the fresh ``part`` of the page with the message as a toast; else
    the message flashed and a redirect to ``target``."""
    if is_htmx():
        return add_toast(part(), message)
    flash(message, "success")
    return redirect(target, code)
