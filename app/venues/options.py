"""A service's options: its lengths or other variants ("60 min", "90 min"; "Short hair", "Long
hair"), each booked for its own duration and price, as Fresha's and Phorest's pricing options.

- A service has no options (booked as itself) or 2 to ``MAX_OPTIONS``; one option would be the
  service itself, so the owner sets the service's length and price instead.
- With options, the service's own ``duration_minutes`` and ``price_minor`` are those of its
  cheapest option (the shortest of equal prices), kept so here: search's price filter, the cards'
  and the venue page's "from £X" and the next free time read the service row alone.
- Saving keeps an option's id where its ``id`` is given, so carts and bookings that name it still
  do; an option left out is removed (a cart item holding it goes with it; a booking keeps the
  option's name, ``bookings.option_name``).
- A booking names the option chosen (``chosen_option``); its length and price (``length_and_price``)
  are what the slot engine, the hold and the receipt use.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.child_rows import replace_rows
from app.venues.deposits import check_payment_terms
from app.venues.models import Service, ServiceOption
from app.venues.processing import check_processing, processing_of

MAX_OPTIONS = 10
NAME_MAX = 60


@dataclass(frozen=True)
class OptionInput:
    """An option as the owner gives it; ``id`` names one the service has (kept), None a new one."""

    name: str
    duration_minutes: int
    price_minor: int
    id: int | None = None


def check_options(options: list[OptionInput]) -> None:
    """Raise ValidationFailed (field ``options``, a sentence for the owner) unless the list makes sense."""
    if len(options) == 1:
        raise ValidationFailed(
            _("Add a second option, or remove this one and set the service's own length and price."), field="options"
        )
    if len(options) > MAX_OPTIONS:
        raise ValidationFailed(_("A service has at most %(num)d options.", num=MAX_OPTIONS), field="options")
    seen: set[str] = set()
    for option in options:
        name = option.name.strip()
        if not 1 <= len(name) <= NAME_MAX:
            raise ValidationFailed(
                _("Give each option a name of up to %(num)d characters.", num=NAME_MAX), field="options"
            )
        if name.casefold() in seen:
            raise ValidationFailed(_("Two options are called “%(name)s”.", name=name), field="options")
        seen.add(name.casefold())
        if not 5 <= option.duration_minutes <= 720:
            raise ValidationFailed(
                _("“%(name)s” must last between 5 minutes and 12 hours.", name=name), field="options"
            )
        if option.price_minor < 0:
            raise ValidationFailed(_("“%(name)s” can't have a negative price.", name=name), field="options")


def cheapest(options: list[OptionInput] | list[ServiceOption]) -> OptionInput | ServiceOption:
    """The option the service's own length and price follow: the cheapest, then the shortest."""
    return min(options, key=lambda o: (o.price_minor, o.duration_minutes))


def standard_option(service: Service) -> ServiceOption | None:
    """The option booked when none is named (the booking button, the desk, the demo): the
    cheapest, whose length and price are the service's own; None for a service without options."""
    return cheapest(service.options) if service.options else None


def set_options(service: Service, options: list[OptionInput]) -> None:
    """Make ``options`` the service's, in their order (validated first; nothing changes on a refusal)."""
    check_options(options)
    check_processing(processing_of(service), [o.duration_minutes for o in options])
    if options:
        first = cheapest(options)
        check_payment_terms(
            service.payment_mode,
            price_minor=first.price_minor,
            deposit_percent=service.deposit_percent,
            deposit_fixed_minor=service.deposit_fixed_minor,
            no_show_fee_percent=service.no_show_fee_percent,
        )
    kept = replace_rows(
        service.options,
        options,
        make=lambda: ServiceOption(service_id=service.id),
        fields=("name", "duration_minutes", "price_minor"),
        foreign=ValidationFailed(_("That option is not one of this service's."), field="options"),
    )
    service.options = kept
    if kept:
        first = cheapest(kept)
        service.duration_minutes, service.price_minor = first.duration_minutes, first.price_minor
    db.session.flush()


def chosen_option(service: Service, option_id: int | None) -> ServiceOption | None:
    """The service's option ``option_id`` names: required when the service has options, refused
    when it has none (ValidationFailed, field ``option``)."""
    if not service.options:
        if option_id is not None:
            raise ValidationFailed(_("This service has no options to choose from."), field="option")
        return None
    for option in service.options:
        if option.id == option_id:
            return option
    if option_id is None:
        raise ValidationFailed(_("Choose one of the service's options."), field="option")
    raise ValidationFailed(_("That option is not one of this service's."), field="option")


def length_and_price(service: Service, option: ServiceOption | None) -> tuple[int, int]:
    """(minutes, price in minor units) of the service as booked: the option's, else its own."""
    if option is None:
        return service.duration_minutes, service.price_minor
    return option.duration_minutes, option.price_minor


def from_price(service: Service) -> tuple[int, bool]:
    """(the lowest price it sells for, whether it sells for more): "from £45" when the second is true."""
    prices = {o.price_minor for o in service.options}
    return service.price_minor, len(prices) > 1


def keep_options(service: Service) -> None:
    """Set the service's options again as they are: after its own length or price was edited
    without them, they follow its cheapest option again."""
    if service.options:
        set_options(service, [OptionInput(o.name, o.duration_minutes, o.price_minor, id=o.id) for o in service.options])
