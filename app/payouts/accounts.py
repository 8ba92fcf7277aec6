"""A venue's payout account: connecting it, what the gateway says about it, and whether the
venue may take paid bookings.

A venue connects from Dashboard -> Payouts: we make an Express account (once: one account
per venue, an idempotency key per venue) and send the owner to the gateway's onboarding
through an account link; its return page asks the gateway where the account stands, and
``account.updated`` events keep it current. When an account becomes enabled, transfers that
were waiting for it are sent (a job each).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.payouts.gateway import connect_gateway_named, get_connect_gateway
from app.payouts.models import ConnectedAccount
from app.payouts.ports import AccountState, AccountStatus, ConnectGateway
from app.payouts.transfers import release_waiting
from app.platform import cache_versions
from app.platform.extensions import db
from app.platform.urls import absolute_url
from app.venues.models import Venue

STATUS_LABELS = {
    AccountStatus.NOT_CONNECTED: _l("Not connected"),
    AccountStatus.PENDING: _l("Pending"),
    AccountStatus.ENABLED: _l("Enabled"),
    AccountStatus.RESTRICTED: _l("Restricted"),
}
STATUS_HELP = {
    AccountStatus.NOT_CONNECTED: _l(
        "Connect a payout account so customers can pay for your bookings online and we can pay you your share."
    ),
    AccountStatus.PENDING: _l(
        "Your payout account is set up but not finished, or Stripe is checking it. "
        "Continue the setup below; it takes a few minutes."
    ),
    AccountStatus.ENABLED: _l("Your payout account is ready: after each paid booking, your share is sent to it."),
    AccountStatus.RESTRICTED: _l(
        "Stripe needs a few more details before it can pay you. Until then your share waits with us, safely."
    ),
}
# Bootstrap badge colours of the statuses (the owner's checklist, the admin's queue and preview).
STATUS_BADGES = {
    AccountStatus.NOT_CONNECTED: "secondary",
    AccountStatus.PENDING: "info",
    AccountStatus.ENABLED: "success",
    AccountStatus.RESTRICTED: "warning",
}
NOT_TAKING_BOOKINGS = _l("Not taking online bookings yet")

signals = Namespace()
account_changed = signals.signal(
    "payout-account-changed",
    doc="Fires when a venue's payout account was made or its status may have changed (``accounts._announce``), "
    "inside the changing transaction, where receivers enqueue jobs. The sender is the new ``AccountStatus``; "
    "receivers get ``venue_id``.",
)

# Stripe's requirement names for an Express account, in words; anything else is shown tidied.
REQUIREMENT_LABELS = {
    "external_account": _l("A bank account to pay you into"),
    "tos_acceptance.date": _l("Accept Stripe's terms of service"),
    "tos_acceptance.ip": _l("Accept Stripe's terms of service"),
    "business_profile.url": _l("Your business website (or a social profile)"),
    "business_profile.mcc": _l("What kind of business you run"),
    "business_type": _l("Your type of business"),
    "individual.verification.document": _l("A photo of your identity document"),
    "individual.dob.day": _l("Your date of birth"),
    "individual.dob.month": _l("Your date of birth"),
    "individual.dob.year": _l("Your date of birth"),
    "individual.address.line1": _l("Your home address"),
    "individual.first_name": _l("Your name"),
    "individual.last_name": _l("Your name"),
    "individual.email": _l("Your email address"),
    "individual.phone": _l("Your phone number"),
    "representative.verification.document": _l("A photo of the representative's identity document"),
    "company.tax_id": _l("Your company's tax number"),
}


def requirement_label(key: str) -> str:
    return REQUIREMENT_LABELS.get(key) or key.replace(".", " ").replace("_", " ").capitalize()


def get_account(venue_id: int) -> ConnectedAccount | None:
    return db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.venue_id == venue_id))


def status_of(account: ConnectedAccount | None) -> str:
    return AccountStatus.NOT_CONNECTED if account is None else account.status


@dataclass(frozen=True)
class AccountView:
    status: str
    label: str
    help: str
    still_needed: list[str]
    gateway: str | None
    account_id: str | None
    can_continue: bool  # onboarding can be (re)opened


def describe(account: ConnectedAccount | None) -> AccountView:
    status = status_of(account)
    needed = list(dict.fromkeys(requirement_label(k) for k in (account.requirements if account else [])))
    return AccountView(
        status=status,
        label=STATUS_LABELS[status],
        help=STATUS_HELP[status],
        still_needed=needed,
        gateway=account.gateway if account else None,
        account_id=account.account_id if account else None,
        can_continue=status != AccountStatus.ENABLED,
    )


def start_onboarding(venue: Venue, *, gateway: ConnectGateway | None = None) -> str:
    """The URL of the gateway's onboarding for the venue's account (made now if it has none)."""
    account = get_account(venue.id)
    if account is None:
        gateway = gateway or get_connect_gateway()
        state = gateway.create_account(
            venue_id=venue.id,
            email=venue.owner.email,
            country=venue.country or "GB",
            idempotency_key=f"venue-{venue.id}-account",
        )
        # Two tabs pressing "Connect" at once: the first row wins; both use the same account
        # (the idempotency key made it once at the gateway).
        db.session.execute(
            insert(ConnectedAccount)
            .values(
                venue_id=venue.id,
                gateway=gateway.name,
                account_id=state.account_id,
                status=state.status,
                details_submitted=state.details_submitted,
                charges_enabled=state.charges_enabled,
                payouts_enabled=state.payouts_enabled,
                requirements=list(state.requirements),
                disabled_reason=state.disabled_reason,
            )
            .on_conflict_do_nothing(index_elements=["venue_id"])
        )
        account = get_account(venue.id)
        assert account is not None
        _announce(venue.id, account.status)
    else:
        gateway = connect_gateway_named(account.gateway)
    return gateway.account_link(
        account.account_id,
        refresh_url=absolute_url("venues_dashboard.payouts_refresh"),
        return_url=absolute_url("venues_dashboard.payouts_return"),
    )


def refresh_account(account: ConnectedAccount) -> str:
    """Ask the gateway where the account stands now (the return page, reconciliation)."""
    state = connect_gateway_named(account.gateway).retrieve_account(account.account_id)
    return apply_state(account, state)


def apply_state(account: ConnectedAccount, state: AccountState) -> str:
    """Record what the gateway said; an account that became enabled releases waiting transfers."""
    before = account.status
    account.details_submitted = state.details_submitted
    account.charges_enabled = state.charges_enabled
    account.payouts_enabled = state.payouts_enabled
    account.requirements = list(state.requirements)
    account.disabled_reason = (state.disabled_reason or None) and state.disabled_reason[:120]
    account.status = state.status
    db.session.flush()
    if account.status != before:
        _announce(account.venue_id, account.status)
    if account.status == AccountStatus.ENABLED and before != AccountStatus.ENABLED:
        released = release_waiting(account.venue_id)
        return f"account {account.account_id}: {before} -> enabled; {released} waiting transfer(s) sent"
    return f"account {account.account_id}: {before} -> {account.status}"


# -- may this venue take paid bookings? ----------------------------------------------------------------


def collect_before_enabled() -> bool:
    return bool(current_app.config.get("PAYOUTS_COLLECT_BEFORE_ENABLED"))


def _announce(venue_id: int, status: str) -> None:
    """Pages that say whether a venue takes bookings (cached under the public version) and the
    search index (a reindex job, through ``account_changed``) follow a new account status."""
    cache_versions.bump(cache_versions.PUBLIC)
    account_changed.send(str(status), venue_id=venue_id)


def payable_venue_ids(venue_ids: Iterable[int]) -> set[int]:
    """The venues among ``venue_ids`` that can take paid bookings now: every one with
    PAYOUTS_COLLECT_BEFORE_ENABLED, else those with an enabled payout account. One query at most."""
    ids = set(venue_ids)
    if not ids or collect_before_enabled():
        return ids
    return set(
        db.session.scalars(
            select(ConnectedAccount.venue_id).where(
                ConnectedAccount.venue_id.in_(ids), ConnectedAccount.status == AccountStatus.ENABLED
            )
        )
    )


def takes_paid_bookings(venue_id: int) -> bool:
    return venue_id in payable_venue_ids({venue_id})


def statuses_of(venue_ids: Iterable[int]) -> dict[int, str]:
    """Each venue's payout account status (``not_connected`` without an account), in one query."""
    ids = set(venue_ids)
    found: dict[int, str] = dict.fromkeys(ids, AccountStatus.NOT_CONNECTED)
    if ids:
        rows = db.session.execute(
            select(ConnectedAccount.venue_id, ConnectedAccount.status).where(ConnectedAccount.venue_id.in_(ids))
        )
        found.update((venue_id, status) for venue_id, status in rows)
    return found


