"""A service's add-ons, and what a customer books of a service.

Add-ons are extras chosen when booking ("Hot stones", +£15, +15 min; "Scalp massage", +£10):
each adds its price to the booking's and its minutes to the booking's length, as Fresha's and
Treatwell's add-ons do. A service has at most ``MAX_ADDONS``; a customer picks any of them, each
at most once.

``Choice`` is what a booking is of its service: one of its options (app/venues/options.py) or
the service's own length and price, plus the add-ons picked. The slot engine asks it how long
the booking is, the hold what it costs; ``Choice()`` is the service as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from flask_babel import gettext as _

from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.child_rows import replace_rows
from app.venues.models import Service, ServiceAddon, ServiceOption
from app.venues.options import NAME_MAX, length_and_price

MAX_ADDONS = 10
MAX_EXTRA_MINUTES = 240


@dataclass(frozen=True)
class AddonInput:
    """An add-on as the owner gives it; ``id`` names one the service has (kept), None a new one."""

    name: str
    price_minor: int
    extra_minutes: int = 0
    id: int | None = None


class Extra(Protocol):
    """An add-on as a choice reads it: one of the service's (``ServiceAddon``) or one as booked
    (``BookingAddon``: its name, price and minutes then), either naming the add-on by ``addon_id``."""

    @property
    def addon_id(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def price_minor(self) -> int: ...
    @property
    def extra_minutes(self) -> int: ...


@dataclass(frozen=True)
class Choice:
    """What one booking is of its service: ``option`` (None: the service's own length and
    price) and the add-ons picked, in the service's order."""

    option: ServiceOption | None = None
    addons: tuple[Extra, ...] = ()

    def minutes(self, service: Service) -> int:
        """The booking's length: the option's (or the service's) plus every add-on's minutes."""
        return length_and_price(service, self.option)[0] + sum(a.extra_minutes for a in self.addons)

    def price_minor(self, service: Service) -> int:
        """One booking's price: the option's (or the service's) plus every add-on's."""
        return length_and_price(service, self.option)[1] + sum(a.price_minor for a in self.addons)


def check_addons(addons: list[AddonInput]) -> None:
    """Raise ValidationFailed (field ``addons``, a sentence for the owner) unless the list makes sense."""
    if len(addons) > MAX_ADDONS:
        raise ValidationFailed(_("A service has at most %(num)d add-ons.", num=MAX_ADDONS), field="addons")
    seen: set[str] = set()
    for addon in addons:
        name = addon.name.strip()
        if not 1 <= len(name) <= NAME_MAX:
            raise ValidationFailed(
                _("Give each add-on a name of up to %(num)d characters.", num=NAME_MAX), field="addons"
            )
        if name.casefold() in seen:
            raise ValidationFailed(_("Two add-ons are called “%(name)s”.", name=name), field="addons")
        seen.add(name.casefold())
        if addon.price_minor < 0:
            raise ValidationFailed(_("“%(name)s” can't have a negative price.", name=name), field="addons")
        if not 0 <= addon.extra_minutes <= MAX_EXTRA_MINUTES:
            raise ValidationFailed(
                _("“%(name)s” adds between 0 and %(num)d minutes.", name=name, num=MAX_EXTRA_MINUTES),
                field="addons",
            )


def set_addons(service: Service, addons: list[AddonInput]) -> None:
    """Make ``addons`` the service's, in their order (validated first; nothing changes on a refusal).
    An add-on left out is removed: a booking keeps it as booked (``booking_addons``)."""
    check_addons(addons)
    service.addons = replace_rows(
        service.addons,
        addons,
        make=lambda: ServiceAddon(service_id=service.id),
        fields=("name", "price_minor", "extra_minutes"),
        foreign=ValidationFailed(_("That add-on is not one of this service's."), field="addons"),
    )
    db.session.flush()


def chosen_addons(service: Service, addon_ids: Iterable[int]) -> tuple[ServiceAddon, ...]:
    """The service's add-ons ``addon_ids`` names, in the service's order; ValidationFailed (field
    ``addons``) for one that isn't the service's or named twice."""
    wanted = list(addon_ids)
    if len(set(wanted)) != len(wanted):
        raise ValidationFailed(_("Each add-on can be added once."), field="addons")
    known = {addon.id: addon for addon in service.addons}
    if any(addon_id not in known for addon_id in wanted):
        raise ValidationFailed(_("That add-on is not one of this service's."), field="addons")
    return tuple(addon for addon in service.addons if addon.id in set(wanted))
