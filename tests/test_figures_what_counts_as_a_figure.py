"""Figures: numbers that name (phone numbers, codes, ids) are not figures; which counted nouns count people."""

from __future__ import annotations

import pytest

from storyline.records import Article
from storyline.sentences import split_sentences
from storyline.stories.figures import extract_figures, find_conflicts, is_people, non_quantity_spans


def figures_of(text: str, aid: str = "a", source: str = "S") -> list:
    a = Article(aid, "t", text, source, None)
    return extract_figures(a, split_sentences(text))


@pytest.mark.parametrize("text", [
    "For tips, call 555-0123 or visit the office.",
    "The hotline, +1 (202) 555-0175, is open all day.",
    "Ring 0800 123 4567 for help.",
    "Call (202) 555-0175 now.",
    "Call 202-555-0175 now.",
    "Call 202.555.0175 now.",
    "Call 1-800-555-0199 now.",
    "Call +44 20 7946 0958 in London.",
    "Call 020 7946 0958 in London.",
    "Text 741741 for help.",
    "Witnesses should call 911 at once.",
    "The book, ISBN 978-3-16-148410-0, is out.",
    "The book, ISBN 0-306-40615-2, is out.",
    "The book 9783161484100 is out.",
    "The White House, Washington, DC 20500, replied.",
    "The case, No. 21-cv-1234, was filed.",
    "Flight 370 passengers were never found.",
    "Section 230 protections were debated.",
    "Order number 123456 was shipped.",
])
def test_numbers_that_name_something_are_not_figures(text: str) -> None:
    assert figures_of(text) == [], [f.text for f in figures_of(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("The company paid $2.1 billion, up 15%, and hired 12,000 workers.",
     [("$2.1 billion", "money"), ("15%", "percent"), ("12,000 workers", "count")]),
    ("About 1.5 million people fled in 2021.", [("About 1.5 million people", "count"), ("2021", "date")]),
    ("Around 100 people remain, and 105 US citizens left.",
     [("Around 100 people", "count"), ("105 US citizens", "count")]),
    ("The 20-year war ended on August 31.", [("20-year", "duration"), ("August 31", "date")]),
    ("It cost 25000000 dollars and 0.5 percent of output.", [("25000000 dollars", "money"),
                                                              ("0.5 percent", "percent")]),
    ("A 5-4 vote left 300 voters angry; 2,400 miles of road.", [("5", "number"), ("300 voters", "count"),
                                                                 ("2,400 miles", "measure")]),
])
def test_real_figures_are_kept(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(f.text, f.unit) for f in figures_of(text)] == expected


def test_non_quantity_spans_are_inside_the_range_asked_for() -> None:
    t = "Call 555-0123 now. Call 555-0199 later."
    assert [t[a:b] for a, b in non_quantity_spans(t)] == ["555-0123", "555-0199"]
    assert [t[a:b] for a, b in non_quantity_spans(t, 0, 18)] == ["555-0123"]


def test_phone_numbers_never_become_conflicts() -> None:
    a = "Residents can call 0800 123 4567 hours after the flood, officials said."
    b = "Residents can call 0800 123 9999 hours after the flood, officials said."
    figs = figures_of(a, "a", "A") + figures_of(b, "b", "B")
    assert find_conflicts(figs, {"a": a, "b": b}) == []


PEOPLE = ("workers protesters voters officers soldiers passengers lawmakers teachers farmers supporters fighters "
          "minors journalists civilians officials co-workers dockworkers firefighters taxpayers reporters "
          "grandmothers Americans Afghans Republicans Israelis veterans asylum-seekers").split()
NOT_PEOPLE = ("girders containers computers papers numbers letters powers towers orders others murders encounters "
              "fund-raisers superpowers newspapers skyscrapers headquarters loans plans lists miles dollars").split()


@pytest.mark.parametrize("word", PEOPLE)
def test_people_nouns_count_people(word: str) -> None:
    assert is_people(word)
    assert figures_of(f"They counted 300 {word} there.")[0].category == "people"


