"""Claim-level agreement rules (storyline/stories/claims.py) on hand-made sentences: figures per counted thing,
denied and partitive figures, changes of state, days, and how agreement groups link weak pairs and check members."""

from __future__ import annotations

from storyline.records import Article
from storyline.settings import StoriesSettings
from storyline.stories.align import align_sentences
from storyline.stories.claims import agreement_groups, claim_of, compatible, conflict

RULES = StoriesSettings(entities="rules")


def differ(a: str, b: str, *, strict: bool = True) -> str | None:
    return conflict(claim_of(a), claim_of(b), strict=strict)


def values(text: str) -> list[tuple[float, str]]:
    return [(round(n.value, 4), n.noun) for n in claim_of(text).numbers]


def test_and_a_half_is_read_with_its_number():
    assert values("It took crews five and a half hours to bring the fire under control.") == [(round(5.5 / 24, 4),
                                                                                                "time")]
    assert differ("Crews took more than five hours to bring the fire under control.",
                  "It took crews five and a half hours to bring the fire under control.") is None
    assert differ("Crews took four hours to bring the fire under control.",
                  "It took crews five and a half hours to bring the fire under control.")


def test_nouns_that_count_people_are_one_counted_thing():
    a, b = claim_of("About 60 workers were evacuated."), claim_of("Sixty-two staff were evacuated.")
    assert a.numbers[0].noun == b.numbers[0].noun == "people"
    assert compatible(a.numbers[0], b.numbers[0]) and conflict(a, b) is None
    assert differ("About 400 residents were evacuated from their homes.",
                  "More than 550 people were evacuated from their homes.")
    # short plurals are folded: "beds" and "24-bed" count one thing
    assert claim_of("The ward has 28 beds.").numbers[0].noun == claim_of("It is a 24-bed ward.").numbers[0].noun


def test_a_figure_per_counted_thing_differs_even_when_another_thing_matches_its_value():
    # 24 is matched by "24 lockers", yet the beds differ: 24 against 28
    assert differ("The 24-bed ward with 30 cots would close.", "Closing the ward would remove 28 beds and 24 lockers.")
    assert differ("The 24-bed ward would close.", "The 24-bed ward would close in November.") is None


def test_a_figure_right_after_not_is_denied_not_stated():
    assert values("Closing the ward would remove 28 beds, not the 24 claimed by managers.") == [(28.0, "bed")]
    assert differ("Under the plans, the 24-bed ward would close.",
                  "Closing the ward would remove 28 beds, not the 24 claimed by managers.")
    # a negation elsewhere leaves figures alone
    assert values("No one was hurt when 14 crew were taken off the ship.") == [(14.0, "people")]


def test_the_whole_in_a_part_of_the_whole_is_not_a_claim():
    assert values("Nine of the ship's 14 crew were taken off by lifeboat.") == [(9.0, "people")]
    assert differ("Nine of the ship's 14 crew were taken off by lifeboat.", "All 14 crew members are safe.")
    assert differ("Nine of the ship's 14 crew were taken off by lifeboat.",
                  "Nine crew members were taken off by lifeboat overnight.") is None


def test_a_sentence_naming_both_states_of_a_change_ends_in_the_second():
    missing = "Rescue teams are searching for seven hikers who are missing on the fell."
    found = "Seven hikers who had been missing on the fell since Friday have been found alive."
    assert differ(missing, found)
    assert differ(found, "The seven hikers were found alive in a snow hole.") is None
    # a change still to come says the first state holds now: a school that will reopen is closed
    assert differ("The school will be closed until Thursday for a deep clean.",
                  "The school will reopen on Thursday after a deep clean.") is None
    assert differ("The school will stay shut for a deep clean.",
                  "The school, which has been closed since Monday, is due to reopen after a deep clean.") is None
    assert differ("The school stayed shut for a deep clean.", "The school reopened after a deep clean.")
    assert differ("The flood warning remains in force.", "The flood warning was lifted on Monday evening.")
    assert differ("The flood warning remains in force.", "The flood warning is expected to be lifted.") is None
    # rose … fell is no change from one to the other
    assert differ("Prices rose in May and fell in June.", "Prices fell in June.") is None


