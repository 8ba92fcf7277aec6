"""Every provider route, for every role (docs/staff-roles.md): the owner, a manager, a receptionist,
a practitioner and another venue's owner.

EXPECTED is the permission table. A provider route (any URL under /provider, or any view wrapped
in ``app/web/guards.venue_required``) that is missing from it fails
``test_every_provider_route_is_in_the_table``: adding a route means deciding who may open it,
here and in its ``@venue_required(roles=...)``.
"""

from __future__ import annotations

import re

import pytest

from app.web.guards import EVERYONE, FRONT_DESK, OWNER_AND_MANAGER, OWNER_ONLY, venue_required
from tests.conftest import csrf_token
from tests.venues.staff_world import build_world

D = "venues_dashboard."

EXPECTED: dict[str, frozenset[str]] = {
    # the calendar and one booking: everyone (a practitioner's filtered to their team member)
    D + "calendar": EVERYONE,
    D + "today": EVERYONE,  # a practitioner's own bookings; takings for owners and managers
    D + "booking_details": EVERYONE,
    D + "complete_booking": EVERYONE,
    D + "no_show_booking": EVERYONE,
    D + "set_booking_stage": EVERYONE,  # booked, arrived, started (a practitioner's own bookings)
    # a team member's calendar sync: owner, managers, a practitioner for their own member (else 404)
    D + "calendar_sync": frozenset({"owner", "manager", "practitioner"}),
    D + "save_calendar_sync": frozenset({"owner", "manager", "practitioner"}),
    D + "disconnect_calendar_sync": frozenset({"owner", "manager", "practitioner"}),
    # the front desk
    D + "add_block": FRONT_DESK,
    D + "delete_block": FRONT_DESK,
    D + "cancel_booking": FRONT_DESK,
    D + "move_venue_booking": FRONT_DESK,
    D + "check_in_page": FRONT_DESK,
    D + "check_in_submit": FRONT_DESK,
    # money, staff and the listing's status: the owner alone
    D + "payouts": OWNER_ONLY,
    D + "payouts_connect": OWNER_ONLY,
    D + "payouts_demo_onboarding": OWNER_ONLY,
    D + "payouts_demo_onboarding_submit": OWNER_ONLY,
    D + "payouts_refresh": OWNER_ONLY,
    D + "payouts_return": OWNER_ONLY,
    D + "earnings": OWNER_ONLY,
    D + "earnings_csv": OWNER_ONLY,
    D + "invoices": OWNER_ONLY,
    D + "invoice_pdf": OWNER_ONLY,
    D + "submit": OWNER_ONLY,
    D + "withdraw": OWNER_ONLY,
    D + "staff_page": OWNER_ONLY,
    D + "invite_staff": OWNER_ONLY,
    D + "resend_staff_invitation": OWNER_ONLY,
    D + "change_staff_role": OWNER_ONLY,
    D + "remove_staff": OWNER_ONLY,
    D + "closing": OWNER_ONLY,  # pause or close the venue (docs/pause-and-close.md)
    D + "pause_venue": OWNER_ONLY,
    D + "resume_venue": OWNER_ONLY,
    D + "close_venue": OWNER_ONLY,
    D + "reopen_venue": OWNER_ONLY,
    # running the venue: the owner and managers (the default of a route that says nothing)
    **{
        D + name: OWNER_AND_MANAGER
        for name in (
            "home",
            "basics",
            "location",
            "hours",
            "hours_row",
            "copy_monday",
            "close_sundays",
            "closures",
            "delete_closure",
            "review",
            "services",
            "edit_service",
            "delete_service",
            "move_service",
            "order_services",
            "services_done",
            "team",
            "edit_team_member",
            "delete_team_member",
            "move_team_member",
            "order_team",
            "team_done",
            "faqs",
            "edit_faq",
            "delete_faq",
            "move_faq",
            "order_faqs",
            "faqs_done",
            "images",
            "image_alt_text",
            "cover_image",
            "delete_image",
            "move_image",
            "order_images",
            "images_done",
            "member_schedule",
            "save_member_week",
            "copy_member_week",
            "add_member_exception",
            "delete_member_exception",
            "add_member_time_off",
            "delete_member_time_off",
            "promo_codes",
            "create_promo_code",
            "edit_promo_code",
            "update_promo_code",
            "set_promo_code_active",
            "packages",
            "new_package",
            "edit_package",
            "set_package_active",
            "refund_package",
            "memberships",
            "new_membership_plan",
            "edit_membership_plan",
            "set_membership_plan_active",
            "rotate_calendar_feed",
            "revoke_calendar_feed",
            "reschedule_policy",
        )
    },
    "notifications.venue_reminders": OWNER_AND_MANAGER,
    "notifications.venue_invitations": OWNER_AND_MANAGER,  # birthday messages and win-back
    # intake questions and the patch-test rule are part of a service: the default
    **{
        D + name: OWNER_AND_MANAGER
        for name in (
            "service_intake",
            "add_service_question",
            "edit_service_question",
            "delete_service_question",
            "move_service_question",
            "service_patch_test",
            # rooms and equipment (app/venues/views/resources.py): part of the services
            "resources",
            "edit_resource",
            "delete_resource",
        )
    },
    # requests to book, walk-ins and the client book: the front desk
    **{
        D + name: FRONT_DESK
        for name in (
            "booking_requests",
            "accept_request",
            "decline_request",
            "desk_new",
            "desk_create",
            "desk_visit_new",
            "desk_visit_create",
            "desk_client_search",
            "save_client_notes",
            "sell_package",  # a package, paid at the desk (app/packages/views/desk.py)
            "save_client_contact",
            "block_client",
            "unblock_client",
        )
    },
    # the client book and a booking's messages: everyone, a practitioner's to their own
    D + "client_list": EVERYONE,
    D + "client_card": EVERYONE,
    D + "conversations": EVERYONE,  # a practitioner's own bookings' threads
    D + "post_venue_message": EVERYONE,
    D + "report_venue_message": EVERYONE,
    # the venue's reviews: answering and reporting speak for the venue, so the owner and managers
    D + "venue_reviews": OWNER_AND_MANAGER,
    D + "reply_to_review": OWNER_AND_MANAGER,
    D + "report_review": OWNER_AND_MANAGER,
    # outgoing webhooks and the website's booking button: the owner and managers
    **{
        D + name: OWNER_AND_MANAGER
        for name in (
            "webhooks",
            "add_webhook",
            "delete_webhook",
            "enable_webhook",
            "webhook_log",
            "resend_webhook",
            "roll_webhook_secret",
            "booking_button",
            "save_site_origins",
        )
    },
    # analytics: everyone; money for the owner and managers only, a practitioner's own figures
    # only (app/analytics/views.py, docs/analytics.md)
    D + "analytics": EVERYONE,
    D + "analytics_csv": EVERYONE,
    # the JSON API's venue area (app/api/views/venue.py): as the pages it mirrors
    **{f"api_venue.{name}": OWNER_AND_MANAGER for name in ("own_venue", "own_services", "own_team", "own_hours")},
    "api_venue.calendar": EVERYONE,
    "api_venue.check_in_booking": FRONT_DESK,
    # the desk's walk-ins, time blocks and the client book, as their pages
    "api_venue.desk_booking": FRONT_DESK,
    "api_venue.time_blocks": EVERYONE,
    "api_venue.add_block": FRONT_DESK,
    "api_venue.delete_block": FRONT_DESK,
    "api_venue.client_book": EVERYONE,
    "api_venue.client_card": EVERYONE,
    # the client card's edits: the front desk, as the card's forms
    **{f"api_venue.{name}": FRONT_DESK for name in ("save_client_notes", "block_client", "unblock_client")},
    # editing the venue (app/api/views/venue_edit.py): the owner and managers, as the dashboard
    **{
        f"api_venue.{name}": OWNER_AND_MANAGER
        for name in (
            "add_service",
            "edit_service",
            "delete_service",
            "add_member",
            "edit_member",
            "delete_member",
            "set_hours",
            "add_venue_closure",
            "delete_venue_closure",
            # the profile (the basics and location pages) and FAQs, as their pages
            "edit_venue_profile",
            "own_faqs",
            "add_venue_faq",
            "edit_venue_faq",
            "delete_venue_faq",
            # rooms and equipment, as their page
            "own_resources",
            "add_venue_resource",
            "edit_venue_resource",
            "delete_venue_resource",
        )
    },
}

