"""Admin: the platform's revenue, each venue's balance, and commission rates per category
(routes on the admin blueprint, /admin/earnings and /admin/commission)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.access import role_required
from app.audit import service as audit
from app.payouts.accounts import STATUS_LABELS, status_of
from app.payouts.earnings import PERIODS, get_balances, get_platform_revenue
from app.payouts.models import CommissionRate, ConnectedAccount
from app.payouts.shares import bp_label, default_rate_bp, get_rates_by_category, percent_to_bp
from app.platform.extensions import db
from app.venues.models import Category, Venue
from app.web.blueprints import admin as bp
from app.web.loaders import admin_row
from app.web.rendering import render_page


@bp.get("/earnings")
@role_required("admin")
def earnings() -> Response:
    period = request.args.get("period", "month")
    if period not in PERIODS:
        abort(400, _("The period is “month” or “week”."))
    balances = get_balances()
    venues = db.session.execute(
        select(Venue, ConnectedAccount)
        .outerjoin(ConnectedAccount, ConnectedAccount.venue_id == Venue.id)
        .where(Venue.id.in_(list(balances)) | ConnectedAccount.id.is_not(None))
        .order_by(Venue.name)
    ).all()
    return render_page(
        "payouts/admin_earnings.html",
        period=period,
        revenue=get_platform_revenue(period),
        venues=[
            {
                "venue": venue,
                "status": status_of(account),
                "status_label": STATUS_LABELS[status_of(account)],
                "totals": balances.get(venue.id),
            }
            for venue, account in venues
        ],
    )


@bp.get("/commission")
@role_required("admin")
def commission(*, status: int = 200, error: str | None = None, error_category: int | None = None) -> Response:
    """The rates; ``set_commission`` shows them again with a refusal by calling this view."""
    rates = get_rates_by_category()
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.name)).all()
    return render_page(
        "payouts/admin_commission.html",
        status=status,
        default_rate=bp_label(default_rate_bp()),
        error=error,
        error_category=error_category,
        categories=[
            {
                "category": c,
                "rate": f"{rates[c.id] / 100:g}" if c.id in rates else "",
                "label": bp_label(rates[c.id]) if c.id in rates else None,
            }
            for c in categories
        ],
    )


@bp.post("/commission/<int:category_id>")
@role_required("admin")
@admin_row(Category)
def set_commission(category: Category) -> Response:
    """Set a category's commission (a percentage), or clear it (empty) to use the default."""
    category_id = category.id
    raw = (request.form.get("percent") or "").strip()[:12]
    row = db.session.get(CommissionRate, category_id, with_for_update=True)
    if raw == "":
        if row is not None:
            db.session.delete(row)
        new = None
    else:
        try:
            new = percent_to_bp(raw)
        except ValueError as exc:
            return commission(status=422, error=str(exc), error_category=category_id)
        if row is None:
            db.session.add(CommissionRate(category_id=category_id, rate_bp=new))
        else:
            row.rate_bp = new
    audit.record("commission.set", actor_id=current_user.id, about=("category", category_id), rate_bp=new)
    flash(
        _(
            "%(category_name)s: commission %(value)s.",
            category_name=category.name,
            value=bp_label(new) if new is not None else _("back to the default"),
        ),
        "success",
    )
    return redirect(url_for("admin.commission"), 303)
