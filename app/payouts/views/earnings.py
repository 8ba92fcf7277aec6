"""The provider's Payouts and Earnings pages (on the dashboard blueprint, /provider/...).

Every page works on the signed-in provider's own venue, loaded by owner (``venue_required``),
never from the URL: there is no venue id to change.
"""

from __future__ import annotations

from datetime import date

from flask import Response, abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.payouts import accounts as payout_accounts
from app.payouts.demo_connect import account_object, deliver
from app.payouts.earnings import (
    PERIODS,
    get_booking_lines,
    get_period_rows,
    get_venue_totals,
    lines_csv,
    local_range,
    period_bounds,
    period_label,
)
from app.payouts.models import Payout
from app.payouts.shares import bp_label, rate_for_venues
from app.platform.errors import DomainError
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import moment_label, venue_zone
from app.tips.reporting import tips_by_member
from app.venues.models import Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import OWNER_ONLY, venue_required
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal


@bp.get("/payouts")
@venue_required(roles=OWNER_ONLY)
def payouts(venue: Venue) -> Response:
    """The Payouts page. ``payouts_connect`` shows it again by calling this view, whose guard
    passes the same venue (both routes are the owner's only)."""
    account = payout_accounts.get_account(venue.id)
    zone = venue_zone(venue.timezone)
    recent = db.session.scalars(
        select(Payout).where(Payout.venue_id == venue.id).order_by(Payout.created_at.desc()).limit(20)
    ).all()
    return render_page(
        "payouts/payouts.html",
        venue=venue,
        account=payout_accounts.describe(account),
        totals=get_venue_totals(venue.id),
        rate=bp_label(rate_for_venues([venue.id])[venue.id]),
        collect_before_enabled=payout_accounts.collect_before_enabled(),
        payouts=[
            {
                "id": p.payout_id,
                "amount": format_money(p.amount_minor, p.currency),
                "status": p.status.replace("_", " "),
                "arrival": moment_label(p.arrival_at, zone) if p.arrival_at else "",
            }
            for p in recent
        ],
    )


@bp.post("/payouts/connect")
@venue_required(roles=OWNER_ONLY)
def payouts_connect(venue: Venue) -> Response:
    """Make the venue's payout account if needed and go to the gateway's onboarding."""

    def refused(error: DomainError) -> Response:
        flash(error.message, "danger")
        return payouts()

    on_refusal(refused)
    return redirect(payout_accounts.start_onboarding(venue), 303)


@bp.get("/payouts/return")
@venue_required(roles=OWNER_ONLY)
def payouts_return(venue: Venue) -> Response:
    """Back from the gateway's onboarding: ask it where the account stands now."""
    account = payout_accounts.get_account(venue.id)
    if account is None:
        return redirect(url_for(".payouts"))
    on_refusal(lambda error: back_to_payouts(error, "warning"))
    payout_accounts.refresh_account(account)
    view = payout_accounts.describe(account)
    flash(
        _("Payout account: %(view_label)s.", view_label=view.label), "success" if view.status == "enabled" else "info"
    )
    return redirect(url_for(".payouts"))


@bp.get("/payouts/refresh")
@venue_required(roles=OWNER_ONLY)
def payouts_refresh(venue: Venue) -> Response:
    """The onboarding link ran out (or was opened twice): Stripe sends the owner here; a new
    link takes them back."""
    if payout_accounts.get_account(venue.id) is None:
        return redirect(url_for(".payouts"))
    on_refusal(lambda error: back_to_payouts(error, "danger"))
    return redirect(payout_accounts.start_onboarding(venue), 303)


def back_to_payouts(error: DomainError, category: str) -> Response:
    flash(error.message, category)
    return redirect(url_for(".payouts"))


# -- the Demo gateway's onboarding (Stripe's hosted page, played in-app) -----------------------------


def _demo_account(venue: Venue):
    account = payout_accounts.get_account(venue.id)
    if account is None or account.gateway != "demo" or current_app.config.get("STRIPE_SECRET_KEY"):
        abort(404)
    return account


@bp.get("/payouts/demo-onboarding")
@venue_required(roles=OWNER_ONLY)
def payouts_demo_onboarding(venue: Venue) -> Response:
    account = _demo_account(venue)
    return render_page("payouts/demo_onboarding.html", venue=venue, account=account, error=None)


@bp.post("/payouts/demo-onboarding")
@venue_required(roles=OWNER_ONLY)
def payouts_demo_onboarding_submit(venue: Venue) -> Response:
    account = _demo_account(venue)
    outcome = request.form.get("outcome", "")
    if outcome not in ("complete", "incomplete"):
        return render_page(
            "payouts/demo_onboarding.html",
            status=422,
            venue=venue,
            account=account,
            error=_("Choose how the demo onboarding ends."),
        )
    deliver("account.updated", account_object(account.account_id, complete=outcome == "complete", venue_id=venue.id))
    return redirect(url_for(".payouts_return"), 303)


# -- earnings ----------------------------------------------------------------------------------------


def _period_args() -> tuple[str, date | None]:
    period = request.args.get("period", "month")
    if period not in PERIODS:
        abort(400, _("The period is “month” or “week”."))
    raw = request.args.get("start", "")
    if not raw:
        return period, None
    try:
        return period, date.fromisoformat(raw[:10])
    except ValueError:
        abort(400, _("The start is a date like 2026-11-01."))


@bp.get("/earnings")
@venue_required(roles=OWNER_ONLY)
def earnings(venue: Venue) -> Response:
    period, start = _period_args()
    rows = get_period_rows(venue, period)
    chosen = start or (rows[0].start if rows else None)
    lines, chosen_label, tips = [], None, []
    if chosen is not None:
        first, after = period_bounds(period, chosen)
        lines = get_booking_lines(venue, *local_range(venue, first, after))
        tips = tips_by_member(venue.id, *local_range(venue, first, after))  # no commission: docs/tips.md
        chosen = first
        chosen_label = period_label(period, first)
    return render_page(
        "payouts/earnings.html",
        "earnings_body",
        venue=venue,
        period=period,
        rows=rows,
        chosen=chosen,
        chosen_label=chosen_label,
        lines=[
            {
                "line": line,
                "gross": format_money(line.gross_minor, line.currency),
                "commission": format_money(line.commission_minor, line.currency),
                "refunded": format_money(line.refunded_minor, line.currency),
                "net": format_money(line.net_minor, line.currency),
            }
            for line in lines
        ],
        totals=get_venue_totals(venue.id),
        tips=[
            {
                "name": row.name or venue.name,
                "tips": row.tips,
                "amount": format_money(row.amount_minor, row.currency),
                "refunded": format_money(row.refunded_minor, row.currency),
                "net": format_money(row.net_minor, row.currency),
            }
            for row in tips
        ],
        tips_total=format_money(sum(row.net_minor for row in tips), venue.currency) if tips else None,
    )


@bp.get("/earnings.csv")
@venue_required(roles=OWNER_ONLY)
def earnings_csv(venue: Venue) -> Response:
    period, start = _period_args()
    if start is None:
        lines = get_booking_lines(venue)
        name = f"earnings-{venue.slug}-all.csv"
    else:
        first, after = period_bounds(period, start)
        lines = get_booking_lines(venue, *local_range(venue, first, after))
        name = f"earnings-{venue.slug}-{period}-{first.isoformat()}.csv"
    response = make_response(lines_csv(lines))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
