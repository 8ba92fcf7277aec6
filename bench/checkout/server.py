"""The checkout benchmark's servers: the app (or the floor app) under gunicorn."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"  # method, path, status, microseconds inside the worker


def start_gunicorn(code_dir: Path, url: str, port: int, log: Path, *, app: str = "wsgi:app") -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "COZYWISH_ENV": "development",
        "SIGNIN_IP_LIMIT": "100000 per minute",  # 100 customers sign in from one address
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(code_dir),
    }
    env.pop("REDIS_URL", None)
    log.with_suffix(".access").unlink(missing_ok=True)  # gunicorn appends; this run's lines only
    gunicorn = Path(sys.executable).with_name("gunicorn")
    hooks = app == "wsgi:app" and (code_dir / "app" / "ops" / "gunicorn_hooks.py").exists()
    server = subprocess.Popen(
        [
            str(gunicorn),
            # The Dockerfile's settings file (its hooks warm each worker before it takes
            # traffic), when the code run has one: an older --code-dir may not.
            *(["--config", "python:app.ops.gunicorn_hooks"] if hooks else []),
            "--workers",
            os.environ.get("BENCH_WORKERS", "3"),
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(code_dir),
            "--access-logfile",
            str(log.with_suffix(".access").resolve()),
            "--access-logformat",
            ACCESS_FORMAT,
            app,
        ],
        env=env,
        # From the code's own directory: gunicorn imports its --config module (which imports
        # the app package) with the working directory on sys.path, before --chdir applies, so
        # from here a --code-dir server would run this checkout's app.
        cwd=str(code_dir),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120  # a busy machine imports the app slowly
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.5)
    stop_gunicorn(server)
    raise RuntimeError(f"gunicorn did not answer; see {log}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)  # its own session: the master and its workers
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a worker still waiting on an idle keep-alive connection
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


def worker_times(access_log: Path, offset: int) -> tuple[list[float], int]:
    """Milliseconds each POST /checkout spent inside a worker, logged after byte ``offset``."""
    with access_log.open() as log:
        log.seek(offset)
        lines = log.read()
        end = log.tell()
    times = [int(line.split()[3]) / 1000 for line in lines.splitlines() if line.startswith("POST /checkout ")]
    return times, end
