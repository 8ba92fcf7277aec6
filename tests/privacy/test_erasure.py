"""The erasure proof: a person with a distinctive name, email and phone uses everything, deletes
their account, and afterwards no text column of any table and no uploaded file names them,
while their orders, payments, refunds and receipts are still there with their amounts."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import RecoveryCode, User, UserSession
from app.accounts.oidc_models import ProviderLink
from app.accounts.passkey_models import Passkey
from app.audit.models import AuditEntry
from app.booking import cart, lifecycle
from app.booking.models import Booking, BookingStatus, Order
from app.payments import service as payments
from app.payments.models import Payment, PaymentEvent, Refund
from app.platform.extensions import db
from app.privacy.deletion import erase_due_accounts_job
from app.privacy.models import AccountDeletion, DataExport, ExportStatus
from app.reviews.service import create_review
from app.saved.models import SavedVenue
from app.venues.images import add_image
from app.venues.lists import add_faq, add_team_member
from app.venues.models import Venue, VenueStatus
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past
from tests.factories import PASSWORD
from tests.payments.test_demo_payments import hold, pay, start_paying
from tests.privacy.conftest import (
    count,
    drain_jobs,
    files_under,
    find_in_database,
    find_in_files,
    image_bytes,
    run_job_now,
    sign_in_with_form,
)

NAME = "Zephyrine Quillfeather"
EMAIL = "zephyrine.quillfeather@example.com"
PHONE = "+44 7700 900123"
NEEDLES = [NAME, EMAIL, PHONE, "Quillfeather", "zephyrine.quillfeather", "7700 900123"]


def _upload_avatar(web):
    form = {"name": NAME, "phone": PHONE, "avatar": (io.BytesIO(image_bytes()), "me.png")}
    response = web.post("/account/profile", form, content_type="multipart/form-data")
    assert response.status_code == 302, response.text


def _make_everything(web, new_browser, person, service, admin):
    """Sessions, audit entries, failed sign-ins, an avatar, paid and refunded orders, a review,
    a cart, consent, two-factor data, a ready export and an admin's look at them."""
    assert sign_in_with_form(web, EMAIL, PASSWORD, **{"User-Agent": "Firefox/140 (X11; Linux)"}).status_code == 302
    _upload_avatar(web)
    # A paid order, and a second one paid then cancelled for a refund.
    paid_id = hold(web, person, service, future_slot(days=4, hour=10))
    assert pay(web, start_paying(web, paid_id)).status_code == 303
    refunded_id = hold(web, person, service, future_slot(days=5, hour=11))
    assert pay(web, start_paying(web, refunded_id)).status_code == 303
    drain_jobs()
    booking = db.session.scalar(select(Booking).where(Booking.order_id == refunded_id))
    assert booking.status == BookingStatus.CONFIRMED
    payments.refund_booking(booking, lifecycle.cancel_by_customer(booking, customer=person), reason="Cancelled")
    db.session.commit()
    # A past visit with a review that names its writer.
    visit = book(person, service, future_slot(days=6, hour=12))
    move_to_past(visit, hours=3)
    create_review(visit, customer=person, rating=5, body=f"{NAME} says: calm, warm and kind staff.")
    cart.add_item(
        cart.CartOwner(user_id=person.id),
        service_id=service.id,
        starts_at=future_slot(days=8),
        quantity=1,
        team_member_id=None,
    )
    db.session.add(RecoveryCode(user_id=person.id, code_hash=hashlib.sha256(b"code").hexdigest()))
    # Other ways in, which hold the name or the address, and a saved venue.
    db.session.add(ProviderLink(user_id=person.id, provider="google", subject="g-123", email=EMAIL))
    db.session.add(
        Passkey(
            user_id=person.id,
            name=f"{NAME}'s phone",
            credential_id=b"cred-" + EMAIL.encode(),
            public_key=b"key",
            user_handle=b"handle",
        )
    )
    db.session.add(SavedVenue(user_id=person.id, venue_id=service.venue_id))
    person.totp_secret = "encrypted-secret-placeholder"
    db.session.commit()
    assert web.post("/account/privacy/marketing", {"marketing": "yes"}).status_code == 302
    assert web.post("/account/privacy/export", {}).status_code == 302
    drain_jobs()
    export = db.session.scalar(select(DataExport).where(DataExport.user_id == person.id))
    assert export.status == ExportStatus.READY
    viewer = new_browser()
    viewer.sign_in_as(admin)
    assert viewer.get(f"/admin/users/{person.id}").status_code == 200
    assert viewer.get(f"/admin/orders/{paid_id}").status_code == 200
    # Someone mistypes the password: a throttle row and an audit entry hold the address.
    assert sign_in_with_form(new_browser(), EMAIL, "wrong-password-here").status_code == 401
    return export