def test_states_are_read_from_lower_case_words_only():
    # "Carrow Fell" names a hill; it reports no fall
    assert claim_of("Seven hikers were found on Carrow Fell.").states == \
        claim_of("Seven hikers were found on the hill.").states


def test_a_day_after_told_is_kept_unless_it_is_when_it_was_said():
    assert "tuesday" in claim_of("The school told parents it would stay shut on Tuesday.").days
    assert claim_of("The head told reporters on Monday that the school would reopen.").days == frozenset()


def test_figures_of_another_kind_are_no_contradiction_inside_a_group_but_no_evidence_for_a_link():
    a = "Some 70 firefighters tackled the blaze."
    b = "It took crews five and a half hours to bring the fire under control."
    assert differ(a, b)  # as a link: the figures share no value
    assert differ(a, b, strict=False) is None  # as a member: they count different things
    assert differ("Some 70 firefighters tackled the blaze.", "About 90 firefighters tackled the blaze.",
                  strict=False)


def _groups(texts: dict[str, tuple[str, str]], **kw) -> list[set[str]]:
    arts = [Article(k, "t", text, src, None) for k, (src, text) in texts.items()]
    al = align_sentences(arts, settings=RULES)
    return [{al.sentences[i].article_id for i in g} for g in agreement_groups(al, {}, **kw)]


def test_a_weak_pair_that_shares_names_but_not_what_is_said_of_them_does_not_link():
    texts = {"a": ("Wire", "Aldric Harbour Holdings and the Dockers Union meet at the Conciliation Service today."),
             "b": ("Post", "Aldric Harbour Holdings has offered the Dockers Union a bonus.")}
    assert _groups(texts, linkage=1.0) == [{"a", "b"}]  # aligned on the names alone
    assert _groups(texts, linkage=1.0, min_shared=0.2, strong=0.9) == []
    # a strong pair links without the share of words
    assert _groups(texts, linkage=1.0, min_shared=0.2, strong=0.1) == [{"a", "b"}]


def test_copies_carry_an_agreement_but_do_not_make_one():
    same = "About 70 firefighters battled the blaze at the textile mill on Monday night."
    arts = [Article("o", "t", same, "Wire", None), Article("c", "t", same, "Herald", None)]
    al = align_sentences(arts, settings=RULES)
    assert agreement_groups(al, {"c": "copy"}, linkage=1.0) == []
    assert agreement_groups(al, {}, linkage=1.0) == [[0, 1]]


def test_several_dozen_is_a_range():
    assert differ("About 40 people were injured.", "Several dozen people were injured.") is None
    assert differ("About 20 people were injured.", "Several dozen people were injured.")


def test_a_weak_pair_that_gives_one_figure_for_one_thing_links_without_the_share_of_words():
    texts = {"a": ("Wire", "Health Watch started a petition, which has gathered more than 2,000 signatures."),
             "b": ("Post", "Health Watch chair Patricia Lomond handed over a petition signed by 2,350 people.")}
    assert _groups(texts, linkage=1.0, min_shared=0.9, strong=0.9) == [{"a", "b"}]
    texts["b"] = ("Post", "Health Watch chair Patricia Lomond handed over a petition signed by 3,350 people.")
    assert _groups(texts, linkage=1.0, min_shared=0.9, strong=0.9) == []


def test_two_speakers_attributing_one_figure_to_one_thing_state_one_fact():
    a = "Workers will receive a 6.5% pay rise over two years, the Conciliation Service said."
    b = "The Dockers' Union said the agreement gives a 6.5 per cent pay rise over two years."
    assert differ(a, b) is None
    assert differ("The plan will fail, Councillor Ann Reyes said.", "The plan will work, Mayor Tom Hale said.")


def test_the_day_of_a_change_to_come_is_not_the_day_the_claim_is_about():
    shut = "The school sent pupils home on Monday and will stay shut on Tuesday and Wednesday."
    due = "The school, which has been closed since Monday lunchtime, is due to reopen on Thursday."
    assert claim_of(due).planned_days == frozenset({"thursday"}) and claim_of(due).days == frozenset()
    assert differ(shut, due) is None
    assert differ(due, "The school is due to reopen on Friday after a deep clean.")
    assert differ("The school was shut on Tuesday.", "The school was shut on Friday.")


