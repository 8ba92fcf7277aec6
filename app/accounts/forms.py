from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

EMAIL = [DataRequired("Enter your email address."), Email("Enter a valid email address."), Length(max=254)]
NAME = [DataRequired("Enter your name."), Length(max=120, message="Use at most 120 characters.")]
NEW_PASSWORD = [DataRequired("Choose a password."), Length(max=256)]


class SignUpForm(FlaskForm):
    role = RadioField(
        "I am",
        choices=[("customer", "Looking to book"), ("provider", "A venue owner")],
        default="customer",
        validators=[DataRequired("Choose an account type.")],
    )
    name = StringField("Full name", validators=NAME)
    email = EmailField("Email", validators=EMAIL)
    password = PasswordField("Password", validators=NEW_PASSWORD)
    # Opt-in, never ticked in advance; the label is the consent wording of the day (app/privacy/consent.py).
    marketing = BooleanField("Send me occasional offers and news")


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL)
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=256)])
    remember = BooleanField("Keep me signed in")


class EmailOnlyForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL)


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=NEW_PASSWORD)


class ProfileForm(FlaskForm):
    name = StringField("Full name", validators=NAME)
    phone = TelField(
        "Phone",
        validators=[
            Optional(),
            Length(max=32),
            Regexp(r"^\+?[0-9 ()\-]{6,32}$", message="Use digits, spaces, brackets and an optional leading +."),
        ],
    )
    avatar = FileField("Profile photo")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    new_password = PasswordField("New password", validators=NEW_PASSWORD)


class ChangeEmailForm(FlaskForm):
    new_email = EmailField("New email", validators=EMAIL)
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""


CODE = [DataRequired("Enter the code."), Length(max=32, message="Codes are at most 14 characters.")]


class TwoFactorCodeForm(FlaskForm):
    code = StringField("Code", validators=CODE)
    remember_device = BooleanField("Don't ask again on this device for 30 days")


class TwoFactorSetupForm(FlaskForm):
    code = StringField("6-digit code from your app", validators=CODE)


class TwoFactorPasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your password."), Length(max=256)]
    )


class TwoFactorDisableForm(TwoFactorPasswordForm):
    code = StringField("Code from your app, or a recovery code", validators=CODE)


class RemovePasswordForm(FlaskForm):
    """Stop signing in with a password (an account with Google or Apple linked)."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password."), Length(max=256)]
    )
