"""Times as people read them: in the venue's time zone, never ambiguous.

Every booking time the app shows (pages, slot pickers, emails, calendar files' text) is
formatted here. On an ordinary day a time is plain ("14:30"). On a day the venue's clocks
change, every time of that day carries its zone's abbreviation ("01:30 BST", "01:30 GMT";
"+01:00" where the zone has none), so the repeated hour of a fall-back night reads as two
different times and a spring-forward day says which side of the jump a time is on.

All inputs are aware datetimes (UTC from the database); ``zoneinfo`` does the conversion,
its ``fold`` tells the two 01:30s apart. Zones, "do the clocks change on this day" and
date words are cached, so a day of slots costs one conversion and one ``strftime`` each.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from flask_babel import gettext as _

from app.platform.i18n import format_locale

SHORT_DAY = "EEE d MMM yyyy"  # Sun 25 Oct 2026
LONG_DAY = "EEEE d MMMM yyyy"  # Sunday 25 October 2026
DATE = "dd MMM yyyy"  # 25 Oct 2026, "25 oct 2026": what strftime's "%d %b %Y" wrote
LONG_DATE = "dd MMMM yyyy"  # 25 October 2026, "25 octubre 2026"


class HasZone(Protocol):
    timezone: str | None  # a venue (or anything with its zone's name)


class HasLocalStart(Protocol):
    starts_at: datetime
    venue: HasZone  # a booking


def venue_zone(place: HasZone | str | None) -> ZoneInfo:
    """A venue's zone, from the venue (anything with a ``.timezone``) or the zone's name; UTC
    when the name is empty or unknown."""
    name = place if place is None or isinstance(place, str) else place.timezone
    return _named_zone(name)


@lru_cache(maxsize=256)
def _named_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_start(booking: HasLocalStart) -> datetime:
    """A booking's start on its venue's clock (an aware datetime in the venue's zone)."""
    return booking.starts_at.astimezone(venue_zone(booking.venue))


@lru_cache(maxsize=4096)
def clocks_change_on(day: date, zone: ZoneInfo) -> bool:
    """Does the zone's UTC offset differ between the start of ``day`` and of the next day?"""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.utcoffset() != end.utcoffset()


def zone_abbreviation(local: datetime) -> str:
    """ "BST", "EDT", "AEDT"; "+05:30" for a zone whose names are only numbers."""
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def day_words(day: date, pattern: str = SHORT_DAY) -> str:
    """``day`` in a Babel date ``pattern``, in the request's formatting locale
    (``app.platform.i18n.format_locale()``): "Sun 25 Oct 2026", "dom 25 oct 2026". The one date helper."""
    return _day_words(day, pattern, format_locale())


def date_words(value: date | datetime | None, pattern: str = DATE) -> str:
    """The template filter ``|date_words(pattern)`` for a date or datetime shown as it is stored
    (a UTC timestamp in UTC, a local datetime in its own zone), in the request's locale:
    ``{{ user.created_at|date_words }}`` "25 Oct 2026", ``|date_words("dd MMM yyyy, HH:mm")``.
    "—" for None. What ``strftime`` did before, but with month and day names in each language."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return format_datetime(value, pattern, tzinfo=value.tzinfo or UTC, locale=format_locale())
    return day_words(value, pattern)


@lru_cache(maxsize=4096)
def _day_words(day: date, pattern: str, locale: str) -> str:
    return format_date(day, pattern, locale=locale)


def needs_zone(zone: ZoneInfo, *moments: datetime) -> bool:
    """Whether any of these instants falls, locally, on a day the clocks change."""
    return any(clocks_change_on(moment.astimezone(zone).date(), zone) for moment in moments)


def clock_label(moment: datetime, zone: ZoneInfo, *, marked: bool | None = None) -> str:
    """ "14:30", or "01:30 GMT" on a day the clocks change (``marked`` forces either)."""
    local = moment.astimezone(zone)
    if marked is None:
        marked = clocks_change_on(local.date(), zone)
    clock = f"{local.hour:02d}:{local.minute:02d}"  # not strftime: a week's calendar says 600 of them
    return f"{clock} {zone_abbreviation(local)}" if marked else clock


def moment_label(moment: datetime, zone: ZoneInfo, *, marked: bool | None = None, pattern: str = SHORT_DAY) -> str:
    """ "Sun 25 Oct 2026, 01:30 GMT": the local date and the clock label."""
    local = moment.astimezone(zone)
    return f"{day_words(local.date(), pattern)}, {clock_label(local, zone, marked=marked)}"


def start_and_end(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[str, str]:
    """("Sun 25 Oct 2026, 01:30 BST", "01:30 GMT"): for pages that write "start–end"."""
    marked = needs_zone(zone, start, end)
    return moment_label(start, zone, marked=marked), clock_label(end, zone, marked=marked)


def span_label(start: datetime, end: datetime, zone: ZoneInfo, *, pattern: str = SHORT_DAY) -> str:
    """ "Sun 25 Oct 2026, 01:30 BST–01:30 GMT": both ends marked if either needs it; the end's
    date is written only when it is another local day (and not the midnight that ends it)."""
    marked = needs_zone(zone, start, end)
    first = moment_label(start, zone, marked=marked, pattern=pattern)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_end.date() == local_start.date() or _ends_at_midnight(local_start, local_end):
        return f"{first}–{clock_label(end, zone, marked=marked)}"
    return f"{first} – {moment_label(end, zone, marked=marked, pattern=pattern)}"


def venue_span_label(start: datetime, end: datetime, zone_name: str | None, *, pattern: str = SHORT_DAY) -> str:
    """``span_label`` in the named zone, followed by the zone: "…, 09:00–10:00 (Europe/London)"."""
    zone = venue_zone(zone_name)
    return f"{span_label(start, end, zone, pattern=pattern)} ({zone.key})"


def time_span_label(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """ "09:00–10:00", "01:30 BST–01:30 GMT", or "24 Oct 23:00 – 26 Oct 02:00" over days."""
    marked = needs_zone(zone, start, end)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_end.date() == local_start.date() or _ends_at_midnight(local_start, local_end):
        return f"{clock_label(start, zone, marked=marked)}–{clock_label(end, zone, marked=marked)}"
    return (
        f"{day_words(local_start.date(), 'dd MMM')} {clock_label(start, zone, marked=marked)} – "
        f"{day_words(local_end.date(), 'dd MMM')} {clock_label(end, zone, marked=marked)}"
    )


def _ends_at_midnight(local_start: datetime, local_end: datetime) -> bool:
    return local_end.date() == local_start.date() + timedelta(days=1) and (local_end.hour, local_end.minute) == (0, 0)


def zone_names_on(day: date, zone: ZoneInfo) -> str:
    """ "BST" on an ordinary day; "BST, then GMT" on the day the clocks go back."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    if not clocks_change_on(day, zone):
        return zone_abbreviation(start)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return _("%(before)s, then %(after)s", before=zone_abbreviation(start), after=zone_abbreviation(end))


def clock_change_note(day: date, zone: ZoneInfo) -> str | None:
    """A sentence for a day the clocks change (None otherwise), e.g. "Clocks go back an hour
    on this day: 01:00–02:00 happens twice, first in BST, then in GMT."."""
    return _clock_change_note(day, zone, format_locale())


@lru_cache(maxsize=512)
def _clock_change_note(day: date, zone: ZoneInfo, locale: str) -> str | None:
    if not clocks_change_on(day, zone):
        return None
    # A minute before the day starts: a change at midnight itself is then inside the search.
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) - timedelta(minutes=1)
    before = start.astimezone(zone).utcoffset()
    # Bisect whole minutes (zones change on a minute) for the first one on the new offset.
    low, high = 0, int((datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone) - start).total_seconds() // 60)
    while high - low > 1:
        middle = (low + high) // 2
        if (start + timedelta(minutes=middle)).astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    change = start + timedelta(minutes=high)
    old, new = (change - timedelta(microseconds=1)).astimezone(zone), change.astimezone(zone)
    old_offset, new_offset = old.utcoffset() or timedelta(0), new.utcoffset() or timedelta(0)
    old_wall = change.replace(tzinfo=None) + old_offset  # the change's instant on the old clock
    new_wall = change.replace(tzinfo=None) + new_offset  # and on the new one
    minutes = abs(int((new_offset - old_offset).total_seconds())) // 60
    amount = _("an hour") if minutes == 60 else _("%(num)d minutes", num=minutes)
    # The wall-clock span skipped (forward) or lived twice (back): from the earlier reading to the later.
    words = {
        "amount": amount,
        "start": f"{min(old_wall, new_wall):%H:%M}",
        "end": f"{max(old_wall, new_wall):%H:%M}",
        "before": zone_abbreviation(old),
        "after": zone_abbreviation(new),
    }
    if new_offset > old_offset:
        return _(
            "Clocks go forward %(amount)s on this day: %(start)s–%(end)s doesn't happen "
            "(%(before)s before, %(after)s after).",
            **words,
        )
    return _(
        "Clocks go back %(amount)s on this day: %(start)s–%(end)s happens twice, "
        "first in %(before)s, then in %(after)s.",
        **words,
    )


def init_app(app) -> None:
    """The templates' ``date_words`` filter: dates in the request's locale."""
    app.jinja_env.filters["date_words"] = date_words
