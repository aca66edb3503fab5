"""Near-synonyms in the agreement rules (storyline/stories/wordsim.py, storyline/stories/claims.py) and the figure
links of this round, on hand-made sentences: a count followed by a verb, figures both sentences give in a relative
clause, shared words by the word table, soft-cosine links, and the exact fallback when the table is absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from storyline.records import Article
from storyline.settings import StoriesSettings
from storyline.stories import build_view_from_articles, wordsim
from storyline.stories.align import align_sentences, tfidf, tfidf_terms
from storyline.stories.claims import _soft_link_pairs, agreement_groups, claim_of
from storyline.terms import terms

RULES = StoriesSettings(entities="rules")
KW = dict(linkage=1.0, min_shared=0.2, one_sided=0.4, same_figure=True)
SOFT = dict(word_sim=RULES.agreement_word_similarity, soft_links=RULES.agreement_soft_links,
            soft_floor=RULES.align_lexical_threshold)
needs_table = pytest.mark.skipif(not wordsim.TABLE.is_file(), reason="word table not installed")


def _align(texts: dict[str, tuple[str, str]]):
    return align_sentences([Article(k, "t", text, src, None) for k, (src, text) in texts.items()], settings=RULES)


def _groups(texts: dict[str, tuple[str, str]], **kw) -> list[set[str]]:
    al = _align(texts)
    return [{al.sentences[i].article_id for i in g} for g in agreement_groups(al, {}, **kw)]


def values(text: str) -> list[tuple[float, str]]:
    return [(n.value, n.noun) for n in claim_of(text).numbers]


def test_a_count_followed_by_a_verb_names_no_counted_thing():
    assert values("The remaining three stayed behind with the guide.") == [(3.0, "")]
    assert values("Two died in hospital.") == [(2.0, "")]
    # a past form before a noun modifies the noun; a noun after the count is the counted thing
    assert values("Two damaged boats were towed away.") == [(2.0, "damag")]
    assert values("The last two boats sank.") == [(2.0, "boat")]


def test_an_exact_count_that_names_nothing_links_with_an_equal_count_of_a_named_thing():
    texts = {"a": ("Wire", "The remaining three stayed behind with the injured guide until the helicopter arrived at "
                           "dawn."),
             "b": ("Post", "Three volunteers stayed at the hut on the northern ridge of Mount Oren.")}
    al = _align(texts)
    assert al.lexical_scores[0, 1] < RULES.align_lexical_threshold  # the aligner misses it
    assert _groups(texts, **KW) == [{"a", "b"}]
    assert _groups(texts, **{**KW, "same_figure": False}) == []
    # an approximate count is no equal count
    texts["b"] = ("Post", "About three volunteers stayed at the hut on the northern ridge of Mount Oren.")
    assert _groups(texts, **KW) == []


def test_figures_both_sentences_give_in_a_relative_clause_link_but_not_against_a_stated_one():
    texts = {"a": ("Wire", "Kessick Mills, which employs around 300 people in the town, makes carpets for hotels."),
             "b": ("Post", "The firm, which employs 296 people at the plant, said the cause of the fire was not yet "
                           "known.")}
    assert _align(texts).lexical_scores[0, 1] < RULES.align_lexical_threshold
    assert _groups(texts, **KW) == [{"a", "b"}]
    # background on one side, the claim on the other: "around 300 people were evacuated" is another fact
    texts["b"] = ("Post", "Around 300 people were evacuated from the plant, the firm said.")
    assert _groups(texts, **KW) == []


@needs_table
def test_the_word_table_is_small_and_reads_near_synonyms():
    assert wordsim.TABLE.stat().st_size < 5_000_000
    t = wordsim.table()
    assert t is not None
    assert "stay" in t.near("remain", 0.5)
    assert wordsim.soft_matched({"remain", "flood"}, {"stay", "hom"}, 0.5) == {"remain"}
    assert wordsim.soft_matched({"remain", "flood"}, {"stay", "hom"}, 2.0) == set()  # above 1: exact words
    assert wordsim.soft_matched({"remain"}, {"remain"}, 0.5) == {"remain"}


def test_a_missing_table_reads_as_none(tmp_path: Path):
    assert wordsim.load(tmp_path / "absent.npz") is None


@needs_table
def test_a_near_synonym_is_the_shared_word_of_a_same_figure_link():
    texts = {"a": ("Wire", "Fifty-one residents remain in the village of Harrow Dene despite the evacuation order."),
             "b": ("Post", "About 50 people stayed in their homes in the valley overnight.")}
    assert _groups(texts, **KW) == []  # no word in common but the counted thing
    assert _groups(texts, **KW, **SOFT) == [{"a", "b"}]  # remain ~ stayed


@needs_table
def test_a_soft_cosine_links_a_paraphrase_the_aligner_misses():
    texts = {"a": ("Wire", "Repairs to the Elm Street footbridge will begin on Monday."),
             "b": ("Post", "Work on the footbridge over the canal starts on Monday morning, the city engineer "
                           "confirmed.")}
    al = _align(texts)
    assert al.lexical_scores[0, 1] < RULES.align_lexical_threshold
    assert _groups(texts, **KW) == []
    assert _groups(texts, **KW, **SOFT) == [{"a", "b"}]  # begin ~ starts; "footbridge", "Monday" as written
    assert _groups(texts, **KW, **{**SOFT, "soft_links": 2.0}) == []  # off


@needs_table
def test_a_soft_link_on_a_verb_of_saying_or_quoted_words_does_not_hold():
    texts = {"a": ("Wire", "Forecasters expect heavy rain to start falling over the valley on Sunday."),
             "b": ("Post", "\"We expect the work to begin on Sunday,\" the engineer said.")}
    al = _align(texts)
    n = len(al.sentences)
    B = (al.adjacency > 0).astype(np.int32).tocsr()
    r, c = _soft_link_pairs(al, np.arange(n), np.arange(n), set(), B, 0.6, 0.2)
    assert list(zip(r.tolist(), c.tolist())) == [(0, 1)]  # a candidate by its soft cosine ...
    assert _groups(texts, **KW, **SOFT) == []  # ... that shares "expect" and words in quotes only


def test_without_the_table_the_rules_fall_back_to_exact_words(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(wordsim, "table", lambda: None)
    assert not wordsim.available()
    assert wordsim.soft_matched({"remain", "flood"}, {"stay", "flood"}, 0.5) == {"flood"}
    texts = {"a": ("Wire", "Fifty-one residents remain in the village of Harrow Dene despite the evacuation order."),
             "b": ("Post", "About 50 people stayed in their homes in the valley overnight.")}
    assert _groups(texts, **KW, **SOFT) == []
    texts = {"a": ("Wire", "Repairs to the Elm Street footbridge will begin on Monday."),
             "b": ("Post", "Work on the footbridge over the canal starts on Monday morning, the city engineer "
                           "confirmed.")}
    assert _groups(texts, **KW, **SOFT) == []
    # and the view is built as before (the default settings turn both uses on)
    arts = [Article("a", "Footbridge", texts["a"][1], "Wire", None),
            Article("b", "Footbridge", texts["b"][1], "Post", None)]
    view = build_view_from_articles(arts, story_id="s", settings=RULES)
    assert view.agreements == ()


def test_tfidf_terms_names_each_column():
    texts = ["The bridge will close on Monday.", "Repairs to the bridge begin on Monday."]
    X, cols = tfidf_terms(texts)
    assert (X != tfidf(texts)).nnz == 0
    assert list(cols) == sorted({t for s in texts for t in terms(s)})
    assert _align({"a": ("Wire", texts[0]), "b": ("Post", texts[1])}).lexical_terms == cols


@needs_table
def test_names_of_days_are_not_near_synonyms_for_a_soft_link():
    # "Monday" / "Tuesday" are close in the table (0.84): two values of one attribute, not one word said twice
    for a, b in [("Heavy snow fell on Monday.", "The trains were cancelled on Tuesday."),
                 ("The museum reopens on Monday.", "The gallery opens again on Tuesday.")]:
        al = _align({"a": ("Wire", a), "b": ("Post", b)})
        B = (al.adjacency > 0).astype(np.int32).tocsr()
        r, _ = _soft_link_pairs(al, np.arange(2), np.arange(2), set(), B, 0.6, 0.2)
        assert len(r) == 0
    assert "tuesda" in wordsim.table().near("monda", 0.6)
