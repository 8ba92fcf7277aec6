"""The admin lists' status filter (app/web/list_filters.py): read, checked, handed to the template."""

import pytest

from app.admin.listing import BadFilter
from app.web.list_filters import chosen_status

CHOICES = {"open": "Open", "closed": "Closed", "all": "All"}


def test_no_status_in_the_url_is_the_default(app):
    with app.test_request_context("/admin/list"):
        chosen = chosen_status(CHOICES, "open")
        assert chosen.value == "open"
        assert chosen.context() == {"status_filter": "open", "status_filters": CHOICES}


def test_a_known_status_is_chosen_with_spaces_trimmed(app):
    with app.test_request_context("/admin/list?status=%20closed%20"):
        assert chosen_status(CHOICES, "open").value == "closed"


@pytest.mark.parametrize("query", ["status=deleted", "status=", "status=OPEN"])
def test_an_unknown_or_blank_status_is_refused(app, query):
    with app.test_request_context(f"/admin/list?{query}"), pytest.raises(BadFilter) as refused:
        chosen_status(CHOICES, "open")
    assert refused.value.message == "Unknown status filter. Choose one from the list."


def test_a_blank_status_is_the_default_where_the_list_says_so(app):
    with app.test_request_context("/admin/list?status=%20"):
        assert chosen_status(CHOICES, "closed", blank_is_default=True).value == "closed"
    with app.test_request_context("/admin/list?status=deleted"), pytest.raises(BadFilter):
        chosen_status(CHOICES, "closed", blank_is_default=True)
