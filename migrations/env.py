"""Alembic environment for CozyWish (run through Flask-Migrate: `flask db ...`)."""

import logging

from alembic import context
from flask import current_app
from sqlalchemy import create_engine, event

import app.models  # noqa: F401  (registers every table on the metadata)
from app.platform import db_routing, db_timeouts

config = context.config
logger = logging.getLogger("alembic.env")
target_db = current_app.extensions["migrate"].db


def include_object(obj, name, type_, reflected, compare_to):
    # procrastinate owns its tables; they are created from its schema file in a migration.
    # The search backend owns venue_search*: hand-written in migration 0005, outside the models.
    return not (type_ == "table" and name and name.startswith(("procrastinate_", "venue_search")))


def migrations_engine():
    """The app's engine, or the direct JOBS_DATABASE_URL when DATABASE_URL is a transaction pooler:
    a migration's locks and autocommit blocks need one session throughout."""
    app = current_app._get_current_object()
    if not db_routing.transaction_pooled(app.config) or not app.config.get("JOBS_DATABASE_URL"):
        return target_db.engine
    engine = create_engine(db_routing.direct_url(app.config), **db_routing.direct_engine_options(app.config))
    event.listen(engine, "connect", db_timeouts.holder_of(app).on_connect_direct)
    return engine


def run_migrations_offline() -> None:
    context.configure(
        url=str(target_db.engine.url),
        target_metadata=target_db.metadata,
        literal_binds=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("include_object", include_object)
    conf_args.setdefault("compare_type", True)

    with migrations_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
