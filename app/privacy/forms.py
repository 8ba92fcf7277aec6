from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField
from wtforms.validators import DataRequired, InputRequired, Length

from app.privacy.consent import marketing_wording


class DeleteAccountForm(FlaskForm):
    current_password = PasswordField(
        _l("Your password"), validators=[DataRequired("Enter your password to confirm."), Length(max=256)]
    )
    understand = BooleanField(
        _l("I understand my account, profile, reviews and uploads will be deleted after the grace period."),
        validators=[DataRequired("Tick the box to confirm you understand.")],
    )


class MarketingForm(FlaskForm):
    marketing = RadioField(
        _l("Marketing emails"),
        choices=[("yes", _l("Yes, email me offers and news")), ("no", _l("No marketing emails"))],
        validators=[InputRequired("Choose whether we may email you offers.")],
    )

    @property
    def wording(self) -> str:
        return marketing_wording()
