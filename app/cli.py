"""Command-line tools: `flask users`, `flask seed`, `flask jobs`, `flask search`, `flask diagnose`,
`flask serve`, and the groups registered below (`flask invoices`, `flask maintenance`, `flask probe`,
`flask backup`, ...)."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.platform.db_routing import role_settings_sql
from app.platform.errors import DomainError
from app.platform.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
seed_cli = AppGroup("seed", help="Load data.")
jobs_cli = AppGroup("jobs", help="Run the job queue.")
embedded_cli = AppGroup("embedded-db", help="The embedded PostgreSQL used when DATABASE_URL is unset.")
search_cli = AppGroup("search", help="The venue search index.")
docs_cli = AppGroup("docs", help="The parts of docs/ made from the code.")
db_settings_cli = AppGroup(
    "db-settings", help="The role settings a connection through PgBouncer in transaction pooling relies on."
)


@users_cli.command("totp-code")
@click.argument("email")
@with_appcontext
def totp_code(email: str) -> None:
    """Development only: print the current two-factor code of EMAIL (the demo admin's, say)."""
    from app.accounts.service import get_user_by_email
    from app.accounts.two_factor import current_code

    if current_app.config["ENV_NAME"] != "development":
        raise click.ClickException("totp-code works only in development.")
    user = get_user_by_email(email)
    code = current_code(user) if user else None
    if code is None:
        raise click.ClickException(f"{email} has no two-factor sign-in.")
    click.echo(code)


@users_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True, default="Administrator")
@click.password_option(help="At least 12 characters, not a common password.")
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator account."""
    from app.accounts.service import create_admin as create

    try:
        user = create(email=email, name=name, password=password)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Created admin {user.email} (id {user.id}).")


@seed_cli.command("demo")
def seed_demo() -> None:
    """Create demo accounts (and, as features land, demo data); safe to run again."""
    from app.demo.seed import seed_demo as run_seed

    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        accounts = run_seed()
        db.session.commit()
    click.echo("Demo accounts (password for all: {})".format(accounts[0]["password"]))
    for account in accounts:
        click.echo(f"  {account['role']:<9} {account['email']}")


@jobs_cli.command("worker")
@click.option("--concurrency", default=2, show_default=True)
def jobs_worker(concurrency: int) -> None:
    """Run a worker that processes jobs until stopped (Ctrl-C); it reconnects if the database restarts."""
    from app.platform import db_timeouts, metrics
    from app.platform.jobs import run_worker

    port, token = current_app.config.get("WORKER_METRICS_PORT"), current_app.config.get("METRICS_TOKEN")
    if port and not token:
        raise click.UsageError("WORKER_METRICS_PORT needs METRICS_TOKEN: metrics are never served without a token.")
    if port:
        # A worker serving its own metrics is alone with its directory (its container's, or a
        # pod's): values left by a previous run of the container are not this run's.
        if directory := metrics.multiprocess_dir():
            metrics.reset_multiprocess_dir(directory, keep_pid=os.getpid())
        metrics.serve_in_thread(port, token)
    db_timeouts.use_jobs_timeout(current_app._get_current_object())  # JOBS_STATEMENT_TIMEOUT_MS
    click.echo("Job worker started.")
    run_worker(current_app._get_current_object(), wait=True, concurrency=concurrency)


@jobs_cli.command("run-once")
def jobs_run_once() -> None:
    """Run every job that is due now, in this process, then exit."""
    from app.platform.jobs import run_pending_jobs

    done = run_pending_jobs(limit=1000)
    db.session.commit()
    click.echo(f"Ran {len(done)} job(s).")


@search_cli.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from every approved venue."""
    from search.backend import get_backend

    backend = get_backend()
    with click.progressbar(length=0, label=f"Indexing venues ({backend.name})") as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        count = backend.reindex_all(progress)
    db.session.commit()  # the index writes bumped the cache version: cached results go with it
    click.echo(f"Indexed {count} venue(s).")


@search_cli.command("free-time")
@click.option("--all", "everything", is_flag=True, help="Recompute every searchable venue, not only stale ones.")
def search_free_time(everything: bool) -> None:
    """Compute the free time kept ahead for "today"/"this weekend" searches (search/free_time.py)."""
    from sqlalchemy import text

    from search.free_time import REFRESH_BATCH, refresh_due, refresh_free_time

    if not everything:
        click.echo(f"Computed the free time of {refresh_due(budget_seconds=3600)} stale or missing venue(s).")
        return
    ids = list(db.session.execute(text("SELECT venue_id FROM venue_search ORDER BY venue_id")).scalars())
    written = 0
    with click.progressbar(length=len(ids), label="Computing free time") as bar:
        for n in range(0, len(ids), REFRESH_BATCH):
            chunk = ids[n : n + REFRESH_BATCH]
            written += refresh_free_time(chunk)
            db.session.commit()
            bar.update(len(chunk))
    click.echo(f"Computed the free time of {written} venue(s).")


