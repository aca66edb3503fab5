"""Copy versus light rewrite on short texts (the 20-word leads of neus-train), the edit cost, and the generator's
rewrite criterion. Hand-made cases: each says what a copy desk does (copy) or what a rewriter does (not a copy)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from storyline.copies import PairJudge
from storyline.copies.evaluate import evaluate_records
from storyline.copies.generate import _reword, changed_share, make_rewrite
from storyline.copies.relation import edit_cost
from storyline.copies.text import words
from storyline.records import Article

TITLE = "Trump administration moves to end asylum protections at the southern border"
LEAD = (
    "The Trump administration on Monday announced new rules that allowed officials to deny asylum to most migrants "
    "who crossed into the country through Mexico, a major shift in border policy."
)


def art(i: str, text: str, title: str = TITLE) -> Article:
    return Article(id=i, title=title, text=text, source=i, date=None)


def relation(text: str, title: str = TITLE) -> str:
    return PairJudge().judge(art("a", LEAD), art("b", text, title), align=False).relation


@pytest.mark.parametrize(
    "text,title",
    [
        # a typo, an agency credit and an outlet suffix on the title
        (LEAD.replace("announced", "annuonced") + "\n\nReporting by Jane Doe; Editing by Sam Holmes.", TITLE + " | Wire"),
        # a dateline, a dropped word, truncated with an ellipsis
        ("WASHINGTON (AP) — " + LEAD.replace(" major", "")[:120] + "...", TITLE),
        # a number inserted/changed and a filler word: copy-desk edits
        (LEAD.replace("on Monday", "on Monday, 15 May,").replace("announced", "also announced"), TITLE),
        # function words swapped: house style, not re-wording
        (LEAD.replace(", a major", " and a major").replace("who crossed", "that crossed"), TITLE),
        # a different headline on the same wire text
        (LEAD, "Asylum curbs announced"),
    ],
)
def test_short_copies_are_copies(text, title):
    assert relation(text, title) == "copy"


@pytest.mark.parametrize(
    "text",
    [
        # three content words replaced by synonyms in 28 words: re-worded
        LEAD.replace("rules", "regulations").replace("allowed", "permitted").replace("officials", "representatives"),
        # the last clause moved to the front and one synonym: reordering is what rewriters do
        "In a major shift in border policy, the Trump administration on Monday announced new rules that permitted "
        "officials to deny asylum to most migrants who crossed into the country through Mexico.",
        # two synonyms in the middle, headline re-worded
        LEAD.replace("deny", "refuse").replace("migrants", "immigrants"),
    ],
)
def test_light_rewrites_of_short_texts_are_not_copies(text):
    assert relation(text) != "copy"


def test_edit_cost_prices_synonyms_above_typos_and_moves_blocks():
    a = words(LEAD)
    typo = words(LEAD.replace("officials", "offcials"))
    syn = words(LEAD.replace("officials", "authorities"))
    assert edit_cost(a, typo).light == 1 and edit_cost(a, typo).substitutions == 0
    assert edit_cost(a, syn).substitutions == 1 and edit_cost(a, syn).light == 0
    first, second = "The talks begin in Doha on Saturday.", "About 100 citizens remain in the country today."
    moved = edit_cost(words(f"{first} {second} Prices rose sharply."), words(f"{second} {first} Prices rose sharply."))
    assert moved.moves == 1


@given(st.lists(st.sampled_from("the a of rules border asylum mexico said new".split()), min_size=0, max_size=25))
@hsettings(max_examples=60, deadline=None)
def test_edit_cost_is_zero_for_identical_and_for_pure_truncation(ws):
    assert edit_cost(ws, ws).total(2.0) == 0
    assert edit_cost(ws, ws[: len(ws) // 2]).total(2.0) == 0


def test_generator_rewrite_rewords_content_words():
    rec = {"id": "r", "title": TITLE, "text": LEAD}
    made = make_rewrite(rec, random.Random(5))
    assert made is not None
    assert changed_share(f"{TITLE}\n{LEAD}", f"{made[0]}\n{made[1]}") >= 0.15
    # dropping "the"/"that" is not re-wording: the share counts content words only
    assert changed_share("the rules that allowed it", "rules allowed it") == 0.0
    # a droppable word before punctuation stays ("let him do that." never becomes "let him do .")
    for seed in range(30):
        assert not _reword("let him do that.", random.Random(seed), 1.0).endswith(" .")


def test_evaluation_merges_originals_with_identical_bodies():
    recs = [
        {"id": "x", "cluster": "c", "title": "A", "text": LEAD, "gen": None},
        {"id": "y", "cluster": "c", "title": "B", "text": LEAD + "  ", "gen": None},
        {"id": "z", "cluster": "c", "title": "C", "text": "Residents queued for hours outside banks as cash ran short "
         "and shopkeepers said prices for flour had doubled.", "gen": None},
    ]
    rep = evaluate_records(recs)
    assert rep.duplicate_originals == 1
    assert rep.independent_pairs == 2 and rep.confusion["copy"].get("copy") == 1


def _pair(coverage_a: float, coverage_b: float, order: list[int]):
    from storyline.copies.align import AlignedSentences, PairAlignment

    pairs = tuple(AlignedSentences(a, b, 0, 1, 0, 1, 0.9, None) for a, b in enumerate(order))
    return PairAlignment(pairs, coverage_a, coverage_b, "lexical")


def test_in_order_is_the_longest_increasing_run_of_aligned_sentences():
    from storyline.copies.relation import in_order

    assert in_order(_pair(1, 1, [0, 1, 2, 3])) == 1.0
    assert in_order(_pair(1, 1, [3, 2, 1, 0])) == 0.25
    assert in_order(_pair(1, 1, [0, 2, 1, 3])) == 0.75
    assert in_order(_pair(1, 1, [])) == 0.0


def test_a_condensed_rewrite_in_its_origins_order_is_a_rewrite_but_not_out_of_order_or_too_thin():
    from storyline.copies.relation import _ordered_rewrite
    from storyline.settings import CopiesSettings

    s = CopiesSettings()
    assert _ordered_rewrite(_pair(0.85, 0.55, [0, 1, 2, 4, 5]), s)  # one side all but covered, in order
    assert not _ordered_rewrite(_pair(0.85, 0.55, [5, 4, 3, 2, 1]), s)  # reordered: two reports of one event
    assert not _ordered_rewrite(_pair(0.85, 0.40, [0, 1, 2, 4, 5]), s)  # too little of the other side
    assert not _ordered_rewrite(_pair(0.75, 0.65, [0, 1, 2, 4, 5]), s)  # neither side nearly all covered
    assert not _ordered_rewrite(_pair(0.95, 0.60, [0, 1, 2]), s)  # too few aligned sentences to tell an order
