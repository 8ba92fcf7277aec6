"""The Earnings page's booking rows (issue 45, item 7): each names its client and links its
reference to the provider's booking page, and the names come in the rows' own query (as many
statements for three bookings as for one)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.accounts.models import Role
from app.payouts.earnings import get_booking_lines
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.payouts.helpers import connect
from tests.statements import statements_sent


class Rows(HTMLParser):
    """Per earnings row (``data-booking``): its cells' text and the links in it."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict] = {}
        self._row: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "tr" and "data-booking" in attributes:
            self._row = {"text": "", "links": []}
            self.rows[attributes["data-booking"]] = self._row
        elif tag == "a" and self._row is not None:
            self._row["links"].append(attributes.get("href", ""))

    def handle_data(self, data):
        if self._row is not None:
            self._row["text"] += data

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None


def rows_of(response) -> dict[str, dict]:
    parser = Rows()
    parser.feed(response.get_data(as_text=True))
    return parser.rows


@pytest.fixture
def venue_and_service(ctx, provider):
    venue, service = make_bookable_venue(provider, capacity=3)
    connect(venue)
    return venue, service


def sell(service, customers, run_jobs) -> list:
    bookings = [book(customer, service, future_slot(hour=10 + n)) for n, customer in enumerate(customers)]
    db.session.commit()
    run_jobs()  # the venue's transfers
    return bookings


def test_each_row_names_the_client_and_links_the_booking(web, provider, customer, venue_and_service, run_jobs):
    venue, service = venue_and_service
    [booking] = sell(service, [customer], run_jobs)
    [line] = get_booking_lines(venue)
    assert (line.client, line.booking_id) == (customer.name, booking.id)

    web.sign_in_as(provider)
    row = rows_of(web.get("/provider/earnings"))[booking.reference]
    assert customer.name in row["text"]
    assert f"/provider/bookings/{booking.id}" in row["links"]
    assert web.get(f"/provider/bookings/{booking.id}").status_code == 200  # the link opens


def test_three_rows_cost_no_more_statements_than_one(web, provider, make_user, venue_and_service, run_jobs):
    _venue, service = venue_and_service
    customers = [make_user(role=Role.CUSTOMER, name=f"Client Number{n}") for n in range(3)]
    [first] = sell(service, customers[:1], run_jobs)
    web.sign_in_as(provider)
    web.get("/provider/earnings")  # warm the session and caches
    with statements_sent(savepoints=True) as one:
        web.get("/provider/earnings")
    sell(service, customers[1:], run_jobs)
    web.get("/provider/earnings")
    with statements_sent(savepoints=True) as three:
        response = web.get("/provider/earnings")
    rows = rows_of(response)
    assert len(rows) == 3 and first.reference in rows
    for customer in customers:
        assert any(customer.name in row["text"] for row in rows.values()), customer.name
    assert len(three) == len(one)
