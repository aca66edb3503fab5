"""Headline-only items (a title and no body: aggregator exports, many RSS feeds, link lists) are articles.

Their ``text`` is empty (never invented, never a copy of the title); ``no-text`` is only for items with neither a
title nor a text.
"""

from __future__ import annotations

from storyline.normalize import normalize
from storyline.records import Origin, RawItem, Rejected
from storyline.settings import IngestSettings


def test_title_only_record_is_a_headline_only_article():
    a = normalize(RawItem(origin=Origin("agg.jsonl", 1), text="", title=" Ceasefire  talks resume in Doha ",
                          source="Wire", date="2021-10-09"))
    assert not isinstance(a, Rejected)
    assert a.title == "Ceasefire talks resume in Doha" and a.text == "" and a.headline_only
    assert not a.title_derived and a.warnings == () and a.lead == "Ceasefire talks resume in Doha"


def test_whitespace_body_is_no_body():
    a = normalize(RawItem(origin=Origin("x"), text=" \n\u200b\n ", title="Talks resume"))
    assert a.text == "" and a.headline_only


def test_neither_title_nor_text_is_rejected():
    r = normalize(RawItem(origin=Origin("agg.jsonl", 4), text=" ", title="\u200b"))
    assert isinstance(r, Rejected) and r.reason == "no-text" and r.ref == "agg.jsonl:4"


def test_a_body_under_min_text_chars_is_left_out_with_a_warning():
    raw = RawItem(origin=Origin("x"), text="Read more", title="Talks resume in Doha")
    a = normalize(raw, IngestSettings(min_text_chars=20))
    assert a.text == "" and a.headline_only and "min_text_chars=20" in a.warnings[0]
    r = normalize(RawItem(origin=Origin("x"), text="Read more"), IngestSettings(min_text_chars=20))
    assert isinstance(r, Rejected) and r.reason == "no-text"


def test_headline_only_ids_differ_by_title_and_source():
    one = normalize(RawItem(origin=Origin("x"), text="", title="A", source="S"))
    two = normalize(RawItem(origin=Origin("x"), text="", title="B", source="S"))
    three = normalize(RawItem(origin=Origin("x"), text="", title="A", source="T"))
    assert len({one.id, two.id, three.id}) == 3


def test_an_article_with_a_body_is_not_headline_only():
    a = normalize(RawItem(origin=Origin("x"), text="Body text.", title="T"))
    assert not a.headline_only and a.lead == "T\nBody text."
