"""A service form's "Needs" row ticked "Shared by guests side by side" (issue 44, item 6;
templates/venues/dashboard/_service_needs.html, app/venues/catalog_forms.py): saved through
``set_needs(shared=...)``; a row posted without its box is unticked (a browser leaves an unticked
box out), a box on a row of 0 units is ignored, a post without the "Needs" table keeps all, and
the edit form shows what is saved."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.platform.extensions import db
from app.venues import resources
from app.venues.models import Service, ServiceResource, Venue
from app.venues.service import create_venue
from tests.venues.test_dashboard_catalog import BASE, HTMX, new_service, service_data, text


@pytest.fixture
def web(dashboard_web):
    return dashboard_web


@pytest.fixture
def venue(ctx, provider, web) -> Venue:
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    db.session.commit()
    web.sign_in_as(provider)
    return venue


def saved_needs(service_id: int) -> dict[int, tuple[int, bool]]:
    """(units, shared) per resource the service needs, as the database holds them."""
    db.session.expire_all()
    rows = db.session.execute(
        select(ServiceResource.resource_id, ServiceResource.units, ServiceResource.shared).where(
            ServiceResource.service_id == service_id
        )
    ).all()
    return {rid: (units, shared) for rid, units, shared in rows}


def posted(units: dict[int, str], shared: tuple[int, ...] = (), **over) -> dict:
    return {
        **service_data(**over),
        "needs_sent": "1",
        **{f"need-{rid}": value for rid, value in units.items()},
        **{f"need-{rid}-shared": "1" for rid in shared},
    }


def shared_box(page: str, box_id: str) -> str:
    """The HTML of the checkbox with id ``box_id``."""
    found = re.search(rf'<input[^>]*id="{re.escape(box_id)}"[^>]*>', page)
    assert found, f"no #{box_id} in the page"
    assert 'type="checkbox"' in found.group(0)
    return found.group(0)


def test_the_box_is_saved_shown_and_unticked_by_its_absence(web, venue):
    room = resources.add_resource(venue, name="Treatment room", quantity=2)
    double = resources.add_resource(venue, name="Double room", quantity=1)
    db.session.commit()
    page = text(web.get(f"{BASE}/services"))
    assert "Shared by guests side by side" in page
    assert " checked" not in shared_box(page, f"need-{double.id}-shared")  # a new service: unticked

    added = web.post(
        f"{BASE}/services", posted({room.id: "1", double.id: "1"}, shared=(double.id,), name="Couples"), headers=HTMX
    )
    assert added.status_code == 200, text(added)
    service = db.session.scalar(select(Service).where(Service.venue_id == venue.id))
    assert saved_needs(service.id) == {room.id: (1, False), double.id: (1, True)}

    edit = text(web.get(f"{BASE}/services/{service.id}", headers=HTMX))
    assert " checked" in shared_box(edit, f"service-{service.id}-need-{double.id}-shared")
    assert " checked" not in shared_box(edit, f"service-{service.id}-need-{room.id}-shared")
    assert f'name="need-{double.id}-shared"' in edit

    # A post without the "Needs" table keeps what is saved, shared or not.
    assert web.post(f"{BASE}/services/{service.id}", service_data(), headers=HTMX).status_code == 200
    assert saved_needs(service.id) == {room.id: (1, False), double.id: (1, True)}

    # The table posted without the double room's box: unticked, its units kept.
    unticked = web.post(f"{BASE}/services/{service.id}", posted({room.id: "1", double.id: "1"}), headers=HTMX)
    assert unticked.status_code == 200, text(unticked)
    assert saved_needs(service.id) == {room.id: (1, False), double.id: (1, False)}
    edit = text(web.get(f"{BASE}/services/{service.id}", headers=HTMX))
    assert " checked" not in shared_box(edit, f"service-{service.id}-need-{double.id}-shared")

    # Ticked again on one row, and on a row of 0 units (not needed: the box means nothing there).
    both = posted({room.id: "0", double.id: "1"}, shared=(room.id, double.id))
    ticked = web.post(f"{BASE}/services/{service.id}", both, headers=HTMX)
    assert ticked.status_code == 200, text(ticked)
    assert saved_needs(service.id) == {double.id: (1, True)}


def test_bad_units_keep_the_box_as_posted_and_change_nothing(web, venue):
    double = resources.add_resource(venue, name="Double room", quantity=1)
    service = new_service(venue)
    db.session.commit()
    refused = web.post(
        f"{BASE}/services/{service.id}", posted({double.id: "2"}, shared=(double.id,), name="Renamed"), headers=HTMX
    )
    assert refused.status_code == 422 and "0 (not needed) to 1" in text(refused)
    assert " checked" in shared_box(text(refused), f"service-{service.id}-need-{double.id}-shared")
    assert saved_needs(service.id) == {}
