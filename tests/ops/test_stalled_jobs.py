"""Fault test: a job whose worker is killed with -9 runs again within 30 s, exactly once, with
the shipped settings (JOBS_HEARTBEAT_SECONDS 5, JOBS_STALLED_AFTER_SECONDS 15,
JOBS_STALLED_CHECK_SECONDS 5: nothing is overridden here).

Two real `flask jobs worker` processes share one database, as several worker machines do.
The first takes an email job whose send it holds (tests/ops/slow_mail.py) and is
killed with SIGKILL; the second notices the silent heartbeat, puts the job back and sends it.
The delay is read from the database's own clock: the kill, the retry event, the delivery.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest

from app import create_app
from app.platform.extensions import db
from tests.database import create_fresh_database, drop_database, libpq, server_url
from tests.ops.slow_mail import marker_name

pytestmark = [pytest.mark.slow, pytest.mark.committing]

ROOT = Path(__file__).resolve().parents[2]
SUBJECT = "Stalled job"
RETRY_WITHIN_SECONDS = 30


def wait_until(condition: Callable[[], bool], timeout: float, failure: Callable[[], str]) -> None:
    # The timeout only ends a test that hangs; the assertions use the database's timestamps.
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"after {timeout:.0f} s: {failure()}")
        time.sleep(0.1)


@pytest.fixture
def jobs_database():
    from sqlalchemy.engine import make_url

    base = server_url()
    name = f"cozywish_stalled_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    url = create_fresh_database(base, name)
    yield url, libpq(make_url(url))
    drop_database(base, name)


def queue_one_email(database_url: str) -> int:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app.platform.email import send_email

    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        with app.test_request_context():
            send_email("guest@example.com", SUBJECT, "password_changed", user=SimpleNamespace(first_name="Guest"))
            job_id = db.session.execute(
                text("SELECT id FROM procrastinate_jobs WHERE task_name = 'email.deliver'")
            ).scalar_one()
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return job_id


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )


def test_a_job_held_by_a_killed_worker_runs_again_within_30_seconds_exactly_once(jobs_database, tmp_path):
    database_url, conninfo = jobs_database
    job_id = queue_one_email(database_url)
    markers, mail_dir, log_path = tmp_path / "sending", tmp_path / "mail", tmp_path / "workers.log"
    env = {
        **os.environ,
        "COZYWISH_ENV": "development",
        "DATABASE_URL": database_url,
        "MAIL_BACKEND": "tests.ops.slow_mail.EmailBackend",
        "MAIL_FILE_PATH": str(mail_dir),
        "SLOW_MAIL_MARKERS": str(markers),
        "SLOW_MAIL_SECONDS": "0.05",
        "SLOW_MAIL_HOLDS": f"{SUBJECT}=120",  # the first worker to send it holds it (then dies)
        "LOG_JSON": "0",
    }
    for name in ("JOBS_HEARTBEAT_SECONDS", "JOBS_STALLED_AFTER_SECONDS", "JOBS_STALLED_CHECK_SECONDS"):
        env.pop(name, None)  # the shipped defaults
    db_conn = psycopg.connect(conninfo, autocommit=True)

    def one(sql: str, params: dict | None = None):
        return db_conn.execute(sql, params or {}).fetchone()

    def log_tail() -> str:
        return log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""

    events: dict[int, tuple] = {}

    def note_events() -> None:  # the job and its events are deleted once it succeeds: keep them
        for row in db_conn.execute("SELECT id, type::text, at FROM procrastinate_events WHERE job_id = %s", (job_id,)):
            events[row[0]] = row[1:]

    first = start_worker(env, log_path)
    second = None
    try:
        held = markers / marker_name(SUBJECT, first.pid)
        wait_until(held.exists, 90, lambda: f"the first worker never started the job\n{log_tail()}")
        second = start_worker(env, log_path)  # another worker machine, already running
        wait_until(
            lambda: one("SELECT count(*) FROM procrastinate_workers")[0] >= 2,
            90,
            lambda: f"the second worker never registered\n{log_tail()}",
        )
        note_events()
        (killed_at,) = one("SELECT clock_timestamp()")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        status = one("SELECT status::text FROM procrastinate_jobs WHERE id = %(id)s", {"id": job_id})
        assert status == ("doing",), "the kill left no job doing: nothing to recover"

        def delivered() -> bool:
            note_events()
            return one("SELECT count(*) FROM email_deliveries")[0] >= 1

        wait_until(delivered, 120, lambda: f"the job never ran again; events {sorted(events.values())}\n{log_tail()}")
        wait_until(
            lambda: one("SELECT count(*) FROM procrastinate_jobs WHERE id = %(id)s", {"id": job_id})[0] == 0,
            30,
            lambda: f"the retried job did not finish\n{log_tail()}",
        )
        (sent_at,) = one("SELECT sent_at FROM email_deliveries")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
        db_conn.close()

    kinds = [kind for kind, _at in sorted(events.values(), key=lambda event: event[1])]
    assert kinds[:2] == ["deferred", "started"], kinds  # taken by the worker that was then killed
    # Put back by jobs.retry_stalled, as the live worker logs it. (Its "deferred_for_retry" event
    # goes with the job once the retry succeeds, which can be sooner than the next poll above.)
    assert f"job {job_id} (email.deliver) stalled, no heartbeat" in log_path.read_text(errors="replace"), log_tail()
    delay = (sent_at - killed_at).total_seconds()
    retried = [at for kind, at in events.values() if kind == "deferred_for_retry"]
    retried_after = f"{(max(retried) - killed_at).total_seconds():.1f} s" if retried else "(event not seen)"
    print(f"kill -9 -> retried {retried_after}, -> sent {delay:.1f} s")
    assert delay <= RETRY_WITHIN_SECONDS, f"the job ran again {delay:.1f} s after its worker died"
    messages = list(mail_dir.glob("*.log"))
    assert sum(path.read_text().count(f"Subject: {SUBJECT}") for path in messages) == 1  # sent exactly once
