"""The tip page, on the booking blueprint: ``/bookings/<reference>/tip``.

GET shows the form (the booking page shows the same form in its tip section); POST checks the
choice, holds a tip order and sends the customer to the gateway's checkout, exactly as a gift
voucher purchase does (``start_payment``). ``/bookings/<reference>/tip/pay`` goes back to the
checkout of a tip still waiting for payment. Only the customer's own booking (anyone else's is
404); every refusal is the page again with the reason, and a 4xx, and holds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import redirect
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.booking.models import Booking
from app.payments import service as payments
from app.platform.errors import DomainError, InvalidTransition, ValidationFailed
from app.tips import service
from app.tips.forms import TipForm
from app.tips.presenting import tip_panel
from app.web.blueprints import booking as bp
from app.web.loaders import own_booking
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal


def tip_page(booking: Booking, form: TipForm, *, error: str | None = None, status: int = 200) -> Response:
    now = datetime.now(UTC)
    panel = tip_panel(booking, current_user, now)
    if panel is None:  # not a visit that happened: say why, never a form
        panel_reason = service.eligibility(booking, current_user, now).reason
        return render_page("tips/tip.html", status=409, booking=booking, tip=None, form=form, error=panel_reason)
    return render_page("tips/tip.html", status=status, booking=booking, tip=panel, form=form, error=error)


@bp.get("/bookings/<reference>/tip")
@login_required
@own_booking
def tip(booking: Booking) -> Response:
    return tip_page(booking, TipForm(formdata=None))


@bp.post("/bookings/<reference>/tip")
@login_required
@own_booking
def add_tip(booking: Booking) -> Response:
    form = TipForm()
    on_refusal(lambda error: tip_page(booking, form, error=error.message))
    if not form.validate():
        raise ValidationFailed(_("Choose a tip or enter an amount."))
    amount = service.chosen_amount(booking, form.preset.data, form.amount.data)
    added = service.start_tip(current_user, booking, amount)
    payment = payments.start_payment(added.order)
    return redirect(payment.checkout_url, 303)


@bp.post("/bookings/<reference>/tip/pay")
@login_required
@own_booking
def pay_tip(booking: Booking) -> Response:
    """Back to the checkout of the tip waiting for payment (the same session while it is open)."""
    on_refusal(lambda error: tip_page(booking, TipForm(formdata=None), error=error.message), kinds=DomainError)
    if not TipForm().validate():
        raise ValidationFailed(_("Choose a tip or enter an amount."))
    waiting = service.get_waiting_tip(booking.id, datetime.now(UTC))
    if waiting is None:
        raise InvalidTransition(_("No tip for this visit is waiting for payment."))
    payment = payments.start_payment(waiting.order)
    return redirect(payment.checkout_url, 303)
