"""Adding a promo code to the cart and taking it out (routes on the ``booking`` blueprint).

A code needs a signed-in customer: its limits are per customer, and checkout is signed in
anyway; a signed-out visitor is sent to sign in first (their cart comes with them). The
cart page shows the code, what it takes off, or why it can't be used.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField

from app.booking import cart as carts
from app.promos import redemption as promos
from app.promos.cart import bookable_lines
from app.promos.rules import CODE_MAX_LENGTH
from app.web.blueprints import booking as bp
from app.web.cart_page import build_cart_page, nav_cart_oob
from app.web.guards import get_cart_owner, require_booker, sign_in_first
from app.web.rendering import add_toast, is_htmx, render_page
from app.web.unit_of_work import on_refusal, settle


class PromoCodeForm(FlaskForm):
    # Checked by app/promos/redemption.add_to_cart, which says what is wrong in words.
    code = StringField(_l("Promo code"))


class RemovePromoCodeForm(FlaskForm):
    pass


def _cart(*, message: str | None = None, error: str | None = None, typed: str = "", status: int = 200) -> Response:
    """The cart after a promo change: for HTMX its block (and a toast), else a redirect on
    success or the whole page with the reason."""
    if error is None and not is_htmx():
        flash(message, "success")
        return redirect(url_for("booking.cart"), 303)
    page = build_cart_page(get_cart_owner(), now=datetime.now(UTC), promo_error=error, promo_typed=typed)
    response = render_page("booking/cart.html", "cart", status=status, **page)
    if is_htmx():
        response.set_data(response.get_data(as_text=True) + nav_cart_oob())
        if message:
            add_toast(response, message)
        elif error:
            add_toast(response, error, "danger")
    return response


def _sign_in_first() -> Response:
    """Codes are per customer: sign in (the cart comes along), then add it."""
    return sign_in_first(_("Sign in to use a promo code. Your cart comes with you."), url_for("booking.cart"))


@bp.post("/cart/promo")
def add_promo_code() -> Response:
    require_booker()
    form = PromoCodeForm()
    typed = (form.code.data or "").strip()[:CODE_MAX_LENGTH]
    if not form.validate():
        return _cart(error=_("Your session expired. Reload the page and try again."), typed=typed, status=400)
    if not current_user.is_authenticated:
        return _sign_in_first()
    now = datetime.now(UTC)
    view = carts.view_cart(carts.CartOwner(user_id=current_user.id), now=now)
    on_refusal(lambda refusal: _cart(error=refusal.message, typed=typed))  # the reason, in the cart
    code = promos.add_to_cart(
        current_user.id, form.code.data, bookable_lines(view), currency=view.currency or "GBP", now=now
    )
    settle()  # the cart as the code left it
    return _cart(message=_("Promo code %(code)s added.", code=code.code))


@bp.post("/cart/promo/delete")
def remove_promo_code() -> Response:
    require_booker()
    if not RemovePromoCodeForm().validate():
        return _cart(error=_("Your session expired. Reload the page and try again."), status=400)
    if not current_user.is_authenticated:
        return _sign_in_first()
    code = promos.remove_from_cart(current_user.id)
    settle()  # the cart as it is without the code
    return _cart(
        message=_("Promo code %(code)s removed.", code=code.code) if code else _("There is no promo code in your cart.")
    )
