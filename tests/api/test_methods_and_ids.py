"""Ids and methods the API doesn't take: an id past PostgreSQL's ``integer`` (the ``int``
converter refuses it) is a 404 on every method, as the document says, never a 405 because the
route has other methods; a method an address doesn't take is a 405 naming the ones it does in
``Allow``; both as problem+json."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.platform.input_guard import MAX_ID, numbers_up_to
from tests.api.conftest import bearer

METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE")
TOO_BIG = ("2147483648", "9999999999", "99999999999", "1" + "0" * 30)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/me/orders/{}",  # GET only
        "/api/v1/me/cart/items/{}",  # DELETE only
        "/api/v1/venue/faqs/{}",  # PUT and DELETE
        "/api/v1/me/orders/{}/payments",  # POST only
    ],
)
def test_an_id_past_the_integer_range_is_a_404_on_every_method(client, customer, make_token, method, path):
    token = make_token(customer, "read", "write", "venue")
    for number in TOO_BIG:
        response = client.open(path.format(number), method=method, headers=bearer(token), json={})
        assert response.status_code == 404, (method, path, number, response.status_code)
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["type"] == "/api/v1/problems/not-found"


def test_the_largest_id_is_still_looked_up(client, customer, make_token):
    headers = bearer(make_token(customer, "read", "write"))
    answer = client.get(f"/api/v1/me/orders/{MAX_ID}", headers=headers)
    assert answer.status_code == 404 and answer.get_json()["detail"] == "You have no order with that number."
    assert client.delete(f"/api/v1/me/orders/{MAX_ID}", headers=headers).status_code == 405  # a real order's address


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/me/orders/1", {"GET", "HEAD", "OPTIONS"}),
        ("TRACE", "/api/v1/categories", {"GET", "HEAD", "OPTIONS"}),
        ("PUT", "/api/v1/me/cart/items", {"POST", "OPTIONS"}),
        ("PATCH", "/api/v1/venue/faqs/1", {"PUT", "DELETE", "OPTIONS"}),
    ],
)
def test_a_method_the_address_does_not_take_is_a_405_with_allow(client, method, path, allowed):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "/api/v1/problems/method-not-allowed"
    assert set(re.split(r",\s*", response.headers["Allow"])) == allowed


def test_a_page_says_allow_on_its_405_too(client):
    response = client.open("/account/sign-in", method="PATCH")
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


@given(st.integers(min_value=0, max_value=10**12))
def test_the_id_pattern_takes_exactly_the_numbers_up_to_the_largest_id(number):
    pattern = re.compile(numbers_up_to(MAX_ID))
    assert (pattern.fullmatch(str(number)) is not None) == (number <= MAX_ID)
    assert (pattern.fullmatch(str(number).zfill(10)) is not None) == (number <= MAX_ID)
