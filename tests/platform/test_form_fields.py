"""The bounded text field: refused empty with its own message, or optional; refused too long with
the form's own words. A parser's complaint becomes the field's error. ``required_text``, the same
rule for a service's plain value."""

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import TextAreaField
from wtforms.validators import DataRequired, ValidationError

from app.platform.errors import ValidationFailed
from app.platform.form_fields import checked, required_text, text_field


class NoteForm(FlaskForm):
    class Meta:
        csrf = False

    title = text_field("Title", DataRequired("Enter a title."), 5, "Use at most 5 characters.")
    body = text_field("Body", None, 5, "Keep it short.", field=TextAreaField)


def test_a_required_text_field_is_refused_empty_with_its_message(app):
    with app.test_request_context():
        form = NoteForm(formdata=MultiDict({"title": "", "body": ""}))
        assert not form.validate()
        assert form.errors == {"title": ["Enter a title."]}


def test_an_optional_text_field_may_be_left_empty_and_both_are_refused_too_long(app):
    with app.test_request_context():
        assert NoteForm(formdata=MultiDict({"title": "Hello", "body": ""})).validate()
        form = NoteForm(formdata=MultiDict({"title": "Hello!", "body": "Too long"}))
        assert not form.validate()
        assert form.errors == {"title": ["Use at most 5 characters."], "body": ["Keep it short."]}
        assert isinstance(form.body, TextAreaField)


def test_a_parsers_complaint_becomes_the_fields_error():
    assert checked(int, "42") == 42
    with pytest.raises(ValidationError, match="invalid literal"):
        checked(int, "forty-two")


def test_required_text_is_stripped_and_refused_empty_or_too_long_in_the_callers_words():
    rule = {"missing": "Enter a title.", "max_length": 5, "too_long": "Use at most 5 characters.", "field": "title"}
    assert required_text("  Hello ", **rule) == "Hello"
    for raw, message in ((None, "Enter a title."), ("   ", "Enter a title."), ("Hello!", "Use at most 5 characters.")):
        with pytest.raises(ValidationFailed, match=message) as refused:
            required_text(raw, **rule)
        assert refused.value.field == "title"
