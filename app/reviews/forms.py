"""The review form: stars and words, refused with a message a person understands."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.reviews.models import BODY_MAX_LENGTH, BODY_MIN_LENGTH
from app.reviews.service import HIDE_REASON_MAX_LENGTH

STAR_CHOICES = [(5, "5 stars: excellent"), (4, "4: good"), (3, "3: fine"), (2, "2: poor"), (1, "1: bad")]


class ReviewForm(FlaskForm):
    rating = RadioField(
        "Your rating",
        choices=STAR_CHOICES,
        coerce=int,
        validators=[InputRequired(message="Choose a rating from 1 to 5 stars.")],
        validate_choice=True,
    )
    body = TextAreaField(
        "Your review",
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            InputRequired(message="Tell others how it went."),
            Length(
                min=BODY_MIN_LENGTH,
                max=BODY_MAX_LENGTH,
                message=f"Write between {BODY_MIN_LENGTH} and {BODY_MAX_LENGTH} characters.",
            ),
        ],
    )

    def first_error(self) -> str:
        if self.rating.errors:  # WTForms' own words for a tampered choice mean nothing to a person
            return "Choose a rating from 1 to 5 stars."
        for errors in self.errors.values():
            if errors:
                return errors[0]
        return "Please check the form."


class HideForm(FlaskForm):
    reason = StringField("Reason", validators=[Length(max=HIDE_REASON_MAX_LENGTH)])
