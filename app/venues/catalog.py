"""Dashboard pages for services, team, FAQs and photos (on the venues_dashboard blueprint)."""

from app.venues.dashboard import bp  # noqa: F401
