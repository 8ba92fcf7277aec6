"""The platform tests start each test from an empty job queue: the jobs and email tests assert
exact job lists. tests/foundation/conftest.py uses the same fixture."""

import pytest
from sqlalchemy import text

from app.platform.extensions import db


@pytest.fixture(autouse=True)
def _empty_job_queue(request, _transaction):
    """These tests assert exact job lists: start each from an empty queue (rolled back after)."""
    if not request.node.get_closest_marker("committing"):
        db.session.execute(text("DELETE FROM procrastinate_jobs"))
