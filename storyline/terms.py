"""Words for lexical similarity: lower-cased tokens, English stop words removed, a light suffix stemmer.

The stemmer is deliberately small (no NLTK): it folds the inflections that matter when two outlets word the same fact
differently (``recognized``/``recognizing``/``recognition`` → ``recogn``, ``talks``/``talk``, ``citizens``/``citizen``).

>>> terms("The US was recognizing the Taliban's 105 officials")
['us', 'recogn', 'taliban', '105', 'offici']
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
# scikit-learn's ENGLISH_STOP_WORDS (318 words, the Glasgow Information Retrieval Group's list), copied so that
# importing this module (every story view, `storyline show`) does not import scikit-learn: about a second of
# imports (scipy.stats among them). tests/test_show_imports.py checks the copy against scikit-learn's.
ENGLISH_STOP_WORDS = frozenset("""
    a about above across after afterwards again against all almost alone along already also although always am among
    amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as at back be
    became because become becomes becoming been before beforehand behind being below beside besides between beyond
    bill both bottom but by call can cannot cant co con could couldnt cry de describe detail do done down due during
    each eg eight either eleven else elsewhere empty enough etc even ever every everyone everything everywhere
    except few fifteen fifty fill find fire first five for former formerly forty found four from front full further
    get give go had has hasnt have he hence her here hereafter hereby herein hereupon hers herself him himself his
    how however hundred i ie if in inc indeed interest into is it its itself keep last latter latterly least less
    ltd made many may me meanwhile might mill mine more moreover most mostly move much must my myself name namely
    neither never nevertheless next nine no nobody none noone nor not nothing now nowhere of off often on once one
    only onto or other others otherwise our ours ourselves out over own part per perhaps please put rather re same
    see seem seemed seeming seems serious several she should show side since sincere six sixty so some somehow
    someone something sometime sometimes somewhere still such system take ten than that the their them themselves
    then thence there thereafter thereby therefore therein thereupon these they thick thin third this those though
    three through throughout thru thus to together too top toward towards twelve twenty two un under until up upon
    us very via was we well were what whatever when whence whenever where whereafter whereas whereby wherein
    whereupon wherever whether which while whither who whoever whole whom whose why will with within without would
    yet you your yours yourself yourselves
""".split())
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
