"""The "Book a visit" page's inputs (app/booking/views/visits.py): how many guests, each guest's
treatments in order, their add-ons and names, and the chosen start.

A treatment row reads "service_id" or "service_id:option_id"; an add-on picked on the page
"guest:row:addon_id". The form that adds a visit carries each treatment as one value,
"[guest/]service_id[:option_id][+addon_id...]" (no guest: guest 1), so "12:3+7" is service 12
with its option 3 and add-on 7, and "2/15" guest 2's service 15.

Only what can't be read is refused here (a 400); whether the treatments make a visit (how many,
whose services, which options and add-ons, which guests) and whether the time still fits are
the visit's own rules (app/booking/visits.py), refused there with a message (a 422).
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import InputRequired, ValidationError

from app.booking.forms import BadInput, RepeatedField, parse_instant
from app.booking.visits import GUEST_NAME_MAX, MAX_GUESTS, MAX_TREATMENTS, Treatment
from app.platform.form_fields import checked
from app.platform.input_guard import MAX_ID
from app.venues.addons import MAX_ADDONS

# More than a visit ever has (every guest's treatments, app/booking/visits.py): past this a
# request is not a visit too big but a form that was tampered with.
MAX_TREATMENT_VALUES = MAX_GUESTS * MAX_TREATMENTS + 6
_TREATMENT_RE = re.compile(r"(\d{1,12})(?::(\d{1,12}))?")
_POSTED_RE = re.compile(rf"(?:(\d{{1,2}})/)?(\d{{1,12}})(?::(\d{{1,12}}))?((?:\+\d{{1,12}}){{0,{MAX_ADDONS}}})")
_ADDON_PICK_RE = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,12})")


def _ids_in_range(*ids: int | None) -> bool:
    return all(i is None or 1 <= i <= MAX_ID for i in ids)


def parse_treatment(text: str) -> Treatment:
    """ "12" or "12:3" (service 12, its option 3) -> that treatment; BadInput otherwise."""
    match = _TREATMENT_RE.fullmatch((text or "").strip())
    if match is None:
        raise BadInput(_("That treatment can't be read: choose one from the list."))
    service_id, option_id = int(match.group(1)), int(match.group(2)) if match.group(2) else None
    if not _ids_in_range(service_id, option_id):
        raise BadInput(_("That treatment can't be read: choose one from the list."))
    return Treatment(service_id, option_id)


def parse_guest_count(text: str | None) -> int:
    """The page's "Guests" choice: 1 (absent) to ``MAX_GUESTS``; BadInput otherwise."""
    text = (text or "1").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 2 and 1 <= int(text) <= MAX_GUESTS):
        raise BadInput(_("Book for 1 to %(num)d guests.", num=MAX_GUESTS))
    return int(text)


def parse_addon_pick(text: str) -> tuple[int, int, int]:
    """ "2:1:7" -> (guest 2, treatment row 1, add-on 7); BadInput otherwise."""
    match = _ADDON_PICK_RE.fullmatch((text or "").strip())
    if match is None or not all(int(n) >= 1 for n in match.groups()) or not _ids_in_range(int(match.group(3))):
        raise BadInput(_("That add-on can't be read: choose one from the list."))
    guest, row, addon_id = (int(n) for n in match.groups())
    return guest, row, addon_id


def parse_guest_name(text: str | None) -> str:
    """A guest's name as typed (optional), trimmed; BadInput when it is too long."""
    name = (text or "").strip()
    if len(name) > GUEST_NAME_MAX:
        raise BadInput(_("Use at most %(num)d characters for a name.", num=GUEST_NAME_MAX))
    return name


def parse_posted_treatment(text: str) -> Treatment:
    """ "[guest/]service[:option][+addon...]" (see the module's docstring) -> that treatment."""
    match = _POSTED_RE.fullmatch((text or "").strip())
    if match is None:
        raise BadInput(_("That treatment can't be read: choose one from the list."))
    guest = int(match.group(1)) if match.group(1) else 1
    service_id, option_id = int(match.group(2)), int(match.group(3)) if match.group(3) else None
    addon_ids = tuple(int(n) for n in match.group(4).split("+")[1:])
    if not _ids_in_range(service_id, option_id, *addon_ids):
        raise BadInput(_("That treatment can't be read: choose one from the list."))
    return Treatment(service_id, option_id, addon_ids=addon_ids, guest=guest)


def treatment_value(treatment: Treatment) -> str:
    """The value ``parse_posted_treatment`` reads back: "12", "12:3+7", "2/15"."""
    text = str(treatment.service_id)
    if treatment.option_id is not None:
        text += f":{treatment.option_id}"
    text += "".join(f"+{addon_id}" for addon_id in treatment.addon_ids)
    return text if treatment.guest == 1 else f"{treatment.guest}/{text}"


def parse_treatments(values: list[str]) -> list[Treatment]:
    """Every treatment of a visit, in order; BadInput when one is missing or can't be read."""
    if len(values) > MAX_TREATMENT_VALUES:
        raise BadInput(_("That visit can't be read: choose its treatments from the lists."))
    if any(not value.strip() for value in values):
        raise BadInput(_("Choose a treatment in every row."))
    return [parse_posted_treatment(value) for value in values]


def parse_guest_names(values: list[str]) -> list[str]:
    """The guests' names in guest order (optional, each at most ``GUEST_NAME_MAX`` characters)."""
    if len(values) > MAX_GUESTS:
        raise BadInput(_("Book for 1 to %(num)d guests.", num=MAX_GUESTS))
    return [parse_guest_name(value) for value in values]


class VisitForm(FlaskForm):
    """A visit for the cart: its treatments (``treatments``, repeated, each guest's in order),
    the guests' names (``guest_names``, repeated, in guest order; none for one guest) and its
    start (ISO 8601, UTC). Only ids, names and a time: prices and lengths come from the server."""

    treatments = RepeatedField(_l("Treatments"))
    guest_names = RepeatedField(_l("Names"))
    starts_at = HiddenField(_l("Time"), validators=[InputRequired(_l("Pick a time from the list."))])

    def validate_treatments(self, field: RepeatedField) -> None:
        self.chosen: list[Treatment] = checked(parse_treatments, field.data or [])

    def validate_guest_names(self, field: RepeatedField) -> None:
        self.names: list[str] = checked(parse_guest_names, field.data or [])
        guests = {t.guest for t in getattr(self, "chosen", [])}
        if len(self.names) > max(guests, default=1):
            raise ValidationError(_("Choose a treatment for every guest."))

    def validate_starts_at(self, field: HiddenField) -> None:
        self.start = checked(parse_instant, field.data)

    def guest_count(self) -> int:
        return len({t.guest for t in self.chosen})

    def first_error(self) -> str:
        return next(iter(e for errors in self.errors.values() for e in errors), _("Check your choice and try again."))
