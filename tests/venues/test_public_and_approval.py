"""The public venue page, the sitemap, and the admin approval queue with its decisions."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.venues import approval
from app.venues.models import (
    Closure,
    Venue,
    VenueStatus,
)
from app.venues.slugs import assign_slug
from app.web.venue_page import build_venue_page, duration_label, summarize

HIDDEN_STATUSES = ["draft", "pending_review", "rejected", "suspended", "closed"]
JSON_LD_RE = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


# -- harness -------------------------------------------------------------------------------------


class IsolatedClient(FlaskClient):
    """Each request in its own application context, as in production: no ``g`` or session leaks
    from the test (or an earlier request) into the next request."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    return IsolatedClient(app, app.response_class, use_cookies=True)


def fresh(venue: Venue) -> Venue:
    """The venue as the database holds it now (requests run in their own sessions)."""
    db.session.expire_all()
    return db.session.get(Venue, venue.id)


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def json_ld(response) -> dict:
    match = JSON_LD_RE.search(response.get_data(as_text=True))
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


def audit_actions(venue: Venue) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_type == "venue", AuditEntry.subject_id == venue.id)
            .order_by(AuditEntry.id)
        )
    )


# -- the public page -------------------------------------------------------------------------


def test_approved_venue_page_shows_the_whole_listing(client, make_venue):
    venue = make_venue()

    response = client.get(f"/venues/{venue.slug}")

    assert response.status_code == 200
    page = text_of(response)
    assert '<h1 class="h2 mb-1">Lantern House Spa</h1>' in page
    assert "quiet" in page and "couples" in page
    assert "Deep tissue massage" in page and "£65.00" in page and "1 h 30 min" in page
    assert "Express facial" in page and "£29.99" in page and "30 min" in page
    assert "Retired hot stones" not in page  # inactive services stay off the page
    assert f"/venues/{venue.slug}/book/" in page  # every active service has a real Book link
    assert "09:00–17:00" in page and "10:00–16:30" in page and "Times in Europe/London" in page
    assert ("Open now" in page) or ("Closed now" in page)
    assert "Staff training" in page and "Long past" not in page
    assert "Ingrid Holm" in page and "Senior therapist" in page and "Ten years of sports massage." in page
    assert "Is there parking?" in page and "Two spaces behind the building." in page
    assert 'href="tel:+442079460000"' in page
    assert 'href="mailto:hello@lantern.example"' in page
    assert 'href="https://lantern.example/spa" rel="noopener nofollow"' in page
    assert "rating" not in page.lower()
    assert "Preview: not public" not in page
    assert 'data-lat="51.5072"' in page and "js/venue-map.js" in page


def test_gallery_images_carry_size_srcset_and_alt(client, make_venue):
    venue = make_venue()

    page = text_of(client.get(f"/venues/{venue.slug}"))

    hero = f"/media/venues/{venue.id}/cover-hero.webp"
    assert f'src="{hero}"' in page
    assert 'width="1600" height="900"' in page
    assert f"{hero} 1600w" in page
    # thumb and card are 4:3 crops, so they are not offered in place of the 16:9 hero
    assert "cover-card.webp 800w" not in page
    assert 'alt="Treatment room lit by candles"' in page


def test_page_has_seo_tags_and_local_business_json_ld(client, make_venue):
    venue = make_venue()

    response = client.get(f"/venues/{venue.slug}")

    page = text_of(response)
    url = f"http://localhost/venues/{venue.slug}"
    assert f'<link rel="canonical" href="{url}">' in page
    assert f'<meta property="og:url" content="{url}">' in page
    assert '<meta property="og:type" content="business.business">' in page
    assert '<meta property="og:title" content="Lantern House Spa">' in page
    assert f'<meta property="og:image" content="http://localhost/media/venues/{venue.id}/cover-hero.webp">' in page
    assert "<title>Lantern House Spa – " in page
    description = re.search(r'<meta name="description" content="([^"]*)">', page).group(1)
    assert description.startswith("A calm townhouse spa") and len(description) <= 155
    assert 'name="robots"' not in page
    data = json_ld(response)
    assert data["@type"] == "LocalBusiness"
    assert data["name"] == "Lantern House Spa"
    assert data["url"] == url
    assert data["address"]["addressLocality"] == "London"
    assert data["geo"] == {"@type": "GeoCoordinates", "latitude": 51.5072, "longitude": -0.1276}
    assert {
        "@type": "OpeningHoursSpecification",
        "dayOfWeek": "https://schema.org/Monday",
        "opens": "09:00",
        "closes": "17:00",
    } in data["openingHoursSpecification"]
    offers = data["hasOfferCatalog"]["itemListElement"]
    assert {"itemOffered": {"@type": "Service", "name": "Deep tissue massage"}, "price": "65.00"}.items() <= {
        **offers[0]
    }.items()


