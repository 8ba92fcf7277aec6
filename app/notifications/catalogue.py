"""Every kind of notice CozyWish sends, each declared once (telling.py says how).

Each declaration names its in-app notice's kind, the preference that governs its email and
text, its email template and whether it has a text version; its function writes what one
person is told, and its key (the repeat window) makes it once per person. The modules that
react to events (confirmations.py, cancellations.py, activity.py...) only choose who is told
what, and when: ``catalogue.cancelled.send(customer, booking=booking, by="venue")``.

Words are read in the recipient's language where they always were: lazy titles and subjects
and the notice's body when they are written, the dates an email formats inside
``speaking_to``. A text message's words are as they always were too: English, in the
sender's formats. An email's values are a function where building them is work (a calendar
file, the booking's terms) or reads the database: that work is done only when the email goes.

One module on purpose, near 500 lines: everything CozyWish tells people, read in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.accounts.models import User
from app.booking.ics import calendar
from app.booking.lifecycle import booking_time_short
from app.booking.models import Booking, Order
from app.booking.policy import describe_booking_rules
from app.booking.presenting import MEMBER_ARG
from app.clients.models import VenueClient
from app.notifications.telling import Address, Told, declare, site_path, site_url
from app.payments.desk_links import link_hours
from app.payouts.accounts import get_account, status_of, takes_paid_bookings
from app.payouts.models import AccountStatus
from app.platform import timefmt
from app.platform.email import speaking_to
from app.platform.money import format_money
from app.platform.urls import absolute_url
from app.privacy.consent import unsubscribe_token
from app.reviews.models import ReviewReport
from app.venues.deposits import booking_paid_label
from app.venues.models import Venue
from app.waitlist.models import WaitlistOffer

# -- a customer's bookings ---------------------------------------------------------------------


@declare(in_app="booking_confirmed", preference="booking_confirmations", email="booking_confirmed", sms=True)
def booked(customer: User, *, order: Order) -> Told:
    """A paid order's bookings, to its customer: the confirmation carries the receipt and the
    calendar file (a customer who turned it off gets the ``receipt`` alone: confirmations.py)."""
    bookings, venues = order.bookings, ", ".join(sorted({b.venue.name for b in order.bookings}))
    link = (
        site_path("booking.booking_detail", reference=bookings[0].reference)
        if len(bookings) == 1
        else site_path("booking.my_bookings")
    )

    def email() -> dict[str, object]:
        ics = calendar(bookings, name="CozyWish bookings")
        with speaking_to(customer):  # dates and policies in the customer's language
            rows = [(b, timefmt.local_start(b), _terms_line(b)) for b in bookings]
        return {
            "subject": _l(
                "Booked: %(venues)s (receipt %(receipt_number)s)", venues=venues, receipt_number=order.receipt_number
            ),
            "order": order,
            "bookings": rows,
            "bookings_url": absolute_url("booking.my_bookings"),
            "receipt_url": absolute_url("payments.receipt", order_id=order.id),
            "attachment": ("cozywish-booking.ics", ics, "text/calendar"),
        }

    booked_text = "; ".join(
        f"{b.service.name} at {b.venue.name}, {booking_time_short(b)} (ref {b.reference})" for b in bookings
    )
    return Told(
        title=_l("Booked: %(venues)s", venues=venues),
        body=lambda: "\n".join(f"{b.service.name}, {booking_time_short(b)} (ref {b.reference})" for b in bookings),
        link=link,
        key=f"order-paid:{order.id}",
        email=email,
        sms=f"CozyWish: booked. {booked_text}. Details: {absolute_url('booking.my_bookings')}",
    )


def _terms_line(booking: Booking) -> str:
    """What was paid online and is due at the venue (if anything is), then the policy and fees."""
    policy = describe_booking_rules(booking)
    paid = booking_paid_label(booking)
    return f"{paid}. {policy}" if paid else policy


@declare(email="receipt")
def receipt(customer: User, *, order: Order) -> Told:
    """A payment's receipt, always by email: it is the record of a payment, not a choice."""
    return Told(
        title=_l("Receipt %(receipt_number)s from CozyWish", receipt_number=order.receipt_number),
        email={"order": order, "receipt_url": absolute_url("payments.receipt", order_id=order.id)},
    )


