"""What analytics plugs into the app: the rollup's refresh every minute, the funnel's flush
of counts before the job's, and the receiver that counts paid orders."""

from flask import Flask

from app.analytics import funnel, receivers, rollup  # noqa: F401  (the order_paid receiver)
from app.platform.jobs import every


def init_app(app: Flask) -> None:
    every("* * * * *", "analytics-rollup", rollup.refresh_rollup_job)
    every("17 3 * * *", "analytics-forget-searches", funnel.forget_old_searches_job)
