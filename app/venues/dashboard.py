"""The provider's dashboard: the onboarding wizard, whose steps stay editable pages later.

Routes for the venue profile (basics, location, hours, closures, review) live here;
app/venues/catalog.py adds services, team, FAQs and images to the same blueprint.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from app.accounts.access import role_required
from app.venues.models import Venue
from app.venues.service import WIZARD_STEPS, get_venue_for_owner

bp = Blueprint("venues_dashboard", __name__, url_prefix="/provider")

STEP_LABELS = {
    "basics": "Basics",
    "location": "Location",
    "hours": "Opening hours",
    "services": "Services",
    "team": "Team",
    "faqs": "FAQs",
    "images": "Photos",
    "review": "Review and submit",
}


def venue_required(view: Callable) -> Callable:
    """A provider with a venue: passes ``venue`` (their own, always) to the view.

    A provider only ever reaches their own venue: it is loaded by owner, never from the URL.
    Without a venue yet, they are sent to the first wizard step.
    """

    @role_required("provider")
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        venue = get_venue_for_owner(current_user.id)
        if venue is None:
            return redirect(url_for("venues_dashboard.basics"))
        return view(*args, venue=venue, **kwargs)

    return wrapped


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
