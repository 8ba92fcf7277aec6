"""The admins' promo codes (``admin`` blueprint): the platform's codes, never a venue's own."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.accounts.access import role_required
from app.promos import manage
from app.promos.models import PromoCode
from app.promos.pages import code_row, form_values, page_context
from app.web.blueprints import admin as admin_bp
from app.web.loaders import admin_row
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

URLS = {
    "list": "admin.promo_codes",
    "create": "admin.create_promo_code",
    "edit": "admin.edit_promo_code",
    "update": "admin.update_promo_code",
    "activate": "admin.set_promo_code_active",
}


class PromoForm(FlaskForm):
    """CSRF only: the fields are read by app/promos/manage.read_terms, which names what is wrong."""


def _list(*, typed: dict[str, str] | None = None, error: str | None = None, status: int = 200) -> Response:
    return render_page(
        "promos/manage.html",
        status=status,
        title=_("Promo codes"),
        intro=_("The platform's codes: they apply to every venue's items."),
        codes=[code_row(c) for c in manage.get_codes(venue_id=None)],
        values=form_values(typed=typed),
        error=error,
        urls=URLS,
        **page_context(for_venue=False),
    )


# The platform's codes only: a venue's own code is not the admins' (404).
platform_code = admin_row(PromoCode, name="code", exists=lambda code: code.venue_id is None)


@admin_bp.get("/promo-codes")
@role_required("admin")
def promo_codes() -> Response:
    return _list()


@admin_bp.post("/promo-codes")
@role_required("admin")
def create_promo_code() -> Response:
    if not PromoForm().validate():
        abort(400)
    on_refusal(lambda refusal: _list(typed=request.form.to_dict(), error=refusal.message))
    terms = manage.read_terms(request.form)
    code = manage.create_code(request.form.get("code", ""), terms, venue_id=None, actor_id=current_user.id)
    flash(_("Promo code %(code_code)s created.", code_code=code.code), "success")
    return redirect(url_for(URLS["list"]), 303)


@admin_bp.get("/promo-codes/<int:code_id>")
@role_required("admin")
@platform_code
def edit_promo_code(code: PromoCode) -> Response:
    return _edit(code)


def _edit(code: PromoCode, *, typed: dict[str, str] | None = None, error: str | None = None, status: int = 200):
    values = form_values(code) if typed is None else form_values(typed=typed) | {"code": code.code}
    return render_page(
        "promos/edit.html",
        status=status,
        code=code_row(code),
        values=values,
        error=error,
        urls=URLS,
        **page_context(for_venue=False),
    )


@admin_bp.post("/promo-codes/<int:code_id>")
@role_required("admin")
@platform_code
def update_promo_code(code: PromoCode) -> Response:
    if not PromoForm().validate():
        abort(400)
    on_refusal(lambda refusal: _edit(code, typed=request.form.to_dict(), error=refusal.message))
    manage.update_code(code, manage.read_terms(request.form), actor_id=current_user.id)
    flash(_("Promo code %(code_code)s saved.", code_code=code.code), "success")
    return redirect(url_for(URLS["list"]), 303)


@admin_bp.post("/promo-codes/<int:code_id>/active")
@role_required("admin")
@platform_code
def set_promo_code_active(code: PromoCode) -> Response:
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
