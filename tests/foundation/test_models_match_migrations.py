"""The models and the migrations describe one schema: alembic's autogenerate, run against a
database migrated to head, finds nothing to add, drop or alter beyond the differences known below."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import app.models  # noqa: F401  (registers every table on the metadata, as migrations/env.py does)
from app.platform.extensions import db

# Differences the schema already had when this test was written, each named as `describe` names
# it. They are drift to fix in a migration or a model some day, not changes to make now:
KNOWN = {
    # Tables made by hand in migrations and used through SQL, with no model.
    "remove_table cache_versions",
    "remove_table instance_secrets",
    "remove_table rate_counters",
    "remove_index rate_counters.ix_rate_counters_expires_at",
    "remove_table venue_free_changes",
    "remove_index venue_free_changes.ix_venue_free_changes_venue_id",
    "remove_table venue_free_starts",
    "remove_table venue_free_time",
    # Indexes (some partial or on expressions) that only the migrations declare.
    "remove_index bookings.ix_bookings_member_lead",
    "remove_index bookings.ix_bookings_venue_id_starts_at",
    "remove_index bookings.ix_bookings_venue_seen",
    "remove_index top_ups.uq_top_ups_one_pending_per_booking",
    "remove_index user_sessions.ix_user_sessions_live_by_user",
    "remove_index users.ix_users_created_at",
    "remove_index venue_staff.uq_venue_staff_live_email",
    "remove_index venue_staff.uq_venue_staff_live_user",
    "remove_index voucher_entries.uq_voucher_entries_one_issue",
    # Unique constraints the models name otherwise than the migrations did, or not at all.
    "remove_constraint api_idempotency_keys.uq_api_idempotency_keys_owner",
    "add_constraint api_idempotency_keys.owner",
    "remove_constraint search_synonyms.uq_search_synonyms_term_synonym",
    "add_constraint search_synonyms.term_synonym",
    "remove_constraint user_recovery_codes.uq_user_recovery_codes_user_id",
    # Server defaults the migrations set and the models leave to Python.
    "modify_default audit_log.data",
    "modify_default passkeys.backed_up",
    "modify_default passkeys.sign_count",
    "modify_default passkeys.transports",
    "modify_default sign_in_throttles.failures",
    "modify_default user_sessions.remember",
    "modify_default users.is_active_account",
    "modify_default users.two_factor_generation",
}


def include_object(obj, name, type_, reflected, compare_to):
    # As migrations/env.py: procrastinate's tables and the search backend's venue_search* are
    # made outside the models.
    return not (type_ == "table" and name and name.startswith(("procrastinate_", "venue_search")))


def describe(difference) -> str:
    """One of compare_metadata's differences as "<operation> <table>[.<column, index or constraint>]"."""
    if isinstance(difference, list):  # a column's changes: ("modify_type", schema, table, column, ...)
        operation, _, table, column = difference[0][:4]
        return f"{operation} {table}.{column}"
    operation, item = difference[0], difference[1]
    if operation.endswith("_table"):
        return f"{operation} {item.name}"
    if operation.endswith("_column"):  # ("add_column", schema, table, column)
        return f"{operation} {difference[2]}.{difference[3].name}"
    return f"{operation} {item.table.name}.{item.name}"


def test_the_models_declare_the_schema_the_migrations_build(app):
    # The session's `app` has upgraded a fresh database to head (tests/conftest.py).
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "compare_server_default": True, "include_object": include_object},
        )
        differences = compare_metadata(context, db.metadata)
    assert sorted(describe(d) for d in differences if describe(d) not in KNOWN) == []
