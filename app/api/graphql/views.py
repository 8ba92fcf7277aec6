"""``/api/graphql``: the GraphQL read API (docs/graphql.md), beside ``/api/v1`` with its tokens,
scopes and rate limits (app/api/auth.py), and ``/api/graphql/schema.graphql``, its schema.

A request is read, parsed, validated and measured (app/api/graphql/limits.py) before anything
runs; a refusal is HTTP 400 with a GraphQL ``errors`` list whose ``extensions.code`` says why.
Answers are ``{"data": ..., "errors": [...]}``; a ``me`` without a token is a 401, without the
read scope a 403 (the same answers ``/api/v1/me`` gives, in GraphQL's shape).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _
from graphql import GraphQLError, GraphQLSyntaxError, parse, validate
from werkzeug.exceptions import HTTPException

from app.api import auth, conventions
from app.api.graphql import limits
from app.api.graphql.schema import FORBIDDEN, UNAUTHENTICATED, Reading, error_code, expected, schema
from app.web.blueprints import graphql as bp

SDL = schema.as_str() + "\n"
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="api"'}
CODES = {400: "BAD_REQUEST", 401: UNAUTHENTICATED, 403: FORBIDDEN, 429: "RATE_LIMITED"}


def refusal(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(errors=[{"message": message, "extensions": {"code": code}}])
    response.status_code = status
    response.headers.update(headers or {})
    return response


@bp.before_request
def authenticate() -> Response | None:
    """``/api/v1``'s first step (token, CSRF for a cookie session, rate limit), its refusals in GraphQL's shape."""
    try:
        auth.authenticate()
    except HTTPException as exc:
        data = getattr(exc, "data", None) or {}
        status = exc.code or 400
        return refusal(
            status, str(data.get("message") or exc.description), CODES.get(status, "BAD_REQUEST"), data.get("headers")
        )
    return None


bp.after_request(conventions.finish)


def read_request() -> tuple[str, dict[str, Any] | None, str | None]:
    """The query, its variables and the operation's name, from a JSON body (POST) or the URL (GET)."""
    if request.method == "GET":
        body: Any = {"query": request.args.get("query"), "operationName": request.args.get("operationName")}
        variables = request.args.get("variables")
        try:
            body["variables"] = json.loads(variables) if variables else None
        except ValueError:
            raise limits.Refused(_("variables must be a JSON object."), "BAD_REQUEST") from None
    else:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise limits.Refused(_('Send a JSON object: {"query": "...", "variables": {...}}.'), "BAD_REQUEST")
    query, variables, name = body.get("query"), body.get("variables"), body.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise limits.Refused(_("Send the query as a string under query."), "BAD_REQUEST")
    if variables is not None and not isinstance(variables, dict):
        raise limits.Refused(_("variables must be a JSON object."), "BAD_REQUEST")
    if name is not None and not isinstance(name, str):
        raise limits.Refused(_("operationName must be a string."), "BAD_REQUEST")
    if len(query.encode()) > limits.MAX_QUERY_BYTES:
        raise limits.Refused(
            _("The query is longer than %(num)d bytes.", num=limits.MAX_QUERY_BYTES), "QUERY_TOO_LARGE"
        )
    return query, variables, name


def checked(query: str, variables: dict[str, Any] | None, name: str | None) -> None:
    """Parse, validate against the schema, and measure; Refused (or a GraphQLError list) otherwise."""
    try:
        document = parse(query, max_tokens=limits.MAX_TOKENS)
    except GraphQLSyntaxError as exc:
        raise limits.Refused(exc.message, "GRAPHQL_PARSE_FAILED") from None
    problems = validate(schema._schema, document)
    if problems:
        raise limits.Refused(problems[0].message, "GRAPHQL_VALIDATION_FAILED")
    limits.measure(schema._schema, document, name, variables)


def shown(error: GraphQLError) -> dict[str, Any]:
    """An error as the client sees it, with its code; one nobody raised on purpose (a bug, which
    the schema logged) is not described."""
    if not expected(error):
        return {
            "message": _("Something went wrong on our side. Please try again."),
            "path": error.path,
            "extensions": {"code": "INTERNAL"},
        }
    return {**error.formatted, "extensions": {**(error.extensions or {}), "code": error_code(error)}}


@bp.route("", methods=["GET", "POST"])
def execute():
    """Run one query: ``{"query", "variables", "operationName"}`` as JSON, or in the URL with GET."""
    try:
        query, variables, name = read_request()
        checked(query, variables, name)
    except limits.Refused as refused:
        return refusal(400, refused.message, refused.code)
    result = schema.execute_sync(
        query, variable_values=variables, operation_name=name, context_value={"reading": Reading()}
    )
    body: dict[str, Any] = {"data": result.data}
    status, headers = 200, {}
    if result.errors:
        body["errors"] = [shown(e) for e in result.errors]
        codes = {error_code(e) for e in result.errors}
        if UNAUTHENTICATED in codes:
            status, headers = 401, WWW_AUTHENTICATE
        elif FORBIDDEN in codes:
            status = 403
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response


@bp.get("/schema.graphql")
def schema_document():
    """The schema in GraphQL's SDL (docs/graphql.schema.graphql holds the same text)."""
    response = Response(SDL, mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"  # public, like /api/v1/openapi.json
    return response
