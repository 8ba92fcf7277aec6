"""A visitor sent to sign in first (app/web/guards.sign_in_first): why, flashed, and the way back."""

from flask import get_flashed_messages

from app.web.guards import sign_in_first


def test_sign_in_first_flashes_why_and_redirects_to_sign_in_then_back(app):
    with app.test_request_context("/cart", method="POST"):
        response = sign_in_first("Sign in to go on.", "/cart")
        assert response.status_code == 303
        assert response.location == "/account/sign-in?next=/cart"
        assert get_flashed_messages(with_categories=True) == [("info", "Sign in to go on.")]


def test_sign_in_first_sends_htmx_to_the_whole_sign_in_page(app):
    with app.test_request_context("/cart", method="POST", headers={"HX-Request": "true"}):
        response = sign_in_first("Sign in to go on.", "/cart")
        assert response.status_code == 204
        assert response.headers["HX-Redirect"] == "/account/sign-in?next=/cart"
        assert get_flashed_messages(with_categories=True) == [("info", "Sign in to go on.")]
