"""The real application plus one bench-only route, ``GET /_bench/suggest?q=...``, served the way
``flask serve`` serves it (werkzeug, threaded). Used by ``bench.search.run`` only while the
search page's own ``/search/suggest`` route does not exist, so autocomplete can still be timed
over HTTP through the app's full request path (middleware, hooks, logging, a pooled session).

    DATABASE_URL=... .venv/bin/python -m bench.search.standin --port 5099
"""

from __future__ import annotations

import argparse

from flask import jsonify, request
from werkzeug.serving import run_simple

from app import create_app
from search.backend import suggest

ROUTE = "/_bench/suggest"


def make_app():
    app = create_app()

    def bench_suggest():
        return jsonify(suggestions=suggest(request.args.get("q", "")))

    app.add_url_rule(ROUTE, "bench_suggest", bench_suggest)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    run_simple(args.host, args.port, make_app(), threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