def test_words_shared_only_in_a_relative_clause_do_not_make_a_weak_pair_agree():
    texts = {"a": ("Wire", "Ollindale's member of the national assembly, Tobias Renwick, called the closure "
                           "a mistake."),
             "b": ("Post", "Tobias Renwick, who represents Ollindale in the national assembly, said he would raise "
                           "the decision next week.")}
    # the only plain words in common ("national", "assembly") say who Renwick is, not what he did
    assert _groups(texts, linkage=1.0, min_shared=0.2, strong=1.0, background=False) == [{"a", "b"}]
    assert _groups(texts, linkage=1.0, min_shared=0.2, strong=1.0) == []
    # the same words in the sentence's own clause still count
    texts["b"] = ("Post", "Tobias Renwick said the national assembly would debate the closure, a mistake he opposes.")
    assert _groups(texts, linkage=1.0, min_shared=0.2, strong=1.0) == [{"a", "b"}]


def test_the_core_of_a_sentence_leaves_out_its_relative_clauses_only():
    from storyline.stories.claims import core_of

    core = core_of("Verrin Energy says the plant, which would cost about $40 million, is needed.")
    assert "cost" not in core.plain and "need" in core.plain and "plant" in core.plain
    # a restrictive clause ("the trust that runs …") and a plain comma are the sentence's own
    assert "runs" in core_of("The trust that runs two hospitals, the papers show, is in deficit.").plain
    assert core_of("The ship, a bulk carrier, ran aground.") == claim_of("The ship, a bulk carrier, ran aground.")
    # a thousands separator does not end the clause ("which would burn 350,000 tonnes of waste a year,")
    assert core_of("The plant, which would burn 350,000 tonnes of waste a year, is needed.").plain == {"plant", "need"}


def test_a_figure_on_one_side_only_asks_for_a_larger_share_of_words():
    lead = ("About 60 workers were evacuated and two people were treated for minor injuries after a fire broke out at "
            "a packaging factory in Brackwater on Tuesday, the fire service said.")
    texts = {"a": ("Wire", lead),
             "b": ("Post", "A fire that forced the evacuation of a packaging factory in Brackwater on Tuesday was "
                           "probably caused by an overheating plastics extruder.")}
    # a third of the plain words in common (read with every clause): enough for a pair, not when only one side gives
    # figures (its figures are what it says; the other sentence says something else about the same factory)
    assert _groups(texts, linkage=1.0, min_shared=0.2, background=False) == [{"a", "b"}]
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4, background=False) == []
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4) == []
    texts["b"] = ("Post", "Workers were evacuated from the packaging factory in Brackwater after the fire broke out.")
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4) == [{"a", "b"}]


def test_a_change_word_that_modifies_a_noun_reports_no_change():
    search = "Mountain rescue teams are searching for seven hikers who have been missing since Friday."
    assert differ(search, "Seven hikers who had been missing since Friday have been found alive.")
    assert differ(search, "Mountain rescue teams are still searching for the seven hikers missing since "
                          "Friday.") is None
    # a participle before a noun and a state before a preposition are read as before
    assert differ("The rescued hikers were taken to hospital.", "The hikers are still missing.")
    assert differ("The rest centre will remain open until Friday.", "The rest centre has closed.")


def test_a_pair_whose_words_are_all_in_the_other_joins_a_group_without_complete_linkage():
    texts = {"a": ("Wire", "The coast road between Alby and Brant was closed on Monday after a landslide buried both "
                           "lanes near the quarry."),
             "b": ("Post", "The coast road is still closed."),
             "c": ("Herald", "The coast road remains closed, and drivers are being told to use the inland route.")}
    # a and c are not aligned: complete linkage keeps c out of {a, b}; b says nothing c does not, so the link is
    # strong enough on its own when no pair of the two groups contradicts
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4) == [{"b", "c"}]
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4, link_shared=1.0) == [{"a", "b", "c"}]
    # one word of b that c does not say ("lorries"): the link is no longer strong
    texts["b"] = ("Post", "The coast road is still closed to lorries.")
    assert len(_groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4, link_shared=1.0)) == 1
    assert {"a", "b", "c"} not in _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4, link_shared=1.0)
    # the strong link does not override a contradiction of another member ("reopened" against "closed")
    texts["b"] = ("Post", "The coast road is still closed.")
    texts["a"] = ("Wire", "The coast road between Alby and Brant was reopened on Monday after a landslide was cleared "
                          "from both lanes near the quarry.")
    assert {"a", "b", "c"} not in _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4, link_shared=1.0)


