"""Per-request session rules: idle timeout, and values every template needs."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user


def enforce_idle_timeout():
    """Sign out a session idle for longer than IDLE_TIMEOUT, unless the user chose 'keep me signed in'."""
    if request.endpoint in (None, "static") or request.path.startswith(("/healthz", "/readyz", "/media/")):
        return None
    if not current_user.is_authenticated:
        return None
    now = datetime.now(UTC).timestamp()
    last_seen = session.get("last_seen")
    timeout = current_app.config["IDLE_TIMEOUT"].total_seconds()
    if not session.get("remember") and last_seen is not None and now - last_seen > timeout:
        logout_user()
        session.clear()
        flash("You were signed out after a period of inactivity. Please sign in again.", "info")
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
    session["last_seen"] = now
    return None


def inject_template_globals() -> dict:
    return {"app_name": current_app.config["APP_NAME"]}
