"""What team schedules plug into the app: calendar sync's job and its schedule."""

from flask import Flask

from app.platform.jobs import every
from app.team_schedules import calendar_sync


def init_app(app: Flask) -> None:
    every("*/5 * * * *", "sync-calendars", calendar_sync.sync_calendars_job)
