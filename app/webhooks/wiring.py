"""What webhooks plug into the app: the receivers of the signals they tell of, and the delivery job."""

from flask import Flask

from app.webhooks import receivers, service  # noqa: F401  (receivers connect; the delivery job registers)


def init_app(app: Flask) -> None:
    """The daily prune of old delivery logs (and of rolled secrets past their grace)."""
    service.schedule()
