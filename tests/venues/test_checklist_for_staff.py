"""The dashboard's setup checklist links to payouts only for the owner: a manager's link would
answer 403 (payouts are the owner's alone, docs/staff-roles.md)."""

from __future__ import annotations

import pytest

from tests.venues.staff_world import build_world


@pytest.fixture
def world(ctx, make_user, customer):
    return build_world(make_user, customer)


def test_the_owner_sees_the_payouts_item_and_may_open_it(web, world):
    web.sign_in_as(world.people["owner"])
    page = web.get("/provider").get_data(as_text=True)
    assert 'data-checklist-item="payouts"' in page and 'href="/provider/payouts"' in page
    assert web.get("/provider/payouts").status_code == 200
    assert 'href="/provider/payouts"' in web.get("/provider/venue/review").get_data(as_text=True)


def test_a_manager_sees_no_payouts_link_on_the_dashboard_or_the_review(web, world):
    web.sign_in_as(world.people["manager"])
    response = web.get("/provider")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-checklist-item="payouts"' not in page and "/provider/payouts" not in page
    assert "/provider/payouts" not in web.get("/provider/venue/review").get_data(as_text=True)
    assert web.get("/provider/payouts").status_code == 403  # what the link would have met