@search_cli.command("load-places")
def search_load_places() -> None:
    """Reload the gazetteer of towns and cities (search/places.py) from the installed package."""
    from search.places import load_places

    count = load_places(db.session)
    db.session.commit()
    click.echo(f"Loaded {count} place(s).")


@embedded_cli.command("stop")
def embedded_stop() -> None:
    """Stop the embedded PostgreSQL server if it is running."""
    from pathlib import Path

    from app.platform.embedded_db import stop_embedded_server

    pgdata = Path(current_app.config.get("EMBEDDED_PGDATA") or Path(current_app.instance_path) / "pgdata")
    click.echo("Stopped." if stop_embedded_server(pgdata) else "Not running.")


@click.command("diagnose")
@with_appcontext
def diagnose() -> None:
    """Print a health report of configuration, database, migrations, queue, email and storage."""
    from app.ops.checks import DIAGNOSE_CHECKS

    problems = 0
    for check in DIAGNOSE_CHECKS:
        result = check()
        mark = click.style("ok  ", fg="green") if result.ok else click.style("FAIL", fg="red")
        click.echo(f"[{mark}] {result.name:<14} {result.detail}")
        if result.hint and not result.ok:
            click.echo(f"       hint: {result.hint}")
            problems += 1
        elif result.hint:
            click.echo(f"       note: {result.hint}")
    click.echo("All checks passed." if not problems else f"{problems} problem(s) found.")
    if problems:
        raise SystemExit(1)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=5000, show_default=True)
@click.option("--no-worker", is_flag=True, help="Do not start a job worker beside the server.")
@click.option("--no-seed", is_flag=True, help="Do not load demo data (only loaded in development anyway).")
@click.option("--dev", is_flag=True, help="Flask's reloading development server instead of gunicorn (`make dev`).")
@with_appcontext
def serve(host: str, port: int, no_worker: bool, no_seed: bool, dev: bool) -> None:
    """Migrate, load demo data, serve with gunicorn and keep a job worker running (`make run`)."""
    from app.ops.serve import serve as run

    run(current_app._get_current_object(), host=host, port=port, worker=not no_worker, seed=not no_seed, dev=dev)


@db_settings_cli.command("show")
@click.option("--role", help="The role the web connects as (default: DATABASE_URL's).")
@with_appcontext
def db_settings_show(role: str | None) -> None:
    """Print the ALTER ROLE statements for timezone, jit and the statement and lock timeouts."""
    with db.engine.connect() as connection:
        for statement in role_settings_sql(connection, current_app.config, role):
            click.echo(statement + ";")


@db_settings_cli.command("apply")
@click.option("--role", help="The role the web connects as (default: DATABASE_URL's).")
@with_appcontext
def db_settings_apply(role: str | None) -> None:
    """Give the role, in this database, what the app would otherwise set per session. New server
    connections get them: make PgBouncer reconnect (RECONNECT in its console) afterwards."""
    with db.engine.begin() as connection:
        for statement in role_settings_sql(connection, current_app.config, role):
            connection.exec_driver_sql(statement)
            click.echo(statement + ";")


@docs_cli.command("signals")
@with_appcontext
def docs_signals() -> None:
    """Write the table of named signals and their receivers in docs/architecture.md."""
    from app.ops import signal_table

    click.echo("docs/architecture.md: signals " + ("rewritten" if signal_table.write() else "already current"))


def register(app: Flask) -> None:
    commands = (users_cli, seed_cli, jobs_cli, search_cli, embedded_cli, db_settings_cli, docs_cli, diagnose, serve)
    for command in commands:
        app.cli.add_command(command)
    from app.invoicing.cli import invoices_cli
    from app.ops.backup import backup_cli
    from app.ops.maintenance_cli import maintenance_cli
    from app.ops.probe import probe_cli
    from app.payments.reconcile import payments_cli
    from app.platform.storage import storage_cli

    app.cli.add_command(payments_cli)
    app.cli.add_command(invoices_cli)  # flask invoices issue --month 2026-11; flask invoices credit
    app.cli.add_command(backup_cli)
    app.cli.add_command(maintenance_cli)  # flask maintenance on|off|status
    app.cli.add_command(probe_cli)  # flask probe setup; flask probe run --base-url ...
    app.cli.add_command(storage_cli)  # flask storage copy --from local --to s3
