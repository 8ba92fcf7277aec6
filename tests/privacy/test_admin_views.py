"""An administrator looking at a customer's personal data leaves an audit entry: who viewed whom, when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.privacy.conftest import count


def views() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.viewed")))


def test_opening_a_users_page_records_who_viewed_whom_and_when(web, admin, customer):
    customer.phone = "07700 900456"
    db.session.commit()
    web.sign_in_as(admin)
    before = datetime.now(UTC)

    response = web.get(f"/admin/users/{customer.id}")

    assert response.status_code == 200
    assert customer.email in response.text and "07700 900456" in response.text
    [entry] = views()
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (admin.id, "user", customer.id)
    assert entry.data == {"page": "admin.user_detail"}
    assert before - timedelta(seconds=5) <= entry.created_at <= datetime.now(UTC) + timedelta(seconds=5)
    assert "personal_data.viewed" in web.get("/admin/audit").text


def test_the_users_list_links_each_person_to_their_page(web, admin, customer):
    web.sign_in_as(admin)
    assert f'href="/admin/users/{customer.id}"' in web.get("/admin/users").text


def test_opening_an_order_records_a_view_of_its_customer(ctx, web, admin, customer, provider):
    _, service = make_bookable_venue(provider)
    order = book(customer, service, future_slot(days=2)).order
    db.session.commit()
    web.sign_in_as(admin)

    assert web.get(f"/admin/orders/{order.id}").status_code == 200

    [entry] = views()
    assert (entry.actor_id, entry.subject_id, entry.data["page"]) == (admin.id, customer.id, "admin.order_detail")


def test_non_admins_cannot_see_a_users_page_and_leave_no_entry(web, customer, make_user):
    other = make_user()
    web.sign_in_as(customer)
    assert web.get(f"/admin/users/{other.id}").status_code == 403
    web.sign_out()
    assert web.get(f"/admin/users/{other.id}").status_code == 302
    assert views() == []


def test_an_unknown_user_is_404_and_not_recorded(web, admin):
    web.sign_in_as(admin)
    assert web.get("/admin/users/987654").status_code == 404
    assert web.get("/admin/users/99999999999999999999").status_code in (404, 400)
    assert count(AuditEntry, AuditEntry.action == "personal_data.viewed") == 0
