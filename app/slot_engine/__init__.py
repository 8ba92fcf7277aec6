"""The slot engine: pure functions over plain values. No Flask, no database session."""

from app.slot_engine.engine import (
    Busy,
    MemberSchedule,
    Part,
    Rules,
    ServiceSpec,
    Slot,
    available_slots,
    bookable_days,
    free_start_minutes,
    has_slot_within,
    member_works,
    slot_at,
    visit_days,
    visit_starts,
)

__all__ = [
    "Busy",
    "MemberSchedule",
    "Part",
    "Rules",
    "ServiceSpec",
    "Slot",
    "available_slots",
    "bookable_days",
    "free_start_minutes",
    "has_slot_within",
    "member_works",
    "slot_at",
    "visit_days",
    "visit_starts",
]
