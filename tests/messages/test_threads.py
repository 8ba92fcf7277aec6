"""A booking's message thread: both sides read and write it, no one else reaches it (404), each
message emails the other side, bad input and too many messages are refused with nothing stored,
and a recipient's report reaches the admins, who hide it or dismiss it (audited)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.messages import service
from app.messages.models import BookingMessage, Moderation
from app.notifications.models import NotificationPreference
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue

HTMX = {"HX-Request": "true"}


@pytest.fixture
def booking(ctx, provider, customer, run_jobs, outbox):
    _, massage = make_bookable_venue(provider)
    made = book(customer, massage, future_slot(days=2, hour=10))
    run_jobs()
    outbox.clear()  # the booking's own emails
    return made


def customer_path(booking) -> str:
    return f"/bookings/{booking.reference}/messages"


def venue_path(booking) -> str:
    return f"/provider/bookings/{booking.id}/messages"


def count_messages() -> int:
    return db.session.scalar(select(func.count()).select_from(BookingMessage))


# -- both sides ----------------------------------------------------------------------------------


def test_customer_and_venue_talk_on_the_booking_and_each_is_emailed(web, customer, provider, booking, outbox, run_jobs):
    web.sign_in_as(customer)
    page = web.get(f"/bookings/{booking.reference}").text
    assert 'id="messages"' in page and "No messages yet" in page

    response = web.post(customer_path(booking), {"body": "Can I bring\nmy own oil?"}, headers=HTMX)
    assert response.status_code == 200
    assert "Message sent" in response.headers["HX-Trigger"]
    assert "Can I bring\nmy own oil?" in response.text
    run_jobs()
    assert [m.to for m in outbox] == [[provider.email]]
    assert "Can I bring" in outbox[0].body and f"/provider/bookings/{booking.id}" in outbox[0].body
    message = db.session.scalar(select(BookingMessage))
    assert (message.sender_side, message.sender_user_id, message.read_by_other_at) == ("customer", customer.id, None)

    web.sign_in_as(provider)
    page = web.get(f"/provider/bookings/{booking.id}").text
    assert "Can I bring" in page and "Messages with Chloe Customer" in page
    db.session.refresh(message)
    assert message.read_by_other_at is not None  # the venue opened it

    reply = web.post(venue_path(booking), {"body": "Of course!"})
    assert reply.status_code == 303 and reply.headers["Location"].endswith(f"/provider/bookings/{booking.id}#messages")
    run_jobs()
    assert outbox[-1].to == [customer.email] and "Of course!" in outbox[-1].body
    assert f"/bookings/{booking.reference}#messages" in outbox[-1].body

    web.sign_in_as(customer)
    page = web.get(f"/bookings/{booking.reference}").text
    assert "Of course!" in page and "Read" in page


def test_a_message_is_plain_text_escaped_on_every_page(web, customer, provider, booking, admin):
    web.sign_in_as(customer)
    web.post(customer_path(booking), {"body": '<script>alert(1)</script> <a href="x">link</a>'})
    web.sign_in_as(provider)
    page = web.get(f"/provider/bookings/{booking.id}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a href="x">' not in page


def test_no_email_when_the_recipient_turned_change_emails_off(web, customer, provider, booking, outbox, run_jobs):
    db.session.add(NotificationPreference(user_id=provider.id, kind="changes", channel="email", enabled=False))
    db.session.flush()
    web.sign_in_as(customer)
    assert web.post(customer_path(booking), {"body": "Hello"}).status_code == 303
    run_jobs()
    assert outbox == [] and count_messages() == 1


# -- access --------------------------------------------------------------------------------------


def test_only_the_customer_and_the_venue_owner_reach_the_thread(web, make_user, customer, provider, booking):
    other_customer = make_user(role=Role.CUSTOMER, name="Olga Other")
    other_owner = make_user(role=Role.PROVIDER, name="Otto Owner")
    make_bookable_venue(other_owner, name="Other Rooms")
    db.session.flush()
    assert service.may_read_thread(customer, booking) and service.may_read_thread(provider, booking)
    assert not service.may_read_thread(other_customer, booking)
    assert not service.may_read_thread(other_owner, booking)

    for intruder, venue_side in ((other_customer, 403), (other_owner, 404)):
        web.sign_in_as(intruder)
        assert web.post(customer_path(booking), {"body": "Hi"}).status_code == 404
        # the provider area refuses a customer before anything runs (403); another venue's
        # owner passes that guard and finds no such booking of theirs (404)
        assert web.post(venue_path(booking), {"body": "Hi"}).status_code == venue_side
        assert web.get(f"/provider/bookings/{booking.id}").status_code in (403, 404)
    # Each side only through its own door: the customer can't use the venue's URL, nor the reverse.
    web.sign_in_as(customer)
    assert web.post(venue_path(booking), {"body": "Hi"}).status_code == 403  # not in the provider area
    web.sign_in_as(provider)
    assert web.post(customer_path(booking), {"body": "Hi"}).status_code == 404
    web.sign_out()
    signed_out = web.post(customer_path(booking), {"body": "Hi"})
    assert signed_out.status_code in (302, 303) and "/sign-in" in signed_out.headers["Location"]
    assert count_messages() == 0


def test_without_the_csrf_token_nothing_is_stored(web, customer, booking):
    web.sign_in_as(customer)
    assert web.post(customer_path(booking), {"body": "Hello"}, csrf=False).status_code == 400
    assert count_messages() == 0


# -- bad input and rate limits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write a message before sending it."),
        ("   \n ", "Write a message before sending it."),
        ("x" * 2001, "Keep your message under 2000 characters (it has 2001)."),
    ],
)
def test_an_empty_or_too_long_message_is_refused_with_nothing_stored(web, customer, booking, body, message):
    web.sign_in_as(customer)
    response = web.post(customer_path(booking), {"body": body}, headers=HTMX)
    assert response.status_code == 422
    assert message in response.text and 'role="alert"' in response.text
    assert count_messages() == 0


def test_a_message_of_exactly_the_limit_is_kept(web, customer, booking):
    web.sign_in_as(customer)
    assert web.post(customer_path(booking), {"body": "y" * 2000}).status_code == 303
    assert count_messages() == 1


def test_eleven_messages_in_an_hour_on_one_booking_is_a_429_and_the_eleventh_is_not_kept(web, customer, booking):
    web.sign_in_as(customer)
    for n in range(service.PER_BOOKING_LIMIT):
        assert web.post(customer_path(booking), {"body": f"Message {n}"}).status_code == 303
    response = web.post(customer_path(booking), {"body": "One more"}, headers=HTMX)
    assert response.status_code == 429
    assert "sent 10 messages about this booking in the last hour" in response.text
    assert count_messages() == service.PER_BOOKING_LIMIT
    # The other side is not limited by the customer's messages.


def test_the_window_moves_on(ctx, customer, booking):
    now = datetime.now(UTC)
    for n in range(service.PER_BOOKING_LIMIT):
        service.post_message(booking, customer, f"Earlier {n}", now=now - timedelta(minutes=61))
    service.post_message(booking, customer, "Now", now=now)
    assert count_messages() == service.PER_BOOKING_LIMIT + 1


def test_a_person_writing_in_many_threads_meets_the_overall_limit(ctx, customer, provider, booking, monkeypatch):
    monkeypatch.setattr(service, "PER_USER_LIMIT", 3)
    venue_service = booking.service
    others = [book(customer, venue_service, future_slot(days=3 + n, hour=11)) for n in range(2)]
    now = datetime.now(UTC)
    service.post_message(booking, customer, "a", now=now)
    service.post_message(others[0], customer, "b", now=now)
    service.post_message(others[1], customer, "c", now=now)
    with pytest.raises(service.TooManyMessages, match="3 messages in the last hour"):
        service.post_message(booking, customer, "d", now=now)
    assert count_messages() == 3


# -- reports and moderation ----------------------------------------------------------------------


def test_a_recipient_reports_a_message_and_an_admin_hides_it(web, customer, provider, admin, booking):
    message = service.post_message(
        booking, provider, "Call me on 07911 123456, cheaper off the app", now=datetime.now(UTC)
    )
    web.sign_in_as(customer)
    page = web.get(f"/bookings/{booking.reference}").text
    assert f"/bookings/{booking.reference}/messages/{message.id}/report" in page

    report_path = f"/bookings/{booking.reference}/messages/{message.id}/report"
    refused = web.post(report_path, {"reason": " "}, headers=HTMX)
    assert refused.status_code == 422 and "Say why you are reporting this message." in refused.text
    db.session.refresh(message)
    assert message.reported_at is None

    assert web.post(report_path, {"reason": "Asks to pay off the app"}).status_code == 303
    db.session.refresh(message)
    assert message.report_reason == "Asks to pay off the app" and message.reported_by_user_id == customer.id
    assert web.post(report_path, {"reason": "again"}).status_code == 409

    web.sign_in_as(admin)
    listing = web.get("/admin/messages").text
    assert "cheaper off the app" in listing and "Asks to pay off the app" in listing
    assert web.post(f"/admin/messages/{message.id}/hide", {}).status_code == 303
    db.session.refresh(message)
    assert message.moderation == Moderation.HIDDEN
    entries = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_type == "booking_message").order_by(AuditEntry.id)
    ).all()
    assert entries == ["message.reported", "message.hidden"]
    assert "cheaper off the app" not in web.get("/admin/messages").text  # not waiting any more
    assert "cheaper off the app" in web.get("/admin/messages?status=hidden").text

    web.sign_in_as(customer)
    page = web.get(f"/bookings/{booking.reference}").text
    assert "cheaper off the app" not in page and "removed by CozyWish" in page


def test_an_admin_dismisses_a_report_and_the_message_stays(web, customer, provider, admin, booking):
    message = service.post_message(booking, customer, "You were late!", now=datetime.now(UTC))
    web.sign_in_as(provider)
    assert (
        web.post(f"/provider/bookings/{booking.id}/messages/{message.id}/report", {"reason": "Rude"}).status_code == 303
    )
    web.sign_in_as(admin)
    assert web.post(f"/admin/messages/{message.id}/dismiss", {}).status_code == 303
    db.session.refresh(message)
    assert message.moderation == Moderation.DISMISSED
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "message.report_dismissed"))
    web.sign_in_as(customer)
    assert "You were late!" in web.get(f"/bookings/{booking.reference}").text


def test_a_sender_cannot_report_their_own_message(web, customer, booking):
    message = service.post_message(booking, customer, "Mine", now=datetime.now(UTC))
    web.sign_in_as(customer)
    response = web.post(f"/bookings/{booking.reference}/messages/{message.id}/report", {"reason": "x"})
    assert response.status_code == 403
    db.session.refresh(message)
    assert message.reported_at is None


def test_a_message_of_another_booking_cannot_be_reported_through_this_one(web, customer, provider, booking):
    other = book(customer, booking.service, future_slot(days=4, hour=12))
    message = service.post_message(other, provider, "Hi", now=datetime.now(UTC))
    web.sign_in_as(customer)
    assert web.post(f"/bookings/{booking.reference}/messages/{message.id}/report", {"reason": "x"}).status_code == 404


def test_only_admins_moderate_and_bad_filters_are_a_400(web, customer, provider, admin, booking):
    message = service.post_message(booking, provider, "Hi", now=datetime.now(UTC))
    service.report_message(message, customer, "spam", now=datetime.now(UTC))
    for user in (customer, provider):
        web.sign_in_as(user)
        assert web.get("/admin/messages").status_code == 403
        assert web.post(f"/admin/messages/{message.id}/hide", {}).status_code == 403
    db.session.refresh(message)
    assert message.moderation is None
    web.sign_in_as(admin)
    assert web.get("/admin/messages?status=deleted").status_code == 400
    assert web.get("/admin/messages?page=0").status_code == 400
    assert web.post("/admin/messages/999999/hide", {}).status_code == 404
    assert web.post(f"/admin/messages/{message.id}/dismiss", {}).status_code == 303
    again = web.post(f"/admin/messages/{message.id}/dismiss", {})
    assert again.status_code == 409 and "already dismissed" in again.text