@pytest.mark.parametrize("word", NOT_PEOPLE)
def test_things_ending_like_agent_nouns_do_not_count_people(word: str) -> None:
    assert not is_people(word)
    fs = figures_of(f"They counted 300 {word} there.")
    assert fs and fs[0].category != "people", [(f.text, f.category) for f in fs]


def test_girders_and_workers_are_not_one_quantity() -> None:
    a = "Some 3,000 girders arrived at the bridge site on Monday, the builder said."
    b = "Some 2,800 workers arrived at the bridge site on Monday, the builder said."
    figs = figures_of(a, "a", "A") + figures_of(b, "b", "B")
    assert find_conflicts(figs, {"a": a, "b": b}) == []


def test_a_money_conflict_names_its_currency_once() -> None:
    a = "The new dam cost $2.1 billion to build, the ministry said."
    b = "The new dam cost 1.9 billion dollars to build, the ministry said."
    figs = figures_of(a, "a", "A") + figures_of(b, "b", "B")
    [conflict] = find_conflicts(figs, {"a": a, "b": b})
    assert conflict.about == "dollars" and {v.value for v in conflict.values} == {"$2.1 billion",
                                                                                 "1.9 billion dollars"}
    assert conflict.kind == "dispute"
    # "about 2 billion" allows 1.8–2.2 billion: it agrees with $2.1 billion
    c = "The new dam cost about 2 billion dollars to build, the ministry said."
    figs = figures_of(a, "a", "A") + figures_of(c, "c", "C")
    assert find_conflicts(figs, {"a": a, "c": c}) == []
    [agree] = find_conflicts(figs, {"a": a, "c": c}, include_agree=True)
    assert agree.kind == "agree"


def test_a_number_inside_another_sources_range_agrees_with_it() -> None:
    a = "About 1,200-1,300 households downstream were told to leave their homes, the authority said."
    inside = "The authority said 1,250 households downstream were told to leave their homes."
    outside = "The authority said 2,000 households downstream were told to leave their homes."
    figs = figures_of(a, "a", "A") + figures_of(inside, "b", "B")
    assert [f.text for f in figs if f.low is not None] == ["About 1,200-1,300 households"]
    assert [(f.low, f.high) for f in figs if f.low is not None] == [(1200.0, 1300.0)]
    assert find_conflicts(figs, {"a": a, "b": inside}) == []
    figs = figures_of(a, "a", "A") + figures_of(outside, "c", "C")
    [conflict] = find_conflicts(figs, {"a": a, "c": outside})
    assert {v.value for v in conflict.values} == {"About 1,200-1,300 households", "2,000 households"}
    # two ranges that overlap agree; two that do not, differ
    r1 = "About 1,200-1,300 households downstream were told to leave their homes, the authority said."
    r2 = "Some 1,280 to 1,400 households downstream were told to leave their homes, the authority said."
    r3 = "Some 1,500 to 1,600 households downstream were told to leave their homes, the authority said."
    assert find_conflicts(figures_of(r1, "a", "A") + figures_of(r2, "b", "B"), {"a": r1, "b": r2}) == []
    assert len(find_conflicts(figures_of(r1, "a", "A") + figures_of(r3, "b", "B"), {"a": r1, "b": r3})) == 1


@pytest.mark.parametrize("text, span, days", [
    ("The walkout enters its sixth day on Monday.", "sixth day", 6.0),
    ("Workers have been on strike for a week.", "a week", 7.0),
    ("The road will stay shut for a fortnight.", "a fortnight", 14.0),
    ("The siege entered its 12th day.", "12th day", 12.0),
    ("Dockworkers stayed off the job for a second day.", "second day", 2.0),
])
def test_durations_without_a_cardinal_are_figures(text, span, days):
    from storyline.stories.figures import value_interval

    got = [f for f in figures_of(text) if f.unit == "duration"]
    assert [f.text for f in got] == [span]
    assert value_interval(got[0]) == (days, days)


@pytest.mark.parametrize("text", [
    "The first day of the trial was quiet.",  # "the first day of …" names a day, it measures nothing
    "The talks ended their first day without a breakthrough.",
    "A week ago the road reopened.",
    "She said it was the best week of her life.",
])
def test_days_named_by_an_ordinal_or_a_week_ago_are_no_durations(text):
    assert [f.text for f in figures_of(text) if f.unit == "duration"] == []


