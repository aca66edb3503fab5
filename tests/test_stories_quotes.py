"""Reported speech: which sentences are quotes, and who the speaker is (review findings)."""

from __future__ import annotations

from storyline.records import Article
from storyline.sentences import split_sentences
from storyline.stories.quotes import extract_quotes


def _quotes(text: str) -> list[tuple[str | None, str]]:
    art = Article("a-q", "T", text, "S", None)
    out = []
    for q in extract_quotes(art, split_sentences(text)):
        assert text[q.start:q.end] == q.text  # every quote is a verbatim span
        out.append((q.speaker, q.text))
    return out


def test_verbs_that_take_an_object_are_reported_speech_only_with_that() -> None:
    text = ("Independent candidate Oskar Brandt conceded the Brennick mayoral runoff on Monday, congratulating his "
            "rival. Detectives have asked the public for photographs or videos of the area. Several large employers "
            "urged staff to work from home for the rest of the week. The minister conceded that the budget would "
            "not cover the repairs this year.")
    assert _quotes(text) == [("The minister", "the budget would not cover the repairs this year")]


def test_bare_reporting_verbs_and_auxiliaries() -> None:
    text = ("The mayor said the bridge would reopen next month after repairs. The Castrano Rail Signal Staff "
            "Association has said that the strike will continue for a week. Officials told reporters that the "
            "water level was falling slowly.")
    assert _quotes(text) == [
        ("The mayor", "the bridge would reopen next month after repairs"),
        ("The Castrano Rail Signal Staff Association", "the strike will continue for a week"),
        ("Officials", "the water level was falling slowly"),
    ]


def test_a_coordinated_predicate_is_not_taken_for_the_speaker() -> None:
    text = ("Daravia disputes the figures and says its own gauges show a sharp fall. The ministry and the "
            "federation said the canals would be cleaned before the summer.")
    assert _quotes(text) == [("The ministry and the federation", "the canals would be cleaned before the summer")]


def test_the_speaker_is_the_subject_without_labels_days_and_adverbs() -> None:
    # phrasings from allsides-2021 excerpts that gave speakers like "Driving the news: Mayorkas" or
    # "Texas Gov. Greg Abbott on Wednesday formally"
    text = ("Driving the news: Mayorkas said the department would focus on employers who hire workers illegally. "
            "Texas Gov. Greg Abbott on Wednesday formally announced that the state will build its own border wall. "
            "Progressive lawmakers have long said they would not vote for the bill without the other one. "
            "It is still too early to say how much jeopardy either bill is in this week. "
            "The senator was told that the vote would be delayed until the end of the month. "
            "The high murder rate continued into 2021, although the pace has slowed this year.")
    assert _quotes(text) == [
        ("Mayorkas", "the department would focus on employers who hire workers illegally"),
        ("Texas Gov. Greg Abbott", "the state will build its own border wall"),
        ("Progressive lawmakers", "they would not vote for the bill without the other one"),
    ]


def test_markdown_output_cannot_be_turned_into_links_or_html_by_source_text() -> None:
    from storyline.stories import build_view_from_articles
    from storyline.settings import StoriesSettings
    from storyline.stories.render import to_markdown

    body = ("The council met on Monday to approve a budget of 12 million dollars for repairs. "
            "Officials said the [repairs](javascript:alert(1)) would start in <b>May</b> and take `three` months.")
    arts = [Article("a-m1", "[Click](javascript:alert(1)) budget approved", body, "Wire A", None),
            Article("a-m2", "Budget approved", body.replace("Monday", "Tuesday"), "Wire B", None)]
    md = to_markdown(build_view_from_articles(arts, story_id="s-md", settings=StoriesSettings(entities="rules")))
    assert "](javascript:" not in md.replace("\\](", "")
    assert "<b>" not in md
    assert "\\[Click\\]" in md


def test_figures_far_apart_are_not_reports_of_one_quantity() -> None:
    from storyline.stories.figures import find_conflicts, extract_figures

    a = Article("a-c1", "Count", "Counting in all 86 polling districts was finished on Monday night.", "A", None)
    b = Article("a-c2", "Recount", "The losing candidate asked for a recount in two polling districts on Monday.",
                "B", None)
    c = Article("a-c3", "Count", "Counting in all 84 polling districts was finished on Monday night.", "C", None)
    figs = [f for art in (a, b, c) for f in extract_figures(art, split_sentences(art.text))]
    texts = {art.id: art.text for art in (a, b, c)}
    [conflict] = find_conflicts(figs, texts)
    assert sorted(v.article_id for v in conflict.values) == ["a-c1", "a-c3"]  # 86 vs 84; never 86 vs two
