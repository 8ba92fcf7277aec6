"""Provider settings: half-set or unusable ones are named, and production refuses to start on them."""

from __future__ import annotations

import pytest
from joserfc.jwk import ECKey

from app.accounts.oidc import setting_problems
from app.ops.production import UnsafeProduction
from tests.ops.test_production_settings import production

APPLE = {
    "APPLE_CLIENT_ID": "com.example.cozywish.web",
    "APPLE_TEAM_ID": "TEAM123456",
    "APPLE_KEY_ID": "KEY1234567",
}


@pytest.fixture(scope="module")
def apple_pem() -> str:
    return ECKey.generate_key("P-256").as_pem(private=True).decode()


def test_complete_settings_have_no_problems(apple_pem):
    config = {"GOOGLE_CLIENT_ID": "id", "GOOGLE_CLIENT_SECRET": "secret", **APPLE, "APPLE_PRIVATE_KEY": apple_pem}

    assert setting_problems(config) == []
    assert setting_problems({}) == []  # no provider at all is fine too


def test_a_one_line_apple_key_is_read(apple_pem):
    assert setting_problems({**APPLE, "APPLE_PRIVATE_KEY": apple_pem.replace("\n", "\\n")}) == []


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"GOOGLE_CLIENT_ID": "id"}, "GOOGLE_CLIENT_SECRET"),
        ({"APPLE_TEAM_ID": "TEAM123456"}, "APPLE_PRIVATE_KEY"),
        ({**APPLE, "APPLE_PRIVATE_KEY": "not a key"}, "APPLE_PRIVATE_KEY: not a readable EC private key"),
        (
            {"GOOGLE_CLIENT_ID": "id", "GOOGLE_CLIENT_SECRET": "s", "GOOGLE_METADATA_URL": "http://plain.example/"},
            "GOOGLE_METADATA_URL",
        ),
    ],
)
def test_half_set_or_unusable_settings_are_named(config, named):
    assert any(named in problem for problem in setting_problems(config))


def test_production_refuses_to_start_with_half_set_provider_settings(database_url, tmp_path):
    with pytest.raises(UnsafeProduction, match="GOOGLE_CLIENT_SECRET"):
        production(database_url, tmp_path, GOOGLE_CLIENT_ID="id-without-secret")
