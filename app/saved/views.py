"""The heart, the Saved page, and the venue lists loaded into pages: recently viewed and similar."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.accounts.access import is_safe_next
from app.discovery.cards import cards_for
from app.ops.errors import http_status, render_error
from app.saved import service
from app.web import viewer
from app.web.blueprints import saved as bp
from app.web.rendering import add_toast, is_htmx
from app.web.unit_of_work import on_refusal

IDS_RE = re.compile(r"\d{1,9}(?:,\d{1,9})*")  # ids below PostgreSQL's integer limit


@bp.post("/saved/<int:venue_id>")
def toggle(venue_id: int):
    """Save (``saved=1``) or remove (``saved=0``) a venue. HTMX gets the heart back; a plain
    form goes back where it came from."""
    wanted = request.form.get("saved")
    if wanted not in ("0", "1"):
        return refuse(_("Choose whether to save the venue or remove it."), 400)
    on_refusal(lambda error: refuse(error.message, http_status(error)))
    venue = service.public_venue(venue_id)
    saved = viewer.set_saved(venue_id, wanted == "1")
    message = _("Saved %(venue)s.", venue=venue.name) if saved else _("Removed %(venue)s from Saved.", venue=venue.name)
    if is_htmx():
        response = make_response(render_template("saved/_heart.html", venue_id=venue_id, venue_name=venue.name))
        return add_toast(response, message)
    flash(message, "success")
    next_url = request.form.get("next")
    return redirect(next_url if is_safe_next(next_url) else url_for(".saved_page"))


def refuse(message: str, status: int):
    if is_htmx():
        response = make_response("", status)
        return add_toast(response, message, "danger")
    return make_response(render_template("saved/refused.html", message=message), status)


@bp.get("/saved/<int:venue_id>/confirm")
def confirm(venue_id: int):
    """Where a heart leads without JavaScript on a page shared by every visitor (which carries
    no form token): a one-button form that does."""
    on_refusal(lambda error: render_error(404))  # a venue that isn't listed is not there
    venue = service.public_venue(venue_id)
    return render_template(
        "saved/confirm.html", venue=venue, saved=viewer.is_saved(venue_id), next_url=request.args.get("next", "")
    )


@bp.get("/saved")
def saved_page():
    now = datetime.now(UTC)
    ids = viewer.saved_ids()
    cards = cards_for({"saved": ids}, now=now)["saved"]
    response = make_response(render_template("saved/saved.html", cards=cards, signed_in=current_user.is_authenticated))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/recently-viewed")
def recently_viewed():
    """Cards for the venues this browser viewed (it keeps the list itself, newest first)."""
    raw = request.args.get("ids", "")
    if not raw:
        return render_template("saved/_shelf.html", cards=[], empty=_("You haven't looked at any venues yet."))
    if not IDS_RE.fullmatch(raw) or raw.count(",") >= service.RECENT_MAX:
        return make_response(_("Give up to %(max)s venue ids, separated by commas.", max=service.RECENT_MAX), 400)
    ids = [int(i) for i in raw.split(",")]
    cards = cards_for({"recent": ids}, now=datetime.now(UTC))["recent"]
    return render_template("saved/_shelf.html", cards=cards, empty=_("Those venues are no longer listed."))


@bp.get("/venues/<int:venue_id>/similar")
def similar(venue_id: int):
    """The venue page's "Similar venues" shelf, loaded when it scrolls into view."""
    ids = service.similar_venue_ids(venue_id)
    cards = cards_for({"similar": ids}, now=datetime.now(UTC))["similar"]
    return render_template("saved/_shelf.html", cards=cards, empty=_("No similar venues nearby yet."))


@bp.get("/csrf-token")
def csrf_token():
    """A form token for pages every visitor shares (they are rendered without one): the page's
    script asks for it before its first change, such as a heart."""
    response = jsonify(token=generate_csrf())
    response.headers["Cache-Control"] = "private, no-store"
    return response