def test_json_ld_cannot_be_broken_out_of_by_venue_text(client, make_venue):
    evil = 'Spa </script><script>alert("x")</script> & more'
    make_venue(name=evil, slug="evil-spa", description="Nice <b>place</b> </script>")

    response = client.get("/venues/evil-spa")

    raw = response.get_data(as_text=True)
    block = JSON_LD_RE.search(raw).group(1)
    assert "<" not in block and ">" not in block
    assert "<script>alert" not in raw
    assert json_ld(response)["name"] == evil


@pytest.mark.parametrize("status", HIDDEN_STATUSES)
def test_hidden_venue_is_not_found_for_the_public(web, make_venue, customer, make_user, status):
    venue = make_venue(status=status)
    other_provider = make_user(role=Role.PROVIDER)

    assert web.get(f"/venues/{venue.slug}").status_code == 404
    for viewer in (customer, other_provider):
        web.sign_in_as(viewer)
        assert web.get(f"/venues/{venue.slug}").status_code == 404


@pytest.mark.parametrize("status", HIDDEN_STATUSES)
def test_owner_and_admin_preview_a_hidden_venue_with_a_banner(web, make_venue, provider, admin, status):
    venue = make_venue(status=status)

    for viewer in (provider, admin):
        web.sign_in_as(viewer)
        response = web.get(f"/venues/{venue.slug}")
        assert response.status_code == 200
        page = text_of(response)
        assert f"Preview: not public — status: {approval.STATUS_LABELS[status]}" in page
        assert '<meta name="robots" content="noindex, nofollow">' in page
        link = "Review in admin" if viewer is admin else "Edit in your dashboard"
        assert link in page


def test_old_slug_redirects_permanently_to_the_current_one(client, make_venue):
    venue = make_venue(name="Lantern House Spa", slug="lantern-house-spa")
    assign_slug(venue, "lantern-spa-islington")
    db.session.flush()

    response = client.get("/venues/lantern-house-spa")

    assert response.status_code == 301
    assert response.headers["Location"].endswith("/venues/lantern-spa-islington")
    assert client.get("/venues/lantern-spa-islington").status_code == 200


def test_old_slug_of_a_hidden_venue_is_not_found(client, make_venue):
    venue = make_venue(slug="old-name", status="suspended")
    assign_slug(venue, "new-name")
    db.session.flush()

    assert client.get("/venues/old-name").status_code == 404


def test_unknown_slug_is_not_found(client, make_venue):
    make_venue()

    assert client.get("/venues/no-such-venue").status_code == 404


def test_conditional_get_answers_not_modified_until_the_listing_changes(client, make_venue):
    venue = make_venue()
    url = f"/venues/{venue.slug}"
    first = client.get(url)
    second = client.get(url)  # the session (and its CSRF secret) exists from now on
    etag = second.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""

    venue.services[1].price_minor = 3500  # a child row: venue.updated_at does not move
    db.session.flush()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "£35.00" in text_of(changed)
    assert changed.headers["ETag"] != etag


