"""The waitlist: customers wait for a service on a day; reopened times are offered to them in
turn, each offer holding the time for a short while (see docs/waitlist.md)."""
