"""Reported speech: which sentences are quotes, and who the speaker is (review findings)."""

from __future__ import annotations

from storyline.records import Article
from storyline.sentences import split_sentences
from storyline.stories.quotes import extract_quotes, resolve_speakers


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
    # a request to someone ("urged staff to work from home") is what they were asked to do; an object alone
    # ("conceded the … runoff", "asked the public for photographs") is no reported speech
    assert _quotes(text) == [("Several large employers", "to work from home for the rest of the week"),
                             ("The minister", "the budget would not cover the repairs this year")]


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
    # the subject of the first verb says it ("Daravia"), not the words before "says"
    assert _quotes(text) == [("Daravia", "its own gauges show a sharp fall"),
                             ("The ministry and the federation", "the canals would be cleaned before the summer")]


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


def test_requests_coordinated_predicates_and_clauses_without_that() -> None:
    text = ("Police have asked people not to travel to the area. The park authority urged walkers to carry maps and "
            "warm clothes. "
            "Fernhill Primary School sent children home on Monday and told parents it would stay shut on Tuesday. "
            "Campaigners have launched a legal fund and say they have already raised 85,000 crowns. "
            "He confirmed a planning committee meeting had been set for July. "
            "Port managers expect it to take about ten days to clear the queue.")
    assert _quotes(text) == [
        ("Police", "not to travel to the area"),
        ("The park authority", "to carry maps and warm clothes"),
        ("Fernhill Primary School", "it would stay shut on Tuesday"),
        ("Campaigners", "they have already raised 85,000 crowns"),
        (None, "a planning committee meeting had been set for July"),  # "he", no one named before it
        ("Port managers", "it to take about ten days to clear the queue"),
    ]


def test_words_said_of_a_thing_just_named_and_placards_and_accusations() -> None:
    text = ("Health Watch chair Patricia Lomond handed the board a petition she said had been signed by 2,350 "
            "people. Contractors cleaned every classroom, at a cost the school put at 6,500 crowns. "
            "The meeting was interrupted by protesters holding placards reading \"Save Ward 7\". "
            "The coordinator, Hannah Prewitt, accused police of \"deliberately underestimating\" the turnout.")
    got = {t: s for s, t in _quotes(text)}
    art = Article("a-q", "T", text, "S", None)
    resolved = {q.text: q for q in resolve_speakers(extract_quotes(art, split_sentences(text)), [art])}
    assert resolved["had been signed by 2,350 people"].speaker == "Patricia Lomond"  # "she": the one named last
    assert resolved["had been signed by 2,350 people"].speaker_mention == "she"
    assert got["a cost the school put at 6,500 crowns"] == "the school"
    assert got["Save Ward 7"] == "protesters"
    assert got["deliberately underestimating"] == "Hannah Prewitt"
    # a short quoted word before a noun stays a scare quote
    assert _quotes("The ward has four extra \"escalation\" beds open, the union said.") == [
        ("the union", "The ward has four extra \"escalation\" beds open")]


def test_each_speaker_of_two_clauses_keeps_their_own_words() -> None:
    text = ("Organisers of the protest against the Linden Cross incinerator claim that over 10,000 people joined "
            "the march, while Castermere Police estimate the crowd at around 3,000.")
    assert _quotes(text) == [
        ("Organisers of the protest against the Linden Cross incinerator", "over 10,000 people joined the march"),
        ("Castermere Police", "estimate the crowd at around 3,000")]
    # a long phrase with a verb in it is no speaker
    assert _quotes("The march set off from Abbey Green at noon and followed a route that organisers said was "
                   "two miles long.") == []


def test_a_bare_weekday_after_the_verb_is_no_part_of_the_clause_and_no_false_subjects() -> None:
    assert _quotes("The Court of Appeals said Thursday it will allow the law to stay in force.") == [
        ("The Court of Appeals", "it will allow the law to stay in force")]
    assert _quotes("Drugmaker Merck confirmed Friday that its experimental pill halved hospital admissions.") == [
        ("Drugmaker Merck", "its experimental pill halved hospital admissions")]
    # a clause opening with a verb of its own is no subject for "asked" ("come after its pilots asked …"), nor a
    # newsletter label or a participle for a coordinated "and said"
    assert _quotes("The mass cancellations come after its pilots asked a federal court to block the mandate.") == []
    assert _quotes("Driving the news: Speaking to donors, officials outlined the plan and said costs would rise.") \
        == []


def test_a_negated_verb_reports_nothing_and_a_part_of_the_day_is_no_part_of_the_clause() -> None:
    assert _quotes("The intelligence community does not believe it can resolve the debate soon.") == []
    assert _quotes("A Central Command spokesperson said Friday evening an additional service member had died.") == [
        ("A Central Command spokesperson", "an additional service member had died")]
