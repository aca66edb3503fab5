"""Calendar dates of one event as figures: the same date written two ways agrees, a date that moves in a later
report is an update, and dates of different events are never compared."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from storyline.records import Article
from storyline.sentences import split_sentences
from storyline.stories.figures import extract_figures, find_conflicts, value_interval

T0 = datetime(2025, 4, 7, 8, 0, tzinfo=timezone.utc)  # a Monday


def _arts(*texts: str, hours: float = 30.0) -> list[Article]:
    return [Article(f"a{i}", "t", t, f"Outlet {i}", T0 + timedelta(hours=hours * i)) for i, t in enumerate(texts)]


def _dates(text: str, when: datetime = T0) -> dict[str, tuple[date, date] | None]:
    art = Article("d", "t", text, "S", when)
    out = {}
    for f in extract_figures(art, split_sentences(text)):
        if f.category == "calendar":
            iv = value_interval(f)
            out[f.text] = None if iv is None else (date.fromordinal(int(iv[0])), date.fromordinal(int(iv[1])))
    return out


def _calendar_groups(arts: list[Article]):
    figs = [f for a in arts for f in extract_figures(a, split_sentences(a.text))]
    return [c for c in find_conflicts(figs, {a.id: a.text for a in arts}, dates={a.id: a.date for a in arts},
                                      include_agree=True) if c.category == "calendar"]


def test_dates_are_read_in_the_year_of_the_report_and_parts_of_a_month_are_intervals() -> None:
    got = _dates("It will reopen on May 26. Work began on the seventh of May and on 3 June. Crews hope to finish "
                 "by mid-June, or late June at the latest. The centre stays open until Friday the twenty-fifth. "
                 "You may 26 times.")
    assert got["May 26"] == (date(2025, 5, 26),) * 2
    assert got["the seventh of May"] == (date(2025, 5, 7),) * 2
    assert got["3 June"] == (date(2025, 6, 3),) * 2
    assert got["mid-June"] == (date(2025, 6, 11), date(2025, 6, 20))
    assert got["late June"] == (date(2025, 6, 21), date(2025, 6, 30))
    assert got["Friday the twenty-fifth"] == (date(2025, 4, 25),) * 2  # the month that puts the 25th on a Friday
    assert "may 26" not in {k.lower() for k in got if k != "May 26"}  # "may" the verb is no month
    # a weekday that no nearby month puts on that day is no date
    assert _dates("It stays open until Wednesday the twenty-fifth.") == {}
    # a report in December: "January 5" is next year's
    assert _dates("It will reopen on January 5.", datetime(2025, 12, 20, tzinfo=timezone.utc))["January 5"] == \
        (date(2026, 1, 5),) * 2


def test_a_reopening_date_that_moves_later_is_an_update_the_same_date_twice_agrees() -> None:
    arts = _arts("The bridge will close on April 14 and is due to reopen on May 26, the highways authority said.",
                 "\"We're aiming to reopen on the twenty-sixth of May,\" the engineer said.",
                 "The highways authority said on Thursday that the bridge would now reopen in mid-June.")
    [group] = _calendar_groups(arts)
    assert [v.value for v in group.values] == ["May 26", "the twenty-sixth of May", "mid-June"]
    assert group.kind == "update"
    # without the third report the two writings of one date agree
    [agree] = _calendar_groups(arts[:2])
    assert agree.kind == "agree"


def test_dates_of_different_events_are_not_compared() -> None:
    arts = _arts("The regional highways authority said the bridge will close from April 14.",
                 "The regional highways authority said the bridge would reopen in mid-June.")
    assert _calendar_groups(arts) == []
    # a dateline's date governs nothing
    arts = _arts("SARNICK, April 7 (CPA) - The bridge will reopen on May 26.",
                 "SARNICK, April 8 (CPA) - The bridge will reopen on May 26.")
    [group] = _calendar_groups(arts)
    assert [v.value for v in group.values] == ["May 26", "May 26"]


def test_two_reports_the_same_day_with_different_dates_are_a_dispute() -> None:
    arts = _arts("The bridge is due to reopen on May 26, the authority said.",
                 "The bridge is due to reopen on June 2, contractors said.", hours=2)
    [group] = _calendar_groups(arts)
    assert group.kind == "dispute"


def _clock(text: str) -> dict[str, tuple[float, float] | None]:
    art = Article("c", "t", text, "S", T0)
    return {f.text: value_interval(f) for f in extract_figures(art, split_sentences(text)) if f.category == "clock"}


def test_times_of_day_are_intervals_of_minutes() -> None:
    got = _clock("The blaze broke out shortly after 2am. Crews arrived at about 2.15am. The ship sank shortly "
                 "before midnight. The result came at 2.10am. Thieves struck between 1am and 3am. He is 2 metres "
                 "tall.")
    assert got == {"shortly after 2am": (120.0, 150.0), "about 2.15am": (120.0, 150.0),
                   "shortly before midnight": (1410.0, 1440.0), "2.10am": (130.0, 130.0),
                   "between 1am and 3am": (60.0, 180.0)}


def test_times_of_one_event_agree_or_update_and_other_events_are_apart() -> None:
    arts = _arts("The result was declared shortly after 2am, the returning officer said.",
                 "The result was declared at 2.10am.", hours=1)
    [group] = _calendar_groups_of(arts, "clock")
    assert group.kind == "agree"
    arts = _arts("The ferry is due to arrive at 3pm.", "The ferry is now due to arrive at 5pm, the operator said.")
    [group] = _calendar_groups_of(arts, "clock")
    assert group.kind == "update"
    arts = _arts("The fire broke out at 2am.", "Firefighters arrived at 4am.")
    assert _calendar_groups_of(arts, "clock") == []


def _calendar_groups_of(arts: list[Article], category: str):
    figs = [f for a in arts for f in extract_figures(a, split_sentences(a.text))]
    return [c for c in find_conflicts(figs, {a.id: a.text for a in arts}, dates={a.id: a.date for a in arts},
                                      include_agree=True) if c.category == category]


def test_a_time_of_day_with_any_white_space_before_am_or_pm_is_read() -> None:
    # a non-breaking or thin space before "p.m." (common in scraped copy) once failed an assertion and the view
    got = _clock("The vote closed at 5\u00a0p.m. on Tuesday. Polls opened at 7\u2009a.m.")
    assert got == {"5\u00a0p.m.": (1020.0, 1020.0), "7\u2009a.m.": (420.0, 420.0)}