@declare(email="booking_request_accepted")
def request_accepted(customer: User, *, booking: Booking) -> Told:
    """A request-to-book the venue accepted, to its customer, always by email."""

    def email() -> dict[str, object]:
        with speaking_to(customer):  # the date in the customer's language
            when = timefmt.local_start(booking)
        return {
            "booking": booking,
            "when": when,
            "booking_url": absolute_url("booking.booking_detail", reference=booking.reference),
        }

    return Told(
        title=_l("Confirmed: %(service)s at %(venue)s", service=booking.service.name, venue=booking.venue.name),
        email=email,
    )


@declare(email="desk_booking_confirmed", sms=True)
def desk_booked(customer: User | None, *, booking: Booking, client: VenueClient, pay_url: str | None) -> Told:
    """A booking made at the front desk, to its client at the addresses the desk took: by email
    when it has theirs, by text when it has their phone number and a real SMS gateway is set
    (``SMS_GATEWAY``); with the payment link when the desk chose one. ``customer`` is the
    client's account, if they have one (the email's language)."""
    email, phone = client.email, client.phone
    pay = f"Pay online: {pay_url} (or at the venue)." if pay_url else "Pay at the venue."
    texts = phone and current_app.config.get("SMS_GATEWAY")
    return Told(
        title=_l("Booked: %(service)s at %(venue)s", service=booking.service.name, venue=booking.venue.name),
        email={
            "client_name": client.name,
            "booking": booking,
            "pay_url": pay_url,
            "link_hours": link_hours(),
        },
        sms=(
            f"{booking.venue.name}: booked {booking.service.name}, {booking_time_short(booking)} "
            f"(ref {booking.reference}). {pay}"
            if texts
            else None
        ),
        to=Address(email=email, number=phone),
    )


@declare(in_app="changes", preference="changes", email="booking_cancelled", sms=True)
def cancelled(customer: User, *, booking: Booking, by: str) -> Told:
    """A cancelled booking (``by`` the customer or the venue), to its customer."""
    what = _what(booking)
    title = _l("Cancelled: %(service)s at %(venue)s", **what)
    link = site_path("booking.booking_detail", reference=booking.reference)
    return _cancellation(customer, booking, by, title=title, subject=title, link=link)


@declare(in_app="venue_activity", preference="venue_activity", email="booking_cancelled", sms=True)
def cancelled_for_venue(person: User, *, booking: Booking, by: str) -> Told:
    """A cancelled booking, to one of the venue's people (activity.venue_recipients)."""
    what = _what(booking)
    title = (
        _l("Cancelled by the customer: %(service)s (ref %(reference)s)", **what)
        if by == "customer"
        else _l("Cancelled by the venue: %(service)s (ref %(reference)s)", **what)
    )
    link = site_path("venues_dashboard.booking_details", booking_id=booking.id)
    return _cancellation(person, booking, by, title=title, subject=_l("Cancelled: %(reference)s", **what), link=link)


def _cancellation(person: User, booking: Booking, by: str, *, title: object, subject: object, link: str) -> Told:
    """Once per person and booking; the email carries the calendar file that removes the entry."""

    def email() -> dict[str, object]:
        with speaking_to(person):  # the date in the recipient's language
            when = timefmt.local_start(booking)
        ics = calendar([booking], name="CozyWish bookings")
        return {
            "subject": subject,
            "booking": booking,
            "by": by,
            "when": when,
            "attachment": ("cozywish-cancellation.ics", ics, "text/calendar"),
        }

    return Told(
        title=title,
        body=lambda: booking_time_short(booking),
        link=link,
        key=f"cancelled:{booking.id}",
        email=email,
        sms=(
            f"CozyWish: cancelled {booking.service.name} at {booking.venue.name}, "
            f"{booking_time_short(booking)} (ref {booking.reference})."
        ),
    )


def _what(booking: Booking) -> dict[str, str]:
    return {"service": booking.service.name, "venue": booking.venue.name, "reference": booking.reference}


@declare(in_app="changes", email="booking_rescheduled")
def moved(customer: User, *, booking: Booking, move: dict[str, object], key: str, by: str) -> Told:
    """A moved booking, to its customer, always by email (the new time and the updated
    calendar entry are not a choice). ``move`` is the email's account of it (``move_account``)."""
    what = _what(booking)
    title = (
        _l("Moved by the venue: %(service)s at %(venue)s", **what)
        if by == "venue"
        else _l("Moved: %(service)s at %(venue)s", **what)
    )
    return Told(
        title=title,
        body=lambda: booking_time_short(booking),
        link=site_path("booking.booking_detail", reference=booking.reference),
        key=key,
        email={**move, "for_venue": False},
    )


