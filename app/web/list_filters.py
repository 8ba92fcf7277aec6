"""The status filter of the admin lists (venues, reviews, reported messages): the ``status`` URL
parameter read and checked against the list's choices, and what the template takes to draw the
choices (``templates/admin/_status_filter.html``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import gettext as _

from app.admin.listing import BadFilter


@dataclass(frozen=True)
class StatusFilter:
    """The chosen filter (``value``, a key of ``choices``) and every choice with its label."""

    value: str
    choices: Mapping[str, Any]

    def context(self) -> dict[str, Any]:
        """What a list's template takes: ``status_filter`` (the chosen key) and ``status_filters``."""
        return {"status_filter": self.value, "status_filters": self.choices}


def chosen_status(choices: Mapping[str, Any], default: str, *, blank_is_default: bool = False) -> StatusFilter:
    """The ``status`` the URL names (``default`` when it names none), refused (``BadFilter``, a 400)
    unless it is one of ``choices``. A blank ``status=`` is refused too, unless ``blank_is_default``."""
    value = request.args.get("status", default).strip()
    if blank_is_default and not value:
        value = default
    if value not in choices:
        raise BadFilter(_("Unknown status filter. Choose one from the list."))
    return StatusFilter(value, choices)
