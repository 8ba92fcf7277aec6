"""Words on PostgreSQL: the text search configuration, typo correction against the index's
vocabulary, and autocomplete.

The query's words come as groups (search.understanding.term_groups: stop words dropped,
synonyms OR'ed). Typos are forgiven by correcting the query, not by comparing it with every
venue: a query word the index has never seen is OR'ed with its nearest words from
``venue_search_words`` (the index's vocabulary, kept by triggers; migration 0007) within a
Damerau-Levenshtein budget, so "masage" searches ``masage | massage`` and "facail" searches
``facail | facial``. The search itself then uses only the full-text index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import text

from app.platform.extensions import db
from search.understanding import (
    NO_SYNONYMS,
    Synonyms,
    TermGroup,
    edit_distance,
    swaps,
    term_groups,
    typo_budget,
    words_of,
)

TS_CONFIG = "cozywish_search"
TSQUERY = "CAST(:tsquery AS tsquery)"
# ts_rank: word frequency under the A-D weights. ts_rank_cd (cover density) also rewards words
# standing close together, at four times the cost per matching row (docs/search.md).
RANK_SQL = f"ts_rank(vs.search_vector, {TSQUERY})"
# How many close words stand in for one the index has never seen (within the typo budget of
# search.understanding: Elasticsearch's fuzziness AUTO, swaps counted as one edit).
TYPO_ALTERNATIVES = 3
TYPO_CANDIDATES = 10  # trigram neighbours looked at per unknown word, before the edit-distance test
# Every match marked in the whole description; search.snippets cuts it at the start of the sentence
# holding the first match (as for Elasticsearch), which ts_headline's fragments cannot do.
HEADLINE_OPTIONS = "StartSel=<mark>, StopSel=</mark>, HighlightAll=true"
# A relaxed tsquery spells out at most this many ways to match enough groups (TextMatch.relax).
MAX_RELAXED_TERMS = 20


@dataclass(frozen=True)
class TextMatch:
    """How a search's text matches: ``tsquery`` finds the venues (through the GIN index); when
    relaxed, a venue must match at least ``min_groups`` of ``groups``, and ``tsquery`` says so
    itself (see relax)."""

    tsquery: str
    groups: tuple[str, ...] = ()  # each group's tsquery
    typed: tuple[str, ...] = ()  # each group as typed ("spa day")
    min_groups: int | None = None
    relaxed: tuple[str, ...] = ()  # relaxed: the words the shown venues match ("spa day")
    # Per group, its alternatives that are one lexeme each ("haircut" of "haircut | hair <-> cut"):
    # a venue holding any of them matches the group (the vocabulary counts them).
    plain: tuple[tuple[str, ...], ...] = ()
    # Per group, a word of each alternative (every word of a typo's set): a venue matching the
    # group holds one of them, so their counts added bound how many venues match it.
    bound: tuple[tuple[str, ...], ...] = ()
    # How many venues hold each word the search may ask for (the vocabulary's counts, read with
    # the corrections); a word missing is held by none, or its count was not read.
    counts: tuple[tuple[str, int], ...] = ()

    def venues(self, words: Iterable[str]) -> list[int]:
        """The counts of ``words`` (0 for a word without one)."""
        counts = dict(self.counts)
        return [counts.get(word, 0) for word in words]

    def relax(self, min_groups: int, labels: tuple[str, ...]) -> TextMatch:
        """At least ``min_groups`` of the groups. Two or more: the ways to pick that many, each
        AND'ed, OR'ed together ("a & b | a & c | b & c"), so the GIN index finds only venues
        matching enough groups instead of every venue matching one (thousands for "haircut" in
        "makeup lesson haircut"); beyond MAX_RELAXED_TERMS ways, any group, tested row by row."""
        ways = list(combinations(self.groups, min_groups)) if min_groups > 1 else []
        if ways and len(ways) <= MAX_RELAXED_TERMS:
            tsquery = " | ".join("(" + " & ".join(f"({group})" for group in way) + ")" for way in ways)
        else:
            tsquery = " | ".join(self.groups)
        return TextMatch(tsquery, self.groups, self.typed, min_groups, labels, self.plain, self.bound, self.counts)

    @property
    def strong_tsquery(self) -> str:
        """``tsquery`` matched only in the name, category or services (weights A and B)."""
        return _LEXEME.sub(lambda m: m.group(0) + ":AB", self.tsquery)


def text_match(keywords: str, synonyms: Synonyms | None = None) -> TextMatch | None:
    """The words of ``keywords`` as a tsquery: every group required, each group its typed word or
    phrase OR its synonyms, and each typed word the index lacks OR'ed with its corrections.
    Without ``synonyms``, the table's are read by the same statement as the corrections."""
    words = words_of(keywords)
    if not words:
        return None
    fixes, stored, counts = corrections(words, with_synonyms=synonyms is None)
    groups = term_groups(keywords, stored if synonyms is None else synonyms)
    group_queries = tuple(_group_tsquery(g, fixes) for g in groups)
    return TextMatch(
        " & ".join(group_queries),
        group_queries,
        tuple(g.typed for g in groups),
        plain=tuple(_plain_words(g, fixes) for g in groups),
        bound=tuple(_bound_words(g, fixes, counts) for g in groups),
        counts=tuple(sorted(counts.items())),
    )


