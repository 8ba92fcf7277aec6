"""In-process events of reviews (blinker signals, as Flask's own).

``review_posted`` fires once when a customer's review is written (``service.create_review``),
inside the transaction that wrote it and after the venue's rating was recounted, so a
receiver sees the new average. The sender is ``customer``; receivers get ``review`` and
``venue_id``. A receiver with a side effect (an email to the venue's owner, say) enqueues a job,
which runs only if that transaction commits.

The venue's people are told (app/notifications/activity.py). The rating and count are
recounted inline, because they must be in the same transaction under the venue's row lock
(``refresh_venue_rating``), and the search index and the page caches follow the venue row's
``rating`` and ``review_count`` by themselves (``search/indexing.py``, ``app/platform/cache_versions.py``).
Hiding or publishing a review has no follower, so it fires no signal.

``review_replied`` fires when a venue answers a review for the first time and when it edits
that answer (sender "venue"; receivers get ``reply`` and ``first``: True the first time). The
customer is told the first time only (app/notifications/review_notices.py).

``review_reported`` fires when a venue reports a review (sender "venue", ``report``): the admins
get a notice. ``report_decided`` fires when an admin keeps or removes a reported review (sender
"kept" or "removed", ``report``): the venue and the reviewer are told.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
review_posted = signals.signal("review-posted", doc="A customer's review was written and the venue's rating recounted.")
review_replied = signals.signal("review-replied", doc="A venue answered a review, or edited its answer.")
review_reported = signals.signal("review-reported", doc="A venue reported a review to the admins.")
report_decided = signals.signal("report-decided", doc="An admin kept or removed a reported review.")
