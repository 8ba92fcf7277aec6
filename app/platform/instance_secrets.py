"""Secrets an install makes for itself once and every process shares (web nodes, workers):
one row per name in ``instance_secrets`` (migration 0062), never a file under one machine's
``instance/`` folder. The Demo payment gateway's signing key is the first (app/payments/demo_gateway.py).
"""

from __future__ import annotations

import secrets

from sqlalchemy import text

from app.platform.extensions import db

SHARED_SECRET_SQL = text(
    "WITH made AS (INSERT INTO instance_secrets (name, value) VALUES (:name, :value)"
    " ON CONFLICT (name) DO NOTHING RETURNING value)"
    " SELECT value FROM made UNION ALL SELECT value FROM instance_secrets WHERE name = :name LIMIT 1"
)

READ_SECRET_SQL = text("SELECT value FROM instance_secrets WHERE name = :name")


def shared_secret(name: str) -> bytes:
    """The install's key ``name``, made the first time any process asks (one committed row;
    concurrent first askers all read the one that won)."""
    with db.engine.connect() as conn:  # its own transaction: the key outlives the request's
        value = conn.execute(SHARED_SECRET_SQL, {"name": name, "value": secrets.token_urlsafe(32)}).scalar()
        if value is None:  # another process made it while this statement ran: it is committed now
            value = conn.execute(READ_SECRET_SQL, {"name": name}).scalar_one()
        conn.commit()
    return value.encode()
