"""`flask serve`: everything `make run` needs, in one supervised process tree.

The parent migrates, loads demo data (development only), then runs two children with the
same DATABASE_URL: the web server (gunicorn, as in the Dockerfile; or Flask's reloading
development server with ``--dev``) and a job worker. It restarts a worker that dies, with
backoff, and stops both on Ctrl-C or SIGTERM. With the embedded PostgreSQL the parent owns
the server: the children get its URL and never start or stop it themselves.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import Flask
from flask_migrate import upgrade

from app.ops.gunicorn_hooks import workers_from
from app.platform import metrics
from app.platform.extensions import db

log = logging.getLogger(__name__)

WORKER_FIRST_DELAY = 1.0
WORKER_MAX_DELAY = 30.0
WORKER_RESET_AFTER = 60.0  # a worker that ran this long and then died starts a new backoff
STOP_GRACE_SECONDS = 15.0
POLL_SECONDS = 0.5
# gunicorn's hooks: a dead worker's gauges leave the shared metrics (app/ops/gunicorn_hooks.py).
GUNICORN_CONFIG = "python:app.ops.gunicorn_hooks"


def web_command(host: str, port: int, *, dev: bool) -> list[str]:
    if dev:
        return [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--debug", "--host", host, "--port", str(port)]
    return [
        sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG, "--bind", f"{host}:{port}",
        "wsgi:app",
    ]  # fmt: skip


def worker_command() -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"]


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if `flask serve` itself is killed (Linux)."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_child(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    # Each child leads its own process group: a stop reaches gunicorn's workers and the
    # reloader's server too, and Ctrl-C in the terminal reaches only this supervisor.
    return subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_die_with_parent)  # noqa: S603 (our own fixed commands)


def stop_children(children: list[subprocess.Popen]) -> None:
    """SIGTERM every child (they finish what they are doing), then kill what is left."""
    running = [child for child in children if child.poll() is None]
    for child in running:
        child.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in running:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("pid %s did not stop in %.0f s; killing it", child.pid, STOP_GRACE_SECONDS)
            _signal_group(child, signal.SIGKILL)
            child.wait()
    for child in children:
        # The reloader's server process can outlive its parent: end the whole group.
        _signal_group(child, signal.SIGTERM)


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signum)


@dataclass
class SupervisedWorker:
    """The job worker child: started again after it dies, 1, 2, 4 ... 30 s later."""

    env: dict[str, str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    delay: float = WORKER_FIRST_DELAY
    restart_at: float | None = None
    restarts: int = field(default=0)

    def start(self) -> None:
        self.process = start_child(worker_command(), self.env)
        self.started_at = time.monotonic()
        self.restart_at = None
        log.info("job worker started (pid %s)", self.process.pid)

    def check(self) -> None:
        """Notice a dead worker and schedule its restart; restart it when the time comes."""
        now = time.monotonic()
        if self.process is not None and self.process.poll() is not None:
            if now - self.started_at > WORKER_RESET_AFTER:
                self.delay = WORKER_FIRST_DELAY
            log.warning(
                "job worker (pid %s) exited with code %s; restarting it in %.0f s",
                self.process.pid,
                self.process.returncode,
                self.delay,
            )
            self.process = None
            self.restart_at = now + self.delay
            self.delay = min(self.delay * 2, WORKER_MAX_DELAY)
        if self.process is None and self.restart_at is not None and now >= self.restart_at:
            self.restarts += 1
            self.start()


def prepare(app: Flask, *, base_url: str, seed: bool) -> list[dict[str, str]]:
    """Migrate, and load the demo data when asked; returns the demo accounts."""
    upgrade()
    accounts: list[dict[str, str]] = []
    if seed:
        from app.demo.seed import seed_demo  # development only: production never imports the demo

        with app.test_request_context(base_url=base_url):
            accounts = seed_demo()
            db.session.commit()
    db.session.remove()
    db.engine.dispose()  # the children open their own connections; the parent keeps none
    return accounts


def print_banner(app: Flask, url: str, accounts: list[dict[str, str]], *, dev: bool) -> None:
    click.echo("")
    click.secho(f"CozyWish is running at {url}", fg="green", bold=True)
    if accounts:
        click.echo(f"Demo accounts (password: {accounts[0]['password']}):")
        for account in accounts:
            click.echo(f"  {account['role']:<9} {account['email']}")
            if account.get("totp_secret"):
                click.echo(
                    f"            two-factor key {account['totp_secret']} (add it to an authenticator app, "
                    f"or run: flask users totp-code {account['email']})"
                )
    click.echo(f"Emails are written to {app.config.get('MAIL_FILE_PATH') or 'the console'}.")
    workers = workers_from(os.environ.get("WEB_CONCURRENCY"))
    click.echo("Development server: reloads on code changes." if dev else f"Served by gunicorn ({workers} workers).")
    click.echo("Press Ctrl-C to stop.\n")


def serve(app: Flask, *, host: str, port: int, worker: bool, seed: bool, dev: bool = False) -> None:
    url = f"http://{host}:{port}"
    accounts = prepare(app, base_url=url, seed=seed and app.config["ENV_NAME"] == "development")
    # Children reach the same database; with the embedded server that is the one this
    # process started, so they never start (or, on exit, stop) one of their own.
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    # Metrics shared by gunicorn's workers and the job worker: value files in a directory
    # emptied at each start, so numbers from a previous run never add up with these.
    env[metrics.MULTIPROC_ENV] = metrics.reset_multiprocess_dir(str(Path(app.instance_path) / "metrics"))
    env.setdefault("BASE_URL", url)
    if app.config.get("MAIL_FILE_PATH"):
        env["MAIL_FILE_PATH"] = app.config["MAIL_FILE_PATH"]

    stopping = False

    def stop(signum: int, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    web = start_child(web_command(host, port, dev=dev), env)
    jobs = SupervisedWorker(env=env)
    if worker:
        jobs.start()
    print_banner(app, url, accounts, dev=dev)

    exit_code = 0
    try:
        while not stopping:
            time.sleep(POLL_SECONDS)
            if web.poll() is not None:
                log.error("the web server exited with code %s; stopping", web.returncode)
                exit_code = web.returncode or 1
                break
            if worker:
                jobs.check()
    finally:
        click.echo("Stopping...")
        stop_children([child for child in (web, jobs.process) if child is not None])
    if exit_code:
        raise SystemExit(exit_code)
