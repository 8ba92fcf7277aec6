"""Domain services take plain values (a user id, a list of ids, an IP address) and never reach for
the request: ``request``, ``session``, ``g`` and ``abort`` from Flask and ``current_user`` from
Flask-Login belong to the web layer, the page modules (any ``views.py`` or ``views/``) and the
page builders in ``app/web/``, which read them and hand the values down."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUEST_NAMES = {"flask": {"request", "session", "g", "abort"}, "flask_login": {"current_user"}}

# The app factory and the command line (they build and drive the app, request hooks included).
APP_PLUMBING = {"app/__init__.py", "app/cli.py", "app/demo/seed.py"}

# Modules outside app/web/ that are HTTP plumbing, not domain services: each hooks into the
# request cycle itself. A module in this list is one to move or split, never one to add to.
HTTP_PLUMBING = {
    "app/accounts/access.py": "route decorators (role_required) and the safe-next check: they redirect and abort",
    "app/accounts/oidc.py": "Authlib keeps the sign-in flow's state, PKCE verifier and nonce in the session",
    "app/platform/cache_versions.py": "marks in g that this request bumped a version, for app/web/private_cache.py",
    "app/platform/i18n.py": "the locale selector reads the request's Accept-Language and cookie",
    "app/ops/errors.py": "the error handlers that map domain errors to HTTP statuses",
    "app/platform/input_guard.py": "a before_request hook refusing hostile input",
    "app/ops/logging.py": "request logging (the request id in g, the path and status)",
    "app/ops/session.py": "the idle-timeout before_request hook on the session",
    "app/web/page_cache.py": "the shared page cache, keyed on the request and skipped for a session or a user",
    "app/web/private_cache.py": "the per-browser HTTP cache, keyed on the request, the session and the user",
    "app/web/rendering.py": "HTMX-aware response helpers that read the request's headers",
}


def is_web_layer(relative: str) -> bool:
    parts = relative.split("/")
    # app/api/ is the JSON API: web layer throughout (docs/architecture.md, the layers)
    return relative.startswith(("app/web/", "app/api/")) or parts[-1] == "views.py" or "views" in parts[:-1]


def service_modules() -> list[Path]:
    paths = sorted([*(ROOT / "app").rglob("*.py"), *(ROOT / "search").rglob("*.py")])
    return [
        path
        for path in paths
        if not is_web_layer(rel := path.relative_to(ROOT).as_posix())
        and rel not in APP_PLUMBING
        and rel not in HTTP_PLUMBING
    ]


def request_names_imported(path: Path) -> list[str]:
    """``flask.request``, ``flask_login.current_user``... used by ``path``, imported at the top or
    inside a function as ``from flask import request``, or reached as ``flask.request`` after
    ``import flask`` (under any alias)."""
    tree = ast.parse(path.read_text())
    found = []
    aliases: dict[str, str] = {}  # the local name of an imported flask or flask_login -> the module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in REQUEST_NAMES:
            found += [f"{node.module}.{a.name}" for a in node.names if a.name in REQUEST_NAMES[node.module]]
        elif isinstance(node, ast.Import):
            aliases |= {a.asname or a.name: a.name for a in node.names if a.name in REQUEST_NAMES}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            module = aliases[node.value.id]
            if node.attr in REQUEST_NAMES[module]:
                found.append(f"{module}.{node.attr}")
    return sorted(set(found))


def test_the_check_sees_each_way_of_reaching_the_request(tmp_path):
    source = tmp_path / "service.py"
    source.write_text(
        "import flask as fl\nfrom flask import abort, url_for\nfrom flask_login import current_user\n"
        "def f():\n    from flask import g\n    return fl.session, fl.render_template\n"
    )
    assert request_names_imported(source) == ["flask.abort", "flask.g", "flask.session", "flask_login.current_user"]


def test_the_web_layer_test_sees_the_modules_it_should():
    names = {path.relative_to(ROOT).as_posix() for path in service_modules()}
    assert "app/saved/service.py" in names and "search/backend.py" in names
    assert not {n for n in names if n.startswith("app/web/") or n.endswith("/views.py") or "/views/" in n}
    assert all((ROOT / plumbing).exists() for plumbing in HTTP_PLUMBING), "drop a module that is gone"


def test_no_service_imports_the_request_session_g_abort_or_current_user():
    offenders = {
        path.relative_to(ROOT).as_posix(): names
        for path in service_modules()
        if (names := request_names_imported(path))
    }
    assert offenders == {}, (
        "domain services take plain values; read the request in the web layer (app/web/, views) instead"
    )