def _ask_and_wait_out_the_grace_period(web, person) -> None:
    response = web.post("/account/privacy/delete", {"current_password": PASSWORD, "understand": "y"})
    assert response.status_code == 302, response.text
    drain_jobs()  # the "will be deleted" email
    db.session.execute(
        update(AccountDeletion).where(AccountDeletion.user_id == person.id).values(due_at=datetime.now(UTC))
    )
    db.session.commit()
    run_job_now(erase_due_accounts_job)


def test_after_erasure_nothing_names_the_person_but_the_money_records_remain(
    ctx, web, new_browser, make_user, provider, admin, uploads
):
    person = make_user(name=NAME, email=EMAIL, phone=PHONE)
    _, service = make_bookable_venue(provider)
    db.session.commit()
    export = _make_everything(web, new_browser, person, service, admin)
    # The setup really put the person everywhere the search looks.
    before = {(table, column) for table, column, _ in find_in_database(NEEDLES)}
    assert {("users", "name"), ("users", "email"), ("users", "phone"), ("reviews", "body")} <= before
    assert ("audit_log", "data") in before and ("sign_in_throttles", "email") in before
    avatar_key = db.session.get(User, person.id).avatar_key
    assert avatar_key in files_under(uploads) and export.storage_key in files_under(uploads)
    amounts = {o.id: (o.total_minor, o.receipt_number) for o in db.session.scalars(select(Order))}
    payment_amounts = {p.id: p.amount_minor for p in db.session.scalars(select(Payment))}
    refund_amounts = {r.id: r.amount_minor for r in db.session.scalars(select(Refund))}
    assert len(payment_amounts) == 3 and len(refund_amounts) == 1  # the past visit is paid too (book() pays)

    _ask_and_wait_out_the_grace_period(web, person)

    assert find_in_database(NEEDLES) == []
    assert find_in_files(uploads, NEEDLES) == []
    remaining = files_under(uploads)
    assert avatar_key not in remaining and export.storage_key not in remaining
    # The financial records stand, with their amounts, dates and references.
    db.session.expire_all()
    assert {o.id: (o.total_minor, o.receipt_number) for o in db.session.scalars(select(Order))} == amounts
    assert {p.id: p.amount_minor for p in db.session.scalars(select(Payment))} == payment_amounts
    assert {r.id: r.amount_minor for r in db.session.scalars(select(Refund))} == refund_amounts
    assert all(o.customer_id == person.id for o in db.session.scalars(select(Order)))
    assert count(PaymentEvent) >= 2
    erased = db.session.get(User, person.id)
    assert erased.name == f"Deleted user {person.id}" and erased.phone is None and not erased.is_active_account
    assert count(UserSession, UserSession.user_id == person.id) == 0
    assert count(RecoveryCode, RecoveryCode.user_id == person.id) == 0
    assert db.session.scalar(select(AccountDeletion.completed_at).where(AccountDeletion.user_id == person.id))
    # Audit entries about them stay, without IPs or browsers.
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.subject_id == person.id)))
    assert entries and not any({"ip", "user_agent"} & set(e.data or {}) for e in entries if e.subject_type == "account")
    # And nobody can sign in as them any more.
    assert sign_in_with_form(new_browser(), EMAIL, PASSWORD).status_code == 401


