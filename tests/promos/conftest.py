"""The race tests' committed-data fixtures, shared with tests/booking/test_overbooking.py."""

from tests.booking.test_overbooking import made, race_app  # noqa: F401  (fixtures)
