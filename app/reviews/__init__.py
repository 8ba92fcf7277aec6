"""Reviews: a customer rates a booking after its appointment; the venue's average and count
feed its page and search; admins hide reviews that break the rules (docs/reviews.md)."""
