"""A range is one figure with bounds, not its upper bound read as exact; coordinated figures, changes, scores and
seasons are not ranges."""

from __future__ import annotations


def _figures(text: str):
    from storyline.records import Article
    from storyline.sentences import split_sentences
    from storyline.stories.figures import extract_figures

    a = Article(id="a-x", title="t", text=text, source="S", date=None, lang="en", url=None, byline=None)
    return [(f.text, f.value, f.category) for f in extract_figures(a, split_sentences(text))]


def test_a_range_is_one_figure_not_its_upper_bound_read_as_exact() -> None:
    # "1,200–1,300 households" was the figure "1,300 households" (value 1300, shown as differing from another
    # source's 1,250) plus a bare "1,200"; "12-15 people" lost its people count
    assert _figures("About 1,200–1,300 households were told to leave.") == [
        ("About 1,200–1,300 households", None, "people")]
    assert _figures("The storm killed 12-15 people in the region.") == [("12-15 people", None, "people")]
    assert _figures("Officials said 5 to 7 people were hurt.") == [("5 to 7 people", None, "people")]
    assert _figures("Between 5 and 7 people were hurt.") == [("Between 5 and 7 people", None, "people")]
    assert _figures("The plant cost $1.2bn-$1.5bn to build.") == [("$1.2bn-$1.5bn", None, "money")]
    # not ranges: coordinated figures, a change, a score, a season
    assert _figures("105 US citizens and 95 green-card holders had left.") == [
        ("105 US citizens", 105.0, "people"), ("95 green-card holders", 95.0, "people")]
    assert ("150 people", 150.0, "people") in _figures("Turnout rose from 100 to 150 people.")
    assert _figures("They won 3-1 on Sunday.") == [("3", 3.0, "number")]
    assert _figures("The 2020-2021 season ended.") == [("2020", 2020.0, "date")]
