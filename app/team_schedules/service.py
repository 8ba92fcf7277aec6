"""Team members' schedules: read them for the slot engine, change them, and find the bookings a
change would leave outside a member's working time.

Every command takes a member already looked up inside the provider's venue (see views.py), so
another venue's members are never reached. Commands flush and never commit: the view commits
once, or rolls back when the provider has not yet confirmed a change that leaves bookings out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    Row,
    Select,
    String,
    and_,
    cast,
    delete,
    literal,
    null,
    or_,
    select,
    union_all,
)

from app.platform import cache_versions
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.sqlutil import in_ids, savepoint_or_refuse
from app.platform.timefmt import venue_zone
from app.slot_engine import MemberSchedule
from app.team_schedules.models import ScheduleException, TimeOff, TimeOffKind, WorkingHours
from app.venues.events import announce_opened
from app.venues.hours import MINUTES_PER_DAY, Range, find_overlaps, weekday_name
from app.venues.models import TeamMember

# Dates are kept within sensible bounds, like closures: a typo'd year is refused, not stored.
PAST_DAYS = 366
AHEAD_DAYS = 5 * 366
MAX_TIME_OFF_DAYS = 366
MAX_REASON = 200

Week = dict[int, list[Range]]


# -- reading ------------------------------------------------------------------------------------


ROW_KINDS = ("w", "x", "o")  # weekly range, exception, time off: the rows of ``schedule_selects``


def schedule_selects(member_ids: Iterable[int], start: datetime, end: datetime) -> list[Select]:
    """Three selects of one shape (kind, member, number, on, until, opens, closes, off_from,
    off_until) for ``union_all``: these members' weekly hours, and their exceptions and time off
    that meet ``start``..``end`` (UTC). ``number`` is the weekday of a weekly range; callers may
    add their own rows of the same shape (the slot engine adds time blocks to the statement)."""
    ids = sorted(set(member_ids))
    first, last = start.date() - timedelta(days=1), end.date() + timedelta(days=1)
    no_int, no_date, no_time = cast(null(), Integer), cast(null(), Date), cast(null(), DateTime(timezone=True))
    weekly = select(
        literal("w", String).label("kind"),
        WorkingHours.team_member_id.label("member"),
        WorkingHours.weekday.label("number"),
        no_date.label("on"),
        no_date.label("until"),
        WorkingHours.starts_minute.label("opens"),
        WorkingHours.ends_minute.label("closes"),
        no_time.label("off_from"),
        no_time.label("off_until"),
    ).where(in_ids(WorkingHours.team_member_id, ids))
    exceptions = select(
        literal("x", String),
        ScheduleException.team_member_id,
        no_int,
        ScheduleException.day,
        ScheduleException.day,
        ScheduleException.starts_minute,
        ScheduleException.ends_minute,
        no_time,
        no_time,
    ).where(in_ids(ScheduleException.team_member_id, ids), ScheduleException.day.between(first, last))
    time_off = select(
        literal("o", String),
        TimeOff.team_member_id,
        no_int,
        TimeOff.starts_on,
        TimeOff.ends_on,
        no_int,
        no_int,
        TimeOff.starts_at,
        TimeOff.ends_at,
    ).where(
        in_ids(TimeOff.team_member_id, ids),
        or_(
            and_(TimeOff.starts_on <= last, TimeOff.ends_on >= first),
            and_(TimeOff.starts_at < end, TimeOff.ends_at > start),
        ),
    )
    return [weekly, exceptions, time_off]


def schedules_from_rows(rows: Iterable[Row]) -> dict[int, MemberSchedule]:
    """Rows of ``schedule_selects`` (others are skipped) as each member's ``MemberSchedule``."""
    found: dict[int, dict] = {}
    for kind, member, number, on, until, opens, closes, off_from, off_until in rows:
        if kind not in ROW_KINDS:
            continue
        parts = found.setdefault(member, {"weekly": None, "exceptions": {}, "days_off": [], "time_off": []})
        if kind == "w":
            parts["weekly"] = parts["weekly"] or {}
            parts["weekly"].setdefault(number, []).append((opens, closes))
        elif kind == "x":
            ranges = parts["exceptions"].setdefault(on, [])
            if opens is not None:
                ranges.append((opens, closes))
        elif on is not None:
            parts["days_off"].append((on, until))
        else:
            parts["time_off"].append((off_from, off_until))
    return {
        member: MemberSchedule(
            weekly=parts["weekly"],
            exceptions={day: tuple(sorted(r)) for day, r in parts["exceptions"].items()},
            days_off=tuple(parts["days_off"]),
            time_off=tuple(parts["time_off"]),
        )
        for member, parts in found.items()
    }


