"""Privacy's signals: a person's data export being built, and their account being erased.

Domains above privacy in the layers (messages, notifications) keep data of the person that
privacy can't import; they answer these signals instead.

- ``export_collecting`` fires while the export job builds the ZIP (app/privacy/exports.py),
  with ``user``. Each receiver returns ``(file name, JSON-ready content)`` and the export
  writes each as one more file. Receivers only read.
- ``account_erasing`` fires while an account is erased (``deletion.erase_account``), with
  ``user`` and ``identifiers`` (their email, name and phone). Each receiver removes, in the
  erasure's transaction, what it keeps of the person, and the text of others' rows that names
  them.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
export_collecting = signals.signal(
    "export-collecting", doc="A person's data export is being built: return (file name, content) to add a file."
)
account_erasing = signals.signal(
    "account-erasing", doc="A person's account is being erased: remove what you keep of them."
)
