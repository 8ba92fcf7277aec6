import logging

from flask import Response, abort, current_app, jsonify, request

from app.ops.checks import READINESS_CHECKS
from app.ops.warm_up import check_warm_up
from app.ops.warm_up import install as install_warm_up
from app.platform import metrics
from app.platform.extensions import db
from app.web.blueprints import ops as bp

log = logging.getLogger(__name__)

bp.record_once(lambda setup: install_warm_up(setup.app))  # run by gunicorn's post_worker_init


@bp.get("/healthz")
def healthz():
    """The process is alive and answering. Checks nothing else, on purpose."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready to serve: database and job queue answer, and the worker is not warming itself
    (app/ops/warm_up.py). A cache without Redis is "degraded": still ready (200, pages answer),
    but named, so a dashboard shows it."""
    results = [check() for check in (*READINESS_CHECKS, check_warm_up)]
    failing = [r.name for r in results if not r.ok and not r.degraded]
    degraded = [r.name for r in results if r.degraded]
    for r in results:
        if not r.ok:
            log.warning("readiness check %s %s: %s", r.name, "degraded" if r.degraded else "failed", r.detail)
    body = {
        "status": "unavailable" if failing else "degraded" if degraded else "ok",
        "failing": failing,
        "degraded": degraded,
        # Driver errors can name hosts and ports: details stay in the logs and `flask diagnose`.
        "checks": {r.name: {"ok": r.ok, **({"state": "degraded"} if r.degraded else {})} for r in results},
    }
    response = jsonify(body)
    response.status_code = 200 if not failing else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def metrics_page():
    """Prometheus metrics for a scraper holding METRICS_TOKEN ("Authorization: Bearer <token>").
    Without a token configured there is no such page (404); a missing or wrong token gets 401."""
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        abort(404)
    if not metrics.token_matches(request.headers.get("Authorization", ""), expected):
        response = jsonify(error="A valid bearer token is needed to read the metrics.")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body = metrics.exposition([metrics.JobQueueCollector(db.session.connection())])  # reads only
    response = Response(body, mimetype=None, content_type=metrics.CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


# Probes and scrapes come over plain http from inside the network: never redirect them to https.
for _view in (healthz, readyz, metrics_page):
    _view.talisman_view_options = {"force_https": False}
