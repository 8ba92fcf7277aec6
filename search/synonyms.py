"""Search synonyms: pairs of words or phrases that mean the same ("couples" ~ "for two").

Admins keep the table (app/discovery/views/synonyms.py); both backends expand a query's words
with it (search.understanding.term_groups). A change is audited and bumps the public cache
version, so cached results and pages follow at once. The seeded pairs are in migration 0021.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, DateTime, String, UniqueConstraint, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from app.audit import service as audit
from app.platform import cache_versions
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from search.understanding import MAX_PHRASE_WORDS, Synonyms, words_of

PHRASE_MAX_LENGTH = 60


class SearchSynonym(db.Model):
    __tablename__ = "search_synonyms"
    __table_args__ = (
        # Stored folded (lower case, no accents, single spaces) and in one order, so a pair is
        # unique whichever way round it was typed.
        UniqueConstraint("term", "synonym", name="term_synonym"),
        CheckConstraint("term < synonym", name="ordered_pair"),
        CheckConstraint(f"char_length(term) BETWEEN 1 AND {PHRASE_MAX_LENGTH}", name="term_length"),
        CheckConstraint(f"char_length(synonym) BETWEEN 1 AND {PHRASE_MAX_LENGTH}", name="synonym_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(PHRASE_MAX_LENGTH))
    synonym: Mapped[str] = mapped_column(String(PHRASE_MAX_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


def get_synonyms() -> Synonyms:
    """Every pair, as the backends use them. A table of a few dozen rows, read by primary key
    order each search: one statement, cheaper than a cache lookup and its version read."""
    return Synonyms(tuple(row) for row in db.session.execute(select(SearchSynonym.term, SearchSynonym.synonym)))


def find_synonyms(q: str = "") -> list[SearchSynonym]:
    query = select(SearchSynonym).order_by(SearchSynonym.term, SearchSynonym.synonym, SearchSynonym.id)
    if q.strip():
        like = "%" + " ".join(words_of(q)).replace("%", "").replace("_", "") + "%"
        query = query.where(or_(SearchSynonym.term.like(like), SearchSynonym.synonym.like(like)))
    return list(db.session.scalars(query))


def normalise_pair(term: str, synonym: str) -> tuple[str, str]:
    """Both phrases folded and in order; refused with a message a person understands."""
    phrases = []
    for raw, what in ((term, "The word"), (synonym, "What it means")):
        words = words_of(raw or "")
        if not words:
            raise ValidationFailed(_("%(what)s: type a word or a short phrase (letters or digits).", what=what))
        if len(words) > MAX_PHRASE_WORDS:
            raise ValidationFailed(
                _("%(what)s: use at most %(max_phrase_words)s words.", what=what, max_phrase_words=MAX_PHRASE_WORDS)
            )
        phrase = " ".join(words)
        if len(phrase) > PHRASE_MAX_LENGTH:
            raise ValidationFailed(
                _(
                    "%(what)s: use at most %(phrase_max_length)s characters.",
                    what=what,
                    phrase_max_length=PHRASE_MAX_LENGTH,
                )
            )
        phrases.append(phrase)
    if phrases[0] == phrases[1]:
        raise ValidationFailed(_("A word can't be a synonym of itself: type two different words."))
    low, high = sorted(phrases)
    return low, high


def _refuse_duplicate(low: str, high: str, *, except_id: int | None = None) -> None:
    query = select(SearchSynonym.id).where(SearchSynonym.term == low, SearchSynonym.synonym == high)
    if except_id is not None:
        query = query.where(SearchSynonym.id != except_id)
    if db.session.scalar(query) is not None:
        raise ValidationFailed(_("“%(low)s” and “%(high)s” are already synonyms.", low=low, high=high))


def add_synonym(term: str, synonym: str, *, actor_id: int) -> SearchSynonym:
    low, high = normalise_pair(term, synonym)
    _refuse_duplicate(low, high)
    row = SearchSynonym(term=low, synonym=high)
    db.session.add(row)
    db.session.flush()
    audit.record("search_synonym.added", actor_id=actor_id, about=("search_synonym", row.id), term=low, synonym=high)
    cache_versions.bump(cache_versions.PUBLIC)
    return row


def change_synonym(row: SearchSynonym, term: str, synonym: str, *, actor_id: int) -> SearchSynonym:
    low, high = normalise_pair(term, synonym)
    _refuse_duplicate(low, high, except_id=row.id)
    before = f"{row.term} ~ {row.synonym}"
    row.term, row.synonym = low, high
    db.session.flush()
    audit.record("search_synonym.changed", actor_id=actor_id, about=("search_synonym", row.id),
                 from_state=before, to_state=f"{low} ~ {high}")  # fmt: skip
    cache_versions.bump(cache_versions.PUBLIC)
    return row


def remove_synonym(row: SearchSynonym, *, actor_id: int) -> None:
    audit.record("search_synonym.removed", actor_id=actor_id, about=("search_synonym", row.id),
                 from_state=f"{row.term} ~ {row.synonym}")  # fmt: skip
    db.session.delete(row)
    db.session.flush()
    cache_versions.bump(cache_versions.PUBLIC)
