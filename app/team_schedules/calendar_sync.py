"""Two-way sync of a team member's own CalDAV calendar (docs/calendar-sync.md).

Pull: the calendar's busy events of the next 60 days replace the member's ``external_busy_times``
rows, which the slot engine reads like part-day time off (``busy_select``, in the same statement
as the schedules). Push: the member's confirmed bookings are written there as events
(``cozywish-booking-<id>@<host>``), changed ones rewritten, cancelled ones deleted; our own
events are never read back as busy.

A failure (refused, unreachable, slow) marks the connection broken with the reason and keeps
the last busy rows until they are stale (a day after the last good sync); nothing here is ever
called by booking, so a broken calendar never stops one. Commands flush and never commit.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Date, Integer, Select, String, cast, delete, literal, null, select

from app.platform import cache_versions
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.jobs import job
from app.platform.sqlutil import in_ids
from app.platform.timefmt import venue_zone
from app.team_schedules.caldav_client import (
    CalendarAccount,
    CalendarUnreachable,
    OutgoingEvent,
    fetch_busy,
    list_calendars,
    write_events,
)
from app.team_schedules.events import calendar_events_wanted
from app.team_schedules.models import CalendarConnection, ConnectionStatus, ExternalBusyTime, PushedEvent
from app.venues.models import TeamMember

log = logging.getLogger(__name__)

SYNC_DAYS = 60
STALE_AFTER = timedelta(hours=24)  # busy rows of a connection that has not synced for this long are ignored
UID_PREFIX = "cozywish-booking-"
MAX_URL = 500
MAX_USERNAME = 200


# -- the password, kept encrypted -----------------------------------------------------------------


def _fernet() -> Fernet:
    key = hashlib.sha256(b"cozywish.calendar-password:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _account(connection: CalendarConnection) -> CalendarAccount:
    try:
        password = _fernet().decrypt(connection.password_encrypted.encode()).decode()
    except InvalidToken:
        password = ""  # SECRET_KEY changed: the server refuses, the member enters the password again
    return CalendarAccount(connection.url, connection.username, password)


# -- reading ------------------------------------------------------------------------------------


def get_connection(member: TeamMember) -> CalendarConnection | None:
    return db.session.scalar(select(CalendarConnection).where(CalendarConnection.team_member_id == member.id))


def busy_select(member_ids: list[int], start: datetime, end: datetime, now: datetime | None = None) -> Select:
    """The members' calendar busy times meeting ``start``..``end`` as part-day time off rows
    (kind "o") of ``service.schedule_selects``' shape, for the same ``union_all``."""
    fresh_since = (now or datetime.now(UTC)) - STALE_AFTER
    no_int, no_date = cast(null(), Integer), cast(null(), Date)
    return (
        select(
            literal("o", String).label("kind"),
            ExternalBusyTime.team_member_id.label("member"),
            no_int.label("number"),
            no_date.label("on"),
            no_date.label("until"),
            no_int.label("opens"),
            no_int.label("closes"),
            ExternalBusyTime.starts_at.label("off_from"),
            ExternalBusyTime.ends_at.label("off_until"),
        )
        .join(CalendarConnection, CalendarConnection.id == ExternalBusyTime.connection_id)
        .where(
            in_ids(ExternalBusyTime.team_member_id, sorted(set(member_ids))),
            ExternalBusyTime.starts_at < end,
            ExternalBusyTime.ends_at > start,
            CalendarConnection.last_synced_at > fresh_since,
        )
    )


