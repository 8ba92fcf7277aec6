"""What our forms share: the text field most of them hold (required, refused empty with its own
message, or optional; at most so many characters, saying so in the form's own words), and a
parser's complaint turned into the field's error. ``required_text`` is the same rule for a
service that takes the text as a plain value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wtforms import Field, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length, Optional, ValidationError

from app.platform.errors import ValidationFailed


def text_field(
    label: str, required: Any, max_length: int, too_long: str, *, field: type[Field] = StringField, **kwargs: Any
) -> UnboundField:
    """A ``field`` (a StringField unless named) of at most ``max_length`` characters, ``too_long``
    saying so. ``required`` is the validator that refuses it empty (DataRequired or InputRequired,
    with their message), or None for an optional field."""
    first = Optional() if required is None else required
    return field(label, validators=[first, Length(max=max_length, message=too_long)], **kwargs)


def checked(parse: Callable[..., Any], *args: Any) -> Any:
    """``parse(*args)``, its ValueError (the message says what is wrong) the field's error."""
    try:
        return parse(*args)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def required_text(raw: str | None, *, missing: str, max_length: int, too_long: str, field: str | None = None) -> str:
    """``raw`` without the spaces around it; ValidationFailed (naming ``field``) saying ``missing``
    when that leaves nothing, or ``too_long`` when it has more than ``max_length`` characters."""
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed(missing, field=field)
    if len(text) > max_length:
        raise ValidationFailed(too_long, field=field)
    return text
