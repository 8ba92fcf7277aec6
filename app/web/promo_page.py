"""What the two promo code areas share, the admins' (the platform's codes, app/promos/views/admin.py)
and a venue owner's (their venue's own, app/promos/views/venue.py): the checks before a change,
the edit page, switching a code on or off, and the way back to the list after a change. Each area names its own
URLs (``urls``: list, create, edit, update, activate) and what its list shows."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.promos import manage
from app.promos.models import PromoCode
from app.promos.pages import code_row, form_values, page_context
from app.web.guards import check_confirm_form
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal


def before_change(page_again: Callable[..., Response]) -> None:
    """Before a code is made or changed: the CSRF token checked (a 400), and a refusal answered
    with ``page_again`` showing what was typed and why it was refused."""
    check_confirm_form()  # the fields are read by manage.read_terms, which names what is wrong
    on_refusal(lambda refusal: page_again(typed=request.form.to_dict(), error=refusal.message))


def edit_page(
    code: PromoCode,
    urls: dict[str, str],
    *,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
    currency: str | None = None,
) -> Response:
    """One code's edit page: a venue's code (``currency`` is the venue's) or the platform's."""
    values = form_values(code) if typed is None else form_values(typed=typed) | {"code": code.code}
    return render_page(
        "promos/edit.html",
        status=status,
        code=code_row(code),
        values=values,
        error=error,
        urls=urls,
        **page_context(for_venue=currency is not None, currency=currency),
    )


def back_to_list(urls: dict[str, str], message: str) -> Response:
    flash(message, "success")
    return redirect(url_for(urls["list"]), 303)


def set_active(code: PromoCode, urls: dict[str, str]) -> Response:
    """Switch a code on (``active=1``) or off, and say which."""
    check_confirm_form()
    active = request.form.get("active") == "1"
    manage.set_active(code, active, actor_id=current_user.id)
    if active:
        return back_to_list(urls, _("Promo code %(code)s reactivated.", code=code.code))
    return back_to_list(urls, _("Promo code %(code)s deactivated.", code=code.code))
