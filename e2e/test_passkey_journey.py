"""A customer adds a passkey from their profile, signs out, and signs back in with it alone;
then uses it as the second step after their password. Chromium's virtual authenticator (over
a CDP session) plays the device: a platform passkey with user verification.

WebAuthn needs a domain, not an IP address, so this journey has its own server whose BASE_URL
(and so the passkeys' RP ID) is http://localhost:<port>.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import running_server, seed_venues, sign_in

PASSWORD = "willow-harbour-lantern-2026"


# Session-scoped like the fixtures they stand in for (pytest-playwright's context arguments
# are); being defined here, they serve only this module's journeys.
@pytest.fixture(scope="session")
def passkey_server(tmp_path_factory, pytestconfig):
    name = f"cozywish_e2e_passkeys_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    with running_server(tmp_path_factory, pytestconfig, name, host_name="localhost") as server:
        yield server


@pytest.fixture(scope="session")
def base_url(passkey_server):
    return passkey_server.url


@pytest.fixture
def browser_context_args(browser_context_args, passkey_server):
    # pytest-playwright caches its context arguments for the session: when another journey ran
    # first, they name the shared server, so this module's pages get their base URL here.
    return {**browser_context_args, "base_url": passkey_server.url}


@pytest.fixture
def virtual_authenticator(page: Page):
    """A built-in authenticator (like Touch ID or Windows Hello) that says yes without a prompt."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def sign_out(page: Page, first_name: str) -> None:
    page.get_by_role("button", name=first_name).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status").filter(has_text="You are signed out")).to_be_visible()


def test_add_a_passkey_then_sign_in_with_it(page: Page, passkey_server, virtual_authenticator, unique_email):
    cdp, authenticator_id = virtual_authenticator
    address = unique_email("passkey")
    seed_venues(
        passkey_server, {"password": PASSWORD, "customers": [{"email": address, "name": "Pia Passkey"}], "venues": []}
    )
    sign_in(page, address, PASSWORD, "Pia")

    # Profile: no passkeys yet; add one named "This laptop".
    page.goto("/account/profile")
    expect(page.get_by_text("No passkeys yet")).to_be_visible()
    page.get_by_label("Name for a new passkey").fill("This laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("status").filter(has_text="Passkey “This laptop” added")).to_be_visible()
    expect(page.locator("#passkey-list").get_by_text("This laptop")).to_be_visible()
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert len(stored) == 1 and stored[0]["isResidentCredential"] and stored[0]["rpId"] == "localhost"

    # Signed out, the sign-in page offers the passkey; a refused verification says so clearly.
    sign_out(page, "Pia")
    page.goto("/account/sign-in")
    cdp.send("WebAuthn.setUserVerified", {"authenticatorId": authenticator_id, "isUserVerified": False})
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.locator("#passkey-message")).to_contain_text("cancelled or timed out")
    cdp.send("WebAuthn.setUserVerified", {"authenticatorId": authenticator_id, "isUserVerified": True})

    # No email, no password: the passkey alone signs in.
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("status").filter(has_text="Welcome back, Pia")).to_be_visible()
    page.goto("/account/profile")
    expect(page.locator("#passkey-list")).to_contain_text("last used")

    # With a passkey, a password sign-in asks for it as the second step.
    sign_out(page, "Pia")
    page.goto("/account/sign-in")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("status").filter(has_text="Welcome back, Pia")).to_be_visible()
