"""The venue page's JSON-LD, parsed from the rendered page and checked against schema.org's
LocalBusiness with Google's rules for review snippets: ``aggregateRating`` and ``review`` only
when the venue has published reviews, every required property present with the right type,
and the numbers those of the database."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.accounts.models import Role
from app.platform.extensions import db
from app.reviews import service
from app.reviews.models import Review, ReviewStatus
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def json_ld(web, slug: str) -> dict:
    page = web.get(f"/venues/{slug}")
    assert page.status_code == 200
    (block,) = JSON_LD.findall(page.text)
    return json.loads(block)


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_rating(rating: dict, *, type_: str) -> None:
    """schema.org Rating / AggregateRating as Google reads it: ratingValue a number within
    worstRating..bestRating (defaults 1 and 5)."""
    assert rating["@type"] == type_
    assert is_number(rating["ratingValue"])
    best, worst = rating.get("bestRating", 5), rating.get("worstRating", 1)
    assert is_number(best) and is_number(worst) and worst < best
    assert worst <= rating["ratingValue"] <= best


def check_local_business(data: dict) -> None:
    """LocalBusiness: its required properties (name, address) and recommended ones typed."""
    assert data["@context"] == "https://schema.org" and data["@type"] == "LocalBusiness"
    assert isinstance(data["name"], str) and data["name"]
    assert data["address"]["@type"] == "PostalAddress"
    assert data["url"].startswith("http")
    if "aggregateRating" in data:
        aggregate = data["aggregateRating"]
        check_rating(aggregate, type_="AggregateRating")
        assert isinstance(aggregate["reviewCount"], int) and aggregate["reviewCount"] > 0
    for review in data.get("review", []):
        assert review["@type"] == "Review"
        assert review["author"]["@type"] in ("Person", "Organization")
        assert isinstance(review["author"]["name"], str) and 0 < len(review["author"]["name"]) < 100
        check_rating(review["reviewRating"], type_="Rating")
        date.fromisoformat(review["datePublished"])  # ISO 8601
        assert isinstance(review["reviewBody"], str) and review["reviewBody"]


def test_no_reviews_no_aggregate_rating(web, ctx, provider):
    venue, _ = make_bookable_venue(provider)
    data = json_ld(web, venue.slug)
    check_local_business(data)
    assert "aggregateRating" not in data and "review" not in data


def test_the_aggregate_and_recent_reviews_match_the_database(web, ctx, provider, make_user, admin):
    _, massage = make_bookable_venue(provider)
    written = []
    for day, (stars, name) in enumerate([(5, "Ann Smith"), (4, "Bea Jones"), (2, "Cy Brown")], start=1):
        someone = make_user(role=Role.CUSTOMER, name=name)
        booking = book(someone, massage, future_slot(days=day, hour=10))
        move_to_past(booking, hours=24 * day)
        written.append(
            service.create_review(booking, customer=someone, rating=stars, body=f"Honest words number {day} <b>&")
        )
    service.set_visibility(written[2], hidden=True, actor=admin, reason="Off topic")
    venue = massage.venue

    data = json_ld(web, venue.slug)

    check_local_business(data)
    average, count = db.session.execute(
        select(func.avg(Review.rating), func.count()).where(
            Review.venue_id == venue.id, Review.status == ReviewStatus.PUBLISHED
        )
    ).one()
    aggregate = data["aggregateRating"]
    assert Decimal(str(aggregate["ratingValue"])) == Decimal(average).quantize(Decimal("0.01"))
    assert (aggregate["reviewCount"], aggregate["bestRating"], aggregate["worstRating"]) == (count, 5, 1) == (2, 5, 1)
    # first names only, as the page shows them; newest first (one transaction here: by id); not the hidden one
    assert [(r["author"]["name"], r["reviewRating"]["ratingValue"]) for r in data["review"]] == [("Bea", 4), ("Ann", 5)]
    assert {r["reviewBody"] for r in data["review"]} == {"Honest words number 1 <b>&", "Honest words number 2 <b>&"}
    assert {r["datePublished"] for r in data["review"]} == {w.created_at.date().isoformat() for w in written[:2]}


def test_the_json_ld_block_cannot_be_broken_out_of(web, ctx, customer, visit):
    service.create_review(visit, customer=customer, rating=3, body="</script><script>alert(1)</script> fine")
    page = web.get(f"/venues/{visit.venue.slug}").text
    (block,) = JSON_LD.findall(page)
    assert "</script" not in block and "<" not in block
    assert json.loads(block)["review"][0]["reviewBody"].startswith("</script>")


def test_a_new_review_reaches_the_cached_page_and_its_json_ld(web, customer, visit, page_cache):
    slug = visit.venue.slug
    assert "aggregateRating" not in json_ld(web, slug)  # anonymous: now cached
    service.create_review(visit, customer=customer, rating=5, body="Wonderful from start to end.")
    db.session.commit()
    assert json_ld(web, slug)["aggregateRating"]["reviewCount"] == 1
