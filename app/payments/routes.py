"""Payment pages and the webhook endpoint (blueprint ``payments`` at /payments)."""

from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/payments")
