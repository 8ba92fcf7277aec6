"""Maintenance mode: its state and its switch (docs/maintenance-mode.md). While it is on, visitors
get a 503 page (the JSON API problem details) with ``Retry-After``, and only admins use the site:
app/web/maintenance_gate.py holds the request hook.

The state is one row in PostgreSQL (``maintenance_mode``), so every web process on every host
sees the same switch. A process reads it at most once every ``MAINTENANCE_CHECK_SECONDS``
(default 5) by the monotonic clock: an ordinary request sends no statement for it in steady
state. Switching it in a process (the admin page, ``flask maintenance``) sets that process's copy
at once; other processes follow within the interval. ``None`` never reads it on requests: the
test suite's one process, where only its own switches change it.

What stays open while it is on: static files, the probes (``/healthz`` stays 200 and says
maintenance is on; ``/readyz`` keeps its own answer, so a load balancer keeps the pods that
serve the 503 page), signing in (password, two-factor, passkeys) and out, and the payment
webhooks (a money event must never be lost). A signed-in admin uses the whole site.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, SmallInteger, String, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from app.audit import service as audit
from app.platform.errors import DomainError
from app.platform.extensions import db
from app.platform.sqlutil import fresh_session, short_error

log = logging.getLogger(__name__)

CHECK_EVERY = 5.0  # seconds between a process's reads of the switch
DEFAULT_RETRY_AFTER = 300  # seconds, when no end is expected (or the expected end has passed)
MESSAGE_MAX = 1000
LONGEST = timedelta(days=30)  # an expected end further away is a typo


class MaintenanceMode(db.Model):
    """The one row that says whether the site is in maintenance (id 1; no row: off)."""

    __tablename__ = "maintenance_mode"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    is_on: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str] = mapped_column(String(MESSAGE_MAX))
    ends_at: Mapped[datetime | None]
    switched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    switched_at: Mapped[datetime]


@dataclass(frozen=True)
class MaintenanceState:
    on: bool
    message: str = ""
    ends_at: datetime | None = None
    switched_by_id: int | None = None
    switched_at: datetime | None = None

    def retry_after(self, now: datetime) -> int:
        """Seconds until the expected end, or a few minutes when none is expected any more."""
        if self.ends_at is None or self.ends_at <= now:
            return DEFAULT_RETRY_AFTER
        return max(1, math.ceil((self.ends_at - now).total_seconds()))

    def as_json(self) -> dict:
        return {"on": self.on, "ends_at": self.ends_at.isoformat() if self.ends_at else None}


OFF = MaintenanceState(on=False)


class BadMaintenanceSwitch(DomainError):
    """A switch the site can't take (an end in the past, a message too long): a 400."""


# -- reading the state ---------------------------------------------------------------------


def _check_every(app: Flask) -> float | None:
    return app.config.get("MAINTENANCE_CHECK_SECONDS", None if app.testing else CHECK_EVERY)


def read_state() -> MaintenanceState:
    """The state as the database has it now (one statement; plain values, so a row the session
    already holds is never answered from memory)."""
    m = MaintenanceMode
    row = db.session.execute(
        select(m.is_on, m.message, m.ends_at, m.switched_by_id, m.switched_at).where(m.id == 1)
    ).one_or_none()
    return OFF if row is None else MaintenanceState(*row)


def current_state() -> MaintenanceState:
    """The state this process last read, read again once its copy is older than the interval.
    A database that can't be asked leaves the last state read (off if none) for another interval:
    the probes and the page cache's stale copies keep answering."""
    memo: dict = current_app.extensions["maintenance"]
    every = _check_every(current_app)
    now = time.monotonic()
    if every is None or ("state" in memo and memo["until"] > now):
        return memo.get("state", OFF)
    try:
        state = read_state()
    except (OperationalError, InterfaceError) as error:
        log.warning("maintenance mode unreadable (%s); keeping the last state read", short_error(error))
        fresh_session()
        state = memo.get("state", OFF)
    memo.update(state=state, until=now + every)
    return state


def remember(state: MaintenanceState) -> None:
    """This process's copy, set at once by a switch made here."""
    every = _check_every(current_app) or 0.0
    current_app.extensions["maintenance"].update(state=state, until=time.monotonic() + every)


def forget() -> None:
    """Drop this process's copy: the next request reads the database (tests)."""
    current_app.extensions["maintenance"].clear()


# -- switching -----------------------------------------------------------------------------


def parse_end(text: str | None, now: datetime) -> datetime | None:
    """An expected end written as ISO 8601 ("2026-11-28T03:00Z"; no zone: UTC), or None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        ends_at = datetime.fromisoformat(text)
    except ValueError:
        raise BadMaintenanceSwitch(_("The expected end must be a date and time like 2026-11-28T03:00Z.")) from None
    if ends_at.tzinfo is None:
        ends_at = ends_at.replace(tzinfo=UTC)
    ends_at = ends_at.astimezone(UTC)
    if ends_at <= now:
        raise BadMaintenanceSwitch(_("The expected end must be in the future."))
    if ends_at > now + LONGEST:
        raise BadMaintenanceSwitch(_("The expected end must be within 30 days."))
    return ends_at


def switch_on(
    message: str, ends_at: datetime | None, *, actor_id: int | None, source: str, now: datetime
) -> MaintenanceState:
    """Turn maintenance on (or change its message and end while on), in the caller's transaction."""
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise BadMaintenanceSwitch(_("The message can be at most %(count)d characters long.", count=MESSAGE_MAX))
    if ends_at is not None and ends_at <= now:
        raise BadMaintenanceSwitch(_("The expected end must be in the future."))
    return _switch(MaintenanceState(True, message, ends_at, actor_id, now), source=source)


def switch_off(*, actor_id: int | None, source: str, now: datetime) -> MaintenanceState:
    return _switch(MaintenanceState(False, "", None, actor_id, now), source=source)


def _switch(state: MaintenanceState, *, source: str) -> MaintenanceState:
    before = read_state()
    values = {
        "is_on": state.on,
        "message": state.message,
        "ends_at": state.ends_at,
        "switched_by_id": state.switched_by_id,
        "switched_at": state.switched_at,
    }
    db.session.execute(
        insert(MaintenanceMode).values(id=1, **values).on_conflict_do_update(index_elements=["id"], set_=values)
    )
    audit.record(
        "maintenance.on" if state.on else "maintenance.off",
        actor_id=state.switched_by_id,
        about=("maintenance", None),
        from_state="on" if before.on else "off",
        to_state="on" if state.on else "off",
        source=source,
        message=state.message,
        ends_at=state.ends_at.isoformat() if state.ends_at else None,
    )
    remember(state)
    return state


def init_app(app: Flask) -> None:
    """This process's copy of the switch (app/web/maintenance_gate.py installs the request hook)."""
    app.extensions["maintenance"] = {}
