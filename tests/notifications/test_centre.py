"""The notification centre: the venue's people told of what happens at it (a notice always, an
email and text on the channels they chose), each event once even when its signal comes again;
the customer's and the admins' notices; the centre's page, marking read, and the navigation
bell's poll (its cost, its cookie, and that no cached page holds the count)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select, text

from app.accounts.models import Role
from app.booking import lifecycle
from app.booking.events import announce_paid
from app.checkout import reschedule
from app.notifications import activity, centre, preferences
from app.notifications.models import Notice
from app.payouts.connect_events import _settle_payout
from app.payouts.models import ConnectedAccount
from app.platform.errors import NotFound
from app.platform.extensions import db
from app.reviews import service as reviews
from app.venues import approval
from app.venues.models import VenueStatus
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past
from tests.statements import statements_sent


@pytest.fixture
def salon(ctx, provider):
    return make_bookable_venue(provider)


def notices_of(user, kind: str | None = None) -> list[Notice]:
    query = select(Notice).where(Notice.user_id == user.id)
    if kind:
        query = query.where(Notice.kind == kind)
    return list(db.session.scalars(query.order_by(Notice.id)))


def email_jobs_to(address: str) -> int:
    """Email jobs queued (or done) for ``address``: each is one email."""
    return db.session.scalar(
        text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'email.deliver' AND args->>'to' = :to"),
        {"to": address},
    )


def turn(user, kind: str, *, email: bool, sms: bool = False, number: str = "") -> None:
    choices = preferences.get_choices(user)
    choices[kind] = {"email": email, "sms": sms}
    preferences.save_preferences(user, choices, sms_number=number)


# -- the venue's people told ----------------------------------------------------------------------


def test_a_paid_order_tells_the_owner_once_with_a_notice_and_an_email(salon, customer, provider):
    _, service = salon
    before = email_jobs_to(provider.email)
    booking = book(customer, service, future_slot(days=3))
    [notice] = notices_of(provider)
    assert notice.kind == "venue_activity" and notice.read_at is None
    assert notice.title == "New booking at Calm Rooms: Deep tissue massage"
    assert booking.reference in notice.body
    assert notice.link == f"/provider/bookings/{booking.id}"
    assert email_jobs_to(provider.email) == before + 1
    # The customer's own notice of it links to the booking.
    [mine] = notices_of(customer)
    assert mine.kind == "booking_confirmed" and mine.link == f"/bookings/{booking.reference}"
    # The order_paid signal again (a replayed webhook that got past the order's own guard): nothing twice.
    customer_jobs = email_jobs_to(customer.email)
    announce_paid("charged", booking.order, now=datetime.now(UTC))
    assert len(notices_of(provider)) == 1 and len(notices_of(customer)) == 1
    assert email_jobs_to(provider.email) == before + 1
    assert email_jobs_to(customer.email) == customer_jobs


def test_the_owners_email_follows_their_choice_but_the_notice_always_comes(salon, customer, provider, outbox, run_jobs):
    _, service = salon
    turn(provider, "venue_activity", email=False)
    before = email_jobs_to(provider.email)
    book(customer, service, future_slot(days=3))
    run_jobs()
    assert email_jobs_to(provider.email) == before
    assert not [m for m in outbox if m.to == [provider.email]]
    assert len(notices_of(provider, "venue_activity")) == 1


def test_the_new_booking_email_says_what_was_booked(salon, customer, provider, outbox, run_jobs):
    _, service = salon
    booking = book(customer, service, future_slot(days=3))
    run_jobs()
    [mail] = [m for m in outbox if m.to == [provider.email]]
    assert mail.subject == "New booking at Calm Rooms: Deep tissue massage"
    assert booking.reference in mail.body and f"/provider/bookings/{booking.id}" in mail.body


def test_an_sms_goes_to_an_owner_who_chose_it(salon, customer, provider, run_jobs):
    _, service = salon
    turn(provider, "venue_activity", email=True, sms=True, number="+447400123456")
    booking = book(customer, service, future_slot(days=3))
    sms_jobs = db.session.scalar(
        text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'sms.deliver' AND args->>'to' = :to"),
        {"to": "+447400123456"},
    )
    assert sms_jobs == 1
    run_jobs()
    body = db.session.scalar(text("SELECT body FROM sms_messages WHERE to_number = '+447400123456'"))
    assert body.startswith("CozyWish: new booking at Calm Rooms") and booking.reference in body


def test_a_cancellation_tells_the_owner_and_the_customer_once_each(salon, customer, provider):
    _, service = salon
    booking = book(customer, service, future_slot(days=3))
    owner_before, customer_before = email_jobs_to(provider.email), email_jobs_to(customer.email)
    lifecycle.cancel_by_customer(booking, customer=customer)
    [owner_notice] = [n for n in notices_of(provider) if n.key == f"cancelled:{booking.id}"]
    assert owner_notice.title == f"Cancelled by the customer: Deep tissue massage (ref {booking.reference})"
    assert owner_notice.link == f"/provider/bookings/{booking.id}"
    [customer_notice] = [n for n in notices_of(customer) if n.key == f"cancelled:{booking.id}"]
    assert customer_notice.link == f"/bookings/{booking.reference}"
    assert email_jobs_to(provider.email) == owner_before + 1  # the existing email, not a second one
    assert email_jobs_to(customer.email) == customer_before + 1


def test_a_customers_move_tells_the_owner(salon, customer, provider):
    _, service = salon
    booking = book(customer, service, future_slot(days=3))
    owner_before = email_jobs_to(provider.email)
    reschedule.move_booking(booking, future_slot(days=4, hour=14), None, by=customer)
    [moved] = [n for n in notices_of(provider) if n.key.startswith("moved:")]
    assert moved.title == f"Moved by the customer: Deep tissue massage (ref {booking.reference})"
    assert email_jobs_to(provider.email) == owner_before + 1
    assert [n for n in notices_of(customer) if n.key.startswith("moved:")]


def test_a_review_tells_the_owner(salon, customer, provider):
    _, service = salon
    booking = book(customer, service, future_slot(days=2))
    move_to_past(booking, hours=2)
    review = reviews.create_review(booking, customer=customer, rating=5, body="Lovely calm room and great hands.")
    [notice] = [n for n in notices_of(provider) if n.key == f"review:{review.id}"]
    assert notice.title == "New 5-star review of Calm Rooms" and notice.link.endswith("/venues/calm-rooms#reviews")


def test_a_payout_paid_tells_the_owner_once_however_often_it_is_seen(salon, provider):
    venue, _ = salon
    db.session.add(ConnectedAccount(venue_id=venue.id, gateway="demo", account_id="acct_demo_1"))
    db.session.flush()
    payout = {"id": "po_1", "amount": 12345, "currency": "gbp", "status": "paid", "arrival_date": None}
    for _ in range(2):  # payout.paid, then payout.updated saying paid again
        _settle_payout("demo", {"account": "acct_demo_1"}, payout)
    [notice] = [n for n in notices_of(provider) if n.key == "payout-paid:po_1"]
    assert notice.title == "Payout of £123.45 paid to your bank" and notice.link == "/provider/payouts"
    _settle_payout("demo", {"account": "acct_demo_1"}, payout | {"id": "po_2", "status": "pending"})
    assert not [n for n in notices_of(provider) if n.key == "payout-paid:po_2"]


def test_a_listing_submitted_tells_every_admin(ctx, provider, make_user, monkeypatch):
    monkeypatch.setattr(approval, "missing_for_submission", lambda venue: [])  # photos, address: not this test's
    admins = [make_user(role=Role.ADMIN), make_user(role=Role.ADMIN)]
    venue, _ = make_bookable_venue(provider)
    venue.status = VenueStatus.DRAFT
    db.session.flush()
    approval.transition(venue, "submit", actor=provider)
    for admin in admins:
        [notice] = notices_of(admin)
        assert notice.title == "Calm Rooms was submitted for approval"
        assert notice.link == f"/admin/venues/{venue.id}"
    assert notices_of(provider) == []


def test_venue_recipients_is_the_owner_today(salon, provider):
    venue, _ = salon
    assert activity.venue_recipients(venue) == [provider]


# -- the service --------------------------------------------------------------------------------


def test_notify_writes_once_per_key_and_counts_unread(ctx, customer):
    assert centre.notify(customer, "test", "Hello", link="/x", key="k1") is not None
    assert centre.notify(customer, "test", "Hello again", link="/x", key="k1") is None
    centre.notify(customer, "test", "No key", link="/y")
    assert centre.unread_count(customer.id) == 2
    with pytest.raises(ValueError, match="links to a path on this site"):
        centre.notify(customer, "test", "Away", link="https://evil.example/")
    with pytest.raises(ValueError, match="links to a path on this site"):
        centre.notify(customer, "test", "Away", link="//evil.example/")


def test_marking_another_persons_notice_is_not_found(ctx, customer, provider):
    notice_id = centre.notify(provider, "test", "Theirs", link="/x")
    with pytest.raises(NotFound):
        centre.mark_read(notice_id, customer.id)
    assert centre.unread_count(provider.id) == 1


def test_pages_go_newest_first_with_a_cursor(ctx, customer):
    ids = [centre.notify(customer, "test", f"Notice {n}", link="/x") for n in range(5)]
    first = centre.list_notices(customer.id, size=2)
    assert [n.id for n in first.notices] == ids[:-3:-1] and first.next_before == ids[3]
    second = centre.list_notices(customer.id, before=first.next_before, size=2)
    assert [n.id for n in second.notices] == [ids[2], ids[1]]
    last = centre.list_notices(customer.id, before=second.next_before, size=2)
    assert [n.id for n in last.notices] == [ids[0]] and last.next_before is None


# -- the page -----------------------------------------------------------------------------------


def test_the_centre_needs_signing_in(web):
    response = web.get("/notifications")
    assert response.status_code in (302, 303) and "/account/sign-in" in response.location


def test_the_centre_shows_an_empty_state(web, customer):
    web.sign_in_as(customer)
    page = web.get("/notifications").get_data(as_text=True)
    assert "No notifications yet" in page and "Mark all read" not in page


def test_the_centre_lists_newest_first_marks_unread_and_links(web, ctx, customer):
    centre.notify(customer, "test", "Older news", link="/bookings")
    centre.notify(customer, "test", "Newer news", link="/gift-vouchers")
    db.session.commit()
    web.sign_in_as(customer)
    page = web.get("/notifications").get_data(as_text=True)
    assert page.index("Newer news") < page.index("Older news")
    assert page.count("Unread:") == 2 and "2 unread" in page
    newer = notices_of(customer)[-1]
    assert f'href="/notifications/{newer.id}/open"' in page and "Mark all read" in page


def test_the_centre_pages_and_refuses_a_bad_cursor(web, ctx, customer):
    ids = [centre.notify(customer, "test", f"Notice number {n}", link="/x") for n in range(centre.PAGE_SIZE + 3)]
    db.session.commit()
    web.sign_in_as(customer)
    page = web.get("/notifications").get_data(as_text=True)
    assert "Notice number 0<" not in page and f'/notifications?before={ids[3]}"' in page
    older = web.get(f"/notifications?before={ids[3]}").get_data(as_text=True)
    assert "Notice number 0<" in older and "Notice number 3<" not in older
    for bad in ("abc", "-1", "1" * 20, "1.5"):
        response = web.get(f"/notifications?before={bad}")
        assert response.status_code == 400, bad
        assert "page link isn" in response.get_data(as_text=True)


def test_marking_one_read_with_htmx_updates_the_list_and_the_bell(web, ctx, customer):
    first = centre.notify(customer, "test", "First", link="/x")
    centre.notify(customer, "test", "Second", link="/x")
    db.session.commit()
    web.sign_in_as(customer)
    response = web.post(f"/notifications/{first}/read", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "1 unread" in html and 'id="nav-bell"' in html and 'hx-swap-oob="true"' in html
    assert "Notifications, 1 unread" in html
    assert db.session.get(Notice, first).read_at is not None


def test_marking_read_refuses_another_persons_a_bad_id_and_no_csrf(web, ctx, customer, provider):
    theirs = centre.notify(provider, "test", "Theirs", link="/x")
    mine = centre.notify(customer, "test", "Mine", link="/x")
    db.session.commit()
    web.sign_in_as(customer)
    assert web.post(f"/notifications/{theirs}/read").status_code == 404
    assert web.post("/notifications/abc/read").status_code == 404
    assert web.post("/notifications/99999999/read").status_code == 404
    assert web.post(f"/notifications/{mine}/read", csrf=False).status_code == 400
    db.session.expire_all()
    assert db.session.get(Notice, theirs).read_at is None and db.session.get(Notice, mine).read_at is None


def test_opening_a_notice_marks_it_read_and_goes_to_its_link(web, ctx, customer):
    first = centre.notify(customer, "test", "Your booking moved", link="/bookings?x=1#messages")
    centre.notify(customer, "test", "Other news", link="/x")
    db.session.commit()
    web.sign_in_as(customer)
    response = web.get(f"/notifications/{first}/open")
    assert response.status_code == 303 and response.location == "/bookings?x=1#messages"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert centre.unread_count(customer.id) == 1
    read_at = db.session.get(Notice, first).read_at
    assert read_at is not None
    again = web.get(f"/notifications/{first}/open")  # again: the same place, still read once
    assert again.status_code == 303 and again.location == "/bookings?x=1#messages"
    db.session.expire_all()
    assert db.session.get(Notice, first).read_at == read_at
    page = web.get("/notifications").get_data(as_text=True)
    assert 'href="/bookings?x=1#messages"' in page and "1 unread" in page  # a read one links straight there


def test_opening_another_persons_notice_or_a_bad_one_is_404_and_marks_nothing(web, ctx, customer, provider):
    theirs = centre.notify(provider, "test", "Theirs", link="/x")
    mine = centre.notify(customer, "test", "Mine", link="/x")
    db.session.commit()
    web.sign_out()
    signed_out = web.get(f"/notifications/{mine}/open")
    assert signed_out.status_code in (302, 303) and "/account/sign-in" in signed_out.location
    web.sign_in_as(customer)
    assert web.get(f"/notifications/{theirs}/open").status_code == 404
    assert web.get("/notifications/abc/open").status_code == 404
    assert web.get("/notifications/99999999/open").status_code == 404
    assert web.post(f"/notifications/{mine}/open").status_code == 405
    db.session.expire_all()
    assert db.session.get(Notice, theirs).read_at is None and db.session.get(Notice, mine).read_at is None


def test_a_venue_person_finds_their_messages_from_the_centre(web, salon, provider, customer):
    web.sign_in_as(provider)
    assert 'href="/provider/messages"' in web.get("/notifications").get_data(as_text=True)
    web.sign_in_as(customer)
    assert "/provider/messages" not in web.get("/notifications").get_data(as_text=True)


def test_mark_all_read(web, ctx, customer, provider):
    for n in range(3):
        centre.notify(customer, "test", f"N{n}", link="/x")
    centre.notify(provider, "test", "Theirs", link="/x")
    db.session.commit()
    web.sign_in_as(customer)
    response = web.post("/notifications/read-all")
    assert response.status_code == 303
    assert centre.unread_count(customer.id) == 0 and centre.unread_count(provider.id) == 1
    assert "3 notifications marked as read." in web.get("/notifications").get_data(as_text=True)


# -- the bell's poll ----------------------------------------------------------------------------


def test_the_poll_signed_out_stops_polling(web):
    response = web.get("/notifications/count")
    assert response.status_code == 286 and response.get_data() == b""


def test_the_poll_answers_the_count_uncached_and_without_a_cookie(web, ctx, customer):
    web.sign_in_as(customer)
    web.get("/notifications")  # the session's first page (it may write "last seen")
    centre.notify(customer, "test", "One", link="/x")
    centre.notify(customer, "test", "Two", link="/x")
    db.session.commit()
    response = web.get("/notifications/count")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert 'aria-label="Notifications, 2 unread"' in html and 'data-count="2"' in html
    assert "shown=2" in html and "every 30s" in html and "load," not in html
    # Unchanged since the page last asked: nothing to swap.
    same = web.get("/notifications/count?shown=2")
    assert same.status_code == 204 and "Set-Cookie" not in same.headers
    assert web.get("/notifications/count?shown=1").status_code == 200
    assert web.get("/notifications/count?shown=abc").status_code == 200  # a bad value just gets the count


def test_the_poll_does_not_keep_an_idle_session_alive(web, app, customer):
    web.sign_in_as(customer)
    stale = datetime.now(UTC).timestamp() - 120
    with web.client.session_transaction() as session:
        session["last_seen"] = stale
    web.get("/notifications/count")
    with web.client.session_transaction() as session:
        assert session["last_seen"] == stale
    with web.client.session_transaction() as session:
        session["last_seen"] = stale - app.config["IDLE_TIMEOUT"].total_seconds()
    response = web.get("/notifications/count")
    assert response.status_code == 286  # timed out: signed out, and the page stops asking
    assert web.get("/notifications").status_code in (302, 303)


def test_the_poll_sends_at_most_two_statements(web, ctx, customer, page_cache):
    web.sign_in_as(customer)
    centre.notify(customer, "test", "One", link="/x")
    db.session.commit()
    web.get("/notifications/count")  # warm: the session's user is remembered by this worker
    with statements_sent() as sent:
        response = web.get("/notifications/count")
    assert response.status_code == 200
    assert 1 <= len(sent) <= 2, "\n".join(sent)
    assert any("FROM notices" in s for s in sent)


def test_the_poll_interval_comes_from_config(web, app, customer, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATIONS_POLL_SECONDS", 2)
    web.sign_in_as(customer)
    page = web.get("/notifications").get_data(as_text=True)
    assert 'hx-trigger="load, every 2s"' in page


def test_pages_never_hold_the_count(web, ctx, customer, page_cache, monkeypatch, app):
    """The count arrives by its own request: the page HTML (cached publicly or privately) has none."""
    monkeypatch.setitem(app.config, "PRIVATE_PAGE_CACHE_ENABLED", True)
    for n in range(7):
        centre.notify(customer, "test", f"N{n}", link="/x")
    db.session.commit()
    anonymous = web.get("/").get_data(as_text=True)
    assert 'id="nav-bell"' not in anonymous  # no bell, no poll, signed out
    web.sign_in_as(customer)
    for path in ("/", "/bookings", "/saved", "/notifications"):
        page = web.get(path).get_data(as_text=True)
        bell = re.search(r'<a id="nav-bell".*?</a>', page, re.S)
        assert bell, path
        assert "unread" not in bell.group(0) and "nav-bell-count" not in bell.group(0), path
        assert 'hx-get="/notifications/count"' in bell.group(0), path


class BellParser(HTMLParser):
    """What an HTML parser makes of the bell: the link's attributes and the tags inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.link: dict[str, str | None] | None = None
        self.inside: list[tuple[str, dict[str, str | None]]] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("id") == "nav-bell":
            self.link, self.depth = dict(attrs), 1
        elif self.depth:
            self.inside.append((tag, dict(attrs)))
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1


