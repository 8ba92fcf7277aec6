"""The review form: stars and words, refused with a message a person understands."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.reviews.models import BODY_MAX_LENGTH, BODY_MIN_LENGTH
from app.reviews.service import HIDE_REASON_MAX_LENGTH

STAR_CHOICES = [(5, "5 stars: excellent"), (4, "4: good"), (3, "3: fine"), (2, "2: poor"), (1, "1: bad")]


class ReviewForm(FlaskForm):
    rating = RadioField(
        _l("Your rating"),
        choices=STAR_CHOICES,
        coerce=int,
        validators=[InputRequired(message=_l("Choose a rating from 1 to 5 stars."))],
        validate_choice=True,
    )
    body = TextAreaField(
        _l("Your review"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            InputRequired(message=_l("Tell others how it went.")),
            Length(
                min=BODY_MIN_LENGTH,
                max=BODY_MAX_LENGTH,
                message=_l(
                    "Write between %(body_min_length)s and %(body_max_length)s characters.",
                    body_min_length=BODY_MIN_LENGTH,
                    body_max_length=BODY_MAX_LENGTH,
                ),
            ),
        ],
    )

    def first_error(self) -> str:
        if self.rating.errors:  # WTForms' own words for a tampered choice mean nothing to a person
            return _("Choose a rating from 1 to 5 stars.")
        for errors in self.errors.values():
            if errors:
                return errors[0]
        return _("Please check the form.")


class HideForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=HIDE_REASON_MAX_LENGTH)])


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class ReplyForm(FlaskForm):
    """The venue's answer to a review; the rules (empty, too long) are the service's."""

    body = TextAreaField(_l("Your answer"), filters=[_strip])


class ReportForm(FlaskForm):
    """A venue's report of a review: a reason from the list and a few words."""

    # one of app.reviews.replies.REPORT_REASONS (the page lists them); the service refuses any
    # other value with its own words
    reason = StringField(_l("Reason"), filters=[_strip])
    message = TextAreaField(_l("What is wrong with it?"), filters=[_strip])  # stored as the report's details


class DecisionForm(FlaskForm):
    """An admin's note on a report's decision (needed to remove the review)."""

    note = StringField(_l("Reason"), filters=[_strip])
