"""Claims and agreements (storyline/stories/claims.py), boilerplate (boilerplate.py), latest and the headline in the
view: hand-made cases of each failure kind of issue 13."""

from __future__ import annotations

from datetime import datetime, timezone

from storyline.records import Article
from storyline.settings import StoriesSettings
from storyline.stories import build_view_from_articles
from storyline.stories.boilerplate import is_boilerplate, repeated_sentences
from storyline.stories.claims import claim_of, conflict

RULES = StoriesSettings(entities="rules")


def differ(a: str, b: str) -> str | None:
    return conflict(claim_of(a), claim_of(b))


def test_figures_about_the_same_thing_that_differ_do_not_agree():
    assert differ("About 8,000 litres of fuel leaked from the ship, the coastguard said.",
                  "Campaigners say as much as 12,000 litres of fuel leaked from the ship.")
    assert differ("Fourteen fire engines were sent to the scene.", "A dozen fire engines were at the scene.")
    # compatible: rounded vs exact, and a value matched under another noun
    assert differ("Nearly 40 people were injured in the blast.", "Thirty-seven people were injured in the blast.") \
        is None
    assert differ("Three workers were killed and nearly 20 people were injured in the fire.",
                  "Three people have died after the fire.") is None
    # dates, clock times, years and ages are not figures
    assert differ("TAMSFORD, March 3 (Wire) - The blaze broke out shortly after 2am at the mill.",
                  "Peter Haverley, 52, died in hospital in 2025 after the blaze at the mill.") is None


def test_negation_days_speakers_and_states():
    assert differ("The alarm system was working at the time.", "The alarm system was not working at the time.")
    # a negation elsewhere in the sentence does not touch the shared claim
    assert differ("Two workers were treated at the scene and no one else was hurt.",
                  "Two workers were treated at the scene.") is None
    assert differ("The deal was agreed on Friday.", "The deal was agreed on Thursday.")
    assert differ("The deal was agreed on Friday, officials said on Sunday.", "The deal was agreed on Friday.") is None
    assert differ("Ann Lee said the plan was fair.", "Bob Ray said the plan was fair.")
    assert differ("The road was closed on Tuesday.", "The road reopened on Tuesday.")
    assert differ("Norovirus is suspected.", "Health officials confirmed norovirus.")


def test_boilerplate_patterns_and_repeated_footers():
    for s in ("Read more at the Courier.", "This report first appeared in the Evening Post.",
              "Additional reporting by a news agency.", "Sign up for our morning newsletter.",
              "© 2025 Example Media. All rights reserved.", "Follow us for the latest updates on this story.",
              "Got a story?", "Share your views in the comments below.",
              "The station will have more on this story in its evening bulletin.",
              "This story is republished with permission from a wire service."):
        assert is_boilerplate(s), s
    for s in ("Residents were told to keep their windows closed.", "The council said it would read the report.",
              "NBC notes that the data provided by the CDC does not show it.", "Aid distributed by the UN arrived.",
              "Like the previous order, the moratorium comes from the CDC.",
              "Police followed the car for two miles before it crashed into a newsletter printing plant in the north "
              "of the town, witnesses said, and the driver was arrested at the scene."):
        assert not is_boilerplate(s), s
    docs = [("Herald", ["A fire broke out.", "Two were hurt.", "Thanks for reading the Herald."]),
            ("Herald", ["Talks opened.", "Unions want more.", "Thanks for reading the Herald."]),
            ("Post", ["Thanks for reading the Herald."])]
    assert repeated_sentences(docs) == {"thanks for reading the herald."}
    # the same body twice (an update, not a footer) is not boilerplate
    assert repeated_sentences([("H", ["A.", "B.", "C."]), ("H", ["A.", "B.", "C."])]) == set()


def _art(i: str, src: str, text: str, day: int, title: str = "Fire at the mill") -> Article:
    return Article(i, title, text, src, datetime(2025, 3, day, 8, tzinfo=timezone.utc))


def test_view_agreements_copies_boilerplate_unique_and_latest():
    wire = _art("w", "Wire", "Three workers were killed when a fire tore through a textile mill in Tamsford early on "
                "Monday. About 70 firefighters battled the blaze at the mill for five hours. Read more at the Wire.",
                3, "Three dead in Tamsford mill fire")
    copy = _art("c", "Courier", wire.text + " Sign up for the Courier newsletter.", 3, "Three dead in mill fire")
    other = _art("o", "Kestrel", "Three people were killed in a fire at a textile mill in Tamsford early on Monday. "
                 "Some 70 firefighters tackled the blaze at the mill. The mayor visited the scene in the afternoon.",
                 3, "Tamsford mill fire kills three")
    late = _art("l", "Herald", "The death toll from the fire at the textile mill in Tamsford has risen to four. "
                "The company said its fire safety equipment had been inspected last autumn.", 4,
                "Tamsford mill fire death toll rises to four")
    copies = [{"article_id": "c", "origin_id": "w", "relation": "copy", "similarity": 1.0}]
    view = build_view_from_articles([wire, copy, other, late], story_id="s", settings=RULES, copies=copies)
    d = view.to_dict()
    texts = [[(i["article_id"], i["relation"]) for i in g["items"]] for g in d["agreements"]]
    killed = next(g for g in d["agreements"] if "killed" in g["text"])
    assert {i["article_id"] for i in killed["items"]} >= {"w", "o"}
    assert ("c", "copy") in [(i["article_id"], i["relation"]) for i in killed["items"]]  # a carrier, marked
    assert killed["n_sources"] == 2  # the copy is no support of its own
    assert all(i["article_id"] != "l" for g in d["agreements"] for i in g["items"]), texts  # three vs four
    shown = [s["text"] for s in d["summary"]] + [e["text"] for s in d["summary"] for e in s["also_in"]]
    shown += [i["text"] for g in d["agreements"] for i in g["items"]] + [u["text"] for u in d["unique"]]
    assert not any("Read more" in t or "newsletter" in t for t in shown)
    assert {b["text"] for b in d["boilerplate"]} >= {"Read more at the Wire.", "Sign up for the Courier newsletter."}
    assert all(u["article_id"] != "c" for u in d["unique"])  # a copy's text is its origin's
    assert any("mayor" in u["text"] for u in d["unique"])
    assert all(e["article_id"] != "c" for s in d["summary"] for e in s["also_in"])
    latest = d["latest"]
    assert [a["id"] for a in latest["articles"]] == ["l"] and latest["new_sources"] == ["Herald"]
    assert any("risen to four" in x["text"] for x in latest["statements"])
    assert d["headline"] == "Tamsford mill fire death toll rises to four"
    for g in d["agreements"]:  # extractive: every item is a verbatim span
        for i in g["items"]:
            art = {"w": wire, "c": copy, "o": other, "l": late}[i["article_id"]]
            assert art.text[i["start"]:i["end"]] == i["text"]


