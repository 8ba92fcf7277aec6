"""Production refuses unsafe defaults and names the setting to fix; the Demo gateway has its own key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.ops.production import UnsafeProduction, demo_account_problems
from app.payments import demo_gateway
from app.payments.gateway import get_gateway
from app.payments.ports import GatewayError, InvalidEvent
from app.platform import instance_secrets
from config import DEV_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
# What a production deployment must set; each test takes one away.
PRODUCTION_SETTINGS = {
    "SECRET_KEY": "p" * 48,
    "STRIPE_SECRET_KEY": "sk_test_production_settings",
    "STRIPE_WEBHOOK_SECRET": "whsec_production_settings",
    "BASE_URL": "https://cozywish.example",
}


def production(database_url, tmp_path, **changes):
    settings = {**PRODUCTION_SETTINGS, **changes}
    return create_app(
        "production",
        overrides={"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_ROOT": str(tmp_path), **settings},
    )


def test_safe_production_settings_start(database_url, tmp_path):
    app = production(database_url, tmp_path)
    assert app.config["ENV_NAME"] == "production"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"STRIPE_SECRET_KEY": None}, "STRIPE_SECRET_KEY"),
        ({"STRIPE_WEBHOOK_SECRET": None}, "STRIPE_WEBHOOK_SECRET"),
        ({"BASE_URL": "http://127.0.0.1:5000"}, "BASE_URL"),
        ({"BASE_URL": "http://cozywish.example"}, "BASE_URL"),
    ],
)
def test_production_refuses_an_unsafe_setting_and_names_it(database_url, tmp_path, changes, named):
    with pytest.raises(UnsafeProduction) as refused:
        production(database_url, tmp_path, **changes)

    assert [p.split(":")[0] for p in refused.value.problems] == [named]
    assert named in str(refused.value)


def test_every_problem_is_listed_at_once(database_url, tmp_path):
    with pytest.raises(UnsafeProduction) as refused:
        create_app("production", overrides={"SQLALCHEMY_DATABASE_URI": database_url})

    assert {p.split(":")[0] for p in refused.value.problems} == {"SECRET_KEY", "STRIPE_SECRET_KEY", "BASE_URL"}


def test_demo_accounts_in_the_database_are_named(app, make_user):
    from app.platform.extensions import db

    assert demo_account_problems(db) == []
    make_user(email="admin@example.com")
    (problem,) = demo_account_problems(db)
    assert "admin@example.com" in problem


@pytest.mark.committing
def test_the_production_entry_point_refuses_a_database_with_demo_accounts(database_url, tmp_path):
    """wsgi.py (what gunicorn imports) checks the database for demo accounts in production."""
    from app.platform.extensions import db
    from tests.factories import UserFactory

    app = production(database_url, tmp_path)
    with app.app_context():
        user = UserFactory.build(email="customer1@example.com")
        db.session.add(user)
        db.session.commit()
    try:
        env = {
            "PATH": "/usr/bin:/bin",
            "COZYWISH_ENV": "production",
            "DATABASE_URL": database_url,
            "UPLOAD_ROOT": str(tmp_path),
            **PRODUCTION_SETTINGS,
        }
        completed = subprocess.run(
            [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        with app.app_context():
            db.session.delete(db.session.merge(user))
            db.session.commit()
    assert completed.returncode != 0
    assert "demo accounts exist (customer1@example.com)" in completed.stderr


def test_demo_events_signed_with_the_secret_key_are_refused(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "DEMO_GATEWAY_SECRET", None)
    app.extensions.pop("demo_gateway_secret", None)
    payload = demo_gateway.build_event("checkout.session.completed", {"id": "demo_cs_" + "a" * 20})
    forged = demo_gateway.sign(payload, secret=app.config["SECRET_KEY"].encode())

    with pytest.raises(InvalidEvent):
        demo_gateway.verify_signature(payload, forged)
    demo_gateway.verify_signature(payload, demo_gateway.sign(payload))  # our own key still works
    assert demo_gateway.demo_secret() != app.config["SECRET_KEY"].encode()


def test_the_demo_key_is_made_once_and_shared_through_the_database(app, ctx):
    # Every web node reads the one row (instance_secrets), not a file on its own disk.
    first = instance_secrets.shared_secret("demo-gateway-test")
    again = instance_secrets.shared_secret("demo-gateway-test")

    assert first == again and len(first) >= 32
    assert instance_secrets.shared_secret("another-key") != first


def test_the_demo_gateway_refuses_the_development_secret_outside_development(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    monkeypatch.setitem(app.config, "SECRET_KEY", DEV_SECRET_KEY)

    with pytest.raises(GatewayError, match="only in development"):
        get_gateway()
