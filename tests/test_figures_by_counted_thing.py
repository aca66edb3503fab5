"""Figures grouped by what is counted and what is said of it; each group an agreement, a dispute or an update."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from storyline.records import Article
from storyline.sentences import split_sentences
from storyline.stories.figures import extract_figures, find_conflicts, value_interval
from storyline.stories.view import build_view_from_articles
from storyline.settings import StoriesSettings

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc)
RULES = StoriesSettings(entities="rules")


def _arts(*texts: str, hours: float = 1.0) -> list[Article]:
    return [Article(f"a{i}", "t", t, f"Outlet {i}", T0 + timedelta(hours=hours * i)) for i, t in enumerate(texts)]


def _groups(arts: list[Article], copies=(), include_agree: bool = True):
    figs = [f for a in arts for f in extract_figures(a, split_sentences(a.text))]
    return find_conflicts(figs, {a.id: a.text for a in arts}, dates={a.id: a.date for a in arts}, copies=copies,
                          include_agree=include_agree)


def _values(c) -> list[str]:
    return [v.value for v in c.values]


def test_people_who_remain_are_not_set_against_people_who_left() -> None:
    arts = _arts("Officials said around 300 villagers remain in the valley, mostly farmers who refused to go.",
                 "Officials said 320 villagers had left the valley by bus since the weekend.",
                 "Hundreds of villagers are still waiting in the valley, officials said.")
    groups = _groups(arts)
    assert not any({"around 300 villagers", "320 villagers"} <= set(_values(c)) for c in groups), groups
    [stay] = [c for c in groups if "around 300 villagers" in _values(c)]
    assert _values(stay) == ["around 300 villagers", "Hundreds of villagers"] and stay.kind == "agree"


def test_a_toll_that_rises_in_a_later_report_is_an_update_in_date_order() -> None:
    arts = _arts("The storm killed 14 people in the coastal towns, the civil protection agency said on Monday.",
                 "The number of people killed by the storm in the coastal towns has risen to 15, the agency said.",
                 hours=26)
    [c] = _groups(arts)
    assert c.kind == "update" and _values(c) == ["14 people", "15"]
    assert [v.date for v in c.values] == [arts[0].date, arts[1].date]
    for v in c.values:
        text = arts[int(v.article_id[1:])].text
        assert text[v.value_start:v.value_end] == v.value and text[v.start:v.end] == v.text


def test_different_values_reported_the_same_morning_are_a_dispute() -> None:
    arts = _arts("Fourteen ambulances were sent to the scene of the crash.",
                 "A dozen ambulances were sent to the scene of the crash, witnesses said.")
    [c] = _groups(arts)
    assert c.kind == "dispute" and _values(c) == ["Fourteen ambulances", "A dozen ambulances"]


def test_a_value_that_comes_back_is_a_dispute_not_an_update() -> None:
    arts = _arts("Two of the climbers were flown to hospital with frostbite.",
                 "Three of the climbers were flown to hospital with frostbite, rescuers said.",
                 "Two of the climbers were flown to hospital with frostbite on Sunday.", hours=20)
    [c] = _groups(arts)
    assert c.kind == "dispute" and _values(c) == ["Two of the climbers", "Three of the climbers",
                                                  "Two of the climbers"]


def test_flows_and_timetables_that_differ_are_flagged_in_one_unit() -> None:
    arts = _arts("Valdor wants a guaranteed flow of 400 cubic metres per second at the border, and a plan to fill "
                 "the reservoir over three years.",
                 "Valdor is asking for a guaranteed flow of 420 m³/s at the border and a four-year plan to fill the "
                 "reservoir.")
    groups = {c.category: c for c in _groups(arts)}
    assert _values(groups["measure:flow"]) == ["400 cubic metres", "420 m³/s"]
    assert groups["measure:flow"].kind == "dispute"
    assert _values(groups["duration"]) == ["over three years", "four-year"] and groups["duration"].kind == "dispute"


def test_rain_in_millimetres_is_compared_whatever_the_unit_is_written() -> None:
    arts = _arts("The weather service said 62 millimetres of rain fell on the town overnight.",
                 "Nearly 80mm of rain fell on the town overnight, according to a volunteer station, far more than "
                 "the official figure.", hours=30)
    [c] = _groups(arts)
    assert c.kind == "dispute" and c.category == "measure:length"


def test_rounded_and_vague_figures_agree_with_exact_ones() -> None:
    f = extract_figures(Article("x", "t", "Nearly 40 pupils, about 40 staff, dozens of staff, more than 50 people "
                                "and at least 14 dead.", "S", None),
                        split_sentences("Nearly 40 pupils, about 40 staff, dozens of staff, more than 50 people "
                                        "and at least 14 dead."))
    assert [value_interval(x) for x in f] == [(36.0, 40.0), (36.0, 44.0), (24, 99), (50.0, 62.5), (14.0, 17.5)]
    arts = _arts("Nearly 40 pupils fell ill at the school on Monday, the head said.",
                 "Thirty-seven pupils fell ill at the school on Monday, the council said.")
    [c] = _groups(arts)
    assert c.kind == "agree"
    assert _groups(arts, include_agree=False) == []


def test_two_lower_bounds_with_different_numbers_differ() -> None:
    arts = _arts("At least 14 people were killed in the quake, the governor said.",
                 "At least 15 people were killed in the quake, the governor said on Tuesday.", hours=26)
    [c] = _groups(arts)
    assert c.kind == "update" and _values(c) == ["At least 14 people", "At least 15 people"]


def test_a_copy_carries_its_origins_figure_and_adds_no_value() -> None:
    wire = "About 8,000 litres of diesel leaked into the bay, the coastguard said."
    arts = _arts(wire, wire, "As much as 12,000 litres of diesel leaked into the bay, campaigners said.")
    copies = [{"article_id": "a1", "origin_id": "a0", "relation": "copy", "similarity": 1.0}]
    [c] = _groups(arts, copies=copies)
    assert c.kind == "dispute" and [v.article_id for v in c.values] == ["a0", "a2"]
    assert [x["article_id"] for x in c.values[0].carried_by] == ["a1"]
    # without the copies stage both outlets are independent reports of 8,000
    [c] = _groups(arts)
    assert [v.article_id for v in c.values] == ["a0", "a1", "a2"]


def test_the_view_lists_every_group_with_its_kind_and_dates() -> None:
    arts = _arts("The storm killed 14 people in the coastal towns, the civil protection agency said on Monday.",
                 "The number of people killed by the storm in the coastal towns has risen to 15, the agency said.",
                 hours=26)
    d = build_view_from_articles(arts, story_id="s", settings=RULES).to_dict()
    [c] = d["conflicts"]
    assert c["kind"] == "update"
    assert [(v["article_id"], v["value"], v["date"][:10]) for v in c["values"]] == [
        ("a0", "14 people", "2026-05-04"), ("a1", "15", "2026-05-05")]
    assert {"article_id", "source", "value", "text", "value_start", "value_end", "date"} <= set(c["values"][0])


def test_a_count_named_before_its_number_does_not_hide_the_next_figure_of_the_sentence():
    # "the number of … to 31" once replaced the sentence's list of non-quantity spans with the counted noun, and
    # the next number of the same sentence failed ("not enough values to unpack"): the whole story view failed
    from storyline.records import Article
    from storyline.sentences import split_sentences
    from storyline.stories.figures import extract_figures

    text = ("The number of ships waiting offshore has risen to 31, port officials said, and 12 more are due on "
            "Friday, while 400 dockers stayed out.")
    a = Article(id="a-x", title="t", text=text, source="S", date=None)
    values = [f.value for f in extract_figures(a, split_sentences(text))]
    assert 31.0 in values and 400.0 in values


def test_a_measure_converted_from_another_unit_agrees_within_its_written_digits() -> None:
    arts = _arts("The marchers followed a two-mile route from the park to the town hall.",
                 "The march covered a 3.2-kilometre route from the park to the town hall.", hours=26)
    assert [(c.kind, _values(c)) for c in _groups(arts)] == [("agree", ["two-mile", "3.2-kilometre"])]
    # one unit, one last digit apart: still different values
    arts = _arts("The weather service said 62 millimetres of rain were recorded in the town.",
                 "The weather service said 63mm of rain were recorded in the town.")
    assert [(c.kind, _values(c)) for c in _groups(arts)] == [("dispute", ["62 millimetres", "63mm"])]
