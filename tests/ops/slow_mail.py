"""A file mail backend that takes its time, so a fault test can break things mid-send.

Use with MAIL_BACKEND=tests.ops.slow_mail.EmailBackend. Every message takes
SLOW_MAIL_SECONDS. SLOW_MAIL_HOLDS names messages to hold longer, as
``subject=seconds;subject=seconds``: the first time such a message is sent, the file
``<subject with dashes>-<pid>`` appears in SLOW_MAIL_MARKERS and the send waits that long
before the message is written, so a test knows it acts in the middle of that send.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask_mailman.backends.file import EmailBackend as FileEmailBackend


def marker_name(subject: str, pid: int | str) -> str:
    return f"{subject.replace(' ', '-')}-{pid}"


class EmailBackend(FileEmailBackend):
    def send_messages(self, email_messages):
        markers = Path(os.environ["SLOW_MAIL_MARKERS"])
        markers.mkdir(parents=True, exist_ok=True)
        holds = dict(item.split("=") for item in os.environ.get("SLOW_MAIL_HOLDS", "").split(";") if item)
        seconds = float(os.environ.get("SLOW_MAIL_SECONDS", "0.1"))
        for message in email_messages:
            held_before = any(markers.glob(marker_name(message.subject, "*")))
            if message.subject in holds and not held_before:
                (markers / marker_name(message.subject, os.getpid())).touch()
                seconds = float(holds[message.subject])
        time.sleep(seconds)
        return super().send_messages(email_messages)
