"""Gift voucher pages: buying one (an amount, or a treatment at one venue), the buyer's
purchase and vouchers, the printable voucher, and the cart's "check a code".

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
from app.platform.money import format_money
from app.venues.models import Service, Venue, VenueStatus
from app.venues.options import from_price
from app.vouchers import ledger
from app.vouchers.forms import BuyTreatmentForm, BuyVoucherForm, VoucherCodeForm, parse_id, parse_ids
from app.vouchers.models import VoucherPurchase
from app.vouchers.presenting import voucher_card
from app.vouchers.purchase import PurchaseRequest, get_purchases, start_purchase, validity_months
from app.vouchers.treatments import (
    Treatment,
    TreatmentWish,
    choose_treatment,
    describe_treatment,
    find_treatment,
    get_giftable_services,
)
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


# -- a treatment gift ----------------------------------------------------------------------------


def _service_row(venue: Venue, service: Service, chosen: Treatment | None) -> dict[str, Any]:
    low, more = from_price(service)
    price = format_money(low, service.currency)
    return {
        "id": service.id,
        "name": service.name,
        "price": _("from %(price)s", price=price) if more else price,
        "url": url_for(".treatment", venue=venue.slug, service_id=service.id),
        "chosen": chosen is not None and chosen.service.id == service.id,
    }


def _chosen_rows(treatment: Treatment) -> dict[str, Any]:
    """The chosen service's options and add-ons as the form shows them, with today's prices."""
    service, currency = treatment.service, treatment.service.currency
    picked = {addon.id for addon in treatment.addons}
    return {
        "id": service.id,
        "name": service.name,
        "options": [
            {
                "id": o.id,
                "name": o.name,
                "minutes": o.duration_minutes,
                "price": format_money(o.price_minor, currency),
                "checked": treatment.option is not None and o.id == treatment.option.id,
            }
            for o in service.options
        ],
        "addons": [
            {
                "id": a.id,
                "name": a.name,
                "price": format_money(a.price_minor, currency),
                "checked": a.id in picked,
            }
            for a in service.addons
        ],
        "total": format_money(treatment.price_minor, currency),
        "label": describe_treatment(
            minutes=treatment.minutes,
            service_name=service.name,
            option_name=treatment.option.name if treatment.option else None,
            addon_names=[a.name for a in treatment.addons],
            venue_name=treatment.venue.name,
        ),
    }


def treatment_page(
    form: BuyTreatmentForm,
    venue: Venue,
    chosen: Treatment | None,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    services = get_giftable_services(venue)
    return render_page(
        "vouchers/treatment.html",
        "total",
        status=status,
        form=form,
        venue={"id": venue.id, "name": venue.name, "slug": venue.slug},
        services=[_service_row(venue, s, chosen) for s in services],
        chosen=_chosen_rows(chosen) if chosen else None,
        error=error,
        months=validity_months(current_app.config),
        signed_in=current_user.is_authenticated,
    )


@bp.get("/treatment")
def treatment() -> Response:
    """Give a treatment at one venue: its services, then the chosen one's options and add-ons
    with today's prices; HTMX re-renders the total when the choice changes."""
    venue = _chosen_venue(request.args.get("venue", "")[:200] or None)
    if venue is None:
        abort(404, _("That venue doesn't take gift vouchers."))
    form = BuyTreatmentForm(formdata=None, venue_id=str(venue.id))
    if current_user.is_authenticated:
        form.sender_name.data = current_user.name
    try:
        service_id = parse_id(request.args.get("service_id", "")[:20])
        option_id = parse_id(request.args.get("option_id", "")[:20])
        addon_ids = parse_ids([raw[:20] for raw in request.args.getlist("addon_ids")])
    except ValueError:
        return treatment_page(form, venue, None, error=_("Choose a treatment from the list."), status=400)
    if service_id is None:
        return treatment_page(form, venue, None)
    on_refusal(lambda error: treatment_page(form, venue, None, error=error.message))
    chosen = choose_treatment(venue.id, TreatmentWish(service_id, option_id, addon_ids))
    form.service_id.data = str(chosen.service.id)
    return treatment_page(form, venue, chosen)


@bp.post("/treatment")
def start_treatment() -> Response:
    form = BuyTreatmentForm()
    venue = _chosen_venue(int(form.venue_id.data) if (form.venue_id.data or "").strip().isdigit() else None)
    back = url_for(".treatment", venue=venue.slug) if venue else url_for(".buy")
    if not current_user.is_authenticated:
        return sign_in_first(_("Sign in or create an account to buy a gift voucher."), back)
    require_booker()
    if venue is None:
        abort(404, _("That venue doesn't take gift vouchers."))

    def again(error: str, status: int = 200) -> Response:
        """The form again, with what was typed and, if it still names one, the treatment chosen
        (a refusal's own status replaces the 200: app/web/unit_of_work.py)."""
        chosen = find_treatment(venue.id, form.wish_or_none())
        return treatment_page(form, venue, chosen, error=error, status=status)

    if not form.validate():
        return again(form.first_error(), 400)
    wish = PurchaseRequest(
        amount_minor=0,  # a treatment's price is today's, worked out by the service
        recipient_name=form.recipient_name.data,
        recipient_email=form.recipient_email.data,
        sender_name=form.sender_name.data,
        message=form.message.data or "",
        venue_id=venue.id,
        treatment=TreatmentWish(form.service, form.option, form.addons),
    )
    on_refusal(lambda error: again(error.message))
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
