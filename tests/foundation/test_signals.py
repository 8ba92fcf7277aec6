"""Who listens to each named signal once create_app() has wired every domain: a receiver that
disappears (its module no longer imported) or a new one shows up here. The table of signals in
docs/architecture.md is made from the same code (``flask docs signals``) and must be current."""

import re
from pathlib import Path

import pytest

from app.booking import events
from app.clients import events as client_events
from app.ops import signal_table
from app.ops.signal_table import receivers
from app.payments import events as payment_events
from app.payouts import events as payout_signals
from app.privacy import events as privacy_events
from app.reviews import events as review_events
from app.venues import events as venue_events
from app.waitlist import events as waitlist_events

ROOT = Path(__file__).resolve().parents[2]
# A sentence: a capital letter, at least five words, a full stop at the end. A signal's doc says too
# who its sender is (the table shows the doc, so it is where a receiver learns its arguments).
SENTENCE = re.compile(r"[A-Z]\S*(?:\s+\S+){4,}\.")


def test_each_signal_has_its_receivers_after_create_app(app):
    assert receivers(events.times_reopened) == [
        "app.checkout.top_ups.release_for_cancelled",  # a move waiting for its top-up ends with its booking
        "app.notifications.reminders.drop_for_released",
        "app.waitlist.offers.offer_reopened_times",
    ]
    assert receivers(events.holds_expiring) == ["app.checkout.top_ups.release_run_out_holds"]
    assert receivers(venue_events.times_opened) == ["app.waitlist.offers.offer_new_hours"]
    assert receivers(venue_events.listing_decided) == ["app.notifications.listings.on_decided"]
    assert receivers(venue_events.listing_submitted) == ["app.notifications.activity.tell_admins_of_listing"]
    assert receivers(events.booking_cancelled) == [
        "app.notifications.cancellations.on_cancelled",  # the customer and the owner are told
        "app.packages.service.return_on_cancel",  # a package's session back, if cancelled in time
        "app.payments.receivers.late_cancellation_fee",
        "app.webhooks.receivers.on_cancelled",  # the venue's webhooks (booking.cancelled)
    ]
    assert receivers(events.booking_moved) == [
        "app.checkout.top_ups.give_way_to_a_move",  # a move waiting for its top-up gives way
        "app.notifications.moves.on_moved",
        "app.webhooks.receivers.on_moved",
    ]
    # checked in at the front desk: the venue's webhooks (booking.checked_in)
    assert receivers(events.booking_checked_in) == ["app.webhooks.receivers.on_checked_in"]
    # a no-show's fee (payments); a completed visit's one review request (notifications)
    assert receivers(events.booking_marked) == [
        "app.notifications.review_requests.plan_review_request",
        "app.payments.receivers.no_show_fee",
    ]
    # a request-to-book accepted: the customer's email (declined and lapsed are cancellations)
    assert receivers(events.request_answered) == ["app.notifications.requests.on_accepted"]
    assert receivers(events.order_paid) == [
        "app.analytics.receivers.count_paid_order",  # the funnel's last step
        "app.clients.receivers.add_to_client_book",  # the customer becomes the venue's client
        "app.invoicing.receivers.issue_receipt_when_paid",  # the customer's receipt, stored (a job)
        "app.memberships.service.record_when_paid",  # a membership's month paid: active, its sessions
        "app.notifications.activity.tell_venues_of_order",  # a notice per venue, to its people
        "app.notifications.confirmations.confirm_to_customer",  # one email per payment, reminders
        "app.packages.service.record_when_paid",  # a package bought: it starts (once)
        "app.payouts.receivers.pay_the_venues",
        "app.promos.receivers.count_again_when_paid_late",
        "app.tips.service.record_when_paid",  # a paid tip order: the tip is paid (once)
        "app.vouchers.purchase.issue_when_paid",
        "app.webhooks.receivers.on_order_paid",  # booking.created, one event per booking
    ]
    assert receivers(events.order_released) == [
        "app.packages.service.return_on_release",  # the sessions its bookings took
        "app.promos.receivers.give_back_use",
        "app.vouchers.receivers.give_back",
    ]
    assert receivers(events.order_retaken) == [
        "app.packages.service.take_again",
        "app.vouchers.receivers.take_again",
    ]
    assert receivers(events.cart_adding) == [
        "app.clients.receivers.refuse_blocked_client",  # a client the venue blocked
        "app.payouts.receivers.refuse_unpayable",
    ]
    assert receivers(client_events.desk_booked) == [
        "app.notifications.desk.tell_the_client",
        "app.webhooks.receivers.on_desk_booked",
    ]
    assert receivers(payment_events.top_up_paid) == ["app.checkout.top_ups.paid_by_gateway"]
    assert receivers(payment_events.top_up_unpaid) == ["app.checkout.top_ups.unpaid_by_gateway"]
    # the venues' transfers are taken back (a card refund's payment legs, a voucher's balance legs)
    assert receivers(payment_events.refund_made) == [
        "app.invoicing.receivers.issue_refund_note_when_refunded",
        "app.payouts.receivers.take_back_from_the_venues",
    ]
    # payouts sit above payments: a fee, a top-up or a desk link charged sends the venue its
    # share, and reconciling with the gateway reconciles the transfers too
    assert receivers(payment_events.charge_taken) == ["app.payouts.receivers.pay_the_venue"]
    assert receivers(payment_events.reconciling) == ["app.payouts.receivers.reconcile_the_transfers"]
    # the venue's people are told; the rating itself is recounted inline (same transaction, venue
    # row lock), and search and the page caches follow the venue row's rating (app/reviews/events.py)
    assert receivers(review_events.review_posted) == [
        "app.notifications.activity.tell_venue_of_review",
        "app.webhooks.receivers.on_review",
    ]
    # a venue's first answer to a review: the customer; a report: the admins; its decision: both sides
    assert receivers(review_events.review_replied) == ["app.notifications.review_notices.tell_customer_of_reply"]
    assert receivers(review_events.review_reported) == ["app.notifications.review_notices.tell_admins_of_report"]
    assert receivers(review_events.report_decided) == ["app.notifications.review_notices.tell_both_sides"]
    assert receivers(payout_signals.payout_paid) == [
        "app.notifications.activity.tell_venue_of_payout",
        "app.webhooks.receivers.on_payout",
    ]
    # a data export: the booking messages and the notification data (both sit above privacy, so
    # they add their own files); an erasure: the notification data goes and notices are redacted
    assert receivers(privacy_events.export_collecting) == [
        "app.messages.exports.add_messages",
        "app.notifications.personal_data.add_notifications",
    ]
    assert receivers(privacy_events.account_erasing) == ["app.notifications.personal_data.forget_the_person"]
    # an offer of a reopened time: its customer is told (notifications sit above the waitlist)
    assert receivers(waitlist_events.offer_made) == ["app.notifications.waitlist_offers.tell_the_customer"]


