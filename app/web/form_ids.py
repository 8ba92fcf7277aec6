"""One form shown twice on a page needs other element ids the second time: the calendar's
"Block time" form sits in its side panel and again in the calendar's "New" dialog
(templates/booking/calendar/_new_dialog.html). The fields keep their names, so the same route
reads both; only the ids (and the labels' ``for``, and the error and help ids built from them)
change."""

from __future__ import annotations

from flask_wtf import FlaskForm


def prefix_ids(form: FlaskForm, prefix: str) -> FlaskForm:
    """``form`` with each field's id (and its label's) starting with ``prefix``; returns it."""
    for field in form:
        field.id = f"{prefix}{field.id}"
        field.label.field_id = field.id
    return form
