"""The onboarding wizard's steps and context, shared by the dashboard's pages, the catalogue's
and the team schedules'."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.venues.models import Venue
from app.venues.service import WIZARD_STEPS

STEP_LABELS = {
    "basics": _l("Basics"),
    "location": _l("Location"),
    "hours": _l("Opening hours"),
    "services": _l("Services"),
    "team": _l("Team"),
    "faqs": _l("FAQs"),
    "images": _l("Photos"),
    "review": _l("Review and submit"),
}


def wizard_context(venue: Venue | None, step: str) -> dict[str, Any]:
    """What the progress indicator needs: every step, which is current, which are reachable."""
    reached = WIZARD_STEPS.index(venue.onboarding_step) if venue else 0
    return {
        "steps": [(s, STEP_LABELS[s], i <= reached) for i, s in enumerate(WIZARD_STEPS)],
        "current_step": step,
        "step_number": WIZARD_STEPS.index(step) + 1,
        "step_count": len(WIZARD_STEPS),
        "next_step": WIZARD_STEPS[WIZARD_STEPS.index(step) + 1] if step != WIZARD_STEPS[-1] else None,
    }


def _onboarding(venue: Venue | None) -> bool:
    return venue is None or venue.onboarding_step != WIZARD_STEPS[-1]
