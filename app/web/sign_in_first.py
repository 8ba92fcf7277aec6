"""Sending someone who must sign in first to the sign-in page, with a word on why and a way
back to where they were going."""

from __future__ import annotations

from flask import Response, flash, redirect, url_for


def sign_in_first(message: str, then: str) -> Response:
    """``message`` flashed, and a redirect (303) to sign in, then on to ``then``."""
    flash(message, "info")
    return redirect(url_for("accounts.sign_in", next=then), 303)
