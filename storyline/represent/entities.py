"""Rule-based named-entity and keyword extraction for clustering evidence (no model, no torch).

Entities are runs of capitalised words inside sentences ("John Kerry", "Supreme Court", "FBI"), lower-cased, with the
possessive dropped. A multi-word name also yields its last word ("kerry"), so "John F. Kerry" and "Kerry" meet.
Sentence-initial words and headline words are only taken when they are not ordinary words (stopwords), and a title in
Title Case contributes only names it shares with the body, since every word of it is capitalised.
"""

from __future__ import annotations

import re

from .lexical import STOPWORDS

# an initialism ("U.S."), an initial ("F.") or a capitalised word; written with the capital first, so that the regex
# engine scans for a capital instead of trying a match at every character (the same matches as
# (?:(?:[A-Z]\.){2,}|[A-Z]\.|[A-Z][\w'’-]*): the alternatives in the same order)
_CAP = r"[A-Z](?:\.(?:[A-Z]\.)+|\.|[\w'’-]*)"
_CAP_RUN = re.compile(rf"{_CAP}(?:\s+(?:(?:of|the|de|del|la|van|von|al|bin|for)\s+)?{_CAP})*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|[\"“‘(]\s*)$")
_EXTRA_STOP = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april june july august "
    "september october november december president sen rep gov dr breaking update watch opinion video exclusive "
    "live new report senator secretary minister governor chancellor prime general mayor judge leader chief".split()
)


def _norm(span: str) -> str:
    s = span.replace("’", "'").strip(".'- ")
    if s.endswith("'s"):
        s = s[:-2]
    return " ".join(s.lower().split())


_WORD_CACHE: dict[str, str] = {}  # capitalised word -> its normal form, or '' when it is an ordinary word
_DROP = STOPWORDS | _EXTRA_STOP


def _word(w: str) -> str:
    n = _WORD_CACHE.get(w)
    if n is None:
        n = _norm(w)
        if n in _DROP:
            n = ""
        if len(_WORD_CACHE) < 200_000:
            _WORD_CACHE[w] = n
    return n


_SPAN_CACHE: dict[str, tuple[str, bool, str]] = {}  # a capitalised run -> (name, lone word?, surname) (_span)


def _span(run: str) -> tuple[str, bool, str]:
    """A run of capitalised words as (its name or '' when it names nothing, whether it is one capitalised word
    that a sentence start would explain, the surname a multi-word name also yields or '')."""
    got = _SPAN_CACHE.get(run)
    if got is None:
        raw = run.split()
        words = [n for n in map(_word, raw) if n]
        name = " ".join(words)
        if len(name) < 2:
            got = ("", False, "")
        else:
            got = (name, len(raw) == 1 and raw[0][1:2].islower(),
                   words[-1] if len(words) > 1 and len(words[-1]) > 2 else "")
        if len(_SPAN_CACHE) < 200_000:
            _SPAN_CACHE[run] = got
    return got


def _spans(text: str) -> list[str]:
    out = []
    for m in _CAP_RUN.finditer(text):
        name, lone, surname = _span(m.group(0))
        if not name:
            continue
        if lone and _SENTENCE_START.search(text, max(0, m.start() - 3), m.start()):
            continue  # a capitalised first word of a sentence is usually an ordinary word
        out.append(name)
        if surname:
            out.append(surname)
    return out


def _title_case(title: str) -> bool:
    words = [w for w in title.split() if w[:1].isalpha()]
    return len(words) >= 4 and sum(w[0].isupper() for w in words) / len(words) > 0.6


def entities(title: str, body: str) -> dict[str, float]:
    """Entity counts of an article (title names weighted like body names; see module doc for Title Case)."""
    counts: dict[str, float] = {}
    for e in _spans(body):
        counts[e] = counts.get(e, 0.0) + 1.0
    title_case = _title_case(title)
    for e in _spans(title):
        if title_case and e not in counts:
            continue
        counts[e] = counts.get(e, 0.0) + 1.0
    return counts
