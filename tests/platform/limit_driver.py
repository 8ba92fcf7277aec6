"""One process of tests/platform/test_rate_limits.py: its own app (its own pools, its own Flask-Limiter
storage object), signing in with a wrong password ``attempts`` times once ``go`` exists."""

from __future__ import annotations

import os
import time
from pathlib import Path


def drive(database_url: str, limit: str, prefix: str, attempts: int, go: str, results) -> None:
    from app import create_app
    from tests.conftest import CSRF_RE, IsolatedClient

    app = create_app(
        "testing",
        overrides={"SQLALCHEMY_DATABASE_URI": database_url, "SIGNIN_IP_LIMIT": limit, "RATELIMIT_KEY_PREFIX": prefix},
    )
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    token = CSRF_RE.search(browser.get("/account/sign-in").get_data(as_text=True)).group(1)
    results.put(("ready", 0))
    while not Path(go).exists():
        time.sleep(0.01)
    for n in range(attempts):
        # A new address each time: the per-account lockout (5 failures) stays out of the count.
        form = {"csrf_token": token, "email": f"nobody-{os.getpid()}-{n}@example.com", "password": "not it at all"}
        results.put(("code", browser.post("/account/sign-in", data=form).status_code))
