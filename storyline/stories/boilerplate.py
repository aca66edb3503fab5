"""Boilerplate: sentences an outlet adds to its articles that say nothing about the story.

"Read more at …", "This report first appeared in …", "Additional reporting by …", copyright lines, newsletter and
follow prompts, "more on this story in our six o'clock bulletin", comment invitations. They stay in the article text
but never count as content: the story view keeps them out of the summary, the agreements, the unique content and the
latest section.

Two signals, both general (no outlet's name is listed):

- **patterns** (:func:`is_boilerplate`): credit lines (supplied/distributed/republished/originally published by,
  based on a report by, uses material from, additional reporting by), reader prompts (read more, sign up,
  subscribe, follow, share your views, contact the newsdesk, got a story?), copyright lines, and promises of more
  coverage (will have more on this, full analysis in … edition, bulletin, live coverage/updates);
- **repetition** (:func:`repeated_sentences`): a sentence that ends (or opens) several articles of one outlet
  verbatim while the articles are otherwise different — a house footer. Background sentences repeated in the body
  are not footers and are not flagged.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Sequence

__all__ = ["is_boilerplate", "repeated_sentences"]

_PATTERNS = [
    # credits: where the text came from
    r"\b(?:first|originally)\s+(?:appeared|published|ran)\b",
    r"^(?:this|the)\s+(?:article|story|report|piece|content|material|feature|item)\b.{0,40}\b(?:supplied|distributed|"
    r"provided|syndicated|republished|reproduced|reprinted|published|produced)\s+(?:by|with|under)\b",
    r"^(?:distributed|supplied|provided|syndicated|republished|reproduced|reprinted)\s+(?:by|with|under)\b",
    r"\b(?:based|drawing)\s+on\s+(?:a\s+)?(?:report|reporting|material)s?\s+(?:by|from)\b",
    r"\b(?:uses|includes|contains|contained)\s+(?:material|reporting|content)\s+(?:from|by)\b",
    r"^(?:additional|further|extra)\s+reporting\b",
    r"^(?:reporting|writing|editing)\s+by\b",
    r"\bwith\s+permission\s+(?:from|of)\b",
    r"(?:©|\(c\)\s*\d{4}|\bcopyright\b|\ball rights reserved\b)",
    # prompts to the reader
    r"^(?:read|see|find|get|discover)\s+(?:more|the\s+latest|all\s+the\s+latest)\b",
    r"\bread\s+more\s+(?:at|on|from|about|of|regional|local|news|stories|here)\b",
    r"\b(?:sign\s+up|subscribe|register)\s+(?:for|to|now|today|here)\b",
    r"\bnewsletters?\b",
    r"^(?:follow|like)\s+(?:us|our|@)",
    r"^follow\s+[A-Z]",
    r"\bfor\s+(?:live|the\s+latest|more|further|regular)\s+(?:\w+\s+){0,2}(?:updates|coverage|news|stories)\b",
    r"\b(?:live|latest)\s+(?:updates|coverage|blog)\s+(?:on|at|from)\b",
    r"\bshare\s+your\s+(?:views|thoughts|comments|story|stories|experience)\b",
    r"\b(?:in|leave)\s+the\s+comments\b",
    r"^got\s+a\s+(?:story|news\s+tip|tip)\b",
    r"^(?:contact|email|e-mail|call|text|message)\s+(?:the|our|us)\b.{0,40}\b(?:newsdesk|news\s+desk|newsroom|desk|"
    r"team|reporters?|editors?)\b",
    r"\b(?:click|tap)\s+here\b",
    r"\bdownload\s+(?:our|the)\s+(?:\w+\s+)?app\b",
    # promises of more coverage by the outlet
    r"\bwill\s+have\s+more\s+(?:on|about)\s+(?:this|the)\b",
    r"^more\s+on\s+(?:this|the)\s+story\b",
    r"\b(?:in|on)\s+(?:our|the|its|tomorrow's|saturday's|sunday's|monday's|tuesday's|wednesday's|thursday's|"
    r"friday's)\s+(?:\w+\s+){0,3}(?:edition|bulletin|programme|podcast|newsletter)\b",
    r"\bwill\s+publish\s+(?:a|an|more|its)\b.{0,60}\b(?:edition|analysis|coverage)\b",
]
_BOILER = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
# an informational sentence is long; a footer is short. A pattern in a long sentence needs a second hint.
_MAX_WORDS = 25


@lru_cache(maxsize=65536)
def is_boilerplate(sentence: str) -> bool:
    """Whether ``sentence`` matches a boilerplate pattern (credit line, reader prompt, copyright, coverage promise).

    >>> is_boilerplate("Read more at the Courier.")
    True
    >>> is_boilerplate("Residents were told to keep their windows closed.")
    False
    """
    s = " ".join(sentence.split())
    if not s:
        return False
    if len(s.split()) > _MAX_WORDS:
        return False
    return _BOILER.search(s) is not None


def _norm(s: str) -> str:
    return " ".join(s.split()).casefold()


def repeated_sentences(articles: Iterable[tuple[str, Sequence[str]]], *, edge: int = 2, min_articles: int = 2,
                       max_words: int = _MAX_WORDS) -> set[str]:
    """Normalised sentences that occur, verbatim, among the first or last ``edge`` sentences of ≥ ``min_articles``
    articles of one outlet that are otherwise different (share less than half their sentences).

    ``articles`` is ``(source, sentences)`` per article. The result is casefolded, whitespace-collapsed text.
    """
    by_source: dict[str, list[list[str]]] = {}
    for source, sents in articles:
        by_source.setdefault(source, []).append([_norm(s) for s in sents])
    out: set[str] = set()
    for docs in by_source.values():
        if len(docs) < min_articles:
            continue
        sets = [set(d) for d in docs]
        seen: dict[str, list[int]] = {}
        for k, d in enumerate(docs):
            for s in set(d[:edge] + d[-edge:]):
                if len(s.split()) <= max_words:
                    seen.setdefault(s, []).append(k)
        for s, ks in seen.items():
            if len(ks) < min_articles:
                continue
            if any(len(sets[ka] & sets[kb]) < 0.5 * min(len(sets[ka]), len(sets[kb]))
                   for x, ka in enumerate(ks) for kb in ks[x + 1:]):
                out.add(s)
    return out
