"""The "Book a visit" page's inputs (app/booking/views/visits.py): the treatments in order, each
"service_id" or "service_id:option_id", and the chosen start.

Only what can't be read is refused here (a 400); whether the treatments make a visit (how many,
whose services, which options) and whether the time still fits are the visit's own rules
(app/booking/visits.py), refused there with a message (a 422).
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import InputRequired

from app.booking.forms import BadInput, RepeatedField, parse_instant
from app.booking.visits import Treatment
from app.platform.form_fields import checked
from app.platform.input_guard import MAX_ID

# More than a visit ever has (app/booking/visits.MAX_TREATMENTS): past this a request is not a
# visit too long but a form that was tampered with.
MAX_TREATMENT_VALUES = 10
_TREATMENT_RE = re.compile(r"(\d{1,12})(?::(\d{1,12}))?")


def parse_treatment(text: str) -> Treatment:
    """ "12" or "12:3" (service 12, its option 3) -> that treatment; BadInput otherwise."""
    match = _TREATMENT_RE.fullmatch((text or "").strip())
    if match is None:
        raise BadInput(_("That treatment can't be read: choose one from the list."))
    service_id, option_id = int(match.group(1)), int(match.group(2)) if match.group(2) else None
    if not 1 <= service_id <= MAX_ID or (option_id is not None and not 1 <= option_id <= MAX_ID):
        raise BadInput(_("That treatment can't be read: choose one from the list."))
    return Treatment(service_id, option_id)


def parse_treatments(values: list[str]) -> list[Treatment]:
    """Every treatment of a visit, in order; BadInput when one is missing or can't be read."""
    if len(values) > MAX_TREATMENT_VALUES:
        raise BadInput(_("That visit can't be read: choose its treatments from the lists."))
    if any(not value.strip() for value in values):
        raise BadInput(_("Choose a treatment in every row."))
    return [parse_treatment(value) for value in values]


class VisitForm(FlaskForm):
    """A visit for the cart: its treatments (``treatments``, repeated, in order) and its start
    (ISO 8601, UTC). Only ids and a time: prices and lengths always come from the server."""

    treatments = RepeatedField(_l("Treatments"))
    starts_at = HiddenField(_l("Time"), validators=[InputRequired(_l("Pick a time from the list."))])

    def validate_treatments(self, field: RepeatedField) -> None:
        self.chosen: list[Treatment] = checked(parse_treatments, field.data or [])

    def validate_starts_at(self, field: HiddenField) -> None:
        self.start = checked(parse_instant, field.data)

    def first_error(self) -> str:
        return next(iter(e for errors in self.errors.values() for e in errors), _("Check your choice and try again."))