def test_signing_in_invalidates_the_cached_page(web, make_venue, customer):
    venue = make_venue()
    url = f"/venues/{venue.slug}"
    web.get(url)
    etag = web.get(url).headers["ETag"]

    web.sign_in_as(customer)

    assert web.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_open_now_is_judged_in_the_venues_time_zone(ctx, make_venue):
    venue = make_venue()  # Monday 09:00–17:00, Europe/London
    monday_0830_utc = datetime(2026, 7, 6, 8, 30, tzinfo=UTC)  # 09:30 in London (BST)
    monday_1630_utc = datetime(2026, 7, 6, 16, 30, tzinfo=UTC)  # 17:30 in London

    assert build_venue_page(venue, now=monday_0830_utc)["hours"]["open_label"] == "Open now · until 17:00"
    assert build_venue_page(venue, now=monday_1630_utc)["hours"]["open_label"] == "Closed now"
    assert build_venue_page(venue, now=monday_0830_utc)["hours"]["days"][0]["is_today"]


def test_a_closure_today_closes_the_venue(ctx, make_venue):
    venue = make_venue()
    venue.closures.append(Closure(starts_on=date(2026, 7, 6), ends_on=date(2026, 7, 6), reason="Burst pipe"))
    db.session.flush()

    page = build_venue_page(venue, now=datetime(2026, 7, 6, 10, 0, tzinfo=UTC))

    assert page["hours"]["open_now"] is False
    assert page["closures"][0]["is_current"]


@pytest.mark.parametrize(
    ("minutes", "label"), [(5, "5 min"), (45, "45 min"), (60, "1 h"), (90, "1 h 30 min"), (720, "12 h")]
)
def test_durations_read_naturally(minutes, label):
    assert duration_label(minutes) == label


def test_meta_description_is_cut_at_a_word():
    text = "word " * 60
    summary = summarize(text, 155)
    assert len(summary) <= 155 and summary.endswith("word…")


# -- the sitemap -----------------------------------------------------------------------------


def test_sitemap_lists_approved_venues_only(client, make_venue, make_user):
    live = make_venue(slug="live-spa")
    for status in HIDDEN_STATUSES:
        make_venue(make_user(role=Role.PROVIDER), name=f"{status} spa", slug=f"{status}-spa", status=status)

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    body = response.get_data(as_text=True)
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "<loc>http://localhost/venues/live-spa</loc>" in body
    assert f"<lastmod>{live.updated_at.astimezone(UTC).isoformat(timespec='seconds')}</lastmod>" in body
    assert body.count("<url>") == 1


# -- the admin queue -------------------------------------------------------------------------


def test_queue_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/admin/venues")

    assert response.status_code == 302
    assert "/account/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("role", ["customer", "provider"])
def test_queue_is_for_admins_only(web, make_user, role):
    web.sign_in_as(make_user(role=role))

    assert web.get("/admin/venues").status_code == 403


@pytest.fixture
def listings(make_venue, make_user):
    def owner():
        return make_user(role=Role.PROVIDER)

    return {
        "pending_old": make_venue(
            owner(),
            name="Willow Rooms",
            city="Leeds",
            status="pending_review",
            submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
        ),
        "pending_new": make_venue(
            owner(),
            name="Harbour Baths",
            city="Bristol",
            status="pending_review",
            submitted_at=datetime(2026, 2, 1, tzinfo=UTC),
        ),
        "live": make_venue(owner(), name="Cedar Retreat", city="Leeds", status="approved"),
        "edited": make_venue(
            owner(), name="Moss Studio", city="York", status="approved", changed_fields=["services", "hours"]
        ),
        "suspended": make_venue(owner(), name="Ember Spa", city="Leeds", status="suspended"),
        "draft": make_venue(owner(), name="Quiet Draft", city="Leeds", status="draft"),
    }


def test_queue_shows_listings_waiting_for_review_oldest_first(web, admin, listings):
    web.sign_in_as(admin)

    page = text_of(web.get("/admin/venues"))

    assert page.index("Willow Rooms") < page.index("Harbour Baths")
    for other in ("Cedar Retreat", "Moss Studio", "Ember Spa", "Quiet Draft"):
        assert other not in page
    assert "2 venues" in page


