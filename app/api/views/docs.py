"""``/api/v1/openapi.json`` (the OpenAPI 3.1 document, written by flask-smorest from the schemas
that validate the requests), ``/api/v1/docs`` (Swagger UI over it, from the npm registry and
started by our own script), and ``/api/v1/problems/<name>`` (what each problem type means)."""

from __future__ import annotations

from flask import abort, current_app, jsonify, render_template
from flask_babel import gettext as _

from app.ops.problems import TYPES, type_uri
from app.web.blueprints import api_docs as bp


@bp.get("/openapi.json")
def openapi():
    response = jsonify(current_app.extensions["api_spec"]())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"  # public: code generators and other sites read it
    return response


@bp.get("/docs")
def reference():
    return render_template("api/docs.html")


@bp.get("/problems")
def problems():
    return jsonify(
        [{"type": type_uri(name), "status": status, "title": str(title)} for name, (status, title) in TYPES.items()]
    )


@bp.get("/problems/<name>")
def problem(name: str):
    if name not in TYPES:
        abort(404, _("No such problem type."))
    status, title = TYPES[name]
    return jsonify({"type": type_uri(name), "status": status, "title": str(title)})
