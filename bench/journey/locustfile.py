"""The whole journey as Locust users (run headless by ``python -m bench.journey.run``).

Three kinds of user, each a browser of its own (one cookie jar, CSRF tokens read from the
pages it was served, as a browser's forms send them):

- ``Visitor``: anonymous browsing: home, a search with filters, a venue page, a service's
  booking page.
- ``Customer``: a distinct pre-seeded account each (its own cart), signed in once through the
  sign-in form, then journeys over and over: search, open a venue from the results, its
  booking page, a free time from the day's slots, add it to the cart, the cart, check out, pay
  with the Demo gateway (the order page's Pay button, then the card form on the gateway's
  page; the job worker confirms the payment), My bookings, and cancels one booking in five
  (the refund quote, then the cancellation).
- ``Staff``: the showcase venue's owner working the calendar: the day and the week, and a
  booking's detail.

The run passes the accounts and the places to go in ``JOURNEY_PLAN`` (a JSON file written
by run.py). A time taken by someone else between the slots page and the checkout is a lost
race (the cart page names it), counted as ``journey lost`` and not as an error.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["JOURNEY_PLAN"]).read())  # noqa: SIM115
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
VENUE_LINK = re.compile(r'href="(?:https?://[^/"]+)?/venues/([a-z0-9-]+)"')
BOOK_LINK = re.compile(r'href="(?:https?://[^/"]+)?(/venues/[a-z0-9-]+/book/\d+)"')
SLOT_LINK = re.compile(r'href="(/venues/[^"]*start=[^"]+)"')
STARTS_AT = re.compile(r'name="starts_at" value="([^"]+)"')
BOOKING_LINK = re.compile(r'href="(?:https?://[^/"]+)?/bookings/([A-Za-z0-9-]+)"')
CANCEL_LINK = re.compile(r'href="(?:https?://[^/"]+)?/bookings/[A-Za-z0-9-]+/cancel"')
BOOKING_DETAIL = re.compile(r'href="(?:https?://[^/"]+)?/provider/bookings/(\d+)[^"]*"')
HTMX_SLOTS = {"HX-Request": "true", "HX-Target": "booking-slots"}
_accounts = itertools.count(int(os.environ.get("JOURNEY_ACCOUNT_OFFSET", "0")))
CANCEL_ONE_IN = 5


def csrf(html: str) -> str:
    found = CSRF.search(html)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def unescape_url(url: str) -> str:
    return url.replace("&amp;", "&")


class Browser(HttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)

    def sign_in(self, email: str) -> None:
        page = self.client.get("/account/sign-in", name="sign in (form)")
        with self.client.post(
            "/account/sign-in",
            data={"csrf_token": csrf(page.text), "email": email, "password": PLAN["password"]},
            allow_redirects=False,
            name="sign in",
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"sign-in of {email} answered {answer.status_code}")
                raise RuntimeError("not signed in")
            answer.success()

    def search(self) -> str:
        query = random.choice(PLAN["searches"])
        return self.client.get(f"/search?{query}", name="search (filters)").text

    def open_venue(self, search_page: str) -> str | None:
        slugs = [s for s in VENUE_LINK.findall(search_page) if s in PLAN["bookable"]] or [
            random.choice(list(PLAN["bookable"]))
        ]
        slug = random.choice(slugs)
        self.client.get(f"/venues/{slug}", name="venue page")
        return slug


class Visitor(Browser):
    weight = int(os.environ.get("JOURNEY_VISITOR_WEIGHT", "2"))

    @task(3)
    def browse(self) -> None:
        self.client.get("/", name="home")
        page = self.search()
        slug = self.open_venue(page)
        if slug and random.random() < 0.5:
            self.client.get(random.choice(PLAN["bookable"][slug]), name="booking page")

    @task(1)
    def category(self) -> None:
        self.client.get(f"/c/{PLAN['category']}", name="category page")


class Customer(Browser):
    weight = int(os.environ.get("JOURNEY_CUSTOMER_WEIGHT", "3"))

    def on_start(self) -> None:
        n = next(_accounts)
        if n >= len(PLAN["customers"]):
            raise RuntimeError(f"only {len(PLAN['customers'])} customer accounts were seeded")
        self.email = PLAN["customers"][n]
        self.sign_in(self.email)
        self.journeys = 0

    @task
    def journey(self) -> None:
        page = self.search()
        slug = self.open_venue(page)
        book = random.choice(PLAN["bookable"][slug])
        slot = self.choose_time(book)
        if slot is None:
            events.request.fire(
                request_type="JOURNEY", name="no free time", response_time=0, response_length=0, exception=None
            )
            return
        service_id = book.rsplit("/", 1)[1]
        chosen = self.client.get(slot, name="booking page: a time").text  # the form for that time
        starts_at = STARTS_AT.search(chosen)
        if starts_at is None:  # taken since the day's times were read: the page says so
            events.request.fire(
                request_type="JOURNEY", name="journey lost", response_time=0, response_length=0, exception=None
            )
            return
        starts_at, token = starts_at.group(1), csrf(chosen)
        with self.client.post(
            "/cart/items",
            data={
                "csrf_token": token,
                "service_id": service_id,
                "starts_at": starts_at,
                "team_member_id": "",
                "quantity": "1",
            },
            allow_redirects=False,
            name="add to cart",
            catch_response=True,
        ) as added:
            if added.status_code not in (200, 303):
                added.failure(f"add to cart answered {added.status_code}")
                return
            added.success()
        cart = self.client.get("/cart", name="cart")
        with self.client.post(
            "/checkout",
            data={"csrf_token": csrf(cart.text)},
            allow_redirects=False,
            name="checkout",
            catch_response=True,
        ) as checked_out:
            location = checked_out.headers.get("Location", "")
            if checked_out.status_code == 303 and location.endswith("/cart"):
                checked_out.success()  # lost a race for that time: the cart page says which
                self.client.get("/cart", name="cart")
                self.clear_cart()
                events.request.fire(
                    request_type="JOURNEY", name="journey lost", response_time=0, response_length=0, exception=None
                )
                return
            if checked_out.status_code != 303 or "/orders/" not in location:
                checked_out.failure(f"checkout answered {checked_out.status_code} {location}")
                return
            checked_out.success()
        order = path_of(location)
        order_page = self.client.get(order, name="order page")
        with self.client.post(
            f"{order}/pay",
            data={"csrf_token": csrf(order_page.text)},
            allow_redirects=False,
            name="pay (start)",
            catch_response=True,
        ) as paying:
            gateway = paying.headers.get("Location", "")
            if paying.status_code != 303 or "/payments/demo/" not in gateway:
                paying.failure(f"pay answered {paying.status_code} {gateway}")
                return
            paying.success()
        demo = path_of(gateway)
        demo_page = self.client.get(demo, name="demo gateway page")
        with self.client.post(
            f"{demo}/pay",
            data={
                "csrf_token": csrf(demo_page.text),
                "card_number": "4242 4242 4242 4242",
                "expiry": "12/34",
                "cvc": "123",
            },
            allow_redirects=False,
            name="demo gateway: card",
            catch_response=True,
        ) as paid:
            if paid.status_code != 303:
                paid.failure(f"the card answered {paid.status_code}")
                return
            paid.success()
        self.client.get(path_of(paid.headers["Location"]), name="after paying")
        self.journeys += 1
        events.request.fire(
            request_type="JOURNEY", name="journey paid", response_time=0, response_length=0, exception=None
        )
        bookings = self.client.get("/bookings", name="my bookings")
        if self.journeys % CANCEL_ONE_IN == 0:
            self.cancel_one(bookings.text)

    def choose_time(self, book: str) -> str | None:
        """A free time's link from the day's slots (the booking page's HTMX fragment), trying a few days."""
        start_day = date.fromisoformat(PLAN["first_day"])
        for _ in range(4):
            day = start_day + timedelta(days=random.randrange(PLAN["days"]))
            fragment = self.client.get(f"{book}?day={day.isoformat()}", headers=HTMX_SLOTS, name="day's free times")
            slots = SLOT_LINK.findall(fragment.text)
            if slots:
                return unescape_url(random.choice(slots))
        return None

    def clear_cart(self) -> None:
        """Empty a cart whose item was taken, as the customer would, so the next try starts clean."""
        page = self.client.get("/cart", name="cart").text
        for item_id in set(re.findall(r'action="/cart/items/(\d+)/remove"', page)):
            self.client.post(
                f"/cart/items/{item_id}/remove",
                data={"csrf_token": csrf(page)},
                allow_redirects=False,
                name="remove from cart",
            )

    def cancel_one(self, bookings_page: str) -> None:
        """One of My bookings: its page, and if it offers a cancellation, the quote and the POST."""
        references = BOOKING_LINK.findall(bookings_page)
        if not references:
            return
        reference = random.choice(references)
        detail = self.client.get(f"/bookings/{reference}", name="booking page (customer)")
        if not CANCEL_LINK.search(detail.text):
            return  # not cancellable (yet): its payment is still being confirmed
        quote = self.client.get(f"/bookings/{reference}/cancel", name="cancel (quote)")
        with self.client.post(
            f"/bookings/{reference}/cancel",
            data={"csrf_token": csrf(quote.text)},
            allow_redirects=False,
            name="cancel",
            catch_response=True,
        ) as cancelled:
            if cancelled.status_code != 303:
                cancelled.failure(f"cancel answered {cancelled.status_code}")
                return
            cancelled.success()
        events.request.fire(
            request_type="JOURNEY", name="journey cancelled", response_time=0, response_length=0, exception=None
        )


class Staff(Browser):
    fixed_count = int(os.environ.get("JOURNEY_STAFF", "2"))
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.sign_in(PLAN["provider"])

    @task
    def calendar(self) -> None:
        day = date.fromisoformat(PLAN["calendar_day"]) + timedelta(days=random.randrange(7))
        self.client.get(f"/provider/calendar?view=day&date={day.isoformat()}", name="calendar (day)")
        week = self.client.get(f"/provider/calendar?view=week&date={day.isoformat()}", name="calendar (week)")
        ids = BOOKING_DETAIL.findall(week.text)
        if ids:
            self.client.get(f"/provider/bookings/{random.choice(ids)}", name="booking detail (staff)")
