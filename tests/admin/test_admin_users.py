"""The admin users page: find users, suspend and restore them, with an audit trail."""

from __future__ import annotations

import pytest

from tests.accounts.conftest import text_of

USERS = "/admin/users"


@pytest.fixture
def people(make_user, customer, provider, admin):
    """A small cast with searchable names."""
    return {
        "customer": customer,
        "provider": provider,
        "admin": admin,
        "maya": make_user(name="Maya Lindqvist", email="maya@spa.example"),
        "omar": make_user(name="Omar Haddad", email="omar@wellness.example", role="provider"),
        "percent": make_user(name="Rita 100% Relaxed", email="rita@example.com"),
    }


def listed(response) -> str:
    assert response.status_code == 200
    return text_of(response)


def test_admin_lists_every_user(web, people):
    web.sign_in_as(people["admin"])

    page = listed(web.get(USERS))

    for person in people.values():
        assert person.email in page
    assert f"{len(people)} users" in page


def test_admin_filters_by_role(web, people):
    web.sign_in_as(people["admin"])

    page = listed(web.get(USERS, query_string={"role": "provider"}))

    assert people["provider"].email in page
    assert people["omar"].email in page
    assert people["customer"].email not in page
    assert people["maya"].email not in page
    assert "2 users" in page


@pytest.mark.parametrize(("q", "who"), [("lindq", "maya"), ("WELLNESS.example", "omar"), ("  Omar ", "omar")])
def test_admin_searches_by_name_or_email(web, people, q, who):
    web.sign_in_as(people["admin"])

    page = listed(web.get(USERS, query_string={"q": q}))

    assert people[who].email in page
    assert "1 user" in page
    for name, person in people.items():
        if name not in (who, "admin"):  # the admin's own email is in the navigation
            assert person.email not in page


def test_search_wildcards_are_taken_literally(web, people):
    web.sign_in_as(people["admin"])

    percent = listed(web.get(USERS, query_string={"q": "%"}))
    underscore = listed(web.get(USERS, query_string={"q": "_"}))

    assert people["percent"].email in percent
    assert "1 user" in percent
    assert "0 users" in underscore


def test_search_and_role_combine(web, people):
    web.sign_in_as(people["admin"])

    page = listed(web.get(USERS, query_string={"q": "omar", "role": "customer"}))

    assert "0 users" in page
    assert "No users match" in page


def test_users_are_paged(web, admin, make_user):
    for n in range(26):
        make_user(name=f"Paged Person {n:02d}")
    web.sign_in_as(admin)

    first = listed(web.get(USERS, query_string={"q": "Paged Person"}))
    second = listed(web.get(USERS, query_string={"q": "Paged Person", "page": 2}))

    assert "26 users" in first
    assert first.count("<td>Paged Person") == 25
    assert "Next" in first
    assert second.count("<td>Paged Person") == 1
    assert "Previous" in second
    assert "Next" not in second


@pytest.mark.parametrize(
    "query",
    [{"role": "wizard"}, {"role": "ADMIN"}, {"page": "0"}, {"page": "-1"}, {"page": "x"}, {"page": "10001"}],
)
def test_bad_filters_are_refused(web, admin, query):
    web.sign_in_as(admin)

    assert web.get(USERS, query_string=query).status_code == 400


def test_last_allowed_page_is_empty_not_an_error(web, admin):
    web.sign_in_as(admin)

    assert web.get(USERS, query_string={"page": "10000"}).status_code == 200


def test_htmx_request_gets_only_the_results(web, people):
    web.sign_in_as(people["admin"])

    response = web.get(USERS, query_string={"q": "maya"}, headers={"HX-Request": "true"})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert people["maya"].email in body
    assert 'role="search"' not in body
    assert "HX-Request" in response.headers["Vary"]


