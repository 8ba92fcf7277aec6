"""A file mail backend that takes its time, so a fault test can kill a worker mid-send.

Use with MAIL_BACKEND=tests.foundation.slow_mail.EmailBackend. While a message is being
sent, a marker file named ``<pid>-<n>`` sits in SLOW_MAIL_MARKERS.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask_mailman.backends.file import EmailBackend as FileEmailBackend


class EmailBackend(FileEmailBackend):
    def send_messages(self, email_messages):
        markers = Path(os.environ["SLOW_MAIL_MARKERS"])
        markers.mkdir(parents=True, exist_ok=True)
        marker = markers / f"{os.getpid()}-{time.monotonic_ns()}"
        marker.touch()
        time.sleep(float(os.environ.get("SLOW_MAIL_SECONDS", "0.2")))
        try:
            return super().send_messages(email_messages)
        finally:
            marker.unlink(missing_ok=True)
