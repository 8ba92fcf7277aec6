"""What the privacy policy, terms and cookie pages state: kept in code so tests hold them to
what the app really does (the cookie list is checked against the cookies a session receives)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts.two_factor import DEVICE_COOKIE, DEVICE_DAYS
from app.discovery.last_place import COOKIE as PLACE_COOKIE
from app.platform import timefmt
from app.platform.i18n import COOKIE as LANGUAGE_COOKIE

UPDATED = date(2026, 11, 22)


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    lifetime: str
    kind: str = _l("Strictly necessary")
    set_by_script: bool = False  # set in the browser by our script (static/js), not by a response


def cookies_we_set() -> list[Cookie]:
    config = current_app.config
    remember_days = config["REMEMBER_COOKIE_DURATION"].days
    return [
        Cookie(
            config["SESSION_COOKIE_NAME"],
            _l(
                "Keeps you signed in while you browse, remembers your cart before you sign in, and "
                "protects forms against cross-site request forgery. Signed, so it can't be altered."
            ),
            _l("Until you close your browser"),
        ),
        Cookie(
            config["REMEMBER_COOKIE_NAME"],
            _l("Only if you tick “Keep me signed in”: signs you back in on this browser."),
            _l("%(days)s days, or until you sign out", days=remember_days),
        ),
        Cookie(
            DEVICE_COOKIE,
            _l(
                "Only if you use two-factor sign-in and tick “Don't ask again on this device”: lets "
                "this browser skip the code."
            ),
            _l("%(days)s days, or until you change your two-factor settings", days=DEVICE_DAYS),
        ),
        Cookie(
            LANGUAGE_COOKIE,
            _l("Only if you choose a language at the foot of a page: shows the site in it."),
            _l("1 year, or until you choose again"),
            _l("Your choice"),
        ),
        Cookie(
            PLACE_COOKIE,
            _l(
                "Only if you search signed out with a town from the “Where” field: offers it again "
                "next time. Set by the page's script; the field's Clear button removes it."
            ),
            _l("1 year, or until you clear the field"),
            _l("Your choice"),
            set_by_script=True,
        ),
    ]


# Stored in the browser, never sent to us: listed for completeness, not a cookie.
LOCAL_STORAGE = [
    (
        "cozywish-theme",
        _l("Your choice of light or dark mode."),
        _l("Until you clear your browser's site data"),
    ),
]


def context() -> dict:
    config = current_app.config
    return {
        "updated": timefmt.day_words(UPDATED, "long"),
        "contact_email": parseaddr(config["MAIL_DEFAULT_SENDER"])[1],
        "cookies_list": cookies_we_set(),
        "local_storage": LOCAL_STORAGE,
        "grace_days": config["ACCOUNT_DELETION_GRACE_DAYS"],
        "export_days": config["DATA_EXPORT_DAYS"],
        "unverified_days": config["RETENTION_UNVERIFIED_DAYS"],
        "session_days": config["RETENTION_SESSION_DAYS"],
        "log_ip_days": config["RETENTION_LOG_IP_DAYS"],
    }
