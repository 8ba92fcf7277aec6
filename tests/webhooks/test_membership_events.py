"""Each month of a membership paid is a ``membership.paid`` event (docs/webhooks.md), to a real
local HTTP receiver."""

from __future__ import annotations

import json
from datetime import timedelta

from app.memberships import service
from app.platform.extensions import db
from app.webhooks import service as webhooks
from tests.memberships.test_memberships import join, plan, venue_and_service  # noqa: F401  (fixtures)


def test_each_month_paid_is_a_webhook_event(customer, plan, venue_and_service, receiver, run_jobs):  # noqa: F811
    venue, _svc = venue_and_service
    webhooks.create_endpoint(venue, url=receiver.url("/ok"), events=["membership.paid", "package.sold"])
    membership = join(customer, plan)
    service.renew_due(membership.current_period_end + timedelta(minutes=1))
    db.session.flush()
    run_jobs()
    events = [json.loads(hit.body) for hit in receiver.hits("/ok")]
    assert [e["type"] for e in events] == ["membership.paid", "membership.paid"]  # no package.sold for its sessions
    assert [e["data"]["month"] for e in events] == [1, 2]
    assert events[1]["data"]["amount"] == {"amount_minor": 9900, "currency": "GBP"}
