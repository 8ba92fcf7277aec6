"""Imports every model module, so Alembic and the tests see the whole schema."""

from app.accounts.models import SignInThrottle, User  # noqa: F401
from app.admin.models import AuditEntry  # noqa: F401
