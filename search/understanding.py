"""Query understanding, shared by every backend and the search page (docs/search.md).

Two steps, both pure functions:

1. ``understand(text)`` finds the words that are intents, not things to match: "cheap" (lowest
   price first), "near me", "near <place>"/"in <place>", "open now", "today", "tomorrow",
   "this weekend". They become filters or a sort (``Understanding.apply``) and are shown as
   removable chips; the rest is the text to search for (``Understanding.keywords``).
2. ``term_groups(keywords, synonyms)`` turns that text into groups that must all match: each
   group is the typed word or phrase OR'ed with its synonyms; stop words are dropped. Each
   backend turns the groups into its own query (a tsquery; bool clauses), corrects typos with
   ``typo_budget``/``edit_distance`` (one policy for both), and relaxes to the groups most
   venues match when no venue matches every group.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from search.types import SearchQuery

PLACE_RADIUS_KM = 25.0  # "in Manchester": in and around it, as the city list means
NEAR_ME_RADIUS_KM = 10.0  # as the "Near me" button asks
MAX_GROUPS = 8  # words (or phrases) a search matches; the rest of a long query is ignored
MAX_PHRASE_WORDS = 3  # the longest synonym phrase

# Words that carry no meaning for matching a venue. A query made only of them is kept as typed.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "any",
        "are",
        "at",
        "be",
        "best",
        "by",
        "can",
        "do",
        "for",
        "from",
        "get",
        "good",
        "great",
        "i",
        "in",
        "is",
        "it",
        "me",
        "my",
        "near",
        "of",
        "on",
        "or",
        "our",
        "please",
        "some",
        "somewhere",
        "the",
        "to",
        "want",
        "where",
        "who",
        "with",
        "you",
        "your",
    ]
)

# Intent phrases (folded words), the longest first where they overlap.
CHEAP_WORDS = frozenset({"cheap", "cheapest", "cheaper", "budget", "affordable", "inexpensive"})
NEAR_ME_PHRASES = (("near", "me"), ("close", "to", "me"), ("around", "me"), ("nearby",))
PLACE_PREFIXES = (("near",), ("in",), ("around",), ("close", "to"))
OPEN_NOW_PHRASES = (("open", "now"), ("open", "right", "now"))
TODAY_PHRASES = (("today",), ("tonight",))
TOMORROW_PHRASES = (("tomorrow",),)
WEEKEND_PHRASES = (("this", "weekend"), ("weekend",))

_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case without accents, as both backends index words ("Café" -> "cafe")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words_of(text: str) -> list[str]:
    """The folded words of ``text``; punctuation and operators are not words."""
    return _WORD.findall(fold(text).replace("_", " "))


class Place(Protocol):
    name: str
    lat: float
    lng: float


@dataclass(frozen=True)
class Intent:
    kind: str  # "cheap", "near_me", "place", "open_now", "today", "tomorrow", "weekend"
    phrase: str  # the words as they matched (folded), to remove them from the text
    label: str  # the chip
    place: Any = None  # for "place": the Place
    span: tuple[int, int] = (0, 0)  # the typed words it took: tokens[start:end]


@dataclass(frozen=True)
class Understanding:
    text: str  # as typed
    keywords: str  # the words left to match
    intents: tuple[Intent, ...] = ()
    tokens: tuple[str, ...] = ()  # the text as typed, split on spaces
    now: datetime | None = None
    zone: str = "Europe/London"

    def kinds(self) -> set[str]:
        return {intent.kind for intent in self.intents}

    def without(self, intent: Intent) -> str:
        """The typed text without ``intent``'s words (the chip's removal link), in typed order."""
        start, end = intent.span
        return " ".join(t for n, t in enumerate(self.tokens) if not start <= n < end)

    def keywords_removed(self) -> str:
        """The typed text with only the intents' words: what stays when the text chip is removed."""
        taken = {n for i in self.intents for n in range(*i.span)}
        return " ".join(t for n, t in enumerate(self.tokens) if n in taken)

    def apply(self, query: SearchQuery, *, location: tuple[float, float] | None = None) -> SearchQuery:
        """``query`` with the text replaced by the keywords, and each intent applied where the
        query does not already say otherwise (an explicit filter wins over a word)."""
        return self.applied(query, location=location)[0]

    def applied(
        self, query: SearchQuery, *, location: tuple[float, float] | None = None
    ) -> tuple[SearchQuery, tuple[Intent, ...]]:
        """``apply``, and the intents that changed something."""
        changes: dict[str, Any] = {"text": self.keywords}
        used: list[Intent] = []
        for intent in self.intents:
            if intent.kind == "cheap" and query.sort == "relevance":
                changes["sort"] = "price"
            elif intent.kind == "open_now" and not query.open_now:
                changes["open_now"] = True
            elif intent.kind == "place" and query.lat is None:
                changes.update(lat=intent.place.lat, lng=intent.place.lng, radius_km=PLACE_RADIUS_KM)
            elif intent.kind == "near_me" and query.lat is None and location is not None:
                changes.update(lat=location[0], lng=location[1], radius_km=NEAR_ME_RADIUS_KM)
                if query.sort == "relevance" and "sort" not in changes:
                    changes["sort"] = "distance"
            elif intent.kind == "near_me" and query.lat is not None and query.sort == "relevance":
                changes.setdefault("sort", "distance")
            elif intent.kind in ("today", "tomorrow", "weekend") and query.free_from is None:
                start, end = free_window(intent.kind, self.now or datetime.now(ZoneInfo(self.zone)), self.zone)
                changes.update(free_from=start, free_to=end)
            else:
                continue
            used.append(intent)
        return dataclasses.replace(query, **changes), tuple(used)


