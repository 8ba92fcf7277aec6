"""Admin: the approval queue, previews and decisions (routes on the admin blueprint)."""

from app.admin.routes import bp  # noqa: F401