def status_line(connection: CalendarConnection | None, now: datetime) -> str:
    """ "Last synced 3 min ago", "Connection broken: 401 Unauthorized — …", or "Not connected"."""
    if connection is None:
        return _("Not connected.")
    if connection.status == ConnectionStatus.BROKEN:
        return _("Connection broken: %(error)s", error=connection.last_error)
    if connection.last_synced_at is None:
        return _("Connected; the first sync runs within 5 minutes.")
    minutes = max(0, int((now - connection.last_synced_at).total_seconds() // 60))
    if minutes == 0:
        return _("Last synced just now.")
    return ngettext("Last synced %(num)d min ago.", "Last synced %(num)d min ago.", minutes)


# -- connecting ---------------------------------------------------------------------------------


def check_address(url: str) -> str:
    """The CalDAV address, cleaned; refused when it is not an http(s) URL of a public host
    (a private one only where ``CALDAV_ALLOW_PRIVATE_HOSTS`` is set: development and tests)."""
    url = (url or "").strip()
    if not url:
        raise ValidationFailed(_("Enter your calendar's CalDAV address."))
    if len(url) > MAX_URL:
        raise ValidationFailed(_("Keep the address to %(max)d characters.", max=MAX_URL))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ValidationFailed(_("Enter the calendar's address, starting with https://."))
    if current_app.config.get("CALDAV_ALLOW_PRIVATE_HOSTS"):
        return url
    if parts.scheme != "https":
        raise ValidationFailed(_("Use an https:// address: your password travels with every sync."))
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (OSError, UnicodeError):
        raise ValidationFailed(_("%(host)s could not be found. Check the address.", host=parts.hostname)) from None
    if any(not ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses):
        raise ValidationFailed(_("Use the address of a calendar on the public internet."))
    return url


def connect(member: TeamMember, url: str, username: str, password: str) -> list[str]:
    """Test the account once and keep it for ``member`` (replacing theirs); its calendars'
    names. A blank password keeps the saved one. Refused (nothing kept) when the test fails."""
    url = check_address(url)
    username = (username or "").strip()
    if len(username) > MAX_USERNAME:
        raise ValidationFailed(_("Keep the username to %(max)d characters.", max=MAX_USERNAME))
    connection = get_connection(member)
    if not password and connection is not None:
        password = _account(connection).password
    try:
        names = list_calendars(CalendarAccount(url, username, password))
    except CalendarUnreachable as exc:
        raise ValidationFailed(_("Could not connect: %(reason)s Nothing was saved.", reason=exc.message)) from None
    if connection is None:
        connection = CalendarConnection(team_member_id=member.id)
        db.session.add(connection)
    elif connection.url != url:
        # Another calendar: what was read from or written to the old one no longer applies.
        db.session.execute(delete(ExternalBusyTime).where(ExternalBusyTime.connection_id == connection.id))
        db.session.execute(delete(PushedEvent).where(PushedEvent.connection_id == connection.id))
        _times_changed(connection)
    connection.url, connection.username = url, username
    connection.password_encrypted = _fernet().encrypt(password.encode()).decode()
    connection.status, connection.last_error = ConnectionStatus.OK, ""
    db.session.flush()
    return names


def disconnect(member: TeamMember) -> bool:
    """Forget the member's calendar (its busy times stop counting at once); False if none.
    Events already written there stay: the member removes them if they wish."""
    connection = get_connection(member)
    if connection is None:
        return False
    _times_changed(connection)
    db.session.delete(connection)
    db.session.flush()
    return True


# -- syncing ------------------------------------------------------------------------------------


def booking_uid(booking_id: int) -> str:
    host = current_app.config.get("SERVER_NAME") or "cozywish"
    return f"{UID_PREFIX}{booking_id}@{host.split(':')[0]}"


def _wanted(member_id: int, start: datetime, end: datetime) -> list[OutgoingEvent]:
    answers = calendar_events_wanted.send("calendar_sync", member_id=member_id, start=start, end=end)
    return [
        OutgoingEvent(t.booking_id, booking_uid(t.booking_id), t.starts_at, t.ends_at, t.summary)
        for _receiver, times in answers
        for t in times or ()
    ]


def sync_connection(connection: CalendarConnection, now: datetime | None = None) -> bool:
    """Pull the calendar's busy times and push the member's bookings; True when it worked,
    False when the connection is now marked broken (the last busy rows are kept). Never raises
    for the remote calendar's sake."""
    now = now or datetime.now(UTC)
    end = now + timedelta(days=SYNC_DAYS)
    account = _account(connection)
    wanted = {e.booking_id: e for e in _wanted(connection.team_member_id, now - timedelta(days=1), end)}
    pushed = {
        p.booking_id: p
        for p in db.session.scalars(select(PushedEvent).where(PushedEvent.connection_id == connection.id))
    }
    put = [
        e
        for booking_id, e in wanted.items()
        if booking_id not in pushed
        or (pushed[booking_id].starts_at, pushed[booking_id].ends_at, pushed[booking_id].summary)
        != (e.starts_at, e.ends_at, e.summary)
    ]
    gone = [p for booking_id, p in pushed.items() if booking_id not in wanted]
    try:
        busy = fetch_busy(account, now, end, venue_zone(connection.team_member.venue))
        etags = write_events(account, put, [p.uid for p in gone], now)
    except CalendarUnreachable as exc:
        connection.status, connection.last_error = ConnectionStatus.BROKEN, exc.message[:300]
        db.session.flush()
        return False
    db.session.execute(delete(ExternalBusyTime).where(ExternalBusyTime.connection_id == connection.id))
    db.session.add_all(
        ExternalBusyTime(
            connection_id=connection.id,
            team_member_id=connection.team_member_id,
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            uid=b.uid[:300],
        )
        for b in busy
        if not b.uid.startswith(UID_PREFIX)  # our own bookings are already busy in CozyWish
    )
    for p in gone:
        db.session.delete(p)
    for e in put:
        row = pushed.get(e.booking_id) or PushedEvent(connection_id=connection.id, booking_id=e.booking_id)
        row.uid, row.etag = e.uid, etags.get(e.uid, "")[:200]
        row.starts_at, row.ends_at, row.summary = e.starts_at, e.ends_at, e.summary[:300]
        db.session.add(row)
    connection.status, connection.last_error, connection.last_synced_at = ConnectionStatus.OK, "", now
    db.session.flush()
    _times_changed(connection)
    return True


def _times_changed(connection: CalendarConnection) -> None:
    # Busy rows are replaced in bulk (no ORM event): cached free times of the venue are stale.
    cache_versions.bump(cache_versions.venue_times(connection.team_member.venue_id))


def sync_all(now: datetime | None = None) -> int:
    """Sync every connection, committing each on its own (one member's slow or broken calendar
    keeps no one else's from syncing); how many worked."""
    worked = 0
    for connection_id in db.session.scalars(select(CalendarConnection.id).order_by(CalendarConnection.id)).all():
        connection = db.session.get(CalendarConnection, connection_id)
        if connection is None:  # disconnected meanwhile
            continue
        try:
            worked += sync_connection(connection, now)
            db.session.commit()
        except Exception:  # a bug or a lost database must not stop the others' sync
            db.session.rollback()
            log.exception("calendar sync of connection %s failed", connection_id)
    return worked


@job(name="team_schedules.sync_calendars")
def sync_calendars_job(timestamp: int | None = None) -> None:
    sync_all()
