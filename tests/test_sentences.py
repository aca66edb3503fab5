"""Sentence segmentation: exact spans, abbreviations, quotes, paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.sentences import Sentence, split_paragraphs, split_sentences

SEEDS = Path(__file__).resolve().parents[1] / ".." / "shared" / "seeds"


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mr. Smith went to the U.S. State Department. He left.",
         ["Mr. Smith went to the U.S. State Department.", "He left."]),
        ("Gen. Frank McKenzie met John F. Kennedy Jr. on Friday. It rained.",
         ["Gen. Frank McKenzie met John F. Kennedy Jr. on Friday.", "It rained."]),
        ("It happened in the U.S. The talks failed.", ["It happened in the U.S.", "The talks failed."]),
        ("At 5 p.m. on Friday, he left. Prices rose 3.5 percent.",
         ["At 5 p.m. on Friday, he left.", "Prices rose 3.5 percent."]),
        ("“We will press,” the spokeswoman said. “Next,” he said.",
         ["“We will press,” the spokeswoman said.", "“Next,” he said."]),
        ("“Why?” he asked. Then he left.", ["“Why?” he asked.", "Then he left."]),
        ("He said: “It is over.” Then silence.", ["He said: “It is over.”", "Then silence."]),
        ("The vote is on Jan. 5. Observers expect it.", ["The vote is on Jan. 5.", "Observers expect it."]),
        ("Dr. No. Really? Yes!", ["Dr. No.", "Really?", "Yes!"]),
    ],
)
def test_split_sentences_handles_abbreviations_and_quotes(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_sentences_never_cross_paragraphs_and_carry_their_index() -> None:
    text = "First para one. First para two\n\n  Second para.\n \nThird"
    got = split_sentences(text)
    assert [(s.text, s.paragraph) for s in got] == [
        ("First para one.", 0), ("First para two", 0), ("Second para.", 1), ("Third", 2)]
    assert split_paragraphs(text)[1] == (text.index("Second"), text.index("Second") + len("Second para."))


def test_empty_and_blank_texts_have_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n\t ") == []


def test_sentence_is_frozen() -> None:
    s = Sentence("a", 0, 1, 0)
    with pytest.raises(AttributeError):
        s.start = 3  # type: ignore[misc]


_alphabet = st.sampled_from(list("abcXYZ .,!?…\n\n\t“”\"'’()U.S.Mr1.5") + ["Mr.", "U.S.", " The", "\n\n", "“", "”"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_alphabet, max_size=60).map("".join))
def test_spans_are_exact_ordered_and_cover_all_non_space_text(text: str) -> None:
    sentences = split_sentences(text)
    covered = [False] * len(text)
    last_end = 0
    for s in sentences:
        assert text[s.start:s.end] == s.text
        assert s.text and s.text == s.text.strip()
        assert s.start >= last_end
        last_end = s.end
        for i in range(s.start, s.end):
            covered[i] = True
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))
    assert [s.paragraph for s in sentences] == sorted(s.paragraph for s in sentences)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is absent")
def test_seed_sentences() -> None:
    text = (SEEDS / "003_6fdddf5389e5bb96.txt").read_text("utf-8")
    got = texts(text)
    assert "The number is unmoved for more than a week." in got
    assert any(t.startswith("State Department spokesman Ned Price informed on Thursday") and
               t.endswith("on flights facilitated by the US.") for t in got)
    text0 = (SEEDS / "000_5a28008cbe58574a.txt").read_text("utf-8")
    got0 = texts(text0)
    assert ("“We will press the Taliban to respect the rights of all Afghans, including women and girls, and to "
            "build a broad-based, inclusive government,” the spokeswoman said on Friday.") in got0
