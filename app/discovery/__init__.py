"""Finding venues: the search page, category landing pages, and the home page's shelves.

A view turns query arguments into a ``SearchQuery`` (a person's mistake becomes a 400 with a
message), asks the cached ``search.backend.search``, and hands the template decided values:
cards, facet links, sort options, pages and map markers. Every control is a real link or a
GET form, so the URL is the state; HTMX swaps only the "results" block.

``params`` reads the URL, ``views/`` holds the pages (search, the admins' synonyms),
``results`` builds the results block, ``cards`` the venue cards, ``home`` the home page's shelves.
"""

from app.discovery.cards import _next_free_key, first_free_start, get_next_free, next_free_label
from app.discovery.home import build_home_page

__all__ = ["_next_free_key", "build_home_page", "first_free_start", "get_next_free", "next_free_label"]
