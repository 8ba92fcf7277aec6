"""A venue owner's promo codes (``venues_dashboard`` blueprint): their venue's own codes only,
which discount only that venue's items and are paid for by the venue."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.promos import manage
from app.promos.models import PromoCode
from app.promos.pages import code_row, form_values, page_context
from app.venues.models import Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import venue_required
from app.web.loaders import venue_row
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

URLS = {
    "list": "venues_dashboard.promo_codes",
    "create": "venues_dashboard.create_promo_code",
    "edit": "venues_dashboard.edit_promo_code",
    "update": "venues_dashboard.update_promo_code",
    "activate": "venues_dashboard.set_promo_code_active",
}


class PromoForm(FlaskForm):
    """CSRF only: the fields are read by app/promos/manage.read_terms, which names what is wrong."""


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


def _edit(venue: Venue, code: PromoCode, *, typed=None, error: str | None = None, status: int = 200) -> Response:
    values = form_values(code) if typed is None else form_values(typed=typed) | {"code": code.code}
    return render_page(
        "promos/edit.html",
        status=status,
        code=code_row(code),
        values=values,
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
    if not PromoForm().validate():
        abort(400)
    on_refusal(lambda refusal: _list(venue, typed=request.form.to_dict(), error=refusal.message))
    terms = manage.read_terms(request.form, venue_currency=venue.currency)
    code = manage.create_code(request.form.get("code", ""), terms, venue_id=venue.id, actor_id=current_user.id)
    flash(_("Promo code %(code_code)s created.", code_code=code.code), "success")
    return redirect(url_for(URLS["list"]), 303)


# Another venue's code, or the platform's, is a 404 (``venue_row``).


@bp.get("/promo-codes/<int:code_id>")
@venue_required
@venue_row(PromoCode, name="code")
def edit_promo_code(venue: Venue, code: PromoCode) -> Response:
    return _edit(venue, code)


@bp.post("/promo-codes/<int:code_id>")
@venue_required
@venue_row(PromoCode, name="code")
def update_promo_code(venue: Venue, code: PromoCode) -> Response:
    if not PromoForm().validate():
        abort(400)
    on_refusal(lambda refusal: _edit(venue, code, typed=request.form.to_dict(), error=refusal.message))
    manage.update_code(code, manage.read_terms(request.form, venue_currency=venue.currency), actor_id=current_user.id)
    flash(_("Promo code %(code_code)s saved.", code_code=code.code), "success")
    return redirect(url_for(URLS["list"]), 303)


@bp.post("/promo-codes/<int:code_id>/active")
@venue_required
@venue_row(PromoCode, name="code")
def set_promo_code_active(venue: Venue, code: PromoCode) -> Response:
    if not PromoForm().validate():
        abort(400)
    active = request.form.get("active") == "1"
    manage.set_active(code, active, actor_id=current_user.id)
    flash(
        _("Promo code %(code)s reactivated.", code=code.code)
        if active
        else _("Promo code %(code)s deactivated.", code=code.code),
        "success",
    )
    return redirect(url_for(URLS["list"]), 303)
