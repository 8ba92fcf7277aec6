"""Google and Apple sign-in in a real browser, against local OpenID Connect providers on another site.

The app runs at 127.0.0.1 and the providers at localhost: for Chromium they are different
sites, as Google and Apple are, so its SameSite rules apply. That matters for Apple, whose
answer is a cross-site POST that doesn't carry the session cookie: the journey proves the
app's relay to its GET callback signs the person in all the same.

This module runs its own server (the providers' settings are read at start-up); the other
journeys' server stays without providers.
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
from joserfc.jwk import ECKey
from playwright.sync_api import Page, expect

from e2e.conftest import LiveServer, _flask_executable, _free_port, _stop, _wait_until_ready
from tests.accounts.oidc_provider import LocalProvider, ProviderServer
from tests.database import create_fresh_database, drop_database, server_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app with Google and Apple configured, and the two providers it talks to."""
    port = _free_port()
    apple_key = ECKey.generate_key("P-256", parameters={"kid": "E2EAPPLEKEY"})
    google = LocalProvider("google", client_id="e2e-google", client_secret="e2e-google-secret")
    apple = LocalProvider(
        "apple",
        client_id="com.example.e2e",
        apple_team_id="E2ETEAM001",
        apple_key_id="E2EAPPLEKEY",
        apple_key=apple_key,
    )
    for provider in (google, apple):
        provider.redirect_prefix = f"http://127.0.0.1:{port}/"
    providers = ProviderServer([google, apple], host="localhost").start()

    base = server_url()
    database_name = f"cozywish_e2e_oidc_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    database_url = create_fresh_database(base, database_name)
    workdir = tmp_path_factory.mktemp("oidc-live-server")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TEST_DATABASE_URL", "SERVER_NAME")}
    env.update(
        DATABASE_URL=database_url,
        BASE_URL=f"http://127.0.0.1:{port}",
        MAIL_BACKEND="file",
        MAIL_FILE_PATH=str(workdir / "mail"),
        UPLOAD_ROOT=str(workdir / "uploads"),
        COZYWISH_ENV="development",
        LOG_JSON="false",
        FLASK_DEBUG="0",
        GOOGLE_CLIENT_ID="e2e-google",
        GOOGLE_CLIENT_SECRET="e2e-google-secret",
        GOOGLE_METADATA_URL=google.metadata_url,
        APPLE_CLIENT_ID="com.example.e2e",
        APPLE_TEAM_ID="E2ETEAM001",
        APPLE_KEY_ID="E2EAPPLEKEY",
        APPLE_PRIVATE_KEY=apple_key.as_pem(private=True).decode(),
        APPLE_METADATA_URL=apple.metadata_url,
    )
    server = LiveServer(url=f"http://127.0.0.1:{port}", env=env, mail_dir=workdir / "mail", log_path=workdir / "log")
    try:
        server.flask("db", "upgrade", timeout=120)
        with server.log_path.open("wb") as log:
            server.process = subprocess.Popen(
                [
                    _flask_executable(),
                    "--app",
                    "wsgi",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-seed",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _wait_until_ready(server, 60)
        yield server, google, apple
    finally:
        if server.process is not None:
            _stop(server.process)
        providers.stop()
        drop_database(base, database_name)


def test_a_new_customer_signs_up_with_google_and_sees_their_sign_in_methods(page: Page, site, browser_errors):
    server, google, _ = site
    email = f"nova-{uuid.uuid4().hex[:8]}@example.com"
    google.reset({"sub": f"g-{uuid.uuid4().hex}", "email": email, "email_verified": True, "name": "Nova Quinn"})

    page.goto(f"{server.url}/account/sign-in")
    page.get_by_role("link", name="Sign in with Google").click()

    # Google (here: the local provider) approves at once and sends her back, signed in.
    expect(page.get_by_role("status").filter(has_text="Welcome back, Nova")).to_be_visible()
    page.goto(f"{server.url}/account/profile")
    methods = page.get_by_role("region", name="Sign-in methods")
    expect(methods.get_by_text("Not set")).to_be_visible()
    expect(methods.get_by_text(email)).to_be_visible()
    expect(methods.get_by_text("Your only way to sign in")).to_be_visible()
    expect(methods.get_by_role("link", name="Link Apple")).to_be_visible()


def test_apple_answers_with_a_cross_site_post_and_the_person_is_signed_in(page: Page, site, browser_errors):
    server, _, apple = site
    apple.reset({"sub": f"001.{uuid.uuid4().hex}", "email": f"r{uuid.uuid4().hex[:8]}@privaterelay.appleid.com"})
    apple.identity["email_verified"] = "true"
    apple.apple_user_json = '{"name": {"firstName": "Ann", "lastName": "Appleby"}}'

    page.goto(f"{server.url}/account/sign-up")
    page.get_by_role("link", name="Sign up with Apple").click()

    # Apple's page posts the answer back to the app (another site): the session cookie stays behind.
    expect(page.get_by_role("button", name="Continue")).to_be_visible()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("status").filter(has_text="Welcome back, Ann")).to_be_visible()
    assert page.url.startswith(server.url)
    page.goto(f"{server.url}/account/profile")
    expect(page.get_by_role("region", name="Sign-in methods").locator('[data-link="apple"]')).to_be_visible()
