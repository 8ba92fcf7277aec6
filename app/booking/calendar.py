"""The provider's booking calendar: day and week views, actions on bookings, time blocks,
and the private iCal feed (routes on the venues_dashboard blueprint)."""

from app.venues.dashboard import bp  # noqa: F401
