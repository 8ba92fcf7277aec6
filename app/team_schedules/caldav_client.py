"""Talking to a CalDAV server (the ``caldav`` client) in plain values: list the calendars of an
account, read its busy events between two times, write and delete our own events.

Every failure (unreachable, refused, timed out, not a calendar) becomes ``CalendarUnreachable``
with a message a person can act on; nothing else leaves this module. Short timeouts: a slow
server delays one member's sync, never a booking (bookings never call this module).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo

import caldav
from caldav.lib import error as caldav_error
from flask_babel import gettext as _

TIMEOUT_SECONDS = 10


class CalendarUnreachable(Exception):
    """The calendar could not be reached or read; ``message`` says why, for the member."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CalendarAccount:
    url: str
    username: str
    password: str


@dataclass(frozen=True)
class BusyEvent:
    uid: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class OutgoingEvent:
    """One of our bookings as an event in the member's calendar."""

    booking_id: int
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str


def _client(account: CalendarAccount) -> caldav.DAVClient:
    return caldav.DAVClient(
        account.url,
        username=account.username or None,
        password=account.password or None,
        timeout=TIMEOUT_SECONDS,
        require_tls=False,  # the URL's own scheme decides; http is refused for public hosts by the service
        enable_rfc6764=False,  # no DNS discovery: the URL given is the one used
    )


def _explain(exc: Exception) -> CalendarUnreachable:
    if isinstance(exc, CalendarUnreachable):
        return exc
    if isinstance(exc, caldav_error.AuthorizationError):
        return CalendarUnreachable(_("401 Unauthorized — check your username and password."))
    if isinstance(exc, caldav_error.NotFoundError):
        return CalendarUnreachable(_("404 Not Found — check the calendar address."))
    if isinstance(exc, caldav_error.DAVError):
        return CalendarUnreachable(_("The server answered with an error — check the calendar address."))
    if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        return CalendarUnreachable(_("The server did not answer within %(s)d seconds.", s=TIMEOUT_SECONDS))
    return CalendarUnreachable(_("The server could not be reached — check the address."))


def _calendar(client: caldav.DAVClient, url: str) -> caldav.Calendar:
    """The calendar at ``url`` when it is one, else the account's first calendar."""
    calendar = client.calendar(url=url)
    try:
        calendar.get_supported_components()
        return calendar
    except caldav_error.DAVError:
        pass
    calendars = client.principal().calendars()
    if not calendars:
        raise CalendarUnreachable(_("The account has no calendar. Create one, or enter a calendar's address."))
    return calendars[0]


def list_calendars(account: CalendarAccount) -> list[str]:
    """The names of the account's calendars (the one the URL names first): a connection test."""
    try:
        client = _client(account)
        chosen = _calendar(client, account.url)
        names = [chosen.get_display_name() or str(chosen.url)]
        try:
            others = client.principal().calendars()
        except caldav_error.DAVError:
            others = []
        names += [c.get_display_name() or str(c.url) for c in others if str(c.url) != str(chosen.url)]
        return names
    except Exception as exc:  # any failure of a remote server is the member's to fix
        raise _explain(exc) from exc


def _moment(value: datetime | date, zone: tzinfo) -> datetime:
    """A start or end in UTC; a floating time or an all-day event's date is local to ``zone``."""
    if isinstance(value, datetime):
        return (value.replace(tzinfo=zone) if value.tzinfo is None else value).astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)


def fetch_busy(account: CalendarAccount, start: datetime, end: datetime, zone: tzinfo = UTC) -> list[BusyEvent]:
    """The calendar's events between ``start`` and ``end`` (recurrences expanded), skipping
    those marked free (TRANSP:TRANSPARENT); floating and all-day times are read in ``zone``."""
    try:
        calendar = _calendar(_client(account), account.url)
        found = calendar.search(start=start, end=end, event=True, expand=True)
        busy = []
        for item in found:
            component = item.icalendar_component
            if str(component.get("transp", "OPAQUE")).upper() == "TRANSPARENT":
                continue
            starts = component.get("dtstart")
            ends = component.get("dtend")
            if starts is None:
                continue
            starts_at = _moment(starts.dt, zone)
            ends_at = _moment(ends.dt, zone) if ends is not None else starts_at
            if ends_at <= starts_at:
                continue
            busy.append(BusyEvent(uid=str(component.get("uid", "")), starts_at=starts_at, ends_at=ends_at))
        return busy
    except Exception as exc:  # any failure of a remote server is the member's to fix
        raise _explain(exc) from exc


def _ics(event: OutgoingEvent, now: datetime) -> str:
    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    summary = event.summary.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", " ")
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//CozyWish//Calendar sync//EN",
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp(now)}",
            f"DTSTART:{stamp(event.starts_at)}",
            f"DTEND:{stamp(event.ends_at)}",
            f"SUMMARY:{summary}",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


def write_events(
    account: CalendarAccount, put: list[OutgoingEvent], delete: list[str], now: datetime
) -> dict[str, str]:
    """Create or replace ``put`` and delete the events of the uids in ``delete`` (one already
    gone is fine); the etag of each written event by uid ("" when the server sends none)."""
    try:
        calendar = _calendar(_client(account), account.url)
        etags = {}
        for event in put:
            saved = calendar.save_event(_ics(event, now))
            etags[event.uid] = str(getattr(saved, "props", {}).get("{DAV:}getetag", "") or "")
        for uid in delete:
            with contextlib.suppress(caldav_error.NotFoundError):
                calendar.get_event_by_uid(uid).delete()
        return etags
    except Exception as exc:  # any failure of a remote server is the member's to fix
        raise _explain(exc) from exc
