"""A venue owner's promo codes (``venues_dashboard`` blueprint): their venue's own codes only,
which discount only that venue's items and are paid for by the venue."""

from __future__ import annotations

import functools

from flask import Response, request
from flask_babel import gettext as _
from flask_login import current_user

from app.promos import manage
from app.promos.models import PromoCode
from app.promos.pages import code_row, form_values, page_context
from app.venues.models import Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import venue_required
from app.web.loaders import venue_row
from app.web.promo_page import back_to_list, before_change, edit_page, set_active
from app.web.rendering import render_page

URLS = {
    "list": "venues_dashboard.promo_codes",
    "create": "venues_dashboard.create_promo_code",
    "edit": "venues_dashboard.edit_promo_code",
    "update": "venues_dashboard.update_promo_code",
    "activate": "venues_dashboard.set_promo_code_active",
}


def _list(venue: Venue, *, typed=None, error: str | None = None, status: int = 200) -> Response:
    return render_page(
        "promos/manage.html",
        status=status,
        title=_("Promo codes"),
        intro=_(
            "Your own codes: they take money off %(venue)s's services only, and %(venue)s pays for them.",
            venue=venue.name,
        ),
        codes=[code_row(c) for c in manage.get_codes(venue_id=venue.id)],
        values=form_values(typed=typed) if typed is not None else form_values() | {"currency": venue.currency},
        error=error,
        urls=URLS,
        **page_context(for_venue=True, currency=venue.currency),
    )


@bp.get("/promo-codes")
@venue_required
def promo_codes(venue: Venue) -> Response:
    return _list(venue)


@bp.post("/promo-codes")
@venue_required
def create_promo_code(venue: Venue) -> Response:
    before_change(functools.partial(_list, venue))
    terms = manage.read_terms(request.form, venue_currency=venue.currency)
    code = manage.create_code(request.form.get("code", ""), terms, venue_id=venue.id, actor_id=current_user.id)
    return back_to_list(URLS, _("Promo code %(code_code)s created.", code_code=code.code))


# Another venue's code, or the platform's, is a 404 (``venue_row``).


@bp.get("/promo-codes/<int:code_id>")
@venue_required
@venue_row(PromoCode, name="code")
def edit_promo_code(venue: Venue, code: PromoCode) -> Response:
    return edit_page(code, URLS, currency=venue.currency)


@bp.post("/promo-codes/<int:code_id>")
@venue_required
@venue_row(PromoCode, name="code")
def update_promo_code(venue: Venue, code: PromoCode) -> Response:
    before_change(functools.partial(edit_page, code, URLS, currency=venue.currency))
    manage.update_code(code, manage.read_terms(request.form, venue_currency=venue.currency), actor_id=current_user.id)
    return back_to_list(URLS, _("Promo code %(code_code)s saved.", code_code=code.code))


@bp.post("/promo-codes/<int:code_id>/active")
@venue_required
@venue_row(PromoCode, name="code")
def set_promo_code_active(venue: Venue, code: PromoCode) -> Response:
    return set_active(code, URLS)
