"""Privacy's signals: a person's data export being built, and their account being erased.

Domains above privacy in the layers (messages, notifications) keep data of the person that
privacy can't import; they answer these signals instead.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
export_collecting = signals.signal(
    "export-collecting",
    doc="Fires while the export job builds a person's ZIP (``exports.build_archive``); receivers only read. The "
    "sender is ``privacy``; receivers get ``user`` and each returns ``(file name, JSON-ready content)``, which the "
    "export writes as one more file.",
)
account_erasing = signals.signal(
    "account-erasing",
    doc="Fires while an account is erased (``deletion.erase_account``), inside the erasure's transaction, where each "
    "receiver removes what it keeps of the person and the text of others' rows that names them. The sender is "
    "``privacy``; receivers get ``user`` and ``identifiers`` (their email, name and phone).",
)
