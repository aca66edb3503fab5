"""Words for lexical similarity: lower-cased tokens, English stop words removed, a light suffix stemmer.

The stemmer is deliberately small (no NLTK): it folds the inflections that matter when two outlets word the same fact
differently (``recognized``/``recognizing``/``recognition`` → ``recogn``, ``talks``/``talk``, ``citizens``/``citizen``).

>>> terms("The US was recognizing the Taliban's 105 officials")
['us', 'recogn', 'taliban', '105', 'offici']
"""

from __future__ import annotations

import re
from functools import lru_cache

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
# "us" is kept: in news it is mostly the country
STOP = frozenset(ENGLISH_STOP_WORDS - {"us"}) | {"said", "says", "say", "according", "also", "would", "will"}
_INFLECTIONS = ("ies", "ied", "ings", "ing", "edly", "ed", "es", "s", "ly")
_DERIVATIONS = ("ational", "ization", "isation", "ation", "ition", "ution", "ment", "ness", "ity", "ive", "ize",
                "ise", "ous", "ant", "ent", "ance", "ence", "er", "or", "al", "ic", "e", "y", "iz", "is", "at", "it")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude, stable English stem: strips one common suffix when at least 4 letters remain."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if w.isdigit() or len(w) <= 4:
        return w
    for suf in _INFLECTIONS:
        if w.endswith(suf) and not w.endswith("ss") and len(w) - len(suf) >= 3:
            w = w[: -len(suf)]
            break
    for _ in range(2):
        for suf in _DERIVATIONS:
            if w.endswith(suf) and len(w) - len(suf) >= 4:
                w = w[: -len(suf)]
                break
    return w


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (hyphenated words kept whole)."""
    return [t.lower() for t in _TOKEN.findall(text)]


def terms(text: str) -> list[str]:
    """Stemmed content words of ``text`` (stop words dropped): the analyzer for TF-IDF."""
    return [stem(t) for t in tokens(text) if t not in STOP and (len(t) > 1 or t.isdigit())]


def word_count(text: str) -> int:
    return len(_TOKEN.findall(text))
