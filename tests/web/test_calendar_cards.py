"""A booking card's markup, written in Python for speed (app/web/calendar_cards.py): every part a
card can have, the viewer's rights, and every value escaped (a client may call themselves
anything). What the cards say on a real calendar is tests/booking/test_calendar_cards.py's."""

from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from app.booking.calendar_view import CalendarEvent, card_words
from app.web.calendar_cards import booking_card, placement

LONDON = ZoneInfo("Europe/London")
HOSTILE = '<script>alert("x")</script> & Co'


class Tags(HTMLParser):
    """The tags and text of a fragment, checking that it is well nested."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.open.pop() == tag

    def handle_data(self, data):
        self.text.append(data)


def parse(markup: str) -> Tags:
    tags = Tags()
    tags.feed(markup)
    tags.close()
    assert tags.open == []
    return tags


def an_event(**fields) -> CalendarEvent:
    base = {
        "kind": "booking",
        "id": 42,
        "starts": datetime(2026, 12, 1, 10, 0, tzinfo=LONDON),
        "ends": datetime(2026, 12, 1, 11, 0, tzinfo=LONDON),
        "title": "Massage (90 min)",
        "time_label": "10:00–11:00",
        "member_id": 7,
        "customer": "Ana Costa",
        "quantity": 1,
        "status": "confirmed",
        "url": "/provider/bookings/42",
        "movable": True,
        "client_url": "/provider/clients/9",
        "stage": "booked",
        "can_stage": True,
        "tone": "booked",
        "tone_label": "Booked",
        "price": "£60",
        "payment": "£20 paid · £40 due",
        "channel": "desk",
        "row": 5,
        "span": 4,
        "lane": 2,
    }
    return CalendarEvent(**{**base, **fields})


def test_a_card_with_every_part(app):
    with app.test_request_context():
        words = card_words()
        event = an_event(
            new_client=True, has_notes=True, has_intake=True, rooms="Room 2", processing="10:30–10:45", quantity=2
        )
        tags = parse(booking_card(event, words, True, True))
    first, attrs = tags.tags[0]
    assert first == "li" and attrs["data-booking-id"] == "42"
    assert attrs["class"].split() == [
        "cal-event", "cal-booking", "cal-status-confirmed", "cal-tone-booked", "cal-row-5", "cal-span-4", "cal-lane-2"
    ]  # fmt: skip
    assert (attrs["data-date"], attrs["data-time"], attrs["data-member"]) == ("2026-12-01", "10:00", "7")
    assert "data-movable" in attrs
    link = next(a for t, a in tags.tags if t == "a")  # the card's link, before its buttons
    assert link["title"] == "10:00–11:00 · Booked · Ana Costa · Massage (90 min) × 2 · £20 paid · £40 due"
    flags = [
        a.get("data-channel") or a.get("data-flag")
        for t, a in tags.tags
        if "cal-flag" in (a.get("class") or "").split()
    ]
    assert flags == ["desk", "new-client", "notes", "intake"]
    text = " ".join("".join(tags.text).split())
    for said in ("Massage (90 min) × 2", "£20 paid · £40 due", "Room 2", "Processing 10:30–10:45", "Booked"):
        assert said in text
    buttons = [a["class"].split()[0] for t, a in tags.tags if t in ("a", "button") and "btn" in a.get("class", "")]
    assert buttons == ["cal-move-btn", "cal-stage-btn", "cal-client-btn"]
    stage = next(a for t, a in tags.tags if t == "button")
    assert stage["data-stage-open"] == "42" and stage["popovertarget"] == "cal-stage-menu"
    assert "Stage of Ana Costa, 10:00–11:00: Booked. Change it" in text


def test_without_the_rights_there_are_no_move_or_stage_buttons(app):
    with app.test_request_context():
        tags = parse(booking_card(an_event(), card_words(), False, False))
    attrs = tags.tags[0][1]
    assert "data-movable" not in attrs and "data-date" not in attrs
    classes = [a.get("class", "") for t, a in tags.tags]
    assert not any("cal-move-btn" in c or "cal-stage-btn" in c for c in classes)
    assert any("cal-client-btn" in c for c in classes)  # the client card is for everyone who sees the card


def test_a_pending_request_says_so_and_a_short_card_is_marked(app):
    with app.test_request_context():
        event = an_event(pending_request=True, span=2)
        tags = parse(booking_card(event, card_words(), True, True))
    assert "cal-short" in tags.tags[0][1]["class"].split()
    assert placement(event).endswith(" cal-short")
    assert any("data-pending-request" in a for t, a in tags.tags)
    assert "Pending request" in "".join(tags.text)


def test_every_value_is_escaped(app):
    with app.test_request_context():
        event = an_event(customer=HOSTILE, title=HOSTILE, rooms=HOSTILE, payment=HOSTILE, url='/x" onclick="y')
        markup = str(booking_card(event, card_words(), True, True))
    assert "<script>" not in markup
    assert 'onclick="y' not in markup
    tags = parse(markup)
    assert [t for t, _ in tags.tags].count("script") == 0
    assert HOSTILE in "".join(tags.text)  # shown as text, whole
    assert tags.tags[0][1]["data-label"] == f"{HOSTILE}, {HOSTILE}"