def free_window(kind: str, now: datetime, zone: str = "Europe/London") -> tuple[datetime, datetime]:
    """The window "today" (from now to midnight), "tomorrow" or "weekend" means, in ``zone``."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    today = local.date()

    def midnight(day) -> datetime:
        return datetime.combine(day, time(0), tz)

    if kind == "today":
        return now, midnight(today + timedelta(days=1))
    if kind == "tomorrow":
        return midnight(today + timedelta(days=1)), midnight(today + timedelta(days=2))
    saturday = today + timedelta(days=(5 - today.weekday()) % 7) if today.weekday() < 5 else today
    monday = saturday + timedelta(days=7 - saturday.weekday())
    start = max(now, midnight(saturday))
    return start, midnight(monday)


def understand(
    text: str,
    *,
    places: Mapping[str, Place] | None = None,
    now: datetime | None = None,
    zone: str = "Europe/London",
) -> Understanding:
    """Split ``text`` into intents and keywords. ``places`` maps a folded place name to a Place
    (the cities the app knows); "in <place>" and "near <place>" use them."""
    tokens = text.split()
    folded = [" ".join(words_of(t)) for t in tokens]  # "me," -> "me"
    places = {fold(name): place for name, place in (places or {}).items()}
    intents: list[Intent] = []
    kept: list[str] = []
    i = 0

    def at(phrase: tuple[str, ...]) -> bool:
        return tuple(folded[i : i + len(phrase)]) == phrase

    def take(kind: str, length: int, label: str, place: Any = None) -> None:
        nonlocal i
        if kind not in {x.kind for x in intents} and not (kind == "place" and "near_me" in {x.kind for x in intents}):
            intents.append(Intent(kind, " ".join(folded[i : i + length]), label, place, (i, i + length)))
        i += length

    while i < len(tokens):
        word = folded[i]
        if not word:
            i += 1
            continue
        near_me = next((p for p in NEAR_ME_PHRASES if at(p)), None)
        if near_me:
            take("near_me", len(near_me), _("Near you"))
            continue
        place_match = _place_at(folded, i, places)
        if place_match:
            length, place = place_match
            take("place", length, _("In and around %(place)s", place=place.name), place)
            continue
        if word in CHEAP_WORDS:
            take("cheap", 1, _("Lowest price first"))
            continue
        phrase = next((p for p in OPEN_NOW_PHRASES if at(p)), None)
        if phrase:
            take("open_now", len(phrase), _("Open now"))
            continue
        for kind, phrases, label in (
            ("today", TODAY_PHRASES, _("Free today")),
            ("tomorrow", TOMORROW_PHRASES, _("Free tomorrow")),
            ("weekend", WEEKEND_PHRASES, _("Free this weekend")),
        ):
            phrase = next((p for p in phrases if at(p)), None)
            if phrase:
                take(kind, len(phrase), label)
                break
        else:
            kept.append(tokens[i])
            i += 1
    return Understanding(
        text=text, keywords=" ".join(kept), intents=tuple(intents), tokens=tuple(tokens), now=now, zone=zone
    )


def _place_at(folded: list[str], i: int, places: Mapping[str, Place]) -> tuple[int, Place] | None:
    """(words taken, place) when "in <place>" / "near <place>" starts at ``i``."""
    for prefix in PLACE_PREFIXES:
        if tuple(folded[i : i + len(prefix)]) != prefix:
            continue
        start = i + len(prefix)
        for size in range(MAX_PHRASE_WORDS, 0, -1):
            name = " ".join(folded[start : start + size])
            if start + size <= len(folded) and name in places:
                return len(prefix) + size, places[name]
    return None


# -- the keywords as groups of alternatives -------------------------------------------------------


Phrase = tuple[str, ...]  # folded words in order


@dataclass(frozen=True)
class TermGroup:
    """One word or phrase of the query, and the phrases that mean the same: a venue must match
    one of ``alternatives`` (the first is the typed one)."""

    typed: str
    alternatives: tuple[Phrase, ...]


class Synonyms:
    """Phrases that mean the same, both ways ("couples" ~ "for two")."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._same: dict[Phrase, list[Phrase]] = {}
        for left, right in pairs:
            a, b = tuple(words_of(left)), tuple(words_of(right))
            if a and b and a != b:
                self._same.setdefault(a, []).append(b)
                self._same.setdefault(b, []).append(a)
        self.longest = max((len(p) for p in self._same), default=1)

    def __repr__(self) -> str:  # part of cache keys
        return f"Synonyms({sorted(self._same.items())!r})"

    def __bool__(self) -> bool:
        return bool(self._same)

    def of(self, phrase: Phrase) -> list[Phrase]:
        return list(self._same.get(phrase, ()))


