"""Who may open which page: role_required on real routes, owner_required on a view built here."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_login import login_user
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.access import is_safe_next, owner_required

PROVIDER_PAGES = ["/provider"]
ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/audit"]


def sign_in_target(location: str) -> str:
    """Where a redirect to the sign-in page will return to afterwards."""
    parts = urlsplit(location)
    assert parts.path == "/account/sign-in"
    return parse_qs(parts.query)["next"][0]


@pytest.mark.parametrize("path", PROVIDER_PAGES + ADMIN_PAGES)
def test_anonymous_visitor_is_sent_to_sign_in_and_back(web, path):
    response = web.get(path)

    assert response.status_code == 302
    assert sign_in_target(response.headers["Location"]) == path


def test_anonymous_visitor_keeps_the_query_string_in_next(web):
    response = web.get("/admin/users?role=provider&q=spa")

    assert sign_in_target(response.headers["Location"]) == "/admin/users?role=provider&q=spa"


@pytest.mark.parametrize("path", PROVIDER_PAGES)
def test_provider_opens_provider_pages(web, provider, path):
    web.sign_in_as(provider)

    # A provider without a venue yet is sent on to the first step of the venue wizard.
    response = web.get(path, follow_redirects=True)

    assert response.status_code == 200
    assert response.request.path.startswith("/provider")


@pytest.mark.parametrize("role", ["customer", "admin"])
@pytest.mark.parametrize("path", PROVIDER_PAGES)
def test_other_roles_may_not_open_provider_pages(request, web, role, path):
    web.sign_in_as(request.getfixturevalue(role))

    assert web.get(path).status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_opens_admin_pages(web, admin, path):
    web.sign_in_as(admin)

    assert web.get(path).status_code == 200


@pytest.mark.parametrize("role", ["customer", "provider"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_other_roles_may_not_open_admin_pages(request, web, role, path):
    web.sign_in_as(request.getfixturevalue(role))

    response = web.get(path)

    assert response.status_code == 403
    assert "You don't have access to this page." in response.get_data(as_text=True).replace("&#39;", "'")


@pytest.mark.parametrize("role", ["customer", "provider"])
def test_other_roles_may_not_suspend_users(request, web, role, make_user, store):
    web.sign_in_as(request.getfixturevalue(role))
    target = make_user()

    response = web.post(f"/admin/users/{target.id}/suspend")

    assert response.status_code == 403
    assert store.reload(target).is_active_account


def test_suspended_users_session_no_longer_opens_pages(web, make_user, store):
    user = make_user(role="provider")
    web.sign_in_as(user)
    store.update(user, is_active_account=False)

    response = web.get("/provider")

    assert response.status_code == 302
    assert sign_in_target(response.headers["Location"]) == "/provider"


# -- owner_required --------------------------------------------------------------------


@dataclass
class Thing:
    id: int
    owner_id: int


@pytest.fixture
def guarded_view():
    """A view guarded by owner_required over a tiny in-memory table of things."""
    things: dict[int, Thing] = {}

    @owner_required(lambda thing_id: things.get(thing_id), as_arg="thing")
    def view(thing: Thing) -> Thing:
        return thing

    return things, view


def test_owner_passes_and_gets_the_loaded_object(app, guarded_view, customer):
    things, view = guarded_view
    things[1] = Thing(id=1, owner_id=customer.id)

    with app.test_request_context("/things/1"):
        login_user(customer)
        assert view(thing_id=1) is things[1]


def test_someone_else_is_forbidden(app, guarded_view, customer, provider):
    things, view = guarded_view
    things[1] = Thing(id=1, owner_id=provider.id)

    with app.test_request_context("/things/1"):
        login_user(customer)
        with pytest.raises(Forbidden):
            view(thing_id=1)


def test_missing_object_is_not_found(app, guarded_view, customer):
    _, view = guarded_view

    with app.test_request_context("/things/404"):
        login_user(customer)
        with pytest.raises(NotFound):
            view(thing_id=404)


def test_missing_object_is_not_found_before_ownership_is_checked(app, guarded_view, admin):
    _, view = guarded_view

    with app.test_request_context("/things/404"):
        login_user(admin)
        with pytest.raises(NotFound):
            view(thing_id=404)


def test_admin_passes_for_anyones_object(app, guarded_view, admin, provider):
    things, view = guarded_view
    things[1] = Thing(id=1, owner_id=provider.id)

    with app.test_request_context("/things/1"):
        login_user(admin)
        assert view(thing_id=1) is things[1]


def test_anonymous_visitor_is_sent_to_sign_in(app, guarded_view):
    things, view = guarded_view
    things[1] = Thing(id=1, owner_id=1)

    with app.test_request_context("/things/1"):
        response = view(thing_id=1)

    assert response.status_code == 302
    assert sign_in_target(response.headers["Location"]) == "/things/1"


def test_owner_attribute_can_be_named(app, customer, provider):
    @owner_required(lambda venue_id: Thing(id=venue_id, owner_id=provider.id), owner_attr="id", as_arg="venue")
    def view(venue: Thing) -> Thing:
        return venue

    with app.test_request_context("/venues/1"):
        login_user(provider)
        assert view(venue_id=provider.id).owner_id == provider.id
        with pytest.raises(Forbidden):
            view(venue_id=provider.id + 1000)


# -- is_safe_next ------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/", "/account/profile", "/search?q=spa&near=here", "/a//b"])
def test_relative_paths_are_safe_redirect_targets(target):
    assert is_safe_next(target)


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.example",
        "https://evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
    ],
)
def test_other_targets_are_not_safe(target):
    assert not is_safe_next(target)
