"""The request's side of metrics and traces: its latency by endpoint and status
(app/platform/metrics.py), its request id made visible to the jobs it enqueues, and its span
(app/platform/tracing.py) when tracing is on.

Registered right after logging (which stamps the request id and the start time) and before
the page cache, so a page answered from the cache is counted and timed like any other; the
``after_request`` hook, registered this early, runs among the last, after the page has been
rendered and stored.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from app.platform import metrics, tracing


def init_app(app: Flask) -> None:
    tracing_on = "tracer" in app.extensions

    @app.before_request
    def _begin() -> None:
        if "request_id_token" in g:
            return  # a safe request run again on a fresh connection (app/web/db_faults.py): begun once
        request_id = g.get("request_id") or ""
        g.request_id_token = tracing.request_id_var.set(request_id)
        if tracing_on:
            # The route's rule, not the path: a path can hold a signed token.
            rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
            g.request_span = tracing.start_request_span(f"{request.method} {rule}", request_id)

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.get("request_started")
        if started is not None:
            metrics.observe_request(
                request.endpoint or "unmatched", request.method, response.status_code, time.perf_counter() - started
            )
        if tracing_on:
            g.response_status = response.status_code
        return response

    @app.teardown_request
    def _end(error: BaseException | None) -> None:
        if tracing_on:
            tracing.end_request_span(
                g.pop("request_span", None),
                route=request.url_rule.rule if request.url_rule is not None else None,
                status=g.get("response_status"),
                error=error,
            )
        token = g.pop("request_id_token", None)
        if token is not None:
            tracing.request_id_var.reset(token)
