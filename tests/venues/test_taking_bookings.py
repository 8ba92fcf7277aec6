"""A venue takes paid bookings only once its payouts are set up (an enabled payout account), and
everyone is told so before anyone picks a time: the venue page and its booking pages, the
owner's checklist and dashboard (worded for the listing's status), the approval email, and the
admin's queue and preview. (Search and cards: tests/search/test_bookable.py.)"""

from __future__ import annotations

import html
import re

import pytest

from app.payouts.models import AccountStatus
from app.platform.extensions import db
from tests.payouts.helpers import connect

NOT_TAKING = "Not taking online bookings yet"


@pytest.fixture
def strict(app, monkeypatch):
    """Production's rule: no paid bookings until the venue's payout account is enabled."""
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", False)


def words_of(response) -> str:
    """The page as a person reads it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


# -- the venue page and its booking pages -------------------------------------------------------


def test_a_venue_with_payouts_set_up_offers_book_now_and_times(client, make_venue, strict):
    venue = make_venue()
    connect(venue)
    page = client.get(f"/venues/{venue.slug}")
    assert page.status_code == 200
    text = words_of(page)
    assert "Book now" in text and NOT_TAKING not in text
    service = venue.services[0]
    assert f"/venues/{venue.slug}/book/{service.id}" in page.get_data(as_text=True)
    booking = client.get(f"/venues/{venue.slug}/book/{service.id}")
    assert booking.status_code == 200
    assert NOT_TAKING not in words_of(booking) and "Choose a day" in words_of(booking)


def test_a_venue_without_payouts_says_it_isnt_taking_bookings_instead_of_book_now(client, make_venue, strict):
    venue = make_venue()
    connect(venue, status=AccountStatus.PENDING)  # started, not finished: still can't take bookings
    page = client.get(f"/venues/{venue.slug}")
    assert page.status_code == 200
    text = words_of(page)
    assert NOT_TAKING in text and "Book now" not in text
    assert "/book/" not in page.get_data(as_text=True)  # no service's booking link either
    assert "Deep tissue massage" in text  # the services are still listed, with their prices


@pytest.mark.parametrize("args", ["", "?day=2030-01-07", "?month=2030-01"])
def test_its_booking_page_says_so_and_offers_no_day_or_time(client, make_venue, strict, args):
    venue = make_venue()
    service = venue.services[0]
    page = client.get(f"/venues/{venue.slug}/book/{service.id}{args}")
    assert page.status_code == 200
    text = words_of(page)
    assert NOT_TAKING in text
    assert "Free times" not in page.get_data(as_text=True) and "data-day=" not in page.get_data(as_text=True)
    assert "Add to cart" not in text and "Days with free times" not in text


def test_with_payouts_collected_before_enabled_every_venue_takes_bookings(client, make_venue, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", True)
    venue = make_venue()
    text = words_of(client.get(f"/venues/{venue.slug}"))
    assert "Book now" in text and NOT_TAKING not in text


# -- the owner's checklist and dashboard ----------------------------------------------------------

HEADINGS = {
    "draft": "Before you submit",
    "pending_review": "While we review your listing",
    "approved": "Taking bookings",
    "rejected": "Before you submit again",
    "suspended": "While your listing is suspended",
}


@pytest.mark.parametrize("status", HEADINGS)
def test_the_dashboard_speaks_of_the_listing_as_it_stands(web, provider, make_venue, strict, status):
    make_venue(status=status, status_reason="Blurry photos" if status in ("rejected", "suspended") else None)
    web.sign_in_as(provider)
    page = web.get("/provider")
    assert page.status_code == 200
    text = words_of(page)
    assert HEADINGS[status] in text
    if status != "rejected":
        assert "Before you submit again" not in text
    if status not in ("draft", "rejected"):
        assert "Before you submit" not in text
        assert "Everything needed for review is in place" not in text
    # Payouts are an item of the checklist, with their status and the way to Dashboard -> Payouts.
    assert 'data-checklist-item="payouts"' in page.get_data(as_text=True)
    assert "Payouts: Not connected Set up payouts" in text
    assert 'href="/provider/payouts"' in page.get_data(as_text=True)


def test_a_draft_ready_for_review_still_says_payouts_are_missing_for_bookings(web, provider, make_venue, strict):
    make_venue(status="draft")
    web.sign_in_as(provider)
    text = words_of(web.get("/provider"))
    assert "Everything needed for review is in place. Before customers can book online, you still need to" in text
    review = web.get("/provider/venue/review")
    review_text = words_of(review)
    assert "Everything needed is in place: you can submit your listing." in review_text
    assert "Customers can book online only once your payouts are set up." in review_text
    assert 'data-checklist-item="payouts"' in review.get_data(as_text=True)
    assert "Payouts Set up payouts Not connected" in review_text


def test_a_live_listing_without_payouts_says_customers_cant_book_it_yet(web, provider, make_venue, strict):
    make_venue(status="approved")
    web.sign_in_as(provider)
    text = words_of(web.get("/provider"))
    assert "Your listing is live, but customers can't book online until your payouts are set up." in text


@pytest.mark.parametrize(
    ("status", "label", "action"),
    [
        (AccountStatus.PENDING, "Pending", "Continue setting up payouts"),
        (AccountStatus.RESTRICTED, "Restricted", "Add what Stripe needs"),
        (AccountStatus.ENABLED, "Enabled", "See your payouts"),
    ],
)
def test_the_checklist_shows_the_payout_accounts_status(web, provider, make_venue, strict, status, label, action):
    venue = make_venue(status="approved")
    connect(venue, status=status)
    db.session.commit()
    web.sign_in_as(provider)
    page = web.get("/provider")
    text = words_of(page)
    assert f"Payouts: {label} {action}" in text
    assert f'data-payout-status="{status}"' in page.get_data(as_text=True)
    if status == AccountStatus.ENABLED:
        assert "Your listing is live and taking online bookings." in text
    else:
        assert "customers can't book online until your payouts are set up" in text


def test_collecting_before_enabled_a_live_listing_takes_bookings_but_still_asks_for_payouts(
    web, provider, make_venue, app, monkeypatch
):
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", True)
    make_venue(status="approved")
    web.sign_in_as(provider)
    text = words_of(web.get("/provider"))
    assert "Your listing is live and taking bookings. Set up payouts so we can pay you your share." in text


# -- the approval email -----------------------------------------------------------------------------


def approval_mail(web, admin, venue, run_jobs, outbox):
    web.sign_in_as(admin)
    assert web.post(f"/admin/venues/{venue.id}/approve").status_code == 302
    run_jobs()
    (mail,) = [m for m in outbox if venue.owner.email in m.to]
    return mail


def test_the_approval_email_says_payouts_are_missing_with_the_link(web, admin, make_venue, run_jobs, outbox, strict):
    venue = make_venue(status="pending_review")
    mail = approval_mail(web, admin, venue, run_jobs, outbox)
    assert "customers can find it now" in mail.body
    assert "Customers can't book it online yet: your payouts aren't set up." in mail.body
    assert "http://localhost/provider/payouts" in mail.body
    (page, _) = mail.alternatives[0]
    assert "Set up payouts" in page and "http://localhost/provider/payouts" in page


def test_the_approval_email_of_a_venue_with_payouts_just_says_it_is_live(
    web, admin, make_venue, run_jobs, outbox, strict
):
    venue = make_venue(status="pending_review")
    connect(venue)
    db.session.commit()
    mail = approval_mail(web, admin, venue, run_jobs, outbox)
    assert "customers can find it now" in mail.body
    assert "payouts" not in mail.body.lower()


# -- the admin's queue and preview ------------------------------------------------------------------


def test_the_admin_queue_shows_each_listings_payout_status(web, admin, make_user, make_venue, strict):
    from app.accounts.models import Role

    enabled = make_venue(status="pending_review", name="Enabled Spa", slug="enabled-spa")
    connect(enabled)
    restricted = make_venue(make_user(role=Role.PROVIDER), status="pending_review", name="Restricted Spa")
    connect(restricted, status=AccountStatus.RESTRICTED)
    make_venue(make_user(role=Role.PROVIDER), status="pending_review", name="Unconnected Spa")
    db.session.commit()
    web.sign_in_as(admin)
    page = web.get("/admin/venues")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert '<th scope="col">Payouts</th>' in body
    rows = {
        html.unescape(re.search(r'/admin/venues/\d+">([^<]+)</a>', row).group(1)): words_of_html(row)
        for row in re.findall(r"<tr>.*?</tr>", body, re.S)
        if "<td>" in row
    }
    assert "Enabled" in rows["Enabled Spa"] and "Restricted" in rows["Restricted Spa"]
    assert "Not connected" in rows["Unconnected Spa"]
    assert body.count('data-payout-status="') == 3


def words_of_html(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_the_admin_preview_shows_the_payout_status(web, admin, make_venue, strict):
    venue = make_venue(status="pending_review")
    web.sign_in_as(admin)
    text = words_of(web.get(f"/admin/venues/{venue.id}"))
    assert "Payouts Not connected Customers can't book this venue online until its payouts are set up." in text
    connect(venue)
    db.session.commit()
    text = words_of(web.get(f"/admin/venues/{venue.id}"))
    assert "Payouts Enabled" in text and "can't book this venue online" not in text