def get_unpayable(venue_ids: set[int]) -> list[Venue]:
    """Venues among ``venue_ids`` that can't take paid bookings now (no enabled payout account)."""
    missing = sorted(set(venue_ids) - payable_venue_ids(venue_ids))
    return list(db.session.scalars(select(Venue).where(Venue.id.in_(missing)).order_by(Venue.name))) if missing else []


def unpayable_message(venue_ids: set[int]) -> str | None:
    """Why these venues can't take paid bookings yet (naming them), or None if they can."""
    unpayable = get_unpayable(venue_ids)
    if not unpayable:
        return None
    names = ", ".join(v.name for v in unpayable)
    return _(
        "%(names)s can't take online bookings yet: the venue hasn't finished setting up how it gets paid. Please try "
        "again later.",
        names=names,
    )


def connect_enabled_demo_account(venue: Venue) -> None:
    """Demo data and journeys: the venue has an enabled Demo payout account, as if its owner
    had finished the demo onboarding. Idempotent."""
    made = db.session.execute(
        insert(ConnectedAccount)
        .values(
            venue_id=venue.id,
            gateway="demo",
            account_id=f"demo_acct_seed_{venue.id}",
            status=AccountStatus.ENABLED,
            details_submitted=True,
            charges_enabled=True,
            payouts_enabled=True,
            requirements=[],
        )
        .on_conflict_do_nothing(index_elements=["venue_id"])
    )
    if made.rowcount:
        _announce(venue.id, AccountStatus.ENABLED)
