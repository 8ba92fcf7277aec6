"""Venue search: one contract, two backends (PostgreSQL by default, Elasticsearch at scale).

`get_backend()` picks the backend from configuration; every caller speaks only the types
in `search.types`.
"""

from search.types import (
    SORTS,
    Facet,
    FacetValue,
    SearchBackend,
    SearchHit,
    SearchQuery,
    SearchResult,
    VenueDocument,
)

__all__ = [
    "SORTS",
    "Facet",
    "FacetValue",
    "SearchBackend",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "VenueDocument",
]
