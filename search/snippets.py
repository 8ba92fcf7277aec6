"""The snippet a result card shows: from the start of the sentence holding the first match.

Both backends hand over the description as safe HTML (escaped text, ``<mark>`` around matched
words): PostgreSQL's ts_headline with HighlightAll (the whole description, every match marked),
Elasticsearch's highlight with ``boundary_scanner: sentence``. ``sentence_snippet`` cuts it the
same way for both, so a snippet never begins mid-sentence ("…the sauna. A calm <mark>spa</mark>"
reads "A calm <mark>spa</mark>…").
"""

from __future__ import annotations

import re

SNIPPET_CHARS = 160  # visible characters a card shows, about two lines

# The end of a sentence: ., ! or ? (perhaps closed by a quote or bracket), then white space.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")
# A token of safe HTML: a <mark> tag, an entity (one visible character), a run of plain
# characters, or one character.
_TOKEN = re.compile(r"</?mark>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[^<&]+|.", re.S)
_SPACE = re.compile(r"\s")


def sentence_start(marked: str) -> int:
    """Where the sentence holding the first ``<mark>`` starts (0 without a mark)."""
    first = marked.find("<mark>")
    if first <= 0:
        return 0
    start = 0
    for end in _SENTENCE_END.finditer(marked, 0, first):
        start = end.end()
    return start


def sentence_snippet(marked: str, max_chars: int = SNIPPET_CHARS) -> str:
    """``marked`` from the start of the sentence of its first match, cut at the first white
    space after ``max_chars`` visible characters (" …" when cut); tags stay balanced."""
    text = marked[sentence_start(marked) :].strip()
    out: list[str] = []
    visible = 0
    in_mark = False
    for match in _TOKEN.finditer(text):
        part = match.group(0)
        if part in ("<mark>", "</mark>"):
            in_mark = part == "<mark>"
            out.append(part)
            continue
        if part[0] == "&" and len(part) > 1:  # an entity: one visible character, never space
            out.append(part)
            visible += 1
            continue
        cut = _SPACE.search(part, max(0, max_chars - visible)) if visible + len(part) > max_chars else None
        if cut is not None:
            out.append(part[: cut.start()])
            if in_mark:
                out.append("</mark>")
            return "".join(out).rstrip() + " …"
        out.append(part)
        visible += len(part)
    return "".join(out)