def test_queue_filters_by_status_changes_and_search(web, admin, listings):
    web.sign_in_as(admin)

    suspended = text_of(web.get("/admin/venues?status=suspended"))
    assert "Ember Spa" in suspended and "Willow Rooms" not in suspended

    changed = text_of(web.get("/admin/venues?changed=1"))
    assert "Moss Studio" in changed and "services" in changed
    assert "Cedar Retreat" not in changed and "Willow Rooms" not in changed

    leeds = text_of(web.get("/admin/venues?status=all&q=leeds"))
    for name in ("Willow Rooms", "Cedar Retreat", "Ember Spa", "Quiet Draft"):
        assert name in leeds
    assert "Harbour Baths" not in leeds and "Moss Studio" not in leeds

    by_name = text_of(web.get("/admin/venues?q=harbour"))
    assert "Harbour Baths" in by_name and "Willow Rooms" not in by_name


def test_queue_answers_htmx_with_the_results_block_only(web, admin, listings):
    web.sign_in_as(admin)

    response = web.get("/admin/venues?status=suspended", headers={"HX-Request": "true"})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ember Spa" in body and "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_queue_has_a_helpful_empty_state(web, admin):
    web.sign_in_as(admin)

    assert "No listings are waiting for review" in text_of(web.get("/admin/venues"))
    assert "No venues match “zzz”" in text_of(web.get("/admin/venues?q=zzz"))


@pytest.mark.parametrize("query", ["status=bogus", "changed=yes", "page=0", "page=x"])
def test_bad_queue_filters_are_refused(web, admin, query):
    web.sign_in_as(admin)

    response = web.get(f"/admin/venues?{query}")

    assert response.status_code == 400


def test_admin_dashboard_counts_listings_waiting_for_review(web, admin, listings):
    web.sign_in_as(admin)

    page = text_of(web.get("/admin/"))

    assert re.search(r"Waiting for review</div>\s*<div class=\"fs-3 fw-semibold\">2</div>", page)
    assert 'href="/admin/venues"' in page


# -- the admin preview -----------------------------------------------------------------------


def test_admin_preview_shows_the_customer_page_with_a_review_panel(web, admin, make_venue):
    venue = make_venue(status="pending_review", changed_fields=[])
    web.sign_in_as(admin)

    response = web.get(f"/admin/venues/{venue.id}")

    assert response.status_code == 200
    page = text_of(response)
    assert "Review this listing" in page
    assert "Priya Provider" in page
    assert "Deep tissue massage" in page and "£65.00" in page and "Is there parking?" in page
    assert f'action="/admin/venues/{venue.id}/approve"' in page
    assert f'action="/admin/venues/{venue.id}/reject"' in page
    assert f'action="/admin/venues/{venue.id}/suspend"' not in page
    assert "Preview: not public — status: Waiting for review" in page
    assert "Review in admin" not in page  # already there


def test_admin_preview_lists_this_venues_history_only(web, admin, make_venue, make_user):
    venue = make_venue(status="pending_review")
    other = make_venue(make_user(role=Role.PROVIDER), name="Other Place", status="pending_review")
    approval.transition(other, "reject", actor=admin, reason="Other venue's reason")
    approval.transition(venue, "reject", actor=admin, reason="Photos are too dark")
    db.session.flush()
    web.sign_in_as(admin)

    page = text_of(web.get(f"/admin/venues/{venue.id}"))

    assert "Photos are too dark" in page
    assert "Other venue's reason" not in page


@pytest.mark.parametrize("role", ["customer", "provider"])
def test_admin_preview_is_for_admins_only(web, make_user, make_venue, role):
    venue = make_venue(status="pending_review")
    web.sign_in_as(make_user(role=role))

    assert web.get(f"/admin/venues/{venue.id}").status_code == 403


def test_admin_preview_of_a_missing_venue_is_not_found(web, admin):
    web.sign_in_as(admin)

    assert web.get("/admin/venues/999999").status_code == 404


# -- decisions -------------------------------------------------------------------------------


