"""The profile page with all its forms, rendered by the profile pages of sign-in, two-factor,
passkeys and Google or Apple links (a form with errors replaces its blank)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.accounts import oidc, oidc_links
from app.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ProfileForm,
    RemovePasswordForm,
    TwoFactorDisableForm,
    TwoFactorPasswordForm,
)
from app.accounts.passkeys import find_passkeys


def render_profile(status: int = 200, **forms):
    """The profile page with its forms; the one that was submitted (with its errors) replaces its blank."""
    blank = {
        "form": lambda: ProfileForm(obj=current_user),
        "password_form": ChangePasswordForm,
        "email_form": ChangeEmailForm,
        "two_factor_password_form": lambda: TwoFactorPasswordForm(prefix="codes"),
        "two_factor_disable_form": lambda: TwoFactorDisableForm(prefix="off"),
        "remove_password_form": lambda: RemovePasswordForm(prefix="nopw"),
    }
    context = {name: forms.get(name) or make() for name, make in blank.items()}
    return render_template(
        "accounts/profile.html",
        **context,
        passkeys=find_passkeys(current_user),
        confirm_form=ConfirmForm(),
        sign_in_methods=_sign_in_methods(),
    ), status


def _sign_in_methods():
    return oidc_links.describe_sign_in_methods(current_user, oidc.configured_providers())
