"""The cart page and the navbar's cart badge, built for the cart's pages and the promo code's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template, url_for
from flask_login import current_user

from app.booking import cart as carts
from app.booking.forms import MAX_QUANTITY
from app.booking.presenting import MEMBER_ARG
from app.platform import timefmt
from app.platform.money import format_money
from app.promos.cart import get_cart_discount


def nav_cart_oob() -> str:
    """The navbar's cart link, for HTMX to swap out-of-band after a cart change."""
    return render_template("booking/_nav_cart.html", oob=True)


def build_cart_page(
    owner: carts.CartOwner | None,
    *,
    now: datetime,
    errors: dict[int, str] | None = None,
    promo_error: str | None = None,
    promo_typed: str = "",
) -> dict[str, Any]:
    view = carts.view_cart(owner, now=now) if owner else carts.CartView(groups=[], currency=None)
    errors = errors or {}
    discount = get_cart_discount(owner.user_id if owner else None, view, now=now)
    currency = view.currency or "GBP"
    groups = []
    for group in view.groups:
        zone = timefmt.venue_zone(group.venue)
        groups.append(
            {
                "venue": {"name": group.venue.name, "url": url_for("venues_public.venue_page", slug=group.venue.slug)},
                "total": format_money(group.total_minor, view.currency or "GBP"),
                "lines": [cart_line(line, zone, errors.get(line.item.id)) for line in group.lines],
            }
        )
    restored = [line for line in view.lines if line.item.restored_from_order_id is not None]
    return {
        "groups": groups,
        "restored": {
            "count": len(restored),
            "gone": [f"{line.service.name} at {line.venue.name}" for line in restored if line.problem],
        },
        "count": len(view.lines),
        "total": format_money(view.total_minor, currency),
        "promo": {
            "code": discount.code.code if discount else None,
            "description": discount.description if discount else None,
            "discount": format_money(discount.discount_minor, currency)
            if discount and discount.discount_minor
            else None,
            "problem": discount.problem if discount else None,
            "error": promo_error,
            "typed": promo_typed,
        },
        "to_pay": format_money(view.total_minor - (discount.discount_minor if discount else 0), currency),
        "has_problems": any(line.problem for line in view.lines),
        "signed_in": current_user.is_authenticated,
        "hold_minutes": current_app.config["HOLD_MINUTES"],
    }


def cart_line(line: carts.CartLine, zone: ZoneInfo, error: str | None) -> dict[str, Any]:
    item, service = line.item, line.service
    # One person with a chosen team member; otherwise up to the places left (or what's chosen).
    max_quantity = 1 if item.team_member_id is not None else min(MAX_QUANTITY, max(line.remaining, item.quantity))
    local_day = item.starts_at.astimezone(zone).date()
    return {
        "id": item.id,
        "service": service.name,
        "option": line.option.name if line.option is not None else None,  # "Massage · 90 min"
        "addons": [addon.name for addon in line.addons],  # "Massage · 90 min + Hot stones"
        "when": timefmt.span_label(item.starts_at, item.starts_at + timedelta(minutes=line.duration_minutes), zone),
        "timezone": zone.key,
        "member": item.team_member.name if item.team_member else "Any available",
        "quantity": item.quantity,
        "max_quantity": max_quantity,
        "unit_price": format_money(line.unit_price_minor, service.currency),
        "total": format_money(line.total_minor, service.currency),
        "expires": timefmt.moment_label(item.expires_at, zone),
        "policy": line.policy,
        "payment": line.payment,
        "problem": line.problem,
        "restored": line.item.restored_from_order_id is not None,
        "error": error,
        "other_time_url": url_for(
            ".book",
            slug=line.venue.slug,
            service_id=service.id,
            month=local_day.strftime("%Y-%m"),
            **({"option": line.option.id} if line.option is not None else {}),
            **({"addons": [addon.id for addon in line.addons]} if line.addons else {}),
            **({MEMBER_ARG: item.team_member_id} if item.team_member_id else {}),  # the person they chose
        ),
    }
