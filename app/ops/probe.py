"""`flask probe run`: a synthetic customer books and cancels on the live site, over real HTTP.

Every few minutes (deploy/k8s/probe-cronjob.yaml) the probe signs in as the probe customer,
checks that search answers (the probe venue itself is hidden from search), opens the probe
venue, puts its first service at the first free time in the cart, checks out, pays on the Demo
gateway's hosted checkout with the test card that pays (the site sends the probe's own orders
there even where Stripe takes everyone else's), and cancels the booking. Each step is timed;
the first that fails stops the run, is named on stderr, and makes the command exit 1. The
outcome is written as Prometheus metrics (a node_exporter textfile with ``--textfile``, a
Pushgateway with PROBE_PUSHGATEWAY_URL) for the ``CozyWishProbeFailing`` alert. Design and
limits: docs/synthetic-probe.md.

The probe needs no database and no app context: it is a client of the site like any other.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import click
import requests
from flask.cli import AppGroup

from app.ops.probe_setup import setup_probe

probe_cli = AppGroup("probe", help="The synthetic booking probe (docs/synthetic-probe.md).")
probe_cli.add_command(setup_probe)

STEPS = ("sign_in", "search", "open_venue", "add_to_cart", "checkout", "pay", "cancel")
METRICS = (
    "cozywish_probe_success",
    "cozywish_probe_duration_seconds",
    "cozywish_probe_last_run_timestamp",
)
PUSH_JOB = "cozywish_probe"
DAYS_AHEAD = 14
PAYING_CARD = {"card_number": "4242 4242 4242 4242", "cvc": "123"}
CSRF_INPUT_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CSRF_META_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


class StepFailed(Exception):
    """A step of the probe that did not do what a customer needs; the message says what happened."""


@dataclass
class Outcome:
    """What one run did: each step reached with its seconds, and the one that failed (if any)."""

    durations: dict[str, float] = field(default_factory=dict)
    failed_step: str | None = None
    message: str = ""
    finished_at: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.failed_step is None


def _csrf(html: str) -> str:
    match = CSRF_INPUT_RE.search(html) or CSRF_META_RE.search(html)
    if match is None:
        raise StepFailed("the page has no CSRF token")
    return next(group for group in match.groups() if group)


class BookingProbe:
    """One run against ``base_url`` as the probe customer; ``run`` walks the steps in order."""

    def __init__(self, base_url: str, email: str, password: str, *, venue_slug: str, query: str, timeout: float):
        self.base_url = base_url.rstrip("/") + "/"
        self.email, self.password = email, password
        self.venue_slug, self.query, self.timeout = venue_slug, query, timeout
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "CozyWish-probe/1"
        self.csrf = ""
        self.service_id: int | None = None
        self.order: dict[str, Any] = {}

    # -- HTTP ------------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path.lstrip("/"))

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.url(path), timeout=self.timeout, **kwargs)

    def api(self, method: str, path: str, expected: int, json: Any = None) -> Any:
        headers = {"X-CSRFToken": self.csrf, "Accept": "application/json"}
        response = self.http.request(
            method, self.url(f"/api/v1{path}"), json=json, headers=headers, timeout=self.timeout
        )
        if response.status_code != expected:
            raise StepFailed(f"{method} /api/v1{path} answered {response.status_code}: {response.text[:200]}")
        return response.json() if response.content else None

    # -- the steps ----------------------------------------------------------------------------------

    def sign_in(self) -> None:
        page = self.get("/account/sign-in")
        form = {"csrf_token": _csrf(page.text), "email": self.email, "password": self.password}
        answer = self.http.post(self.url("/account/sign-in"), data=form, allow_redirects=False, timeout=self.timeout)
        if answer.status_code not in (302, 303):
            raise StepFailed(f"signing in as {self.email} answered {answer.status_code} (wrong password?)")
        self.csrf = _csrf(self.get("/").text)
        me = self.api("GET", "/me", 200)
        if me.get("email", "").lower() != self.email.lower():
            raise StepFailed(f"signed in as {me.get('email')!r}, not {self.email}")
        # What a failed run left behind (an item it never checked out) must not join this order.
        for item in self.api("GET", "/me/cart", 200)["items"]:
            self.api("DELETE", f"/me/cart/items/{item['id']}", 204)

    def search(self) -> None:
        """Search answers ``query`` with real venues, and never with the probe's own (the site
        hides it from search when PROBE_VENUE_SLUG is set: docs/synthetic-probe.md)."""
        found = self.api("GET", f"/venues?q={requests.utils.quote(self.query)}", 200)
        slugs = [venue["slug"] for venue in found["venues"]]
        if self.venue_slug in slugs:
            raise StepFailed(f"search lists the probe venue {self.venue_slug}: set PROBE_VENUE_SLUG on the site")
        if not slugs:
            raise StepFailed(f"searching {self.query!r} found no venue")

    def open_venue(self) -> None:
        page = self.get(f"/venues/{self.venue_slug}")
        if page.status_code != 200:
            raise StepFailed(f"the venue page answered {page.status_code}")
        services = self.api("GET", f"/venues/{self.venue_slug}/services", 200)
        if not services:
            raise StepFailed(f"{self.venue_slug} has no bookable service")
        self.service_id = services[0]["id"]

    def add_to_cart(self) -> None:
        base = f"/venues/{self.venue_slug}/availability?service_id={self.service_id}"
        # From the day after tomorrow: well outside any cancellation deadline, so cancelling is free.
        first = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
        days = self.api("GET", f"{base}&days={DAYS_AHEAD}&start={first}", 200)["days"]
        day = next((d["date"] for d in days if d["free_starts"] > 0), None)
        if day is None:
            raise StepFailed(f"{self.venue_slug} has no free time in the next {DAYS_AHEAD} days")
        slots = self.api("GET", f"{base}&date={day}", 200)["slots"]
        if not slots:
            raise StepFailed(f"{self.venue_slug} counted free times on {day} but listed none")
        item = {"service_id": self.service_id, "starts_at": slots[0]["start"], "quantity": 1}
        self.api("POST", "/me/cart/items", 201, json=item)

    def checkout(self) -> None:
        self.order = self.api("POST", "/me/orders", 201, json={})
        if not self.order["bookings"]:
            raise StepFailed(f"order {self.order['id']} holds no booking")

    def pay(self) -> None:
        start = self.api("POST", f"/me/orders/{self.order['id']}/payments", 201)
        if start["gateway"] != "demo":
            raise StepFailed(f"the site pays through {start['gateway']!r}; the probe pays only on a moneyless gateway")
        page = self.http.get(start["checkout_url"], timeout=self.timeout)
        expiry = (datetime.now(UTC) + timedelta(days=730)).strftime("%m/%y")
        form = {"csrf_token": _csrf(page.text), "expiry": expiry, **PAYING_CARD}
        paid = self.http.post(
            start["checkout_url"].rstrip("/") + "/pay", data=form, allow_redirects=False, timeout=self.timeout
        )
        if paid.status_code not in (302, 303):
            raise StepFailed(f"the hosted checkout answered {paid.status_code}: {paid.text[:300]}")
        deadline = time.monotonic() + self.timeout
        while (status := self.api("GET", f"/me/orders/{self.order['id']}", 200)["status"]) != "paid":
            if time.monotonic() > deadline:
                raise StepFailed(f"order {self.order['id']} is still {status!r} after paying")
            time.sleep(0.5)

    def cancel(self) -> None:
        for booking in self.order["bookings"]:
            answer = self.api("POST", f"/me/bookings/{booking['reference']}/cancel", 200)
            if not answer["booking"]["status"].startswith("cancelled"):
                raise StepFailed(f"booking {booking['reference']} is {answer['booking']['status']!r} after cancelling")

    def run(self, clock: Callable[[], float] = time.monotonic) -> Outcome:
        outcome = Outcome()
        for step in STEPS:
            began = clock()
            try:
                getattr(self, step)()
            except (StepFailed, requests.RequestException, ValueError, KeyError) as exc:
                outcome.failed_step, outcome.message = step, str(exc) or type(exc).__name__
            outcome.durations[step] = clock() - began
            if outcome.failed_step:
                break
        outcome.finished_at = time.time()
        return outcome


def exposition(outcome: Outcome) -> str:
    """The run as Prometheus text: success and seconds per step reached and for the whole run
    (``step="all"``), and when it finished."""
    lines = [
        "# HELP cozywish_probe_success 1 if the probe's step (or the whole run: all) worked, 0 if it failed.",
        "# TYPE cozywish_probe_success gauge",
    ]
    lines += [f'cozywish_probe_success{{step="{s}"}} {int(s != outcome.failed_step)}' for s in outcome.durations]
    lines.append(f'cozywish_probe_success{{step="all"}} {int(outcome.succeeded)}')
    lines += [
        "# HELP cozywish_probe_duration_seconds Seconds the probe's step (or the whole run: all) took.",
        "# TYPE cozywish_probe_duration_seconds gauge",
    ]
    lines += [f'cozywish_probe_duration_seconds{{step="{s}"}} {d:.3f}' for s, d in outcome.durations.items()]
    lines.append(f'cozywish_probe_duration_seconds{{step="all"}} {sum(outcome.durations.values()):.3f}')
    lines += [
        "# HELP cozywish_probe_last_run_timestamp Unix time the probe last finished a run.",
        "# TYPE cozywish_probe_last_run_timestamp gauge",
        f"cozywish_probe_last_run_timestamp {outcome.finished_at:.0f}",
    ]
    return "\n".join(lines) + "\n"


def write_textfile(path: Path, text: str) -> None:
    """Replace ``path`` at once (node_exporter must never read half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".probe-", suffix=".tmp", delete=False) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


