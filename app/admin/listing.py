"""What the admin lists share: a page number from the URL, a safe LIKE pattern, one page of rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from app.platform.errors import DomainError
from app.platform.extensions import db

PAGE_SIZE = 25
MAX_PAGE = 10_000


class BadFilter(DomainError):
    pass


def parse_page(value: str | None) -> int:
    try:
        page = int(value or "1")
    except ValueError:
        raise BadFilter(_("The page must be a number.")) from None
    if not 1 <= page <= MAX_PAGE:
        raise BadFilter(_("The page must be between 1 and %(max_page)s.", max_page=MAX_PAGE))
    return page


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    number: int

    @property
    def has_next(self) -> bool:
        return self.number * PAGE_SIZE < self.total

    def paging(self) -> dict[str, Any]:
        """What a list page's template takes to page: this page's number, the total, and whether a next one exists."""
        return {"page": self.number, "total": self.total, "has_next": self.has_next}


def paginate(query: Select, page: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return Page(rows=rows, total=total or 0, number=page)
