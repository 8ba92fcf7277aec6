"""The worked example in docs/webhooks.md: its secret, timestamp and body give the signature it
shows (computed here, so the document can't drift from the code)."""

from __future__ import annotations

from pathlib import Path

from app.webhooks import signing

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
SECRET = "whsec_5f0c2a9e7b41d3c86e12fa0b9d47c3e1a8b26d0f4e9c7a15"
TIMESTAMP = 1795651200
BODY = (
    '{"id":"evt_3f1c9a2b7d4e4c0a9b8e6f5d4c3b2a10","type":"booking.created",'
    '"created_at":"2026-11-26T10:00:00+00:00","data":{"id":42,"reference":"CW-7K4P-Q2MX",'
    '"price":{"amount_minor":6000,"currency":"GBP"}}}'
)


def test_the_documented_example_signs_as_shown():
    expected = signing.signature(SECRET, TIMESTAMP, BODY)
    doc = DOC.read_text()
    for value in (SECRET, str(TIMESTAMP), BODY, expected, f"t={TIMESTAMP},v1={expected}"):
        assert value in doc, value
    assert signing.verify(SECRET, f"t={TIMESTAMP},v1={expected}", BODY, now=TIMESTAMP + 10)
    assert not signing.verify(SECRET, f"t={TIMESTAMP},v1={expected}", BODY, now=TIMESTAMP + 301)  # too old
    assert not signing.verify(SECRET, f"t={TIMESTAMP},v1={expected}", BODY + " ", now=TIMESTAMP)


ROLLED_TO = "whsec_9d2e7c4b1a08f6e35c7d9b2a4e61f0c8d3b5a7e9f1c2d4b6"


def test_the_documented_rolled_example_signs_as_shown():
    header = signing.header_value(ROLLED_TO, TIMESTAMP, BODY, also=(SECRET,))
    doc = DOC.read_text()
    assert ROLLED_TO in doc
    assert f"CozyWish-Signature: {header}" in doc
    for secret in (ROLLED_TO, SECRET):  # a receiver with either secret accepts it
        assert signing.verify(secret, header, BODY, now=TIMESTAMP + 10)
    assert not signing.verify(signing.new_secret(), header, BODY, now=TIMESTAMP + 10)
