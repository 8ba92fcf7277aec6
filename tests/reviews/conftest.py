"""Builders for the review tests: a finished visit, its review, and photos made in memory."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.reviews import service
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past


@pytest.fixture
def visit(ctx, provider, customer):
    """A confirmed booking whose appointment ended an hour ago."""
    _, massage = make_bookable_venue(provider)
    booking = book(customer, massage, future_slot(days=2, hour=10))
    move_to_past(booking, hours=2)
    return booking


@pytest.fixture
def review(visit, customer):
    """The customer's published review of ``visit``."""
    return service.create_review(visit, customer=customer, rating=4, body="Good massage, a little rushed at the end.")


def png(width: int = 64, height: int = 48, colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()
