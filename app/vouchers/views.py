"""Gift voucher pages: buying one, the buyer's purchase and vouchers, the printable voucher,
and the cart's "check a code".

The code is the secret: whoever has it may see the printable page and spend the voucher.
Every lookup by code (the printable page, the check) is rate limited per client, and an
unknown code looks exactly like a malformed one (404).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.payments import service as payments
from app.platform.errors import DomainError
from app.platform.extensions import db, limiter
from app.platform.input_guard import MAX_ID
from app.venues.models import Venue, VenueStatus
from app.vouchers import ledger
from app.vouchers.forms import BuyVoucherForm, VoucherCodeForm
from app.vouchers.models import VoucherPurchase
from app.vouchers.presenting import voucher_card
from app.vouchers.purchase import PurchaseRequest, get_purchases, start_purchase, validity_months
from app.web.blueprints import vouchers as bp
from app.web.guards import require_booker, sign_in_first
from app.web.loaders import own_row
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal


@bp.record_once
def _check_settings(state) -> None:
    validity_months(state.app.config)  # a validity under 12 months stops the app at start-up


def lookup_limit():
    return limiter.limit(lambda: current_app.config["VOUCHER_LOOKUP_LIMIT"], error_message="VOUCHER_LOOKUP_LIMIT")


# -- buying --------------------------------------------------------------------------------------


def _chosen_venue(raw: str | int | None) -> Venue | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        venue = db.session.scalar(select(Venue).where(Venue.slug == raw[:200]))
    else:
        venue = db.session.get(Venue, raw) if 1 <= raw <= MAX_ID else None
    return venue if venue is not None and venue.status == VenueStatus.APPROVED else None


def buy_page(form: BuyVoucherForm, venue: Venue | None, *, error: str | None = None, status: int = 200) -> Response:
    return render_page(
        "vouchers/buy.html",
        status=status,
        form=form,
        venue={"id": venue.id, "name": venue.name} if venue else None,
        error=error,
        months=validity_months(current_app.config),
        low=current_app.config["VOUCHER_MIN_MINOR"] // 100,
        high=current_app.config["VOUCHER_MAX_MINOR"] // 100,
        signed_in=current_user.is_authenticated,
    )


@bp.get("")
def buy() -> Response:
    venue = _chosen_venue(request.args.get("venue"))
    form = BuyVoucherForm(formdata=None, amount="5000", venue_id=str(venue.id) if venue else "")
    if current_user.is_authenticated:
        form.sender_name.data = current_user.name
    return buy_page(form, venue)


@bp.post("")
def start() -> Response:
    if not current_user.is_authenticated:
        return sign_in_first(_("Sign in or create an account to buy a gift voucher."), url_for(".buy"))
    require_booker()
    form = BuyVoucherForm()
    if not form.validate():
        return buy_page(
            form, _chosen_venue(form.venue if not form.venue_id.errors else None), error=form.first_error(), status=400
        )
    wish = PurchaseRequest(
        amount_minor=form.amount_minor,
        recipient_name=form.recipient_name.data,
        recipient_email=form.recipient_email.data,
        sender_name=form.sender_name.data,
        message=form.message.data or "",
        venue_id=form.venue,
    )
    on_refusal(lambda error: buy_page(form, _chosen_venue(form.venue), error=error.message))
    purchase = start_purchase(current_user, wish)
    payment = payments.start_payment(purchase.order)
    return redirect(payment.checkout_url, 303)


# -- the buyer's purchases -----------------------------------------------------------------------


def purchase_row(purchase: VoucherPurchase, balance_minor: int | None) -> dict[str, Any]:
    voucher = purchase.voucher
    return {
        "id": purchase.id,
        "url": url_for(".purchase", purchase_id=purchase.id),
        "recipient": purchase.recipient_name,
        "recipient_email": purchase.recipient_email,
        "card": voucher_card(voucher, balance_minor=balance_minor or 0) if voucher else None,
        "print_url": url_for(".printable", code=voucher.code) if voucher else None,
        "order_status": purchase.order.status,
    }


@bp.get("/purchases/<int:purchase_id>")
@login_required
@own_row(VoucherPurchase, name="purchase", owner_of=lambda purchase: purchase.buyer_id)  # anyone else's: 404
def purchase(purchase: VoucherPurchase) -> Response:
    """After paying: waits (HTMX asks every 2 s) until the voucher is issued, then shows it."""
    # The order's status first, then the voucher. The worker marks the order paid and issues
    # the voucher in one commit, so whenever this read saw "paid" the next one sees the voucher.
    # The other way round, a commit landing between the reads showed "Not paid" for a paid
    # voucher (and stopped the polling), as a browser journey saw once.
    order_status = purchase.order.status
    voucher = purchase.voucher
    balance = ledger.balance(voucher) if voucher else None
    state = "issued" if voucher else ("waiting" if order_status == "pending_payment" else "unpaid")
    response = render_page("vouchers/purchase.html", "status", state=state, row=purchase_row(purchase, balance))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/mine")
@login_required
def mine() -> Response:
    purchases = get_purchases(current_user)
    found = ledger.balances([p.voucher.id for p in purchases if p.voucher])
    rows = [purchase_row(p, found.get(p.voucher.id)) for p in purchases if p.voucher]
    return render_page("vouchers/mine.html", rows=rows)


# -- by code -------------------------------------------------------------------------------------


@bp.get("/v/<code>")
@lookup_limit()
def printable(code: str) -> Response:
    """The printable voucher: anyone holding the code (the recipient) may see it."""
    voucher = ledger.get_by_code(code[:40])
    if voucher is None:
        abort(404, _("We don't know that gift voucher code."))
    card = voucher_card(voucher, balance_minor=ledger.balance(voucher))
    response = render_page("vouchers/printable.html", card=card, use_url=url_for("main.index"))
    response.headers["Cache-Control"] = "no-store, private"
    # The code is in this URL: the site-wide strict-origin-when-cross-origin referrer policy
    # sends other sites the origin only, never this path.
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.post("/check")
@lookup_limit()
def check() -> Response:
    """The cart's "Check": a code's balance and expiry (or why it can't be used)."""
    form = VoucherCodeForm()
    now = datetime.now(UTC)
    if not form.validate():
        return render_page(
            "vouchers/_check.html",
            "check",
            status=400,
            error=form.voucher_code.errors[0] if form.voucher_code.errors else _("Check the code."),
            card=None,
        )
    voucher = ledger.get_by_code(form.voucher_code.data)

    def refused(error: DomainError) -> Response:  # unknown (404), or not usable now (422)
        card = voucher_card(voucher, balance_minor=ledger.balance(voucher)) if voucher else None
        return render_page(
            "vouchers/_check.html", "check", status=404 if voucher is None else 422, error=error.message, card=card
        )

    on_refusal(refused, kinds=ledger.VoucherRefused)
    ledger.check_usable(voucher, currency=voucher.currency if voucher else "GBP", now=now)
    card = voucher_card(voucher, balance_minor=ledger.balance(voucher), now=now)
    return render_page("vouchers/_check.html", "check", card=card, error=None)
