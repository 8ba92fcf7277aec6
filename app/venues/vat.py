"""A venue's VAT number: the shape we accept, written once (docs/receipts.md).

A VAT-registered venue enters its number on the basics page; receipts of its bookings then show
the VAT in their prices. We check the shape, not the register (HMRC's and the EU's VIES lookups
are network services):

- United Kingdom: ``GB`` or ``XI`` (Northern Ireland) and 9 digits, or 12 for a branch
  (``GB123456789``, ``GB123456789001``); ``GBGD`` or ``GBHA`` and 3 digits (government
  departments, health authorities).
- Elsewhere, the EU's shape, loosely: a two-letter country prefix and 2 to 12 letters or
  digits, at least two of them digits (``DE123456789``, ``ESX1234567X``, ``FR12345678901``).

Spaces, dots and hyphens are dropped and letters upper-cased, so ``gb 123 4567 89`` is kept as
``GB123456789``; the column's check constraint holds the looser shape too.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from app.platform.errors import ValidationFailed

VAT_NUMBER_MAX = 14
_UK = re.compile(r"^(?:(?:GB|XI)(?:\d{9}|\d{12})|GB(?:GD|HA)\d{3})$")
_ANY = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,12}$")
_SEPARATORS = re.compile(r"[\s.\-]+")


def clean_vat_number(raw: str | None) -> str | None:
    """``raw`` as stored (upper case, no separators), None when blank; refused when its shape is wrong."""
    number = _SEPARATORS.sub("", raw or "").upper()
    if not number:
        return None
    if number[:2] in ("GB", "XI"):
        valid = bool(_UK.match(number))
    else:
        valid = bool(_ANY.match(number)) and sum(c.isdigit() for c in number) >= 2
    if not valid:
        raise ValidationFailed(
            _(
                "Enter a VAT number like GB123456789: the country's two letters, then the number "
                "(9 or 12 digits for the UK)."
            ),
            field="vat_number",
        )
    return number