def corrected_tsquery(words: str, synonyms: Synonyms | None = None) -> str:
    """``words`` as tsquery text (see text_match); '' when there is nothing to match."""
    match = text_match(words, synonyms)
    return match.tsquery if match else ""


def _group_tsquery(group: TermGroup, fixes: dict[str, list[str]]) -> str:
    alternatives = []
    for n, phrase in enumerate(group.alternatives):
        if n == 0 and len(phrase) == 1 and fixes.get(phrase[0]):
            words = [phrase[0], *fixes[phrase[0]]]
            alternatives.append("( " + " | ".join(_lexemes(w) for w in words) + " )")
        else:
            alternatives.append(" <-> ".join(_lexemes(w) for w in phrase))
    return alternatives[0] if len(alternatives) == 1 else "( " + " | ".join(alternatives) + " )"


def _plain_words(group: TermGroup, fixes: dict[str, list[str]]) -> tuple[str, ...]:
    """The group's alternatives that are one lexeme each (as _group_tsquery spells them)."""
    words: list[str] = []
    for n, phrase in enumerate(group.alternatives):
        if len(phrase) == 1:
            words += [phrase[0], *(fixes.get(phrase[0], []) if n == 0 else [])]
    return tuple(dict.fromkeys(w for w in words if not _SCIENTIFIC.fullmatch(w)))


def _bound_words(group: TermGroup, fixes: dict[str, list[str]], counts: dict[str, int]) -> tuple[str, ...]:
    """A word of each of the group's alternatives (its typo set's every word; of a phrase, the
    word fewest venues hold: "removal" of "hair removal"); () when one of them has no word the
    vocabulary counts (the parser splits it: _SCIENTIFIC)."""
    words: list[str] = []
    for n, phrase in enumerate(group.alternatives):
        word = min(phrase, key=lambda w: counts.get(w, 0))  # the first of equals
        if _SCIENTIFIC.fullmatch(word):
            return ()
        words += [word, *(fixes.get(word, []) if n == 0 and len(phrase) == 1 else [])]
    return tuple(dict.fromkeys(words))


