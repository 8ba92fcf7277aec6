"""The "Slow down" page (HTTP 429 from a Flask-Limiter limit, app/ops/errors.py) says how long to
wait, from the limit's own window, and sends the same figure as Retry-After (issue 45, item 7);
when the limits' storage can't say, it still answers 429 with "a few minutes"."""

from __future__ import annotations

import html
import re

import pytest
from flask_limiter import RequestLimit

from app.ops.errors import wait_message

LOOKUP = "/gift-vouchers/v/ABCD-EFGH-JKMN-PQR{}"


def lookups(web, count: int) -> list:
    return [web.get(LOOKUP.format(n)) for n in range(count)]


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_page_says_how_many_minutes_and_sends_retry_after(app, web, monkeypatch):
    monkeypatch.setitem(app.config, "VOUCHER_LOOKUP_LIMIT", "2 per 15 minutes")
    *allowed, refused = lookups(web, 3)
    assert [r.status_code for r in allowed] == [404, 404] and refused.status_code == 429
    page = text(refused)
    assert "Slow down" in page
    assert "Please try again in about 15 minutes." in page
    assert 14 * 60 < int(refused.headers["Retry-After"]) <= 15 * 60


def test_under_a_minute_it_counts_seconds(app, web, monkeypatch):
    monkeypatch.setitem(app.config, "VOUCHER_LOOKUP_LIMIT", "1 per 30 seconds")
    _, refused = lookups(web, 2)
    assert refused.status_code == 429
    seconds = int(refused.headers["Retry-After"])
    assert 25 <= seconds <= 30
    # The header and the page each read the clock: a second may tick between them.
    said = re.search(r"Please try again in about (\d+) seconds\.", text(refused))
    assert said and abs(int(said.group(1)) - seconds) <= 1


def test_without_the_reset_time_it_still_refuses_and_says_a_few_minutes(app, web, monkeypatch):
    def storage_down(self):
        raise ConnectionError("the limits' storage is down")

    monkeypatch.setitem(app.config, "VOUCHER_LOOKUP_LIMIT", "1 per 10 minutes")
    monkeypatch.setattr(RequestLimit, "window", property(storage_down))
    _, refused = lookups(web, 2)
    assert refused.status_code == 429
    assert "Please wait a few minutes and try again." in text(refused)
    assert "Retry-After" not in refused.headers


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "about 1 second."),
        (59, "about 59 seconds."),
        (60, "about 1 minute."),
        (61, "about 2 minutes."),
        (3600, "about 60 minutes."),
    ],
)
def test_the_wait_in_words(app, seconds, words):
    with app.test_request_context():
        assert wait_message(seconds).endswith(words)


def test_the_wait_speaks_spanish(app):
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert wait_message(300).endswith("dentro de unos 5 minutos.")
