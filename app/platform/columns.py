"""What many tables' definitions share: the surrogate key, when a row was made and last changed,
a currency's code, the check that a column of words holds one of a known set, and the sizes of a
stored image. The constraints' SQL is the migrations'; these only spell it once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from sqlalchemy import CheckConstraint, String, func
from sqlalchemy.orm import Mapped, mapped_column


class IdKey:
    """The table's surrogate key ``id``, numbered by the database; first among the columns
    (``sort_order``), where a mixin's column would otherwise come last."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)


# When the row was made, by the database's clock: ``created_at: Mapped[CreatedAt]``.
CreatedAt = Annotated[datetime, mapped_column(server_default=func.now())]
# When the row last changed: the database's clock on insert, the ORM's on each update.
UpdatedAt = Annotated[datetime, mapped_column(server_default=func.now(), onupdate=func.now())]
# A currency's three-letter ISO 4217 code, "GBP": ``currency: Mapped[Currency]``.
Currency = Annotated[str, mapped_column(String(3))]


def one_of(column: str, words: Iterable[str]) -> CheckConstraint:
    """The check that ``column`` holds one of ``words`` (an enum's values, in their order),
    named ``<column>_known``: ``status IN ('open', 'paid')``."""
    listed = ", ".join(f"'{word}'" for word in words)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_known")


class ImageVariants:
    """A stored image kept in several sizes: its ``variants`` column maps a size's name to its
    key, width and height (app/platform/images.py makes them)."""

    def variant(self, name: str) -> dict[str, Any]:
        """The named size, or any one when the image has no such size; {} when it has none."""
        return self.variants.get(name) or next(iter(self.variants.values()), {})
