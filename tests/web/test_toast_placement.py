"""Toasts on a phone come down from the top (issue 45, item 7): at the bottom right, where wide
screens keep them, a phone has the page's next step (an added item's "Go to cart", the booking
bar's "Add to cart"). The browser check is e2e/test_front_desk_details_journey.py; this one
checks that every page serves the markup and the rule it relies on."""

from __future__ import annotations

import re

PHONE_RULES = re.compile(r"@media \(max-width: 575\.98px\) \{(?P<body>.*?)\n\}", re.S)


def stylesheet_of(client, page: str) -> str:
    href = re.search(r'<link rel="stylesheet" href="([^"]*/css/app[^"]*\.css)"', page)
    assert href, "the page links no app.css"
    response = client.get(href[1])
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_every_page_has_the_toast_container_and_the_phone_rule(client):
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<div id="toasts" class="toast-container position-fixed bottom-0 end-0[^"]*"', page)
    css = stylesheet_of(client, page)
    phone = "".join(m["body"] for m in PHONE_RULES.finditer(css))
    rule = re.search(r"#toasts\.toast-container \{([^}]*)\}", phone)
    assert rule, "no phone rule for #toasts"
    declarations = rule[1]
    assert "top: 0" in declarations and "bottom: auto !important" in declarations  # beats bottom-0's !important
    assert "scroll-padding-top" in phone  # a focused element scrolls clear of a toast