@declare(in_app="venue_activity", preference="venue_activity", email="booking_rescheduled")
def moved_by_customer(person: User, *, booking: Booking, move: dict[str, object], key: str) -> Told:
    """A customer's move, to one of the venue's people; by email if they chose it, no text."""
    what = _what(booking)
    return Told(
        title=_l("Moved by the customer: %(service)s (ref %(reference)s)", **what),
        body=lambda: booking_time_short(booking),
        link=site_path("venues_dashboard.booking_details", booking_id=booking.id),
        key=key,
        email={
            **move,
            "subject": _l("Moved by the customer: %(reference)s", reference=booking.reference),
            "for_venue": True,
        },
    )


def move_account(
    booking: Booking, from_starts_at: datetime, *, moved_by: str, refunded_minor: int, paid_minor: int
) -> dict[str, object]:
    """The email's account of a move, built once for everyone told: the old time, money back
    or paid, the calendar file."""
    zone = timefmt.venue_zone(booking.venue.timezone)
    return {
        "booking": booking,
        "moved_by": moved_by,
        "old_when": timefmt.venue_span_label(
            from_starts_at, from_starts_at + (booking.ends_at - booking.starts_at), zone.key
        ),
        "refund": format_money(refunded_minor, booking.currency) if refunded_minor else None,
        "top_up": format_money(paid_minor, booking.currency) if paid_minor else None,
        "booking_url": absolute_url("booking.booking_detail", reference=booking.reference),
        "attachment": ("cozywish-booking.ics", calendar([booking], name="CozyWish bookings"), "text/calendar"),
    }


@declare(preference="reminders", email="booking_reminder", sms=True)
def reminder(customer: User, *, booking: Booking, message: dict[str, object], key: str) -> Told:
    """A reminder before an appointment (reminders.py writes ``message`` and sends each channel
    once, on its own row): the text goes at once under ``key``, in the reminder's transaction."""
    subject = _l(
        "Reminder: %(service_name)s at %(venue_name)s, %(when)s",
        service_name=booking.service.name,
        venue_name=booking.venue.name,
        when=message["when"],
    )
    if message.get("visit"):  # a visit's one reminder (reminders.py lists its treatments)
        subject = _l(
            "Reminder: your visit at %(venue_name)s, %(when)s", venue_name=booking.venue.name, when=message["when"]
        )
    return Told(title=subject, email={"booking": booking, **message}, sms=str(message["sms"]), sms_key=key)


@declare(preference="reviews", email="review_request", sms=True)
def review_request(customer: User, *, booking: Booking) -> Told:
    """After a visit, the one request for a review (review_requests.py makes it once)."""
    link = absolute_url("booking.review_booking", reference=booking.reference)

    def email() -> dict[str, object]:
        with speaking_to(customer):
            when = timefmt.local_start(booking)
        return {"booking": booking, "when": when, "review_url": link}

    return Told(
        title=_l("How was %(service)s at %(venue)s?", service=booking.service.name, venue=booking.venue.name),
        email=email,
        sms=f"CozyWish: how was {booking.service.name} at {booking.venue.name}? Leave a review: {link}",
    )


def _come_back(customer: User, booking: Booking, kind: str) -> dict[str, object]:
    """What an invitation back after a visit (``kind``: "rebook" or "win_back") shows: the visit,
    and "Book with <the same person> again" (the booking page's ``?with=``) when its team member
    still does that service (templates/emails/come_back.*)."""
    member = booking.team_member if booking.team_member_id and booking.service in booking.team_member.services else None
    wanted = {MEMBER_ARG: member.id} if member is not None else {}
    with speaking_to(customer):
        when = timefmt.local_start(booking)
    return {
        "kind": kind,
        "booking": booking,
        "when": when,
        "member": member.name if member else None,
        "book_url": absolute_url("booking.book", slug=booking.venue.slug, service_id=booking.service_id, **wanted),
        "unsubscribe_url": absolute_url("privacy.unsubscribe", token=unsubscribe_token(customer.id)),
    }


@declare(preference="marketing", email="come_back")
def rebook_nudge(customer: User, *, booking: Booking) -> Told:
    """N weeks after a visit, the invitation back (return_messages.py: once, with consent only)."""
    return Told(
        title=_l(
            "Time for your next %(service)s at %(venue)s?", service=booking.service.name, venue=booking.venue.name
        ),
        email=lambda: _come_back(customer, booking, "rebook"),
    )


