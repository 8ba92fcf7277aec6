"""The slot engine: pure functions over plain values. No Flask, no database session."""

from app.scheduling.engine import (
    Busy,
    Rules,
    ServiceSpec,
    Slot,
    available_slots,
    bookable_days,
)

__all__ = ["Busy", "Rules", "ServiceSpec", "Slot", "available_slots", "bookable_days"]
