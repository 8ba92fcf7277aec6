"""`flask serve`: everything `make run` needs, in one process tree."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import click
from flask import Flask
from flask_migrate import upgrade

from app.extensions import db


def serve(app: Flask, *, host: str, port: int, worker: bool, seed: bool) -> None:
    upgrade()
    accounts = []
    if seed:
        from app.seed import seed_demo

        with app.test_request_context(base_url=f"http://{host}:{port}"):
            accounts = seed_demo()
            db.session.commit()
    db.session.remove()

    worker_process = None
    if worker:
        env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
        worker_process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"], env=env)

    url = f"http://{host}:{port}"
    click.echo("")
    click.secho(f"CozyWish is running at {url}", fg="green", bold=True)
    if accounts:
        click.echo(f"Demo accounts (password: {accounts[0]['password']}):")
        for account in accounts:
            click.echo(f"  {account['role']:<9} {account['email']}")
    click.echo(f"Emails are written to {app.config.get('MAIL_FILE_PATH') or 'the console'}.")
    click.echo("Press Ctrl-C to stop.\n")

    def stop(*_args) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        from werkzeug.serving import run_simple

        run_simple(host, int(port), app, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        if worker_process is not None:
            worker_process.terminate()
            try:
                worker_process.wait(10)
            except subprocess.TimeoutExpired:
                worker_process.kill()
