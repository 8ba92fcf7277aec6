"""Analytics: what a venue's figures and the marketplace's were over a period, from daily
rollups kept fresh by a periodic job (docs/analytics.md)."""