def corrections(
    words: list[str], *, with_synonyms: bool = False
) -> tuple[dict[str, list[str]], Synonyms, dict[str, int]]:
    """For each word the index's vocabulary lacks, its closest words within the typo budget
    (Damerau-Levenshtein, as Elasticsearch's fuzziness AUTO): candidates come from the trigram
    index and from every swap of two neighbouring letters ("facail" -> "facial", which shares
    too few trigrams), then are ranked by edit distance and how many venues use them. Also how
    many venues hold each word the search may ask for (the typed words, the corrections and,
    with the table's synonyms, their words), for PostgresBackend._sampling."""
    typed = sorted(set(words))
    words = sorted({w for w in words if typo_budget(w) > 0})
    if not words and not with_synonyms:
        return {}, NO_SYNONYMS, {}
    variants = sorted({v for w in words for v in swaps(w)})
    params = {"words": words, "swaps": variants, "candidates": TYPO_CANDIDATES, "typed": typed}
    sql = CORRECTIONS_SQL + COUNTS_SQL + (SYNONYMS_SQL + SYNONYM_COUNTS_SQL if with_synonyms else "")
    rows = db.session.execute(text(sql), params).all()
    synonyms = Synonyms((row.typed, row.word) for row in rows if row.kind == "synonym")
    counts = {row.word: row.venues for row in rows if row.kind != "synonym"}
    rows = [row for row in rows if row.kind not in ("synonym", "count")]
    known = {row.word for row in rows if row.kind == "known"}
    venues = {row.word: row.venues for row in rows}
    close: dict[str, set[str]] = {}
    for row in rows:
        if row.kind == "close":
            close.setdefault(row.typed, set()).add(row.word)
    fixes: dict[str, list[str]] = {}
    for word in words:
        if word in known:
            continue
        candidates = close.get(word, set()) | {v for v in swaps(word) if v in venues}
        scored = sorted(
            (edit_distance(word, c), -venues[c], c) for c in candidates if edit_distance(word, c) <= typo_budget(word)
        )
        if scored:
            fixes[word] = [c for _, _, c in scored[:TYPO_ALTERNATIVES]]
    return fixes, synonyms, counts


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

# The typed words the vocabulary knows; for each it lacks, its trigram neighbours (through the
# trigram index on venue_search_words); and which of the swapped-letter variants exist.
CORRECTIONS_SQL = """
SELECT 'known' AS kind, k.word AS typed, k.word, k.venues
FROM venue_search_words k WHERE k.word = ANY(CAST(:words AS text[]))
UNION ALL
SELECT 'close', q.word, c.word, c.venues
FROM unnest(CAST(:words AS text[])) AS q(word)
CROSS JOIN LATERAL (
    SELECT v.word, v.venues FROM venue_search_words v
    WHERE v.word % q.word
    ORDER BY similarity(v.word, q.word) DESC, v.venues DESC, v.word
    LIMIT :candidates
) AS c
WHERE NOT EXISTS (SELECT 1 FROM venue_search_words k WHERE k.word = q.word)
UNION ALL
SELECT 'swap', NULL, v.word, v.venues FROM venue_search_words v WHERE v.word = ANY(CAST(:swaps AS text[]))"""
# How many venues hold each typed word, and each word of the synonym pairs (with the synonyms).
COUNTS_SQL = """
UNION ALL
SELECT 'count', NULL, v.word, v.venues FROM venue_search_words v WHERE v.word = ANY(CAST(:typed AS text[]))"""
SYNONYM_COUNTS_SQL = """
UNION ALL
SELECT 'count', NULL, v.word, v.venues FROM venue_search_words v
WHERE v.word IN (
    SELECT lower(w) FROM search_synonyms s, unnest(string_to_array(s.term || ' ' || s.synonym, ' ')) AS w
)"""
# The synonym pairs (search.synonyms), read with the corrections: one statement per search.
SYNONYMS_SQL = """
UNION ALL
SELECT 'synonym', CAST(s.term AS text), CAST(s.synonym AS text), 0 FROM search_synonyms s"""


_LEXEME = re.compile(r"'(?:[^'\\]|\\.|'')*'")  # a lexeme as _quote_lexeme writes it


# PostgreSQL's parser reads a word that starts as a number in scientific notation as that number
# and then the rest ("2e1e53" is "2e1" and "e53"), so the index holds two lexemes; the query
# asks for them side by side. \D after the exponent: the parser takes every digit ("2e12345").
_SCIENTIFIC = re.compile(r"(\d+e\d+)(\D\w*)")


def _lexemes(word: str) -> str:
    """``word`` as tsquery text, split where the index's parser splits it."""
    split = _SCIENTIFIC.fullmatch(word)
    if split:
        return " <-> ".join(_quote_lexeme(part) for part in split.groups())
    return _quote_lexeme(word)


def _quote_lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
