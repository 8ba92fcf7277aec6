from flask import Blueprint, jsonify

from app.ops.checks import READINESS_CHECKS

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive and answering. Checks nothing else, on purpose."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready to serve: database, job queue and cache all answer."""
    results = [check() for check in READINESS_CHECKS]
    failing = [r.name for r in results if not r.ok]
    body = {
        "status": "ok" if not failing else "unavailable",
        "failing": failing,
        "checks": {r.name: {"ok": r.ok, "detail": r.detail} for r in results},
    }
    response = jsonify(body)
    response.status_code = 200 if not failing else 503
    response.headers["Cache-Control"] = "no-store"
    return response