def load_schedules(member_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, MemberSchedule]:
    """The schedules of these members that matter between ``start`` and ``end`` (UTC), in one
    statement. A member with no weekly hours, exceptions or time off is left out: the engine
    lets them work the venue's opening hours."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    return schedules_from_rows(db.session.execute(union_all(*schedule_selects(ids, start, end))))


def get_week(member: TeamMember) -> Week | None:
    """The member's weekly pattern (weekday -> ranges), or None: they work the venue's hours."""
    rows = db.session.scalars(
        select(WorkingHours)
        .where(WorkingHours.team_member_id == member.id)
        .order_by(WorkingHours.weekday, WorkingHours.starts_minute)
    ).all()
    if not rows:
        return None
    week: Week = {}
    for row in rows:
        week.setdefault(row.weekday, []).append(Range(row.starts_minute, row.ends_minute))
    return week


def get_exceptions(member: TeamMember, since: date) -> dict[date, list[ScheduleException]]:
    rows = db.session.scalars(
        select(ScheduleException)
        .where(ScheduleException.team_member_id == member.id, ScheduleException.day >= since)
        .order_by(ScheduleException.day, ScheduleException.starts_minute)
    )
    found: dict[date, list[ScheduleException]] = {}
    for row in rows:
        found.setdefault(row.day, []).append(row)
    return found


def get_time_off(member: TeamMember, since: datetime, tz: str) -> list[TimeOff]:
    """The member's time off that has not ended by ``since``, in start order."""
    local_day = since.astimezone(venue_zone(tz)).date()
    rows = db.session.scalars(
        select(TimeOff).where(
            TimeOff.team_member_id == member.id,
            or_(TimeOff.ends_on >= local_day, TimeOff.ends_at > since),
        )
    )
    return sorted(rows, key=lambda t: (t.starts_on or t.starts_at.astimezone(venue_zone(tz)).date(), t.id))


# -- changing -----------------------------------------------------------------------------------


def _check_ranges(ranges: list[Range], where: str) -> None:
    for r in ranges:
        if not (0 <= r.opens < r.closes <= MINUTES_PER_DAY):
            raise ValidationFailed(
                _(
                    "%(where)s: %(r_label)s ends before it starts. A range ends by 24:00; enter the rest on the next "
                    "day.",
                    where=where,
                    r_label=r.label,
                )
            )
    overlaps = find_overlaps(ranges)
    if overlaps:
        a, b = overlaps[0]
        raise ValidationFailed(
            _(
                "%(where)s: %(a_label)s and %(b_label)s overlap. Merge them or change one.",
                where=where,
                a_label=a.label,
                b_label=b.label,
            )
        )


def _check_date(day: date, what: str) -> None:
    today = datetime.now(UTC).date()
    if day < today - timedelta(days=PAST_DAYS) or day > today + timedelta(days=AHEAD_DAYS):
        raise ValidationFailed(_("%(what)s must be within a year ago and five years ahead. Check the year.", what=what))


def set_week(member: TeamMember, week: Week | None) -> None:
    """Replace the member's weekly pattern; None: they work the venue's opening hours."""
    if week is not None:
        for weekday, ranges in week.items():
            if not 0 <= weekday <= 6:
                raise ValidationFailed(_("Choose a day of the week."))
            _check_ranges(ranges, weekday_name(weekday))
        if not any(week.values()):
            raise ValidationFailed(
                _(
                    "Add at least one working range, or choose “Works the venue's opening hours”. "
                    "To keep someone off for a while, add time off instead."
                )
            )
    db.session.execute(delete(WorkingHours).where(WorkingHours.team_member_id == member.id))
    cache_versions.bump(cache_versions.venue_times(member.venue_id))  # a bulk delete: no ORM event
    rows = [
        WorkingHours(team_member_id=member.id, weekday=weekday, starts_minute=r.opens, ends_minute=r.closes)
        for weekday, ranges in sorted((week or {}).items())
        for r in ranges
    ]
    _flush_checked(rows, "ex_working_hours_no_overlap", _("Those working hours overlap. Merge them or change one."))
    announce_opened("working_hours_changed", member.venue_id)  # any day may have gained time


