"""What search plugs into the app: reindexing after venue changes commit, and the minute's
refresh of the venues' free time."""

from flask import Flask

from app.platform.jobs import every
from search import free_time, indexing


def init_app(app: Flask) -> None:
    indexing.init_app(app)  # venue changes enqueue a search reindex job
    every("* * * * *", "search-free-time", free_time.refresh_free_time_job)
