"""The race tests' committed-data fixtures, shared with tests/checkout/test_overbooking.py."""

from tests.checkout.test_overbooking import made, race_app  # noqa: F401  (fixtures)
