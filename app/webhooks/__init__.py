"""Outgoing webhooks: a venue subscribes URLs to events; signed deliveries by the job queue
(docs/webhooks.md)."""
