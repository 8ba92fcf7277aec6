"""Processing time in the owner's service form (issue 44, item 3): both fields or neither; a gap
that does not end before every length is refused with the reason under the field, and nothing
changes; a form without the fields keeps the service's gap; the edit form shows it."""

from __future__ import annotations

import pytest

from app.platform.extensions import db
from app.venues.models import Service, Venue
from tests.venues.test_dashboard_catalog import BASE, fresh, new_service, service_data, text
from tests.venues.test_dashboard_catalog import venue as venue
from tests.venues.test_dashboard_catalog import web as web


def colour_data(**overrides) -> dict:
    fields = {
        "name": "Full colour",
        "duration_minutes": "75",
        "processing_after_minutes": "30",
        "processing_minutes": "30",
    }
    return service_data(**{**fields, **overrides})


def test_a_colour_is_added_with_its_processing_time(web, venue):
    response = web.post(f"{BASE}/services", colour_data())
    assert response.status_code == 302
    service = fresh(Venue, venue.id).services[0]
    assert (service.processing_after_minutes, service.processing_minutes) == (30, 30)
    page = text(web.get(f"{BASE}/services/{service.id}"))
    assert 'name="processing_after_minutes"' in page and 'value="30"' in page


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"processing_minutes": ""}, "Give both"),
        ({"processing_after_minutes": ""}, "Give both"),
        ({"processing_minutes": "45"}, "go on after processing"),
        ({"processing_after_minutes": "2"}, "starts between"),
        ({"processing_minutes": "half an hour"}, "whole number"),
    ],
)
def test_a_gap_that_makes_no_sense_is_refused_and_nothing_changes(web, venue, fields, words):
    service = new_service(venue, "Full colour", duration_minutes=75)
    db.session.commit()
    response = web.post(f"{BASE}/services/{service.id}", colour_data(name="Renamed", **fields))
    assert response.status_code == 422
    assert words in text(response)
    stored = fresh(Service, service.id)
    assert (stored.name, stored.processing_minutes) == ("Full colour", None)


def test_a_form_without_the_fields_keeps_the_gap_and_empty_fields_remove_it(web, venue):
    service = new_service(venue, "Full colour", duration_minutes=75)
    service.processing_after_minutes, service.processing_minutes = 30, 30
    db.session.commit()
    assert web.post(f"{BASE}/services/{service.id}", service_data(duration_minutes="75")).status_code == 302
    assert fresh(Service, service.id).processing_minutes == 30
    emptied = colour_data(processing_after_minutes="", processing_minutes="")
    assert web.post(f"{BASE}/services/{service.id}", emptied).status_code == 302
    assert fresh(Service, service.id).processing_minutes is None
