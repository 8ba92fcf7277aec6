"""Admins manage the platform's promo codes, a venue owner their venue's own: each sees and
changes only their own (404 otherwise), forms refuse bad input with a reason and change
nothing, and every create, change and deactivation is in the audit log."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.platform.extensions import db
from app.promos.models import PromoCode
from tests.booking.helpers import make_bookable_venue
from tests.promos.helpers import make_code

GOOD = {
    "code": "WINTER15",
    "kind": "percent",
    "amount": "15",
    "currency": "GBP",
    "funded_by": "platform",
    "valid_from": "2026-12-01",
    "valid_until": "2026-12-31",
    "min_spend": "30",
    "max_uses_total": "100",
    "max_uses_per_customer": "1",
}


@pytest.fixture
def venue(ctx, provider):
    venue, _service = make_bookable_venue(provider)
    return venue


def codes() -> int:
    return db.session.scalar(select(func.count()).select_from(PromoCode))


def audit_actions(code_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_type == "promo_code", AuditEntry.subject_id == code_id)
            .order_by(AuditEntry.id)
        )
    )


# -- admins ------------------------------------------------------------------------------------------


def test_an_admin_creates_a_platform_code(web, admin, ctx):
    web.sign_in_as(admin)
    response = web.post("/admin/promo-codes", GOOD)
    assert response.status_code == 303
    code = db.session.scalar(select(PromoCode).where(PromoCode.code == "WINTER15"))
    assert (code.kind, code.value, code.funded_by, code.venue_id) == ("percent", 15, "platform", None)
    assert (code.min_spend_minor, code.max_uses_total, code.max_uses_per_customer) == (3000, 100, 1)
    assert code.valid_from.isoformat() == "2026-12-01T00:00:00+00:00"  # UK midnight (GMT)
    assert code.valid_until.isoformat() == "2027-01-01T00:00:00+00:00"  # the end of the last day
    assert audit_actions(code.id) == ["promo.create"]
    page = web.get("/admin/promo-codes").text
    assert "WINTER15" in page and "15% off" in page and "0 of 100" in page


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"code": "x"}, "Code: 3 to 32 letters"),
        ({"code": "bad code!"}, "Code: 3 to 32 letters"),
        ({"kind": "free"}, "Discount: choose a percentage or a fixed amount."),
        ({"amount": "150"}, "Percentage off: a whole number from 1 to 100"),
        ({"amount": "ten"}, "Percentage off: a whole number from 1 to 100"),
        ({"kind": "fixed", "amount": "5.555"}, "Amount off: write an amount like 5 or 12.50"),
        ({"kind": "fixed", "amount": "0"}, "Amount off: more than zero"),
        ({"currency": "XXX"}, "Currency: one of GBP, EUR, USD."),
        ({"funded_by": "nobody"}, "Paid for by: choose the platform or the venues."),
        ({"valid_until": "2026-11-01"}, "Valid until: the last day can't be before the first."),
        ({"valid_from": "tomorrow"}, "Valid from: choose a date."),
        ({"min_spend": "-5"}, "Minimum spend: write an amount"),
        ({"max_uses_total": "0"}, "Uses in total: a whole number from 1"),
        ({"max_uses_per_customer": "200"}, "Uses per customer: can't be more than the uses in total."),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_made(web, admin, ctx, change, reason):
    web.sign_in_as(admin)
    response = web.post("/admin/promo-codes", GOOD | change)
    assert response.status_code == 422
    assert reason in html.unescape(response.text)
    assert codes() == 0
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.subject_type == "promo_code"))
        == 0
    )


def test_a_code_is_unique_whatever_the_capitals(web, admin, ctx):
    make_code("WINTER15")
    web.sign_in_as(admin)
    response = web.post("/admin/promo-codes", GOOD | {"code": "winter15"})
    assert response.status_code == 422
    assert "winter15 is taken" in html.unescape(response.text)
    assert codes() == 1


def test_an_admin_edits_and_deactivates_a_code(web, admin, ctx):
    code = make_code("WINTER15", max_uses_total=10)
    web.sign_in_as(admin)
    assert 'value="WINTER15"' in web.get(f"/admin/promo-codes/{code.id}").text
    response = web.post(f"/admin/promo-codes/{code.id}", GOOD | {"amount": "20", "code": "IGNORED"})
    assert response.status_code == 303
    db.session.refresh(code)
    assert (code.value, code.code) == (20, "WINTER15")  # the spelling never changes
    assert web.post(f"/admin/promo-codes/{code.id}/active", {"active": "0"}).status_code == 303
    db.session.refresh(code)
    assert code.active is False
    assert web.post(f"/admin/promo-codes/{code.id}/active", {"active": "1"}).status_code == 303
    db.session.refresh(code)
    assert code.active is True
    assert audit_actions(code.id) == ["promo.update", "promo.deactivate", "promo.reactivate"]


def test_the_limit_can_not_go_below_the_live_uses(web, admin, ctx):
    code = make_code("WINTER15", max_uses_total=10, uses_count=4)
    web.sign_in_as(admin)
    response = web.post(f"/admin/promo-codes/{code.id}", GOOD | {"max_uses_total": "3", "max_uses_per_customer": ""})
    assert response.status_code == 422
    assert "4 orders use this code now" in response.text
    db.session.refresh(code)
    assert code.max_uses_total == 10 and code.value == 10
    assert audit_actions(code.id) == []


def test_admins_do_not_see_or_change_a_venues_own_code(web, admin, venue):
    own = make_code("CALM20", venue_id=venue.id, funded_by="venue")
    web.sign_in_as(admin)
    assert "CALM20" not in web.get("/admin/promo-codes").text
    assert web.get(f"/admin/promo-codes/{own.id}").status_code == 404
    assert web.post(f"/admin/promo-codes/{own.id}", GOOD).status_code == 404
    assert web.post(f"/admin/promo-codes/{own.id}/active", {"active": "0"}).status_code == 404
    db.session.refresh(own)
    assert own.active is True and own.value == 10


@pytest.mark.parametrize("role", ["customer", "provider"])
def test_only_admins_reach_the_admin_page(web, make_user, ctx, role):
    code = make_code("WINTER15")
    web.sign_in_as(make_user(role=role))
    assert web.get("/admin/promo-codes").status_code == 403
    assert web.post("/admin/promo-codes", GOOD | {"code": "NEWONE"}).status_code == 403
    assert web.post(f"/admin/promo-codes/{code.id}/active", {"active": "0"}).status_code == 403
    assert codes() == 1


def test_signed_out_visitors_are_sent_to_sign_in(web, ctx):
    assert web.get("/admin/promo-codes").status_code == 302
    assert web.get("/provider/promo-codes").status_code == 302


def test_without_a_csrf_token_nothing_is_made(web, admin, ctx):
    web.sign_in_as(admin)
    assert web.post("/admin/promo-codes", GOOD, csrf=False).status_code == 400
    assert codes() == 0


# -- venue owners ---------------------------------------------------------------------------------------


def test_an_owner_creates_a_code_for_their_venue_paid_by_the_venue(web, provider, venue):
    web.sign_in_as(provider)
    # Whatever the form says, a venue's code is the venue's, in its currency, paid by it.
    response = web.post("/provider/promo-codes", GOOD | {"funded_by": "platform", "currency": "USD"})
    assert response.status_code == 303
    code = db.session.scalar(select(PromoCode).where(PromoCode.code == "WINTER15"))
    assert (code.venue_id, code.funded_by, code.currency) == (venue.id, "venue", "GBP")
    assert audit_actions(code.id) == ["promo.create"]
    assert "WINTER15" in web.get("/provider/promo-codes").text


def test_an_owner_sees_and_changes_only_their_own_codes(web, provider, venue, make_user):
    other_owner = make_user(role="provider")
    other_venue, _ = make_bookable_venue(other_owner, name="Glow Studio")
    theirs = make_code("GLOW10", venue_id=other_venue.id, funded_by="venue")
    platform = make_code("SITEWIDE")
    mine = make_code("CALM10", venue_id=venue.id, funded_by="venue")
    web.sign_in_as(provider)
    page = web.get("/provider/promo-codes").text
    assert "CALM10" in page and "GLOW10" not in page and "SITEWIDE" not in page
    for code in (theirs, platform):
        assert web.get(f"/provider/promo-codes/{code.id}").status_code == 404
        assert web.post(f"/provider/promo-codes/{code.id}", GOOD).status_code == 404
        assert web.post(f"/provider/promo-codes/{code.id}/active", {"active": "0"}).status_code == 404
        db.session.refresh(code)
        assert code.active is True and code.value == 10
    assert web.post(f"/provider/promo-codes/{mine.id}/active", {"active": "0"}).status_code == 303
    db.session.refresh(mine)
    assert mine.active is False
    assert audit_actions(mine.id) == ["promo.deactivate"]


def test_an_owner_bad_input_changes_nothing(web, provider, venue):
    mine = make_code("CALM10", venue_id=venue.id, funded_by="venue")
    web.sign_in_as(provider)
    response = web.post(f"/provider/promo-codes/{mine.id}", GOOD | {"amount": "0"})
    assert response.status_code == 422
    assert "Percentage off: a whole number from 1 to 100" in response.text
    db.session.refresh(mine)
    assert mine.value == 10
    assert audit_actions(mine.id) == []


def test_customers_can_not_reach_the_owner_pages(web, customer, ctx):
    web.sign_in_as(customer)
    assert web.get("/provider/promo-codes").status_code == 403
    assert web.post("/provider/promo-codes", GOOD).status_code == 403
    assert codes() == 0
