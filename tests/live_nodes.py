"""Real app servers for tests that need another process: a fresh database shared with the test,
and gunicorn nodes started on free ports (tests/ops/test_two_nodes.py,
tests/venues/test_removed_staff_elsewhere.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app import create_app
from app.platform.extensions import db
from tests.database import create_fresh_database, drop_database, server_url

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A database of its own, migrated, dropped afterwards: nodes and the test share it."""
    from flask_migrate import upgrade

    base = server_url()
    name = f"{prefix}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    url = create_fresh_database(base, name)
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    try:
        yield url
    finally:
        drop_database(base, name)


@contextlib.contextmanager
def running_nodes(envs: list[dict[str, str]], log_dir: Path) -> Iterator[list[str]]:
    """One gunicorn process (one worker) per environment; yields their base URLs once each
    answers /healthz, and stops them all afterwards."""
    nodes: list[tuple[str, subprocess.Popen, Path]] = []
    try:
        for number, env in enumerate(envs):
            port = free_port()
            log_path = log_dir / f"node-{number}.log"
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=ROOT,
                env={"BASE_URL": f"http://127.0.0.1:{port}", **env},
                stdout=log_path.open("wb"),
                stderr=subprocess.STDOUT,
            )
            nodes.append((f"http://127.0.0.1:{port}", process, log_path))
        for url, process, _ in nodes:
            deadline = time.monotonic() + 120
            while True:
                with contextlib.suppress(requests.RequestException):  # not listening yet
                    if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                        break
                if process.poll() is not None or time.monotonic() > deadline:
                    logs = "\n".join(path.read_text(errors="replace")[-2000:] for _, _, path in nodes)
                    pytest.fail(f"a node did not start\n{logs}")
                time.sleep(0.2)
        yield [url for url, _, _ in nodes]
    finally:
        for _, process, _ in nodes:
            process.send_signal(signal.SIGTERM)
        for _, process, _ in nodes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
