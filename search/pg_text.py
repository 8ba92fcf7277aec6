"""Words on PostgreSQL: the text search configuration, typo correction against the index's
vocabulary, and autocomplete.

Typos are forgiven by correcting the query, not by comparing it with every venue: a query
word the index has never seen is OR'ed with its nearest words from ``venue_search_words``
(the index's vocabulary, kept by triggers; migration 0007) by ``pg_trgm`` similarity, so
"masage" searches ``masage | massage``. The search itself then uses only the full-text index.
"""

from __future__ import annotations

import re

from sqlalchemy import text

from app.extensions import db

TS_CONFIG = "cozywish_search"
TSQUERY = "CAST(:tsquery AS tsquery)"
# ts_rank: word frequency under the A-D weights. ts_rank_cd (cover density) also rewards words
# standing close together, at four times the cost per matching row (docs/search.md).
RANK_SQL = f"ts_rank(vs.search_vector, {TSQUERY})"
# How many close words stand in for one the index has never seen, and how close they must be
# (pg_trgm similarity, 0-1; 0.3 is pg_trgm's own default threshold).
TYPO_ALTERNATIVES = 3
TYPO_SIMILARITY = 0.3
HEADLINE_OPTIONS = 'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'


def corrected_tsquery(words: str) -> str:
    """``words`` as tsquery text, typos OR'ed with the closest words of the index."""
    row = db.session.execute(
        text(CORRECTION_SQL),
        {"text": words, "threshold": TYPO_SIMILARITY, "alternatives": TYPO_ALTERNATIVES},
    ).one()
    return rewrite_tsquery(row.tsquery, row.fixes) if row.fixes else row.tsquery


def suggest(prefix: str, limit: int = 8) -> list[str]:
    """Terms that start with ``prefix`` (or have a word that does), the most used first; when
    there are fewer than ``limit``, the same for ``prefix`` with its typos corrected."""
    words = " ".join((prefix or "").split())[:100]
    if not words:
        return []
    found = _terms_starting(words, limit)
    if len(found) < limit:
        corrected = db.session.execute(text(CORRECT_WORDS_SQL), {"words": words.split(" ")}).scalar_one()
        if corrected and corrected != words.lower():
            found += [t for t in _terms_starting(corrected, limit) if t not in found]
    return found[:limit]


def _terms_starting(words: str, limit: int) -> list[str]:
    like = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = db.session.execute(text(SUGGEST_SQL), {"starts": like + "%", "inside": "% " + like + "%", "limit": limit})
    return [row.term for row in rows]


def escape_html_sql(expression: str) -> str:
    """ts_headline copies the source as it is: escape it first so only <mark> tags are live."""
    out = expression
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("''", "&#39;")):
        out = f"replace({out}, '{raw}', '{entity}')"
    return out


# Terms whose start, or the start of one of whose words, is the prefix: whole-term prefixes
# first, then the terms most venues use. One row per distinct term (venue_search_suggestions,
# kept by triggers). search_fold() is lower(unaccent()) declared IMMUTABLE, so the input is
# folded once, not on every row.
SUGGEST_SQL = """
SELECT term, term_key LIKE search_fold(:starts) AS starts
FROM venue_search_suggestions
WHERE term_key LIKE search_fold(:starts) OR term_key LIKE search_fold(:inside)
ORDER BY starts DESC, venues DESC, term_key
LIMIT :limit"""

# The typed words with each one the vocabulary lacks replaced by its closest word (kept as it
# is when nothing is close): "masage" -> "massage", "hot stnoe" -> "hot stone".
CORRECT_WORDS_SQL = """
SELECT string_agg(coalesce(known.word, close.word, q.word), ' ' ORDER BY q.position)
FROM unnest(CAST(:words AS text[])) WITH ORDINALITY AS typed(raw, position)
CROSS JOIN LATERAL (SELECT search_fold(typed.raw) AS word, typed.position) AS q
LEFT JOIN venue_search_words known ON known.word = q.word
LEFT JOIN LATERAL (
    SELECT v.word FROM venue_search_words v
    WHERE known.word IS NULL AND v.word % q.word
    ORDER BY similarity(v.word, q.word) DESC, v.venues DESC, v.word
    LIMIT 1
) AS close ON true"""

# The query as websearch_to_tsquery reads it, and for each of its words the vocabulary lacks,
# the closest words the vocabulary has (through the trigram index on venue_search_words).
CORRECTION_SQL = f"""
SELECT CAST(websearch_to_tsquery('{TS_CONFIG}', :text) AS text) AS tsquery,
       coalesce((
           SELECT jsonb_object_agg(q.word, ARRAY(
               SELECT v.word FROM venue_search_words v
               WHERE v.word % q.word AND similarity(v.word, q.word) >= :threshold
               ORDER BY similarity(v.word, q.word) DESC, v.venues DESC, v.word
               LIMIT :alternatives))
           FROM unnest(tsvector_to_array(to_tsvector('{TS_CONFIG}', :text))) AS q(word)
           WHERE NOT EXISTS (SELECT 1 FROM venue_search_words known WHERE known.word = q.word)
       ), '{{}}'::jsonb) AS fixes"""

_TSQUERY_LEXEME = re.compile(r"'((?:[^'\\]|''|\\.)*)'")


def _quote_lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _unquote_lexeme(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted.replace("''", "'"))


def rewrite_tsquery(tsquery: str, fixes: dict[str, list[str]]) -> str:
    """Replace each lexeme of ``tsquery`` (tsquery text) that has close words by an OR group:
    ``'masage' & 'london'`` with {"masage": ["massage"]} is ``( 'masage' | 'massage' ) & 'london'``.
    Operators, phrases and negations are kept as they are."""

    def replace(match: re.Match[str]) -> str:
        word = _unquote_lexeme(match.group(1))
        alternatives = [w for w in fixes.get(word, ()) if w != word]
        if not alternatives:
            return match.group(0)
        return "( " + " | ".join(_quote_lexeme(w) for w in [word, *alternatives]) + " )"

    return _TSQUERY_LEXEME.sub(replace, tsquery)