def test_a_providers_erasure_closes_the_venue_refunds_its_upcoming_bookings_and_leaves_no_trace(
    ctx, web, new_browser, make_user, customer, uploads
):
    owner = make_user(name=NAME, email=EMAIL, phone=PHONE, role="provider")
    venue, service = make_bookable_venue(owner, team=1, name=f"Quillfeather Spa by {NAME}")
    venue.email, venue.phone, venue.description = EMAIL, PHONE, f"Run by {NAME}. Call {PHONE}."
    venue.address_line = "1 Quillfeather Lane"
    add_team_member(venue, name=NAME, title="Owner", bio=f"{NAME} trained in Bath.", service_ids=[service.id])
    add_faq(venue, question="Who runs it?", answer=f"{NAME} ({EMAIL}).")
    photo = add_image(venue, image_bytes(), alt_text=f"{NAME} at the front desk")
    db.session.commit()
    past = book(customer, service, future_slot(days=2, hour=10))
    move_to_past(past, hours=3)
    db.session.commit()
    sign_in_with_form(web, EMAIL)
    _upload_avatar(web)
    assert web.post("/account/privacy/export", {}).status_code == 302
    drain_jobs()
    venue_files = {v["key"] for v in photo.variants.values()}
    assert venue_files <= files_under(uploads)

    # A booking the owner cancelled with a reason that names them.
    called_off = book(customer, service, future_slot(days=5, hour=9))
    lifecycle.cancel_by_venue(called_off, actor=owner, reason=f"{NAME} is unwell, sorry.")
    # Asking is refused while a booking is still to come...
    upcoming = book(customer, service, future_slot(days=3, hour=15))
    db.session.commit()
    refused = web.post("/account/privacy/delete", {"current_password": PASSWORD, "understand": "y"})
    assert refused.status_code == 409 and "upcoming booking" in refused.text
    assert count(AccountDeletion) == 0
    # ...and accepted once it is handled (here: the customer cancels it).
    lifecycle.cancel_by_customer(upcoming, customer=customer)
    db.session.commit()
    response = web.post("/account/privacy/delete", {"current_password": PASSWORD, "understand": "y"})
    assert response.status_code == 302
    # A booking made during the grace period is cancelled by the venue when the time comes.
    during_grace = book(customer, service, future_slot(days=4, hour=11))
    db.session.execute(update(AccountDeletion).values(due_at=datetime.now(UTC) - timedelta(minutes=1)))
    db.session.commit()
    run_job_now(erase_due_accounts_job)

    assert find_in_database(NEEDLES) == []
    assert find_in_files(uploads, NEEDLES) == []
    assert not venue_files & files_under(uploads)
    db.session.expire_all()
    closed = db.session.get(Venue, venue.id)
    assert closed.status == VenueStatus.SUSPENDED and closed.name == f"Closed venue {venue.id}"
    assert (closed.team, closed.faqs, closed.images) == ([], [], [])
    assert db.session.get(Booking, during_grace.id).status == BookingStatus.CANCELLED_BY_VENUE
    assert db.session.get(Booking, during_grace.id).refund_minor == during_grace.total_minor
    assert db.session.get(Booking, past.id).status == BookingStatus.CONFIRMED  # history stays
    assert db.session.get(Booking, called_off.id).cancel_reason == "[removed]"
    assert web.get(f"/venues/{closed.slug}").status_code == 404


@pytest.mark.parametrize("field", ["current_password", "understand"])
def test_deletion_needs_the_password_and_the_tick(web, customer, field):
    web.sign_in_as(customer)
    form = {"current_password": PASSWORD, "understand": "y"}
    form.pop(field)
    response = web.post("/account/privacy/delete", form)
    assert response.status_code == 422
    assert count(AccountDeletion) == 0
    assert db.session.get(User, customer.id).deletion_due_at is None
