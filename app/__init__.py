"""CozyWish: create_app() reads as the list of what an application is made of."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from config import apply_redis_url, get_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config_class = get_config(config_name)
    app.config.from_object(config_class)
    app.config["ENV_NAME"] = config_class.__name__.removesuffix("Config").lower()
    app.config.update(overrides or {})
    apply_redis_url(app.config)
    if app.config.get("ALLOWED_HOSTS") is None:
        from app.platform.urls import hosts_of

        app.config["ALLOWED_HOSTS"] = hosts_of(app.config["BASE_URL"], app.config.get("TRUSTED_HOSTS_EXTRA"))
    if app.config["ENV_NAME"] == "production":
        from app.ops.production import UnsafeProduction, setting_problems

        if problems := setting_problems(app.config):
            raise UnsafeProduction(problems)
    Path(app.instance_path).mkdir(exist_ok=True)

    configure_database(app)
    configure_pooling(app)
    configure_logging(app)
    configure_telemetry(app)  # after logging's request id, before the page cache: hits are counted too
    configure_page_cache(app)  # before the extensions: a cached page skips their request hooks
    register_extensions(app)
    watch_database(app)
    register_domains(app)  # each domain's jobs, schedule and receivers
    register_input_guard(app)  # before the blueprints: their routes bind its id converter
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_commands(app)
    from app.web import page_cache

    page_cache.register_store(app)  # last: stores the page before any per-client encoding
    return app


def configure_database(app: Flask) -> None:
    """Use DATABASE_URL, or start the embedded PostgreSQL under instance/."""
    if app.config.get("SQLALCHEMY_DATABASE_URI"):
        return
    from app.platform.embedded_db import embedded_database_url

    pgdata = Path(app.config.get("EMBEDDED_PGDATA") or Path(app.instance_path) / "pgdata")
    app.config["SQLALCHEMY_DATABASE_URI"] = embedded_database_url(pgdata, app.config["EMBEDDED_DATABASE"])
    app.config["EMBEDDED_PGDATA"] = str(pgdata)
    app.config["USING_EMBEDDED_DB"] = True


def configure_pooling(app: Flask) -> None:
    """Behind PgBouncer in transaction pooling: no startup options, no prepared statements."""
    from app.platform import db_routing

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = db_routing.engine_options(app.config)


def configure_logging(app: Flask) -> None:
    from app.ops.logging import configure

    configure(app)


def configure_telemetry(app: Flask) -> None:
    """Error reports (SENTRY_DSN), traces (OTEL_EXPORTER_OTLP_ENDPOINT) and request metrics."""
    from app.platform import error_reports, tracing
    from app.web import telemetry

    error_reports.init_app(app)
    tracing.init_app(app)
    telemetry.init_app(app)


def watch_database(app: Flask) -> None:
    """The pool's connections in use for /metrics; a span per statement when tracing."""
    from app.platform import connection_check, db_routing, db_timeouts, metrics, tracing
    from app.platform.extensions import db

    db_timeouts.init_app(app)  # statement_timeout and lock_timeout on each new connection
    db_routing.init_replica(app, db_timeouts.holder_of(app).on_connect)  # DATABASE_REPLICA_URL
    with app.app_context():
        engine = db.engine
    connection_check.watch(engine)  # a connection the server closed is replaced at checkout
    metrics.watch_pool(engine)
    tracing.watch_engine(app, engine)


def configure_page_cache(app: Flask) -> None:
    from app.web import maintenance_gate, page_cache, private_cache

    maintenance_gate.init_app(app)  # first: while maintenance mode is on, visitors get its 503, not a stored page
    page_cache.init_app(app)
    private_cache.init_app(app)  # a browser that changed something reads its next pages fresh


