"""Privacy services the rest of the app calls: who looked at whose personal data."""

from __future__ import annotations

from app.audit import service as audit


def record_personal_data_view(*, viewer_id: int, user_id: int, page: str) -> None:
    """An administrator opened a page showing ``user_id``'s personal data (UK GDPR accountability)."""
    audit.record("personal_data.viewed", actor_id=viewer_id, about=("user", user_id), page=page)