@declare(preference="marketing", email="come_back")
def win_back(customer: User, *, booking: Booking) -> Told:
    """M months after the last visit at a venue, the one message to win them back."""
    return Told(
        title=_l("We'd love to see you again at %(venue)s", venue=booking.venue.name),
        email=lambda: _come_back(customer, booking, "win_back"),
    )


@declare(preference="marketing", email="birthday_message")
def birthday_message(customer: User, *, venue: Venue) -> Told:
    """On their birthday, a greeting from a venue they visited (once a year)."""
    return Told(
        title=_l("Happy birthday from %(venue)s", venue=venue.name),
        email=lambda: {
            "venue": venue,
            "venue_url": absolute_url("venues_public.venue_page", slug=venue.slug),
            "unsubscribe_url": absolute_url("privacy.unsubscribe", token=unsubscribe_token(customer.id)),
        },
    )


@declare(in_app="reviews", preference="reviews", email="review_news", sms=True)
def review_news(customer: User, *, title: object, body: str, link: str, key: str, sms: str) -> Told:
    """What happens to a customer's review, to its author: the venue's first answer, the
    admins' decision on a report of it."""
    return Told(
        title=title,
        body=body,
        link=link,
        key=key,
        email={"lines": [body] if body else [], "link_url": site_url(link)},
        sms=f"CozyWish: {sms}",
    )


@declare(in_app="waitlist_offer", preference="waitlist_offers", email="waitlist_offer", sms=True)
def waitlist_offer(customer: User, *, offer: WaitlistOffer) -> Told:
    """A reopened time held for a customer on the waitlist, until the offer runs out. The in-app
    banner shows it whatever they chose; email by default, a text if they turned SMS on."""
    service = offer.service
    zone = timefmt.venue_zone(service.venue.timezone)
    until = timefmt.moment_label(offer.expires_at, zone)
    return Told(
        title=_l(
            "A time opened up: %(service_name)s at %(venue_name)s",
            service_name=service.name,
            venue_name=service.venue.name,
        ),
        body=lambda: _("Yours until %(until)s.", until=timefmt.moment_label(offer.expires_at, zone)),
        link=site_path("waitlist.mine"),
        key=f"waitlist-offer:{offer.id}",
        email=lambda: {
            "service": service,
            "when": timefmt.span_label(offer.starts_at, offer.ends_at, zone),
            "timezone": zone.key,
            "member": offer.team_member.name if offer.team_member else None,
            "minutes": current_app.config["WAITLIST_OFFER_MINUTES"],
            "until": until,
            "waitlist_url": absolute_url("waitlist.mine"),
        },
        sms=(
            f"CozyWish: a time opened up for {service.name} at {service.venue.name}, "
            f"{timefmt.moment_label(offer.starts_at, zone)}. It's yours until {until}: "
            f"{absolute_url('waitlist.mine')}"
        ),
    )


MESSAGE_EXCERPT = 300  # characters of a message a notice repeats


@declare(in_app="message", preference="changes", email="booking_message")
def new_message(person: User, *, booking: Booking, message_id: int, body: str, for_venue: bool) -> Told:
    """A new message in a booking's thread, to the other side: a notice in the app, always, that
    opens the thread (once per message: its key), and an email when their "Changes and
    cancellations" email is on (a message is about a booking, like a change to it)."""
    link = (
        site_path("venues_dashboard.booking_details", booking_id=booking.id)
        if for_venue
        else site_path("booking.booking_detail", reference=booking.reference)
    ) + "#messages"
    title = (
        _l(
            "New message from %(customer)s about %(reference)s",
            customer=booking.customer.name,
            reference=booking.reference,
        )
        if for_venue
        else _l("New message from %(venue)s about your booking", venue=booking.venue.name)
    )
    excerpt = body if len(body) <= MESSAGE_EXCERPT else body[: MESSAGE_EXCERPT - 1].rstrip() + "…"
    return Told(
        title=title,
        body=excerpt,
        link=link,
        key=message_key(booking.id, message_id),
        email={
            "booking": booking,
            "for_venue": for_venue,
            "sender_name": booking.customer.name if for_venue else booking.venue.name,
            "body": body,
            "thread_url": site_url(link),
        },
    )