def test_units_and_vague_amounts():
    assert differ("The weather service said 62 millimetres of rain fell on the town.",
                  "Nearly 80mm of rain fell on the town.")
    assert differ("Several thousand people marched through the city on Saturday.",
                  "Three people marched through the city on Saturday.")
    assert differ("Dozens of people were hurt in the crash.", "Forty people were hurt in the crash.") is None


def test_renderers_show_agreements_and_latest():
    from storyline.stories.render import to_html, to_markdown, to_rich

    a = _art("a", "Alpha", "Ten people were hurt when a bus hit a wall in Dunmore on Monday. The driver was arrested.",
             3, "Bus crash in Dunmore")
    b = _art("b", "Beta", "Ten people were hurt after a bus hit a wall in Dunmore on Monday. Roads were closed.", 3,
             "Ten hurt in Dunmore bus crash")
    c = _art("c", "Gamma", "The driver of the bus that crashed in Dunmore has been charged with dangerous driving.", 4,
             "Dunmore bus driver charged")
    view = build_view_from_articles([a, b, c], story_id="s", settings=RULES)
    assert view.agreements and view.latest is not None
    md, page = to_markdown(view), to_html(view)
    assert "## What independent sources agree on" in md and "## Latest" in md and "charged" in md
    assert "What independent sources agree on" in page and "Latest" in page
    assert to_rich(view)


def test_a_negated_subject_scopes_over_its_relative_clause():
    assert differ("Patients waiting for an operation will wait longer, the union says.",
                  "Nobody who is waiting for an operation will wait longer because of this.")


def test_bounds_units_and_no_one():
    # a lower bound reaches a little above its number; an upper bound a little below
    assert differ("A petition against the closure has gathered more than 2,000 signatures.",
                  "The petition against the closure had been signed by 2,350 signatures.") is None
    assert differ("A petition against the closure has gathered more than 2,000 signatures.",
                  "The petition against the closure had been signed by 4,000 signatures.")
    assert differ("Nearly 80mm of rain fell in 24 hours.", "62 millimetres of rain fell in 24 hours.")
    assert differ("The strike costs the company up to 5 million crowns a day.",
                  "The strike costs the company 4 million crowns a day.")
    # one length in two units
    assert differ("The march followed a two-mile route to the county hall.",
                  "The march covered a 3.2-kilometre route to the county hall.") is None
    assert differ("The march followed a two-mile route to the county hall.",
                  "The march covered a 5-kilometre route to the county hall.")
    # "no one" counts nothing
    assert claim_of("No one was taken to hospital.").numbers == ()
    assert claim_of("One of the crew was taken to hospital.").numbers == ()
    assert [n.value for n in claim_of("One man was taken to hospital.").numbers] == [1.0]


def test_one_person_quoted_saying_two_things_does_not_agree():
    assert differ('The museum’s director, Jonathan Ebright, said staff were “heartbroken”.',
                  '"We are devastated," said museum director Jonathan Ebright.')
    assert differ('“They dug in and kept each other warm,” he said.',
                  '“We dug a snow hole and kept each other warm,” she said.') is None
    # a quote on one side only is no evidence: the claim may be outside the quote
    assert differ('Robert Ingleby said the 4 per cent offer was "fair and affordable".',
                  "Aldric Harbour Holdings has offered 4 per cent.") is None


def test_a_rewritten_sentence_joins_the_claim_it_carries_not_a_group_of_its_own():
    from storyline.stories.align import align_sentences
    from storyline.stories.claims import agreement_groups

    origin = Article("o", "t", "Turnout was just over 41 per cent. The count ended at dawn.", "Wire", None)
    rewrite = Article("r", "t", "The swing was almost 5 per cent, on a turnout of just over 41 per cent. "
                      "The count ended at dawn.", "Herald", None)
    other = Article("x", "t", "Turnout was 41.3 per cent, down from 58 per cent.", "Post", None)
    al = align_sentences([origin, rewrite, other], settings=RULES)
    groups = agreement_groups(al, {"r": "rewrite"}, linkage=1.0)
    turnout = [g for g in groups if any(al.sentences[i].article_id == "x" for i in g)]
    assert turnout and any(al.sentences[i].text == "Turnout was just over 41 per cent." for i in turnout[0])
