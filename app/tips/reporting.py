"""What earnings and analytics read of tips: one aggregate statement per question, by team member.

Payouts (the Earnings page) and analytics (the "Tips per team member" table) ask this function
rather than reading the table. A tip counts in the period its order was paid (``paid_at``, UTC
bounds the caller gives in the venue's time); what was refunded of it is its order's
``refunded_minor``. Nothing here is commission: a tip is the venue's whole (docs/tips.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.booking.models import Order
from app.platform.extensions import db
from app.tips.models import Tip


@dataclass(frozen=True)
class MemberTips:
    """The tips of one team member (``member_id`` None: tips for the venue as a whole)."""

    member_id: int | None
    name: str | None  # the member's name when tipped; None for the venue
    tips: int
    amount_minor: int
    refunded_minor: int
    currency: str

    @property
    def net_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


def tips_by_member(
    venue_id: int, start: datetime | None = None, end: datetime | None = None, *, member_id: int | None = None
) -> list[MemberTips]:
    """The venue's paid tips (paid in [start, end) when given) per team member, most first;
    ``member_id`` narrows them to one member's."""
    name = func.max(Tip.team_member_name)
    amount = func.sum(Tip.amount_minor)
    query = (
        select(Tip.team_member_id, name, func.count(), amount, func.sum(Order.refunded_minor), Tip.currency)
        .join(Order, Order.id == Tip.order_id)
        .where(Tip.venue_id == venue_id, Tip.paid_at.is_not(None))
        .group_by(Tip.team_member_id, Tip.currency)
        .order_by(amount.desc(), name)
    )
    if start is not None:
        query = query.where(Tip.paid_at >= start)
    if end is not None:
        query = query.where(Tip.paid_at < end)
    if member_id is not None:
        query = query.where(Tip.team_member_id == member_id)
    return [
        MemberTips(member, member_name, int(count), int(total or 0), int(refunded or 0), currency)
        for member, member_name, count, total, refunded, currency in db.session.execute(query)
    ]