def test_how_long_something_has_gone_on_is_an_update_as_reports_go_on():
    from datetime import datetime, timezone

    texts = {"a": "Talks will begin this morning, as the walkout at the docks enters its sixth day.",
             "b": "Around 1,100 dock workers have been on strike for a week."}
    figs = [f for aid, t in texts.items() for f in figures_of(t, aid, aid.upper()) if f.unit == "duration"]
    dates = {"a": datetime(2025, 5, 12, tzinfo=timezone.utc), "b": datetime(2025, 5, 13, tzinfo=timezone.utc)}
    got = find_conflicts(figs, texts, dates=dates)
    assert [(c.kind, [v.value for v in c.values]) for c in got] == [("update", ["sixth day", "a week"])]


def test_counts_of_one_thing_under_different_nouns_link_when_the_same_is_said_of_them():
    from datetime import datetime, timezone

    texts = {"a": "Thieves broke into the museum overnight and escaped with three paintings, police said.",
             "b": "Thieves stole three works from the museum early on Monday.",
             "c": "Another item was taken during the raid, bringing the number of stolen items to four.",
             "d": "The museum has three galleries and four members of staff."}
    figs = [f for aid, t in texts.items() for f in figures_of(t, aid, aid.upper())]
    day = {"a": 14, "b": 14, "c": 16, "d": 16}
    dates = {k: datetime(2025, 7, v, tzinfo=timezone.utc) for k, v in day.items()}
    got = find_conflicts(figs, texts, dates=dates)
    assert [(c.kind, sorted(v.value for v in c.values)) for c in got] == \
        [("update", ["four", "three paintings", "three works"])]  # galleries and staff are other things


@pytest.mark.parametrize("text, span, counts, category", [
    ("Ward 7, a 24-bed ward for older patients, would close.", "24-bed", "beds", "count:beds"),
    ("The council owns a 12-storey block of flats.", "12-storey", "storeys", "count:stor"),
    ("They bought a three-bedroom house.", "three-bedroom", "bedrooms", "count:bedroom"),
    ("A 100-metre stretch of road was closed.", "100-metre", "metres", "measure:length"),
    ("A 10-person team was sent.", "10-person", "people", "people"),
    ("A six-party coalition was formed.", "six-party", "parties", "count:part"),
])
def test_a_number_joined_to_the_noun_it_counts_is_a_figure_of_that_noun(text, span, counts, category) -> None:
    [f] = [f for f in figures_of(text) if f.text == span]
    assert (f.counts, f.category, f.unit in ("count", "measure")) == (counts, category, True)
    assert text[f.start:f.end] == span


@pytest.mark.parametrize("text", [
    "The bill needs a two-thirds majority to pass.",
    "The council made a one-off payment to the family.",
    "The three-time champion lost in the final.",
    "He spent 20-odd years at the port.",
    "About two-hundred people gathered outside.",
    "It is not a zero-sum game, and the three-three split held.",
    "The 24-hour strike ended on Friday.",  # a duration, read as one: not a count of "hours" nouns
])
def test_fractions_one_offs_and_durations_are_not_compound_counts(text: str) -> None:
    assert not [f for f in figures_of(text) if f.unit == "count"], [(f.text, f.counts) for f in figures_of(text)]


def test_a_24_bed_ward_set_against_28_beds_is_a_dispute() -> None:
    from datetime import datetime, timezone

    arts = [Article("a", "t", "The trust plans to close a 24-bed ward at the hospital to save money.", "Post",
                    datetime(2025, 9, 2, 17, tzinfo=timezone.utc)),
            Article("b", "t", "Closing the ward would remove 28 beds from the hospital, not the 24 claimed by the "
                    "trust, the union said.", "Lantern", datetime(2025, 9, 2, 19, tzinfo=timezone.utc))]
    figs = [f for a in arts for f in extract_figures(a, split_sentences(a.text))]
    groups = find_conflicts(figs, {a.id: a.text for a in arts}, dates={a.id: a.date for a in arts})
    assert [(c.kind, [v.value for v in c.values]) for c in groups] == [("dispute", ["24-bed", "28 beds"])]
