"""Make labelled copies and rewrites from any JSONL corpus, for ``storyline eval-dedup``.

Each input record ``{"id", "cluster", "date", "source", "title", "text"}`` may get (seeded, random):

- a **copy**: 1–3 of boilerplate added (dateline, agency credit, newsletter/copyright lines), a sentence dropped,
  a few words changed (deleted, typo, a number changed), truncated to 55–90 % of its words with an ellipsis, the
  title kept or suffixed with the outlet;
- a **rewrite**: synonyms and phrase paraphrases (``in order to`` → ``to``, ``5 percent`` → ``5%``, ``said on
  Monday`` → ``On Monday, … said``), sentences reordered (the lead usually stays first), merged (``, and``) or
  split (``, which`` → ``. It``), and a re-worded title; emitted only when at least 15 % of the *content* words of
  title + body (stopwords excluded, :data:`~storyline.copies.text.STOPWORDS`) were replaced or removed — otherwise it
  would be a copy under another name. (Until 2024-06 the share counted all body tokens, so dropping two ``the``/
  ``that`` and one synonym in a 20-word lead, with the title untouched, passed as a "rewrite".)

The output record carries the truth in ``gen`` (``{"of", "relation", "ops"}``); the evaluation strips it before the
classifier sees a record. Generated records are dated a few hours after their original and credited to a generated
outlet, so provenance has a right answer.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..sentences import split_sentences
from .text import STOPWORDS

__all__ = ["GeneratorConfig", "generate", "make_copy", "make_rewrite", "read_jsonl"]

_BOILER_PREFIX = ["WASHINGTON (AP) — ", "LONDON (Reuters) - ", "NEW YORK — ", "(CNN) ", "BERLIN, Oct 9 (dpa) - "]
_BOILER_SUFFIX = [
    "Copyright 2021 The Associated Press. All rights reserved. This material may not be published, broadcast, "
    "rewritten or redistributed.",
    "Reporting by Jane Doe; Editing by Sam Holmes.",
    "Sign up for our morning newsletter to get the day's top stories in your inbox.",
    "Follow us on Twitter and Facebook for the latest updates.",
    "This story has been updated with additional details.",
]
_SYNONYMS = {
    "said": ["stated", "noted", "explained"], "says": ["states", "notes"], "told": ["informed"],
    "announced": ["revealed", "unveiled"], "reported": ["disclosed"], "claimed": ["alleged", "asserted"],
    "big": ["large", "major"], "large": ["big", "sizable"], "small": ["minor", "modest"], "major": ["key", "big"],
    "new": ["fresh", "latest"], "important": ["key", "crucial"], "key": ["central", "crucial"],
    "help": ["assist", "aid"], "helped": ["assisted", "aided"], "start": ["begin", "launch"],
    "started": ["began", "launched"], "begin": ["start", "commence"], "end": ["conclude", "finish"],
    "ended": ["concluded", "finished"], "show": ["indicate", "reveal"], "showed": ["indicated", "revealed"],
    "shows": ["indicates", "reveals"], "use": ["employ", "utilize"], "used": ["employed", "utilized"],
    "buy": ["purchase", "acquire"], "bought": ["purchased", "acquired"], "get": ["obtain", "receive"],
    "got": ["obtained", "received"], "give": ["provide", "grant"], "gave": ["provided", "granted"],
    "make": ["create", "produce"], "made": ["created", "produced"], "need": ["require"], "needs": ["requires"],
    "try": ["attempt", "seek"], "tried": ["attempted", "sought"], "plan": ["proposal", "scheme"],
    "plans": ["intends", "proposals"], "meeting": ["talks", "gathering"], "talks": ["discussions", "negotiations"],
    "meet": ["hold talks with", "sit down with"], "met": ["held talks with", "sat down with"],
    "people": ["individuals", "persons"], "country": ["nation"], "countries": ["nations"], "nation": ["country"],
    "government": ["administration", "authorities"], "officials": ["representatives", "leaders"],
    "official": ["representative", "spokesperson"], "leader": ["head", "chief"], "leaders": ["heads", "chiefs"],
    "president": ["head of state"], "law": ["legislation", "statute"], "bill": ["legislation", "measure"],
    "rule": ["regulation"], "rules": ["regulations"], "company": ["firm", "business"], "firm": ["company"],
    "companies": ["firms", "businesses"], "money": ["funds", "cash"], "cost": ["price", "expense"],
    "costs": ["expenses"], "increase": ["rise", "growth"], "increased": ["rose", "grew"], "rise": ["increase"],
    "rose": ["climbed", "increased"], "fell": ["dropped", "declined"], "drop": ["decline", "fall"],
    "decrease": ["decline", "reduction"], "cut": ["reduce", "slash"], "cuts": ["reductions"],
    "fight": ["battle", "struggle"], "attack": ["assault", "strike"], "attacks": ["assaults", "strikes"],
    "killed": ["slain"], "died": ["passed away", "perished"], "hurt": ["injured", "wounded"],
    "injured": ["hurt", "wounded"], "arrested": ["detained", "taken into custody"], "police": ["law enforcement"],
    "case": ["matter"], "cases": ["instances"], "court": ["tribunal"], "judge": ["justice"],
    "ruled": ["decided", "determined"], "decision": ["ruling", "verdict"], "agreement": ["deal", "accord"],
    "deal": ["agreement", "pact"], "vote": ["ballot"], "voted": ["cast ballots"], "voters": ["the electorate"],
    "election": ["vote", "poll"], "campaign": ["drive", "effort"], "effort": ["attempt", "push"],
    "efforts": ["attempts", "initiatives"], "issue": ["matter", "question"], "issues": ["matters", "concerns"],
    "problem": ["difficulty", "challenge"], "problems": ["difficulties", "challenges"],
    "concerns": ["worries", "fears"], "warned": ["cautioned"], "urged": ["called on", "pressed"],
    "asked": ["requested", "called on"], "expected": ["anticipated", "projected"], "likely": ["probably"],
    "however": ["but", "nevertheless"], "also": ["additionally", "as well"], "about": ["roughly", "around"],
    "many": ["numerous", "a lot of"], "several": ["a number of", "various"], "some": ["certain"],
    "because": ["since", "as"], "after": ["following"], "before": ["prior to", "ahead of"],
    "during": ["throughout", "in the course of"], "recent": ["latest"], "recently": ["lately"],
    "week": ["seven days"], "month": ["four weeks"], "year": ["twelve months"], "former": ["ex-"],
    "percent": ["per cent"], "nearly": ["almost"], "almost": ["nearly"], "more than": ["over"],
    "report": ["account"], "reports": ["accounts"], "statement": ["release", "comment"],
    "spokesman": ["representative"], "spokeswoman": ["representative"], "allow": ["permit", "let"],
    "allowed": ["permitted"], "stop": ["halt", "end"], "stopped": ["halted"], "keep": ["maintain", "retain"],
    "remain": ["stay"], "remains": ["stays"], "move": ["step", "decision"], "support": ["backing"],
    "supporters": ["backers"], "critics": ["opponents", "detractors"], "major": ["significant"],
    "health": ["medical"], "workers": ["employees", "staff"], "children": ["kids", "youngsters"],
    "home": ["house"], "city": ["town"], "state": ["state"], "area": ["region", "zone"],
    "residents": ["locals", "inhabitants"], "security": ["safety"], "military": ["armed forces"],
    "troops": ["soldiers", "forces"], "soldiers": ["troops"], "war": ["conflict"], "crisis": ["emergency"],
    "economy": ["economic system"], "prices": ["costs"], "growth": ["expansion"], "jobs": ["positions"],
    "tax": ["levy"], "taxes": ["levies"], "spending": ["expenditure"], "announce": ["reveal"],
    "investigation": ["probe", "inquiry"], "probe": ["investigation"], "evidence": ["proof"],
    "believe": ["think"], "believed": ["thought"], "think": ["believe"], "want": ["wish", "seek"],
    "wanted": ["wished", "sought"], "wants": ["seeks"], "called": ["labeled", "described as"],
    # function words: paraphrases that change the wording, not the facts
    "will": ["is set to", "is expected to"], "could": ["might"], "may": ["might"], "but": ["yet", "though"],
    "while": ["whereas"], "and": ["as well as", "plus"], "when": ["as"], "this": ["that"], "who": ["who"],
    "was": ["had been"], "were": ["had been"], "has": ["has"], "have": ["have"], "amid": ["in the midst of"],
}
_DROPPABLE = {"the": 0.35, "that": 0.5, "very": 1.0, "just": 1.0, "really": 1.0}
_PHRASES = [
    (r"\bin order to\b", "to"), (r"\bis going to\b", "will"), (r"\bare going to\b", "will"),
    (r"\ba number of\b", "several"), (r"\bbecause of\b", "due to"), (r"\bas well as\b", "and"),
    (r"\b(\d+(?:\.\d+)?) percent\b", r"\1%"), (r"\bthe United States\b", "the U.S."), (r"\bdoes not\b", "doesn't"),
    (r"\bdid not\b", "didn't"), (r"\bis not\b", "isn't"), (r"\bwill not\b", "won't"), (r"\bcan not\b", "cannot"),
    (r"\bat least\b", "no fewer than"), (r"\bin addition\b", "moreover"), (r"\bon Monday\b", "Monday"),
]
_DAY_FRONT = re.compile(r"^(?P<head>.+?) (?P<day>on (?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))"
                        r"(?P<tail>[ ,].*)$")


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    seed: int = 1
    copy_rate: float = 0.5  # share of input records that get a copy
    rewrite_rate: float = 0.5  # ... and a rewrite
    min_words: int = 12  # records with fewer body words are left alone


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{n}: not a JSON object ({e})") from None
                if not isinstance(rec, dict):
                    raise ValueError(f"{path}:{n}: not a JSON object (a {type(rec).__name__}); each line must be "
                                     '{"id", "cluster", "title", "text", ...}')
                yield rec


def _sentences(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)] or [text]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _decap(s: str) -> str:
    # lower-case the first letter unless the first word looks like a name or acronym
    first = s.split(" ", 1)[0]
    if first in ("The", "A", "An", "It", "He", "She", "They", "This", "That", "These", "Those", "But", "And", "In"):
        return s[:1].lower() + s[1:]
    return s


def make_copy(rec: dict[str, Any], rng: random.Random) -> tuple[str, str, list[str]]:
    """A copy of ``rec``: (title, text, ops)."""
    title, sents = rec.get("title") or "", _sentences(rec["text"])
    ops = rng.sample(["boilerplate", "drop", "words", "truncate"], rng.randint(1, 3))
    if "drop" in ops and len(sents) >= 3:
        del sents[rng.randrange(1, len(sents))]
    text = " ".join(sents)
    if "words" in ops:
        toks = text.split(" ")
        for _ in range(max(1, len(toks) // 40)):
            i = rng.randrange(len(toks))
            w = toks[i]
            choice = rng.random()
            if choice < 0.4 and len(toks) > 5:
                del toks[i]
            elif choice < 0.7 and len(w) > 3:
                j = rng.randrange(1, len(w) - 1)
                toks[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            elif any(c.isdigit() for c in w):
                toks[i] = re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), w, count=1)
            else:
                toks.insert(i, rng.choice(["also", "now", "reportedly", "just"]))
        text = " ".join(toks)
    if "truncate" in ops:
        toks = text.split(" ")
        keep = max(8, int(len(toks) * rng.uniform(0.55, 0.9)))
        text = " ".join(toks[:keep]).rstrip(",;:") + rng.choice(["...", " …", " [...]"])
    if "boilerplate" in ops:
        if rng.random() < 0.5:
            text = rng.choice(_BOILER_PREFIX) + text
        if rng.random() < 0.7:
            text = text + "\n\n" + rng.choice(_BOILER_SUFFIX)
    if rng.random() < 0.3:
        title = f"{title} | {rng.choice(['Wire', 'News Desk', 'Daily Brief'])}"
    return title, text, sorted(ops)


def _reword(sentence: str, rng: random.Random, p: float) -> str:
    for pat, rep in _PHRASES:
        if rng.random() < 0.8:
            sentence = re.sub(pat, rep, sentence)
    m = _DAY_FRONT.match(sentence)
    if m and rng.random() < 0.6:
        sentence = f"{_cap(m['day'])}, {_decap(m['head'])}{m['tail']}"

    def swap(mo: re.Match[str]) -> str:
        w = mo.group(0)
        drop = _DROPPABLE.get(w.lower())
        followed = re.match(r" \w", mo.string[mo.end():mo.end() + 2]) is not None  # "let him do that." keeps it
        if drop is not None and w.islower() and followed and rng.random() < drop * p:
            return "\x00"
        alts = _SYNONYMS.get(w.lower())
        if not alts or rng.random() > p:
            return w
        alt = rng.choice(alts)
        return _cap(alt) if w[:1].isupper() else alt

    return re.sub(r"\x00 ?", "", re.sub(r"[A-Za-z]+", swap, sentence))


def changed_share(a: str, b: str) -> float:
    """Share of the content words of ``a`` (a multiset, order ignored, stopwords excluded) missing from ``b``.

    Re-wording, not reordering; and re-wording of what carries meaning: dropping ``the``/``that`` or ``and`` →
    ``plus`` is what a copy desk does to wire copy, not a rewrite.
    """
    def content(t: str) -> Counter[str]:
        return Counter(w for w in re.findall(r"\w+", t.lower()) if w not in STOPWORDS)

    wa, wb = content(a), content(b)
    return sum((wa - wb).values()) / max(1, sum(wa.values()))


def make_rewrite(rec: dict[str, Any], rng: random.Random, min_changed: float = 0.15) -> tuple[str, str, list[str]] | None:
    """A rewrite of ``rec``: (title, text, ops), or None when rewording changed < ``min_changed`` of the words.

    Up to three attempts, each with more rewording; a text the tables cannot re-word (no synonyms, no patterns)
    gets no rewrite rather than a mislabelled near-copy.
    """
    for attempt in range(3):
        out = _rewrite_once(rec, rng, boost=attempt)
        if changed_share(f"{rec.get('title') or ''}\n{rec['text']}", f"{out[0]}\n{out[1]}") >= min_changed:
            return out
    return None


def _rewrite_once(rec: dict[str, Any], rng: random.Random, boost: int) -> tuple[str, str, list[str]]:
    sents = _sentences(rec["text"])
    ops = ["reword"]
    if len(sents) >= 3 and rng.random() < 0.6:
        ops.append("reorder")
        rest = sents[1:]
        rng.shuffle(rest)
        sents = [sents[0], *rest] if rng.random() < 0.8 else rest[:1] + [sents[0]] + rest[1:]
    if len(sents) >= 2 and rng.random() < 0.5:
        ops.append("merge")
        i = rng.randrange(len(sents) - 1)
        a, b = sents[i].rstrip(".!? "), sents[i + 1]
        sents[i : i + 2] = [f"{a}{rng.choice([', and ', '; ', ', while '])}{_decap(b)}"]
    if rng.random() < 0.5:
        for i, s in enumerate(sents):
            m = re.search(r", (which|and) ", s)
            if m and 4 < m.start() < len(s) - 20:
                ops.append("split")
                head, tail = s[: m.start()], s[m.end():]
                opener = "It " if m.group(1) == "which" else ""
                sents[i : i + 1] = [head + ".", _cap(opener + tail)]
                break
    p = min(1.0, rng.uniform(0.6, 0.95) + 0.2 * boost)
    sents = [_reword(s, rng, p) for s in sents]
    title = _reword(rec.get("title") or "", rng, p)
    return title, " ".join(sents), ops


def generate(records: Iterable[dict[str, Any]], config: GeneratorConfig = GeneratorConfig()) -> Iterator[dict[str, Any]]:
    """Yield every input record (with ``gen: None``) followed by its generated copy and/or rewrite."""
    rng = random.Random(config.seed)
    for rec in records:
        yield {**rec, "gen": None}
        text = rec.get("text")
        if not isinstance(text, str) or len(text.split()) < config.min_words:
            continue  # too short to copy or rewrite (or no text at all: eval-dedup skips such records)
        for relation, rate, fn in (("copy", config.copy_rate, make_copy), ("rewrite", config.rewrite_rate,
                                                                           make_rewrite)):
            if rng.random() >= rate:
                continue
            made = fn(rec, rng)
            if made is None:
                continue
            title, text, ops = made
            date = rec.get("date")
            if date:
                try:
                    date = (datetime.fromisoformat(date) + timedelta(hours=rng.randint(1, 30))).isoformat()
                except ValueError:
                    pass
            yield {
                "id": f"{rec['id']}~{relation}", "cluster": rec.get("cluster"), "date": date,
                "source": f"gen-{relation}-{rng.randrange(40)}", "title": title, "text": text,
                "gen": {"of": rec["id"], "relation": relation, "ops": ops},
            }
