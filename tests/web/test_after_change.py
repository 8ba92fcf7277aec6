"""After a change (app/web/rendering.py): HTMX gets the fresh part with a toast, a plain post a
flashed message and a redirect."""

import json

from flask import get_flashed_messages, make_response

from app.web.rendering import after_change, toast_if_htmx

HTMX = {"HX-Request": "true"}


def _toasts(response) -> list[dict]:
    return json.loads(response.headers["HX-Trigger"])["cw:toast"]


def test_htmx_gets_the_fresh_part_with_a_toast(app):
    with app.test_request_context("/", method="POST", headers=HTMX):
        response = after_change("Saved.", lambda: make_response("part"), "/back", 303)
        assert response.get_data(as_text=True) == "part"
        assert _toasts(response) == [{"message": "Saved.", "category": "success"}]
        assert get_flashed_messages() == []
        refused = toast_if_htmx(make_response("page"), "No.", "danger")
        assert _toasts(refused) == [{"message": "No.", "category": "danger"}]


def test_a_plain_post_is_sent_back_with_the_message_flashed(app):
    asked = []
    with app.test_request_context("/", method="POST"):
        response = after_change("Saved.", lambda: asked.append("part"), "/back", 303)
        assert (response.status_code, response.location) == (303, "/back")
        assert get_flashed_messages(with_categories=True) == [("success", "Saved.")]
        assert asked == []  # the part is built only for HTMX
        page = toast_if_htmx(make_response("page"), "Saved.")
        assert "HX-Trigger" not in page.headers
