"""The Stripe Checkout fake, served over real HTTP once per test module (tests/payments/
stripe_fakes.py), and reset before each test that asks for it."""

from __future__ import annotations

import pytest

from tests.payments.stripe_fakes import CheckoutFake, ThreadedServer


@pytest.fixture(scope="module")
def fake_server():
    fake = CheckoutFake()
    with ThreadedServer(fake.wsgi_app()) as server:
        yield fake, server.url


@pytest.fixture
def fake(fake_server):
    fake, _ = fake_server
    fake.reset()
    return fake
