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

import re
from typing import Sequence

from ..records import Article
from ..sentences import Sentence, split_paragraphs
from .model import Quote

__all__ = ["extract_quotes"]

VERBS = (r"said|says|say|told|tells|added|adds|continued|stated|explained|noted|stressed|insisted|warned|asked|"
         r"announced|informed|confirmed|declared|argued|wrote|tweeted|replied|recalled|acknowledged|admitted|"
         r"conceded|cautioned|emphasi[sz]ed|urged")
_VERB = re.compile(rf"\b(?:{VERBS})\b")
_PRONOUNS = {"he", "she", "they", "it", "we", "i"}
_QUOTE = re.compile(r"“([^“”]+)”|\"([^\"\n]+)\"")
# attribution right after a closing quote: ', the spokeswoman said' / ', said Ned Price' / ' he continued,'
_AFTER_SPEAKER_VERB = re.compile(
    rf"^\s*,?\s*(?P<speaker>(?:[\w'’.-]+\s+){{0,6}}?[\w'’.-]+)\s+(?:{VERBS})\b")
_AFTER_VERB_SPEAKER = re.compile(
    rf"^\s*,?\s*(?:{VERBS})\s+(?P<speaker>(?:the\s+|a\s+|an\s+)?(?:[\w'’.-]+\s+){{0,5}}?[\w'’.-]+?)"
    r"(?=\s*(?:[,.;:!?]|$|\s+(?:on|in|at|to|who|after|before|during|when|while|of)\b))")
# attribution right before an opening quote: 'Haldane said: “' / 'the minister said, "'
_BEFORE = re.compile(rf"(?P<speaker>(?:[\w'’.-]+\s+){{0,5}}?[\w'’.-]+)\s+(?:{VERBS})(?:\s+on\s+\w+)?\s*[:,]?\s*$")
# indirect speech
# verbs that report a clause without "that" ("X said the talks ended"); the others take an object as readily as a
# clause ("Brandt conceded the runoff", "Detectives asked the public for photos"), so they need "that"
BARE_VERBS = r"said|says|say|stated|added|adds|explained|noted|stressed|insisted|argued|wrote|tweeted|replied"
_SAYS_THAT = re.compile(
    rf"^(?P<speaker>[^,;“”\"]{{2,60}}?)\s+(?:(?:{BARE_VERBS})(?:\s+(?:on|late on|early on)\s+\w+)?\s+(?:that\s+)?|"
    rf"(?:{VERBS})(?:\s+(?:on|late on|early on)\s+\w+)?(?:\s+(?:reporters|journalists))?\s+that\s+)"
    r"(?P<clause>\S.*?)[.!?]?$", re.DOTALL)
_AUXILIARY = re.compile(r"\s+(?:has|have|had)$", re.IGNORECASE)
_CLAUSE_SAID = re.compile(rf"^(?P<clause>.{{15,}}?),\s+(?P<speaker>[^,;“”\"]{{2,60}}?)\s+(?:{VERBS})"
                          r"(?:\s+on\s+\w+)?[.!?]?$", re.DOTALL)
_ACCORDING_LEAD = re.compile(r"^According to (?P<speaker>[^,]{2,80}?),\s+(?P<clause>\S.*?)[.!?]?$", re.DOTALL)
_ACCORDING_TAIL = re.compile(r"^(?P<clause>.{15,}?),\s+according to (?P<speaker>[^,]{2,80}?)[.!?]?$", re.DOTALL)
_TAIL_PUNCT = " \t\n,;:"
MIN_QUOTE_WORDS = 4  # shorter quoted strings ("frank") are scare quotes, not statements


def _speaker_ok(speaker: str) -> bool:
    words = speaker.split()
    if not 1 <= len(words) <= 7:
        return False
    if words[-1].lower() in _NOT_LAST or ".." in speaker:
        # a coordinated predicate ("Daravia disputes the figures and says …"), an infinitive ("It's too early to
        # say"), a relative clause ("A doctor who wrote"), "… a statement that": the subject is somewhere before the
        # first verb, which these patterns cannot find; no attribution beats a wrong one
        return False
    low = speaker.lower()
    if words[0].lower() in _PRONOUNS:
        return len(words) == 1
    # a speaker is a name (capitalised word) or a role noun phrase ("the spokeswoman", "US officials")
    if any(w[0].isupper() for w in words):
        return not low.startswith(("if ", "when ", "as ", "but ", "and "))
    return low.startswith(("the ", "a ", "an ", "his ", "her ", "their ", "officials", "police", "witnesses",
                           "residents", "experts", "analysts", "investigators", "authorities", "organisers",
                           "organizers", "critics", "diplomats"))


_NOT_LAST = frozenset({"and", "but", "or", "then", "to", "who", "which", "that", "amid",
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
            inner = m.group(1) if m.group(1) is not None else m.group(2)
            ia = pa + m.start(1 if m.group(1) is not None else 2)
            ib = ia + len(inner)
            if len(inner.split()) < MIN_QUOTE_WORDS:
                continue
            sent = _sentence_at(sentences, ia) or _sentence_at(sentences, ia - 1)
            if sent is None:
                continue
            nxt_start = quotes[k + 1].start() if k + 1 < len(quotes) else len(para)
            after = para[m.end():nxt_start]
            speaker = None
            am = _AFTER_SPEAKER_VERB.match(after) or _AFTER_VERB_SPEAKER.match(after)
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
                for vm in _VERB.finditer(head):
                    pass
                if vm is not None:
                    cand = _strip_speaker(head[: vm.start()].split(",")[-1])
                    if _speaker_ok(cand):
                        speaker = cand
            if speaker is None:
                pending.append((ia, ib, sent))
                continue
            for qa, qb, qs in pending:  # “…,” he continued, “…” — an attribution covers the quotes before it
                add(qa, qb, _resolve(speaker, last_named), "direct", qs, _mention(speaker))
            pending = []
            add(ia, ib, _resolve(speaker, last_named), "direct", sent, _mention(speaker))
            covered.append((sent.start, sent.end))
            if speaker.split()[0].lower() not in _PRONOUNS:
                last_named = speaker
        for qa, qb, qs in pending:
            # an unattributed quote right after an attribution clause of a previous quote in the paragraph
            prev = [q for a, q in out if pa <= a < qa]
            if prev:
                add(qa, qb, prev[-1].speaker, "direct", qs, prev[-1].speaker_mention)
                covered.append((qs.start, qs.end))

    for sent in sentences:
        if any(a <= sent.start < b for a, b in covered) or "“" in sent.text or '"' in sent.text:
            continue
        st = sent.text
        for pattern, kind in ((_ACCORDING_LEAD, "according_to"), (_ACCORDING_TAIL, "according_to"),
                              (_CLAUSE_SAID, "indirect"), (_SAYS_THAT, "indirect")):
            m = pattern.match(st)
            if not m:
                continue
            speaker = _strip_speaker(m.group("speaker"))
            if not _speaker_ok(speaker) or len(m.group("clause").split()) < MIN_QUOTE_WORDS:
                continue
            if kind == "indirect" and pattern is _SAYS_THAT and speaker.split()[0].lower() in _PRONOUNS:
                continue
            add(sent.start + m.start("clause"), sent.start + m.end("clause"), _resolve(speaker, last_named), kind,
                sent, _mention(speaker))
            break
    out.sort(key=lambda x: x[0])
    return [q for _, q in out]


def _mention(speaker: str) -> str | None:
    return speaker if speaker.lower() in _PRONOUNS else None


def _resolve(speaker: str, last_named: str | None) -> str | None:
    return last_named if speaker.lower() in _PRONOUNS else speaker
