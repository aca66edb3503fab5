"""Unique content ("only one outlet reports"): a sentence another independent source re-words is not unique, even when
the word stems miss the re-wording (character n-grams, ``unique_max_char_similarity``); copies and the outlet's own
other articles are no other source; the character analyser reads text as scikit-learn's ``char_wb`` does."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import numpy as np
import pytest

from storyline.records import Article
from storyline.settings import StoriesSettings
from storyline.stories.align import align_sentences, tfidf
from storyline.stories.terms import char_grams
from storyline.stories.view import boilerplate_rows, unique_content

RULES = StoriesSettings(entities="rules")
OFF = replace(RULES, unique_max_char_similarity=1.0)

DIVERTED = "Drivers will be diverted via the Castlegate Bridge, nine kilometres upstream."
DIVERSION = "The official diversion, via the Castlegate Bridge, is expected to add 20 to 25 minutes to journeys."
OWN = "A temporary footbridge will allow pedestrians and cyclists to cross the river."
OTHER_OWN = "Shopkeepers in the market square say trade has already fallen by a third since March."


def _art(aid: str, source: str, text: str, day: int = 7) -> Article:
    return Article(aid, f"Bridge to close ({aid})", text, source, datetime(2025, 4, day, 9, tzinfo=timezone.utc))


def _unique(arts: list[Article], settings: StoriesSettings, copies: dict[str, str] | None = None) -> set[str]:
    al = align_sentences(arts, settings=settings)
    assert not al.n_pairs or all(  # the re-wording is below the word alignment: only the new rule can catch it
        {al.sentences[p.a].text, al.sentences[p.b].text} != {DIVERTED, DIVERSION} for p in al.pairs)
    items, total = unique_content(al, settings, boilerplate_rows(al), copies or {})
    assert total == len(items)
    return {u.text for u in items}


def test_a_reworded_sentence_of_another_independent_source_is_not_unique():
    a = _art("a", "Continental Press", f"{DIVERTED} {OWN}")
    b = _art("b", "Riverbend Gazette", f"{DIVERSION} {OTHER_OWN}", day=8)
    assert _unique([a, b], RULES) == {OWN, OTHER_OWN}
    assert _unique([a, b], OFF) == {DIVERTED, DIVERSION, OWN, OTHER_OWN}  # what the word stems alone list


def test_a_copy_or_the_same_outlet_saying_it_again_is_no_other_source():
    a = _art("a", "Continental Press", f"{DIVERTED} {OWN}")
    copy = _art("c", "Valecrest Post", f"{DIVERSION} {OTHER_OWN}")
    # the copy's re-wording does not take the origin's sentence off the list (and the copy lists nothing)
    assert DIVERTED in _unique([a, copy, _art("x", "Third Outlet", "Unrelated words about a harbour fete.")], RULES,
                               {"c": "rewrite"})
    # a later article of the same outlet is the same source
    same = _art("a2", "Continental Press", f"{DIVERSION} {OTHER_OWN}", day=8)
    other = _art("z", "Third Outlet", "Market traders held a meeting about parking charges on Friday evening.")
    assert DIVERTED in _unique([a, same, other], RULES)


@pytest.mark.parametrize("text", ["The skylight", "a  b cd", DIVERTED, "abcd", "abc", "  ", "x\ty\n\nz",
                                  "ÉCOLE Straße İstanbul — 20-25"])
def test_char_grams_are_scikit_learns_char_wb(text: str) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    assert list(char_grams(text)) == TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 5)).build_analyzer()(text)


def test_tfidf_over_char_grams_equals_scikit_learns() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [DIVERTED, DIVERSION, DIVERSION, OWN, ""]
    got = tfidf(texts, char_grams)
    want = TfidfVectorizer(analyzer=char_grams, sublinear_tf=True, dtype=np.float32).fit_transform(texts)
    assert got.shape == want.shape and (got != want).nnz == 0
    cos = (got @ got.T).toarray()
    assert cos[0, 1] > 0.25 > cos[0, 3]  # the re-wording is near, the other sentence is not