def test_approving_publishes_audits_and_emails_the_owner(web, admin, provider, make_venue, run_jobs, outbox):
    venue = make_venue(status="pending_review")
    web.sign_in_as(admin)

    response = web.post(f"/admin/venues/{venue.id}/approve")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/venues")
    venue = fresh(venue)
    assert venue.status == VenueStatus.APPROVED
    assert venue.approved_at is not None
    assert audit_actions(venue) == ["venue.approve"]
    run_jobs()
    mails = [m for m in outbox if provider.email in m.to]
    assert len(mails) == 1
    assert "Lantern House Spa" in mails[0].subject and "Lantern House Spa" in mails[0].body
    assert f"/venues/{venue.slug}" in mails[0].body
    assert web.client.get(f"/venues/{venue.slug}").status_code == 200


def test_rejecting_without_a_reason_is_refused_and_changes_nothing(web, admin, make_venue, run_jobs, outbox):
    venue = make_venue(status="pending_review")
    web.sign_in_as(admin)

    response = web.post(f"/admin/venues/{venue.id}/reject", {"reason": "   "})

    assert response.status_code == 422
    assert "Give a reason" in text_of(response)
    assert fresh(venue).status == VenueStatus.PENDING_REVIEW
    assert audit_actions(venue) == []
    run_jobs()
    assert outbox == []


def test_rejecting_with_a_reason_tells_the_owner_why(web, admin, provider, make_venue, run_jobs, outbox):
    venue = make_venue(status="pending_review")
    web.sign_in_as(admin)

    response = web.post(f"/admin/venues/{venue.id}/reject", {"reason": "Please add photos of the treatment rooms."})

    assert response.status_code == 302
    venue = fresh(venue)
    assert venue.status == VenueStatus.REJECTED
    assert venue.status_reason == "Please add photos of the treatment rooms."
    assert audit_actions(venue) == ["venue.reject"]
    run_jobs()
    (mail,) = [m for m in outbox if provider.email in m.to]
    assert "Please add photos of the treatment rooms." in mail.body


def test_approving_a_draft_is_a_conflict_and_changes_nothing(web, admin, make_venue):
    venue = make_venue(status="draft")
    web.sign_in_as(admin)

    response = web.post(f"/admin/venues/{venue.id}/approve")

    assert response.status_code == 409
    assert "can't be approved" in text_of(response)
    assert fresh(venue).status == VenueStatus.DRAFT
    assert audit_actions(venue) == []


def test_an_overlong_reason_is_refused(web, admin, make_venue):
    venue = make_venue(status="pending_review")
    web.sign_in_as(admin)

    response = web.post(f"/admin/venues/{venue.id}/reject", {"reason": "x" * 2001})

    assert response.status_code == 422
    assert fresh(venue).status == VenueStatus.PENDING_REVIEW


def test_suspending_needs_a_reason_hides_the_venue_and_reinstating_brings_it_back(
    web, client, admin, provider, make_venue, run_jobs, outbox
):
    venue = make_venue(status="approved")
    web.sign_in_as(admin)

    assert web.post(f"/admin/venues/{venue.id}/suspend").status_code == 422
    assert fresh(venue).status == VenueStatus.APPROVED

    assert web.post(f"/admin/venues/{venue.id}/suspend", {"reason": "Complaints about hygiene."}).status_code == 302
    assert fresh(venue).status == VenueStatus.SUSPENDED
    web.sign_out()
    assert web.get(f"/venues/{venue.slug}").status_code == 404

    web.sign_in_as(admin)
    assert web.post(f"/admin/venues/{venue.id}/reinstate").status_code == 302
    venue = fresh(venue)
    assert venue.status == VenueStatus.APPROVED
    assert audit_actions(venue) == ["venue.suspend", "venue.reinstate"]
    run_jobs()
    subjects = [m.subject for m in outbox if provider.email in m.to]
    assert subjects == ["Lantern House Spa has been suspended", "Lantern House Spa is live again"]


def test_reviewing_changes_clears_them_and_writes_an_audit_row(web, admin, make_venue):
    venue = make_venue(status="approved", changed_fields=["services", "team"])
    web.sign_in_as(admin)

    response = web.post(f"/admin/venues/{venue.id}/changes-reviewed")

    assert response.status_code == 302
    venue = fresh(venue)
    assert venue.changed_fields == []
    assert venue.status == VenueStatus.APPROVED
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.subject_id == venue.id))
    assert entry.action == "venue.changes_reviewed"
    assert entry.data == {"fields": ["services", "team"]}


