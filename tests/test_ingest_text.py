from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from storyline.ingest import looks_like_byline, parse_text, read_paths
from storyline.normalize import normalize
from storyline.records import Origin, RawItem, Rejected

from .conftest import SEEDS, needs_seeds

DATED = """ date 2021-10-09 Harbour talks resume in Valmora.

Negotiators met on Saturday, officials said.

A second round is due next week.

sct/dw"""


def test_date_header_gives_date_and_headline_and_desk_tag_becomes_byline():
    item = parse_text(DATED, Origin("x.txt"))
    assert item.date == "2021-10-09"
    assert item.title == "Harbour talks resume in Valmora."
    assert item.byline == "sct/dw"
    assert "sct/dw" not in item.text
    assert item.text.startswith("Negotiators met on Saturday")
    assert item.text.endswith("due next week.")


def test_bare_body_has_no_date_and_a_derived_headline():
    item = parse_text("The council voted on Monday to close the bridge. It reopens in May.\n", Origin("b.txt"))
    assert item.date is None and item.title is None and item.byline is None
    article = normalize(item)
    assert article.title == "The council voted on Monday to close the bridge."
    assert article.title_derived is True
    assert article.date is None
    assert article.text.startswith("The council voted")


@pytest.mark.parametrize("line", ["sct/dw", "jsi/msh (AP, Reuters)", "By Jane Doe", "ab/cd/ef"])
def test_desk_tags_and_bylines_are_recognised(line):
    assert looks_like_byline(line)


@pytest.mark.parametrize("line", ["It reopens in May.", "The talks/negotiations went on for hours and hours without end",
                                  "“We will press on,” she said", ""])
def test_body_lines_are_not_bylines(line):
    assert not looks_like_byline(line)


def test_a_last_sentence_is_never_taken_as_byline():
    item = parse_text("First paragraph here.\n\nSecond paragraph ends the story.", Origin("c.txt"))
    assert item.byline is None
    assert item.text.endswith("ends the story.")


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
                min_size=1, max_size=6))
def test_text_reader_never_loses_body_words(paragraphs):
    text = "\n\n".join(paragraphs)
    item = parse_text(text, Origin("p.txt"))
    kept = " ".join(filter(None, [item.title, item.date, item.text, item.byline]))
    for word in text.split():
        if word.lower() != "date":
            assert word in kept


@needs_seeds
def test_seed_files_read_as_the_issue_describes():
    items = {Path(i.origin.path).name: i for i in read_paths([SEEDS])}
    dated = items["000_5a28008cbe58574a.txt"]
    bare = items["003_6fdddf5389e5bb96.txt"]
    a, b = normalize(dated), normalize(bare)
    assert a.date.date().isoformat() == "2021-10-09"
    assert a.title.startswith("The United States says it will hold its first in-person talks")
    assert a.byline == "sct/dw" and "sct/dw" not in a.text
    assert b.date is None and b.title_derived and b.byline is None
    assert a.lang == b.lang == "en"
