from __future__ import annotations

import pytest

from tests.webhooks.receiver import start_receiver


@pytest.fixture(scope="module")
def receiver():
    running = start_receiver()
    yield running
    running.server.shutdown()
    running.server.server_close()


@pytest.fixture(autouse=True)
def _fresh_receiver(receiver):
    receiver.received.clear()
