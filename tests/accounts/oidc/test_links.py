"""Sign-in methods on the profile: link Google or Apple, remove a link, never the last way in."""

from __future__ import annotations

import html
import re

from app.accounts.oidc_models import ProviderLink
from app.platform.extensions import db
from tests.accounts.conftest import link_in, text_of
from tests.accounts.oidc.conftest import at_provider, back_at_app, count_links, links_of
from tests.factories import PASSWORD

PROFILE = "/account/profile"


def link_button(web, provider: str) -> str:
    page = web.get(PROFILE).get_data(as_text=True)
    match = re.search(rf'href="(/account/oidc/{provider}/start\?csrf_token=[^"]+)"', page)
    assert match, f"no Link {provider} button"
    return html.unescape(match.group(1))


def link_through(web, provider: str, *, change: dict | None = None):
    started = web.get(link_button(web, provider))
    assert started.status_code == 302
    return back_at_app(web, at_provider(started), change=change)


def add_link(user, provider: str = "google", subject: str = "g-1001") -> ProviderLink:
    link = ProviderLink(user_id=user.id, provider=provider, subject=subject, email=user.email)
    db.session.add(link)
    db.session.flush()
    return link


def remove(web, link_id: int, **kwargs):
    return web.post(f"/account/oidc/links/{link_id}/remove", **kwargs)


# -- the list ---------------------------------------------------------------------------------


def test_the_profile_lists_the_password_and_offers_each_configured_provider(web, providers, customer):
    web.sign_in_as(customer)

    page = text_of(web.get(PROFILE))

    assert "Sign-in methods" in page
    assert re.search(r"Password\s*<span[^>]*>Set<", page)
    assert "Link Google" in page and "Link Apple" in page


def test_without_providers_the_list_shows_only_the_password(web, customer):
    web.sign_in_as(customer)

    page = text_of(web.get(PROFILE))

    assert "You sign in with your email and password." in page
    assert "Link Google" not in page


# -- linking while signed in --------------------------------------------------------------------


def test_linking_google_from_settings(web, providers, customer, store, mail):
    web.sign_in_as(customer)

    response = link_through(web, "google")  # the provider's email differs: the person proved both

    assert response.status_code == 302 and response.headers["Location"].endswith(PROFILE)
    [link] = links_of(customer.id)
    assert (link.provider, link.subject, link.email) == ("google", "g-1001", "nova.person@example.com")
    assert store.user("nova.person@example.com") is None  # no account was made for that address
    assert [m.subject for m in mail(customer.email)] == ["Google sign-in was added"]
    [linked] = store.audit_entries("account.provider_linked")
    assert linked.actor_id == customer.id and linked.data["provider"] == "google"
    page = text_of(web.get(PROFILE))
    assert "nova.person@example.com" in page and "Link Google" not in page
    # and now Google signs them in
    web.sign_out()
    assert back_at_app(web, at_provider(web.get("/account/oidc/google/start"))).status_code == 302
    assert web.get(PROFILE).status_code == 200


def test_linking_apple_from_settings_through_its_post(web, providers, customer):
    web.sign_in_as(customer)

    response = link_through(web, "apple")

    assert response.status_code == 302
    assert [link.provider for link in links_of(customer.id)] == ["apple"]


def test_an_identity_that_signs_in_to_another_account_is_not_linked(web, providers, customer, make_user, store):
    other = make_user()
    add_link(other)
    web.sign_in_as(customer)

    response = link_through(web, "google")

    assert response.status_code == 409
    assert "already signs in to another" in text_of(response)
    assert links_of(customer.id) == []
    assert [link.user_id for link in links_of(other.id)] == [other.id]


def test_a_second_google_account_is_refused(web, providers, customer):
    add_link(customer, subject="g-older")
    web.sign_in_as(customer)
    assert "Link Google" not in text_of(web.get(PROFILE))
    started = web.get(link_button(web, "apple").replace("/apple/", "/google/"))  # typed in by hand

    response = back_at_app(web, at_provider(started))

    assert response.status_code == 409
    assert [link.subject for link in links_of(customer.id)] == ["g-older"]


def test_a_link_answer_with_a_forged_state_links_nothing(web, providers, customer):
    web.sign_in_as(customer)

    response = link_through(web, "google", change={"state": "forged"})

    assert response.status_code == 400
    assert links_of(customer.id) == []


def test_a_link_started_by_one_person_cannot_finish_for_another(web, providers, customer, make_user):
    web.sign_in_as(customer)
    answer = at_provider(web.get(link_button(web, "google")))
    someone_else = make_user()
    web.sign_in_as(someone_else)  # another account signs in on this browser meanwhile

    response = back_at_app(web, answer)

    assert response.status_code == 400
    assert links_of(customer.id) == [] and links_of(someone_else.id) == []


def test_linking_needs_the_profile_pages_token(web, providers, customer):
    web.sign_in_as(customer)

    response = web.get("/account/oidc/google/start?csrf_token=forged")

    assert response.status_code == 400
    assert providers.google.authorize_requests == []


# -- removing -----------------------------------------------------------------------------------


def test_removing_a_link_when_a_password_is_set(web, providers, customer, store, mail):
    link_id = add_link(customer).id
    web.sign_in_as(customer)

    response = remove(web, link_id)

    assert response.status_code == 302
    assert links_of(customer.id) == []
    assert [m.subject for m in mail(customer.email)] == ["Google sign-in was removed"]
    [unlinked] = store.audit_entries("account.provider_unlinked")
    assert unlinked.actor_id == customer.id and unlinked.data["link_id"] == link_id


