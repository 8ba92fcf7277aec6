"""The provider's booking button page (/provider/booking-button): the venue's own website
origins (where the panel may be framed) and the copy-paste snippet (docs/booking-button.md).
The owner and managers."""

from __future__ import annotations

from flask import Response, request, url_for
from flask_babel import gettext as _

from app.platform.errors import DomainError
from app.platform.urls import absolute_url
from app.venues.models import Venue
from app.venues.site_origins import MAX_ORIGINS, set_site_origins
from app.web.blueprints import dashboard as bp
from app.web.guards import OWNER_AND_MANAGER, venue_required
from app.web.rendering import render_page, toast_if_htmx
from app.web.unit_of_work import on_refusal


def snippet(venue: Venue) -> str:
    """What the owner pastes into their website: our script, and a plain link without it."""
    script = absolute_url("static", filename="js/embed.js")
    page = absolute_url("venues_public.venue_page", slug=venue.slug)
    label = _("Book now")
    return (
        f'<script src="{script}" data-cozywish-venue="{venue.slug}" data-label="{label}" async></script>\n'
        f'<noscript><a href="{page}">{label}</a></noscript>'
    )


@bp.get("/booking-button")
@venue_required(roles=OWNER_AND_MANAGER)
def booking_button(venue: Venue, *, error: str = "", origins_text: str | None = None) -> Response:
    """The page; ``save_site_origins`` shows it again by calling this view, whose guard passes
    the same venue (both routes allow the same roles)."""
    return render_page(
        "venues/booking_button.html",
        "button_panel",
        venue=venue,
        snippet=snippet(venue),
        origins_text=", ".join(venue.site_origins or []) if origins_text is None else origins_text,
        error=error,
        max_origins=MAX_ORIGINS,
        panel_url=url_for("embed.panel", slug=venue.slug),
    )


@bp.post("/booking-button")
@venue_required(roles=OWNER_AND_MANAGER)
def save_site_origins(venue: Venue) -> Response:
    text = request.form.get("origins", "")[:2000]

    def refused(refusal: DomainError) -> Response:
        response = booking_button(error=refusal.message, origins_text=text)
        return toast_if_htmx(response, refusal.message, "danger")

    on_refusal(refused)
    set_site_origins(venue, text)
    response = booking_button()
    return toast_if_htmx(response, _("Website addresses saved."))
