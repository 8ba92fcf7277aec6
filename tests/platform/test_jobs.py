"""Jobs are enqueued in the same transaction as the change that causes them."""

from __future__ import annotations

import pytest
from flask import has_request_context, url_for
from sqlalchemy import text

from app.accounts.models import User
from app.platform.email import deliver_email
from app.platform.extensions import db
from app.platform.jobs import enqueue, run_pending_jobs, run_worker
from tests.statements import statements_sent


def count_jobs(task_name: str = "email.deliver") -> int:
    return db.session.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = :t"), {"t": task_name})


def test_enqueued_job_is_visible_in_the_same_transaction(ctx):
    enqueue(deliver_email, to="a@example.com", subject="Hi", text_body="t", html_body="<p>h</p>")
    assert count_jobs() == 1


def test_an_enqueued_job_keeps_its_tasks_queue_priority_and_time_in_one_statement(ctx):
    """procrastinate's own deferral function, its fields sent as plain values (not an array of
    composites, whose text form escapes an email's bodies twice)."""
    import app.platform.jobs as jobs_module

    task = jobs_module.job(name="test.prioritised", queue="slow", priority=7)(lambda **_kwargs: None)
    body = '<p>O\'Brien \\ "quoted" {braces} ,(commas)</p>\n' * 50
    try:
        with statements_sent() as sent:
            job_id = enqueue(task, schedule_in={"minutes": 5}, to="a@example.com", html_body=body, count=2)
        assert len(sent) == 1 and "procrastinate_defer_jobs_v1" in sent[0]
        row = db.session.execute(
            text(
                "SELECT queue_name, task_name, priority, status::text, args,"
                " scheduled_at BETWEEN now() + interval '4 minutes' AND now() + interval '6 minutes' AS in_five"
                " FROM procrastinate_jobs WHERE id = :id"
            ),
            {"id": job_id},
        ).one()
    finally:
        jobs_module.queue.tasks.pop("test.prioritised", None)
    assert tuple(row) == (
        "slow",
        "test.prioritised",
        7,
        "todo",
        {"to": "a@example.com", "html_body": body, "count": 2},
        True,
    )


def test_rolled_back_change_leaves_no_job(ctx):
    before = count_jobs()
    nested = db.session.begin_nested()
    db.session.add(User(email="ghost@example.com", name="Ghost", password_hash="x", role="customer"))
    enqueue(deliver_email, to="ghost@example.com", subject="Hi", text_body="t", html_body="h")
    assert count_jobs() == before + 1
    nested.rollback()
    assert count_jobs() == before
    assert db.session.scalar(text("SELECT count(*) FROM users WHERE email = 'ghost@example.com'")) == 0


def test_jobs_run_in_process_and_successful_ones_are_deleted(ctx, outbox):
    job_id = enqueue(deliver_email, to="b@example.com", subject="Hello", text_body="plain", html_body="<b>rich</b>")
    assert run_pending_jobs() == ["email.deliver:succeeded"]
    assert [m.to for m in outbox] == [["b@example.com"]]
    # Deleted once done: an email job's arguments hold links that must not linger.
    assert db.session.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}) == 0
    assert run_pending_jobs() == []  # taken once


