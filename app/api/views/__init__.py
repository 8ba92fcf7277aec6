"""The API's routes, by area (public, the customer's own, the reference page and spec)."""
