"""Lexical tokens, incremental document frequencies, TF-IDF vectors, rule-based entities."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyline.represent.entities import entities
from storyline.represent.lexical import DocumentFrequencies, cosine, stem, term_counts, tokens


def test_tokens_drop_stopwords_stem_plurals_and_keep_numbers():
    assert tokens("The Senate's votes on 3 deals, it’s the policies of 2021") == [
        "senate", "vote", "3", "deal", "policy", "2021"]
    assert stem("bus") == "bus" and stem("glass") == "glass" and stem("cities") == "city"


def test_title_words_count_more():
    tf = term_counts("Storm floods town", "The storm hit the town.", title_weight=2.0)
    assert tf == {"storm": 3.0, "flood": 2.0, "town": 3.0, "hit": 1.0}


def test_document_frequencies_update_incrementally_and_idf_falls_as_a_word_spreads():
    df = DocumentFrequencies()
    df.add({"storm": 1.0, "town": 1.0})
    rare = df.idf("storm")
    df.add({"storm": 2.0})
    df.add({"vote": 1.0})
    assert df.n_docs == 3 and df.df["storm"] == 2
    assert df.idf("storm") < df.idf("town") < df.idf("never-seen")
    assert df.idf("never-seen") == pytest.approx(math.log(4 / 1) + 1)
    assert rare != df.idf("storm")


words = st.lists(st.sampled_from(["storm", "town", "vote", "budget", "fire", "river", "court", "judge"]),
                 max_size=12)


@given(words, words)
def test_tfidf_cosine_is_symmetric_in_unit_interval_and_one_on_itself(a, b):
    df = DocumentFrequencies()
    ta, tb = term_counts("", " ".join(a)), term_counts("", " ".join(b))
    df.add(ta)
    df.add(tb)
    va, vb = df.vector(ta), df.vector(tb)
    assert cosine(va, vb) == pytest.approx(cosine(vb, va))
    assert 0.0 <= cosine(va, vb) <= 1.0
    if va:
        assert cosine(va, va) == pytest.approx(1.0)
        assert math.sqrt(sum(x * x for x in va.values())) == pytest.approx(1.0)


def test_entities_find_names_and_surnames_and_skip_sentence_initial_words():
    e = entities("Trump slams Kerry over Iran", "President Trump on Monday slammed John F. Kerry. Liberals said "
                 "the Supreme Court and the FBI were silent.")
    assert {"trump", "john f kerry", "kerry", "supreme court", "fbi"} <= set(e)
    assert "liberals" not in e and "monday" not in e and "president" not in e


def test_title_case_headlines_only_contribute_names_the_body_confirms():
    e = entities("Vote Looms As Senators Weigh Budget Deal", "Senator Maria Ortiz said the vote was close.")
    assert "vote looms" not in e and "senators weigh budget deal" not in e
    assert "maria ortiz" in e


def test_tokens_by_chunk_are_the_tokens_of_the_whole_text():
    """tokens() reads a text per whitespace-separated chunk (cached); no word spans whitespace and lower-casing does
    not look across it (Greek final sigma included), so the tokens are the whole text's."""
    from storyline.represent.lexical import WORD, _content_word, tokens

    texts = ["The Senate's votes on deals", "U.S.-China talks: 1,000.5 tonnes, 3.5%; well-known O'Neil’s",
             "ΟΔΥΣΣΕΥΣ ΣΑΣ. Σ ΑΣ\u00ad x", "a\u00a0b\u2003c\u200bd e\u0345f", "İstanbul ½x x½ ²3 a_b _c d-",
             "line\nbreak\ttab  double  space", "", "   "]
    for text in texts:
        assert tokens(text) == [w for w in map(_content_word, WORD.findall(text.lower())) if w], text
        assert tokens(text) == tokens(text)  # and again, from the cache


def test_the_entity_regex_matches_as_written_before():
    """The capitalised-run regex starts with its capital (a faster scan); its matches are those of the form with
    the initialism first."""
    import re

    from storyline.represent.entities import _CAP_RUN

    cap = r"(?:(?:[A-Z]\.){2,}|[A-Z]\.|[A-Z][\w'’-]*)"
    before = re.compile(rf"{cap}(?:\s+(?:(?:of|the|de|del|la|van|von|al|bin|for)\s+)?{cap})*")
    texts = ["U.S.A. and U.K. meet", "A.B", "A. B. C.", "J.R.R. Tolkien", "Mr. John F. Kennedy of the United States",
             "U.S.-China", "A.Bc AB.CD. O'Neil Van Der Berg", "The Bank of the West", "X. Y", "the end. A"]
    for text in texts:
        assert [(m.start(), m.group(0)) for m in _CAP_RUN.finditer(text)] == \
            [(m.start(), m.group(0)) for m in before.finditer(text)], text


def _textbook_vector(df: DocumentFrequencies, tf: dict[str, float]) -> dict[str, float]:
    """The straightforward TF-IDF vector (one loop, one generator sum): DocumentFrequencies.vector must give these
    exact floats, key order included (the clusterer's decisions depend on the last bit)."""
    v = {}
    for t, c in tf.items():
        if c > 0:
            v[t] = (1.0 + math.log(c)) * (math.log((1 + df.n_docs) / (1 + df.df.get(t, 0))) + 1.0)
    norm = math.sqrt(sum(x * x for x in v.values()))
    return {t: x / norm for t, x in v.items()} if norm else {}


@given(st.lists(st.dictionaries(st.sampled_from(["storm", "town", "vote", "budget", "fire", "river", "court"]),
                                st.sampled_from([0.0, 1.0, 2.0, 3.0, 4.5, 7.0]), max_size=7), max_size=8))
def test_document_frequencies_add_and_vector_equal_the_textbook_formula_bit_for_bit(docs):
    df, counted = DocumentFrequencies(), DocumentFrequencies()
    for i, tf in enumerate(docs):
        df.add(tf)  # a dict: its keys counted once each
        counted.add(list(tf) * 2 if i % 2 else iter(list(tf)))  # any other iterable: its distinct terms
        got = df.vector(tf)
        assert list(got.items()) == list(_textbook_vector(df, tf).items())
    assert df.df == counted.df and df.n_docs == counted.n_docs == len(docs)
