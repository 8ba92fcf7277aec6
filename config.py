"""Configuration classes, read from the environment (see .env.example)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value is not None else default


def env_float(name: str, default: float) -> float:
    value = env(name)
    return float(value) if value is not None else default


def sqlalchemy_url(url: str | None) -> str | None:
    """Normalise any PostgreSQL URL to the psycopg 3 driver SQLAlchemy uses."""
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


DEV_SECRET_KEY = "dev-only-secret-change-me"


# The demo's accounts (`flask seed demo`, app/demo/seed.py), whose password the README publishes:
# production refuses to serve a database that holds any of them (app/ops/production.py), and
# reads the addresses from here so that it never imports the demo.
DEMO_ACCOUNT_EMAILS = (
    "admin@example.com",
    "provider1@example.com",
    "provider2@example.com",
    "provider3@example.com",
    "customer1@example.com",
    "customer2@example.com",
    "customer3@example.com",
)


class Config:
    APP_NAME = "CozyWish"
    SECRET_KEY = env("SECRET_KEY", DEV_SECRET_KEY)
    SERVER_NAME = env("SERVER_NAME")
    # Where the site is reached; links in emails sent by jobs and commands start with it.
    BASE_URL = env("BASE_URL", "http://127.0.0.1:5000")
    # Host names a request may carry besides BASE_URL's and loopback's (comma-separated);
    # any other Host header is refused with a 400 (app/ops/hosts.py; ALLOWED_HOSTS is set in create_app).
    TRUSTED_HOSTS_EXTRA = env("TRUSTED_HOSTS")
    PREFERRED_URL_SCHEME = env("PREFERRED_URL_SCHEME", "http")
    # Unset DATABASE_URL means: start the embedded PostgreSQL under instance/.
    SQLALCHEMY_DATABASE_URI = sqlalchemy_url(env("DATABASE_URL"))
    # The session speaks UTC: psycopg then returns timestamps with datetime.UTC itself, whose
    # arithmetic is several times cheaper than with a ZoneInfo("Etc/UTC") (the slot engine
    # does it thousands of times for a month calendar). No JIT: compiling a statement's
    # expressions takes 20-40 ms, and the planner asks for it by cost estimates alone (a search
    # through the word cells' index, migration 0047, estimated above jit_above_cost, ran 4 ms
    # of query and 30 of compiling at a million venues); no statement of the app runs long
    # enough to win that back.
    # No pool_pre_ping: a connection the server closed is found at checkout without a round trip
    # (app/platform/connection_check.py).
    SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"options": "-c timezone=UTC -c jit=off"}}
    # Longest a statement may run before PostgreSQL cancels it (ms; 0 = no limit). Set on each
    # new connection with a SET (app/platform/db_timeouts.py), not a startup option: PgBouncer refuses
    # those. A web request whose statement is cancelled gets the 503 page (app/web/db_faults.py).
    DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 15000)
    # Connections each web worker opens before it takes traffic, with checkout's statements
    # compiled (gunicorn's post_worker_init, app/ops/warm_up.py).
    WARM_UP_CONNECTIONS = env_int("WARM_UP_CONNECTIONS", 2)
    # The job worker's limit instead (`flask jobs worker`): rollups, reindexes and backups run longer.
    JOBS_STATEMENT_TIMEOUT_MS = env_int("JOBS_STATEMENT_TIMEOUT_MS", 300000)
    # Longest a statement may wait for a lock (ms; 0 = no limit), set like the statement timeout:
    # a request queued behind a long lock gets the 503 page instead of holding its worker.
    DB_LOCK_TIMEOUT_MS = env_int("DB_LOCK_TIMEOUT_MS", 5000)
    JOBS_LOCK_TIMEOUT_MS = env_int("JOBS_LOCK_TIMEOUT_MS", 0)  # the job worker's (0: jobs may wait)
    # Prepared statements a connection keeps (psycopg's ``prepared_max``; its default is 100). psycopg
    # prepares a statement the fifth time a connection runs it and drops the least recently used
    # past this many; a booking journey alone runs about 140 distinct statements, so at 100 many
    # were dropped before their fifth run and planned afresh each time. Each costs its server
    # process about 90 kB (app/platform/db_timeouts.py, docs/operations.md).
    DB_PREPARED_STATEMENTS = env_int("DB_PREPARED_STATEMENTS", 300)
    # DATABASE_URL through PgBouncer in transaction pooling: "pgbouncer-transaction" (app/platform/db_routing.py):
    # no startup options, no session SETs, no prepared statements; the role holds the settings.
    DATABASE_POOLER = env("DATABASE_POOLER", "")
    # A direct connection for the job queue (LISTEN/NOTIFY, locks), migrations and backups;
    # unset: DATABASE_URL.
    JOBS_DATABASE_URL = sqlalchemy_url(env("JOBS_DATABASE_URL"))
    # A streaming replica for anonymous reads of public pages and search (app/web/replica_reads.py);
    # after a failure it is left alone this many seconds. A browser that just changed something
    # reads from the primary for DATABASE_REPLICA_STICKY_SECONDS (read-your-writes).
    DATABASE_REPLICA_URL = sqlalchemy_url(env("DATABASE_REPLICA_URL"))
    DATABASE_REPLICA_RETRY_SECONDS = env_float("DATABASE_REPLICA_RETRY_SECONDS", 30.0)
    DATABASE_REPLICA_STICKY_SECONDS = env_int("DATABASE_REPLICA_STICKY_SECONDS", 10)
    EMBEDDED_PGDATA = env("EMBEDDED_PGDATA")  # default: instance/pgdata
    EMBEDDED_DATABASE = env("EMBEDDED_DATABASE", "cozywish")

    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 12 * 1024 * 1024)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_NAME = "cozywish_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_NAME = "cozywish_remember"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=env_int("REMEMBER_DAYS", 30))
    IDLE_TIMEOUT = timedelta(minutes=env_int("IDLE_TIMEOUT_MINUTES", 30))
    FORCE_HTTPS = False
    PROXY_FIX_HOPS = env_int("PROXY_FIX_HOPS", 0)

    # Accounts
    PASSWORD_MIN_LENGTH = 12
    EMAIL_TOKEN_MAX_AGE = timedelta(hours=48)
    RESET_TOKEN_MAX_AGE = timedelta(hours=1)
    SIGNIN_MAX_FAILURES = env_int("SIGNIN_MAX_FAILURES", 5)
    SIGNIN_LOCK_MINUTES = env_int("SIGNIN_LOCK_MINUTES", 15)

    # Google and Apple sign-in (app/accounts/oidc.py): a provider is offered once its settings are
    # complete. The metadata URLs default to the providers' discovery documents (tests point them
    # at a local provider). APPLE_PRIVATE_KEY is the text of the .p8 key (newlines may be "\\n").
    GOOGLE_CLIENT_ID = env("GOOGLE_CLIENT_ID")
    GOOGLE_CLIENT_SECRET = env("GOOGLE_CLIENT_SECRET")
    GOOGLE_METADATA_URL = env("GOOGLE_METADATA_URL", "https://accounts.google.com/.well-known/openid-configuration")
    APPLE_CLIENT_ID = env("APPLE_CLIENT_ID")  # the Services ID, e.g. com.example.cozywish.web
    APPLE_TEAM_ID = env("APPLE_TEAM_ID")
    APPLE_KEY_ID = env("APPLE_KEY_ID")
    APPLE_PRIVATE_KEY = env("APPLE_PRIVATE_KEY")
    APPLE_METADATA_URL = env("APPLE_METADATA_URL", "https://appleid.apple.com/.well-known/openid-configuration")
    OIDC_HTTP_TIMEOUT = env_int("OIDC_HTTP_TIMEOUT", 10)  # seconds per request to a provider

    # Redis for the cache and rate limits when REDIS_URL is set, in-process otherwise (see
    # apply_redis_url). Redis is optional at run time: when it is down, pages still answer.
    REDIS_URL = env("REDIS_URL")

    # Rate limits (Flask-Limiter)
    # Default cozywish:// (app/platform/rate_limits.py): counted in Redis with REDIS_URL, else in
    # PostgreSQL's rate_counters, so a limit holds exactly across workers and machines. Never
    # memory://, which counts in each process apart.
    RATELIMIT_STORAGE_URI: str | None = None
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # After a Redis error, count in PostgreSQL for this long before trying Redis again.
    RATE_LIMIT_REDIS_RETRY_SECONDS = env_float("RATE_LIMIT_REDIS_RETRY_SECONDS", 30.0)
    SIGNIN_IP_LIMIT = env("SIGNIN_IP_LIMIT", "30 per 15 minutes")
    SIGNUP_IP_LIMIT = env("SIGNUP_IP_LIMIT", "10 per hour")
    RESET_IP_LIMIT = env("RESET_IP_LIMIT", "10 per hour")

    # Cache (Flask-Caching): default app.platform.cache_backend.ResilientRedisCache with REDIS_URL (a
    # Redis error is a miss, never a 500), else the in-process SimpleCache.
    CACHE_TYPE: str | None = None
    CACHE_REDIS_URL: str | None = None  # default: REDIS_URL
    CACHE_DEFAULT_TIMEOUT = 300
    # After a Redis error the cache leaves Redis alone this long (a circuit breaker) and keeps
    # pages in process memory meanwhile (app/platform/cache_backend.py): an outage costs no timeouts.
    CACHE_REDIS_RETRY_SECONDS = env_float("CACHE_REDIS_RETRY_SECONDS", 30.0)
    # Cache keys hold versions every process reads from PostgreSQL (app/platform/cache_versions.py), at
    # most once per this many seconds per process: changes show everywhere within it.
    CACHE_VERSION_TTL = env_float("CACHE_VERSION_TTL", 1.0)
    # Whole anonymous public pages (app/web/page_cache.py), for at most PAGE_CACHE_TTL seconds.
    PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE_ENABLED", True)
    PAGE_CACHE_TTL = env_int("PAGE_CACHE_TTL", 60)
    # ...and kept this much longer, to be sent while the database is away ("stale if error").
    PAGE_CACHE_STALE_SECONDS = env_int("PAGE_CACHE_STALE_SECONDS", 600)
    # Signed-in pages, one copy per browser session in each worker's memory (app/web/private_cache.py).
    PRIVATE_PAGE_CACHE_ENABLED = env_bool("PRIVATE_PAGE_CACHE_ENABLED", True)
    PRIVATE_PAGE_CACHE_TTL = env_int("PRIVATE_PAGE_CACHE_TTL", 60)
    # The search funnel's counts (app/analytics/funnel.py) are kept in memory and written at most
    # this often per process: a cached page pays no database round trip for being counted.
    ANALYTICS_FLUSH_SECONDS = env_int("ANALYTICS_FLUSH_SECONDS", 10)
    # Searches that found nothing (their normalized text and a count) are kept this many days.
    ANALYTICS_SEARCH_DAYS = env_int("ANALYTICS_SEARCH_DAYS", 180)

    # Email (Flask-Mailman): console | file | smtp | locmem
    MAIL_BACKEND = env("MAIL_BACKEND", "console")
    MAIL_FILE_PATH = env("MAIL_FILE_PATH")  # default: instance/mail
    MAIL_SERVER = env("MAIL_SERVER", "localhost")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USERNAME = env("MAIL_USERNAME")
    MAIL_PASSWORD = env("MAIL_PASSWORD")
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL")
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 10)
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "CozyWish <hello@example.com>")

    # Storage for uploads (app/platform/storage.py): local disk under UPLOAD_ROOT (default
    # instance/uploads), or STORAGE_BACKEND=s3: a bucket of any S3-compatible store, which
    # every web node shares. Unset keys use boto3's own chain (environment, an IAM role).
    STORAGE_BACKEND = env("STORAGE_BACKEND", "local")
    UPLOAD_ROOT = env("UPLOAD_ROOT")
    S3_BUCKET = env("S3_BUCKET")
    S3_ENDPOINT_URL = env("S3_ENDPOINT_URL")  # MinIO, R2, Ceph...; unset: AWS
    S3_REGION = env("S3_REGION")
    S3_ACCESS_KEY_ID = env("S3_ACCESS_KEY_ID")
    S3_SECRET_ACCESS_KEY = env("S3_SECRET_ACCESS_KEY")
    S3_ADDRESSING_STYLE = env("S3_ADDRESSING_STYLE")  # path | virtual; default: path with an endpoint
    # Links to files: presigned for S3_URL_EXPIRES seconds (a private bucket), or plain URLs
    # when the bucket is public (S3_PUBLIC_URLS) or a CDN serves it (CDN_BASE_URL: its base URL,
    # in front of the bucket, or of the app's /media/ with local storage).
    S3_PUBLIC_URLS = env_bool("S3_PUBLIC_URLS", False)
    S3_URL_EXPIRES = env_int("S3_URL_EXPIRES", 3600)
    CDN_BASE_URL = env("CDN_BASE_URL")
    AVATAR_MAX_BYTES = 5 * 1024 * 1024
    IMAGE_MAX_BYTES = 10 * 1024 * 1024
    # Pixel caps per use bound the memory one decode takes (3-4 bytes a pixel): a profile
    # photo is shown at 256 px, a gallery photo at 1600 px. See app/platform/images.py.
    AVATAR_MAX_PIXELS = env_int("AVATAR_MAX_PIXELS", 12_000_000)
    IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 24_000_000)
    IMAGE_DECODE_SLOTS = env_int("IMAGE_DECODE_SLOTS", 1)  # images decoded at once per process
    IMAGE_DECODE_WAIT_SECONDS = env_int("IMAGE_DECODE_WAIT_SECONDS", 20)
    # Photos on a customer's review (up to app.reviews.models.PHOTOS_MAX each): smaller than a
    # venue's gallery photos, shown at 1200 px at most (docs/reviews.md).
    REVIEW_PHOTO_MAX_BYTES = env_int("REVIEW_PHOTO_MAX_BYTES", 4 * 1024 * 1024)  # three fit in MAX_CONTENT_LENGTH
    REVIEW_PHOTO_MAX_PIXELS = env_int("REVIEW_PHOTO_MAX_PIXELS", 24_000_000)

    # Maps: a tile URL template such as https://tile.example.com/{z}/{x}/{y}.png. Unset, the
    # location picker draws no tiles (only the pin); its origin is added to the CSP img-src.
    MAP_TILE_URL = env("MAP_TILE_URL")
    MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", "Map data © OpenStreetMap contributors")

    # Search: Elasticsearch when set (falls back to PostgreSQL if unreachable), else PostgreSQL.
    ELASTICSEARCH_URL = env("ELASTICSEARCH_URL")
    # The most matches a PostgreSQL search counts (search.postgres.COUNT_CAP, docs/search.md).
    SEARCH_COUNT_CAP = env_int("SEARCH_COUNT_CAP", 1000)

    # Bookings
    SLOT_INTERVAL_MINUTES = env_int("SLOT_INTERVAL_MINUTES", 15)
    BOOKING_MIN_NOTICE_MINUTES = env_int("BOOKING_MIN_NOTICE_MINUTES", 60)
    BOOKING_MAX_ADVANCE_DAYS = env_int("BOOKING_MAX_ADVANCE_DAYS", 90)
    HOLD_MINUTES = env_int("HOLD_MINUTES", 30)  # Stripe Checkout's minimum session life
    # A completed visit's review request goes this long after the appointment ends (docs/reviews.md).
    REVIEW_REQUEST_DELAY_MINUTES = env_int("REVIEW_REQUEST_DELAY_MINUTES", 120)
    # How far back the periodic job looks for visits that ended and were never asked (docs/reviews.md).
    REVIEW_REQUEST_LOOKBACK_HOURS = env_int("REVIEW_REQUEST_LOOKBACK_HOURS", 48)
    # How often an open page asks for the navigation bell's unread count (docs/notifications-centre.md).
    NOTIFICATIONS_POLL_SECONDS = env_int("NOTIFICATIONS_POLL_SECONDS", 30)
    WAITLIST_OFFER_MINUTES = env_int("WAITLIST_OFFER_MINUTES", 15)  # how long a waitlist offer holds its time
    # How long a desk booking's payment link works (app/payments/desk_links.py, docs/front-desk.md).
    DESK_PAYMENT_LINK_HOURS = env_int("DESK_PAYMENT_LINK_HOURS", 72)
    CART_ITEM_HOURS = 24

    # Payments: Stripe when STRIPE_SECRET_KEY is set, otherwise the in-app Demo gateway.
    STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = env("STRIPE_API_BASE")  # e.g. a local fake in tests; Stripe's own by default
    # Encrypts two-factor (TOTP) secrets; unset, a key derived from SECRET_KEY (app/accounts/two_factor.py).
    TOTP_ENCRYPTION_KEY = env("TOTP_ENCRYPTION_KEY")
    # Signs Demo events; unset, a random key is kept in instance/demo-gateway.key (never SECRET_KEY).
    DEMO_GATEWAY_SECRET = env("DEMO_GATEWAY_SECRET")
    # The synthetic probe (docs/synthetic-probe.md): its venue's slug and its customer's email.
    # The slug set, that venue stays out of search, the sitemap and analytics. Both set, the
    # probe's own orders at that venue pay on the Demo gateway even where Stripe takes everyone
    # else's, and production serves the Demo checkout for those orders only. Unset: all off.
    PROBE_VENUE_SLUG = env("PROBE_VENUE_SLUG")
    PROBE_EMAIL = env("PROBE_EMAIL")
    # Stripe Connect payouts (app/payouts/, docs/payments.md): the platform's commission as a
    # percentage of each venue's share (admins may set one per category), the secret of the
    # Connect webhook endpoint (events from connected accounts: account.updated, payout.*), and
    # whether a venue whose payout account is not enabled yet may still take paid bookings (its
    # transfers then wait and a job pays them once the account is enabled).
    PLATFORM_COMMISSION_PERCENT = env("PLATFORM_COMMISSION_PERCENT", "15")
    STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET")
    PAYOUTS_COLLECT_BEFORE_ENABLED = env_bool("PAYOUTS_COLLECT_BEFORE_ENABLED", False)
    # Invoices, statements and receipts (app/invoicing, docs/invoices.md): the marketplace's legal
    # name, address and VAT number printed on each commission invoice, and the VAT rate (UK
    # standard 20%) charged on commission and used for a VAT-registered venue's receipt breakdown.
    MARKETPLACE_LEGAL_NAME = env("MARKETPLACE_LEGAL_NAME", "CozyWish Ltd")
    MARKETPLACE_ADDRESS = env("MARKETPLACE_ADDRESS", "1 Example Street, London EC1A 1AA, United Kingdom")
    MARKETPLACE_VAT_NUMBER = env("MARKETPLACE_VAT_NUMBER", "GB123456789")
    VAT_RATE_PERCENT = env("VAT_RATE_PERCENT", "20")

    # Gift vouchers (docs/vouchers.md): valid VOUCHER_VALIDITY_MONTHS (never under 12, checked at
    # start-up); a custom amount between the limits; code lookups rate limited per client.
    VOUCHER_VALIDITY_MONTHS = env_int("VOUCHER_VALIDITY_MONTHS", 24)
    VOUCHER_MIN_MINOR = env_int("VOUCHER_MIN_MINOR", 1000)
    VOUCHER_MAX_MINOR = env_int("VOUCHER_MAX_MINOR", 50000)
    # Tips after a visit (docs/tips.md): how long after it, and the least and (with the booking's
    # price, whichever is greater) the most one tip may be.
    TIP_WINDOW_DAYS = env_int("TIP_WINDOW_DAYS", 14)
    # A membership's "month" in minutes, for watching Demo renewals in development; 0: a calendar
    # month (docs/memberships.md).
    MEMBERSHIP_DEMO_PERIOD_MINUTES = env_int("MEMBERSHIP_DEMO_PERIOD_MINUTES", 0)
    TIP_MIN_MINOR = env_int("TIP_MIN_MINOR", 100)
    TIP_MAX_MINOR = env_int("TIP_MAX_MINOR", 20000)
    VOUCHER_PRESETS_MINOR = (2500, 5000, 10000)
    VOUCHER_LOOKUP_LIMIT = env("VOUCHER_LOOKUP_LIMIT", "30 per 15 minutes")
    # The JSON API (app/api/auth.py): requests per personal access token, and per network address
    # for calls without one (anonymous, or a browser session).
    API_TOKEN_RATE_LIMIT = env("API_TOKEN_RATE_LIMIT", "300 per minute")
    API_ANONYMOUS_RATE_LIMIT = env("API_ANONYMOUS_RATE_LIMIT", "120 per minute")

    # Text messages (README "Reminders and notifications"): console (the log and the admins'
    # SMS log) unless SMS_GATEWAY=twilio with the three Twilio settings.
    SMS_GATEWAY = env("SMS_GATEWAY", "console")
    TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN")
    TWILIO_FROM = env("TWILIO_FROM")  # the sending number in E.164, or a messaging service's sender
    TWILIO_API_BASE_URL = env("TWILIO_API_BASE_URL")  # a local fake in tests; Twilio's own by default
    # How long the one-tap "cancel or reschedule" link in a reminder works (longer than the
    # largest reminder offset, a week).
    REMINDER_LINK_MAX_AGE_HOURS = env_int("REMINDER_LINK_MAX_AGE_HOURS", 8 * 24)

    # Outgoing webhooks (docs/webhooks.md). In production a webhook URL must be https and may not
    # resolve to a loopback, private, link-local, multicast or reserved address (checked when it
    # is saved and again at each send, against DNS rebinding); development and tests allow both.
    # Timeouts in seconds; retries after these many minutes (about 3 days in all), then the
    # delivery has failed and the endpoint is turned off, as it is after WEBHOOKS_DISABLE_AFTER
    # failed attempts in a row.
    WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
    WEBHOOKS_REQUIRE_HTTPS = env_bool("WEBHOOKS_REQUIRE_HTTPS", True)
    WEBHOOKS_CONNECT_TIMEOUT = env_float("WEBHOOKS_CONNECT_TIMEOUT", 3.0)
    WEBHOOKS_READ_TIMEOUT = env_float("WEBHOOKS_READ_TIMEOUT", 5.0)
    WEBHOOKS_RETRY_MINUTES = (1, 5, 30, 120, 360, 720, 1440, 1440)
    WEBHOOKS_DISABLE_AFTER = env_int("WEBHOOKS_DISABLE_AFTER", 15)
    WEBHOOKS_PER_VENUE = 10  # endpoints a venue may have
    # A rolled signing secret signs beside the new one for this long by default (the owner may
    # choose one of WEBHOOKS_GRACE_CHOICES); finished deliveries and their attempts are deleted
    # after WEBHOOKS_LOG_RETENTION_DAYS by the daily webhooks.prune_log job.
    WEBHOOKS_SECRET_GRACE_HOURS = 24
    WEBHOOKS_GRACE_CHOICES = (0, 1, 24, 72)
    WEBHOOKS_LOG_RETENTION_DAYS = env_int("WEBHOOKS_LOG_RETENTION_DAYS", 30)

    # The booking button (docs/booking-button.md): a venue's website origins must be https in
    # production; development and tests (a second local server) may use http.
    EMBED_ALLOW_HTTP_ORIGINS = env_bool("EMBED_ALLOW_HTTP_ORIGINS", False)

    # Privacy (docs/privacy.md): grace period before an account is erased, how long a data
    # export's link works, how many exports a day, and how long the retention job keeps things.
    ACCOUNT_DELETION_GRACE_DAYS = env_int("ACCOUNT_DELETION_GRACE_DAYS", 14)
    DATA_EXPORT_DAYS = env_int("DATA_EXPORT_DAYS", 7)
    DATA_EXPORTS_PER_DAY = env_int("DATA_EXPORTS_PER_DAY", 3)
    RETENTION_UNVERIFIED_DAYS = env_int("RETENTION_UNVERIFIED_DAYS", 30)
    RETENTION_SESSION_DAYS = env_int("RETENTION_SESSION_DAYS", 90)
    RETENTION_LOG_IP_DAYS = env_int("RETENTION_LOG_IP_DAYS", 90)

    # Logging
    LOG_LEVEL = env("LOG_LEVEL", "INFO")
    LOG_JSON = env_bool("LOG_JSON", True)

    # Observability (docs/operations.md, "Metrics, errors and traces"). /metrics answers only a
    # bearer METRICS_TOKEN (unset: 404, the endpoint does not exist). Sentry receives errors
    # when SENTRY_DSN is set (personal data scrubbed, app/platform/error_reports.py). Traces of requests,
    # SQL and jobs go to OTEL_EXPORTER_OTLP_ENDPOINT when set (needs the OTLP exporter package).
    METRICS_TOKEN = env("METRICS_TOKEN")
    # A job worker on a machine of its own serves its metrics (job runs, messages sent) on this
    # port, behind the same token (`flask jobs worker`); unset, it serves none.
    WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", 0) or None
    SENTRY_DSN = env("SENTRY_DSN")
    SENTRY_RELEASE = env("SENTRY_RELEASE")
    SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0)
    OTEL_EXPORTER_OTLP_ENDPOINT = env("OTEL_EXPORTER_OTLP_ENDPOINT")
    OTEL_SERVICE_NAME = env("OTEL_SERVICE_NAME", "cozywish")
    TRACE_EXPORTER = None  # tests hand an in-memory span exporter here

    # Jobs: run a worker beside the web server (make run does).
    JOBS_QUEUES = None
    # Workers write a heartbeat every JOBS_HEARTBEAT_SECONDS; a job whose worker has been
    # silent for JOBS_STALLED_AFTER_SECONDS is retried (checked every JOBS_STALLED_CHECK_SECONDS).
    # 5/15/5: a job held by a worker killed with -9 runs again within 30 s (it was 72-102 s
    # with 10/60/60; tests/ops/test_stalled_jobs.py, docs/operations.md).
    JOBS_HEARTBEAT_SECONDS = env_int("JOBS_HEARTBEAT_SECONDS", 5)
    JOBS_STALLED_AFTER_SECONDS = env_int("JOBS_STALLED_AFTER_SECONDS", 15)
    JOBS_STALLED_CHECK_SECONDS = env_int("JOBS_STALLED_CHECK_SECONDS", 5)

    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    DEBUG = env_bool("FLASK_DEBUG", False)
    MAIL_BACKEND = env("MAIL_BACKEND", "file")
    WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", True)  # a receiver on this machine
    WEBHOOKS_REQUIRE_HTTPS = env_bool("WEBHOOKS_REQUIRE_HTTPS", False)
    EMBED_ALLOW_HTTP_ORIGINS = env_bool("EMBED_ALLOW_HTTP_ORIGINS", True)


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    BASE_URL = "http://localhost"  # the test client's host
    MAIL_BACKEND = "locmem"
    REDIS_URL = None  # tests that want Redis pass REDIS_URL in overrides
    # Tests roll back their writes, and with them version bumps: read versions fresh, and keep
    # whole pages out of the cache (the page cache's own tests turn it on).
    CACHE_VERSION_TTL = 0.0
    PAGE_CACHE_ENABLED = False
    PRIVATE_PAGE_CACHE_ENABLED = False
    # The funnel's counts would be written on their own connection, outside the test's
    # transaction: never on a timer in tests (tests/analytics flush on the test's connection).
    ANALYTICS_FLUSH_SECONDS = 10**9
    LOG_JSON = True
    LOG_LEVEL = "WARNING"
    WTF_CSRF_ENABLED = True
    SIGNIN_IP_LIMIT = "30 per 15 minutes"
    # Test venues are made without a payout account; the payouts tests turn this off.
    PAYOUTS_COLLECT_BEFORE_ENABLED = True
    SMS_GATEWAY = "console"
    # Webhooks reach the tests' local receiver; the SSRF tests turn production's rules back on.
    WEBHOOKS_ALLOW_PRIVATE = True
    WEBHOOKS_REQUIRE_HTTPS = False
    WEBHOOKS_READ_TIMEOUT = 0.5
    EMBED_ALLOW_HTTP_ORIGINS = True


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    FORCE_HTTPS = env_bool("FORCE_HTTPS", True)
    PREFERRED_URL_SCHEME = "https"
    MAIL_BACKEND = env("MAIL_BACKEND", "smtp")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def apply_redis_url(config: dict) -> None:
    """Point the cache at REDIS_URL unless it was set on its own."""
    url = config.get("REDIS_URL")
    if not config.get("CACHE_TYPE"):
        config["CACHE_TYPE"] = "app.platform.cache_backend.ResilientRedisCache" if url else "SimpleCache"
    if not config.get("CACHE_REDIS_URL"):
        config["CACHE_REDIS_URL"] = url
    # The rate limits' storage (REDIS_URL or PostgreSQL) is chosen by app.platform.rate_limits.configure.


def get_config(name: str | None = None) -> type[Config]:
    name = name or env("COZYWISH_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"COZYWISH_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
