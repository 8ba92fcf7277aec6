"""A refused request ends its transaction through ``roll_back`` (app/platform/sqlutil.py): one that
only read ends with COMMIT, so the connection keeps the statements psycopg prepared on it (a
ROLLBACK makes psycopg deallocate them all); one that wrote is rolled back and keeps nothing.
The same for a transaction still open at the request's teardown (an error page that read).

Each request here says which server connection it ran on, and the tests compare: the app's pool
holds one connection, reused by each request in turn."""

from __future__ import annotations

import pytest
from flask import Blueprint
from sqlalchemy import text

from app import create_app
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.web.unit_of_work import on_refusal
from config import Config

pytestmark = pytest.mark.committing  # the app's own pool and connections: no test transaction

STATE = text(
    "SELECT pg_backend_pid(), (SELECT count(*) FROM pg_prepared_statements), (SELECT count(*) FROM probe_rows)"
)


def probe_app(database_url, tmp_path):
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_ROOT": str(tmp_path),
            "WTF_CSRF_ENABLED": False,  # the probes are not forms
            "SQLALCHEMY_ENGINE_OPTIONS": {**Config.SQLALCHEMY_ENGINE_OPTIONS, "pool_size": 1, "max_overflow": 0},
        },
    )
    probe = Blueprint("prepared_probe", __name__)

    @probe.get("/_probe/state")
    def state():
        pid, prepared, rows = db.session.execute(STATE).one()
        return {"pid": pid, "prepared": prepared, "rows": rows}

    @probe.post("/_probe/prepare")
    def prepare():
        db.session.execute(text("CREATE TEMP TABLE IF NOT EXISTS probe_rows (n integer)"))  # this connection's own
        for _ in range(6):  # psycopg prepares a statement the fifth time a connection runs it
            db.session.execute(text("SELECT 1 AS prepared_probe")).scalar_one()
        return "ok"

    @probe.post("/_probe/refuse-after-reading")
    def refuse_after_reading():
        db.session.execute(text("SELECT 1 AS prepared_probe")).scalar_one()
        raise ValidationFailed("Refused after reading.")

    @probe.post("/_probe/refuse-after-writing")
    def refuse_after_writing():
        db.session.execute(text("INSERT INTO probe_rows VALUES (1)"))
        raise ValidationFailed("Refused after writing.")

    @probe.post("/_probe/refusal-page-reads")
    def refusal_page_reads():
        # The refusal's own page reads after the rollback: its transaction is still open at teardown.
        on_refusal(lambda error: f"{error} {db.session.execute(text('SELECT 2')).scalar_one()}")
        raise ValidationFailed("Refused, then read.")

    app.register_blueprint(probe)
    return app


@pytest.fixture
def probe(database_url, tmp_path):
    app = probe_app(database_url, tmp_path)
    client = app.test_client()
    assert client.post("/_probe/prepare").status_code == 200
    before = client.get("/_probe/state").json
    assert before["prepared"] >= 1 and before["rows"] == 0
    yield client, before
    with app.app_context():
        db.engine.dispose()


def test_a_refusal_that_only_read_keeps_the_prepared_statements(probe):
    client, before = probe
    response = client.post("/_probe/refuse-after-reading")
    assert response.status_code == 422
    assert "Refused after reading." in response.get_data(as_text=True)
    after = client.get("/_probe/state").json
    assert after["pid"] == before["pid"]  # the same server connection
    assert after["prepared"] == before["prepared"]


def test_a_refusal_that_wrote_is_rolled_back(probe):
    client, before = probe
    assert client.post("/_probe/refuse-after-writing").status_code == 422
    after = client.get("/_probe/state").json
    assert after["pid"] == before["pid"]
    assert after["rows"] == 0  # the row it added is gone
    assert after["prepared"] == 0  # a true ROLLBACK, at psycopg's price


def test_a_transaction_left_open_at_teardown_keeps_the_prepared_statements(probe):
    client, before = probe
    response = client.post("/_probe/refusal-page-reads")
    assert response.status_code == 422
    assert response.get_data(as_text=True) == "Refused, then read. 2"
    after = client.get("/_probe/state").json
    assert after["pid"] == before["pid"]
    assert after["prepared"] == before["prepared"]
