"""Quotes and attributed statements, with the speaker when the text names one.

Rule based, over one article at a time; every quote's ``text`` is the verbatim span ``article.text[start:end]``:

- direct: text in quotation marks (“…”, "…") with an attribution next to it: ``“…,” the spokeswoman said``,
  ``“…,” added the spokeswoman``, ``“…,” he continued, “…”``, ``Haldane said: “…”``, or a speaker and a speech verb
  earlier in the same sentence (``Haldane said Ostrel was "ready to discuss numbers"``);
- indirect: ``State Department spokesman Ned Price informed on Thursday that …``, ``…, the official said.``;
- according_to: ``According to the State Department, …`` and ``…, according to US sources.``

A pronoun speaker (``he``, ``she``, ``they``) is resolved to the article's previous named speaker and the pronoun is
kept in ``speaker_mention``.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import replace
from typing import Any, Mapping, Sequence

from ..records import Article
from ..sentences import Sentence, split_paragraphs
from .model import Quote

__all__ = ["SpeakerIndex", "carry_copies", "extract_quotes", "group_by_speaker", "resolve_speakers"]

VERBS = (r"said|says|say|told|tells|added|adds|continued|stated|explained|noted|stressed|insisted|warned|asked|"
         r"announced|informed|confirmed|declared|argued|wrote|tweeted|replied|recalled|acknowledged|admitted|"
         r"conceded|cautioned|emphasi[sz]ed|urged|called|described|claimed|claims|promised|vowed|pledged|"
         r"predicted|appealed|saying|insists|warns|described|believes|expects|estimated|estimates|revealed|claim")
_VERB = re.compile(rf"\b(?:{VERBS})\b")
# a speaker before a quote of their words in the same sentence: the speech verbs, and verbs that quote what someone
# says of another ("X accused police of “deliberately underestimating” the turnout")
_HEAD_VERB = re.compile(rf"\b(?:{VERBS}|accused|accuses|accusing|criticised|criticized|condemned|dismissed)\b")
# words on a placard or banner are its holders' ("protesters holding placards reading “Save Ward 7”")
_PLACARD = re.compile(
    r"\b(?P<speaker>[a-z][\w’'-]+)\s+(?:who\s+(?:were|are)\s+)?(?:holding|carrying|waving|with|brandishing)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:placards?|banners?|signs?|posters?|flags?|t-shirts?)\s+"
    r"(?:reading|saying|that\s+read|which\s+read|bearing\s+the\s+words|with\s+the\s+words)\s*:?\s*[“\"]?$")
_PRONOUNS = {"he", "she", "they", "it", "we", "i"}
# “…”, "…" and (British style) ‘…’: a single opening mark after a space or an opening bracket/dash, closed by ’ that
# is not an apostrophe inside a word ("don’t") — a plural possessive ("workers’ pay") can still end it early
_QUOTE = re.compile(r"“([^“”]+)”|\"([^\"\n]+)\"|(?:(?<=^)|(?<=[\s(\[—–-]))‘([^‘’\n]+(?:’\w[^‘’\n]*)*)’(?!\w)")
# attribution right after a closing quote: ', the spokeswoman said' / ', said Ned Price' / ' he continued,'
_AFTER_SPEAKER_VERB = re.compile(
    rf"^\s*,?\s*(?P<speaker>(?:[\w'’.-]+\s+){{0,6}}?[\w'’.-]+)\s+(?:{VERBS})\b")
_AFTER_VERB_SPEAKER = re.compile(
    rf"^\s*,?\s*(?:{VERBS})\s+(?P<speaker>(?:the\s+|a\s+|an\s+)?(?:[\w'’.-]+\s+){{0,7}}?[\w'’.-]+?)"
    r"(?=\s*(?:[,.;:!?]|$|\s+(?:on|in|at|to|who|after|before|during|when|while|of)\b))")
# '“…,” the council leader, Marion Pike, told reporters': a speaker with an appositive after the quote
_AFTER_APPOSITIVE = re.compile(
    rf"^\s*,?\s*(?P<speaker>[^,.;:“”\"\n]{{2,60}},\s+[^,.;:“”\"\n]{{2,60}}),?\s+(?:{VERBS})\b")
# attribution right before an opening quote: 'Haldane said: “' / 'the minister said, "'
_BEFORE = re.compile(rf"(?P<speaker>(?:[\w'’.-]+\s+){{0,5}}?[\w'’.-]+)\s+(?:{VERBS})(?:\s+on\s+\w+)?\s*[:,]?\s*$")
# indirect speech
_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_PART_OF_DAY = r"(?:\s+(?:morning|afternoon|evening|night))?"
# verbs that report a clause without "that" ("X said the talks ended"); the others take an object as readily as a
# clause ("Brandt conceded the runoff", "Detectives asked the public for photos"), so they need "that"
BARE_VERBS = (r"said|says|say|stated|added|adds|explained|noted|stressed|insisted|argued|wrote|tweeted|replied|"
              r"reported")
_SPEAKER_NP = r"[^,;“”\"]{2,90}?(?:,\s+[^,;“”\"]{2,70}?,)?"  # "X" or "ROLE, NAME," / "NAME, ROLE,"
_SAYS_THAT = re.compile(
    rf"^(?:[A-Z][^,;“”\"]{{2,50}}?,\s+)??(?P<speaker>{_SPEAKER_NP})\s+(?:"
    rf"(?:{BARE_VERBS}|claimed|claims|claim|confirmed|warned)\s+(?:in|on|at)\s+(?:a|an|the|his|her|their|its)\s+"
    rf"(?:[\w-]+\s+){{0,2}}?(?:statement|letter|interview|post|briefing|press\s+conference|news\s+conference|speech|"
    rf"e-?mail|message|video|tweet|report)\b(?:\s+(?:with|to)\s+(?:[\w’'-]+\s+){{0,3}}?[\w’'-]+(?=\s+(?:on|that)\b))?"
    rf"(?:\s+on\s+\w+)?,?\s+(?:that\s+)?|"
    rf"(?:{BARE_VERBS})(?:\s+(?:(?:on|late on|early on)\s+\w+|{_WEEKDAYS}){_PART_OF_DAY})?\s+(?:that\s+)?|"
    rf"(?:told|tells)\s+(?:(?:reporters|journalists|supporters|the meeting|MPs|parliament)\b(?:[^,;“”\"]{{0,30}}?\s+"
    rf"that\b)?|[^,;“”\"]{{1,40}}?\s+that\b|(?:[a-z]+s|the\s+[a-z]+|[A-Z][\w’']+(?:\s+[A-Z][\w’']+){{0,2}})\s+"
    rf"(?=(?:it|he|she|they|we|the|a|an|there|this|no|all|its|their)\s))\s*|"
    rf"appeal(?:ed|s|ing)?\s+for\s+(?=\w+\s+(?:who|with|to)\b)|are\s+appealing\s+for\s+|"
    # a clause without "that" after a verb that also takes an object: a finite auxiliary within a few words says it
    # is a clause ("He confirmed a planning committee meeting had been set for …"; "Brandt conceded the runoff" is not)
    rf"(?:confirmed|announced|revealed|warned|claimed|claims|claim|predicted|admitted|acknowledged|conceded|"
    rf"believes|believe|estimated|estimates|fears|fear|feared)(?:\s+(?:on|late on|early on)\s+\w+)?\s+"
    rf"(?!(?:that|on|late|early|in|at|to|yesterday|today|{_WEEKDAYS})\b)(?=(?:(?!that\b)[\w’'-]+\s+){{1,6}}?"
    rf"(?:had|has|have|was|were|would|will|is|are|could|may|might|should|must|can)\s)|"
    rf"(?:expect|expects)\s+(?!(?:to|that)\b)(?=(?:[\w’'-]+\s+){{1,4}}?to\s+[a-z])|"
    rf"(?:{VERBS})(?:\s+(?:(?:on|late on|early on)\s+\w+|{_WEEKDAYS}){_PART_OF_DAY})?(?:\s+(?:reporters|journalists))?"
    rf"(?:,\s+however,)?"
    rf"\s+that\s+)"
    r"(?P<clause>\S.*?)[.!?]?$", re.DOTALL)
# a dateline before the first sentence: "TAMSFORD, March 3 (Meridian Wire) - "
_DATELINE = re.compile(r"^[A-Z][A-Z .’'-]+,\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}\s*(?:\([^)]{1,60}\))?\s*[-–—]\s+")
# reported speech after a quote's attribution: '“…,” a spokeswoman said, adding that the company was cooperating'
_ADDING = re.compile(r"^[^.!?“”\"]{0,80}?,\s+(?:adding|saying|insisting|warning|noting|arguing)\s+(?:that\s+)?"
                     r"(?P<clause>[^.!?“”\"]{8,})")
# an estimate attributed to its subject: "Police put the crowd at about 3,000", "Officers estimated the size of the
# crowd at about 3,000", "The campaign has put the figure at more than 10,000"
_ESTIMATE = re.compile(
    r"^(?P<speaker>[^,;“”\"]{2,60}?)\s+(?:(?:has|have|had)\s+)?(?P<clause>(?:put|puts|estimated|estimates|estimate|"
    r"valued|values|value)\s+(?:the|their|its|his|her)\s+(?:[a-z]+\s+){0,4}?(?:at)\s+\S.*?)[.!?]?$", re.DOTALL)
# a request or warning to someone: "Police have asked people not to travel to the area", "The park authority urged
# walkers to check weather forecasts" (the clause is the infinitive: what they are asked to do or not to do)
_URGED = re.compile(
    rf"^(?P<speaker>{_SPEAKER_NP})\s+(?:(?:has|have|had)\s+)?(?:also\s+)?(?:urged|urges|asked|asks|warned|warns|"
    rf"advised|advises|told|tells|called\s+on|calls\s+on|appealed\s+to|encouraged|reminded)\s+(?!for\b|about\b)"
    rf"(?:[\w’'-]+\s+){{1,3}}?(?P<clause>(?:not\s+)?to\s+[a-z]\S*\s.*?)[.!?]?$", re.DOTALL)
# inside a sentence, words someone is said to have said or estimated of a thing just named: "a petition she said
# had been signed by 2,350 people", "at a cost the school put at 6,500 crowns"
_CLAUSE_TAIL = r"(?:[^.;:!?“”\",]|,(?=\S)|\.(?=\w))+"  # "2,350", "U.S." inside
_SAID_RELATIVE = re.compile(
    r"\b(?P<speaker>he|she|they|[A-Z][a-z’'-]+(?:\s+[A-Z][a-z’'-]+)?)\s+(?:said|says|claimed|claims|believes|believed)"
    rf"\s+(?P<clause>(?:had|has|have|was|were|would|will|is|are|could|might)\s{_CLAUSE_TAIL})")
_PUT_AT_RELATIVE = re.compile(
    r"\b(?P<clause>(?:a|an)\s+[a-z]+\s+(?P<speaker>(?:the|its|their)\s+[a-z]+|[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,3})"
    rf"\s+(?:put|puts|estimated|estimates|valued|values)\s+(?:it\s+)?at\s{_CLAUSE_TAIL})")
_CLAUSE_WORD = re.compile(r"\s(?:after|before|when|as|since|because|if|while|come|comes|came|is|are|was|were)\s")
# a coordinated predicate: "Campaigners have launched a legal fund and say they have already raised …"
_AND_SAYS = re.compile(r",?\s+and\s+(?:also\s+)?(?=(?:say|says|said|told|tells|warned|warns|urged|urges|asked|asks|"
                       r"added|insisted|claimed|claim|claims|confirmed|announced)\b)")
_LEAD_AUX = re.compile(r"\s+(?:has|have|had|is|are|was|were|will|would|can|could|did|does|do)\s")
_AUXILIARY = re.compile(r"\s+(?:has|have|had)$", re.IGNORECASE)
_CLAUSE_SAID = re.compile(rf"^(?P<clause>.{{15,}}?),\s+(?P<speaker>[^,;“”\"]{{2,60}}?(?:,\s+[^,;“”\"]{{2,60}}?,)?)\s+"
                          rf"(?:{VERBS})"
                          r"(?:\s+(?:on|late on|early on)\s+\w+(?:\s+(?:morning|afternoon|evening|night))?)?"
                          r"(?:[.!?]?$|,\s+(?:and|but|with|as|while|although)\s)", re.DOTALL)
_ACCORDING_LEAD = re.compile(r"^According to (?P<speaker>[^,]{2,80}?),\s+(?P<clause>\S.*?)[.!?]?$", re.DOTALL)
_ACCORDING_TAIL = re.compile(r"^(?P<clause>.{15,}?),\s+according to (?P<speaker>[^,]{2,80}?)(?:[.!?]?$|,\s)",
                             re.DOTALL)
_TAIL_PUNCT = " \t\n,;:"
MIN_QUOTE_WORDS = 4  # shorter quoted strings ("frank") are scare quotes, not statements


def _speaker_ok(speaker: str) -> bool:
    words = speaker.split()
    if ("," in speaker or len(words) > 7) and 2 <= len(words) <= 16 and _person_in(speaker) \
            and words[-1].lower() not in _NOT_LAST:
        return True  # "The trust's chief executive, Ruth Anselm"; "Detective Chief Inspector Sunita Vale of … Police"
    if 7 < len(words) <= 14 and _long_np_ok(speaker):
        return True  # "Organisers of the protest against the Linden Cross incinerator"
    if not 1 <= len(words) <= 7:
        return False
    if words[-1].lower() in _NOT_LAST or ".." in speaker:
        # a coordinated predicate ("Daravia disputes the figures and says …"), an infinitive ("It's too early to
        # say"), a relative clause ("A doctor who wrote"), "… a statement that": the subject is somewhere before the
        # first verb, which these patterns cannot find; no attribution beats a wrong one
        return False
    low = speaker.lower()
    if words[0].lower() in ("and", "but", "or", "while", "as", "if", "when", "because", "although", "though",
                            "whereas"):
        return False  # a second clause, not its subject
    if words[0].lower() in _PRONOUNS:
        return len(words) == 1
    # a speaker is a name (capitalised word) or a role noun phrase ("the spokeswoman", "US officials")
    if any(w[0].isupper() for w in words):
        return not low.startswith(("if ", "when ", "as ", "but ", "and "))
    if low.startswith(("the ", "a ", "an ", "his ", "her ", "their ", "its ", "officials", "police", "witnesses",
                       "residents", "experts", "analysts", "investigators", "authorities", "organisers",
                       "organizers", "critics", "diplomats")):
        return True
    # a plural or role noun phrase without a determiner: "health officials", "fire investigators"
    last = words[-1].lower()
    return len(words) <= 4 and (last in _ROLE_NOUNS or (last.endswith("s") and not last.endswith("ss")
                                                         and last[:-1] + "s" == last and len(last) > 4))


_NP_BREAK = re.compile(r"\s+(?:of|from|at|for|with|in)\s+")
_NOT_IN_NP = frozenset("""is are was were be been has have had will would can could said says say told and or but who
    which that when while if because""".split())


def _long_np_ok(speaker: str) -> bool:
    """A long noun phrase as a speaker: a head of at most three words that names who (a capitalised name, a plural
    or a role noun) and a prepositional tail without a verb or a second clause."""
    parts = _NP_BREAK.split(speaker, maxsplit=1)
    if len(parts) < 2:
        return False
    head = _DET.sub("", parts[0]).split()
    if not 1 <= len(head) <= 3 or any(w.lower() in _NOT_IN_NP for w in speaker.split()):
        return False
    last = head[-1].lower()
    return all(w[:1].isupper() for w in head) or last in _ROLE_NOUNS or (last.endswith("s") and not last.endswith("ss")
                                                                         and len(last) > 4)


_ROLE_NOUNS = frozenset("""police officials spokesman spokeswoman spokesperson director officer minister leader
    chief secretary chair chairman president mayor manager coordinator organiser organizer expert analyst
    investigators agency council service union company government authority trust department""".split())
_NOT_LAST = frozenset({"and", "but", "or", "then", "to", "who", "which", "that", "amid",
                       # a negated verb ("X does not believe it can …") says the opposite of the clause
                       "not", "never", "does", "do", "did", "doesn't", "don't", "didn't", "doesn’t", "don’t", "didn’t",
                       # passive or copula before the verb ("X was told that …": X is who heard it, not who said it)
                       "is", "are", "was", "were", "be", "been", "being"})
# a newsletter label before the subject ("Driving the news: Mayorkas said …", "State of play: DHS said …")
_LABEL = re.compile(r"^[^:]{2,40}:\s+(?=\S)")
# when, and how, after the subject: "President Biden on Monday said", "Psaki explicitly said", "have long said"
_SPEAKER_TAIL = re.compile(
    r"(?:\s+(?:on|late on|early on)\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))?"
    r"(?:\s+(?:long|again|earlier|later|also|[a-z]+ly))?$")


def _strip_speaker(s: str) -> str:
    """The speaker without surrounding punctuation, a newsletter label before it, a day or adverb after it and a
    trailing auxiliary ("The association has" said)."""
    s = _LABEL.sub("", s.strip(" ,;:\n\t\xa0")).strip()
    s = re.sub(r",?\s+(?:which|who|whose)\s+[^,]*(?:,\s+and\s+(?:which|who)\s+[^,]*)?,?$", "", s).strip()  # ", which …,"
    s = _SPEAKER_TAIL.sub("", s).strip()
    return _AUXILIARY.sub("", s).strip()


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in _TAIL_PUNCT:
        a += 1
    while b > a and text[b - 1] in _TAIL_PUNCT:
        b -= 1
    return a, b


def _sentence_at(sentences: Sequence[Sentence], pos: int) -> Sentence | None:
    for s in sentences:
        if s.start <= pos < s.end:
            return s
    return None


def extract_quotes(article: Article, sentences: Sequence[Sentence]) -> list[Quote]:
    """All quotes and attributed statements of ``article`` (``sentences`` = its split sentences), in text order."""
    text = article.text
    out: list[tuple[int, Quote]] = []
    covered: list[tuple[int, int]] = []  # sentence spans already used by a direct quote
    direct_spans: list[tuple[int, int]] = []  # the direct quotes' own spans
    last_named: str | None = None

    def add(qa: int, qb: int, speaker: str | None, kind: str, sent: Sentence, mention: str | None = None) -> None:
        qa, qb = _trim(text, qa, qb)
        if qb - qa < 3:
            return
        last = _sentence_at(sentences, qb - 1)  # a quote of several sentences: its context spans them all
        s_end = max(sent.end, last.end if last is not None else qb)
        out.append((qa, Quote(text[qa:qb], speaker, article.id, article.source, qa, qb, kind, min(sent.start, qa),
                              s_end, mention)))

    for pa, pb in split_paragraphs(text):
        para = text[pa:pb]
        quotes = list(_QUOTE.finditer(para))
        pending: list[tuple[int, int, Sentence]] = []  # quotes waiting for a following attribution
        for k, m in enumerate(quotes):
            g = next(k for k in (1, 2, 3) if m.group(k) is not None)
            inner = m.group(g)
            ia = pa + m.start(g)
            ib = ia + len(inner)
            short = len(inner.split()) < MIN_QUOTE_WORDS
            placard = _PLACARD.search(para[max(0, m.start() - 120):m.start() + 1])
            if placard and _sentence_at(sentences, ia) is not None:
                sent = _sentence_at(sentences, ia)
                add(ia, ib, placard.group("speaker"), "direct", sent)
                direct_spans.append((ia, ib))
                continue
            if short and re.match(r"[\s’'”\"]*[a-z]", para[m.end():m.end() + 3]) and not re.match(
                    r"[\s’'”\"]*(?:and|but|or|as|when|while|after|he|she|they|said|says|adding|for|to|in|on|at|by|"
                    r"with|from|about|over|since)\b", para[m.end():]) and not re.search(
                    r"\b(?:of|was|were|is|are|be|been|being|as|called|calling|described|said|says|saying|that|it|"
                    r"them|him|her)\s*[“\"]?$", para[:m.start() + 1]):
                continue  # a short quoted word before a noun ("four extra “escalation” beds"): scare quotes
            sent = _sentence_at(sentences, ia) or _sentence_at(sentences, ia - 1)
            if sent is None:
                continue
            nxt_start = quotes[k + 1].start() if k + 1 < len(quotes) else len(para)
            after = para[m.end():nxt_start]
            speaker = None
            am = _AFTER_SPEAKER_VERB.match(after) or _AFTER_VERB_SPEAKER.match(after) or _AFTER_APPOSITIVE.match(after)
            if am and _speaker_ok(_strip_speaker(am.group("speaker"))) and "." not in after[: am.end()].strip():
                speaker = _strip_speaker(am.group("speaker"))
            if speaker is None:
                before = para[max(0, m.start() - 120):m.start()]
                bm = _BEFORE.search(before)
                if bm and _speaker_ok(_strip_speaker(bm.group("speaker"))):
                    speaker = _strip_speaker(bm.group("speaker"))
            if speaker is None:
                # a speaker and a speech verb earlier in the same sentence: 'Haldane said Ostrel was "ready …"'
                head = text[sent.start:pa + m.start()]
                vm = None
                for vm in _HEAD_VERB.finditer(head):
                    pass
                if vm is not None:
                    speaker = _subject(head[: vm.start()])
            if speaker is None:
                if not short:
                    pending.append((ia, ib, sent))
                continue
            for qa, qb, qs in pending:  # “…,” he continued, “…” — an attribution covers the quotes before it
                add(qa, qb, _resolve(speaker, last_named), "direct", qs, _mention(speaker))
            pending = []
            add(ia, ib, _resolve(speaker, last_named), "direct", sent, _mention(speaker))
            direct_spans.append((ia, ib))
            covered.append((sent.start, sent.end))
            adding = _ADDING.match(after)
            if adding:  # '“…,” a spokeswoman said, adding that the company was cooperating fully'
                ca = pa + m.end() + adding.start("clause")
                add(ca, ca + len(adding.group("clause")), _resolve(speaker, last_named), "indirect", sent,
                    _mention(speaker))
            if speaker.split()[0].lower() not in _PRONOUNS:
                last_named = speaker
        for qa, qb, qs in pending:
            # an unattributed quote right after an attribution clause of a previous quote in the paragraph
            prev = [q for a, q in out if pa <= a < qa]
            if prev:
                add(qa, qb, prev[-1].speaker, "direct", qs, prev[-1].speaker_mention)
                covered.append((qs.start, qs.end))
                direct_spans.append((qa, qb))

    for k, sent in enumerate(sentences):
        st = sent.text
        skip = 0
        if k == 0:
            dl = _DATELINE.match(st)
            if dl:  # the dateline is no part of what was said
                skip = dl.end()
                st = st[skip:]
        # a second attributed clause: "…, while Castermere Police estimate the crowd at around 3,000", "…, and
        # health officials have confirmed that norovirus is to blame"
        tails = [(0, 0, st)] + [(t.start(), t.end(), st[t.end():]) for t in _SECOND_CLAUSE.finditer(st)]
        n_before = len(out)
        found_at: list[tuple[int, tuple[int, int, str, str]]] = []
        for cut, off, part in tails:
            found = _reported(part, sent.start + skip + off)
            if found is not None:
                found_at.append((sent.start + skip + cut, found))
        for j, (_, (ca, cb, speaker, kind)) in enumerate(found_at):
            if _mostly_quoted(ca, cb, direct_spans):
                break  # the clause is a direct quote already listed
            if j and found_at[j - 1][1][2] == speaker and found_at[j - 1][1][1] >= cb:
                continue  # a second clause of the same speaker's words: part of the first
            if j + 1 < len(found_at) and ca < found_at[j + 1][0] < cb and found_at[j + 1][1][2] != speaker:
                cb = found_at[j + 1][0]  # "X claim that …, while Police estimate …": each says their own part
            add(ca, cb, *_speaker_of(speaker, last_named, sentences, k, kind, sent))
        if len(out) == n_before and not _mostly_quoted(sent.start, sent.end, direct_spans):
            # "X VERB … and say(s) …": the speaker is the subject of the first verb
            am = _AND_SAYS.search(st)
            subj = _lead_subject(st[: am.start()]) if am else None
            if am and subj:
                synth = subj + " " + st[am.end():]
                found = _reported(synth, 0)
                if found is not None and found[0] > len(subj):
                    ca, cb, speaker, kind = found
                    base = sent.start + skip + am.end() - len(subj) - 1
                    add(base + ca, base + cb, *_speaker_of(speaker, last_named, sentences, k, kind, sent))
        for pattern in (_SAID_RELATIVE, _PUT_AT_RELATIVE):
            for m in pattern.finditer(st):
                ca, cb = sent.start + skip + m.start("clause"), sent.start + skip + m.end("clause")
                if m.start() == 0 or len(m.group("clause").split()) < MIN_QUOTE_WORDS \
                        or any(q.start < cb and ca < q.end for _, q in out) or _mostly_quoted(ca, cb, direct_spans):
                    continue
                speaker = _strip_speaker(m.group("speaker"))
                add(ca, cb, *_speaker_of(speaker, last_named, sentences, k, "indirect", sent))
    out.sort(key=lambda x: x[0])
    return [q for _, q in out]


# between the parts of a split quote: the closing mark, the attribution, the opening mark ('," she said, "')
_SPLIT_GAP = re.compile(r"^[\s,.;:!?’'”\"]*[^“”\"\n.!?]{1,80}?[,:;]?\s*[“\"]\s*$")


def _join_split(quotes: list[Quote], text: str) -> list[Quote]:
    """Direct quotes of one speaker split by their attribution (“…,” she said, “…”) are joined: each part keeps its
    own span and gets ``part_of`` = the span from the first part's start to the last part's end."""
    out = list(quotes)
    k = 0
    while k < len(out):
        j = k
        while (j + 1 < len(out) and out[j].kind == "direct" and out[j + 1].kind == "direct"
               and out[j].speaker == out[j + 1].speaker and _SPLIT_GAP.match(text[out[j].end:out[j + 1].start])
               and _VERB.search(text[out[j].end:out[j + 1].start])):
            j += 1
        if j > k:
            span = (out[k].start, out[j].end)
            for x in range(k, j + 1):
                out[x] = replace(out[x], part_of=span)
        k = j + 1
    return out


_SECOND_CLAUSE = re.compile(r",\s+(?:and|but|while|whereas)\s+(?=[A-Za-z])")


def _reported(st: str, base: int) -> tuple[int, int, str, str] | None:
    """(start, end, speaker, kind) of the reported speech a sentence (or clause) ``st`` opens or closes with."""
    if True:
        for pattern, kind in ((_ACCORDING_LEAD, "according_to"), (_ACCORDING_TAIL, "according_to"),
                              (_CLAUSE_SAID, "indirect"), (_SAYS_THAT, "indirect"), (_URGED, "indirect"),
                              (_ESTIMATE, "indirect")):
            m = pattern.match(st)
            if not m:
                continue
            speaker = _strip_speaker(m.group("speaker"))
            if not _speaker_ok(speaker) or len(m.group("clause").split()) < MIN_QUOTE_WORDS:
                continue
            if kind == "indirect" and pattern is not _CLAUSE_SAID and speaker.split()[0].lower() in ("i", "we"):
                continue
            if pattern is _URGED and not _person_in(speaker) and (
                    len(speaker.split()) > 6 or _CLAUSE_WORD.search(speaker)):
                continue  # "The mass cancellations come after its pilots asked …": no subject of "asked"
            return base + m.start("clause"), base + m.end("clause"), speaker, kind
    return None


def _lead_subject(clause: str) -> str | None:
    """The subject of a clause's first verb, read without a parser: a leading run of capitalised words followed by
    a lower-case word ("Fernhill Primary School sent …"), else the words before an auxiliary among the first eight
    ("The district council has closed …", "Campaigners have launched …"); None when neither is a speaker."""
    clause = _LABEL.sub("", clause)  # "Driving the news: …"
    m = re.match(r"[A-Z][\w’'&.-]*(?:\s+(?:(?:of|and|for|&)\s+)?[A-Z][\w’'&.-]*)*(?=\s+[a-z])", clause)
    cand = m.group(0) if m and m.group(0).split()[0].lower() not in _NOT_NAME else None
    if cand is None:
        aux = _LEAD_AUX.search(" ".join(clause.split()[:8]) + " ")
        cand = " ".join(clause.split()[:8])[: aux.start()] if aux else None
    cand = _strip_speaker(cand) if cand else None
    if cand and cand.split()[0].lower().endswith("ing"):
        return None  # a participle opens the clause ("Speaking on Monday, …"): no subject here
    return cand if cand and len(cand.split()) <= 6 and _speaker_ok(cand) else None


def _speaker_of(speaker: str, last_named: str | None, sentences: Sequence[Sentence], k: int, kind: str,
                sent: Sentence) -> tuple[str | None, str, Sentence, str | None]:
    """(speaker, kind, sentence, mention) of a reported clause, as ``add`` takes them: a pronoun is kept as the
    mention; "it" is the organisation the previous sentence is about ("Verrin Energy wants to build … It says …"),
    else the previous named speaker."""
    low = speaker.lower()
    if low == "it" and k > 0:
        subj = _lead_subject(sentences[k - 1].text)
        if subj and subj[:1].isupper() and not _person_in(subj):
            return subj, kind, sent, speaker
    return _resolve(speaker, last_named), kind, sent, _mention(speaker)


def _subject(before_verb: str) -> str | None:
    """The speaker before a speech verb: the last comma part ("Later, the minister"), else an appositive of the last
    two or three ("Fiona Castellan, general secretary of the union," / "Speaking to reporters, the council leader,
    Marion Pike,")."""
    parts = before_verb.strip().rstrip(",").split(",")
    cand = _strip_speaker(parts[-1])
    if cand and _speaker_ok(cand):
        return cand
    for k in (2, 3):
        if len(parts) >= k:
            cand = _strip_speaker(",".join(parts[-k:]))
            if _person_in(cand) and len(cand.split()) <= 16:
                return cand
    return None


def _mostly_quoted(a: int, b: int, spans: Sequence[tuple[int, int]]) -> bool:
    inside = sum(max(0, min(b, y) - max(a, x)) for x, y in spans)
    return inside >= 0.6 * max(1, b - a)


def _mention(speaker: str) -> str | None:
    return speaker if speaker.lower() in _PRONOUNS else None


def _resolve(speaker: str, last_named: str | None) -> str | None:
    return last_named if speaker.lower() in _PRONOUNS else speaker


# -- speakers across a story --------------------------------------------------------------------------------------
# Titles and ranks before a name ("Professor Alina Brecht", "Detective Chief Inspector Sunita Vale"): dropped from
# the canonical name. Organisation and place words end names that are not people ("Ollindale Hospitals Trust").
_TITLES = frozenset(
    """mr mrs ms miss dr prof professor sir dame lady lord president vice gen general minister secretary
    spokesman spokeswoman spokesperson chief mayor governor senator rep judge king queen prince pope colonel captain
    commander lt sgt sergeant detective inspector superintendent constable officer chancellor premier ambassador
    envoy councillor councilor deputy assistant acting head rev reverend father sister brother bishop coach
    director manager chair chairman chairwoman leader headteacher headmaster headmistress principal organiser
    organizer executive founder owner editor analyst lecturer researcher economist scientist engineer lawyer
    attorney doctor nurse surgeon consultant coordinator campaigner activist resident parent pupil student
    witness member mp mep""".split())
_ORG_HEADS = frozenset(
    """department ministry agency council committee commission party union association federation university
    college institute bank company corporation corp inc ltd group press service services command army navy force
    forces police court parliament congress senate assembly office authority railways railway cooperative museum
    hospital hospitals school league club foundation organisation organization nations coalition alliance trust
    board campaign network centre center station society charity shipping holdings energy textiles packaging
    inspectorate federation wire news radio gazette herald courier lantern times post review observer ledger
    monitor daily agency council chamber""".split())
_PLACE_HEADS = frozenset(
    """river valley street road lane avenue bridge city county province region island mountains mountain lake sea
    bay port district square states kingdom republic estate fell park point cove sands strand hall terrace green
    gardens close way crescent drive hill heights common cross north south east west upper lower star""".split())
_NOT_NAME = frozenset(
    """the a an i we he she they it this that these those but and or if when while as after before on in at for
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december according however since last first police""".split())
_TITLES_OR_NOT_NAME = _TITLES | _NOT_NAME
_NAME_RUN = re.compile(r"[A-Z][a-z’'A-Z-]+(?:\s+[A-Z][a-z’'A-Z-]+){1,5}")
_CAP_RUN = re.compile(r"[A-Z][\w’'&-]*(?:\s+(?:(?:of|and|for|the|&)\s+)?[A-Z][\w’'&-]*)*")
# "the company" / "company spokesman": the business the story names (by the head of its name)
_GENERIC_BUSINESS = frozenset("company firm".split())
_BUSINESS_HEADS = frozenset("""company corporation corp inc ltd llc plc holdings shipping energy textiles packaging
    airlines airways motors foods pharmaceuticals technologies logistics industries""".split())
_PLURAL_ROLES = frozenset("leaders officials representatives members bosses executives".split())
_POLICE_MEMBERS = frozenset("officers detectives".split())  # not "investigators": fire, air-crash, … too
# a capitalised name with a lower-case organisation word after it: "the Stop Linden Cross campaign"
_NAMED_BODY = re.compile(r"(?<![\w’'])([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)\s+("
                         + "|".join(sorted(_ORG_HEADS)) + r")\b")
_MEMBERS_OF = re.compile(r"\b(?P<role>[A-Za-z][a-z]+[^s\W]s)\s+(?:from|of)\s+(?:the\s+)?(?P<body>[A-Z][\w’'-]*"
                         r"(?:\s+(?:of\s+|and\s+)?[A-Z][\w’'-]*)*(?:\s+[a-z]+)?)")
# words before an organisation that say when or whose, not which: "the latest council figures"
_QUALIFIERS = frozenset("latest new own official first early recent".split())
_ROLE_AFTER = re.compile(r",\s+((?:the\s+|a\s+)?[a-z][\w’' -]{2,60}?)(?:,|\s+(?:said|says|told))")
_ROLE_BEFORE = re.compile(r"\b([a-z][\w-]+(?:\s+[a-z][\w-]+)?)\s+$")
_DET = re.compile(r"^(?:the|a|an|its|their|his|her)\s+", re.IGNORECASE)


def _is_person_name(words: Sequence[str]) -> bool:
    low = [w.lower().strip("’'") for w in words]
    return (2 <= len(words) <= 3 and not any(w in _NOT_NAME or w in _ORG_HEADS or w in _PLACE_HEADS or w in _TITLES
                                                 for w in low)
            and not any(w.endswith(("’s", "'s")) for w in low))


def _person_in(speaker: str) -> str | None:
    """The person's name in a speaker phrase: "Professor Alina Brecht of Valecrest University" → "Alina Brecht",
    "Federation organiser Declan Moyes" → "Declan Moyes", "The trust's chief executive, Ruth Anselm" → "Ruth Anselm",
    "Daniel Marr, chief officer of Tamsford Fire and Rescue Service" → "Daniel Marr"."""
    for part in speaker.split(","):
        part = re.split(r"\s+(?:of|from|at|for|with)\s+", part.strip())[0]
        words = part.split()
        # the trailing run of capitalised words, without the titles before the name
        run: list[str] = []
        for w in reversed(words):
            if w[:1].isupper():
                run.insert(0, w)
            else:
                break
        while run and run[0].lower().strip(".") in _TITLES:
            run.pop(0)
        if _is_person_name(run):
            return " ".join(run)
    return None


class SpeakerIndex:
    """What a story's articles say about who is who, read from their texts (rules, no model):

    - people's full names (runs of two or three capitalised words that are no title, organisation or place), by
      surname ("Osei said" → Helen Osei);
    - roles given to a named person ("the trust's director, Helen Osei", "Daniel Marr, chief officer of …",
      "Chief executive Ruth Anselm") → role words → name;
    - organisations named in full ("Ollindale Hospitals Trust", "the regional public health agency"), by head noun
      ("the trust" → Ollindale Hospitals Trust; "police" → Morrowfield Police).
    """

    def __init__(self, articles: Sequence[Article]):
        self.surnames: dict[str, dict[str, int]] = {}
        self.roles: dict[str, dict[str, int]] = {}
        self.orgs: dict[str, dict[str, int]] = {}
        self.person_mentions: dict[str, list[tuple[int, str]]] = {}
        self.members: dict[str, dict[str, int]] = {}
        self._memo: dict[str, str] = {}
        for a in articles:
            text = a.text
            mentions: list[tuple[int, str]] = []
            for m in _NAME_RUN.finditer(text):
                if re.match(r"\s+(?:and|&)\s+[A-Z]", text[m.end():m.end() + 6]):
                    continue  # part of a longer name: "Tamsford Fire and Rescue Service"
                raw = m.group(0).split()
                words = raw
                while words and words[0].lower() in _TITLES_OR_NOT_NAME:
                    words = words[1:]
                if len(words) >= 3 and not _is_person_name(words) and _is_person_name(words[-2:]):
                    words = words[-2:]  # "Daravian Water Minister Irena Valcourt"
                if _is_person_name(words):
                    name = " ".join(words)
                    self.surnames.setdefault(words[-1], {}).setdefault(name, 0)
                    self.surnames[words[-1]][name] += 1
                    mentions.append((m.start(), name))
                    self._roles_around(text, m.start(), m.end(), name, len(raw) == len(words))
            self.person_mentions[a.id] = mentions
        # a surname alone is a mention too: "Osei said"
        unique = sorted(k for k in self.surnames if self._full(k))
        if unique:
            alone = re.compile(r"\b(" + "|".join(map(re.escape, unique)) + r")\b")
            for a in articles:
                mentions = self.person_mentions[a.id]
                mentions += [(m.start(), self._full(m.group(1)) or "") for m in alone.finditer(a.text)]
                mentions.sort()
        for a in articles:
            text = a.text
            # organisations: capitalised runs ending in an organisation word, and "the <modifiers> <org word>"
            for m in _CAP_RUN.finditer(text):
                words = m.group(0).split()
                if " of " in m.group(0) and words[0].lower().strip(".") in _TITLES:
                    words = m.group(0).rsplit(" of ", 1)[1].split()  # "Inspector Sunita Vale of Morrowfield Police"
                if len(words) >= 2 and words[-1].lower() in _ORG_HEADS:
                    while words and words[0].lower() in _NOT_NAME:
                        words = words[1:]
                    if len(words) >= 2:
                        name = " ".join(words)
                        self.orgs.setdefault(words[-1].lower(), {}).setdefault(name, 0)
                        self.orgs[words[-1].lower()][name] += 1
            for m in _NAMED_BODY.finditer(text):  # "the Stop Linden Cross campaign"
                # two capitalised words at least: "Counterterror police" opening a sentence names no body
                if len(m.group(1).split()) >= 2 and m.group(1).split()[0].lower() not in _NOT_NAME:
                    self.orgs.setdefault(m.group(2), {}).setdefault(m.group(0), 0)
                    self.orgs[m.group(2)][m.group(0)] += 1
            for m in _MEMBERS_OF.finditer(text):  # "Organisers from the Stop Linden Cross campaign"
                body = m.group("body")
                if body.split()[-1].lower() in _ORG_HEADS:
                    self.members.setdefault(m.group("role").lower(), {}).setdefault(body, 0)
                    self.members[m.group("role").lower()][body] += 1
            for m in re.finditer(r"\b[Tt]he\s+((?:[a-z][\w-]+\s+){1,3}([a-z]+))\b", text):
                if m.group(2) in _ORG_HEADS and not any(w in _NOT_NAME or w in ("of", "for", "to", "with")
                                                        for w in m.group(1).split()):
                    self.orgs.setdefault(m.group(2), {}).setdefault(m.group(1), 0)
                    self.orgs[m.group(2)][m.group(1)] += 1

    def _roles_around(self, text: str, start: int, end: int, name: str, bare: bool) -> None:
        """Roles the text gives a named person: "ROLE, NAME," / "NAME, ROLE," (or "NAME, ROLE said") / "ROLE
        NAME" ("chief executive Ruth Anselm")."""
        if bare and text[start - 2:start] == ", " and text[end:end + 1] == ",":
            seg = re.split(r"[.;:\n(“”\"]", text[max(0, start - 80):start - 2])[-1]
            words = seg.split()[-5:]
            if words and re.fullmatch(r"[a-z][\w-]+", words[-1]):
                self._role(" ".join(words), name)
        after = _ROLE_AFTER.match(text, end)
        if after:
            self._role(after.group(1), name)
        before = _ROLE_BEFORE.search(text, max(0, start - 40), start)
        if before:
            self._role(before.group(1), name)

    def _full(self, surname: str) -> str | None:
        names = self.surnames.get(surname)
        if names and len(names) == 1:
            return next(iter(names))
        if names:  # "Irena Valcourt" and "Wasserministerin Irena Valcourt": the name both end with
            short = min(names, key=len)
            if all(n.endswith(" " + short) or n == short for n in names):
                return short
        return None

    def _role(self, role: str, name: str) -> None:
        words = name.split()
        if not _is_person_name(words):
            return
        role = _DET.sub("", role.strip()).lower()
        role = re.sub(r"^.*(?:’s|'s)\s+", "", role)  # "trust's chief executive" → "chief executive"
        role = re.split(r"\s+(?:of|for|at|from|in)\s+", role)[0].strip()
        if not role or len(role.split()) > 4 or role.split()[-1] in _NOT_NAME:
            return
        self.roles.setdefault(role, {}).setdefault(name, 0)
        self.roles[role][name] += 1

    def nearest_person(self, article_id: str, pos: int) -> str | None:
        """The person named last before ``pos`` in the article."""
        mentions = self.person_mentions.get(article_id, ())
        k = bisect.bisect_left(mentions, (pos, ""))
        return mentions[k - 1][1] if k else None

    def canonical(self, speaker: str) -> str:
        """The name the story gives the speaker; else the phrase without its determiner."""
        if speaker not in self._memo:
            self._memo[speaker] = self._canonical(speaker)
        return self._memo[speaker]

    def _canonical(self, speaker: str) -> str:
        s = speaker.strip()
        person = _person_in(s)
        if person:
            return person
        bare = _DET.sub("", s)
        words = bare.split()
        if len(words) == 1 and words[0][:1].isupper():
            full = self._full(words[0])
            if full:
                return full
        low = bare.lower()
        if re.match(r"^[A-Z][\w-]+(?:’s|'s)\s+[a-z]", bare) and re.search(r"\b(?:" + "|".join(_ORG_HEADS) + r")\b", low):
            return re.sub(r"(?:’s|'s)\s", " ", bare, count=1)  # "Sarnick's chamber of trade"
        role = re.sub(r"^[\w’'-]+(?:’s|'s)\s+", "", low)
        role = re.split(r"\s+(?:of|for|at|from|in)\s+", role)[0].strip()
        if role in self.roles and len(self.roles[role]) == 1:
            return next(iter(self.roles[role]))
        member = re.match(r"^(?P<role>[a-z][\w-]*[^s]s)(?:\s+(?:from|of|at|with)\s+(?P<rest>.+))?$", low)
        if member:  # "Organisers from the Stop Linden Cross campaign", "campaigners", "officers" → the body
            rest = member.group("rest")
            if rest:
                body = self.canonical(s[len(s) - len(rest):])
                if body.split()[-1].lower() in _ORG_HEADS and body[:1].isupper():
                    return body
            body = self._member_org(member.group("role"))
            if body:
                return body
        # "the latest council figures" → the council: a body's figures are its word
        words = [w for w in re.sub(r"\s+(?:figures|figure|data|estimates?|statistics|readings|records)$", "",
                                   bare).split() if w.lower() not in _QUALIFIERS]
        low = " ".join(words).lower()
        head = words[-1].lower() if words else ""
        if len(words) == 2 and (words[0].lower() in self.orgs or words[0].lower() in _GENERIC_BUSINESS):
            org = self._org(words[0].lower(), [])
            if org and head in _ROLE_NOUNS and words[0].islower():
                return f"{words[1]} for {org}"  # "hospital spokesman" → "spokesman for Tamsford General Hospital"
            if org and head.endswith("s") and (head[:-1] in _ROLE_NOUNS or head in _PLURAL_ROLES):
                return f"{org} {words[1]}"  # "union leaders" → "Dockers' and Harbour Workers' Union leaders"
        if len(words) == 1 and head in _GENERIC_BUSINESS:
            org = self._org(head, [])
            if org:  # "the company" → the one business the story names
                return org
        if head in _ORG_HEADS and head in self.orgs and not any(w[:1].isupper() for w in words[:-1]) \
                or (len(words) == 1 and head in self.orgs):
            mods = [w for w in low.split()[:-1] if w not in _NOT_NAME and not w.endswith(("’s", "'s"))]
            org = self._org(head, mods, low)
            if org:
                return org
        return bare if bare else s

    def _org(self, head: str, mods: Sequence[str], low: str = "") -> str | None:
        """The organisation the story names in full with this head noun (and these modifiers), most mentioned; for
        "company" or "firm", the business the story names (one, or one named at least twice as often as any other)."""
        if head in _GENERIC_BUSINESS:
            cands = {n: c for h in _BUSINESS_HEADS for n, c in self.orgs.get(h, {}).items()}
            if not cands:
                return None
            ranked = sorted(cands.values(), reverse=True)
            if len(ranked) > 1 and ranked[0] < 2 * ranked[1]:
                return None
            return max(cands, key=lambda n: (cands[n], len(n)))
        cands = {n: c for n, c in self.orgs.get(head, {}).items()
                 if all(md in n.lower() for md in mods) and n.lower() != low}
        return max(cands, key=lambda n: (cands[n], len(n))) if cands else None

    def _member_org(self, role: str) -> str | None:
        """The body a plural role belongs to: the one the story attaches it to ("organisers from the Stop Linden
        Cross campaign"), the body its stem names ("campaigners" → the campaign), police ranks → the police."""
        bodies = self.members.get(role)
        if bodies and len(bodies) == 1:
            return next(iter(bodies))
        if role in _POLICE_MEMBERS:
            return self._org("police", [])
        for suffix in ("ers", "ors", "ists"):
            if role.endswith(suffix) and role[: -len(suffix)] in self.orgs:
                return self._org(role[: -len(suffix)], [])
        return None


def resolve_speakers(quotes: Sequence[Quote], articles: Sequence[Article]) -> list[Quote]:
    """Each quote's speaker as the story names them (``SpeakerIndex.canonical``): a surname, role or short
    organisation name becomes the full name given elsewhere in the story; a pronoun becomes the person named last
    before the quote in its article (else the previous speaker). The phrase as written stays in
    ``speaker_as_written``. Then the parts of a quote split by its attribution are joined (``part_of``)."""
    index = SpeakerIndex(articles)
    for q in quotes:  # a speaker's name is a mention of them where they speak ("Inspector Sunita Vale of … said")
        person = _person_in(q.speaker) if q.speaker and not q.speaker_mention else None
        if person:
            index.person_mentions.setdefault(q.article_id, []).append((q.sentence_start, person))
    for v in index.person_mentions.values():
        v.sort()
    out = []
    for q in quotes:
        written = q.speaker
        if q.speaker_mention and q.speaker_mention.lower() in ("he", "she"):  # a person: the one named last
            near = index.nearest_person(q.article_id, q.start)
            written = near or q.speaker
        if not written:
            out.append(q)
            continue
        name = index.canonical(written)
        as_written = q.speaker_mention or (q.speaker if q.speaker != name else None)
        out.append(replace(q, speaker=name, speaker_as_written=as_written))
    # a bare plural role ("officials said") is the one longer phrase of the story that ends with it ("mountain rescue
    # officials said" in the lead)
    longer: dict[str, set[str]] = {}
    for q in out:
        words = (q.speaker or "").split()
        if 1 < len(words) <= 4 and all(w.islower() for w in words) and words[-1].endswith("s"):
            longer.setdefault(words[-1], set()).add(q.speaker or "")
    for k, q in enumerate(out):
        if q.speaker and q.speaker.lower() in longer and " " not in q.speaker and len(longer[q.speaker.lower()]) == 1:
            out[k] = replace(q, speaker=next(iter(longer[q.speaker.lower()])),
                             speaker_as_written=q.speaker_as_written or q.speaker)
    texts = {a.id: a.text for a in articles}
    by_article: dict[str, list[int]] = {}
    for k, q in enumerate(out):
        by_article.setdefault(q.article_id, []).append(k)
    for aid, ks in by_article.items():
        ks.sort(key=lambda k: out[k].start)
        for k, q in zip(ks, _join_split([out[k] for k in ks], texts.get(aid, ""))):
            out[k] = q
    return out


def carry_copies(quotes: Sequence[Quote], copies: Sequence[Mapping[str, Any]]) -> list[Quote]:
    """A quote of a copy or rewrite (per the copies stage) with the same words as a quote of its origin (or of an
    earlier article, when the origin has none) is listed once, on that quote, with the copy in ``carriers``; the
    same words in independent reports are all kept."""
    origin_of = {str(c["article_id"]): str(c.get("origin_id")) for c in copies if c.get("relation") in ("copy", "rewrite")}
    if not origin_of:
        return list(quotes)
    key = lambda q: " ".join(q.text.split()).casefold()  # noqa: E731
    hosts: dict[str, list[int]] = {}
    out: list[Quote] = []
    carried: dict[int, list[dict[str, Any]]] = {}
    for q in quotes:
        k = key(q)
        if q.article_id in origin_of:
            cands = hosts.get(k, [])
            host = next((i for i in cands if out[i].article_id == origin_of[q.article_id]), None)
            if host is None:
                host = next((i for i in cands if (out[i].speaker or "") == (q.speaker or "")), None)
            if host is not None:
                carried.setdefault(host, []).append({"article_id": q.article_id, "source": q.source,
                                                     "start": q.start, "end": q.end})
                continue
        hosts.setdefault(k, []).append(len(out))
        out.append(q)
    return [replace(q, carriers=tuple(carried[i])) if i in carried else q for i, q in enumerate(out)]


def group_by_speaker(quotes: Sequence[Quote]) -> list[Quote]:
    """Quotes grouped by speaker (speakers in order of their first quote; unattributed last), each speaker's in
    their order."""
    first: dict[str, int] = {}
    for i, q in enumerate(quotes):
        first.setdefault((q.speaker or "").casefold(), i)
    return sorted(quotes, key=lambda q: (q.speaker is None, first[(q.speaker or "").casefold()]))
