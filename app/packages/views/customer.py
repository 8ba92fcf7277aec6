"""The customer's package pages, on the booking blueprint: a package's page
(``/packages/<id>``), buying it (POST ``/packages/<id>/buy``) and My packages
(``/account/packages``).

Buying holds an order without bookings and sends the customer to the gateway's checkout, exactly
as a gift voucher or a tip does (``start_payment``); once paid, the return page brings them to My
packages, and checkout covers their bookings of that service from then on. Only a verified
customer account buys, as for gift vouchers; a package switched off, at a venue no longer
listed or at one that can't be paid yet (as checkout) is refused with the reason (409), and a
refusal holds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.packages import service
from app.packages.models import Package
from app.packages.presenting import held_rows, package_page
from app.payments import service as payments
from app.payouts.accounts import takes_paid_bookings, unpayable_message
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.web.blueprints import booking as bp
from app.web.guards import require_booker, sign_in_first
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal


def get_package(package_id: int, *, listed: bool = True) -> Package:
    """The package; a missing one is a 404, and so is one of a venue not listed when ``listed``
    (the page: a hidden listing looks like a missing one). Buying one there is refused with the
    reason instead (``start_purchase``)."""
    package = db.session.get(Package, package_id)
    if package is None or (listed and not package.venue.is_public):
        abort(404)
    return package


def show_package(package: Package, *, error: str | None = None, status: int = 200) -> Response:
    return render_page(
        "packages/customer_package.html",
        status=status,
        package=package_page(package, payable=takes_paid_bookings(package.venue_id)),
        error=error,
        signed_in=current_user.is_authenticated,
        sign_in_url=url_for("accounts.sign_in", next=url_for(".package", package_id=package.id)),
    )


@bp.get("/packages/<int:package_id>", endpoint="package")
def package_detail(package_id: int) -> Response:
    return show_package(get_package(package_id))


@bp.post("/packages/<int:package_id>/buy")
def buy_package(package_id: int) -> Response:
    package = get_package(package_id, listed=False)
    if not current_user.is_authenticated:
        return sign_in_first(
            _("Sign in or create an account to buy a package."), url_for(".package", package_id=package.id)
        )
    require_booker()
    on_refusal(lambda error: show_package(package, error=error.message))
    if not current_user.is_verified:
        raise ValidationFailed(_("Confirm your email address before buying; we sent you a link."))
    if problem := unpayable_message({package.venue_id}):  # as checkout refuses a venue it can't pay
        raise InvalidTransition(problem)
    holding = service.start_purchase(current_user, package)
    payment = payments.start_payment(holding.order)
    return redirect(payment.checkout_url, 303)


@bp.get("/account/packages")
@login_required
def my_packages() -> Response:
    require_booker()
    return render_page("packages/customer_mine.html", packages=held_rows(current_user.id, now=datetime.now(UTC)))
