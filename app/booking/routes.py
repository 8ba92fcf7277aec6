"""Customer-facing booking pages: the booking flow on a venue page, the cart, checkout and
"My bookings"."""

from flask import Blueprint

bp = Blueprint("booking", __name__)