def test_a_failing_job_is_marked_failed_and_does_not_stop_the_others(ctx, outbox, monkeypatch):
    from flask_mailman import EmailMultiAlternatives

    calls = {"n": 0}
    original = EmailMultiAlternatives.send

    def flaky_send(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("smtp down")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", flaky_send)
    enqueue(deliver_email, to="c@example.com", subject="1", text_body="t", html_body="h")
    enqueue(deliver_email, to="d@example.com", subject="2", text_body="t", html_body="h")
    assert run_pending_jobs() == ["email.deliver:failed", "email.deliver:succeeded"]
    assert [m.to for m in outbox] == [["d@example.com"]]
    statuses = db.session.execute(text("SELECT status::text FROM procrastinate_jobs")).scalars().all()
    assert statuses == ["failed"]  # kept for inspection and retry


def test_jobs_run_in_process_build_links_on_the_base_url_as_in_the_worker(app):
    """`flask jobs run-once` has no request: its jobs still get one on BASE_URL, as the worker's
    do (a receipt's and an email's links), instead of failing in url_for."""
    import app.platform.jobs as jobs_module

    links: list[str] = []
    task = jobs_module.job(name="test.builds_a_link")(lambda **_: links.append(url_for("main.index", _external=True)))
    try:
        with app.app_context():  # as in the command: an application, no request
            assert not has_request_context()
            enqueue(task)
            assert run_pending_jobs() == ["test.builds_a_link:succeeded"]
    finally:
        jobs_module.queue.tasks.pop("test.builds_a_link", None)
    assert links == [app.config["BASE_URL"].rstrip("/") + "/"]


@pytest.mark.slow
@pytest.mark.committing
def test_committed_job_is_processed_by_the_real_worker(app):
    """A real procrastinate worker, on its own connections, picks up a committed job."""
    with app.app_context():
        db.session.execute(text("DELETE FROM procrastinate_jobs"))
        enqueue(deliver_email, to="worker@example.com", subject="Real", text_body="t", html_body="h")
        db.session.commit()
        app.extensions["mailman"].outbox = []
        try:
            run_worker(app, wait=False)
            left = db.session.execute(text("SELECT task_name, status::text FROM procrastinate_jobs ORDER BY id")).all()
            # Done and deleted. A run that crosses a minute boundary may also have deferred that
            # minute's periodic jobs (each domain's wiring.py): waiting rows of other tasks are allowed.
            assert [tuple(row) for row in left if row.task_name == "email.deliver" or row.status != "todo"] == []
            assert [m.to for m in app.extensions["mailman"].outbox] == [["worker@example.com"]]
        finally:
            db.session.rollback()
            db.session.execute(text("DELETE FROM procrastinate_jobs"))
            db.session.commit()
            db.session.remove()


@pytest.mark.slow
@pytest.mark.committing
def test_a_job_that_lost_the_database_runs_again_and_one_that_failed_otherwise_is_failed(app):
    """A job with no retry of its own that loses PostgreSQL mid-run (a restart) is put back with
    a delay, not marked failed; any other error still fails it. A real worker decides."""
    import app.platform.jobs as jobs_module

    def lost(**_kwargs):
        db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    def broken(**_kwargs):
        raise ValueError("a bug, not an outage")

    lost_task = jobs_module.job(name="test.loses_the_database")(lost)
    broken_task = jobs_module.job(name="test.has_a_bug")(broken)
    with app.app_context():
        try:
            db.session.execute(text("DELETE FROM procrastinate_jobs"))
            enqueue(lost_task)
            enqueue(broken_task)
            db.session.commit()
            run_worker(app, wait=False)
            rows = db.session.execute(
                text(
                    "SELECT task_name, status::text, attempts, scheduled_at > now() AS later"
                    " FROM procrastinate_jobs WHERE task_name LIKE 'test.%' ORDER BY task_name"
                )
            ).all()
            assert [tuple(row) for row in rows] == [
                ("test.has_a_bug", "failed", 1, None),
                ("test.loses_the_database", "todo", 1, True),
            ]
        finally:
            jobs_module.queue.tasks.pop("test.loses_the_database", None)
            jobs_module.queue.tasks.pop("test.has_a_bug", None)
            db.session.rollback()
            db.session.execute(text("DELETE FROM procrastinate_jobs"))
            db.session.commit()
            db.session.remove()


def test_jobs_running_side_by_side_get_their_own_session(app):
    """Worker threads must not share the session of the app context they were started in."""
    import threading

    import app.platform.jobs as jobs_module

    seen: list[int] = []
    barrier = threading.Barrier(2)

    def body(**_kwargs):
        barrier.wait(timeout=5)
        seen.append(id(db.session()))

    wrapped = jobs_module.job(name="test.session_probe")(body)
    jobs_module._worker_flask_app = app
    try:
        with app.app_context():  # as in `flask jobs worker`
            threads = [threading.Thread(target=wrapped.func) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=10)
    finally:
        jobs_module._worker_flask_app = None
        jobs_module.queue.tasks.pop("test.session_probe", None)
    assert len(seen) == 2
    assert seen[0] != seen[1]


def make_worker(seconds_since_heartbeat: int) -> int:
    return db.session.scalar(
        text(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - make_interval(secs => :s)) RETURNING id"
        ),
        {"s": seconds_since_heartbeat},
    )