def test_an_adverbial_clause_is_a_circumstance_not_the_claim():
    from storyline.stories.claims import core_of, main_of

    walkout = "About 300 nurses walked out on Monday after rejecting a pay offer of 3 per cent."
    assert core_of(walkout).plain == {"nurs", "walk"} and [n.value for n in main_of(walkout).numbers] == [300]
    assert [n.value for n in main_of("Some 900 dockers are on strike, demanding a 9% rise.").numbers] == [900]
    assert "deficit" not in core_of("The trust plans to close a ward as it tries to cut a deficit.").plain
    # a noun phrase after "after" (a time, a cause) and "according to" stay: they are not read as clauses
    assert "clean" in core_of("The school will reopen after a deep clean.").plain
    assert [n.value for n in main_of("Some 40 people were hurt, according to 12 witnesses.").numbers] == [40, 12]
    # the offer is what "has offered 3%" says, and only a circumstance of the walkout: no agreement between them
    texts = {"a": ("Wire", walkout), "b": ("Post", "The hospital group has offered 3%.")}
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4, background=False) == [{"a", "b"}]
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4) == []
    texts["c"] = ("Herald", "Some 300 nurses have been on strike since Monday.")
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4) == [{"a", "c"}]


def test_a_figure_in_an_adverbial_clause_is_not_what_the_sentence_states():
    from storyline.stories.claims import main_of

    def differ_main(x: str, y: str) -> str | None:
        return conflict(claim_of(x), claim_of(y), main=(main_of(x), main_of(y)))

    close = "The council will close the Harlow pool to swimmers for eight weeks from June 3 for repairs."
    repairs = "The repairs, costing nearly 2 million crowns, will begin on June 3."
    assert differ(close, repairs) == "figures: no value in common"
    assert differ_main(close, repairs) is None
    # figures of one counted thing are still compared, in the clause or not
    assert differ_main("A storm hit the coast on Monday, killing 12 people.",
                       "A storm hit the coast on Monday, killing 20 people.")
    assert differ_main("About 300 nurses walked out after rejecting an offer of 3 per cent.",
                       "Some 300 nurses are on strike, demanding 8 per cent.")
    texts = {"a": ("Wire", close), "b": ("Post", repairs)}
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4) == [{"a", "b"}]


def test_a_figure_only_in_a_relative_clause_between_commas_is_background():
    from storyline.stories.claims import main_of, stated_of

    needed = ("The council says the pool, which would cost 8 million crowns and create 40 jobs, is needed because "
              "the old baths will shut by 2030.")
    assert [n.value for n in stated_of(needed).numbers] == []
    assert len(main_of(needed).numbers) == 2  # the strict figure test still reads them
    # a relative clause that ends the sentence continues it: its figure is stated
    backed = "Members backed the agreement, which gives a 6.5 per cent pay increase."
    assert [n.value for n in stated_of(backed).numbers] == [6.5]
    # the 40 jobs are background of "the pool is needed": no figure in common, one side with figures only
    texts = {"a": ("Wire", "The council says the new pool would create 40 jobs in the town."),
             "b": ("Post", needed)}
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4, background=False) == [{"a", "b"}]
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4) == []


def test_a_restrictive_relative_clause_on_the_subject_is_not_the_claim():
    from storyline.stories.claims import core_of

    lead = "A freight train that derailed near Corby on Sunday has spilled about 9,000 litres of fuel oil, police said."
    assert "derail" not in core_of(lead).plain and "spill" in core_of(lead).plain
    # "that" after a verb of saying opens a complement, not a relative clause: kept
    assert "derail" in core_of("The operator said that the train derailed on a bend near Corby.").plain
    assert "built" in core_of("The paper understands that the defences promised in 2019 were never built.").plain
    # the words the two sentences share are in the clause that names the train, not in what is said of it
    texts = {"a": ("Wire", lead), "b": ("Post", "The freight train derailed near Corby just after dawn on Sunday.")}
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4, background=False) == [{"a", "b"}]
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4) == []


