"""The waitlist, as customers and providers meet it: joining a full day, the offer a reopened
time makes (by cancellation, an expired hold, new hours), lapsing to the next in line,
accepting into a booking, declining, leaving, and nobody reaching anyone else's entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text

from app.accounts.models import Role
from app.booking import lifecycle, order_lifecycle
from app.booking.availability import find_slot
from app.booking.models import BookingStatus, Order, OrderStatus
from app.booking.time_blocks import remove_time_block
from app.notifications.models import Notice
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from app.venues.service import save_service, set_day_hours
from app.waitlist import offers
from app.waitlist import service as waitlist
from app.waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from tests.booking.helpers import make_bookable_venue
from tests.waitlist.helpers import at, count_entries, entry_of, fill, live_holds_at, open_offers, open_only, the_day


@pytest.fixture
def full(ctx, provider, make_user):
    """A venue whose only open time on the day (10:00) is booked by ``booker``."""
    venue, service = make_bookable_venue(provider)
    open_only(venue, (10,))
    booker = make_user(name="Bea Booker")
    [booking] = fill(booker, service, 10)
    db.session.flush()
    return venue, service, booking, booker


def join(customer, service, **kwargs):
    return waitlist.join(
        customer,
        service=service,
        day=kwargs.pop("day", the_day()),
        window=kwargs.pop("window", None),
        team_member_id=kwargs.pop("team_member_id", None),
    )


def jobs_named(name: str) -> int:
    return db.session.scalar(
        text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = :n AND status = 'todo'"), {"n": name}
    )


# -- joining ---------------------------------------------------------------------------------------


def test_joining_a_full_day_puts_you_in_line_first_come_first(web, full, customer, make_user):
    _venue, service, _booking, _ = full
    second = make_user(name="Sam Second")
    web.sign_in_as(customer)
    response = web.post("/waitlist", {"service_id": service.id, "day": the_day().isoformat()})
    assert response.status_code == 303
    web.sign_in_as(second)
    assert web.post("/waitlist", {"service_id": service.id, "day": the_day().isoformat()}).status_code == 303

    page = web.get("/waitlist").get_data(as_text=True)
    assert "2nd in line" in page and "Deep tissue massage" in page
    assert waitlist.get_position(entry_of(customer)) == 1
    assert waitlist.get_position(entry_of(second)) == 2


def test_a_full_day_on_the_booking_page_offers_the_waitlist(web, full, customer):
    venue, service, _booking, _ = full
    web.sign_in_as(customer)
    page = web.get(f"/venues/{venue.slug}/book/{service.id}?day={the_day().isoformat()}").get_data(as_text=True)
    assert "No times left" in page
    assert f"/waitlist/join?service_id={service.id}&amp;day={the_day().isoformat()}" in page
    form = web.get(f"/waitlist/join?service_id={service.id}&day={the_day().isoformat()}")
    assert form.status_code == 200 and f'value="{the_day().isoformat()}"' in form.get_data(as_text=True)


def test_joining_is_refused_while_a_time_that_fits_is_free(web, ctx, provider, customer):
    _venue, service = make_bookable_venue(provider)
    web.sign_in_as(customer)
    response = web.post("/waitlist", {"service_id": service.id, "day": the_day().isoformat()})
    assert response.status_code == 409
    assert "book it instead" in response.get_data(as_text=True)
    assert count_entries() == 0


def test_a_window_with_a_free_time_outside_it_may_wait(ctx, provider, make_user, customer):
    venue, service = make_bookable_venue(provider)
    open_only(venue, (10, 15))
    fill(make_user(), service, 10)  # 15:00 stays free
    entry = join(customer, service, window=waitlist.Window(9 * 60, 12 * 60))
    assert entry.status == EntryStatus.WAITING


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"day": "2026-13-45"}, 400, "Choose a day like"),
        ({"day": ""}, 400, "Choose a day like"),
        ({"window_start": "25:00", "window_end": "12:00"}, 400, "is not a time of day"),
        ({"window_start": "10:00"}, 400, "both ends"),
        ({"window_start": "12:00", "window_end": "10:00"}, 422, "end after it starts"),
        ({"window_start": "10:00", "window_end": "10:30"}, 422, "shorter than the service"),
        ({"team_member_id": "abc"}, 400, "team member from the list"),
        ({"team_member_id": "999999"}, 422, "perform this service"),
        ({"day": "2000-01-01"}, 422, "That day has passed"),
        ({"day": "2199-01-01"}, 422, "days ahead"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(web, full, customer, fields, status, message):
    _venue, service, _booking, _ = full
    web.sign_in_as(customer)
    form = {"service_id": service.id, "day": the_day().isoformat(), **fields}
    response = web.post("/waitlist", form)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert count_entries() == 0


def test_an_unknown_service_is_a_404_and_a_missing_token_a_400(web, full, customer):
    _venue, service, _booking, _ = full
    web.sign_in_as(customer)
    assert web.post("/waitlist", {"service_id": "99999999", "day": the_day().isoformat()}).status_code == 404
    assert web.post("/waitlist", {"service_id": "x", "day": the_day().isoformat()}).status_code == 404
    no_token = web.post("/waitlist", {"service_id": service.id, "day": the_day().isoformat()}, csrf=False)
    assert no_token.status_code == 400
    assert count_entries() == 0


def test_joining_twice_for_the_same_day_is_refused(web, full, customer):
    _venue, service, _booking, _ = full
    web.sign_in_as(customer)
    form = {"service_id": service.id, "day": the_day().isoformat()}
    assert web.post("/waitlist", form).status_code == 303
    again = web.post("/waitlist", {**form, "window_start": "09:00", "window_end": "12:00"})
    assert again.status_code == 409
    assert "already on the waitlist" in again.get_data(as_text=True)
    assert count_entries() == 1


def test_the_database_refuses_a_second_live_entry(full, customer):
    _venue, service, _booking, _ = full
    join(customer, service)
    with pytest.raises(Exception, match="uq_waitlist_entries_live"), db.session.begin_nested():
        db.session.execute(
            text(
                "INSERT INTO waitlist_entries (customer_id, venue_id, service_id, day, status) "
                "VALUES (:c, :v, :s, :d, 'waiting')"
            ),
            {"c": customer.id, "v": service.venue_id, "s": service.id, "d": the_day()},
        )


def test_venue_accounts_cannot_join_and_visitors_sign_in_first(web, full, provider):
    _venue, service, _booking, _ = full
    form = {"service_id": service.id, "day": the_day().isoformat()}
    anonymous = web.post("/waitlist", form)
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    web.sign_in_as(provider)
    assert web.post("/waitlist", form).status_code == 403
    assert web.get("/waitlist").status_code == 403
    assert count_entries() == 0


# -- offers: each way a time reopens ---------------------------------------------------------------


def test_a_cancellation_offers_the_time_to_the_first_in_line(full, customer, make_user, run_jobs, outbox):
    _venue, service, booking, booker = full
    join(customer, service)
    join(make_user(name="Sam Second"), service)
    lifecycle.cancel_by_customer(booking, customer=booker)
    run_jobs()

    [offer] = open_offers()
    assert offer.customer_id == customer.id and offer.starts_at == at(10)
    assert entry_of(customer).status == EntryStatus.OFFERED
    # The offer holds the time: a held booking the slot engine and checkout see.
    [hold] = live_holds_at(service, at(10))
    assert hold.customer_id == customer.id and hold.order_id == offer.order_id
    assert find_slot(service, at(10)) is None
    assert offer.expires_at - offer.created_at <= timedelta(minutes=16)
    offer_mails = [m for m in outbox if "A time opened up" in m.subject]
    assert [m.to for m in offer_mails] == [[customer.email]]
    assert "/waitlist" in offer_mails[0].body


def test_an_expired_hold_offers_the_time(ctx, provider, customer, make_user, run_jobs):
    from app.booking import cart
    from app.checkout import checkout

    venue, service = make_bookable_venue(provider)
    open_only(venue, (10,))
    holder = make_user(name="Holly Holder")
    cart.add_item(
        cart.CartOwner(user_id=holder.id), service_id=service.id, starts_at=at(10), quantity=1, team_member_id=None
    )
    checkout.checkout(holder)  # held, not paid: the day is full
    join(customer, service)
    order_lifecycle.expire_holds(datetime.now(UTC) + timedelta(hours=1))
    run_jobs()
    [offer] = open_offers()
    assert offer.customer_id == customer.id and offer.starts_at == at(10)


def test_new_hours_offer_times_removed_block(ctx, provider, customer, run_jobs):
    venue, service = make_bookable_venue(provider)
    open_only(venue, ())  # the whole day blocked
    join(customer, service)
    block = venue_blocks(venue)[0]
    remove_time_block(venue, block.id)  # 09:00-18:00 opens again
    run_jobs()
    [offer] = open_offers()
    assert offer.starts_at == at(9)


def test_new_opening_hours_offer_times(ctx, provider, customer, run_jobs):
    venue, service = make_bookable_venue(provider)
    weekday = the_day().weekday()
    set_day_hours(venue, weekday, [])  # closed that weekday
    join(customer, service, window=waitlist.Window(14 * 60, 16 * 60))
    from app.venues.hours import Range

    set_day_hours(venue, weekday, [Range(13 * 60, 17 * 60)])
    run_jobs()
    [offer] = open_offers()
    assert offer.starts_at == at(14)


def test_removed_time_off_offers_the_team_members_times(ctx, provider, customer, run_jobs):
    from app.team_schedules.service import add_time_off, remove_time_off

    venue, service = make_bookable_venue(provider, team=1)
    [member] = venue.team
    off = add_time_off(member, kind="holiday", reason="", days=(the_day(), the_day()))
    join(customer, service, team_member_id=member.id)
    remove_time_off(member, off.id)
    run_jobs()
    [offer] = open_offers()
    assert offer.team_member_id == member.id and offer.starts_at == at(9)


def venue_blocks(venue):
    from app.booking.models import TimeBlock

    return list(db.session.scalars(select(TimeBlock).where(TimeBlock.venue_id == venue.id)))


def test_nobody_waiting_enqueues_no_job(full):
    _venue, _service, booking, booker = full
    before = jobs_named("waitlist.match_day")
    lifecycle.cancel_by_customer(booking, customer=booker)
    assert jobs_named("waitlist.match_day") == before


# -- matching rules --------------------------------------------------------------------------------


def test_a_window_that_the_time_misses_is_passed_over(full, make_user, run_jobs):
    _venue, service, booking, booker = full
    afternoon, morning = make_user(name="Ann Afternoon"), make_user(name="Mo Morning")
    join(afternoon, service, window=waitlist.Window(14 * 60, 17 * 60))  # first in line
    join(morning, service, window=waitlist.Window(9 * 60 + 30, 11 * 60))
    lifecycle.cancel_by_customer(booking, customer=booker)
    run_jobs()
    [offer] = open_offers()
    assert offer.customer_id == morning.id
    assert entry_of(afternoon).status == EntryStatus.WAITING


def test_a_chosen_team_member_only_gets_their_own_times(ctx, provider, make_user, run_jobs):
    venue, service = make_bookable_venue(provider, capacity=2, team=2)
    first, second = venue.team
    open_only(venue, (10,))
    booker = make_user()
    bookings = [fill(booker, service, 10)[0], fill(booker, service, 10)[0]]
    by_member = {b.team_member_id: b for b in bookings}
    wants_second, anyone = make_user(name="Wes"), make_user(name="Any")
    join(wants_second, service, team_member_id=second.id)
    join(anyone, service)
    lifecycle.cancel_by_customer(by_member[first.id], customer=booker)  # only the first member frees up
    run_jobs()
    [offer] = open_offers()
    assert offer.customer_id == anyone.id and offer.team_member_id == first.id
    assert entry_of(wants_second).status == EntryStatus.WAITING


def test_other_days_and_other_services_are_not_offered(full, provider, make_user, run_jobs):
    venue, service, booking, booker = full
    other_service = save_service(
        venue,
        None,
        name="Facial",
        description="",
        category_id=None,
        duration_minutes=60,
        price_minor=5000,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )
    # Both wait where no time is free: the facial on the full day (its one hour taken by a
    # booking of its own), the massage on a later full day.
    fill(make_user(), other_service, 10)
    facial, later = make_user(name="Fay Facial"), make_user(name="Lou Later")
    join(facial, other_service)
    open_only(venue, (10,), day=the_day(5))
    fill(make_user(), service, 10, day=the_day(5))
    join(later, service, day=the_day(5))
    lifecycle.cancel_by_customer(booking, customer=booker)
    run_jobs()
    assert open_offers() == []
    assert {entry_of(facial).status, entry_of(later).status} == {EntryStatus.WAITING}


# -- lapse, accept, decline, leave -----------------------------------------------------------------


def offered(full, customer, make_user, run_jobs):
    _venue, service, booking, booker = full
    join(customer, service)
    second = make_user(name="Sam Second")
    join(second, service)
    lifecycle.cancel_by_customer(booking, customer=booker)
    run_jobs()
    [offer] = open_offers()
    return offer, second


def test_a_lapsed_offer_moves_to_the_next_in_line(full, customer, make_user, run_jobs, outbox):
    first_offer, second = offered(full, customer, make_user, run_jobs)
    first_order = first_offer.order
    offers.lapse_offers(datetime.now(UTC) + timedelta(minutes=16))
    run_jobs()

    assert first_offer.status == OfferStatus.LAPSED
    assert first_order.status == OrderStatus.EXPIRED
    [offer] = open_offers()
    assert offer.customer_id == second.id and offer.starts_at == first_offer.starts_at
    # The first stays in line, but that time is not offered to them again.
    assert entry_of(customer).status == EntryStatus.WAITING
    assert [m.to for m in outbox if "A time opened up" in m.subject] == [[customer.email], [second.email]]


def test_a_lapsed_offer_with_nobody_next_frees_the_time(full, customer, run_jobs):
    _venue, service, booking, booker = full
    join(customer, service)
    lifecycle.cancel_by_customer(booking, customer=booker)
    run_jobs()
    [offer] = open_offers()
    offers.lapse_offers(datetime.now(UTC) + timedelta(minutes=16))
    run_jobs()
    assert open_offers() == []
    assert offer.status == OfferStatus.LAPSED
    assert live_holds_at(service, at(10)) == []
    assert find_slot(service, at(10)) is not None


def test_accepting_keeps_the_hold_and_paying_books_it(web, full, customer, make_user, run_jobs):
    offer, _second = offered(full, customer, make_user, run_jobs)
    db.session.commit()
    web.sign_in_as(customer)
    assert "A time opened up for you" in web.get("/bookings").get_data(as_text=True)
    response = web.post(f"/waitlist/offers/{offer.id}/accept")
    assert response.status_code == 303 and response.headers["Location"] == f"/orders/{offer.order_id}"

    db.session.expire_all()
    order = db.session.get(Order, offer.order_id)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.hold_expires_at > datetime.now(UTC) + timedelta(minutes=25)  # checkout's hold now
    assert db.session.get(WaitlistOffer, offer.id).status == OfferStatus.ACCEPTED
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    assert [b.status for b in order.bookings] == [BookingStatus.CONFIRMED]
    assert entry_of(customer).status == EntryStatus.BOOKED
    assert "A time opened up for you" not in web.get("/bookings").get_data(as_text=True)


def test_declining_gives_the_time_to_the_next_and_keeps_your_place(web, full, customer, make_user, run_jobs):
    offer, second = offered(full, customer, make_user, run_jobs)
    db.session.commit()
    web.sign_in_as(customer)
    assert web.post(f"/waitlist/offers/{offer.id}/decline").status_code == 303
    db.session.expire_all()
    assert db.session.get(WaitlistOffer, offer.id).status == OfferStatus.DECLINED
    [next_offer] = open_offers()
    assert next_offer.customer_id == second.id
    assert entry_of(customer).status == EntryStatus.WAITING
    # An ended offer can't be taken afterwards.
    late = web.post(f"/waitlist/offers/{offer.id}/accept")
    assert late.status_code == 303 and late.headers["Location"] == "/waitlist"
    assert db.session.get(WaitlistOffer, offer.id).status == OfferStatus.DECLINED


def test_leaving_ends_your_entry_and_moves_the_line_up(web, full, customer, make_user):
    _venue, service, _booking, _ = full
    first = join(customer, service)
    second_customer = make_user(name="Sam Second")
    second = join(second_customer, service)
    db.session.commit()
    web.sign_in_as(customer)
    assert web.post(f"/waitlist/{first.id}/leave").status_code == 303
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, first.id).status == EntryStatus.LEFT
    assert waitlist.get_position(db.session.get(WaitlistEntry, second.id)) == 1
    web.sign_in_as(second_customer)
    assert "1st in line" in web.get("/waitlist").get_data(as_text=True)


def test_leaving_with_an_open_offer_passes_it_on(web, full, customer, make_user, run_jobs):
    offer, second = offered(full, customer, make_user, run_jobs)
    db.session.commit()
    web.sign_in_as(customer)
    assert web.post(f"/waitlist/{offer.entry_id}/leave").status_code == 303
    db.session.expire_all()
    [next_offer] = open_offers()
    assert next_offer.customer_id == second.id
    assert db.session.get(Order, offer.order_id).status == OrderStatus.RELEASED


# -- nobody reaches anyone else's ------------------------------------------------------------------


def test_another_customers_entry_and_offer_are_out_of_reach(web, full, customer, make_user, run_jobs):
    offer, second = offered(full, customer, make_user, run_jobs)
    db.session.commit()
    intruder = make_user(name="Ivy Intruder")
    db.session.commit()
    web.sign_in_as(intruder)
    assert "Deep tissue massage" not in web.get("/waitlist").get_data(as_text=True)
    assert web.post(f"/waitlist/{offer.entry_id}/leave").status_code == 404
    assert web.post(f"/waitlist/offers/{offer.id}/accept").status_code == 404
    assert web.post(f"/waitlist/offers/{offer.id}/decline").status_code == 404
    db.session.expire_all()
    assert db.session.get(WaitlistOffer, offer.id).status == OfferStatus.OPEN
    assert entry_of(customer).status == EntryStatus.OFFERED
    # And the owner can't take the second customer's entry either.
    web.sign_in_as(customer)
    assert web.post(f"/waitlist/{entry_of(second).id}/leave").status_code == 404
    assert entry_of(second).status == EntryStatus.WAITING


# -- exactly once ----------------------------------------------------------------------------------


def test_a_retried_job_makes_one_offer_and_one_email(full, customer, run_jobs, outbox):
    _venue, service, booking, booker = full
    join(customer, service)
    lifecycle.cancel_by_customer(booking, customer=booker)
    venue_id, day = service.venue_id, the_day().isoformat()
    offers.match_day_job.func(venue_id=venue_id, day=day)
    offers.match_day_job.func(venue_id=venue_id, day=day)  # the same job again: a retry
    run_jobs()  # the receiver's own job too, and the email deliveries
    run_jobs()
    assert len(open_offers()) == 1
    assert db.session.scalar(select(func.count()).select_from(WaitlistOffer)) == 1
    assert len([m for m in outbox if "A time opened up" in m.subject]) == 1


def test_the_database_refuses_a_second_open_offer_for_one_time(full, customer, make_user, run_jobs):
    offer, second = offered(full, customer, make_user, run_jobs)
    duplicate = insert(WaitlistOffer).values(
        entry_id=entry_of(second).id,
        customer_id=second.id,
        order_id=offer.order_id,
        service_id=offer.service_id,
        starts_at=offer.starts_at,
        ends_at=offer.ends_at,
        expires_at=offer.expires_at,
        status=OfferStatus.OPEN,
    )
    with pytest.raises(Exception, match="uq_waitlist_offers_open_time"), db.session.begin_nested():
        db.session.execute(duplicate)


def test_provider_role_is_refused_offers(web, full, provider, customer, make_user, run_jobs):
    offer, _ = offered(full, customer, make_user, run_jobs)
    db.session.commit()
    web.sign_in_as(provider)
    assert web.post(f"/waitlist/offers/{offer.id}/accept").status_code == 403
    assert provider.role == Role.PROVIDER


# -- the provider's calendar -----------------------------------------------------------------------


def test_the_providers_calendar_counts_who_waits_on_each_day(web, full, provider, customer, make_user):
    _venue, service, _booking, _ = full
    join(customer, service)
    join(make_user(name="Sam Second"), service)
    db.session.commit()
    web.sign_in_as(provider)
    day = the_day().isoformat()
    assert "2 on the waitlist" in web.get(f"/provider/calendar?view=day&date={day}").get_data(as_text=True)
    assert "2 waiting" in web.get(f"/provider/calendar?view=week&date={day}").get_data(as_text=True)
    other_day = (the_day() + timedelta(days=1)).isoformat()
    assert "on the waitlist" not in web.get(f"/provider/calendar?view=day&date={other_day}").get_data(as_text=True)


def test_an_offer_goes_by_the_channels_the_customer_chose(full, customer, run_jobs, outbox):
    from app.notifications import preferences
    from tests.notifications.helpers import sms_to

    number = "+447911123456"
    choices = preferences.get_choices(customer)
    choices["waitlist_offers"] = {"email": False, "sms": True}
    preferences.save_preferences(customer, choices, sms_number=number)
    _venue, service, booking, booker = full
    join(customer, service)
    lifecycle.cancel_by_customer(booking, customer=booker)
    run_jobs()
    run_jobs()
    assert len(open_offers()) == 1
    assert not [m for m in outbox if "A time opened up" in m.subject]  # email turned off
    [text_message] = sms_to(number)
    assert "a time opened up" in text_message.body and service.name in text_message.body


def test_the_offer_and_the_filled_time_reach_the_notification_centres(full, customer, provider, make_user, run_jobs):
    offer, _second = offered(full, customer, make_user, run_jobs)
    [offer_notice] = db.session.scalars(
        select(Notice).where(Notice.user_id == customer.id, Notice.kind == "waitlist_offer")
    ).all()
    assert offer_notice.title.startswith("A time opened up: ") and offer_notice.link == "/waitlist"
    offers.accept(offer.id, customer)
    assert pay_by_demo_card(db.session.get(Order, offer.order_id)) == "paid: bookings confirmed"
    filled = db.session.scalars(
        select(Notice).where(Notice.user_id == provider.id, Notice.key == f"order-paid:{offer.order_id}:{full[0].id}")
    ).all()
    assert [n.title for n in filled] == ["Waitlist filled at Calm Rooms: Deep tissue massage"]