def _flush_checked(rows: list, constraint: str, message: str) -> None:
    # The exclusion constraint is the last word, e.g. when two edits race.
    with savepoint_or_refuse(ValidationFailed(message), constraint=constraint):
        db.session.add_all(rows)


def copy_week(source: TeamMember, targets: list[TeamMember]) -> None:
    """Give each of ``targets`` the weekly pattern of ``source`` (their exceptions and time off stay)."""
    targets = [t for t in targets if t.id != source.id]
    if not targets:
        raise ValidationFailed(_("Choose at least one other team member to copy this week to."))
    week = get_week(source)
    for target in targets:
        set_week(target, week)


def set_exception(member: TeamMember, day: date, ranges: list[Range], note: str) -> None:
    """Replace the member's hours on ``day``: ``ranges``, or none at all (off that day)."""
    _check_date(day, _("The date"))
    _check_ranges(ranges, day.isoformat())
    note = note.strip()
    if len(note) > MAX_REASON:
        raise ValidationFailed(_("Keep the note to %(max_reason)s characters.", max_reason=MAX_REASON))
    remove_exception(member, day)
    rows = [
        ScheduleException(team_member_id=member.id, day=day, starts_minute=r.opens, ends_minute=r.closes, note=note)
        for r in sorted(ranges, key=lambda r: r.opens)
    ] or [ScheduleException(team_member_id=member.id, day=day, note=note)]
    _flush_checked(rows, "ex_schedule_exceptions_no_overlap", _("Those hours overlap. Merge them or change one."))
    announce_opened("schedule_exception_changed", member.venue_id, [day])


def remove_exception(member: TeamMember, day: date) -> int:
    result = db.session.execute(
        delete(ScheduleException).where(ScheduleException.team_member_id == member.id, ScheduleException.day == day)
    )
    cache_versions.bump(cache_versions.venue_times(member.venue_id))  # a bulk delete: no ORM event
    if result.rowcount:
        announce_opened("schedule_exception_removed", member.venue_id, [day])
    return result.rowcount


def add_time_off(
    member: TeamMember,
    *,
    kind: str,
    reason: str,
    days: tuple[date, date] | None = None,
    times: tuple[datetime, datetime] | None = None,
) -> TimeOff:
    """Whole local days (``days``, both included) or a span of time (``times``, aware)."""
    if kind not in set(TimeOffKind):
        raise ValidationFailed(_("Choose holiday, sickness or other."))
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(_("Keep the reason to %(max_reason)s characters.", max_reason=MAX_REASON))
    if (days is None) == (times is None):
        raise ValidationFailed(_("Enter the days off, or a start and an end time."))
    first, last = days if days is not None else (times[0].date(), times[1].date())
    if last < first or (times is not None and times[1] <= times[0]):
        raise ValidationFailed(_("The time off must end after it starts."))
    _check_date(first, _("Time off"))
    _check_date(last, _("Time off"))
    if (last - first).days >= MAX_TIME_OFF_DAYS:
        raise ValidationFailed(_("Time off can last at most a year. Add another stretch after it if needed."))
    off = TimeOff(team_member_id=member.id, kind=kind, reason=reason)
    if days is not None:
        off.starts_on, off.ends_on = days
    else:
        off.starts_at, off.ends_at = (t.astimezone(UTC) for t in times)
    db.session.add(off)
    db.session.flush()
    return off


def remove_time_off(member: TeamMember, time_off_id: int) -> TimeOff | None:
    off = db.session.scalar(select(TimeOff).where(TimeOff.id == time_off_id, TimeOff.team_member_id == member.id))
    if off is not None:
        db.session.delete(off)
        db.session.flush()
        if off.starts_on is not None and off.ends_on is not None:
            span = (off.ends_on - off.starts_on).days + 1
            days = [off.starts_on + timedelta(days=n) for n in range(span)]
        else:  # a span of time: its UTC dates, widened by a day each side for the venue's zone
            first, last = off.starts_at.date() - timedelta(days=1), off.ends_at.date() + timedelta(days=1)
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        announce_opened("time_off_removed", member.venue_id, days)
    return off
