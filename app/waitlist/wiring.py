"""What the waitlist plugs into the app: offer jobs and the minute's check for lapsed offers."""

from flask import Flask

from app.platform.jobs import every
from app.waitlist import offers


def init_app(app: Flask) -> None:
    every("* * * * *", "waitlist-lapse-offers", offers.lapse_offers_job)
