"""`flask serve` for real: gunicorn plus a supervised worker, on the embedded PostgreSQL it owns."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.committing]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float, failure: Callable[[], str]):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"after {timeout:.0f} s: {failure()}")
        time.sleep(0.1)
    return result


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def children_running(serve: subprocess.Popen, marker: str) -> list[psutil.Process]:
    try:
        children = psutil.Process(serve.pid).children()
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if marker in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def test_serve_runs_gunicorn_restarts_a_killed_worker_and_stops_everything_on_sigterm(tmp_path):
    # --no-seed: the demo data takes a minute on a busy machine and is not what is tested here.
    pgdata = ROOT / "instance" / f"pgdata-serve-{os.getpid()}"
    shutil.rmtree(pgdata, ignore_errors=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update(
        COZYWISH_ENV="development",
        EMBEDDED_PGDATA=str(pgdata),
        MAIL_FILE_PATH=str(tmp_path / "mail"),
        LOG_JSON="0",
    )
    output = tmp_path / "serve.log"
    with output.open("wb") as log:
        serve = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--port", str(port), "--no-seed"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def serve_log(tail: int = 4000) -> str:
        return output.read_text(errors="replace")[-tail:]

    try:
        wait_until(lambda: ready(url) or serve.poll() is not None, 120, lambda: f"never ready\n{serve_log()}")
        assert serve.poll() is None, serve_log()
        assert f"CozyWish is running at {url}" in serve_log(tail=10**7)
        assert children_running(serve, "gunicorn"), "the site is not served by gunicorn"
        assert (pgdata / "postmaster.pid").exists(), "the embedded PostgreSQL is not running"

        (worker,) = wait_until(lambda: children_running(serve, "jobs worker"), 30, lambda: "no worker started")
        worker.send_signal(signal.SIGKILL)
        (restarted,) = wait_until(
            lambda: [p for p in children_running(serve, "jobs worker") if p.pid != worker.pid],
            30,
            lambda: f"the killed worker was not restarted\n{serve_log()}",
        )
        assert "exited with code -9; restarting it" in serve_log(tail=10**7)
        assert ready(url), "the site went down with the worker"

        everything = [*children_running(serve, "gunicorn"), restarted]
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(40) == 0, serve_log()
        _gone, alive = psutil.wait_procs(everything, timeout=5)
        assert alive == [], f"still running after SIGTERM: {[p.pid for p in alive]}"
        assert not (pgdata / "postmaster.pid").exists(), "the embedded PostgreSQL was left running"
    finally:
        if serve.poll() is None:
            os.kill(serve.pid, signal.SIGKILL)
            serve.wait()
        from app.platform.embedded_db import stop_embedded_server

        stop_embedded_server(pgdata)  # a no-op when flask serve stopped it, as it should
        shutil.rmtree(pgdata, ignore_errors=True)
