"""The admins' promo codes (``admin`` blueprint): the platform's codes, never a venue's own."""

from __future__ import annotations

import functools

from flask import Response, request
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.access import role_required
from app.promos import manage
from app.promos.models import PromoCode
from app.promos.pages import code_row, form_values, page_context
from app.web.blueprints import admin as admin_bp
from app.web.loaders import admin_row
from app.web.promo_page import back_to_list, before_change, edit_page, set_active
from app.web.rendering import render_page

URLS = {
    "list": "admin.promo_codes",
    "create": "admin.create_promo_code",
    "edit": "admin.edit_promo_code",
    "update": "admin.update_promo_code",
    "activate": "admin.set_promo_code_active",
}


@admin_bp.get("/promo-codes")
@role_required("admin")
def promo_codes(*, typed: dict[str, str] | None = None, error: str | None = None) -> Response:
    """The list; ``create_promo_code`` shows it again with a refusal by calling this view."""
    return render_page(
        "promos/manage.html",
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


@admin_bp.post("/promo-codes")
@role_required("admin")
def create_promo_code() -> Response:
    before_change(promo_codes)
    terms = manage.read_terms(request.form)
    code = manage.create_code(request.form.get("code", ""), terms, venue_id=None, actor_id=current_user.id)
    return back_to_list(URLS, _("Promo code %(code_code)s created.", code_code=code.code))


@admin_bp.get("/promo-codes/<int:code_id>")
@role_required("admin")
@platform_code
def edit_promo_code(code: PromoCode) -> Response:
    return edit_page(code, URLS)


@admin_bp.post("/promo-codes/<int:code_id>")
@role_required("admin")
@platform_code
def update_promo_code(code: PromoCode) -> Response:
    before_change(functools.partial(edit_page, code, URLS))
    manage.update_code(code, manage.read_terms(request.form), actor_id=current_user.id)
    return back_to_list(URLS, _("Promo code %(code_code)s saved.", code_code=code.code))


@admin_bp.post("/promo-codes/<int:code_id>/active")
@role_required("admin")
@platform_code
def set_promo_code_active(code: PromoCode) -> Response:
    return set_active(code, URLS)
