"""A customer writes to the venue about an upcoming booking (HTMX: the thread updates in place
with a toast; an empty message is refused beside the form), the owner follows the email's link
to the booking, reads it and replies, and the customer reports the reply."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "willow-harbour-copper-2026"


def test_customer_and_venue_exchange_messages_about_a_booking(
    page: Page, new_context, live_server, unique_email, read_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    customer = {"email": unique_email("asker"), "name": "Mina Ask"}
    owner = {"email": unique_email("answerer"), "name": "Olly Owner"}
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": f"Reed Rooms {tag}",
                    "address": "3 Reed Lane",
                    "city": "London",
                    "postcode": "N1 1AA",
                    "country": "GB",
                    "latitude": 51.53,
                    "longitude": -0.1,
                    "timezone": "Europe/London",
                    "service": "Hot stone massage",
                    "price_minor": 7000,
                    "team": [],
                    "upcoming": [{"customer_email": customer["email"], "days_ahead": 3}],
                }
            ],
        },
    )
    (reference,) = venue["upcoming"]

    e2e_sign_in(page, customer["email"], PASSWORD, "Mina")
    page.goto(f"/bookings/{reference}")
    thread = page.locator("#messages")
    expect(thread.get_by_text("No messages yet.")).to_be_visible()

    # An empty message is refused beside the form, nothing sent.
    thread.get_by_role("button", name="Send message").click()
    expect(thread.get_by_role("alert")).to_contain_text("Write a message before sending it.")
    # That refusal is a 422 the page swaps in on purpose (static/js/messages.js): not a browser error.
    browser_errors.console[:] = [
        (text, url) for text, url in browser_errors.console if not ("422" in text and "/messages" in url)
    ]

    question = f"Can I bring my own oil? ({tag})"
    page.get_by_label("Your message to").fill(question)
    page.locator("#messages").get_by_role("button", name="Send message").click()
    expect(page.get_by_role("status").filter(has_text="Message sent")).to_be_visible()
    expect(page.locator("#messages [data-message-body]")).to_have_text(question)
    expect(page.get_by_label("Your message to")).to_have_value("")

    # The owner gets an email with a link to the booking's thread, and replies there.
    email = read_email(owner["email"], subject_contains="New message from Mina Ask")
    assert question in email.text
    owner_page = new_context().new_page()
    e2e_sign_in(owner_page, owner["email"], PASSWORD, "Olly")
    owner_page.goto(email.first_link)
    owner_thread = owner_page.locator("#messages")
    expect(owner_thread.get_by_text(question)).to_be_visible()
    owner_page.get_by_label("Your message to").fill("Of course, see you then.")
    owner_thread.get_by_role("button", name="Send message").click()
    expect(owner_page.get_by_role("status").filter(has_text="Message sent")).to_be_visible()

    # The customer sees the reply, her message read, and reports the reply.
    read_email(customer["email"], subject_contains="New message from")
    page.reload()
    expect(page.locator("#messages").get_by_text("Of course, see you then.")).to_be_visible()
    expect(page.locator("#messages [data-read]")).to_have_text("· Read")
    page.locator("#messages summary").filter(has_text="Report").click()
    page.get_by_label("Why are you reporting it?").fill("Testing the report")
    page.get_by_role("button", name="Report to CozyWish").click()
    expect(page.get_by_role("status").filter(has_text="The message is reported")).to_be_visible()
    expect(page.locator("#messages").get_by_text("You reported this message.")).to_be_visible()
