"""The GraphQL read API, ``/api/graphql`` (docs/graphql.md): Strawberry, executed synchronously.

``schema.py`` holds the types and resolvers (the same loaders, presenters and slot engine as
``/api/v1``), ``limits.py`` what one request may ask (size, depth, arguments, cost), and
``views.py`` the endpoint and the published schema. Like app/api, it is the web layer: nothing
imports it but the app factory.
"""

from __future__ import annotations

from flask import Flask

from app.api.graphql import views  # noqa: F401  (a page module: its routes join the blueprint)
from app.platform.extensions import csrf
from app.web import blueprints


def init_app(app: Flask) -> None:
    """Register ``/api/graphql``, exempt from the global CSRF check like ``/api/v1``."""
    app.register_blueprint(blueprints.graphql)
    csrf.exempt(blueprints.graphql)  # auth.authenticate checks CSRF itself, for cookie requests only
