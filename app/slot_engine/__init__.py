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
)

__all__ = [
    "Busy",
    "MemberSchedule",
    "Rules",
    "ServiceSpec",
    "Slot",
    "available_slots",
    "bookable_days",
    "free_start_minutes",
    "has_slot_within",
    "member_works",
]
