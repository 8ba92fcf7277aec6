"""Health checks shared by /readyz and `flask diagnose`. Each returns a Check: ok, failing, or
degraded (the app still serves, without something it would rather have, such as Redis)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import text

from app.platform.cache_backend import ResilientRedisCache, limiter_errors
from app.platform.extensions import cache, db, limiter
from app.platform.rate_limits import CozyWishStorage


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    hint: str = ""
    degraded: bool = False  # not ok, but pages still answer: ready, with a warning


def check_database() -> Check:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        db.session.rollback()
        return Check("database", False, _first_line(exc), "Is PostgreSQL running and DATABASE_URL right?")
    return Check("database", True, "connected")


def check_migrations() -> Check:
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    try:
        migrate: Migrate = current_app.extensions["migrate"].migrate
        config = migrate.get_config()
        head = ScriptDirectory.from_config(config).get_current_head()
        current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:
        db.session.rollback()
        return Check("migrations", False, _first_line(exc), "Run `flask db upgrade`.")
    if current != head:
        return Check("migrations", False, f"database at {current}, code at {head}", "Run `flask db upgrade`.")
    return Check("migrations", True, f"at head {head}")


def check_queue() -> Check:
    try:
        counts = dict(
            db.session.execute(text("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status")).all()
        )
    except Exception as exc:
        db.session.rollback()
        return Check("queue", False, _first_line(exc), "Run `flask db upgrade` to create the job tables.")
    waiting = counts.get("todo", 0)
    failed = counts.get("failed", 0)
    detail = f"{waiting} waiting, {counts.get('doing', 0)} running, {failed} failed"
    return Check("queue", True, detail, "Start a worker: `flask jobs worker`." if waiting > 50 else "")


def check_cache() -> Check:
    backend = cache.cache
    if isinstance(backend, ResilientRedisCache):
        return check_redis(backend)
    try:
        cache.set("cozywish:readyz", "ok", timeout=10)
        ok = cache.get("cozywish:readyz") == "ok"
    except Exception as exc:
        return Check("cache", False, _first_line(exc), "Is Redis reachable at REDIS_URL?")
    backend = current_app.config.get("CACHE_TYPE")
    return Check(
        "cache", ok, backend if ok else f"{backend} did not return what was stored", "" if ok else "Check REDIS_URL."
    )


def check_redis(backend) -> Check:
    """Redis holds the cache and the rate limits; without it the cache runs in-process and the
    limits are counted in PostgreSQL (degraded)."""
    problems = []
    try:
        backend.ping()
    except Exception as exc:
        problems.append(f"cache: {_first_line(exc)}")
    storage = limiter.storage
    redis_errors = limiter_errors.count
    if isinstance(storage, CozyWishStorage):
        redis_errors += storage.redis_errors
        if storage.redis_check() is False:
            problems.append("rate limits: Redis does not answer")

    errors = f"{backend.errors} cache and {redis_errors} rate-limit storage error(s) since start"
    if problems:
        return Check(
            "redis",
            False,
            "; ".join(problems)
            + f"; caching in each process's memory, rate limits counted in PostgreSQL meanwhile ({errors})",
            "Is Redis reachable at REDIS_URL?",
            degraded=True,
        )
    return Check("redis", True, f"answers ({errors})")


def check_email() -> Check:
    config = current_app.config
    backend = config.get("MAIL_BACKEND")
    if backend == "smtp":
        import smtplib

        try:
            with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=5) as smtp:
                smtp.noop()
        except OSError as exc:
            return Check(
                "email",
                False,
                f"SMTP {config['MAIL_SERVER']}:{config['MAIL_PORT']}: {exc}",
                "Check MAIL_SERVER/MAIL_PORT, or set MAIL_BACKEND=console for development.",
            )
        return Check("email", True, f"SMTP {config['MAIL_SERVER']}:{config['MAIL_PORT']} answers")
    if backend == "file":
        return Check("email", True, f"written to files in {config.get('MAIL_FILE_PATH')}")
    return Check("email", True, f"backend {backend}")


def check_storage() -> Check:
    storage = current_app.extensions["storage"]
    problem = storage.check()
    if problem:
        hint = "Check S3_BUCKET, S3_ENDPOINT_URL and the keys." if hasattr(storage, "bucket") else ""
        return Check("storage", False, problem, hint or "Make UPLOAD_ROOT a writable folder.")
    where = getattr(storage, "root", None) or f"bucket {getattr(storage, 'bucket', '?')}"
    return Check("storage", True, f"writable ({where})")


def check_configuration() -> Check:
    config = current_app.config
    problems = []
    from config import DEV_SECRET_KEY

    default_secret = config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None)
    if default_secret and config.get("ENV_NAME") == "production":
        problems.append("SECRET_KEY is the development default")
    if config.get("SESSION_COOKIE_SECURE") and config.get("PREFERRED_URL_SCHEME") != "https":
        problems.append("secure cookies without https URLs")
    if problems:
        return Check("configuration", False, "; ".join(problems), "Set SECRET_KEY to a long random value.")
    env = "embedded PostgreSQL" if config.get("USING_EMBEDDED_DB") else "DATABASE_URL"
    return Check("configuration", True, f"{config.get('ENV_NAME')} settings; database from {env}")


READINESS_CHECKS = (check_database, check_queue, check_cache)
DIAGNOSE_CHECKS = (
    check_configuration,
    check_database,
    check_migrations,
    check_queue,
    check_cache,
    check_email,
    check_storage,
)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