def test_a_relative_clause_opened_by_where_is_background():
    from storyline.stories.claims import core_of

    fire = "The blaze broke out at the Delby textile mill on Monday, where a night shift of about 30 staff was working."
    assert "shift" not in core_of(fire).plain and "blaz" in core_of(fire).plain
    # the words shared with the other sentence ("working"/"workers") are in the clause that places the mill
    texts = {"a": ("Wire", fire),
             "b": ("Post", "The woman had been among the workers rescued from the Delby textile mill on Monday.")}
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4, background=False) == [{"a", "b"}]
    assert _groups(texts, linkage=1.0, min_shared=0.2, one_sided=0.4) == []


def test_an_opinion_is_not_the_decision_it_asks_for():
    wish = "Mayor Ellis said a later bus service during the works would help."
    decided = "The council has agreed to pay for a later bus service during the works."
    assert differ(wish, decided) == "an opinion against a statement"
    assert differ("Residents urged the council to run a later bus service.", decided)
    # advice on both sides is one claim; advice in a later clause leaves the first a statement
    assert differ("Children who have been ill should stay at home for 48 hours.",
                  "Parents have been told to keep children at home for 48 hours.") is None
    assert differ("The coast road remains closed, and drivers are being told to use the inland route.",
                  "The coast road is still closed.") is None
    # a quoted opinion is what someone said, not the sentence's mood
    assert differ('"The council should have acted sooner," Ellis said of the flooding.',
                  "Ellis said the council acted too late on the flooding.") is None


def test_percentages_of_different_things_are_not_one_figure():
    assert [n.of for n in claim_of("The union rejected a pay offer of 4 per cent.").numbers] == ["offer"]
    walkout = "About 900 union members walked out after rejecting a pay offer of 4 per cent."
    # an offer and a demand are two things: the 900 strikers are the claim both state
    assert differ(walkout, "Around 900 dockers are on strike, demanding a 9% pay increase.", strict=False) is None
    # a share of the same thing, or of a thing not read, is still one figure
    assert differ("The union rejected a pay offer of 4 per cent.", "The union rejected a pay offer of 5 per cent.")
    assert differ(walkout, "Some 900 dockers are on strike, demanding 9 per cent.", strict=False)


def test_weekdays_are_compared_with_weekdays_and_dates_with_dates():
    assert differ("Some 900 dockers walked out last Wednesday.", "Some 900 dockers have been on strike since May 7.") \
        is None
    assert differ("The dockers walked out on Wednesday.", "The dockers walked out on Thursday.")
    assert differ("The dockers walked out on May 7.", "The dockers walked out on May 8.")


def test_a_compatible_figure_of_one_counted_thing_and_a_shared_word_link_a_paraphrase_the_aligner_misses():
    texts = {"a": ("Wire", "About 60 workers were evacuated from a packaging factory in Brackwater after a fire broke "
                           "out on Tuesday night."),
             "b": ("Post", "Sixty-two staff were evacuated from the Delmont site on Harbour Street."),
             "c": ("Herald", "Some 60 employees had to leave the Brackwater packaging factory in the early hours.")}
    arts = [Article(k, "t", text, src, None) for k, (src, text) in texts.items()]
    al = align_sentences(arts, settings=RULES)
    ids = [s.article_id for s in al.sentences]
    assert al.lexical_scores[ids.index("a"), ids.index("b")] < RULES.align_lexical_threshold  # a paraphrase
    kw = dict(linkage=1.0, min_shared=0.2, one_sided=0.4)
    assert _groups(texts, **kw) == [{"a", "c"}]
    # b shares "evacuated" with a and 62 people with 60; c ("had to leave") shares only the figure with b, which
    # counts as aligned for the complete-linkage test
    assert _groups(texts, **kw, same_figure=True) == [{"a", "b", "c"}]
    # a figure that is not compatible, or no word in common but the counted noun, is no link
    texts["b"] = ("Post", "Forty-five staff were evacuated from the Delmont site on Harbour Street.")
    assert _groups(texts, **kw, same_figure=True) == [{"a", "c"}]
    texts["b"] = ("Post", "Sixty-two staff were on shift at the Delmont site on Harbour Street.")
    assert _groups(texts, **kw, same_figure=True) == [{"a", "c"}]
