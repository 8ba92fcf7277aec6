"""A venue's packages (courses), on the provider blueprint (docs/packages.md).

``/provider/packages`` lists what the venue offers (each package's sessions, days, price and the
usual price for comparison, on or off) and what it sold: each paid package with its customer,
its sessions used and left, its end in the venue's time zone and its state, and a button that
refunds the sessions left (the price times left/sessions, rounded down; it ends the package).
``/packages/new`` and ``/packages/<id>/edit`` make or change one (what was sold keeps its own
copy), ``/packages/<id>/active`` switches one on or off. The owner and managers only, like promo
codes; another venue's package or sold package is a 404. Every refusal is the page again with
the reason beside its field, a 4xx, and nothing changed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit import service as audit
from app.booking import order_lifecycle
from app.memberships.models import MembershipPeriod
from app.packages import service
from app.packages.forms import FIELDS, PackageForm, form_of, read_offer
from app.packages.models import SESSIONS_RANGE, VALID_DAYS_RANGE, Package, PackageHolding
from app.payments.refunds import refund_order, refundable
from app.platform import timefmt
from app.platform.errors import DomainError, InvalidTransition, LimitReached
from app.platform.extensions import db
from app.platform.money import format_money
from app.venues.models import Service, Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import check_confirm_form, check_form, venue_required
from app.web.loaders import venue_row
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

SOLD_SHOWN = 200  # the newest sold packages the page lists
USUAL_DAYS = (90, 180, 365)  # suggested on the form
STATE_LABELS = {
    "active": _l("Active"),
    "expired": _l("Expired"),
    "used": _l("Used up"),
    "refunded": _l("Refunded"),
}
STATE_BADGES = {
    "active": "text-bg-success",
    "expired": "text-bg-secondary",
    "used": "text-bg-light border",
    "refunded": "text-bg-warning",
}


# -- what the pages show ----------------------------------------------------------------------------


def _services_of(venue: Venue, *, active_only: bool) -> list[Service]:
    """The venue's services with their options, in one statement each (the packages' own
    ``service`` and ``option`` then come from the session, never a statement per package)."""
    query = select(Service).where(Service.venue_id == venue.id).options(selectinload(Service.options))
    if active_only:
        query = query.where(Service.is_active)
    return list(db.session.scalars(query.order_by(Service.position, Service.id)))


def _offer_row(package: Package) -> dict:
    usual = service.usual_price_minor(package)
    return {
        "id": package.id,
        "name": package.name,
        "summary": service.offer_summary(package),
        "price": format_money(package.price_minor, package.currency),
        "usual": format_money(usual, package.currency) if usual > package.price_minor else None,
        "active": package.is_active,
        "service_active": package.service.is_active,
    }


def _local_day(moment: datetime | None, zone) -> str:
    return timefmt.day_words(moment.astimezone(zone).date(), timefmt.DATE) if moment is not None else "—"


def _sold_rows(venue: Venue, now: datetime) -> list[dict]:
    """The venue's paid packages, newest first, with their sessions and what a refund gives back."""
    rows = db.session.execute(
        select(PackageHolding, User.name)
        .join(User, User.id == PackageHolding.customer_id)
        .where(PackageHolding.venue_id == venue.id, PackageHolding.paid_at.is_not(None))
        # a membership's month of sessions is a holding too (app/memberships): not a package sold
        .where(~select(MembershipPeriod.id).where(MembershipPeriod.order_id == PackageHolding.order_id).exists())
        .order_by(PackageHolding.paid_at.desc(), PackageHolding.id.desc())
        .limit(SOLD_SHOWN)
    ).all()
    used = service.used_of([holding.id for holding, _name in rows])
    zone = timefmt.venue_zone(venue)
    sold = []
    for holding, customer_name in rows:
        count = used.get(holding.id, 0)
        left = service.left_of(holding, count)
        held = service.Held(holding, count, left, holding.expires_at is not None and holding.expires_at <= now)
        refund = service.unused_refund_minor(holding, count) if holding.refunded_at is None else 0
        sold.append(
            {
                "id": holding.id,
                "customer": customer_name,
                "name": holding.name,
                "treatment": service.treatment_label(holding.service_name, holding.option_name),
                "bought": _local_day(holding.paid_at, zone),
                "used": count,
                "left": left,
                "sessions": holding.sessions,
                "ends": _local_day(holding.expires_at, zone),
                "state": held.state,
                "state_label": STATE_LABELS[held.state],
                "badge": STATE_BADGES[held.state],
                "refund": format_money(refund, holding.currency) if refund > 0 else None,
                "refunded": format_money(holding.refunded_minor, holding.currency) if holding.refunded_at else None,
            }
        )
    return sold


def _list(venue: Venue, *, error: str | None = None, status: int = 200) -> Response:
    _services_of(venue, active_only=False)
    offers = service.offers_of(venue.id, active_only=False)
    return render_page(
        "packages/provider_list.html",
        status=status,
        venue=venue,
        offers=[_offer_row(p) for p in offers],
        sold=_sold_rows(venue, datetime.now(UTC)),
        sold_shown=SOLD_SHOWN,
        error=error,
    )


def _service_choices(venue: Venue) -> list[dict]:
    return [
        {
            "id": s.id,
            "name": s.name,
            "options": [
                {"id": o.id, "name": o.name, "price": format_money(o.price_minor, s.currency)} for o in s.options
            ],
        }
        for s in _services_of(venue, active_only=True)
    ]


