"""Sentence segmentation with exact character spans.

Every :class:`Sentence` points back into the text it came from: ``text[s.start:s.end] == s.text`` always holds, so a
story view can cite the exact span of an article. Paragraphs are blocks separated by blank lines; ``paragraph`` is
their 0-based index.

The splitter is rule based (no model): a sentence ends at ``.``, ``!``, ``?`` or ``…`` (optionally followed by closing
quotes or brackets) when whitespace and a plausible sentence start follow. It does not split after

- titles and other abbreviations that never end a sentence (``Mr.``, ``Gen.``, ``Dr.``, ``St.``, ``No. 5``, ``Jan.``);
- single initials (``John F. Kennedy``) and dotted acronyms (``U.S.``, ``U.N.``) unless the next word is a typical
  sentence opener (``… in the U.S. The talks …`` splits; ``the U.S. State Department`` does not);
- a quote's inner punctuation when the text goes on in lower case (``“Why?” he asked.``).

>>> [s.text for s in split_sentences("Mr. Smith went to the U.S. State Department. He left.")]
['Mr. Smith went to the U.S. State Department.', 'He left.']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Sentence", "split_sentences", "split_paragraphs"]


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its text and its ``[start, end)`` span in the source text, and its paragraph index."""

    text: str
    start: int
    end: int
    paragraph: int


# Abbreviations that (almost) never end a sentence: a following capital word is a name, not a new sentence.
_TITLES = frozenset(
    """mr mrs ms dr prof gen lt col maj capt cmdr adm sgt cpl pvt rep sen gov pres amb sr jr st rev hon fr
    messrs mme mlle supt insp det brig cdr ens approx est vs v etc al
    jan feb mar apr jun jul aug sep sept oct nov dec mt ft ave blvd rd""".split()
)
# Abbreviations that only abbreviate before a number ("No. 5", "Vol. 2", "Art. 3").
_NUMBERED = frozenset("no nos vol fig art sec ch pp para".split())
# Abbreviations that may end a sentence (split only when the next word looks like a sentence opener).
_ENDERS = frozenset("inc ltd co corp bros plc llc a.m p.m am pm".split())
# Words that typically open a sentence; after an ambiguous abbreviation they signal a boundary.
_OPENERS = frozenset(
    """the a an he she it they we i you his her its their our this that these those there but and or so yet
    in on at for from with after before when while since as if although though however meanwhile then also
    both many some most more no not one two three four five officials critics police""".split()
)

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_WORD_BEFORE = re.compile(r"([\w.'’-]+)$")
_NEXT = re.compile(r"\s+([\"'“‘«(\[]*)(\S+)")
_PARA = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` spans of the blank-line separated paragraphs of ``text`` (whitespace trimmed)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _PARA.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for a, b in spans:
        chunk = text[a:b]
        stripped = chunk.strip()
        if stripped:
            a2 = a + (len(chunk) - len(chunk.lstrip()))
            out.append((a2, a2 + len(stripped)))
    return out


def _is_boundary(text: str, punct_start: int, punct_end: int, match_end: int, para_end: int) -> bool:
    punct = text[punct_start:punct_end]
    nxt = _NEXT.match(text, match_end, para_end)
    if nxt is None:  # only whitespace follows: end of paragraph
        return True
    opening, word = nxt.group(1), nxt.group(2)
    first = word[0]
    if not (first.isupper() or first.isdigit() or opening and (first.isalpha() or first.isdigit())):
        # "“Why?” he asked." / "e.g. something" / "5 p.m. on Friday": goes on in lower case
        return False
    if "." not in punct or punct.rstrip("\"'”’»)]").endswith(("?", "!", "…", "..")):
        return True
    m = _WORD_BEFORE.search(text, 0, punct_start)
    before = m.group(1) if m else ""
    token = before.lower().strip("'’-")
    if not token:
        return True
    bare = token.rstrip(".")
    if bare in _TITLES:
        return False
    if bare in _NUMBERED and first.isdigit():
        return False
    if "." in token or (len(bare) == 1 and bare.isalpha()):
        # U.S. / U.N. / J. (initial) / a.m.
        if len(bare) == 1 and before[:1].isupper() and not opening:
            return word.lower().strip(",;:") in _OPENERS and len(word) > 1
        return word.lower().strip(",;:") in _OPENERS
    if bare in _ENDERS:
        return word.lower().strip(",;:") in _OPENERS
    return True


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences with exact spans (``text[s.start:s.end] == s.text``), in order.

    Sentences never cross a paragraph break (a blank line); leading and trailing whitespace is outside every span;
    every non-whitespace character of ``text`` is inside exactly one sentence.
    """
    out: list[Sentence] = []
    for p, (pa, pb) in enumerate(split_paragraphs(text)):
        start = pa
        for m in _BOUNDARY.finditer(text, pa, pb):
            # the punctuation run proper (without closing quotes)
            punct_end = m.start() + len(m.group(0).rstrip("\"'”’»)]"))
            if not _is_boundary(text, m.start(), punct_end, m.end(), pb):
                continue
            end = m.end()
            if end > start:
                out.append(_make(text, start, end, p))
            nxt = _NEXT.match(text, end, pb)
            start = nxt.start(1) if nxt else pb
        if start < pb:
            out.append(_make(text, start, pb, p))
    return [s for s in out if s.text]


def _make(text: str, start: int, end: int, paragraph: int) -> Sentence:
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    trail = len(chunk) - len(chunk.rstrip())
    a, b = start + lead, end - trail
    return Sentence(text[a:b], a, b, paragraph)
