"""``flask maintenance on|off|status``: the switch from a shell, as the admin page's
(app/admin/views/maintenance.py); each switch is in the audit log with source "cli"."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from app.ops import maintenance
from app.platform.errors import DomainError
from app.platform.extensions import db

maintenance_cli = AppGroup("maintenance", help="Maintenance mode: visitors get a 503 page, admins the site.")


@maintenance_cli.command("on")
@click.option("--message", default="", help="What visitors read (at most 1000 characters).")
@click.option("--until", "until", default="", help='The expected end, ISO 8601: "2026-11-28T03:00Z" (no zone: UTC).')
def turn_on(message: str, until: str) -> None:
    """Turn maintenance mode on, or change its message and expected end."""
    now = datetime.now(UTC)
    try:
        ends_at = maintenance.parse_end(until, now)
        state = maintenance.switch_on(message, ends_at, actor_id=None, source="cli", now=now)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(describe(state))


@maintenance_cli.command("off")
def turn_off() -> None:
    """Turn maintenance mode off."""
    state = maintenance.switch_off(actor_id=None, source="cli", now=datetime.now(UTC))
    db.session.commit()
    click.echo(describe(state))


@maintenance_cli.command("status")
def status() -> None:
    """Say whether maintenance mode is on, as the database has it now."""
    click.echo(describe(maintenance.read_state()))


def describe(state: maintenance.MaintenanceState) -> str:
    if not state.on:
        return "Maintenance mode is off."
    lines = ["Maintenance mode is on."]
    if state.message:
        lines.append(f"Message: {state.message}")
    lines.append(f"Expected end: {state.ends_at.isoformat() if state.ends_at else 'none given'}")
    if state.switched_at is not None:
        by = f"user {state.switched_by_id}" if state.switched_by_id else "the command line"
        lines.append(f"Switched on {state.switched_at.isoformat()} by {by}.")
    return "\n".join(lines)
