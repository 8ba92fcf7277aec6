"""Exactly once, with a real worker killed mid-send: every reminder of a confirmed booking
goes out (by SMS and by email), none of a moved or cancelled booking goes out at all, and none
twice, except a message the kill caught in the one window no design closes (the gateway had
accepted it, its record had not committed): that one may go out once more (app/notifications/sms.py).

A real `flask jobs worker` subprocess runs the reminder jobs against their own database; the
SMS gateway (tests/notifications/slow_sms.py) holds one message mid-send, the worker is
killed there with SIGKILL, and a second worker (what the supervisor would start) retries the
stalled job and finishes the queue.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from app import create_app
from app.platform.extensions import db
from tests.database import create_fresh_database, drop_database, libpq, server_url

pytestmark = [pytest.mark.slow, pytest.mark.committing]

ROOT = Path(__file__).resolve().parents[2]
BOOKINGS = 8
NUMBER = "+447911123456"
MESSAGE_ID_RE = re.compile(r"^Message-ID: <([0-9a-f]{32})@", re.MULTILINE)


def seed(database_url: str) -> dict:
    """Migrate, then book BOOKINGS confirmed appointments for a customer who wants SMS and email
    reminders; move one (without re-planning) and cancel one. Every reminder job is made due."""
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from app.booking import lifecycle
    from app.notifications import preferences
    from app.notifications.models import BookingReminder
    from tests.booking.helpers import book, future_slot, make_bookable_venue
    from tests.factories import UserFactory

    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        with app.test_request_context():
            provider = UserFactory(role="provider", email="owner@example.com")
            customer = UserFactory(role="customer", email="guest@example.com")
            _, service = make_bookable_venue(provider)
            preferences.save_preferences(
                customer, preferences.DEFAULTS | {"reminders": {"email": True, "sms": True}}, sms_number=NUMBER
            )
            bookings = [book(customer, service, future_slot(days=2 + n)) for n in range(BOOKINGS)]
            moved, cancelled = bookings[-2], bookings[-1]
            moved.starts_at += timedelta(hours=3)
            moved.ends_at += timedelta(hours=3)
            moved.blocks_until += timedelta(hours=3)
            lifecycle.cancel_by_customer(cancelled, customer=customer)
            db.session.flush()
            reminders = db.session.scalars(select(BookingReminder).order_by(BookingReminder.id)).all()
            sms_keys = {r.booking.reference: f"reminder-{r.id}" for r in reminders if r.channel == "sms"}
            # Time passes: every reminder is due now (its job, and the job's "scheduled" event,
            # which the stalled-job check reads as the job's latest news).
            db.session.execute(
                text(
                    "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE task_name = 'notifications.send_reminder'"
                )
            )
            db.session.execute(text("UPDATE procrastinate_events SET at = now() WHERE at > now()"))
            db.session.commit()
            references = [b.reference for b in bookings]
        db.session.remove()
        db.engine.dispose()
    return {"live": references[:-2], "moved": moved.reference, "cancelled": cancelled.reference, "sms": sms_keys}


def query_one(uri: str, sql: str) -> tuple:
    with psycopg.connect(uri, autocommit=True) as conn:
        return conn.execute(sql).fetchone()


def query_all(uri: str, sql: str) -> list[tuple]:
    with psycopg.connect(uri, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def accepted_keys(sms_dir: Path) -> list[str]:
    """The SMS keys the gateway accepted, once per acceptance."""
    log = sms_dir / "accepted.log"
    return log.read_text().split() if log.exists() else []


def mail_message_ids(mail_dir: Path) -> list[str]:
    """The Message-IDs of the emails written so far, once per copy."""
    ids: list[str] = []
    for path in mail_dir.glob("*.log"):
        ids += MESSAGE_ID_RE.findall(path.read_text(errors="replace"))
    return ids


def wait_until(condition, timeout: float, failure) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"after {timeout:.0f} s: {failure()}")
        time.sleep(0.05)


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--concurrency", "2"],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def worker_database():
    base = server_url()
    name = f"cozywish_reminders_worker_{os.getpid()}"
    url = create_fresh_database(base, name)
    yield url
    drop_database(base, name)


def test_a_worker_killed_mid_send_leaves_every_reminder_sent_exactly_once(worker_database, tmp_path):
    from sqlalchemy.engine import make_url

    seeded = seed(worker_database)
    uri = libpq(make_url(worker_database))
    held_key = seeded["sms"][seeded["live"][3]]
    sms_dir, mail_dir, log_path = tmp_path / "sms", tmp_path / "mail", tmp_path / "worker.log"
    env = {
        **os.environ,
        "COZYWISH_ENV": "development",
        "DATABASE_URL": worker_database,
        "SMS_GATEWAY": "tests.notifications.slow_sms.SlowSmsGateway",
        "SLOW_SMS_DIR": str(sms_dir),
        "SLOW_SMS_HOLD_KEY": held_key,
        "SLOW_SMS_HOLD_SECONDS": "60",
        "MAIL_BACKEND": "file",
        "MAIL_FILE_PATH": str(mail_dir),
        "JOBS_HEARTBEAT_SECONDS": "1",
        "JOBS_STALLED_AFTER_SECONDS": "3",
        "JOBS_STALLED_CHECK_SECONDS": "1",
        "LOG_JSON": "0",
    }

    def worker_log() -> str:
        return log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""

    def reminder_jobs_left() -> int:
        return query_one(
            uri,
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name IN ('notifications.send_reminder', "
            "'email.deliver') AND status IN ('todo', 'doing')",
        )[0]

    def jobs_left() -> list:
        """The jobs still open, the workers and the open jobs' events: what a failure needs."""
        with psycopg.connect(uri, autocommit=True) as conn:
            jobs = conn.execute(
                "SELECT id, task_name, status, scheduled_at, attempts, args FROM procrastinate_jobs"
                " WHERE status IN ('todo', 'doing') AND task_name <> 'jobs.retry_stalled'"
            ).fetchall()
            workers = conn.execute("SELECT id, last_heartbeat, now() FROM procrastinate_workers").fetchall()
            events = conn.execute(
                "SELECT e.job_id, e.type, e.at FROM procrastinate_events e JOIN procrastinate_jobs j"
                " ON j.id = e.job_id WHERE j.status = 'doing' AND j.task_name <> 'jobs.retry_stalled'"
            ).fetchall()
            return [*jobs, workers, events]

    first = start_worker(env, log_path)
    second = None
    try:
        wait_until(
            lambda: any(sms_dir.glob(f"holding-{held_key}-*")),
            60,
            lambda: f"the worker never reached {held_key}\n{worker_log()}",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        (stranded,) = query_one(
            uri,
            "SELECT count(*) FROM procrastinate_jobs"
            " WHERE status = 'doing' AND task_name = 'notifications.send_reminder'",
        )
        assert stranded >= 1, "the kill left no reminder job doing: nothing to recover"
        (claimed,) = query_one(uri, f"SELECT count(*) FROM sms_messages WHERE idempotency_key = '{held_key}'")
        assert claimed == 0, "the killed send's claim was committed"
        # The worker's other slot may have died between the gateway's acceptance of its
        # message and the commit of that message's record: the retry sends it again. Note
        # which messages were in that state at the kill (at most one per other slot).
        accepted_at_kill = set(accepted_keys(sms_dir))
        recorded_at_kill = {key for (key,) in query_all(uri, "SELECT idempotency_key FROM sms_messages")}
        sms_in_doubt = accepted_at_kill - recorded_at_kill
        mailed_at_kill = set(mail_message_ids(mail_dir))
        delivered_at_kill = {key for (key,) in query_all(uri, "SELECT key FROM email_deliveries")}
        mail_in_doubt = mailed_at_kill - delivered_at_kill
        in_doubt = (sms_in_doubt, mail_in_doubt)
        assert len(sms_in_doubt) + len(mail_in_doubt) <= 1, f"more in doubt than one slot holds: {in_doubt}"

        second = start_worker(env, log_path)
        wait_until(
            lambda: reminder_jobs_left() == 0,
            60,
            lambda: f"{reminder_jobs_left()} jobs left: {jobs_left()}\n{worker_log()}",
        )
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()

    accepted = accepted_keys(sms_dir)
    live_keys = {seeded["sms"][reference] for reference in seeded["live"]}
    assert set(accepted) == live_keys, "each live booking's SMS reminder, no others"
    doubled = {key: n for key, n in Counter(accepted).items() if n > 1}
    unexplained = {key: n for key, n in doubled.items() if key not in sms_in_doubt or n > 2}
    assert unexplained == {}, f"SMS sent more than once: {unexplained} (in doubt at the kill: {sms_in_doubt})"
    assert seeded["sms"][seeded["moved"]] not in accepted and seeded["sms"][seeded["cancelled"]] not in accepted
    (recorded,) = query_one(uri, "SELECT count(*) FROM sms_messages WHERE idempotency_key LIKE 'reminder-%'")
    assert recorded == len(live_keys)

    mailed = mail_message_ids(mail_dir)
    doubled = {key: n for key, n in Counter(mailed).items() if n > 1}
    unexplained = {key: n for key, n in doubled.items() if key not in mail_in_doubt or n > 2}
    assert unexplained == {}, f"email sent more than once: {unexplained} (in doubt at the kill: {mail_in_doubt})"
    subjects = set()
    for path in mail_dir.glob("*.log"):
        subjects |= set(re.findall(r"^Subject: (Reminder: .*)$", path.read_text(errors="replace"), re.MULTILINE))
    assert len(subjects) == len(seeded["live"]), subjects  # one email reminder per live booking

    with psycopg.connect(uri, autocommit=True) as conn:
        rows = dict(conn.execute("SELECT status, count(*) FROM booking_reminders GROUP BY status").fetchall())
    assert rows == {"sent": 2 * len(seeded["live"]), "dropped": 4}
