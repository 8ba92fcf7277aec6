"""A booking's card on the provider calendar's day and week grids, written in Python rather than
in Jinja (templates/booking/calendar/_events.html places it; the few time blocks stay there).

Why: a busy week draws about 300 cards, and the same markup through the template was the largest
single cost of the week page (docs/front-desk.md, "The week grid"; docs/benchmarks.md, "Calendar
week grid"). Every value goes through ``escape`` (markupsafe, as Jinja's autoescape does); the
markup is what the template wrote, piece for piece. tests/web/test_calendar_cards.py checks every
part a card can have, the viewer's rights and the escaping; tests/booking/test_calendar_cards.py
what the cards say on a real calendar.

What a card shows: its time and its stage or status, the client and what the desk should know of
them (icons with their words for screen readers and a tooltip), the service and option, the money,
rooms and processing, one line each, the whole card in the link's one title; then its buttons:
move (dragging too: the ``data-*`` attributes), stage (the page's one menu) and the client card.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from app.booking.calendar_view import CalendarEvent

CHANNEL_ICONS = {"online": "bi-globe2", "desk": "bi-person-workspace", "site": "bi-window"}
STAGE_ICONS = {"arrived": "bi-person-check", "started": "bi-play-circle"}


def placement(event: CalendarEvent) -> str:
    """Its place on the grid (app/booking/calendar_grid.py); a 15 or 30 minute card is short."""
    short = " cal-short" if event.span <= 2 else ""
    return f"cal-row-{event.row} cal-span-{event.span} cal-lane-{event.lane}{short}"


def _flag(key: str, value: str, words: str, icon: str, extra: str = "") -> str:
    said = escape(words)
    return (
        f'<span class="cal-flag{extra}" data-{key}="{value}" title="{said}"><i class="bi {icon}" aria-hidden="true">'
        f'</i><span class="visually-hidden">{said}</span></span>'
    )


def _line(kind: str, icon: str, text: str, *, hidden: str = "") -> str:
    """One of the card's last lines, its icon first: the rooms it holds, its processing time."""
    said, label = escape(text), f'<span class="visually-hidden">{escape(hidden)}</span>' if hidden else ""
    return (
        f' <span class="cal-line cal-event-{kind}" data-{kind} title="{said}"><i class="bi {icon}" aria-hidden="true">'
        f"</i>{label} {said}</span>"
    )


def booking_card(event: CalendarEvent, words: dict[str, Any], can_move: bool, can_stage: bool) -> Markup:
    """The card's markup. ``words``: the page's card_words() (app/booking/calendar_view.py);
    ``can_move``, ``can_stage``: what the viewer may do, asked once for the page."""
    e = escape
    movable = event.movable and can_move
    service = event.title + (f" × {event.quantity}" if event.quantity > 1 else "")
    money = event.payment or event.price
    customer, time, tone_label = e(event.customer), e(event.time_label), e(event.tone_label)
    url = e(event.url)

    drag = ""
    if movable:
        label = e(f"{event.title}, {event.customer}")
        drag = (
            f' data-movable data-date="{event.starts.date().isoformat()}" data-time="{event.starts:%H:%M}"'
            f' data-member="{event.member_id or ""}" data-label="{label}"'
        )
    tooltip = e(" · ".join([event.time_label, event.tone_label, event.customer, service] + ([money] if money else [])))
    if event.pending_request:
        pending = e(words["pending"])
        stage = f'<span class="badge text-bg-warning cal-event-request" data-pending-request>{pending}</span>'
    else:
        stage = tone_label

    flags = []
    if event.channel in CHANNEL_ICONS:
        flags.append(_flag("channel", event.channel, words[event.channel], CHANNEL_ICONS[event.channel]))
    if event.new_client:
        flags.append(_flag("flag", "new-client", words["new_client"], "bi-stars", " cal-flag-new"))
    if event.has_notes:
        flags.append(_flag("flag", "notes", words["notes"], "bi-sticky"))
    if event.has_intake:
        flags.append(_flag("flag", "intake", words["intake"], "bi-clipboard-check"))

    lines = []
    if money:
        lines.append(f' <span class="cal-line cal-event-money" data-payment>{e(money)}</span>')
    if event.rooms:
        lines.append(_line("rooms", "bi-door-open", event.rooms, hidden=words["rooms"]))
    if event.processing:
        lines.append(_line("processing", "bi-hourglass-split", words["processing"] % {"time": event.processing}))

    buttons = []
    if movable:
        what = e(f"{words['move']} {event.title}, {event.customer}, {event.time_label}")
        buttons.append(
            f'<a class="cal-move-btn btn btn-sm btn-light" href="{url}#move" data-move-open="{event.id}"'
            f' title="{e(words["move"])}"><i class="bi bi-arrows-move" aria-hidden="true"></i>'
            f'<span class="visually-hidden">{what}</span></a>'
        )
    if event.can_stage and can_stage:
        booking = f"{event.customer}, {event.time_label}"
        title = e(words["stage"] % {"stage": event.tone_label})
        change = e(words["change_stage"] % {"booking": booking, "stage": event.tone_label})
        buttons.append(
            f'<button type="button" class="cal-stage-btn btn btn-sm btn-light" popovertarget="cal-stage-menu"'
            f' data-stage-open="{event.id}" data-stage="{e(event.stage)}" data-stage-booking="{e(booking)}"'
            f' title="{title}"><i class="bi {STAGE_ICONS.get(event.stage, "bi-calendar-check")}" aria-hidden="true">'
            f'</i><span class="visually-hidden">{change}</span></button>'
        )
    if event.client_url:
        said = e(words["client_card"] % {"name": event.customer})
        buttons.append(
            f'<a class="cal-client-btn btn btn-sm btn-light" href="{e(event.client_url)}" data-client-card>'
            f'<i class="bi bi-person-vcard" aria-hidden="true"></i><span class="visually-hidden">{said}</span></a>'
        )

    return Markup(  # noqa: S704  every value above went through escape()
        f'<li class="cal-event cal-booking cal-status-{e(event.status)} cal-tone-{e(event.tone)} {placement(event)}"'
        f' data-booking-id="{event.id}"{drag}><a class="cal-event-link" href="{url}" title="{tooltip}">\n'
        f'<span class="cal-line cal-line-time"><time class="cal-event-time" datetime="{event.starts.isoformat()}">'
        f'{time}</time>\n<span class="cal-event-status" data-tone="{e(event.tone)}">{stage}</span></span>\n'
        f'<span class="cal-line cal-line-who"><span class="cal-event-customer">{customer}</span>\n'
        f'<span class="cal-flags">{"".join(flags)}</span></span>\n'
        f'<span class="cal-line cal-event-title">{e(service)}</span>{"".join(lines)}\n'
        f"</a>{''.join(buttons)}\n</li>\n"
    )
