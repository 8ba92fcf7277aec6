"""Jobs are enqueued in the same transaction as the change that causes them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.accounts.models import User
from app.email import deliver_email
from app.extensions import db
from app.jobs import enqueue, run_pending_jobs, run_worker


def count_jobs(task_name: str = "email.deliver") -> int:
    return db.session.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = :t"), {"t": task_name})


def test_enqueued_job_is_visible_in_the_same_transaction(ctx):
    enqueue(deliver_email, to="a@example.com", subject="Hi", text_body="t", html_body="<p>h</p>")
    assert count_jobs() == 1


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
            left = db.session.execute(text("SELECT status::text FROM procrastinate_jobs")).scalars().all()
            assert left == []  # done and deleted
            assert [m.to for m in app.extensions["mailman"].outbox] == [["worker@example.com"]]
        finally:
            db.session.rollback()
            db.session.execute(text("DELETE FROM procrastinate_jobs"))
            db.session.commit()
            db.session.remove()


def test_jobs_running_side_by_side_get_their_own_session(app):
    """Worker threads must not share the session of the app context they were started in."""
    import threading

    import app.jobs as jobs_module

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
