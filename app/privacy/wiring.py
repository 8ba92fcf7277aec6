"""What privacy plugs into the app: data exports, and the daily retention and erasure runs."""

from flask import Flask

from app.platform.jobs import every
from app.privacy import (
    deletion,
    exports,  # noqa: F401  (its job builds the export archive)
    retention,
)


def init_app(app: Flask) -> None:
    every("41 3 * * *", "privacy-retention", retention.retention_job)
    every("7 * * * *", "erase-due-accounts", deletion.erase_due_accounts_job)
