"""Notices that keep up with a booking's thread: a customer's message gives the venue's owner a
notice in the app (and the venue's reply gives the customer one), once per message whatever
their email choice; reading the thread marks those notices read. The venue's list of its
conversations (/provider/messages): one row per thread, unread first, then newest, in one
statement; reading a thread takes it off the unread; each person sees only their venue's
threads (a practitioner their own bookings'), and a bad page is a 400 with nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from app.accounts.models import Role
from app.messages import service
from app.messages.models import BookingMessage
from app.notifications import catalogue, centre
from app.notifications.models import Notice, NotificationPreference
from app.platform.extensions import db
from app.venues.models import StaffRole
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.statements import statements_sent
from tests.venues.staff_world import make_staff

LIST = "/provider/messages"


@pytest.fixture
def massage(ctx, provider):
    return make_bookable_venue(provider)[1]


@pytest.fixture
def booking(massage, customer, run_jobs, outbox):
    made = book(customer, massage, future_slot(days=2, hour=10))
    run_jobs()
    outbox.clear()  # the booking's own emails
    return made


def message_notices(user) -> list[Notice]:
    query = select(Notice).where(Notice.user_id == user.id, Notice.kind == "message")
    return list(db.session.scalars(query.order_by(Notice.id)))


def write(booking, sender, body: str, *, minutes_ago: int = 0) -> BookingMessage:
    return service.post_message(booking, sender, body, now=datetime.now(UTC) - timedelta(minutes=minutes_ago))


def statements_of(action) -> list[str]:
    with statements_sent() as sent:
        action()
    return sent


# -- notices of messages ---------------------------------------------------------------------------


def test_a_customers_message_gives_the_owner_a_notice_and_the_reply_gives_the_customer_one(
    web, customer, provider, booking, outbox, run_jobs
):
    web.sign_in_as(customer)
    assert web.post(f"/bookings/{booking.reference}/messages", {"body": "Can I bring my own oil?"}).status_code == 303
    [notice] = message_notices(provider)
    assert notice.title == f"New message from Chloe Customer about {booking.reference}"
    assert notice.body == "Can I bring my own oil?" and notice.read_at is None
    assert notice.link == f"/provider/bookings/{booking.id}#messages"
    assert message_notices(customer) == []  # the sender is told nothing
    run_jobs()
    assert [m.to for m in outbox] == [[provider.email]]  # the email still goes, as before

    web.sign_in_as(provider)
    assert web.post(f"/provider/bookings/{booking.id}/messages", {"body": "Of course!"}).status_code == 303
    [reply] = message_notices(customer)
    assert reply.title == "New message from Calm Rooms about your booking" and reply.body == "Of course!"
    assert reply.link == f"/bookings/{booking.reference}#messages"


def test_the_notice_comes_when_change_emails_are_off_and_a_long_message_is_cut(ctx, customer, provider, booking):
    db.session.add(NotificationPreference(user_id=provider.id, kind="changes", channel="email", enabled=False))
    db.session.flush()
    write(booking, customer, "word " * 300)
    [notice] = message_notices(provider)
    assert len(notice.body) == catalogue.MESSAGE_EXCERPT and notice.body.endswith("\u2026")


def test_a_message_told_twice_is_one_notice_and_one_email(ctx, customer, provider, booking, run_jobs, outbox):
    message = write(booking, customer, "Hello")
    again = catalogue.new_message.send(
        provider, booking=booking, message_id=message.id, body=message.body, for_venue=True
    )
    assert again is None  # the key was told: nothing sent
    run_jobs()
    assert len(message_notices(provider)) == 1 and len(outbox) == 1


def test_reading_the_thread_marks_its_notices_read_and_no_others(web, customer, provider, massage, booking):
    other = book(customer, massage, future_slot(days=3, hour=12))
    centre.mark_all_read(provider.id)  # the bookings' own notices
    write(booking, customer, "First", minutes_ago=2)
    write(booking, customer, "Second", minutes_ago=1)
    write(other, customer, "About the other one")
    centre.notify(provider, "test", "Something else", link="/x")
    db.session.commit()
    assert centre.unread_count(provider.id) == 4
    web.sign_in_as(provider)
    assert web.get(f"/provider/bookings/{booking.id}").status_code == 200
    db.session.expire_all()
    assert centre.unread_count(provider.id) == 2
    assert {n.body for n in message_notices(provider) if n.read_at is None} == {"About the other one"}


# -- the venue's list of conversations ---------------------------------------------------------------


@pytest.fixture
def three_threads(massage, customer, provider, make_user, booking):
    """Three threads: one unread (the oldest), one the venue answered last, one read."""
    other_customer = make_user(role=Role.CUSTOMER, name="Dora Dawson")
    answered = book(other_customer, massage, future_slot(days=4, hour=11))
    read = book(customer, massage, future_slot(days=5, hour=9))
    write(booking, customer, "Is there parking?", minutes_ago=50)
    write(answered, other_customer, "Hi there", minutes_ago=40)
    write(answered, provider, "Hello Dora, see you soon", minutes_ago=10)
    write(read, customer, "Thanks for today", minutes_ago=5)
    service.mark_read(answered, provider, now=datetime.now(UTC))
    service.mark_read(read, provider, now=datetime.now(UTC))
    db.session.commit()
    return {"unread": booking, "answered": answered, "read": read}


def test_the_list_shows_one_row_per_thread_unread_first_then_newest(web, provider, three_threads):
    web.sign_in_as(provider)
    response = web.get(LIST)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    page = response.text
    ids = [three_threads[k].id for k in ("unread", "read", "answered")]
    places = [page.index(f'id="conversation-{booking_id}"') for booking_id in ids]
    assert places == sorted(places)
    assert page.count('id="conversation-') == 3
    unread_row = page[places[0] : places[1]]
    assert 'data-unread="1"' in unread_row and page.count("conversation-unread") == 1
    assert f'conversation-unread" id="conversation-{ids[0]}"' in page
    assert "Chloe Customer" in unread_row and "Is there parking?" in unread_row
    assert '<span class="visually-hidden">, 1 unread message</span>' in unread_row
    assert f'href="/provider/bookings/{ids[0]}#messages"' in unread_row
    answered_row = page[places[2] :]
    assert "Dora Dawson" in answered_row and "You:" in answered_row and "Hello Dora" in answered_row
    assert 'data-unread="0"' in answered_row and "Hi there" not in answered_row


def test_reading_a_conversation_takes_it_off_the_unread(web, provider, three_threads):
    web.sign_in_as(provider)
    unread = three_threads["unread"]
    assert web.get(f"/provider/bookings/{unread.id}").status_code == 200
    page = web.get(LIST).text
    assert "conversation-unread" not in page
    # now simply newest first: the read thread's last message is the newest
    assert page.index(f"conversation-{three_threads['read'].id}") < page.index(f"conversation-{unread.id}")


def test_the_list_is_one_statement_however_many_threads(ctx, provider, three_threads):
    venue = three_threads["unread"].venue
    _ = (venue.id, provider.id)  # loaded before counting
    found: list = []
    sent = statements_of(lambda: found.extend(service.conversations(venue, provider)[0]))
    assert len(sent) == 1 and len(found) == 3, "\n".join(sent)


def test_the_page_sends_as_many_statements_for_one_thread_as_for_three(web, provider, massage, booking, three_threads):
    web.sign_in_as(provider)
    web.get(LIST)  # warm: the session's user and venue are remembered
    with_three = len(statements_of(lambda: web.get(LIST)))
    db.session.execute(delete(BookingMessage).where(BookingMessage.booking_id != booking.id))
    db.session.commit()
    with_one = len(statements_of(lambda: web.get(LIST)))
    assert with_three == with_one


def test_the_list_pages(ctx, provider, three_threads):
    venue = three_threads["unread"].venue
    first, more = service.conversations(venue, provider, page=1, size=2)
    last, after = service.conversations(venue, provider, page=2, size=2)
    assert more and not after
    assert [c.booking_id for c in first + last] == [three_threads[k].id for k in ("unread", "read", "answered")]


def test_an_empty_list_says_so(web, provider, massage):
    web.sign_in_as(provider)
    page = web.get(LIST).text
    assert "No messages yet" in page and 'id="conversation-' not in page


def test_a_bad_page_is_a_400_and_changes_nothing(web, provider, three_threads):
    web.sign_in_as(provider)
    for bad in ("abc", "0", "-1", "99999999"):
        response = web.get(f"{LIST}?page={bad}")
        assert response.status_code == 400, bad
    db.session.expire_all()
    assert service.unread_count(three_threads["unread"], provider) == 1
    assert "No more conversations" in web.get(f"{LIST}?page=2").text


# -- who sees which threads ----------------------------------------------------------------------------


def test_another_venue_sees_none_of_these_threads_and_their_pages_are_404(web, make_user, customer, three_threads):
    other_owner = make_user(role=Role.PROVIDER, name="Otto Owner")
    make_bookable_venue(other_owner, name="Other Rooms")
    db.session.commit()
    web.sign_in_as(other_owner)
    page = web.get(LIST).text
    assert 'id="conversation-' not in page and "Chloe Customer" not in page
    unread = three_threads["unread"]
    assert web.get(f"/provider/bookings/{unread.id}").status_code == 404
    db.session.expire_all()
    assert service.unread_count(unread, unread.venue.owner) == 1  # nothing marked read
    web.sign_in_as(customer)
    assert web.get(LIST).status_code == 403  # not in the provider area
    web.sign_out()
    assert web.get(LIST).status_code in (302, 303)


def test_a_practitioner_sees_the_threads_of_their_own_bookings_only(web, make_user, customer, ctx):
    owner = make_user(role=Role.PROVIDER, name="Olive Owner")
    venue, massage = make_bookable_venue(owner, team=2)
    first, second = venue.team[0], venue.team[1]
    practitioner = make_staff(make_user, venue, StaffRole.PRACTITIONER, member_id=first.id)
    receptionist = make_staff(make_user, venue, StaffRole.RECEPTIONIST)
    theirs = book(customer, massage, future_slot(days=3, hour=10), team_member_id=first.id)
    not_theirs = book(customer, massage, future_slot(days=3, hour=12), team_member_id=second.id)
    write(theirs, customer, "For my practitioner")
    write(not_theirs, customer, "For someone else")
    db.session.commit()
    web.sign_in_as(practitioner)
    page = web.get(LIST).text
    assert f'id="conversation-{theirs.id}"' in page and f'id="conversation-{not_theirs.id}"' not in page
    web.sign_in_as(receptionist)
    page = web.get(LIST).text
    assert f'id="conversation-{theirs.id}"' in page and f'id="conversation-{not_theirs.id}"' in page