def message_key(booking_id: int, message_id: int) -> str:
    """The key of a message's notice: ``message_keys(booking_id)`` finds every one of a thread."""
    return f"{message_keys(booking_id)}{message_id}"


def message_keys(booking_id: int) -> str:
    """What the keys of every message notice of a booking's thread start with."""
    return f"message:{booking_id}:"


# -- a venue's people ---------------------------------------------------------------------------


@declare(in_app="venue_activity", preference="venue_activity", email="venue_activity", sms=True)
def venue_activity(
    person: User,
    *,
    title: object,
    link: str,
    key: str,
    body: object = "",
    lines: Callable[[], list[str]] | None = None,
    sms: str | None = None,
) -> Told:
    """What happens at a venue (a booking, a review, a payout, a report's decision), to one of
    its people (activity.tell_venue): the email is the notice itself, its lines and its link."""
    with speaking_to(person):
        text_lines = lines() if lines else []
        notice_body = "\n".join([str(body), *text_lines]).strip() if body or text_lines else ""
    return Told(
        title=title,
        body=notice_body,
        link=link,
        key=key,
        email={"lines": notice_body.splitlines(), "link_url": site_url(link)},
        sms=f"CozyWish: {sms}" if sms else None,
    )


@declare(preference="daily_agenda", email="venue_agenda")
def agenda(person: User, *, venue: Venue, day: date, bookings: list[Booking]) -> Told:
    """Tomorrow's confirmed bookings, each evening, to the venue's people who asked for it
    (email only; agenda.py sends it once per venue and day)."""
    zone = timefmt.venue_zone(venue.timezone)
    with speaking_to(person):
        rows = [
            {
                "time": timefmt.time_span_label(b.starts_at, b.ends_at, zone),
                "service": b.service.name,
                "customer": b.customer.first_name,
                "member": b.team_member.name if b.team_member else None,
                "quantity": b.quantity,
                "reference": b.reference,
            }
            for b in bookings
        ]
        day_label = timefmt.day_words(day, "EEEE d MMMM")
        subject = ngettext(
            "Tomorrow at %(venue)s: %(num)d booking",
            "Tomorrow at %(venue)s: %(num)d bookings",
            len(bookings),
            venue=venue.name,
        )
    return Told(
        title=subject,
        email={
            "venue": venue,
            "day_label": day_label,
            "rows": rows,
            "calendar_url": absolute_url("venues_dashboard.calendar"),
        },
    )


@declare(email="venue_decision")
def listing_decided(owner: User, *, venue: Venue, action: str, reason: str) -> Told:
    """An admin's decision on a listing, to its owner, always by email. A live listing whose
    payouts aren't set up yet hears what is still needed for customers to book it online (or
    for us to pay the owner), with the link to set them up."""
    subjects = {
        "approve": _l("%(venue)s is live on CozyWish", venue=venue.name),
        "reject": _l("%(venue)s needs a few changes", venue=venue.name),
        "suspend": _l("%(venue)s has been suspended", venue=venue.name),
        "reinstate": _l("%(venue)s is live again", venue=venue.name),
    }
    return Told(
        title=subjects[action],
        email={
            "venue": venue,
            "action": action,
            "reason": reason,
            "venue_url": absolute_url("venues_public.venue_page", slug=venue.slug),
            "dashboard_url": absolute_url("venues_dashboard.home"),
            "bookable": takes_paid_bookings(venue.id),
            "payouts_done": status_of(get_account(venue.id)) == AccountStatus.ENABLED,
            "payouts_url": absolute_url("venues_dashboard.payouts"),
        },
    )


# -- the admins: in-app notices only -------------------------------------------------------------


@declare(in_app="listing_submitted")
def listing_submitted(admin: User, *, venue: Venue) -> Told:
    """A listing an owner submitted for approval, to each admin."""
    stamp = venue.submitted_at.isoformat() if venue.submitted_at else ""
    return Told(
        title=_l("%(venue)s was submitted for approval", venue=venue.name),
        link=site_path("admin.venue_preview", venue_id=venue.id),
        key=f"submitted:{venue.id}:{stamp}",
    )


@declare(in_app="review_reported")
def review_reported(admin: User, *, report: ReviewReport) -> Told:
    """A review a venue reported, to each admin."""
    return Told(
        title=_l("%(venue)s reported a review", venue=report.venue.name),
        body=report.details[:300],
        link=site_path("admin.review_reports"),
        key=f"review-report:{report.id}",
    )