def _form_page(
    venue: Venue,
    form: PackageForm,
    *,
    package: Package | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> Response:
    """The new or edit page; a refusal shown by the field it names, or above the form."""
    general = None
    if error is not None:
        field = getattr(error, "field", None)
        if field == "price_minor":
            field = "price"
        if field in FIELDS:
            form[field].errors = [error.message]
        else:
            general = error.message
    return render_page(
        "packages/provider_form.html",
        status=status,
        venue=venue,
        form=form,
        package=package,
        services=_service_choices(venue),
        error=general,
        sessions_range=SESSIONS_RANGE,
        days_range=VALID_DAYS_RANGE,
        usual_days=USUAL_DAYS,
    )


def _back_to_list(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("venues_dashboard.packages"), 303)


def _terms(package: Package) -> dict:
    """What the audit log keeps of a package."""
    return {
        "name": package.name,
        "service_id": package.service_id,
        "option_id": package.option_id,
        "sessions": package.sessions,
        "valid_days": package.valid_days,
        "price_minor": package.price_minor,
    }


def _save(venue: Venue, form: PackageForm, package: Package | None) -> Response:
    on_refusal(lambda error: _form_page(venue, form, package=package, error=error))
    check_form(form)
    data = read_offer(form)
    before = _terms(package) if package is not None else None
    saved = service.save_offer(venue, data, package=package)
    if before is None:
        audit.record("package.create", actor_id=current_user.id, about=("package", saved.id), **_terms(saved))
        return _back_to_list(_("Package “%(name)s” created.", name=saved.name))
    after = _terms(saved)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    audit.record("package.update", actor_id=current_user.id, about=("package", saved.id), changed=changed)
    return _back_to_list(_("Package “%(name)s” saved.", name=saved.name))


# -- the pages --------------------------------------------------------------------------------------


@bp.get("/packages")
@venue_required
def packages(venue: Venue) -> Response:
    return _list(venue)


@bp.route("/packages/new", methods=["GET", "POST"])
@venue_required
def new_package(venue: Venue) -> Response:
    if request.method == "POST":
        return _save(venue, PackageForm(), None)
    return _form_page(venue, PackageForm(formdata=None, data={"valid_days": "180"}))


# Another venue's package, or sold package, is a 404 (``venue_row``).


@bp.route("/packages/<int:package_id>/edit", methods=["GET", "POST"])
@venue_required
@venue_row(Package)
def edit_package(venue: Venue, package: Package) -> Response:
    if request.method == "POST":
        return _save(venue, PackageForm(), package)
    return _form_page(venue, form_of(package), package=package)


@bp.post("/packages/<int:package_id>/active")
@venue_required
@venue_row(Package, for_update=True)
def set_package_active(venue: Venue, package: Package) -> Response:
    """Switch a package on (``active=1``) or off: off, it is no longer sold; what was sold stays."""
    check_confirm_form()
    on_refusal(lambda error: _list(venue, error=error.message))
    active = request.form.get("active") == "1"
    if active and not package.is_active:
        live = sum(1 for p in service.offers_of(venue.id, active_only=False) if p.is_active)
        if live >= service.MAX_OFFERS:
            raise LimitReached(_("A venue can offer up to %(count)s packages at once.", count=service.MAX_OFFERS))
    if package.is_active != active:
        package.is_active = active
        audit.record(
            "package.reactivate" if active else "package.deactivate",
            actor_id=current_user.id,
            about=("package", package.id),
            from_state="inactive" if active else "active",
            to_state="active" if active else "inactive",
            name=package.name,
        )
    if active:
        return _back_to_list(_("Package “%(name)s” is on sale again.", name=package.name))
    return _back_to_list(_("Package “%(name)s” is switched off: no longer sold.", name=package.name))


@bp.post("/packages/sold/<int:holding_id>/refund")
@venue_required
@venue_row(PackageHolding, name="holding")
def refund_package(venue: Venue, holding: PackageHolding) -> Response:
    """Refund a sold package's unused sessions to the customer, and end it."""
    check_confirm_form()
    on_refusal(lambda error: _list(venue, error=error.message))
    now = datetime.now(UTC)
    order = order_lifecycle.lock_order(holding.order_id)  # the order first, then the package (refunds' rule)
    amount = service.check_refundable(holding, now=now)
    left = service.left_of(holding, service.used_of([holding.id]).get(holding.id, 0))
    at_desk = holding.sold_by_id is not None  # paid at the venue: given back there, not by the gateway
    if not at_desk:
        amount = min(amount, refundable(order))  # an admin may have refunded part of it already
        if amount <= 0:
            raise InvalidTransition(_("This order was refunded already, so there is nothing left to refund."))
        amount = refund_order(order, amount, reason=f"Unused package sessions ({holding.name})")
    service.mark_refunded(holding, amount, now=now)
    audit.record(
        "package.refund",
        actor_id=current_user.id,
        about=("package_holding", holding.id),
        amount_minor=amount,
        sessions=left,
        order_id=order.id,
    )
    money = format_money(amount, holding.currency)
    if at_desk:
        return _back_to_list(
            ngettext(
                "Ended the package: give the client %(amount)s back at the desk for %(num)d unused session.",
                "Ended the package: give the client %(amount)s back at the desk for %(num)d unused sessions.",
                left,
                amount=money,
            )
        )
    return _back_to_list(
        ngettext(
            "Refunded %(amount)s for %(num)d unused session.",
            "Refunded %(amount)s for %(num)d unused sessions.",
            left,
            amount=money,
        )
    )
