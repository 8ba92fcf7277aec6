"""Browser journeys: the real app (web server + job worker) on a fresh database, driven by Chromium.

Run with:

    make e2e    # .venv/bin/pytest e2e -n 2 --dist loadfile --screenshot=only-on-failure --tracing=off ...

Each xdist worker starts its own server, job worker and database (``live_server``); one
process with ``-p no:xdist`` works too.

The browser is Debian's ``/usr/bin/chromium`` unless ``CHROMIUM_PATH`` says otherwise.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pyotp
import pytest

from tests.database import create_fresh_database, drop_database, server_url

ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "cozywish_e2e"
READY_TIMEOUT = 120.0  # a loaded 2-core machine can take over a minute to start the server
MAIL_TIMEOUT = 20.0
SIGNIN_MAX_FAILURES = 3
MAIL_SEPARATOR = re.compile(rb"^-{79}\r?$\n?", re.MULTILINE)
LINK_RE = re.compile(r"https?://[^\s<>\"']+")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


# -- the browser ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.exit(
            f"No browser at {executable}: `apt-get install -y chromium`, or set CHROMIUM_PATH.",
            returncode=4,
        )
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


# -- the live server --------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    mail_dir: Path
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def flask(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run a `flask` CLI command against the same database and settings as the server."""
        result = subprocess.run(
            [_flask_executable(), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result


def _flask_executable() -> str:
    candidate = Path(sys.executable).with_name("flask")
    if candidate.exists():
        return str(candidate)
    return str(ROOT / ".venv" / "bin" / "flask")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _wait_until_ready(server: LiveServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_problem = "no answer yet"
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise RuntimeError(f"`flask serve` exited with {server.process.returncode}:\n{_tail(server.log_path)}")
        try:
            with urllib.request.urlopen(f"{server.url}/readyz", timeout=5) as response:
                if response.status == 200:
                    return
                last_problem = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last_problem = f"HTTP {exc.code}: {exc.read()[:300]!r}"
        except OSError as exc:
            last_problem = str(exc)
        time.sleep(0.25)
    raise RuntimeError(
        f"{server.url}/readyz not ready after {timeout:.0f}s ({last_problem}):\n{_tail(server.log_path)}"
    )


def _stop(process: subprocess.Popen) -> None:
    """Stop `flask serve` and its job worker: SIGTERM to the whole process group, then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(15)
    # The worker shares the group; make sure nothing of it outlives the run.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(5)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, pytestconfig):
    """The real app on a free port: migrated fresh database, job worker, emails written to files."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # one server and database per xdist worker
    database_name = f"{DATABASE_NAME}_{worker}" if worker else DATABASE_NAME
    with running_server(tmp_path_factory, pytestconfig, database_name) as server:
        yield server


@contextlib.contextmanager
def running_server(tmp_path_factory, pytestconfig, database_name: str, *, host_name: str = "127.0.0.1"):
    """Start the app (web server + job worker) on a fresh database; ``host_name`` is the name
    BASE_URL and the browser use for it (WebAuthn needs a domain such as "localhost", not an IP)."""
    base = server_url()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    database_url = create_fresh_database(base, database_name)
    workdir = tmp_path_factory.mktemp("live-server")
    mail_dir = workdir / "mail"
    upload_dir = workdir / "uploads"
    mail_dir.mkdir()
    upload_dir.mkdir()
    port = _free_port()

    env = dict(os.environ)
    # No Redis: the cache in process memory, rate limits in this run's fresh database.
    for name in ("REDIS_URL", "TEST_DATABASE_URL", "SERVER_NAME", "ELASTICSEARCH_URL", "STRIPE_SECRET_KEY"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=database_url,
        BASE_URL=f"http://{host_name}:{port}",  # emailed links are built from it, never from the request
        MAIL_BACKEND="file",
        MAIL_FILE_PATH=str(mail_dir),
        UPLOAD_ROOT=str(upload_dir),
        COZYWISH_ENV="development",
        SIGNIN_MAX_FAILURES=str(SIGNIN_MAX_FAILURES),
        # One browser on 127.0.0.1 plays every person of every journey, and the per-IP limits are
        # counted exactly across the server's workers (app/platform/rate_limits.py): the production
        # figures would refuse the suite's own sign-ins. The per-email lockout above stays.
        SIGNIN_IP_LIMIT="1000 per 15 minutes",
        SIGNUP_IP_LIMIT="1000 per hour",
        RESET_IP_LIMIT="1000 per hour",
        VOUCHER_LOOKUP_LIMIT="1000 per 15 minutes",
        NOTIFICATIONS_POLL_SECONDS="2",  # the bell's poll: a journey waits seconds, not half a minute
        LOG_JSON="false",
        FLASK_DEBUG="0",
        PYTHONUNBUFFERED="1",
    )
    server = LiveServer(url=f"http://{host_name}:{port}", env=env, mail_dir=mail_dir, log_path=workdir / "server.log")

    try:
        server.flask("db", "upgrade", timeout=300)  # 0031 loads the gazetteer: slow on a busy machine
        with server.log_path.open("wb") as log:
            server.process = subprocess.Popen(
                [
                    _flask_executable(),
                    "--app",
                    "wsgi",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-seed",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _wait_until_ready(server, READY_TIMEOUT)
        yield server
    finally:
        if server.process is not None:
            _stop(server.process)
        output = Path(pytestconfig.getoption("--output", default="test-results"))
        if server.log_path.exists():
            output.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(server.log_path, output / f"server-{worker or 'main'}.log")
        drop_database(base, database_name)


@pytest.fixture(scope="session")
def base_url(live_server):
    """pytest-playwright resolves relative `page.goto("/...")` against this."""
    return live_server.url


# -- email, as the job worker delivered it ----------------------------------------------


@dataclass
class Email:
    to: str
    subject: str
    text: str

    @property
    def first_link(self) -> str:
        match = LINK_RE.search(self.text)
        assert match, f"no link in the email {self.subject!r}:\n{self.text}"
        return match.group(0)


def _read_emails(mail_dir: Path) -> list[Email]:
    """Every message in the file backend's directory, oldest first.

    Flask-Mailman writes one ``.log`` file per connection: raw MIME messages, each followed
    by a line of 79 dashes. A file may be half-written while we read; its last chunk then
    has no separator yet and is skipped until the next poll.
    """
    found: list[Email] = []
    files = sorted(mail_dir.glob("*.log"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    for path in files:
        chunks = MAIL_SEPARATOR.split(path.read_bytes())
        for raw in chunks[:-1]:  # the piece after the last separator is empty or incomplete
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw, policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            found.append(Email(to=str(message["To"]), subject=str(message["Subject"]), text=text))
    return found


@pytest.fixture
def read_email(live_server):
    """``read_email(address)``: the newest email to ``address``, waiting for the worker to send it."""

    def read(address: str, *, subject_contains: str = "", timeout: float = MAIL_TIMEOUT) -> Email:
        address = address.lower()
        deadline = time.monotonic() + timeout
        while True:
            matching = [
                m
                for m in _read_emails(live_server.mail_dir)
                if address in m.to.lower() and subject_contains.lower() in m.subject.lower()
            ]
            if matching:
                return matching[-1]
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no email to {address} after {timeout:.0f}s; server log:\n{_tail(live_server.log_path)}"
                )
            time.sleep(0.2)

    return read


# -- people and their browsers ----------------------------------------------------------


@pytest.fixture
def unique_email():
    """A fresh address per call, so journeys never see each other's accounts or emails."""

    def make(prefix: str = "guest") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"

    return make


class BrowserErrors:
    """Console errors, uncaught exceptions and CSP violations on a page. Chromium logs a CSP
    violation as a console error ("Refused to ..." or "... violates the following Content
    Security Policy directive ..."), during an HTMX swap too; the page's ``securitypolicyviolation``
    events are recorded as well (CSP_WATCH), so a violation counts even where no console error is
    logged for it.

    A page the server answers with a 4xx on purpose (a form with errors: 422, a wrong
    password: 401, a lockout: 429) makes Chromium log "Failed to load resource" for the
    document itself. That is the app speaking HTTP correctly, not a broken page, so such
    messages about those documents are left out. A 4xx for a script, style or image, and
    any 5xx, still count.
    """

    FAILED_LOAD = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})")

    def __init__(self) -> None:
        self.console: list[tuple[str, str]] = []
        self.exceptions: list[str] = []
        self.violations: list[str] = []
        self.client_error_documents: set[str] = set()

    def on_console(self, message) -> None:
        if message.type == "error":
            self.console.append((message.text, (message.location or {}).get("url", "")))

    def on_page_error(self, error) -> None:
        self.exceptions.append(f"uncaught exception: {error}")

    def on_response(self, response) -> None:
        if response.request.resource_type == "document" and 400 <= response.status < 500:
            self.client_error_documents.add(response.url)

    def on_violation(self, report: dict) -> None:
        where = f"{report.get('source') or '?'}:{report.get('line') or 0}"
        sample = f" {report['sample']!r}" if report.get("sample") else ""
        self.violations.append(
            f"CSP violation: {report.get('directive')} refused {report.get('blocked') or '?'} ({where}){sample}"
        )

    def attach(self, page) -> BrowserErrors:
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)
        page.on("response", self.on_response)
        return self

    @property
    def messages(self) -> list[str]:
        found = list(self.exceptions) + list(self.violations)
        for text, url in self.console:
            failed = self.FAILED_LOAD.match(text)
            if failed and failed.group(1).startswith("4") and url in self.client_error_documents:
                continue
            found.append(f"console error: {text} ({url or '?'})")
        return found

    def assert_none(self) -> None:
        messages = self.messages
        assert not messages, "the browser reported errors:\n" + "\n".join(messages)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# Each document's securitypolicyviolation events, handed to the test through a binding: an
# init script and a binding come in through the DevTools protocol, which the page's CSP does not
# govern. The flag keeps one listener per document when a page is watched after it has loaded; it
# sits on the document, as a popup keeps its window (not its document) from about:blank on.
CSP_BINDING = "__cozywishCspViolation"
CSP_WATCH = """(() => {
  if (document.__cozywishCspWatched) return;
  document.__cozywishCspWatched = true;
  document.addEventListener("securitypolicyviolation", (event) => {
    const report = window.__cozywishCspViolation;
    if (report) report({directive: event.effectiveDirective || event.violatedDirective, blocked: event.blockedURI,
                        source: event.sourceFile, line: event.lineNumber, sample: event.sample});
  });
})();"""


class BrowserWatch:
    """Every page of every browser context a journey opens: its main ``page``, pages of contexts
    made with ``new_context()`` or ``browser.new_context()``, popups, and pages handed to
    ``watch()``. One BrowserErrors per page."""

    def __init__(self) -> None:
        self.pages: list[tuple[object, BrowserErrors]] = []
        self.contexts: list[object] = []

    def errors_of(self, page) -> BrowserErrors:
        for known, errors in self.pages:
            if known is page:
                return errors
        errors = BrowserErrors().attach(page)
        self.pages.append((page, errors))
        self.watch_context(page.context)
        if page.url not in ("", "about:blank"):  # already loaded: the init script comes too late
            with contextlib.suppress(Exception):
                page.evaluate(CSP_WATCH)
        return errors

    def watch_context(self, context) -> None:
        if any(known is context for known in self.contexts):
            return
        self.contexts.append(context)
        context.expose_binding(CSP_BINDING, self._on_violation)
        context.add_init_script(CSP_WATCH)
        context.on("page", self.errors_of)
        for page in context.pages:
            self.errors_of(page)

    def _on_violation(self, source: dict, report: dict) -> None:
        if source.get("page") is not None:
            self.errors_of(source["page"]).on_violation(report)

    def failures(self, main_page) -> list[str]:
        found = []
        for page, errors in self.pages:
            messages = errors.messages
            if messages and page is not main_page:
                messages = [f"[another page, {page.url}] {message}" for message in messages]
            found.extend(messages)
        return found


_current_watch: BrowserWatch | None = None


@contextlib.contextmanager
def _watching_new_contexts(browser, browser_watch: BrowserWatch):
    """Contexts and pages the journey makes from the session's browser are watched from birth."""
    original_new_context, original_new_page = browser.new_context, browser.new_page

    def new_context(*args, **kwargs):
        context = original_new_context(*args, **kwargs)
        browser_watch.watch_context(context)
        return context

    def new_page(*args, **kwargs):
        page = original_new_page(*args, **kwargs)
        browser_watch.watch_context(page.context)
        return page

    browser.new_context, browser.new_page = new_context, new_page
    try:
        yield
    finally:
        browser.new_context, browser.new_page = original_new_context, original_new_page


@pytest.fixture(autouse=True)
def browser_errors(request, page, browser):
    """Watch every journey's pages (its ``page`` and any other context's); fail a passing journey
    whose browser logged an error it didn't check. Returns the main page's BrowserErrors."""
    global _current_watch
    browser_watch = BrowserWatch()
    errors = browser_watch.errors_of(page)
    _current_watch = browser_watch
    try:
        with _watching_new_contexts(browser, browser_watch):
            yield errors
    finally:
        _current_watch = None
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.passed:
        failures = browser_watch.failures(page)
        assert not failures, "the browser reported errors:\n" + "\n".join(failures)


AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # package.json's devDependencies
AXE_RUN = """async (selector) => {
  const found = await axe.run(selector, {resultTypes: ["violations"]});
  return found.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}"""


def assert_accessible(page, selector: str = "body") -> None:
    """axe-core's rules on what ``selector`` covers: no serious or critical violation. The engine
    is handed to the page through the DevTools protocol, which the page's CSP does not govern
    (an injected <script> would be refused, and counted as a console error)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text())
    violations = page.evaluate(AXE_RUN, selector)
    assert not violations, f"axe on {selector} at {page.url}:\n" + "\n".join(violations)


def seed_venues(live_server, spec: dict) -> list[dict]:
    """Customers, owners and approved venues in the live server's database (see e2e/seed.py)."""
    return run_seed(live_server, "e2e.seed", spec)


def run_seed(live_server, module: str, spec: dict):
    """Run a seeding module (``python -m module SPEC``) against the live server's database and
    return what it printed last, as JSON."""
    return run_python(live_server, ["-m", module], spec)


def run_python(live_server, how: list[str], spec: dict):
    """Run Python (``-m module`` or ``-c code``) with ``spec`` as its argument, against the live
    server's database and settings; return what it printed last, as JSON."""
    result = subprocess.run(
        [sys.executable, *how, json.dumps(spec)],
        cwd=ROOT,
        env=live_server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"setup failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def sign_in(page, address: str, password: str, first_name: str, *, totp_secret: str | None = None) -> None:
    """Sign in through the form (and the code step, for accounts with two-factor sign-in on)
    and wait for the greeting toast."""
    from playwright.sync_api import expect

    page.goto("/account/sign-in")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    if totp_secret:
        expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
        page.get_by_label("Code").fill(pyotp.TOTP(totp_secret).now())
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("status").filter(has_text=f"Welcome back, {first_name}")).to_be_visible()


def reload_until_visible(page, locator, seconds: float = 10) -> None:
    """Reload ``page`` until ``locator`` shows (then expect it): what another person changed
    reaches every worker within CACHE_VERSION_TTL (1 s; app/platform/cache_versions.py), so a
    page asked for at once may land on a worker that has not heard of it yet."""
    from playwright.sync_api import expect

    deadline = time.monotonic() + seconds
    while not locator.count() and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.reload()
    expect(locator).to_be_visible()


def set_up_two_factor(page) -> str:
    """On the two-factor setup page: read the key as a person would type it into an app,
    confirm with the app's code, and acknowledge the recovery codes. Returns the key."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    secret = page.locator("#totp-key").inner_text().strip()
    page.get_by_label("6-digit code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I've saved them").click()
    return secret


def watch(page) -> BrowserErrors:
    """The console / uncaught-exception / CSP watch the ``browser_errors`` fixture puts on ``page``,
    for pages of extra browser contexts. A page the fixture already watches (every page of a
    context made from the session's browser) gives back its own BrowserErrors; the fixture checks
    them all when the journey ends, so a journey that accepts an error removes it from them."""
    if _current_watch is not None:
        return _current_watch.errors_of(page)
    errors = BrowserErrors().attach(page)
    with contextlib.suppress(Exception):  # a binding of that name may be there already
        page.context.expose_binding(CSP_BINDING, lambda source, report: errors.on_violation(report))
        page.context.add_init_script(CSP_WATCH)
    return errors


def invite_staff(
    owner_page,
    browser,
    live_server,
    read_email,
    *,
    email: str,
    role: str,
    name: str,
    password: str,
    member: str | None = None,
):
    """The owner (signed in on ``owner_page``) invites ``email`` from the Staff page; the person
    accepts the emailed link with their own name and password. Returns their signed-out page in
    a browser context of its own (docs/staff-roles.md)."""
    from playwright.sync_api import expect

    owner_page.goto("/provider/staff")
    owner_page.get_by_label("Email address").fill(email)
    owner_page.get_by_label("Role", exact=True).select_option(role)
    if member is not None:
        owner_page.get_by_label("Team member (practitioners)").select_option(label=member)
    owner_page.get_by_role("button", name="Send invitation").click()
    expect(owner_page.get_by_text(f"Invitation sent to {email}")).to_be_visible()
    link = read_email(email, subject_contains="invited to work").first_link
    page = browser.new_context(base_url=live_server.url).new_page()
    page.goto(link)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Choose a password").fill(password)
    page.get_by_role("button", name="Accept and create my login").click()
    expect(page.get_by_text("Sign in with your email and the password you chose")).to_be_visible()
    return page


SHOTS = ROOT / "docs" / "screenshots"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


# Is a CSS transition still running? Asking for the list flushes style first, so the transitions a
# theme change has just started are in it.
TRANSITIONS_RUNNING = """() => document.getAnimations().some(
  (a) => a instanceof CSSTransition && a.playState === "running")"""


def set_theme(page, scheme: str) -> None:
    """Light or dark, and wait until the colours have stopped fading (Bootstrap's buttons and links
    ease theirs over .15 s): axe or a screenshot taken half-way sees colours neither theme has. A
    fixed pause was not enough on a busy machine (a phone-light check once read the dark buttons'
    colours half-faded)."""
    page.evaluate("s => document.documentElement.setAttribute('data-bs-theme', s)", scheme)
    page.wait_for_function(f"() => !({TRANSITIONS_RUNNING})()")


def look_everywhere(page, name: str, selector: str = "main", checks=()) -> None:
    """The page at 1366x900 and 390x844, in light and dark: no sideways scroll of the page, each of
    ``checks`` (``check(page, where)``, asserting) passes, nothing serious for axe in ``selector``,
    and a screenshot of each in docs/screenshots/desk-NAME-SIZE-THEME.png when E2E_SCREENSHOTS is
    set. Leaves the page at 1366x900 in light."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for scheme in ("light", "dark"):
            where = f"{name}, {size}, {scheme}"
            set_theme(page, scheme)
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{where}: the page is {wide} px wide"
            for check in checks:
                check(page, where)
            try:
                assert_accessible(page, selector)
            except AssertionError as failed:
                raise AssertionError(f"{where}: {failed}") from None
            if os.environ.get("E2E_SCREENSHOTS"):
                page.screenshot(path=str(SHOTS / f"desk-{name}-{size}-{scheme}.png"), full_page=True)
    page.evaluate("document.documentElement.setAttribute('data-bs-theme', 'light')")
    page.set_viewport_size({"width": 1366, "height": 900})
