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


def sqlalchemy_url(url: str | None) -> str | None:
    """Normalise any PostgreSQL URL to the psycopg 3 driver SQLAlchemy uses."""
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


DEV_SECRET_KEY = "dev-only-secret-change-me"


class Config:
    APP_NAME = "CozyWish"
    SECRET_KEY = env("SECRET_KEY", DEV_SECRET_KEY)
    SERVER_NAME = env("SERVER_NAME")
    # Where the site is reached; links in emails sent by jobs and commands start with it.
    BASE_URL = env("BASE_URL", "http://127.0.0.1:5000")
    PREFERRED_URL_SCHEME = env("PREFERRED_URL_SCHEME", "http")
    # Unset DATABASE_URL means: start the embedded PostgreSQL under instance/.
    SQLALCHEMY_DATABASE_URI = sqlalchemy_url(env("DATABASE_URL"))
    # The session speaks UTC: psycopg then returns timestamps with datetime.UTC itself, whose
    # arithmetic is several times cheaper than with a ZoneInfo("Etc/UTC") (the slot engine
    # does it thousands of times for a month calendar).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "connect_args": {"options": "-c timezone=UTC"}}
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

    # Rate limits (Flask-Limiter): Redis when REDIS_URL is set, in-process otherwise.
    REDIS_URL = env("REDIS_URL")
    RATELIMIT_STORAGE_URI = env("REDIS_URL", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    # If Redis is unreachable, count in-process rather than failing the request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    SIGNIN_IP_LIMIT = env("SIGNIN_IP_LIMIT", "30 per 15 minutes")
    SIGNUP_IP_LIMIT = env("SIGNUP_IP_LIMIT", "10 per hour")
    RESET_IP_LIMIT = env("RESET_IP_LIMIT", "10 per hour")

    # Cache (Flask-Caching)
    CACHE_TYPE = "RedisCache" if env("REDIS_URL") else "SimpleCache"
    CACHE_REDIS_URL = env("REDIS_URL")
    CACHE_DEFAULT_TIMEOUT = 300

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

    # Storage for uploads: local disk under UPLOAD_ROOT (default instance/uploads).
    UPLOAD_ROOT = env("UPLOAD_ROOT")
    AVATAR_MAX_BYTES = 5 * 1024 * 1024
    IMAGE_MAX_BYTES = 10 * 1024 * 1024
    IMAGE_MAX_PIXELS = 40_000_000

    # Maps: a tile URL template such as https://tile.example.com/{z}/{x}/{y}.png. Unset, the
    # location picker draws no tiles (only the pin); its origin is added to the CSP img-src.
    MAP_TILE_URL = env("MAP_TILE_URL")
    MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", "")

    # Search: Elasticsearch when set (falls back to PostgreSQL if unreachable), else PostgreSQL.
    ELASTICSEARCH_URL = env("ELASTICSEARCH_URL")

    # Bookings
    SLOT_INTERVAL_MINUTES = env_int("SLOT_INTERVAL_MINUTES", 15)
    BOOKING_MIN_NOTICE_MINUTES = env_int("BOOKING_MIN_NOTICE_MINUTES", 60)
    BOOKING_MAX_ADVANCE_DAYS = env_int("BOOKING_MAX_ADVANCE_DAYS", 90)
    HOLD_MINUTES = env_int("HOLD_MINUTES", 30)  # Stripe Checkout's minimum session life
    CART_ITEM_HOURS = 24

    # Payments: Stripe when STRIPE_SECRET_KEY is set, otherwise the in-app Demo gateway.
    STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = env("STRIPE_API_BASE")  # e.g. a local fake in tests; Stripe's own by default
    DEMO_GATEWAY_SECRET = env("DEMO_GATEWAY_SECRET")  # signs Demo events; defaults to SECRET_KEY

    # Logging
    LOG_LEVEL = env("LOG_LEVEL", "INFO")
    LOG_JSON = env_bool("LOG_JSON", True)

    # Jobs: run a worker beside the web server (make run does).
    JOBS_QUEUES = None

    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    DEBUG = env_bool("FLASK_DEBUG", False)
    MAIL_BACKEND = env("MAIL_BACKEND", "file")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    MAIL_BACKEND = "locmem"
    RATELIMIT_STORAGE_URI = "memory://"
    CACHE_TYPE = "SimpleCache"
    LOG_JSON = True
    LOG_LEVEL = "WARNING"
    WTF_CSRF_ENABLED = True
    SIGNIN_IP_LIMIT = "30 per 15 minutes"


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


def get_config(name: str | None = None) -> type[Config]:
    name = name or env("COZYWISH_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"COZYWISH_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
