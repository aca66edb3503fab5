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
from storyline.stories.align import align_sentences
from storyline.stories.chars import char_tfidf
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


@pytest.mark.parametrize("texts", [
    [DIVERTED, DIVERSION, DIVERSION, OWN, "", "The skylight", "a  b cd", "abcd abc a", "x\ty\n\nz"],
    ["ÉCOLE Straße İstanbul — 20-25 km", "école straße", "“Quoted,” she said.", "It rained."],
    ["the", "and"],
    [],
])
def test_char_tfidf_is_scikit_learns_char_wb_tfidf(texts: list[str]) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    got = char_tfidf(texts)
    assert got.shape[0] == len(texts) and got.dtype == np.float32
    if not any(t.split() for t in texts):
        assert got.nnz == 0
        return
    want = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 5), sublinear_tf=True,
                           dtype=np.float32).fit_transform(texts)
    assert got.shape[1] == want.shape[1] and got.nnz == want.nnz  # the same features, in another column order
    assert np.allclose((got @ got.T).toarray(), (want @ want.T).toarray(), atol=1e-6)
    assert np.allclose(np.sort(got.data), np.sort(want.data), atol=1e-6)


def test_the_reworded_sentence_is_near_and_another_is_not() -> None:
    cos = (char_tfidf([DIVERTED, DIVERSION, OWN]) @ char_tfidf([DIVERTED, DIVERSION, OWN]).T).toarray()
    assert cos[0, 1] > 0.25 > cos[0, 2]


def test_a_sentence_giving_a_value_of_a_figure_group_is_not_unique() -> None:
    # "Friday the twenty-fourth" and "January 24" are one date of one event (a calendar figure group); the words
    # have little in common, so only the group says another outlet reports it
    first = ("The rest centre at the leisure centre will remain open until January 24, the council said. "
             "A temporary footbridge will allow pedestrians and cyclists to cross the river.")
    second = ("\"We expect to keep it open until Friday the twenty-fourth at least,\" she said. "
              "Shopkeepers in the market square say trade has already fallen by a third since March.")
    arts = [Article("u1", "Flood", first, "Outlet A", datetime(2025, 1, 20, 9, tzinfo=timezone.utc)),
            Article("u2", "Flood", second, "Outlet B", datetime(2025, 1, 21, 9, tzinfo=timezone.utc))]
    from storyline.sentences import split_sentences
    from storyline.stories.figures import extract_figures, find_conflicts

    figs = [f for a in arts for f in extract_figures(a, split_sentences(a.text))]
    groups = find_conflicts(figs, {a.id: a.text for a in arts}, dates={a.id: a.date for a in arts},
                            include_agree=True)
    assert [c.category for c in groups] == ["calendar"]
    al = align_sentences(arts, settings=RULES)
    without, _ = unique_content(al, RULES, boilerplate_rows(al), {})
    with_groups, _ = unique_content(al, RULES, boilerplate_rows(al), {}, groups)
    kept = {u.text for u in with_groups}
    assert {u.text for u in without} - kept == {
        "\"We expect to keep it open until Friday the twenty-fourth at least,\" she said.",
        "The rest centre at the leisure centre will remain open until January 24, the council said."}
    assert "A temporary footbridge will allow pedestrians and cyclists to cross the river." in kept
