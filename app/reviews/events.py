"""In-process events of reviews (blinker signals, as Flask's own).

A review's venue rating and count are recounted inline, because they must be in the same
transaction under the venue's row lock (``refresh_venue_rating``), and the search index and the
page caches follow the venue row's ``rating`` and ``review_count`` by themselves
(``search/indexing.py``, ``app/platform/cache_versions.py``). Hiding or publishing a review has no
follower, so it fires no signal.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
review_posted = signals.signal(
    "review-posted",
    doc="Fires once when a customer's review is written (``service.create_review``), inside that transaction and "
    "after the venue's rating was recounted, so a receiver sees the new average. The sender is ``customer``; "
    "receivers get ``review`` and ``venue_id``.",
)
review_replied = signals.signal(
    "review-replied",
    doc="Fires when a venue answers a review for the first time and when it edits that answer "
    "(``replies.save_reply``). The sender is ``venue``; receivers get ``review``, ``reply`` and ``first`` (True "
    "the first time).",
)
review_reported = signals.signal(
    "review-reported",
    doc="Fires when a venue reports a review to the admins (``replies.report_review``). The sender is ``venue``; "
    "receivers get ``report``.",
)
report_decided = signals.signal(
    "report-decided",
    doc="Fires when an admin keeps or removes a reported review (``replies.decide_report``). The sender is the "
    "report's new status (``kept`` or ``removed``); receivers get ``report``.",
)