def test_an_unknown_way_of_paying_is_refused():
    with pytest.raises(ValueError, match="unknown way of paying"):
        events.announce_paid("by magic", object(), now=None)


def test_the_signal_table_in_the_docs_is_current(app):
    page = signal_table.DOC.read_text()
    assert signal_table.page_with_table(page) == page, (
        "docs/architecture.md's table of signals differs from the code: run `flask docs signals`"
    )


def test_the_table_finds_the_signals_of_every_events_module(app):
    modules = {module for module, _attribute, _signal in signal_table.declared()}
    events_modules = {f"app.{path.parent.name}.events" for path in (ROOT / "app").glob("*/events.py")}
    assert events_modules <= modules, f"no signal found in {sorted(events_modules - modules)}"
    assert {"app.payments.demo_gateway", "app.payouts.accounts"} <= modules


def test_every_signal_says_when_it_fires_in_its_doc(app):
    undocumented = [
        f"{module}.{attribute}"
        for module, attribute, signal in signal_table.declared()
        if not SENTENCE.fullmatch(" ".join((signal.__doc__ or "").split())) or "sender" not in signal.__doc__
    ]
    assert not undocumented, (
        f"{undocumented}: give each signal a doc= of at least one sentence saying when it fires, its sender "
        "and what receivers get"
    )


def test_flask_docs_signals_writes_the_table(app, tmp_path, monkeypatch):
    page = tmp_path / "architecture.md"
    page.write_text(f"# Architecture\n\n{signal_table.START}\nan old table\n{signal_table.END}\n\nThe rest.\n")
    monkeypatch.setattr(signal_table, "DOC", page)
    runner = app.test_cli_runner()
    assert "signals rewritten" in runner.invoke(args=["docs", "signals"]).output
    assert signal_table.table() in page.read_text() and page.read_text().endswith("\n\nThe rest.\n")
    assert "already current" in runner.invoke(args=["docs", "signals"]).output
