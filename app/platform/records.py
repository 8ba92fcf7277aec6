"""Rows as plain dicts: an object's attributes under their own names."""

from __future__ import annotations

from typing import Any


def attributes(obj: Any, *names: str) -> dict[str, Any]:
    """``{name: obj.name}`` for each of ``names``, in their order."""
    return {name: getattr(obj, name) for name in names}
