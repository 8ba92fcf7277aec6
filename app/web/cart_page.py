"""The cart page and the navbar's cart badge, built for the cart's pages and the promo code's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.booking import cart as carts
from app.booking.forms import MAX_QUANTITY
from app.booking.presenting import MEMBER_ARG
from app.memberships.models import Membership
from app.memberships.service import benefits_of, member_price
from app.packages.service import CartNote, cart_notes, covered_policy
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
    # A GET shows the services' menus as this worker remembers them (app/venues/menus.py).
    remembered = request.method in ("GET", "HEAD")
    view = carts.view_cart(owner, now=now, remembered=remembered) if owner else carts.CartView(groups=[], currency=None)
    errors = errors or {}
    discount = get_cart_discount(owner.user_id if owner else None, view, now=now)
    currency = view.currency or "GBP"
    # What the customer's packages will pay for at checkout (app/packages): one read, none for a visitor.
    notes = cart_notes(
        owner.user_id if owner else None,
        [line.item for line in view.lines],
        now=now,
        zone_of=lambda item: timefmt.venue_zone(item.service.venue),
    )
    # The customer's memberships giving their benefits now (app/memberships): one read, none for a visitor.
    members = benefits_of(owner.user_id if owner else None, now=now)
    groups = []
    for group in view.groups:
        zone = timefmt.venue_zone(group.venue)
        groups.append(
            {
                "venue": {"name": group.venue.name, "url": url_for("venues_public.venue_page", slug=group.venue.slug)},
                "total": format_money(group.total_minor, view.currency or "GBP"),
                "lines": [
                    cart_line(
                        line, zone, errors.get(line.item.id), notes.get(line.item.id), members.get(group.venue.id)
                    )
                    for line in group.lines
                ],
            }
        )
    # What packages pay for (a covered line's treatment; its add-ons are still paid).
    packages_minor = sum(
        covered_minor(line) for line in view.lines if line.problem is None and _covered(notes.get(line.item.id))
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
        "packages": format_money(packages_minor, currency) if packages_minor else None,
        "to_pay": format_money(
            max(view.total_minor - packages_minor - (discount.discount_minor if discount else 0), 0), currency
        ),
        "nothing_to_pay": bool(view.lines) and packages_minor >= view.total_minor,
        "has_problems": any(line.problem for line in view.lines),
        "signed_in": current_user.is_authenticated,
        "hold_minutes": current_app.config["HOLD_MINUTES"],
    }


def _covered(note: CartNote | None) -> bool:
    return note is not None and note.covered


def covered_minor(line: carts.CartLine) -> int:
    """What a package pays of a covered line: its treatment, not its add-ons."""
    addons = sum(addon.price_minor for addon in line.addons)
    return max(line.total_minor - addons * line.item.quantity, 0)


def member_note(line: carts.CartLine, membership: Membership | None, note: CartNote | None) -> str | None:
    """ "Member price at checkout: £54.00 (Calm club, 10% off)" for a member of the item's venue,
    unless a package (or the month's included sessions) already covers the item."""
    if membership is None or not membership.discount_percent or not line.unit_price_minor or line.problem:
        return None
    if note is not None and note.covered:
        return None
    price = member_price(line.unit_price_minor, membership.discount_percent) * line.item.quantity
    return _(
        "Member price at checkout: %(price)s (%(plan)s, %(percent)s%% off)",
        price=format_money(price, line.service.currency),
        plan=membership.name,
        percent=membership.discount_percent,
    )


def cart_line(
    line: carts.CartLine,
    zone: ZoneInfo,
    error: str | None,
    note: CartNote | None = None,
    membership: Membership | None = None,
) -> dict[str, Any]:
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
        # A covered line's rule is the package's: a late cancellation uses the session.
        "policy": covered_policy(service.cancel_free_hours) if _covered(note) else line.policy,
        "payment": line.payment,
        "problem": line.problem,
        "restored": line.item.restored_from_order_id is not None,
        "error": error,
        "package_note": {"covered": note.covered, "text": note.text} if note is not None else None,
        # A covered line's price after the package: its add-ons only (£0.00 without any).
        "covered_total": format_money(line.total_minor - covered_minor(line), service.currency)
        if _covered(note) and not line.problem
        else None,
        "member_note": member_note(line, membership, note),
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