@pytest.mark.parametrize("path", ["approve", "reject", "suspend", "reinstate", "changes-reviewed"])
def test_providers_cannot_take_admin_decisions_even_on_their_own_venue(web, provider, make_venue, path):
    venue = make_venue(status="pending_review", changed_fields=["services"])
    web.sign_in_as(provider)

    response = web.post(f"/admin/venues/{venue.id}/{path}", {"reason": "Because."})

    assert response.status_code == 403
    venue = fresh(venue)
    assert venue.status == VenueStatus.PENDING_REVIEW and venue.changed_fields == ["services"]


def test_a_decision_without_a_csrf_token_is_refused(web, admin, make_venue):
    venue = make_venue(status="pending_review")
    web.sign_in_as(admin)

    response = web.post(f"/admin/venues/{venue.id}/approve", csrf=False)

    assert response.status_code == 400
    assert fresh(venue).status == VenueStatus.PENDING_REVIEW


def test_an_unknown_decision_is_not_found(web, admin, make_venue):
    venue = make_venue(status="pending_review")
    web.sign_in_as(admin)

    assert web.post(f"/admin/venues/{venue.id}/publish").status_code in (404, 405)


# -- the transition rules themselves ---------------------------------------------------------

# (source status, action, actor) -> target status; every combination not listed is refused.
ALLOWED = {
    ("draft", "submit", "owner"): "pending_review",
    ("rejected", "submit", "owner"): "pending_review",
    ("pending_review", "withdraw", "owner"): "draft",
    ("pending_review", "approve", "admin"): "approved",
    ("pending_review", "reject", "admin"): "rejected",
    ("approved", "suspend", "admin"): "suspended",
    ("suspended", "reinstate", "admin"): "approved",
}
STATUSES = [s.value for s in VenueStatus]
ACTIONS = ["submit", "withdraw", "approve", "reject", "suspend", "reinstate"]
ACTORS = ["owner", "admin", "other_provider", "customer"]


@pytest.mark.parametrize("actor_role", ACTORS)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", STATUSES)
def test_transition_table(make_venue, provider, make_user, status, action, actor_role):
    venue = make_venue(status=status)
    actor = {
        "owner": provider,
        "admin": make_user(role=Role.ADMIN),
        "other_provider": make_user(role=Role.PROVIDER),
        "customer": make_user(role=Role.CUSTOMER),
    }[actor_role]
    expected = ALLOWED.get((status, action, actor_role))

    if expected is None:
        with pytest.raises(InvalidTransition):
            approval.transition(venue, action, actor=actor, reason="A reason.")
        assert venue.status == status
        assert (action in approval.allowed_actions(venue, actor)) is False
    else:
        assert action in approval.allowed_actions(venue, actor)
        approval.transition(venue, action, actor=actor, reason="A reason.")
        assert venue.status == expected
        db.session.flush()
        assert audit_actions(venue) == [f"venue.{action}"]


@pytest.mark.parametrize(("status", "action"), [("pending_review", "reject"), ("approved", "suspend")])
def test_reject_and_suspend_need_a_reason(make_venue, admin, status, action):
    venue = make_venue(status=status)

    with pytest.raises(ValidationFailed):
        approval.transition(venue, action, actor=admin, reason="  ")

    assert venue.status == status


def test_an_incomplete_draft_cannot_be_submitted(make_venue, provider):
    venue = make_venue(status="draft", description="Short")

    with pytest.raises(ValidationFailed, match="description"):
        approval.transition(venue, "submit", actor=provider)

    assert venue.status == VenueStatus.DRAFT


def test_approval_clears_changed_fields(make_venue, admin):
    venue = make_venue(status="suspended", changed_fields=["hours"])

    approval.transition(venue, "reinstate", actor=admin)

    assert venue.changed_fields == []
