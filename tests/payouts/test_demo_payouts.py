"""Payouts on the Demo gateway, end to end: connecting from the dashboard, the rule that a venue
takes paid bookings only once enabled, transfers after payment (one group per order), waiting
transfers released when the account is enabled, reversals after refunds (exactly once), and
reconciliation of transfers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.booking import cart
from app.booking.models import CartItem
from app.checkout import checkout
from app.payments.models import Payment, PaymentStatus
from app.payments.refunds import request_refund
from app.payouts.models import (
    ConnectedAccount,
    Payout,
    ReversalStatus,
    TransferReversal,
    TransferStatus,
    VenueTransfer,
)
from app.payouts.ports import AccountStatus
from app.payouts.reconcile import reconcile_transfers
from app.payouts.transfers import schedule_reversals
from app.platform.extensions import db
from tests.booking.helpers import book, cart_form, future_slot, make_bookable_venue
from tests.payouts.helpers import connect, reversals_of, transfers_of


@pytest.fixture
def strict(app, monkeypatch):
    """Production's rule: no paid bookings until the venue's payout account is enabled."""
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", False)


@pytest.fixture
def venue_and_service(ctx, provider):
    return make_bookable_venue(provider)


def account_row(venue):
    db.session.expire_all()
    return db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.venue_id == venue.id))


# -- connecting -------------------------------------------------------------------------------------


def test_a_provider_connects_through_the_demo_onboarding_and_is_enabled(web, provider, venue_and_service):
    venue, _ = venue_and_service
    db.session.commit()
    web.sign_in_as(provider)

    page = web.get("/provider/payouts")
    assert page.status_code == 200
    assert 'data-payout-status="not_connected"' in page.get_data(as_text=True)

    started = web.post("/provider/payouts/connect")
    assert started.status_code == 303
    assert "/provider/payouts/demo-onboarding" in started.headers["Location"]
    account = account_row(venue)
    assert account.gateway == "demo" and account.status == AccountStatus.PENDING

    onboarding = web.get(started.headers["Location"])
    assert onboarding.status_code == 200 and account.account_id in onboarding.get_data(as_text=True)

    done = web.post("/provider/payouts/demo-onboarding", {"outcome": "complete"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/provider/payouts/return")
    back = web.get("/provider/payouts/return", follow_redirects=True)
    html = back.get_data(as_text=True)
    assert 'data-payout-status="enabled"' in html and "Payout account: Enabled." in html
    account = account_row(venue)
    assert account.charges_enabled and account.payouts_enabled and account.requirements == []


def test_unfinished_onboarding_is_restricted_and_says_what_is_still_needed(web, provider, venue_and_service):
    venue, _ = venue_and_service
    db.session.commit()
    web.sign_in_as(provider)
    web.post("/provider/payouts/connect")
    web.post("/provider/payouts/demo-onboarding", {"outcome": "incomplete"})
    html = web.get("/provider/payouts").get_data(as_text=True)
    assert 'data-payout-status="restricted"' in html
    assert "A bank account to pay you into" in html and "A photo of your identity document" in html
    assert "Continue setup" in html
    assert account_row(venue).status == AccountStatus.RESTRICTED


def test_connecting_twice_keeps_one_account(web, provider, venue_and_service):
    venue, _ = venue_and_service
    db.session.commit()
    web.sign_in_as(provider)
    web.post("/provider/payouts/connect")
    web.post("/provider/payouts/connect")
    assert db.session.scalar(select(func.count()).where(ConnectedAccount.venue_id == venue.id)) == 1


def test_connect_without_a_csrf_token_is_refused_and_makes_nothing(web, provider, venue_and_service):
    venue, _ = venue_and_service
    db.session.commit()
    web.sign_in_as(provider)
    response = web.post("/provider/payouts/connect", csrf=False)
    assert response.status_code == 400
    assert account_row(venue) is None


def test_a_demo_onboarding_without_a_choice_is_refused_and_changes_nothing(web, provider, venue_and_service):
    venue, _ = venue_and_service
    db.session.commit()
    web.sign_in_as(provider)
    web.post("/provider/payouts/connect")
    response = web.post("/provider/payouts/demo-onboarding", {"outcome": "enabled-please"})
    assert response.status_code == 422
    assert "Choose how the demo onboarding ends." in response.get_data(as_text=True)
    assert account_row(venue).status == AccountStatus.PENDING


def test_the_demo_onboarding_needs_a_demo_account_of_ones_own(web, provider, venue_and_service):
    db.session.commit()
    web.sign_in_as(provider)
    assert web.get("/provider/payouts/demo-onboarding").status_code == 404
    assert web.post("/provider/payouts/demo-onboarding", {"outcome": "complete"}).status_code == 404


@pytest.mark.parametrize("path", ["/provider/payouts", "/provider/earnings", "/provider/earnings.csv"])
def test_customers_and_admins_cannot_open_provider_payout_pages(web, customer, admin, path):
    web.sign_in_as(customer)
    assert web.get(path).status_code == 403
    web.sign_out()
    web.sign_in_as(admin)
    assert web.get(path).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(web):
    response = web.get("/provider/payouts")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# -- only enabled venues take paid bookings ------------------------------------------------------------


def test_add_to_cart_is_refused_until_the_venue_is_enabled(web, customer, venue_and_service, strict):
    venue, service = venue_and_service
    db.session.commit()
    web.sign_in_as(customer)
    refused = web.post("/cart/items", cart_form(service, future_slot()))
    assert refused.status_code == 422
    assert "can&#39;t take online bookings yet" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CartItem)) == 0

    connect(venue)
    db.session.commit()
    added = web.post("/cart/items", cart_form(service, future_slot()))
    assert added.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(CartItem)) == 1


def test_checkout_is_refused_when_a_venue_is_no_longer_enabled(ctx, customer, venue_and_service, strict):
    venue, service = venue_and_service
    account = connect(venue)
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(),
        quantity=1,
        team_member_id=None,
    )
    account.status = AccountStatus.RESTRICTED
    db.session.flush()
    with pytest.raises(Exception, match="setting up how it gets paid"):
        checkout.checkout(customer)


def test_with_collection_allowed_an_unconnected_venue_takes_bookings_and_its_transfer_waits(
    ctx, customer, venue_and_service, run_jobs
):
    venue, service = venue_and_service
    booking = book(customer, service, future_slot())
    (transfer,) = transfers_of(booking.order)
    assert transfer.status == TransferStatus.WAITING

    account = connect(venue, status=AccountStatus.PENDING)
    from app.payouts.accounts import apply_state
    from app.payouts.ports import AccountState

    apply_state(account, AccountState(account.account_id, True, True, True))
    db.session.commit()
    run_jobs()
    (transfer,) = transfers_of(booking.order)
    assert transfer.status == TransferStatus.PAID
    assert transfer.sent_minor == transfer.transfer_minor == 5100
    assert transfer.gateway_transfer_id.startswith("demo_tr_")


# -- transfers after payment -------------------------------------------------------------------------


def test_a_two_venue_cart_is_one_charge_and_two_transfers_in_one_group(ctx, customer, make_user, run_jobs):
    owner_a, owner_b = make_user(role="provider"), make_user(role="provider")
    venue_a, service_a = make_bookable_venue(owner_a, name="Calm Rooms")
    venue_b, service_b = make_bookable_venue(owner_b, name="Quiet Corner")
    service_b.price_minor = 4550
    connect(venue_a)
    connect(venue_b)
    owner = cart.CartOwner(user_id=customer.id)
    cart.add_item(owner, service_id=service_a.id, starts_at=future_slot(), quantity=1, team_member_id=None)
    cart.add_item(owner, service_id=service_b.id, starts_at=future_slot(days=4), quantity=1, team_member_id=None)
    order = checkout.checkout(customer)
    from app.payments.demo_webhook import pay_by_demo_card

    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    db.session.commit()
    payments = db.session.scalars(select(Payment).where(Payment.order_id == order.id)).all()
    assert len(payments) == 1 and payments[0].amount_minor == 10550

    run_jobs()
    transfers = transfers_of(order)
    assert {t.venue_id for t in transfers} == {venue_a.id, venue_b.id}
    assert {t.transfer_group for t in transfers} == {f"order-{order.id}"}
    by_venue = {t.venue_id: t for t in transfers}
    assert (by_venue[venue_a.id].commission_minor, by_venue[venue_a.id].sent_minor) == (900, 5100)
    assert (by_venue[venue_b.id].commission_minor, by_venue[venue_b.id].sent_minor) == (682, 3868)
    assert sum(t.sent_minor + t.commission_minor for t in transfers) == payments[0].amount_minor
    assert all(t.status == TransferStatus.PAID and t.destination.startswith("demo_acct") for t in transfers)
    # The demo account pays each transfer to the bank at once.
    payouts = db.session.scalars(select(Payout).order_by(Payout.amount_minor)).all()
    assert [(p.venue_id, p.amount_minor, p.status) for p in payouts] == [
        (venue_b.id, 3868, "paid"),
        (venue_a.id, 5100, "paid"),
    ]


def test_a_category_rate_overrides_the_platform_commission(ctx, customer, provider, run_jobs):
    from app.payouts.models import CommissionRate
    from app.venues.models import Category

    category = Category(slug="nails-test", name="Nails test", position=99)
    db.session.add(category)
    db.session.flush()
    db.session.add(CommissionRate(category_id=category.id, rate_bp=1000))
    venue, service = make_bookable_venue(provider)
    venue.category_id = category.id
    connect(venue)
    booking = book(customer, service, future_slot())
    (transfer,) = transfers_of(booking.order)
    assert (transfer.commission_bp, transfer.commission_minor, transfer.transfer_minor) == (1000, 600, 5400)


def test_settling_a_payment_again_makes_no_second_transfer(ctx, customer, venue_and_service, run_jobs):
    from app.payouts.transfers import schedule_transfers

    venue, service = venue_and_service
    connect(venue)
    booking = book(customer, service, future_slot())
    payment = db.session.scalar(select(Payment).where(Payment.order_id == booking.order_id))
    assert schedule_transfers(payment) == 0
    run_jobs()
    run_jobs()
    assert len(transfers_of(booking.order)) == 1


# -- refunds reverse the venue's part ---------------------------------------------------------------


def paid_booking(customer, venue, service, run_jobs):
    connect(venue)
    booking = book(customer, service, future_slot())
    db.session.commit()
    run_jobs()
    payment = db.session.scalar(
        select(Payment).where(Payment.order_id == booking.order_id, Payment.status == PaymentStatus.SUCCEEDED)
    )
    return booking, payment


def test_a_partial_refund_reverses_the_transfer_in_proportion_exactly_once(ctx, customer, venue_and_service, run_jobs):
    venue, service = venue_and_service
    booking, payment = paid_booking(customer, venue, service, run_jobs)
    refund = request_refund(payment, 3001, reason="goodwill", booking_id=booking.id)
    db.session.commit()
    run_jobs()

    (transfer,) = transfers_of(booking.order)
    (reversal,) = reversals_of(transfer)
    assert reversal.refund_minor == 3001
    assert reversal.amount_minor == 5100 * 3001 // 6000  # 2550: the venue's part; 451 of commission back
    assert reversal.status == ReversalStatus.SUCCEEDED and reversal.gateway_reversal_id.startswith("demo_trr_")

    db.session.expire_all()
    assert schedule_reversals(db.session.get(type(refund), refund.id)) == 0  # settled again: nothing new
    run_jobs()
    assert len(reversals_of(transfer)) == 1


def test_refunding_everything_reverses_the_whole_transfer(ctx, customer, venue_and_service, run_jobs):
    venue, service = venue_and_service
    booking, payment = paid_booking(customer, venue, service, run_jobs)
    request_refund(payment, 1999, reason="first", booking_id=booking.id)
    request_refund(payment, 4001, reason="rest", booking_id=booking.id)
    db.session.commit()
    run_jobs()
    (transfer,) = transfers_of(booking.order)
    reversals = reversals_of(transfer)
    assert sum(r.refund_minor for r in reversals) == 6000
    assert sum(r.amount_minor for r in reversals) == transfer.transfer_minor == 5100


def test_a_refund_before_the_transfer_is_sent_makes_it_smaller(ctx, customer, venue_and_service, run_jobs):
    venue, service = venue_and_service
    booking = book(customer, service, future_slot())  # not connected: the transfer waits
    payment = db.session.scalar(select(Payment).where(Payment.order_id == booking.order_id))
    request_refund(payment, 3000, reason="half", booking_id=booking.id)
    db.session.commit()
    run_jobs()
    (transfer,) = transfers_of(booking.order)
    (reversal,) = reversals_of(transfer)
    assert reversal.status == ReversalStatus.NETTED and reversal.amount_minor == 2550

    connect(venue)
    from app.payouts.transfers import release_waiting

    release_waiting(venue.id)
    db.session.commit()
    run_jobs()
    (transfer,) = transfers_of(booking.order)
    assert transfer.status == TransferStatus.PAID and transfer.sent_minor == 2550


# -- reconciliation -----------------------------------------------------------------------------------


def test_reconcile_schedules_transfers_a_paid_order_never_got(ctx, customer, venue_and_service, run_jobs):
    venue, service = venue_and_service
    booking, _ = paid_booking(customer, venue, service, run_jobs)
    db.session.execute(VenueTransfer.__table__.delete().where(VenueTransfer.order_id == booking.order_id))
    summary = reconcile_transfers()
    assert summary.scheduled_orders == 1
    db.session.commit()
    run_jobs()
    (transfer,) = transfers_of(booking.order)
    assert transfer.status == TransferStatus.PAID and transfer.sent_minor == 5100
    assert reconcile_transfers().scheduled_orders == 0


def test_reconcile_resends_a_failed_transfer_and_a_stuck_reversal(ctx, customer, venue_and_service, run_jobs):
    venue, service = venue_and_service
    connect(venue)
    booking = book(customer, service, future_slot())
    (transfer,) = transfers_of(booking.order)
    transfer.status = TransferStatus.FAILED
    transfer.problem = "Stripe was down"
    db.session.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = 'payouts.send_transfer'"))
    db.session.commit()
    summary = reconcile_transfers()
    assert summary.retried == 1
    db.session.commit()
    run_jobs()
    (transfer,) = transfers_of(booking.order)
    assert transfer.status == TransferStatus.PAID and transfer.problem is None


def test_reconcile_releases_waiting_transfers_of_venues_enabled_since(ctx, customer, venue_and_service, run_jobs):
    venue, service = venue_and_service
    booking = book(customer, service, future_slot())
    connect(venue)  # enabled without an event reaching us
    summary = reconcile_transfers()
    assert summary.released == 1
    db.session.commit()
    run_jobs()
    (transfer,) = transfers_of(booking.order)
    assert transfer.status == TransferStatus.PAID


def test_flask_payments_reconcile_reports_transfers(app, ctx, customer, venue_and_service, run_jobs):
    venue, service = venue_and_service
    paid_booking(customer, venue, service, run_jobs)
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "Transfers: 0 paid order(s) had none" in result.output
    assert "Checked 1 transfer group(s) with the gateway" in result.output
    assert db.session.scalar(select(func.count()).select_from(TransferReversal)) == 0
