"""Privacy's signal: a person's data export being built.

``export_collecting`` fires while the export job builds the ZIP (app/privacy/exports.py), with
``user``. A domain that sits above privacy in the layers (messages) keeps data of the person
that privacy can't import; its receiver returns ``(file name, JSON-ready content)`` and the
export writes each as one more file. Receivers only read."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
export_collecting = signals.signal(
    "export-collecting", doc="A person's data export is being built: return (file name, content) to add a file."
)
