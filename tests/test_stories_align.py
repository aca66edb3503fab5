"""Sentence alignment, figures and quotes as units."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.records import Article
from storyline.sentences import split_sentences
from storyline.stories.align import align_sentences
from storyline.stories.figures import extract_figures, parse_number
from storyline.stories.quotes import extract_quotes


def art(i: str, text: str, source: str | None = None) -> Article:
    return Article(i, "t", text, source or f"src-{i}", None)


def test_alignment_pairs_reworded_statements_and_leaves_different_facts_alone() -> None:
    a = art("a", "The encounter did not imply that the US recognized Taliban authority. Prices of bread rose.")
    b = art("b", "The official stressed the session did not imply the US was recognizing the Taliban. It snowed.")
    al = align_sentences([a, b])
    assert [(al.sentences[p.a].text[:13], al.sentences[p.b].text[:12]) for p in al.pairs] == [
        ("The encounter", "The official")]
    p = al.best_pairs("b", "a")[0]
    assert al.sentences[p.a].article_id == "b" and al.sentences[p.b].article_id == "a"
    assert al.support_counts().tolist() == [1, 0, 1, 0]


def test_sentences_of_the_same_article_are_never_aligned() -> None:
    a = art("a", "Floods hit the town. Floods hit the town.")
    assert align_sentences([a]).pairs == ()


class FakeEncoder:
    """A deterministic bag-of-letters embedding: a real collaborator shape, not a mock of our code."""

    def encode(self, texts):
        out = np.zeros((len(texts), 26), dtype=np.float32)
        for i, t in enumerate(texts):
            for ch in t.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        return out


def test_encoder_scores_are_used_and_reported() -> None:
    a = art("a", "Storm hits coast hard tonight.")
    b = art("b", "Coast hit by hard storm tonight.")
    al = align_sentences([a, b], encoder=FakeEncoder())
    assert al.method == "dense+lexical"
    (p,) = al.pairs
    assert p.dense is not None and p.score == max(p.lexical, p.dense)


words = st.sampled_from("storm coast river town mayor said flood homes damaged rose the a of 12 people".split())
texts = st.lists(st.lists(words, min_size=3, max_size=9).map(lambda w: " ".join(w) + "."), min_size=1,
                 max_size=4).map(" ".join)


@settings(max_examples=40, deadline=None)
@given(texts, texts)
def test_alignment_is_symmetric_with_scores_in_unit_interval(t1: str, t2: str) -> None:
    al = align_sentences([art("a", t1), art("b", t2)])
    A = al.adjacency
    assert (abs(A - A.T) > 1e-6).nnz == 0
    for p in al.pairs:
        assert 0.0 < p.score <= 1.0 + 1e-6
        assert al.sentences[p.a].article_id != al.sentences[p.b].article_id


def test_parse_number_words_digits_and_vague_amounts() -> None:
    assert parse_number("12,000") == (12000.0, False)
    assert parse_number("thirty-seven") == (37.0, False)
    assert parse_number("2.1", " billion") == (2.1e9, False)
    assert parse_number("dozens") == (None, True)


def test_figures_carry_what_they_count() -> None:
    a = art("a", "Ned Price said 105 US citizens and 95 green-card holders had left. The dam cost $1.9 billion, "
                 "a 7 percent rise over the 20-year plan.")
    figs = {f.text: f for f in extract_figures(a, split_sentences(a.text))}
    assert figs["105 US citizens"].category == "people" and figs["105 US citizens"].value == 105
    assert figs["95 green-card holders"].counts == "green-card holders"
    assert figs["$1.9 billion"].unit == "money" and figs["$1.9 billion"].value == 1.9e9
    assert figs["7 percent"].unit == "percent"
    assert figs["20-year"].unit == "duration"


def test_quotes_direct_indirect_and_according_to() -> None:
    text = ("“We will not sign,” the minister said on Friday. Police chief Anna Berg said that 12 people were "
            "held overnight. According to the fire service, the blaze is out.\n\n"
            "\"It was a very long night for all of us,\" said Tom Ruiz, a resident.")
    a = art("a", text)
    qs = extract_quotes(a, split_sentences(text))
    got = [(q.kind, q.speaker, q.text) for q in qs]
    assert ("direct", "the minister", "We will not sign") in got
    assert ("indirect", "Police chief Anna Berg", "12 people were held overnight") in got
    assert ("according_to", "the fire service", "the blaze is out") in got
    assert ("direct", "Tom Ruiz", "It was a very long night for all of us") in got
    for q in qs:
        assert text[q.start:q.end] == q.text
