"""The front desk sells a package (docs/packages.md): ``POST /provider/clients/<id>/packages`` from
the client's card, for a client with a CozyWish account (a package is used by their checkouts and
the desk's bookings). Paid at the venue: no gateway and no transfer (``service.sell_at_desk``).
The desk's roles (owner, manager, receptionist); another venue's client or package is a 404; a
refusal is a page with the reason, a 4xx, and nothing sold."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit import service as audit
from app.clients import service as clients
from app.ops.errors import http_status
from app.packages import service
from app.platform.errors import DomainError, ValidationFailed
from app.platform.money import format_money
from app.venues.models import Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import FRONT_DESK, check_confirm_form, venue_required
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal


def _refused(venue: Venue, client_id: int, error: DomainError) -> Response:
    return render_page(
        "packages/desk_refused.html", status=http_status(error), venue=venue, client_id=client_id, error=error.message
    )


@bp.post("/clients/<int:client_id>/packages")
@venue_required(roles=FRONT_DESK)
def sell_package(venue: Venue, client_id: int) -> Response:
    check_confirm_form()
    client = clients.get_client(venue.id, client_id)  # another venue's client: 404
    on_refusal(lambda error: _refused(venue, client.id, error))
    raw = (request.form.get("package_id") or "").strip()
    if not raw.isdigit():
        raise ValidationFailed(_("Choose one of your packages to sell."), field="package_id")
    package = service.get_offer(venue.id, int(raw))  # another venue's: 404
    if client.user_id is None:
        raise ValidationFailed(
            _("Only a client with a CozyWish account can hold a package: ask them to sign up with this email first.")
        )
    holding = service.sell_at_desk(package, customer_id=client.user_id, staff=current_user, now=datetime.now(UTC))
    audit.record(
        "package.sold_at_desk",
        actor_id=current_user.id,
        about=("package_holding", holding.id),
        client_id=client.id,
        price_minor=holding.price_minor,
    )
    flash(
        _(
            "Sold “%(name)s” to %(client)s: take %(amount)s at the desk. Their bookings of it now cost nothing.",
            name=holding.name,
            client=client.name,
            amount=format_money(holding.price_minor, holding.currency),
        ),
        "success",
    )
    return redirect(url_for("venues_dashboard.client_card", client_id=client.id), 303)
