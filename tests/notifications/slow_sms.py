"""An SMS gateway that takes its time, so a fault test can kill a worker mid-send.

Use with SMS_GATEWAY=tests.notifications.slow_sms.SlowSmsGateway. Each message takes 50 ms
and is then "accepted": its key is appended to SLOW_SMS_DIR/accepted.log (what the phone
network would have delivered). The first time the message with key SLOW_SMS_HOLD_KEY is
sent, the file ``holding-<key>-<pid>`` appears and the send waits SLOW_SMS_HOLD_SECONDS
before it is accepted, so the test knows it acts in the middle of that send.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from app.notifications.sms import SmsResult


class SlowSmsGateway:
    name = "slow-fake"

    def send_sms(self, to: str, body: str, *, idempotency_key: str) -> SmsResult:
        out = Path(os.environ["SLOW_SMS_DIR"])
        out.mkdir(parents=True, exist_ok=True)
        if idempotency_key == os.environ.get("SLOW_SMS_HOLD_KEY") and not any(out.glob(f"holding-{idempotency_key}-*")):
            (out / f"holding-{idempotency_key}-{os.getpid()}").touch()
            time.sleep(float(os.environ.get("SLOW_SMS_HOLD_SECONDS", "60")))
        time.sleep(0.05)
        with (out / "accepted.log").open("a") as log:
            log.write(f"{idempotency_key}\n")
        return SmsResult(gateway=self.name, provider_message_id=f"fake-{idempotency_key}"[:64])