def register_extensions(app: Flask) -> None:
    from app.ops.fast_paths import CachedTalisman, SessionInterface
    from app.platform import cache_versions, i18n, jobs, rate_limits, storage, timefmt
    from app.platform.extensions import cache, csrf, db, limiter, login_manager, mail, migrate
    from app.web import static_files
    from search import pg_sql

    if app.config.get("MAIL_BACKEND") == "file" and not app.config.get("MAIL_FILE_PATH"):
        app.config["MAIL_FILE_PATH"] = str(Path(app.instance_path) / "mail")
    app.session_interface = SessionInterface()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    rate_limits.init_app(app)  # counted in Redis or PostgreSQL, never per process
    limiter.init_app(app)
    cache.init_app(app)
    mail.init_app(app)
    i18n.init_app(app)  # the request's language and its catalogue (app/platform/i18n.py)
    timefmt.init_app(app)  # dates in the request's language for templates
    storage.init_app(app)
    jobs.init_app(app)
    pg_sql.count_cap_of(app.config)  # a SEARCH_COUNT_CAP under 1 stops the app at start-up
    cache_versions.init_app(app, watched=_public_models())  # their changes invalidate cached pages
    _watch_rows(cache_versions)  # bookings, orders, carts... invalidate cached booking and private pages
    _init_login(app, login_manager)
    # Talisman keeps its settings on the instance, so each app gets its own.
    app.extensions["talisman"] = CachedTalisman(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy={
            "default-src": "'self'",
            "script-src": "'self'",
            "style-src": "'self'",
            "img-src": [
                "'self'",
                "data:",
                "blob:",
                *_tile_origin(app.config.get("MAP_TILE_URL")),
                *storage.media_origin(app.config),  # the bucket or CDN that serves uploads
            ],
            "font-src": "'self'",
            "connect-src": "'self'",
            "frame-ancestors": "'none'",
            "form-action": "'self'",
            "base-uri": "'self'",
            "object-src": "'none'",
        },
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"geolocation": "(self)", "camera": "()", "microphone": "()"},
    )
    from app.ops.hosts import TrustedHosts

    # Inside ProxyFix (wrapped next), so a forwarded host is checked too.
    app.wsgi_app = TrustedHosts(app.wsgi_app, app.config["ALLOWED_HOSTS"])
    if app.config.get("PROXY_FIX_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    static_files.init_app(app)  # WhiteNoise in front: hashed, compressed static files


def register_domains(app: Flask) -> None:
    """Every domain's ``wiring.init_app``: the modules that define its jobs and receivers are
    imported, its periodic jobs put on the schedule. Web processes and workers alike run it,
    so a worker knows every task and a receiver listens wherever its signal is sent."""
    from app.analytics import wiring as analytics
    from app.booking import wiring as booking
    from app.checkout import wiring as checkout
    from app.clients import wiring as clients
    from app.invoicing import wiring as invoicing
    from app.memberships import wiring as memberships
    from app.messages import wiring as messages
    from app.notifications import wiring as notifications
    from app.packages import wiring as packages
    from app.payments import wiring as payments
    from app.payouts import wiring as payouts
    from app.platform import email
    from app.privacy import wiring as privacy
    from app.promos import wiring as promos
    from app.team_schedules import wiring as team_schedules
    from app.tips import wiring as tips
    from app.vouchers import wiring as vouchers
    from app.waitlist import wiring as waitlist
    from app.webhooks import wiring as webhooks
    from search import wiring as search

    for domain in (
        email,
        booking,
        team_schedules,
        clients,
        checkout,
        payments,
        payouts,
        vouchers,
        tips,
        packages,
        memberships,
        invoicing,
        promos,
        notifications,
        waitlist,
        privacy,
        messages,
        webhooks,
        search,
        analytics,
    ):
        domain.init_app(app)


def _public_models() -> tuple[type, ...]:
    """Models whose rows public pages show: a committed change to one bumps the cache version."""
    from app.memberships.models import MembershipPlan
    from app.packages.models import Package
    from app.reviews import models as reviews
    from app.venues import models as venues

    return (
        *(venues.Venue, venues.VenueSlug, venues.VenueImage, venues.Service, venues.OpeningHours),
        *(venues.ServiceOption, venues.ServiceAddon, venues.ServiceQuestion),  # a service's menu and its questions
        *(venues.Closure, venues.TeamMember, venues.FAQ, venues.Category, reviews.Review),
        *(reviews.ReviewReply, reviews.ReviewPhoto),  # an answer or a photo under a review on the venue page
        *(Package, MembershipPlan),  # the venue page's packages and memberships
    )


def _watch_rows(cache_versions) -> None:
    """Which rows' changes invalidate which cached pages (app/platform/cache_versions.py)."""
    from sqlalchemy.orm import object_session

    from app.accounts.models import User, UserSession
    from app.booking.models import Booking, CartItem, Order, TimeBlock
    from app.clients.models import VenueClient
    from app.memberships.models import Membership
    from app.packages.models import PackageHolding, PackageSession
    from app.payments.models import Payment, Refund
    from app.platform.cache_versions import account_namespace, user_namespace
    from app.promos.cart import promo_namespace
    from app.promos.models import CartPromo, PromoCode
    from app.reviews.models import Review, ReviewPhoto, ReviewReply
    from app.team_schedules.models import ScheduleException, TimeOff, WorkingHours
    from app.venues.models import TeamMember, VenueStaff

    def venue_times(row) -> str:
        return cache_versions.venue_times(row.venue_id)

    def customer_of(row) -> str:
        return user_namespace(row.customer_id)

    def customer_via(model, attribute: str):
        def namespace(row) -> str | None:
            parent_id = getattr(row, attribute)
            parent = object_session(row).get(model, parent_id) if parent_id is not None else None
            return user_namespace(parent.customer_id) if parent is not None else None

        return namespace

    def cart_owner(row) -> str | None:
        return user_namespace(row.user_id) if row.user_id else None  # an anonymous cart: nobody's pages

    def promo_of(row) -> str:
        return promo_namespace(row.id)

    def the_user(row) -> str:
        return user_namespace(row.id)

    def session_owner(row) -> str:
        return user_namespace(row.user_id)  # sign-in, sign-out, a session ended from the devices page

    def the_account(row) -> str:
        return account_namespace(row.id)

    def session_account(row) -> str:
        return account_namespace(row.user_id)

    def staff_account(row) -> str | None:
        return account_namespace(row.user_id) if row.user_id else None  # an invitation not yet accepted: no one's

    for model in (Booking, TimeBlock):
        cache_versions.watch_rows(model, venue_times)
    from app.waitlist.models import WaitlistEntry, WaitlistOffer

    cache_versions.watch_rows(WaitlistEntry, venue_times)  # the provider's calendar shows who waits
    cache_versions.watch_rows(VenueClient, venue_times)  # its cards name the client and flag their notes
    for model in (Booking, Order, Review):
        cache_versions.watch_rows(model, customer_of)
    cache_versions.watch_rows(CartItem, cart_owner)
    # A customer's packages and memberships: the cart's notes and prices, My packages, My memberships.
    for model in (PackageHolding, Membership):
        cache_versions.watch_rows(model, customer_of)
    cache_versions.watch_rows(PackageSession, customer_via(PackageHolding, "holding_id"))
    cache_versions.watch_rows(CartPromo, cart_owner)  # the promo code in a customer's cart
    cache_versions.watch_rows(PromoCode, promo_of)  # a code's uses and edits: the carts showing it
    for model in (WaitlistEntry, WaitlistOffer):  # the offer banner on My bookings
        cache_versions.watch_rows(model, customer_of)
    cache_versions.watch_rows(User, the_user)
    cache_versions.watch_rows(UserSession, session_owner)
    # Who is signed in, and a staff login's role and venue: what workers remember of a request.
    cache_versions.watch_rows(User, the_account)
    cache_versions.watch_rows(UserSession, session_account)
    cache_versions.watch_rows(VenueStaff, staff_account)
    cache_versions.watch_rows(Payment, customer_via(Order, "order_id"))
    cache_versions.watch_rows(Refund, customer_via(Booking, "booking_id"))
    for model in (ReviewReply, ReviewPhoto):  # the answer and photos on the customer's review page
        cache_versions.watch_rows(model, customer_via(Review, "review_id"))

    def member_venue_times(row) -> str | None:
        member = object_session(row).get(TeamMember, row.team_member_id)
        return cache_versions.venue_times(member.venue_id) if member is not None else None

    # A team member's hours, exceptions and time off change the free times and the calendar.
    for model in (WorkingHours, ScheduleException, TimeOff):
        cache_versions.watch_rows(model, member_venue_times)


def _tile_origin(tile_url: str | None) -> list[str]:
    """The map tile server for img-src: "https://{s}.tile.example.com/{z}/..." -> "https://*.tile.example.com"."""
    if not tile_url:
        return []
    parts = urlsplit(tile_url)
    return [f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"]


def _init_login(app: Flask, login_manager) -> None:
    from flask_babel import gettext
    from flask_babel import lazy_gettext as _l

    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    # Translated when flashed (the request's language); the flash itself keeps plain text.
    login_manager.login_message = str(_l("Please sign in to continue."))
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from flask import session
    from flask_login import user_loaded_from_cookie

    @user_loaded_from_cookie.connect_via(app)
    def keep_remembered(_app, user) -> None:
        # A session restored from "keep me signed in" is exempt from the idle timeout too.
        session["remember"] = True

    from app.accounts.sessions import load_session_user

    login_manager.user_loader(load_session_user)


def register_input_guard(app: Flask) -> None:
    from app.platform import input_guard

    input_guard.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Import every page module (each adds its routes to a blueprint of ``app/web/blueprints``),
    then register every blueprint, in the order that decides which rule wins a tie."""
    from app.accounts import oauth_server
    from app.accounts.views import api_tokens, devices, oauth, oauth_apps, oidc, passkeys, sign_in, two_factor  # noqa: F401
    from app.admin.views import maintenance as maintenance_admin  # noqa: F401  (maintenance mode's switch)
    from app.admin.views import orders, users, venues  # noqa: F401  (users, audit; orders, refunds; approvals)
    from app.analytics import views as analytics_pages  # noqa: F401  (venue and marketplace analytics, the funnel)
    from app.booking.views import book, calendar, cart, check_in, embed, moves, my_bookings, today, visits  # noqa: F401
    from app.booking.views import orders as booking_orders  # noqa: F401
    from app.clients.views import clients as client_pages  # noqa: F401  (the client book, the desk's booking)
    from app.clients.views import desk_visit  # noqa: F401  (the desk's new visit)
    from app.discovery.views import search, synonyms  # noqa: F401
    from app.invoicing.views import admin as invoice_admin  # noqa: F401  (venue invoices, credit notes)
    from app.invoicing.views import provider as invoice_pages  # noqa: F401  (the owner's invoices and statements)
    from app.memberships.views import customer as membership_customer_pages  # noqa: F401  (joining, My memberships)
    from app.memberships.views import provider as membership_provider_pages  # noqa: F401  (a venue's memberships)
    from app.messages import views as message_pages  # noqa: F401  (booking threads, reported messages)
    from app.notifications import views as notification_pages  # noqa: F401
    from app.ops import views as ops_pages  # noqa: F401
    from app.packages.views import customer as package_customer_pages  # noqa: F401  (buying a package, My packages)
    from app.packages.views import desk as package_desk_pages  # noqa: F401  (the desk sells a package)
    from app.packages.views import provider as package_provider_pages  # noqa: F401  (a venue's packages)
    from app.payments.views import desk_link, pay, webhooks  # noqa: F401  (desk_link: a desk booking's payment link)
    from app.payouts.views import admin as payout_admin  # noqa: F401  (platform revenue, commission rates)
    from app.payouts.views import earnings  # noqa: F401  (Payouts and Earnings)
    from app.platform.extensions import csrf
    from app.privacy.views import admin as privacy_admin  # noqa: F401  (the admin's user page, audited)
    from app.privacy.views import customers  # noqa: F401  (legal pages, export, deletion, consent)
    from app.promos.views import admin as promo_admin  # noqa: F401
    from app.promos.views import cart as promo_cart  # noqa: F401
    from app.promos.views import venue as promo_venue  # noqa: F401
    from app.reviews import views as review_pages  # noqa: F401
    from app.saved import views as saved_pages  # noqa: F401
    from app.team_schedules import views as schedule_pages  # noqa: F401
    from app.tips import views as tip_pages  # noqa: F401  (Add a tip, on the booking blueprint)
    from app.venues.views import (  # noqa: F401  (staff: logins and roles; closing: pause or close)
        booking_button,
        catalog,
        closing,
        dashboard,
        intake,
        public,
        resources,
        staff,
    )
    from app.vouchers import views as voucher_pages  # noqa: F401
    from app.waitlist import views as waitlist_pages  # noqa: F401
    from app.web import blueprints
    from app.web import views as main_pages  # noqa: F401  (the home page)
    from app.web.calendar_cards import booking_card, placement
    from app.web.viewer import is_saved
    from app.webhooks import views as webhook_pages  # noqa: F401  (a venue's webhook endpoints and log)

    app.register_blueprint(blueprints.main)  # home page
    app.register_blueprint(blueprints.accounts)  # sign-in, profile, two-factor, passkeys, devices
    app.register_blueprint(blueprints.admin)  # listings, orders, users, promos, synonyms, revenue
    app.register_blueprint(blueprints.ops)  # health and readiness
    app.register_blueprint(blueprints.dashboard)  # the provider's venue, catalogue, calendar, payouts
    app.register_blueprint(blueprints.public)  # venue pages
    app.register_blueprint(blueprints.booking)  # booking pages, cart, orders, My bookings
    app.register_blueprint(blueprints.payments)  # paying, receipts, the Stripe webhook
    # Production pays through Stripe and never imports the demo, but for the synthetic probe's
    # own orders when PROBE_VENUE_SLUG and PROBE_EMAIL are set (docs/synthetic-probe.md).
    probe_mode = bool(app.config.get("PROBE_VENUE_SLUG") and app.config.get("PROBE_EMAIL"))
    if app.config["ENV_NAME"] != "production" or probe_mode:
        from app.demo import views as demo_pages  # noqa: F401

        app.register_blueprint(blueprints.demo)  # the Demo gateway's hosted checkout
    app.register_blueprint(blueprints.discovery)  # search, category pages
    app.register_blueprint(blueprints.privacy)  # legal pages, data export, account deletion, consent
    app.register_blueprint(blueprints.calendar_feed)  # the public iCal feed, outside /provider
    app.register_blueprint(blueprints.saved)  # the heart, Saved, recently viewed, similar venues
    app.register_blueprint(blueprints.vouchers)  # gift vouchers: buying, the printable voucher, checking a code
    app.register_blueprint(blueprints.notifications)  # preferences, venue reminder times, one-tap links, SMS log
    app.register_blueprint(blueprints.waitlist)  # join, My waitlist, offers
    app.register_blueprint(blueprints.embed)  # the booking button's panel, framed by the venue's own site
    oauth_server.init_app(app)  # Authlib's authorization server (app/accounts/oauth_server.py)
    app.register_blueprint(blueprints.oauth)  # OAuth 2.0: authorize (consent), token, revoke
    app.add_template_global(is_saved)
    app.add_template_global(booking_card)  # the calendar's cards and their place (app/web/calendar_cards.py)
    app.add_template_global(placement, "card_placement")
    csrf.exempt(blueprints.ops)
    from app import api
    from app.api import graphql

    api.init_app(app)  # the JSON API's blueprints, through flask-smorest (app/api/__init__.py)
    graphql.init_app(app)  # the GraphQL read API, /api/graphql (app/api/graphql)


def register_errorhandlers(app: Flask) -> None:
    from app.ops.errors import register
    from app.web import db_faults, unit_of_work

    register(app)
    unit_of_work.init_app(app)  # the view's work commits once when it returns; any error rolls it back
    db_faults.init_app(app)  # a lost database connection: a safe request runs again, others get a 503


def register_request_hooks(app: Flask) -> None:
    from app.ops.session import enforce_idle_timeout, inject_template_globals, keep_private_pages_out_of_caches
    from app.web import replica_reads

    replica_reads.init_app(app)  # DATABASE_REPLICA_URL: anonymous public reads on the replica
    app.before_request(enforce_idle_timeout)
    app.after_request(keep_private_pages_out_of_caches)
    app.context_processor(inject_template_globals)


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)
