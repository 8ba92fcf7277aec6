from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

EMAIL = [DataRequired("Enter your email address."), Email("Enter a valid email address."), Length(max=254)]
NAME = [DataRequired("Enter your name."), Length(max=120, message=_l("Use at most 120 characters."))]
# A phone number, a person's or a venue's (app/venues/forms.py): optional.
PHONE = [
    Optional(),
    Length(max=32),
    Regexp(r"^\+?[0-9 ()\-]{6,32}$", message=_l("Use digits, spaces, brackets and an optional leading +.")),
]
NEW_PASSWORD = [DataRequired("Choose a password."), Length(max=256)]


class SignUpForm(FlaskForm):
    role = RadioField(
        _l("I am"),
        choices=[("customer", _l("Looking to book")), ("provider", _l("A venue owner"))],
        default="customer",
        validators=[DataRequired("Choose an account type.")],
    )
    name = StringField(_l("Full name"), validators=NAME)
    email = EmailField(_l("Email"), validators=EMAIL)
    password = PasswordField(_l("Password"), validators=NEW_PASSWORD)
    # Opt-in, never ticked in advance; the label is the consent wording of the day (app/privacy/consent.py).
    marketing = BooleanField(_l("Send me occasional offers and news"))


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=EMAIL)
    password = PasswordField(_l("Password"), validators=[DataRequired("Enter your password."), Length(max=256)])
    remember = BooleanField(_l("Keep me signed in"))


class EmailOnlyForm(FlaskForm):
    email = EmailField(_l("Email"), validators=EMAIL)


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=NEW_PASSWORD)


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"), validators=NAME)
    phone = TelField(_l("Phone"), validators=PHONE)
    # Optional: venues you visited may greet you on your birthday (with marketing consent only).
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()], render_kw={"autocomplete": "bday"})
    avatar = FileField(_l("Profile photo"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired("Enter your current password.")])
    new_password = PasswordField(_l("New password"), validators=NEW_PASSWORD)


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(_l("New email"), validators=EMAIL)
    current_password = PasswordField(_l("Current password"), validators=[DataRequired("Enter your current password.")])


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""


CODE = [DataRequired("Enter the code."), Length(max=32, message=_l("Codes are at most 14 characters."))]


class TwoFactorCodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=CODE)
    remember_device = BooleanField(_l("Don't ask again on this device for 30 days"))


class TwoFactorSetupForm(FlaskForm):
    code = StringField(_l("6-digit code from your app"), validators=CODE)


class TwoFactorPasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired("Enter your password."), Length(max=256)]
    )


class TwoFactorDisableForm(TwoFactorPasswordForm):
    code = StringField(_l("Code from your app, or a recovery code"), validators=CODE)


class RemovePasswordForm(FlaskForm):
    """Stop signing in with a password (an account with Google or Apple linked)."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired("Enter your current password."), Length(max=256)]
    )


def scopes_field() -> SelectMultipleField:
    """The API's scopes, at least one: a token's and an OAuth app's."""
    return SelectMultipleField(
        _l("Scopes"),
        choices=["read", "write", "venue", "admin"],
        validators=[DataRequired(_l("Choose at least one scope."))],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )


class ApiTokenForm(FlaskForm):
    """A new personal access token for the API (app/accounts/api_tokens.py)."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the token a name.")), Length(max=80, message=_l("At most 80 characters."))],
    )
    scopes = scopes_field()


class OAuthAppForm(FlaskForm):
    """A third-party app registered for OAuth 2.0 (app/accounts/oauth_apps.py checks the rest)."""

    name = StringField(
        _l("App name"),
        validators=[DataRequired(_l("Give the app a name.")), Length(max=80, message=_l("At most 80 characters."))],
    )
    redirect_uris = TextAreaField(
        _l("Redirect URIs"),
        validators=[
            DataRequired(_l("Give at least one redirect URI.")),
            Length(max=2600, message=_l("At most 5 redirect URIs.")),
        ],
    )
    scopes = scopes_field()
    client_type = RadioField(
        _l("Kind of app"),
        choices=[
            ("confidential", _l("Runs on a server that keeps a secret")),
            ("public", _l("Runs on a phone or in a browser: no secret, PKCE only")),
        ],
        default="confidential",
        validators=[DataRequired(_l("Choose the kind of app."))],
    )
