"""Per-request work that Flask and Flask-Talisman redo on every request although its result
never changes, done once instead. A cached public page (app/web/page_cache.py) is answered in
well under a millisecond of our own code, so these were a large part of what is left: a py-spy
profile of the venue page under load (bench/pages/run.py --profile) put the session's
serializer at 2.5% of a worker's time and Talisman's policy parsing at 3%.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_talisman import Talisman
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its serializer built once per secret key (Flask
    builds one per request) and none at all for a request without a session cookie."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if key not in self._serializers:
            self._serializers[key] = super().get_signing_serializer(app)
        return self._serializers[key]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # what Flask returns here too, without a serializer
        return super().open_session(app, request)


class CachedTalisman(Talisman):
    """Flask-Talisman, with each policy's header text built once per policy object. Talisman
    rebuilds it on every response to add a nonce; we use no nonces (every script and style is
    a file of our own, CSP 'self'), so the text never changes. A view's own policies
    (``talisman_view_options``, as the check-in page's) are other objects: built once each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("content_security_policy_nonce_in"):
            raise ValueError("CachedTalisman builds each policy once: it can't add per-request nonces.")
        self._policy_text: dict[tuple[str, int], tuple[Any, str]] = {}
        super().__init__(*args, **kwargs)

    def _once(self, kind: str, policy: Any, build) -> str:
        if isinstance(policy, str) and kind == "structured":
            return policy
        found = self._policy_text.get((kind, id(policy)))
        if found is not None and found[0] is policy:
            return found[1]
        text = build(policy)
        self._policy_text[(kind, id(policy))] = (policy, text)  # keeps the object, so its id stays its own
        return text

    def _parse_policy(self, policy: Any) -> str:
        return self._once("csp", policy, super()._parse_policy)

    def _parse_structured_header_policy(self, policy: Any) -> str:
        return self._once("structured", policy, super()._parse_structured_header_policy)
