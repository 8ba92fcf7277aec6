"""Production refuses unsafe defaults: it won't start until each named setting is fixed.

Checked by create_app (settings) and by the serving entry points (demo accounts, which need
the database). Development and tests are unaffected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import inspect, select

from app.accounts.models import User
from app.accounts.oidc import setting_problems as provider_sign_in_problems
from app.platform.extensions import db
from config import DEMO_ACCOUNT_EMAILS, DEV_SECRET_KEY

LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}  # noqa: S104  (names we refuse, not a bind)
MIN_SECRET_LENGTH = 32


class UnsafeProduction(RuntimeError):
    """Production settings that must be fixed before the app may start."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "CozyWish will not start in production until you fix:\n" + "\n".join(f"  - {p}" for p in problems)
        )


def setting_problems(config: Mapping[str, Any]) -> list[str]:
    """What is unsafe about these production settings, one sentence per setting to fix."""
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if secret == DEV_SECRET_KEY or len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            f"SECRET_KEY: set a random value of at least {MIN_SECRET_LENGTH} characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))'); the development value is public."
        )
    if not config.get("STRIPE_SECRET_KEY"):
        problems.append(
            "STRIPE_SECRET_KEY: set it (and STRIPE_WEBHOOK_SECRET). Production never runs the Demo gateway, "
            "whose test card would confirm bookings with no money taken."
        )
    elif not config.get("STRIPE_WEBHOOK_SECRET"):
        problems.append("STRIPE_WEBHOOK_SECRET: set it, or no payment can ever be confirmed.")
    base = urlsplit(config.get("BASE_URL") or "")
    if base.scheme != "https" or (base.hostname or "") in LOOPBACK:
        problems.append(
            "BASE_URL: set the site's public https address (e.g. https://cozywish.example). "
            "Emailed links and the trusted hosts come from it; other hosts go in TRUSTED_HOSTS."
        )

    problems += provider_sign_in_problems(config)
    return problems


def demo_account_problems(db) -> list[str]:
    """Demo accounts (published password) present in this database."""
    if not inspect(db.engine).has_table("users"):
        return []  # not migrated yet: nothing to refuse
    emails = list(DEMO_ACCOUNT_EMAILS)
    found = list(db.session.scalars(select(User.email).where(User.email.in_(emails)).order_by(User.email)))
    if not found:
        return []
    return [
        f"demo accounts exist ({', '.join(found)}): their password is published in the README. "
        "Delete them (or use a fresh database) before serving production traffic."
    ]


def refuse_demo_accounts(app) -> None:
    """For the serving entry points in production: raise UnsafeProduction if demo accounts exist."""
    if app.config["ENV_NAME"] != "production":
        return
    with app.app_context():
        problems = demo_account_problems(db)
    if problems:
        raise UnsafeProduction(problems)
