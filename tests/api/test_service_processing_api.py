"""Processing time on a service through the API (/api/v1/venue/services): written as
``processing`` ({after_minutes, minutes}; null: none; left out: kept), shown on every service
object; a gap that does not end before the service does is a 422 naming ``processing`` that
changes nothing."""

from __future__ import annotations

import pytest

from app.platform.extensions import db
from app.venues.models import Service
from tests.api.conftest import bearer
from tests.api.test_venue_edit import API, SERVICE, problem_field

COLOUR = {**SERVICE, "name": "Full colour", "duration_minutes": 75, "processing": {"after_minutes": 30, "minutes": 30}}


def gap_of(service_id: int) -> tuple[int | None, int | None]:
    db.session.expire_all()
    service = db.session.get(Service, service_id)
    return service.processing_after_minutes, service.processing_minutes


def test_a_service_is_added_kept_and_cleared_with_processing(client, world, tokens):
    made = client.post(f"{API}/services", json=COLOUR, headers=bearer(tokens["manager"]))
    assert made.status_code == 201, made.get_json()
    row = made.get_json()
    assert row["processing"] == {"after_minutes": 30, "minutes": 30}
    kept = client.put(
        f"{API}/services/{row['id']}", json={**SERVICE, "duration_minutes": 75}, headers=bearer(tokens["owner"])
    )
    assert kept.status_code == 200 and kept.get_json()["processing"] == {"after_minutes": 30, "minutes": 30}
    cleared = client.put(
        f"{API}/services/{row['id']}",
        json={**SERVICE, "duration_minutes": 75, "processing": None},
        headers=bearer(tokens["owner"]),
    )
    assert cleared.status_code == 200 and cleared.get_json()["processing"] is None
    assert gap_of(row["id"]) == (None, None)
    public = client.get(f"/api/v1/venues/{world.venue.slug}/services").get_json()
    assert all("processing" in s for s in public)


@pytest.mark.parametrize(
    "processing",
    [
        {"after_minutes": 30, "minutes": 45},  # ends at 75: nothing after it
        {"after_minutes": 2, "minutes": 30},
        {"after_minutes": 30},
        {"after_minutes": "thirty", "minutes": 30},
        {"after_minutes": 30, "minutes": 30, "extra": 1},
        "30+30",
    ],
)
def test_a_gap_that_makes_no_sense_is_a_422_that_changes_nothing(client, world, tokens, processing):
    service_id = int(world.ids["service_id"])
    before = gap_of(service_id)
    response = client.put(
        f"{API}/services/{service_id}",
        json={**SERVICE, "duration_minutes": 75, "processing": processing},
        headers=bearer(tokens["owner"]),
    )
    assert response.status_code == 422, response.get_json()
    assert problem_field(response, "processing")
    assert gap_of(service_id) == before