ROLES = ("owner", "manager", "receptionist", "practitioner")
ARG = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def provider_rules(app):
    """Every rule of the provider area: under /provider, or guarded by venue_required."""
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/provider") or hasattr(app.view_functions[rule.endpoint], "venue_roles")
        ),
        key=lambda rule: (rule.rule, rule.endpoint),
    )


def url_for_rule(rule, ids: dict[str, str]) -> str:
    """The rule with each argument filled in: ``<item_id>`` of a list's route (/venue/team/...)
    by that list's own row (``item_id:team``), any other by its name."""
    segments = rule.rule.split("/")

    def value(m: re.Match) -> str:
        before = segments[segments.index(m.group(0)) - 1] if m.group(0) in segments else ""
        return ids.get(f"{m['name']}:{before}", ids[m["name"]])

    return ARG.sub(value, rule.rule)


def test_every_provider_route_is_in_the_table(app):
    found = {rule.endpoint for rule in provider_rules(app)}
    missing = sorted(found - set(EXPECTED))
    assert missing == [], (
        "Provider routes with no line in EXPECTED (tests/web/test_staff_route_roles.py): decide who may "
        f"open each, declare it with @venue_required(roles=...) and add it here: {missing}"
    )
    assert sorted(set(EXPECTED) - found) == [], "EXPECTED names routes that no longer exist"


