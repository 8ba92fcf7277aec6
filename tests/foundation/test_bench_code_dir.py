"""``bench/checkout --code-dir DIR`` times the code in DIR (a before/after comparison is only one if
the "before" server runs the older code). gunicorn imports its ``--config`` module, and with it the
``app`` package, with its working directory on sys.path before ``--chdir`` applies: started from this
checkout, a server meant to run DIR ran this checkout's ``app`` instead. A real gunicorn here, on a
stand-in code directory whose ``app`` package says where it was loaded from."""

from __future__ import annotations

from pathlib import Path

import requests

from bench.checkout.server import free_port, start_gunicorn, stop_gunicorn

WSGI = """
import app as package
from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return package.__file__
"""


def test_a_code_dir_server_runs_that_directorys_app(tmp_path):
    code = tmp_path / "older-checkout"
    (code / "app" / "ops").mkdir(parents=True)
    (code / "app" / "__init__.py").write_text("")
    (code / "app" / "ops" / "__init__.py").write_text("")
    (code / "app" / "ops" / "gunicorn_hooks.py").write_text("workers = 1\n")
    (code / "wsgi.py").write_text(WSGI)
    port = free_port()
    server = start_gunicorn(code, "postgresql://unused/none", port, tmp_path / "gunicorn.log")
    try:
        loaded_from = Path(requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).text)
    finally:
        stop_gunicorn(server)
    assert loaded_from == code / "app" / "__init__.py"
