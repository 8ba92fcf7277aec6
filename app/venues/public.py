"""Public venue pages and the sitemap (filled in by the venue-page work)."""

from flask import Blueprint

bp = Blueprint("venues_public", __name__)