def test_each_route_declares_the_roles_of_the_table(app):
    wrong = {
        endpoint: sorted(getattr(app.view_functions[endpoint], "venue_roles", ()))
        for endpoint, roles in EXPECTED.items()
        if getattr(app.view_functions[endpoint], "venue_roles", None) != roles
    }
    assert wrong == {}, "these routes' @venue_required(roles=...) differ from the table (or they have no guard)"


def test_an_undeclared_route_allows_the_owner_and_managers_only():
    @venue_required
    def page(venue):
        return "ok"

    assert page.venue_roles == OWNER_AND_MANAGER
    assert venue_required(roles={"receptionist"})(page).venue_roles == {"owner", "receptionist"}
    with pytest.raises(ValueError, match="unknown provider roles"):
        venue_required(roles={"cleaner"})


@pytest.fixture
def world(ctx, make_user, customer):
    return build_world(make_user, customer)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_opens_exactly_the_routes_of_the_table(app, web, monkeypatch, world, role):
    """Forbidden: 403 before anything runs. Allowed: never 403 (the page runs, whatever it answers
    to an empty form). Each role in its own test: what an allowed POST changes is rolled back."""
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)
    web.sign_in_as(world.people[role])
    token = csrf_token(web.client, "/no-such-page")
    wrong, sent = [], 0
    for rule in provider_rules(app):
        allowed = role in EXPECTED[rule.endpoint]
        url = url_for_rule(rule, world.ids)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if allowed and method == "POST" and rule.endpoint.endswith(("remove_staff", "withdraw")):
                continue  # would end this test's own world early; tests/venues/test_staff.py runs them
            data = {"csrf_token": token} if method in ("POST", "PUT", "PATCH", "DELETE") else None
            status = web.client.open(url, method=method, data=data).status_code
            sent += 1
            if allowed and status == 403:
                wrong.append(f"{role} refused {method} {url} ({rule.endpoint})")
            if not allowed and status != 403:
                wrong.append(f"{role} got {status}, not 403, for {method} {url} ({rule.endpoint})")
        web.sign_in_as(world.people[role])  # a page may have signed out or rotated the session
    assert sent > 80
    assert wrong == []


def test_another_venues_owner_finds_none_of_this_venues_rows(app, web, monkeypatch, world):
    """They are an owner, so every route lets them in, on their own venue: a row of this venue
    named in the URL is not found (404), never shown or changed."""
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)
    web.sign_in_as(world.people["other_owner"])
    token = csrf_token(web.client, "/no-such-page")
    wrong = []
    for rule in provider_rules(app):
        names = {m["name"] for m in ARG.finditer(rule.rule)} - {"direction", "day"}
        if not names:
            continue  # no row in the URL: the page shows their own venue
        url = url_for_rule(rule, world.ids)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token} if method in ("POST", "PUT", "PATCH", "DELETE") else None
            status = web.client.open(url, method=method, data=data).status_code
            if status != 404:
                wrong.append(f"{status} for {method} {url} ({rule.endpoint})")
    assert wrong == []
