"""``with_query`` (app/platform/urls.py) writes a link's query string exactly as ``url_for`` does,
so a page may build a view's path once and its many links from it."""

from __future__ import annotations

from datetime import date

import pytest
from flask import url_for

from app.platform.urls import with_query

CASES = [
    {},
    {"month": "2026-12", "day": date(2026, 12, 3)},
    {"start": "2026-12-03T10:15:00+00:00", "with": 7},
    {"option": 3, "addons": [4, 9], "day": "2026-12-03", "start": "2026-12-03T10:15:00+01:00"},
    {"addons": [], "option": None, "q": "café & spa / 50% off?", "odd": "a+b=c;d@e"},
]


@pytest.mark.parametrize("args", CASES)
def test_it_writes_what_url_for_writes(app, args):
    with app.test_request_context("/"):
        path = url_for("booking.book", slug="calm-rooms", service_id=12)
        assert with_query(path, args) == url_for("booking.book", slug="calm-rooms", service_id=12, **args)


def test_no_arguments_leave_the_path_alone():
    assert with_query("/venues/calm/book/1", {"option": None}) == "/venues/calm/book/1"
