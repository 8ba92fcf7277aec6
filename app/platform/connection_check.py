"""A pooled connection the server has closed is replaced at checkout, without a round trip.

SQLAlchemy's ``pool_pre_ping`` sends an empty statement on every checkout: a round trip and
135-165 us of CPU each request (docs/benchmarks.md, "A result's description built only when
read"). A server that ends a connection (a restart, a failover, ``pg_terminate_backend``,
PgBouncer's timeouts) sends its reason and closes it, and the socket becomes readable. Between
transactions a pooled connection has nothing to read otherwise (the app's engines LISTEN to
nothing), so at checkout a connection that libpq already knows is bad, or whose socket has
anything to read, is refused with ``DisconnectionError``: the pool drops it and opens another
(SQLAlchemy's documented way for a custom check). Alive, it costs one ``poll`` of its socket.

Not caught here, as a ping would hang on it as long: a connection cut without the server closing
it (a network partition); app/web/db_faults.py answers what a statement then meets.
"""

from __future__ import annotations

import select
from typing import Any

from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


def watch(engine: Engine) -> None:
    """Check each connection ``engine``'s pool hands out, before any other checkout listener."""
    event.listen(engine, "checkout", check_out, insert=True)


def closed_by_server(connection: Any) -> bool:
    """Whether this idle psycopg connection is gone: closed, known bad, or its socket readable."""
    if connection.closed or connection.broken:
        return True
    pgconn = connection.pgconn
    if pgconn.status != pq.ConnStatus.OK:
        return True
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN)
    return bool(poller.poll(0))


def check_out(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if closed_by_server(dbapi_connection):
        raise DisconnectionError("the server closed this pooled connection")