NO_SYNONYMS = Synonyms()


def term_groups(keywords: str, synonyms: Synonyms = NO_SYNONYMS) -> tuple[TermGroup, ...]:
    """The groups every match needs: synonym phrases first (longest wins), then single words;
    stop words are dropped unless nothing else is left."""
    words = words_of(keywords)
    groups: list[TermGroup] = []
    i = 0
    while i < len(words):
        for size in range(min(max(synonyms.longest, 1), MAX_PHRASE_WORDS, len(words) - i), 0, -1):
            phrase = tuple(words[i : i + size])
            same = synonyms.of(phrase)
            if same or size == 1:
                groups.append(TermGroup(" ".join(phrase), (phrase, *same)))
                i += size
                break
    meaningful = [g for g in groups if len(g.alternatives) > 1 or g.typed not in STOP_WORDS]
    unique = list({g.typed: g for g in (meaningful or groups)}.values())
    return tuple(unique[:MAX_GROUPS])


# -- typo policy (both backends) ------------------------------------------------------------------


def typo_budget(word: str) -> int:
    """Edits forgiven in a word: Elasticsearch's fuzziness AUTO (0 up to 2 letters, 1 up to 5,
    then 2), with a swap of two neighbouring letters counted as one edit."""
    return 0 if len(word) <= 2 else 1 if len(word) <= 5 else 2


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
    substitutions and swaps of neighbouring letters each cost 1."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def swaps(word: str) -> list[str]:
    """Every word one swap of neighbouring letters away ("facail" -> ..., "facial", ...)."""
    return sorted({word[:k] + word[k + 1] + word[k] + word[k + 2 :] for k in range(len(word) - 1)} - {word})


def relaxed_label(groups: tuple[TermGroup, ...], matched: Iterable[int]) -> str:
    """The words a relaxed search shows venues for: "spa day"."""
    return " ".join(groups[k].typed for k in sorted(matched))
