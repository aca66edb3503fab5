"""Quotes across a story: speakers resolved to the names the story gives them, attribution from the quote's own
sentence, direct and reported speech kept apart, quotes over sentence breaks, grouped by speaker."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from storyline.records import Article
from storyline.sentences import split_sentences
from storyline.settings import StoriesSettings
from storyline.stories.quotes import extract_quotes, resolve_speakers
from storyline.stories.view import build_view_from_articles

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
RULES = StoriesSettings(entities="rules")

FIRST = ("The Brenmoor Heritage Trust will close its riverside museum for a year, the trust's director, Helen Osei, "
         "said on Monday.\n\n"
         "\"We have no choice if we want the building to survive another winter,\" Osei said.\n\n"
         "The council leader, Marion Pike, said the closure was a blow to the town. \"It is a sad day for "
         "Brenmoor,\" she said.")
SECOND = ("The trust's director said the repairs would cost about 2 million crowns.\n\n"
          "“We will reopen, and we will reopen stronger,” said the director.")
THIRD = ("Critics were quick to respond. “This decision was rushed through without any public consultation,” the "
         "council leader, Marion Pike, told reporters, after the trust's director had spoken.")


def _story() -> list[Article]:
    return [Article(f"q{i}", "Museum to close", t, f"Outlet {i}", T0 + timedelta(hours=i))
            for i, t in enumerate((FIRST, SECOND, THIRD))]


def _view_quotes():
    return build_view_from_articles(_story(), story_id="s", settings=RULES).quotes


def _by_start(text: str):
    return {q.text[:20]: q for q in _view_quotes() if q.text[:20] == text[:20]}


def test_a_surname_and_a_role_resolve_to_the_name_the_story_gives() -> None:
    quotes = _view_quotes()
    osei = [q for q in quotes if q.speaker == "Helen Osei"]
    texts = {q.text for q in osei}
    assert "We have no choice if we want the building to survive another winter" in texts  # "Osei said"
    assert "the repairs would cost about 2 million crowns" in texts  # "The trust's director said"
    assert "We will reopen, and we will reopen stronger" in texts  # "said the director"
    written = {q.speaker_as_written for q in osei}
    assert {"Osei", "The trust's director"} <= written


def test_a_quote_is_credited_to_the_speaker_of_its_own_sentence() -> None:
    [q] = [q for q in _view_quotes() if q.text.startswith("This decision was rushed")]
    assert q.speaker == "Marion Pike" and q.kind == "direct"


def test_a_pronoun_is_the_person_named_last_before_it() -> None:
    [q] = [q for q in _view_quotes() if q.text.startswith("It is a sad day")]
    assert q.speaker == "Marion Pike" and q.speaker_mention == "she"


def test_direct_and_reported_speech_are_kept_apart() -> None:
    kinds = {q.text: q.kind for q in _view_quotes()}
    assert kinds["the closure was a blow to the town"] == "indirect"
    assert kinds["It is a sad day for Brenmoor"] == "direct"


def test_quotes_are_grouped_by_speaker() -> None:
    speakers = [q.speaker for q in _view_quotes()]
    seen: list[str | None] = []
    for s in speakers:
        if not seen or seen[-1] != s:
            assert s not in seen, speakers  # each speaker's quotes come together
            seen.append(s)


def test_a_quote_over_a_sentence_break_and_a_split_quote_keep_their_speaker() -> None:
    text = ("Fiona Castell, general secretary of the ferry workers' union, said: \"Our members have had enough. "
            "They will not sail for less.\"\n\n"
            "“We are ready to talk,” the union’s president, Ade Bello, said, “but not to give in.”")
    art = Article("x", "t", text, "S", None)
    quotes = resolve_speakers(extract_quotes(art, split_sentences(text)), [art])
    by = {q.text: q for q in quotes}
    assert by["Our members have had enough. They will not sail for less."].speaker == "Fiona Castell"
    assert by["We are ready to talk"].speaker == "Ade Bello"
    assert by["but not to give in."].speaker == "Ade Bello"
    # the split quote is one quote in two parts
    whole = text.index("We are ready"), text.index("give in.") + len("give in.")
    assert by["We are ready to talk"].part_of == by["but not to give in."].part_of == whole
    assert by["Our members have had enough. They will not sail for less."].part_of is None
    for q in quotes:
        assert text[q.start:q.end] == q.text


def test_short_quoted_words_count_only_when_someone_says_them() -> None:
    text = ("The museum's director, Jonathan Eberly, said staff were “heartbroken”. The ward has four extra "
            "“escalation” beds, the report shows. Progress Party chair Lionel Fenn said the party would “listen and "
            "learn”.")
    art = Article("x", "t", text, "S", None)
    quotes = {q.text: q.speaker for q in resolve_speakers(extract_quotes(art, split_sentences(text)), [art])}
    assert quotes.get("heartbroken") == "Jonathan Eberly"
    assert quotes.get("listen and learn") == "Lionel Fenn"
    assert "escalation" not in quotes


def test_single_curly_quotes_are_quotes_and_apostrophes_are_not_their_end() -> None:
    text = ("‘We don’t know yet how long the repairs will take,’ said Ann Lee, the council’s engineer. The "
            "ferry workers’ union said it was ‘deeply worried’ about the plans.")
    art = Article("x", "t", text, "S", None)
    quotes = {(q.text, q.kind): q.speaker for q in resolve_speakers(extract_quotes(art, split_sentences(text)), [art])}
    assert quotes[("We don’t know yet how long the repairs will take", "direct")] == "Ann Lee"
    assert ("deeply worried", "direct") in quotes


def test_where_something_was_said_is_not_part_of_what_was_said() -> None:
    text = ("The minister said in an interview with the BBC that the plan was dead. The union said in a letter to "
            "members on Friday that talks with the port had failed. The company said in a statement that it had made improvements.")
    art = Article("x", "t", text, "S", None)
    assert [(q.speaker, q.text, q.kind) for q in extract_quotes(art, split_sentences(text))] == [
        ("The minister", "the plan was dead", "indirect"), ("The union", "talks with the port had failed", "indirect"),
        ("The company", "it had made improvements", "indirect")]


def _speakers(*texts: str) -> dict[str, str | None]:
    arts = [Article(f"r{i}", "T", t, f"Outlet {i}", T0 + timedelta(hours=i)) for i, t in enumerate(texts)]
    quotes = [q for a in arts for q in extract_quotes(a, split_sentences(a.text))]
    return {q.text: q.speaker for q in resolve_speakers(quotes, arts)}


def test_bodies_named_by_a_generic_word_or_by_their_members() -> None:
    got = _speakers(
        "A fire broke out at the Orrin Textiles mill. The company said in a statement that its alarms had been "
        "tested last year. A company spokesman said the site would stay closed for a week.\n\n"
        "Organisers from the Stop Linden Cross campaign said more than 10,000 people had taken part.",
        "Organisers said more than 10,000 took part. Campaigners said the march had covered a long route. "
        "Castermere Police said 12 people were arrested. Officers estimated the size of the crowd at about "
        "3,000.\n\nThe Dockers' Union called the strike. Union leaders said they would recommend the deal to "
        "members.",
        "Seven hikers were found alive, mountain rescue officials said. Three of the hikers were taken to "
        "hospital, officials said.")
    got.update(_speakers("Verrin Energy wants to build the plant near the city. It says the plant would supply "
                         "power to 60,000 homes."))
    assert got["its alarms had been tested last year"] == "Orrin Textiles"  # the one business the story names
    assert got["the site would stay closed for a week"] == "spokesman for Orrin Textiles"
    assert got["more than 10,000 people had taken part"] == "Stop Linden Cross campaign"
    assert got["more than 10,000 took part"] == "Stop Linden Cross campaign"  # organisers of it, named elsewhere
    assert got["the march had covered a long route"] == "Stop Linden Cross campaign"  # campaigners of the campaign
    assert got["estimated the size of the crowd at about 3,000"] == "Castermere Police"
    assert got["they would recommend the deal to members"] == "Dockers' Union leaders"
    assert got["Three of the hikers were taken to hospital"] == "mountain rescue officials"
    assert got["the plant would supply power to 60,000 homes"] == "Verrin Energy"  # "It": the previous subject


def test_generic_words_stay_as_written_when_the_story_is_ambiguous() -> None:
    got = _speakers("Orrin Textiles signed a deal with Verrin Energy. The company said the deal was worth about "
                    "2 million crowns.\n\nOfficials said the road would reopen. Health officials said no one was "
                    "hurt. Fire officials said the cause was unknown.")
    assert got["the deal was worth about 2 million crowns"] == "company"  # two businesses, named alike
    assert got["the road would reopen"] == "Officials"  # two longer phrases end with "officials"