def test_the_last_way_to_sign_in_cannot_be_removed(web, providers, make_user, store):
    newcomer = make_user(password_hash=None)
    link = add_link(newcomer)
    web.sign_in_as(newcomer)
    assert "Your only way to sign in" in text_of(web.get(PROFILE))

    response = remove(web, link.id)

    assert response.status_code == 409
    assert "is the only way you can sign in" in text_of(response)
    assert [kept.id for kept in links_of(newcomer.id)] == [link.id]
    assert store.audit_entries("account.provider_unlinked") == []


def test_with_two_links_and_no_password_one_can_go(web, providers, make_user):
    newcomer = make_user(password_hash=None)
    google = add_link(newcomer)
    apple = add_link(newcomer, provider="apple", subject="001.apple")
    web.sign_in_as(newcomer)

    assert remove(web, google.id).status_code == 302
    assert remove(web, apple.id).status_code == 409
    assert [link.provider for link in links_of(newcomer.id)] == ["apple"]


def test_nobody_can_remove_another_persons_link(web, providers, customer, make_user):
    victim = make_user()
    theirs = add_link(victim)
    web.sign_in_as(customer)

    response = remove(web, theirs.id)

    assert response.status_code == 404
    assert [link.id for link in links_of(victim.id)] == [theirs.id]


def test_removing_needs_csrf_and_a_signed_in_person(web, providers, customer):
    link = add_link(customer)

    signed_out = remove(web, link.id)
    web.sign_in_as(customer)
    no_token = remove(web, link.id, csrf=False)
    bad_id = web.post("/account/oidc/links/99999999999999999999/remove")

    assert signed_out.status_code == 302 and "/account/sign-in" in signed_out.headers["Location"]
    assert no_token.status_code == 400
    assert bad_id.status_code == 404
    assert count_links() == 1


def test_a_get_cannot_remove_a_link(web, providers, customer):
    link = add_link(customer)
    web.sign_in_as(customer)

    assert web.get(f"/account/oidc/links/{link.id}/remove").status_code == 405
    assert count_links() == 1


# -- a first password for an account made through a provider -----------------------------------


def test_an_account_without_a_password_sets_one_through_an_emailed_link(web, providers, make_user, mail):
    newcomer = make_user(password_hash=None)
    link = add_link(newcomer)
    web.sign_in_as(newcomer)
    page = text_of(web.get(PROFILE))
    assert "Not set" in page and "Change password" not in page

    asked = web.post("/account/password/set-link")
    assert asked.status_code == 302
    reset_path = link_in(mail(newcomer.email)[-1], "/account/reset-password/")
    set_it = web.post(reset_path, {"password": "a brand new passphrase 2026"})
    assert set_it.status_code == 302

    db.session.expire_all()
    assert newcomer.has_password
    web.sign_in_as(newcomer)  # the reset signed every device out
    assert remove(web, link.id).status_code == 302  # now the password is another way in
    assert links_of(newcomer.id) == []


def test_an_account_with_a_password_is_not_sent_a_set_password_link(web, providers, customer, mail, store):
    web.sign_in_as(customer)

    response = web.post("/account/password/set-link")

    assert response.status_code == 409
    assert mail(customer.email) == []
    assert web.post("/account/password/set-link", csrf=False).status_code == 400
    assert store.reload(customer).check_password(PASSWORD)


# -- removing the password ----------------------------------------------------------------------


def test_removing_the_password_when_a_provider_is_linked(web, providers, customer, store, mail, new_browser):
    add_link(customer)
    other_device = new_browser()
    other_device.sign_in_as(customer)
    web.sign_in_as(customer)
    assert "Remove my password" in text_of(web.get(PROFILE))

    response = web.post("/account/password/remove", {"nopw-current_password": PASSWORD})

    assert response.status_code == 302
    assert not store.reload(customer).has_password
    assert web.get(PROFILE).status_code == 200  # this browser stays signed in
    assert other_device.get(PROFILE).status_code == 302  # the other is signed out
    assert "Your password was removed" in [m.subject for m in mail(customer.email)]
    assert store.audit_entries("account.password_removed")


def test_the_password_cannot_go_when_it_is_the_only_way_in(web, providers, customer, store):
    web.sign_in_as(customer)
    assert "Remove my password" not in text_of(web.get(PROFILE))

    response = web.post("/account/password/remove", {"nopw-current_password": PASSWORD})

    assert response.status_code == 409
    assert "only way you can sign in" in text_of(response)
    assert store.reload(customer).check_password(PASSWORD)


def test_removing_the_password_needs_the_right_password_and_csrf(web, providers, customer, store):
    add_link(customer)
    web.sign_in_as(customer)

    wrong = web.post("/account/password/remove", {"nopw-current_password": "not it"})
    empty = web.post("/account/password/remove", {"nopw-current_password": ""})
    no_token = web.post("/account/password/remove", {"nopw-current_password": PASSWORD}, csrf=False)

    assert (wrong.status_code, empty.status_code, no_token.status_code) == (422, 422, 400)
    assert "Your current password is not right." in text_of(wrong)
    assert store.reload(customer).check_password(PASSWORD)
