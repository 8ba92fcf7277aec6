"""Access checks that every blueprint reuses: a role, or ownership of a loaded object."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role


def role_required(*roles: str) -> Callable:
    """Signed-in users with one of ``roles``; others get 403, anonymous users sign in first."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                flash(_("Please sign in to continue."), "info")
                return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def owner_required(load: Callable[..., Any], *, owner_attr: str = "owner_id", as_arg: str = "obj") -> Callable:
    """Load an object from the URL (404 if missing) and allow only its owner or an admin (403).

    ``load`` takes the view's URL arguments and returns the object or None; the object is
    passed to the view as ``as_arg``.
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
            obj = load(**kwargs)
            if obj is None:
                abort(404)
            if getattr(obj, owner_attr) != current_user.id and current_user.role != Role.ADMIN:
                abort(403)
            return view(*args, **{as_arg: obj})

        return wrapped

    return decorator


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths may be redirect targets after sign-in."""
    if not target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False  # browsers drop tabs and newlines: "/\t/evil.example" would become "//evil.example"
    return target.startswith("/") and not target.startswith("//") and "\\" not in target
