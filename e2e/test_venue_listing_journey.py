"""A venue owner lists a venue through the whole wizard, an admin approves it, and a visitor finds it."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import Page, expect

from e2e.conftest import set_up_two_factor, watch

OWNER_PASSWORD = "willow-lantern-cobble-2026"
ADMIN_PASSWORD = "granite-orchid-compass-2026"
TEAM = [
    ("Amara Okafor", "Senior therapist"),
    ("Bea Lindqvist", "Massage therapist"),
    ("Cal Moreno", "Sports massage therapist"),
    ("Dina Haddad", "Reflexologist"),
    ("Eli Brooks", "Spa host"),
]
TEAM_LIMIT_MESSAGE = "A venue can show at most 5 team members"


def test_owner_lists_a_venue_admin_approves_it_and_a_visitor_finds_it(
    page: Page, new_context, live_server, unique_email, read_email, browser_errors, tmp_path
):
    owner_email = unique_email("lister")
    venue_name = f"Willow Rooms {uuid.uuid4().hex[:6]}"
    service_name = "Deep tissue massage"
    faq_question = "Is there parking nearby?"
    faq_answer = "Yes: the Elm Street car park is two minutes' walk away."
    photo_path = tmp_path / "treatment-room.png"
    Image.new("RGB", (640, 480), (176, 196, 222)).save(photo_path)
    nav = page.get_by_role("navigation", name="Main")

    # -- 1. Grace signs up from "List your venue", confirms her email and signs in. -----------
    page.goto("/")
    nav.get_by_role("link", name="List your venue").click()
    expect(page.get_by_label("A venue owner")).to_be_checked()
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill(owner_email)
    page.get_by_label("Password", exact=True).fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(read_email(owner_email, subject_contains="Confirm your email").first_link)
    expect(page.get_by_role("status").filter(has_text="Your email is confirmed")).to_be_visible()
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/provider/venue/basics$"))
    expect(page.get_by_role("heading", name="Hello, Grace")).to_be_visible()

    # -- 2. She walks through the setup wizard. ----------------------------------------------
    # Basics.
    page.get_by_label("Venue name").fill(venue_name)
    page.get_by_label("Category").select_option(label="Massage")
    page.get_by_label("Description").fill("A calm massage studio with two treatment rooms and a tea corner.")
    page.get_by_role("button", name="Save and continue").click()

    # Location: she types the coordinates rather than dragging the pin.
    expect(page.get_by_role("heading", name="Where to find you")).to_be_visible()
    expect(page.get_by_role("heading", name=venue_name)).to_be_visible()
    page.get_by_label("Street address").fill("12 Elm Street")
    page.get_by_label("Town or city").fill("London")
    page.get_by_label("Postcode").fill("SW1A 1AA")
    page.get_by_label("Country code").fill("GB")
    page.get_by_label("Latitude").fill("51.5072")
    page.get_by_label("Longitude").fill("-0.1276")
    page.get_by_label("Time zone", exact=True).select_option("Europe/London")
    page.get_by_role("button", name="Save and continue").click()

    # Opening hours: Monday first, saved, then copied to the other weekdays.
    expect(page.get_by_role("heading", name="Opening hours")).to_be_visible()
    page.get_by_label("Closed all day on Monday").uncheck()
    page.get_by_label("Monday opens").fill("09:00")
    page.get_by_label("Monday closes").fill("18:00")
    page.get_by_role("button", name="Save hours and continue").click()
    expect(page.get_by_role("heading", name="Services", exact=True)).to_be_visible()

    setup_steps = page.get_by_role("navigation", name="Setup steps")
    setup_steps.get_by_role("link", name="Opening hours").click()
    page.get_by_role("button", name="Copy Monday to all weekdays").click()
    expect(page.get_by_role("status").filter(has_text="Monday's hours are copied")).to_be_visible()
    for day in ("Tuesday", "Wednesday", "Thursday", "Friday"):
        expect(page.get_by_label(f"{day} opens")).to_have_value("09:00")
        expect(page.get_by_label(f"{day} closes")).to_have_value("18:00")
    expect(page.get_by_label("Closed all day on Saturday")).to_be_checked()

    # One service.
    setup_steps.get_by_role("link", name="Services").click()
    add_service = page.get_by_role("region", name="Add a service")
    add_service.get_by_label("Name", exact=True).fill(service_name)
    add_service.get_by_label("Duration (minutes)").fill("60")
    add_service.get_by_label("Price", exact=True).fill("45.00")
    add_service.get_by_role("button", name="Add service").click()
    services = page.get_by_role("list", name="Your services")
    expect(services.get_by_role("listitem")).to_have_count(1)
    expect(services).to_contain_text(service_name)
    expect(services).to_contain_text("1 h · £45.00")
    page.get_by_role("button", name="Continue to Team").click()

    # The team: five people, one by one; after the fifth the add form gives way to a note.
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    team_list = page.get_by_role("list", name="Your team")
    add_member = page.get_by_role("region", name="Add a team member")
    for count, (name, title) in enumerate(TEAM, start=1):
        add_member.get_by_label("Name", exact=True).fill(name)
        add_member.get_by_label("Role or title").fill(title)
        add_member.get_by_label(service_name).check()
        add_member.get_by_role("button", name="Add team member").click()
        expect(team_list.get_by_role("listitem")).to_have_count(count)
        expect(team_list).to_contain_text(name)
    expect(add_member).to_have_count(0)
    expect(page.get_by_role("button", name="Add team member")).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="You have 5 team members")).to_be_visible()
    expect(page.get_by_role("button", name="Continue to FAQs")).to_be_visible()

    # A sixth is refused by the server too, should anyone post the form anyway.
    csrf_token = page.locator("meta[name=csrf-token]").get_attribute("content")
    sixth = page.request.post(
        page.url,
        form={"csrf_token": csrf_token, "name": "Frankie Sixth", "title": "One too many"},
        max_redirects=0,
    )
    assert sixth.status == 409, sixth.status
    assert TEAM_LIMIT_MESSAGE in sixth.text()
    page.reload()
    expect(team_list.get_by_role("listitem")).to_have_count(5)
    expect(team_list).not_to_contain_text("Frankie Sixth")
    page.get_by_role("button", name="Continue to FAQs").click()

    # One question and answer.
    expect(page.get_by_role("heading", name="Frequently asked questions")).to_be_visible()
    add_faq = page.get_by_role("region", name="Add a question")
    add_faq.get_by_label("Question").fill(faq_question)
    add_faq.get_by_label("Answer").fill(faq_answer)
    add_faq.get_by_role("button", name="Add question").click()
    expect(page.get_by_role("list", name="Your questions")).to_contain_text(faq_question)
    page.get_by_role("button", name="Continue to Photos").click()

    # A photo, with the description screen readers need.
    expect(page.get_by_role("heading", name="Photos", exact=True)).to_be_visible()
    add_photo = page.get_by_role("region", name="Add a photo")
    add_photo.get_by_label("Photo", exact=True).set_input_files(photo_path)
    add_photo.get_by_label("Describe the photo (alt text)").fill("Treatment room with two massage tables")
    add_photo.get_by_role("button", name="Upload photo").click()
    photos = page.get_by_role("list", name="Your photos")
    expect(photos.get_by_role("img", name="Treatment room with two massage tables")).to_be_visible()
    expect(photos).to_contain_text("Cover photo")
    page.get_by_role("button", name="Continue to Review and submit").click()

    # Review, then submit.
    expect(page.get_by_role("heading", name="Review and submit")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Everything needed is in place")).to_be_visible()
    expect(page.get_by_role("region", name="Opening hours")).to_contain_text("09:00–18:00")
    expect(page.get_by_role("region", name="Services, team, FAQs and photos")).to_contain_text("5 team members")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("heading", name="Hello, Grace")).to_be_visible()
    listing = page.get_by_role("region", name=venue_name)
    expect(listing.get_by_text("Waiting for review", exact=True)).to_be_visible()
    browser_errors.assert_none()

    # -- 3. Linus, an admin, reviews the listing in his own browser and approves it. ----------
    admin_email = unique_email("reviewer")
    live_server.flask(
        "users", "create-admin", "--email", admin_email, "--name", "Linus Admin", "--password", ADMIN_PASSWORD
    )
    admin = new_context().new_page()
    admin_errors = watch(admin)
    admin.goto("/account/sign-in")
    admin.get_by_label("Email").fill(admin_email)
    admin.get_by_label("Password").fill(ADMIN_PASSWORD)
    admin.get_by_role("button", name="Sign in", exact=True).click()
    # A new administrator's first visit to the admin area sets up two-factor sign-in.
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Venues").click()
    set_up_two_factor(admin)
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Venues").click()
    expect(admin.get_by_role("heading", name="Venues", exact=True)).to_be_visible()
    admin.get_by_role("table").get_by_role("link", name=venue_name, exact=True).click()
    expect(admin).to_have_title(re.compile(re.escape(f"Review: {venue_name}")))
    expect(admin.get_by_role("region", name="Review this listing")).to_contain_text("Waiting for review")
    expect(admin.get_by_role("heading", name=venue_name, level=1)).to_be_visible()
    admin.get_by_role("button", name="Approve and publish").click()
    expect(admin.get_by_role("status").filter(has_text=f"“{venue_name}” is live")).to_be_visible()
    admin_errors.assert_none()

    # Grace hears about it by email; the link in it is her public page.
    approval = read_email(owner_email, subject_contains="live")
    assert venue_name in approval.subject
    # Grace hasn't set up payouts yet: the email says so, and the page takes no bookings.
    assert "your payouts aren't set up" in approval.text
    venue_path = urlsplit(approval.first_link).path
    assert re.fullmatch(r"/venues/[a-z0-9-]+", venue_path), venue_path

    # -- 4. Anyone can now see the venue. ------------------------------------------------------
    visitor = new_context().new_page()
    visitor_errors = watch(visitor)
    visitor.goto(venue_path)
    expect(visitor).to_have_title(re.compile(re.escape(venue_name)))
    expect(visitor.get_by_role("heading", name=venue_name, level=1)).to_be_visible()
    expect(visitor.get_by_text("Not taking online bookings yet").first).to_be_visible()
    expect(visitor.get_by_role("link", name="Book now")).to_have_count(0)

    services_section = visitor.get_by_role("region", name="Services")
    expect(services_section).to_contain_text(service_name)
    expect(services_section).to_contain_text("£45.00")

    hours = visitor.get_by_role("region", name="Opening hours")
    expect(hours.get_by_role("row").filter(has_text="Monday")).to_contain_text("09:00–18:00")
    expect(hours.get_by_role("row").filter(has_text="Friday")).to_contain_text("09:00–18:00")

    team = visitor.get_by_role("region", name="Team")
    for name, title in TEAM:
        expect(team.get_by_role("heading", name=name)).to_be_visible()
        expect(team).to_contain_text(title)
    expect(team).to_contain_text(f"Offers: {service_name}")

    faqs = visitor.get_by_role("region", name="Questions and answers")
    faqs.get_by_role("button", name=faq_question).click()
    expect(faqs.get_by_text(faq_answer)).to_be_visible()
    expect(visitor.get_by_role("img", name="Treatment room with two massage tables")).to_be_visible()
    visitor_errors.assert_none()