def test_full_page_also_varies_on_htmx(web, admin):
    web.sign_in_as(admin)

    response = web.get(USERS)

    assert "<html" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def test_admin_suspends_a_customer(web, admin, customer, store):
    web.sign_in_as(admin)

    response = web.post(f"/admin/users/{customer.id}/suspend")

    assert response.status_code == 302
    assert response.headers["Location"].startswith(USERS)
    assert not store.reload(customer).is_active_account
    (entry,) = store.audit_entries("user.suspend")
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (admin.id, "user", customer.id)
    assert (entry.from_state, entry.to_state) == ("active", "suspended")
    assert "Chloe Customer is suspended." in text_of(web.get(response.headers["Location"]))


def test_suspension_signs_the_user_out_everywhere(web, new_browser, sign_in, admin, customer):
    device = new_browser()
    sign_in(customer.email, remember=True, browser=device)
    assert device.get("/account/profile").status_code == 200
    web.sign_in_as(admin)

    web.post(f"/admin/users/{customer.id}/suspend")

    assert device.get("/account/profile").status_code == 302
    assert sign_in(customer.email, browser=new_browser()).status_code == 401


def test_suspended_user_shows_as_suspended(web, admin, customer):
    web.sign_in_as(admin)
    web.post(f"/admin/users/{customer.id}/suspend")

    page = listed(web.get(USERS, query_string={"q": customer.email}))

    assert "suspended" in page
    assert "Restore" in page


def test_admin_restores_a_suspended_user(web, new_browser, sign_in, admin, make_user, store):
    user = make_user(is_active_account=False)
    web.sign_in_as(admin)

    response = web.post(f"/admin/users/{user.id}/restore")

    assert response.status_code == 302
    assert store.reload(user).is_active_account
    (entry,) = store.audit_entries("user.restore")
    assert (entry.subject_id, entry.from_state, entry.to_state) == (user.id, "suspended", "active")
    assert sign_in(user.email, browser=new_browser()).status_code == 302


def test_suspending_twice_records_one_change(web, admin, customer, store):
    web.sign_in_as(admin)

    web.post(f"/admin/users/{customer.id}/suspend")
    web.post(f"/admin/users/{customer.id}/suspend")

    assert len(store.audit_entries("user.suspend")) == 1


def test_admin_cannot_suspend_themselves(web, admin, store):
    web.sign_in_as(admin)

    response = web.post(f"/admin/users/{admin.id}/suspend")

    assert response.status_code == 302
    assert "You can't suspend your own account." in text_of(web.get(response.headers["Location"]))
    assert store.reload(admin).is_active_account
    assert store.audit_entries("user.suspend") == []
    assert web.get(USERS).status_code == 200  # still signed in


def test_admin_can_suspend_another_admin(web, admin, make_user, store):
    other = make_user(role="admin")
    web.sign_in_as(admin)

    web.post(f"/admin/users/{other.id}/suspend")

    assert not store.reload(other).is_active_account


def test_suspend_without_csrf_token_is_refused(web, admin, customer, store):
    web.sign_in_as(admin)

    response = web.post(f"/admin/users/{customer.id}/suspend", csrf=False)

    assert response.status_code == 400
    assert store.reload(customer).is_active_account
    assert store.audit_entries("user.suspend") == []


def test_suspending_an_unknown_user_is_not_found(web, admin):
    web.sign_in_as(admin)

    assert web.post("/admin/users/999999/suspend").status_code == 404


def test_unknown_action_is_not_found(web, admin, customer, store):
    web.sign_in_as(admin)

    assert web.post(f"/admin/users/{customer.id}/delete").status_code == 404
    assert store.reload(customer).is_active_account


def test_suspend_needs_post(web, admin, customer, store):
    web.sign_in_as(admin)

    assert web.get(f"/admin/users/{customer.id}/suspend").status_code == 405
    assert store.reload(customer).is_active_account


def test_audit_log_shows_the_suspension(web, admin, customer):
    web.sign_in_as(admin)
    web.post(f"/admin/users/{customer.id}/suspend")

    page = listed(web.get("/admin/audit"))

    assert "user.suspend" in page
