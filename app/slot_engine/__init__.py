"""The slot engine: pure functions over plain values. No Flask, no database session."""

from app.slot_engine.engine import (
    Busy,
    MemberSchedule,
    Rules,
    ServiceSpec,
    Slot,
    available_slots,
    bookable_days,
    free_start_minutes,
    has_slot_within,
    member_works,
    slot_at,
)
from app.slot_engine.visits import Part, Placed, group_days, group_starts, visit_days, visit_starts

__all__ = [
    "Busy",
    "MemberSchedule",
    "Part",
    "Placed",
    "Rules",
    "ServiceSpec",
    "Slot",
    "available_slots",
    "bookable_days",
    "free_start_minutes",
    "group_days",
    "group_starts",
    "has_slot_within",
    "member_works",
    "slot_at",
    "visit_days",
    "visit_starts",
]