def push(gateway_url: str, text: str, timeout: float) -> None:
    """Replace the probe's group on the Pushgateway (PUT: steps a failed run did not reach go)."""
    answer = requests.put(f"{gateway_url.rstrip('/')}/metrics/job/{PUSH_JOB}", data=text.encode(), timeout=timeout)
    answer.raise_for_status()


@probe_cli.command("run", with_appcontext=False)
@click.option("--base-url", envvar="PROBE_BASE_URL", required=True, help="The live site, e.g. https://cozywish.example")
@click.option("--email", envvar="PROBE_EMAIL", required=True, help="The probe customer's email.")
@click.option("--password", envvar="PROBE_PASSWORD", required=True, help="The probe customer's password.")
@click.option("--venue-slug", envvar="PROBE_VENUE_SLUG", default="cozywish-probe", show_default=True)
@click.option(
    "--query", envvar="PROBE_QUERY", default="spa", show_default=True, help="A search that finds real venues."
)
@click.option("--textfile", type=click.Path(dir_okay=False, path_type=Path), envvar="PROBE_TEXTFILE")
@click.option("--timeout", type=float, default=20.0, show_default=True, help="Seconds per request.")
def run_probe(
    base_url: str, email: str, password: str, venue_slug: str, query: str, textfile: Path | None, timeout: float
) -> None:
    """Sign in, check search answers, open the probe venue, book its first free time, pay, cancel; exit 1 on failure."""
    outcome = BookingProbe(base_url, email, password, venue_slug=venue_slug, query=query, timeout=timeout).run()
    text = exposition(outcome)
    if textfile is not None:
        write_textfile(textfile, text)
    pushgateway = os.environ.get("PROBE_PUSHGATEWAY_URL")
    if pushgateway:
        try:
            push(pushgateway, text, timeout)
        except requests.RequestException as exc:
            click.echo(f"Could not push the probe's metrics to {pushgateway}: {exc}", err=True)
    for step, seconds in outcome.durations.items():
        click.echo(f"{step:<12} {'failed' if step == outcome.failed_step else 'ok':<7} {seconds:6.3f} s")
    if not outcome.succeeded:
        raise click.ClickException(f"probe failed at step {outcome.failed_step}: {outcome.message}")