def parsed_bell(html: str) -> BellParser:
    parser = BellParser()
    parser.feed(html)
    assert parser.link is not None, "no bell"
    return parser


def test_the_bell_is_a_closed_link_around_its_icon(web, ctx, customer):
    """Issue 42: the link's start tag was never closed, so browsers read the icon as attributes of
    the link (no bell drawn; the link hidden from screen readers by the icon's aria-hidden)."""
    web.sign_in_as(customer)
    centre.notify(customer, "test", "One", link="/x")
    db.session.commit()
    for html in (web.get("/bookings").get_data(as_text=True), web.get("/notifications/count").get_data(as_text=True)):
        bell = parsed_bell(html)
        assert all(name.isascii() and name[:1].isalpha() for name in bell.link), sorted(bell.link)
        assert "aria-hidden" not in bell.link and bell.link["aria-label"].startswith("Notifications")
        assert ("i", {"class": "bi bi-bell", "aria-hidden": "true"}) in bell.inside
    assert parsed_bell(html).link["aria-label"] == "Notifications, 1 unread"


# -- preferences --------------------------------------------------------------------------------


def test_providers_choose_venue_activity_and_the_agenda_customers_dont(web, customer, provider):
    web.sign_in_as(provider)
    page = web.get("/account/notifications").get_data(as_text=True)
    assert "Your venue&#39;s bookings and activity" in page and 'name="venue_activity-email"' in page
    assert 'name="daily_agenda-email"' in page and 'name="daily_agenda-sms"' not in page
    web.sign_out()
    web.sign_in_as(customer)
    page = web.get("/account/notifications").get_data(as_text=True)
    assert "venue_activity" not in page and "daily_agenda" not in page


def test_a_provider_saves_venue_activity_off(web, ctx, provider):
    web.sign_in_as(provider)
    form = {"booking_confirmations-email": "on", "daily_agenda-email": "on", "sms_number": ""}
    assert web.post("/account/notifications", form).status_code == 303
    assert preferences.channels_for(provider, "venue_activity") == ()
    assert preferences.channels_for(provider, "daily_agenda") == ("email",)


def test_defaults_venue_activity_by_email_agenda_off(ctx, provider):
    assert preferences.channels_for(provider, "venue_activity") == ("email",)
    assert preferences.channels_for(provider, "daily_agenda") == ()


def test_unread_counts_are_per_person(ctx, customer, provider):
    centre.notify(customer, "test", "A", link="/x")
    assert centre.unread_count(provider.id) == 0
    assert db.session.scalar(select(func.count()).select_from(Notice)) >= 1


def test_an_old_notice_keeps_its_time(ctx, customer):
    notice_id = centre.notify(customer, "test", "A", link="/x")
    notice = db.session.get(Notice, notice_id)
    assert notice.created_at > datetime.now(UTC) - timedelta(minutes=5)