def start_job(job_id: int, worker_id: int | None, attempts: int = 0) -> None:
    db.session.execute(
        text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w, attempts = :a WHERE id = :id"),
        {"w": worker_id, "a": attempts, "id": job_id},
    )


def job_status(job_id: int) -> str:
    return db.session.scalar(text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id})


def test_job_of_a_worker_that_stopped_beating_is_retried_and_a_live_ones_is_not(ctx):
    from app.platform.jobs import retry_stalled_jobs

    dead, alive = make_worker(seconds_since_heartbeat=300), make_worker(seconds_since_heartbeat=2)
    stalled = enqueue(deliver_email, to="a@example.com", subject="1", text_body="t", html_body="h", key="k1")
    running = enqueue(deliver_email, to="b@example.com", subject="2", text_body="t", html_body="h", key="k2")
    start_job(stalled, dead)
    start_job(running, alive)

    assert retry_stalled_jobs(stalled_after_seconds=60) == [stalled]
    assert job_status(stalled) == "todo"
    assert job_status(running) == "doing"


def test_job_left_by_a_pruned_worker_is_retried_once_it_has_been_quiet_as_long(ctx):
    from app.platform.jobs import retry_stalled_jobs

    orphan = enqueue(deliver_email, to="a@example.com", subject="1", text_body="t", html_body="h", key="k3")
    start_job(orphan, None)  # procrastinate clears worker_id when it prunes a dead worker
    assert retry_stalled_jobs(stalled_after_seconds=60) == []  # just started: maybe `jobs run-once`
    db.session.execute(
        text("UPDATE procrastinate_events SET at = now() - interval '5 minutes' WHERE job_id = :id"), {"id": orphan}
    )
    assert retry_stalled_jobs(stalled_after_seconds=60) == [orphan]
    assert job_status(orphan) == "todo"


def test_job_that_keeps_killing_its_workers_is_failed_not_retried_forever(ctx):
    from app.platform.jobs import STALLED_MAX_ATTEMPTS, retry_stalled_jobs

    poison = enqueue(deliver_email, to="a@example.com", subject="1", text_body="t", html_body="h", key="k4")
    start_job(poison, make_worker(seconds_since_heartbeat=300), attempts=STALLED_MAX_ATTEMPTS - 1)
    assert retry_stalled_jobs(stalled_after_seconds=60) == []
    assert job_status(poison) == "failed"


def test_stalled_check_schedule_uses_seconds_only_below_a_minute():
    from app.platform.jobs import stalled_check_cron

    assert stalled_check_cron(60) == "*/1 * * * *"
    assert stalled_check_cron(300) == "*/5 * * * *"
    assert stalled_check_cron(5) == "* * * * * */5"


def test_supervisor_starts_a_failed_worker_run_again_and_stops_on_sigterm(app, monkeypatch):
    import asyncio
    import os
    import signal

    import app.platform.jobs as jobs_module

    runs: list[int] = []

    async def fake_run(_app, *, wait, concurrency):
        runs.append(len(runs))
        if len(runs) == 1:
            raise ConnectionError("the database went away")
        if len(runs) == 2:
            return  # stopped on its own, as when a side task loses the database
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.sleep(30)  # cancelled by the stop request

    monkeypatch.setattr(jobs_module, "_run_once", fake_run)
    monkeypatch.setattr(jobs_module, "RESTART_FIRST_DELAY", 0.01)
    asyncio.run(asyncio.wait_for(jobs_module._run_supervised(app, concurrency=1), timeout=10))
    assert runs == [0, 1, 2]
