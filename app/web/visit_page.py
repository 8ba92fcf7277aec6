"""What the "Book a visit" page shows (app/booking/views/visits.py): what its query string
picked, the guests' fields, the month calendar of the days the visit fits, each start time's plan,
and the page as a whole (``build_visit_page``). Not a page module: the routes are there.

The query string (a plain GET form):
- ``t``: guest 1's treatments in order, each a service or a service and its option
  (``?t=12&t=15:3``); one guest alone has 2 to 4, as before groups existed.
- ``guests=N`` (2 to 6) and ``g2t``, ``g3t``, ...: each other guest's treatments (1 to 4 each,
  guest 1's too); ``g1n``, ``g2n``, ...: the guests' names (optional; guest 1 is "You" until
  named). A name is the customer's words only: nothing is stored for a guest left unnamed.
- ``a=<guest>:<row>:<add-on>``: an add-on ticked for that guest's treatment row (``a=1:2:7``);
  one not of the row's service is left out.
- ``add=<guest>`` adds a row to that guest (``add=1`` for one guest), ``remove=<row>`` takes
  guest 1's row away and ``remove=<guest>:<row>`` another guest's.

The form that adds the visit names each treatment as app/booking/visit_forms.py reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from babel.lists import format_list
from flask import request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.booking.availability import get_group_days, max_advance_days
from app.booking.forms import format_instant
from app.booking.presenting import day_label, duration_label
from app.booking.visit_forms import (
    parse_addon_pick,
    parse_guest_count,
    parse_guest_name,
    parse_treatment,
    treatment_value,
)
from app.booking.visits import (
    GUEST_NAME_MAX,
    MAX_GUESTS,
    MAX_TREATMENTS,
    Treatment,
    group_parts,
    group_times,
    visit_times,
)
from app.payouts.accounts import takes_paid_bookings
from app.platform import timefmt
from app.platform.money import format_money
from app.slot_engine import Placed, Slot
from app.venues.menus import VENUE_LOADS
from app.venues.models import Service, Venue
from app.web.booking_page import month_grid_of
from app.web.guards import may_book

MIN_TREATMENTS = 2  # one guest alone; each guest of a group has at least 1
CALENDAR_DAYS = 31  # a month's worth from the month shown
MAX_ADDON_PICKS = 300  # more ticked add-ons than any page has: the rest are not read
# The venue as this page reads it: what the slot engine needs, and the services with their
# options and add-ons.
VISIT_LOADS = (
    *VENUE_LOADS,
    selectinload(Venue.services).selectinload(Service.options),
    selectinload(Venue.services).selectinload(Service.addons),
)
KEPT_ARG = re.compile(r"t|a|guests|month|day|g\d{1,2}[tn]")


@dataclass
class Picked:
    """What the page's form says so far: each guest's treatment rows in order ("" for a row not
    chosen yet), the add-ons ticked as (guest, row, add-on id), and the names (groups only)."""

    rows: list[list[str]]
    addons: set[tuple[int, int, int]] = field(default_factory=set)
    names: list[str] = field(default_factory=list)

    @property
    def guests(self) -> int:
        return len(self.rows)

    def ready(self) -> bool:
        return all(value for mine in self.rows for value in mine)

    def args(self) -> dict[str, Any]:
        """The query string that asks for this again (the module's docstring)."""
        args: dict[str, Any] = {"t": self.rows[0]}
        if self.guests > 1:
            args["guests"] = self.guests
            args.update({f"g{g}t": mine for g, mine in enumerate(self.rows[1:], start=2)})
            args.update({f"g{g}n": name for g, name in enumerate(self.names, start=1) if name})
        if self.addons:
            args["a"] = [f"{g}:{r}:{a}" for g, r, a in sorted(self.addons)]
        return args


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 2 else None


def picked_from_request() -> Picked:
    """The guests, rows, add-ons and names the URL names (the module's docstring), with a row
    added (``add``) or taken away (``remove``) when asked; BadInput for what can't be read."""
    args = request.args
    guests = parse_guest_count(args.get("guests"))
    least = MIN_TREATMENTS if guests == 1 else 1
    rows = []
    for g in range(1, guests + 1):
        mine = [value.strip()[:40] for value in args.getlist("t" if g == 1 else f"g{g}t")][: MAX_TREATMENTS + 1]
        rows.append(mine + [""] * (least - len(mine)))
    picks = {parse_addon_pick(value) for value in args.getlist("a")[:MAX_ADDON_PICKS]}
    names = [parse_guest_name(args.get(f"g{g}n")) for g in range(1, guests + 1)] if guests > 1 else []
    if "add" in args:
        g = _number(args["add"]) or 1
        if g <= guests and len(rows[g - 1]) < MAX_TREATMENTS:
            rows[g - 1].append("")
    g, _sep, row = args.get("remove", "").rpartition(":")
    guest, number = (_number(g) if g else 1), _number(row)
    if guest and number and guest <= guests and len(rows[guest - 1]) > least and number <= len(rows[guest - 1]):
        del rows[guest - 1][number - 1]
        picks = {(pg, pr - (pg == guest and pr > number), pa) for pg, pr, pa in picks if (pg, pr) != (guest, number)}
    picks = {(pg, pr, pa) for pg, pr, pa in picks if pg <= guests and pr <= len(rows[pg - 1])}
    return Picked(rows, picks, names)


def picked_from_treatments(treatments: list[Treatment], names: list[str]) -> Picked:
    """The page's form for a visit already read (a refused one, shown again)."""
    guests = max((t.guest for t in treatments), default=1)
    rows: list[list[str]] = [[] for _g in range(guests)]
    picks = set()
    for t in treatments:
        mine = rows[t.guest - 1]
        mine.append(str(t.service_id) if t.option_id is None else f"{t.service_id}:{t.option_id}")
        picks |= {(t.guest, len(mine), addon_id) for addon_id in t.addon_ids}
    padded = [*names, *[""] * (guests - len(names))][:guests] if guests > 1 else []
    return Picked(rows, picks, padded)


def picked_treatments(venue: Venue, picked: Picked) -> list[Treatment]:
    """The treatments of the rows chosen so far, each for its guest, with the add-ons ticked for
    it that its service has; BadInput for a row that can't be read."""
    by_id = {s.id: s for s in venue.services}
    treatments = []
    for g, mine in enumerate(picked.rows, start=1):
        for r, value in enumerate(mine, start=1):
            if not value:
                continue
            treatment = parse_treatment(value)
            service = by_id.get(treatment.service_id)
            own = [a.id for a in service.addons] if service is not None else []
            addon_ids = tuple(a for a in own if (g, r, a) in picked.addons)
            treatments.append(replace(treatment, addon_ids=addon_ids, guest=g))
    return treatments


# -- the page, as plain values -----------------------------------------------------------------


def guest_label(picked: Picked, guest: int) -> str:
    """How the plan names a guest (numbered from 1): their name, else "You" or "Guest 2"."""
    name = picked.names[guest - 1] if guest <= len(picked.names) else ""
    return name or (_("You") if guest == 1 else _("Guest %(num)d", num=guest))


def build_visit_page(
    venue: Venue,
    picked: Picked,
    treatments: list[Treatment],
    *,
    month: date | None,
    day: date | None,
    now: datetime,
) -> dict[str, Any]:
    """The guests and their treatment rows, and once every row is chosen the month of days the
    visit fits and the chosen day's starts, each with its plan."""
    zone = timefmt.venue_zone(venue)
    today = now.astimezone(zone).date()
    ready = picked.ready() and bool(treatments)
    bookable = takes_paid_bookings(venue.id)
    group = picked.guests > 1
    page: dict[str, Any] = {
        "venue": {"name": venue.name, "url": url_for("venues_public.venue_page", slug=venue.slug)},
        "action": url_for(".visit", slug=venue.slug),
        "post_url": url_for(".add_visit_to_cart", slug=venue.slug),
        "guest_count": picked.guests,
        "guest_choices": [
            {"value": n, "label": ngettext("%(num)d guest", "%(num)d guests", n), "selected": n == picked.guests}
            for n in range(1, MAX_GUESTS + 1)
        ],
        "group": group,
        "guests": guest_fields(venue, picked),
        "max_treatments": MAX_TREATMENTS,
        "name_max": GUEST_NAME_MAX,
        "values": [treatment_value(t) for t in treatments],
        "names": picked.names,
        "ready": ready and bookable,
        "not_bookable": not bookable,
        "timezone": zone.key,
        "calendar": None,
        "day": day.isoformat() if day else None,
        "day_label": day_label(day) if day else None,
        "day_message": None,
        "clock_change": None,
        "times": [],
        "total": None,
        "may_book": may_book(),
        "error": None,
    }
    # One guest keeps the rows of the page before groups ("rows", "can_add", "can_remove").
    page.update({key: page["guests"][0][key] for key in ("rows", "can_add", "can_remove")})
    if not (ready and bookable):
        return page
    parts = group_parts(venue, treatments)  # refuses a visit that makes no sense (a 422 saying why)
    by_id = {s.id: s for s in venue.services}
    services = [by_id[t.service_id] for t in treatments]  # each the venue's, group_parts has checked
    last_day = (now + timedelta(days=min(max_advance_days(s) for s in services))).astimezone(zone).date()
    month = month or (day or today).replace(day=1)
    month = min(max(month, today.replace(day=1)), last_day.replace(day=1))
    first = max(month, today)
    fits = get_group_days(venue, parts, first, CALENDAR_DAYS, now=now) if first <= last_day else {}
    query = picked.args()

    def link(**args: Any) -> str:
        return url_for(".visit", slug=venue.slug, **query, **args)

    page["calendar"] = visit_calendar(month, today=today, last_day=last_day, selected=day, fits=fits, link=link)
    page["total"] = format_money(
        sum(treatment_price(s, t) for s, t in zip(services, treatments, strict=True)), services[0].currency
    )
    if day is None:
        return page
    if day < today:
        page["day_message"] = _("That day has passed. Choose today or a later day.")
        return page
    if group:
        found = group_times(venue, treatments, day, now=now)
        firsts = [placed[0].slot for placed in found]
        plans = [group_plan(venue, picked, treatments, placed) for placed in found]
    else:
        starts = visit_times(venue, treatments, day, now=now)
        firsts = [slots[0] for slots in starts]
        plans = [[visit_plan(venue, services, treatments, slots)] for slots in starts]
    if not firsts:
        page["day_message"] = _("The visit doesn't fit on %(day)s. Try another day.", day=day_label(day))
    page["clock_change"] = timefmt.clock_change_note(day, zone) if firsts else None
    page["times"] = [
        {
            "time": timefmt.clock_label(slot.start, zone),
            "starts_at": format_instant(slot.start),
            "plan": lines[0] if not group else None,
            "lines": lines,
        }
        for slot, lines in zip(firsts, plans, strict=True)
    ]
    return page


def guest_fields(venue: Venue, picked: Picked) -> list[dict[str, Any]]:
    """Each guest's part of the form: their name (groups only) and treatment rows, each row its
    choices and, once a service is chosen, a checkbox for each of its add-ons."""
    choices = treatment_choices(venue)
    by_id = {str(s.id): s for s in venue.services}
    group = picked.guests > 1
    least = MIN_TREATMENTS if not group else 1
    guests = []
    for g, mine in enumerate(picked.rows, start=1):
        prefix = "" if not group else f"guest-{g}-"
        legend = _("Guest %(num)d", num=g)
        rows = []
        for n, value in enumerate(mine, start=1):
            service = by_id.get(value.partition(":")[0])
            addons = [
                {
                    "id": f"{prefix}addon-{n}-{addon.id}",
                    "value": f"{g}:{n}:{addon.id}",
                    "label": addon_label(service, addon),
                    "checked": (g, n, addon.id) in picked.addons,
                }
                for addon in (service.addons if service is not None and service.is_active else [])
            ]
            rows.append(
                {
                    "number": n,
                    "id": f"{prefix}treatment-{n}",
                    "field": "t" if g == 1 else f"g{g}t",
                    "value": value,
                    "choices": [{**c, "selected": c["value"] == value} for c in choices],
                    "addons": addons,
                    "remove": str(n) if g == 1 else f"{g}:{n}",
                    "remove_label": (
                        _("Remove treatment %(num)d of %(guest)s", num=n, guest=legend)
                        if group
                        else _("Remove treatment %(num)d", num=n)
                    ),
                }
            )
        guests.append(
            {
                "number": g,
                "legend": legend,
                "name_field": f"g{g}n",
                "name_id": f"guest-{g}-name",
                "name": picked.names[g - 1] if g <= len(picked.names) else "",
                "rows": rows,
                "can_add": len(mine) < MAX_TREATMENTS,
                "can_remove": len(mine) > least,
            }
        )
    return guests


def addon_label(service: Service, addon: Any) -> str:
    """ "Hot stones · +£15.00 · +15 min"."""
    label = _("%(name)s · +%(price)s", name=addon.name, price=format_money(addon.price_minor, service.currency))
    if addon.extra_minutes:
        label += f" · +{duration_label(addon.extra_minutes)}"
    return label


def chosen_addons(service: Service, treatment: Treatment) -> list[Any]:
    return [a for a in service.addons if a.id in treatment.addon_ids]


def treatment_price(service: Service, treatment: Treatment) -> int:
    option = next((o for o in service.options if o.id == treatment.option_id), None)
    price = option.price_minor if option is not None else service.price_minor
    return price + sum(a.price_minor for a in chosen_addons(service, treatment))


def treatment_name(service: Service, treatment: Treatment) -> str:
    option = next((o for o in service.options if o.id == treatment.option_id), None)
    name = _("%(service)s · %(option)s", service=service.name, option=option.name) if option else service.name
    return "".join([name, *(f" + {a.name}" for a in chosen_addons(service, treatment))])


def group_plan(venue: Venue, picked: Picked, treatments: list[Treatment], found: tuple[Placed, ...]) -> list[str]:
    """A line a guest: "Ana: 10:00 Couples massage (Amy) → 11:45 Facial (Cat) → ends 12:30"."""
    zone = timefmt.venue_zone(venue)
    by_id = {s.id: s for s in venue.services}
    members = {m.id: m.name for m in venue.team}
    lines = []
    for g in range(1, picked.guests + 1):
        mine = [t for t in treatments if t.guest == g]
        placed = [p for p in found if p.guest == g - 1]  # each guest's in their order
        steps = []
        for treatment, where in zip(mine, placed, strict=True):
            name = treatment_name(by_id[treatment.service_id], treatment)
            step = f"{timefmt.clock_label(where.slot.start, zone)} {name}"
            if where.team_member_id in members:
                step += f" ({members[where.team_member_id]})"
            steps.append(step)
        steps.append(_("ends %(time)s", time=timefmt.clock_label(placed[-1].slot.end, zone)))
        lines.append(_("%(guest)s: %(plan)s", guest=guest_label(picked, g), plan=" → ".join(steps)))
    return lines


def treatment_choices(venue: Venue) -> list[dict[str, str]]:
    """Each bookable service of the venue, each option its own choice: "Massage · 90 min — £75.00"."""
    choices = []
    for service in venue.services:
        if not service.is_active:
            continue
        if not service.options:
            length = duration_label(service.duration_minutes)
            price = format_money(service.price_minor, service.currency)
            label = _("%(name)s · %(length)s — %(price)s", name=service.name, length=length, price=price)
            choices.append({"value": str(service.id), "label": label})
        for option in service.options:
            length = duration_label(option.duration_minutes)
            # "90 min" says its length; "Long hair" gets it: "Long hair, 2 h".
            name = (
                option.name
                if any(ch.isdigit() for ch in option.name)
                else _("%(option)s, %(length)s", option=option.name, length=length)
            )
            price = format_money(option.price_minor, service.currency)
            label = _("%(name)s · %(length)s — %(price)s", name=service.name, length=name, price=price)
            choices.append({"value": f"{service.id}:{option.id}", "label": label})
    return choices


def visit_plan(venue: Venue, services: list[Service], treatments: list[Treatment], slots: tuple[Slot, ...]) -> str:
    """ "10:00 Facial (Ines) → 11:00 Massage (Tom or Ana) → ends 12:00": who is free for each."""
    zone = timefmt.venue_zone(venue)
    steps = []
    for service, treatment, slot in zip(services, treatments, slots, strict=True):
        step = f"{timefmt.clock_label(slot.start, zone)} {treatment_name(service, treatment)}"
        names = [m.name for m in venue.team if m.id in slot.team_member_ids]
        if names:
            step += f" ({format_list(names, style='or', locale=get_locale() or 'en')})"
        steps.append(step)
    steps.append(_("ends %(time)s", time=timefmt.clock_label(slots[-1].end, zone)))
    return " → ".join(steps)


def visit_calendar(
    month: date, *, today: date, last_day: date, selected: date | None, fits: dict[date, bool], link: Any
) -> dict[str, Any]:
    """The month grid of booking/_month_grid.html (Monday first): a day the visit fits is a link."""
    fitting = _("the visit fits")
    return month_grid_of(
        month,
        today=today,
        last_day=last_day,
        selected=selected,
        link=link,
        open_status=lambda d: fitting if fits.get(d) else None,
    )
