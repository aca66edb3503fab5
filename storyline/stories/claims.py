"""Claims: what a sentence asserts, as far as agreement needs it, and when two similar sentences do *not* agree.

Two sentences of different articles may be similar (they share the story's words) and still state different
things. :func:`claim_of` reads the features that tell them apart, with rules (no model):

- **figures**: numbers (digits, number words, ``a dozen``, ``five and a half``) with whether they are approximate
  (``about``, ``nearly``, ``more than`` …) and the thing they count: nouns that count people are one thing
  (``workers``, ``staff``, ``residents`` → ``people``, per :func:`storyline.stories.figures.is_people`), a unit
  written short or long is one noun (``80mm``, ``62 millimetres``), short plurals are folded (``beds``/``24-bed``);
  vague amounts are ranges (``several thousand``: 2,000–10,000; ``dozens``: 24–100; ``several dozen``: 36–100);
  dates, clock times, years and ages are left out, so is a figure right after ``not``/``never`` ("28 beds, not the
  24 claimed": denied) and the whole in a part of it ("nine of the ship's 14 crew" claims nine crew); a percentage
  keeps what it is a share of ("a pay offer of 4 per cent": offer), and two of different things are not compared;
- **negation**: the content words in a negation's scope (from a cue — ``not``, ``no``, ``never``, ``n't``,
  ``nothing``, ``without`` … — to the end of its clause); a word both sentences use, negated in one only, is a
  negation on one side;
- **days**: weekdays and month-day dates the sentence is about (a weekday right after ``said``/``announced``/``told
  reporters`` is when it was said, not what happened, and is left out; the day of a change still to come, "due to
  reopen on Thursday", is kept apart and compared only with such days);
- **opinion**: whether the first clause, outside quotes, says what should be or what someone wants (``should``,
  ``would help``, ``called for``, ``urged``, ``told to`` …) rather than what is or was decided;
- **speaker**: a named speaker (``X said``, ``said X``) when the sentence attributes itself to one;
- **state**: a change-of-state word (lower-case: "Carrow Fell" is a name) from a small general list of opposites
  (``closed``/``reopened``, ``suspected``/``confirmed``, ``missing``/``found``, ``rose``/``fell`` …). A sentence
  naming both sides of a change ("hikers who had been missing have been found") is in the second state; a change
  still to come ("will reopen", "is due to reopen", "expected to be lifted") leaves it in the first; a change word
  in its bare form right before a noun ("mountain rescue teams") modifies the noun and reports no change.

:func:`conflict` says why two claims do not agree (``None`` when nothing tells them apart): a figure about the same
counted thing with incompatible values on both sides, figures on both sides none of which are compatible (with
``strict=False``: none of those of one kind), a negation on one side only, disjoint days (weekdays with weekdays,
month-days with month-days), an opinion against a statement, different named speakers
(unless both give one figure for one counted thing: one fact, two attributions), two quotes that share nothing with
the other sentence, or opposite states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
from scipy import sparse

from . import wordsim
from .figures import is_people
from ..terms import STOP, stem, terms

if TYPE_CHECKING:
    from .align import Alignment

__all__ = ["Claim", "Num", "agreement_groups", "claim_of", "compatible", "conflict"]

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "a dozen": 12, "dozen": 12}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "m": 1e6}
_WORDNUM = (r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[-\s](?:one|two|three|four|five|six|"
            r"seven|eight|nine))?|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
            r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|a dozen)")
_APPROX = (r"about|around|almost|nearly|roughly|approximately|some|over|under|more than|fewer than|less than|"
           r"at least|at most|up to|as many as|as much as|close to|just over|just under|an estimated|estimated|"
           r"upwards of|in excess of")
_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_NUM = re.compile(
    rf"(?<![\w.,:/+-])(?:(?P<mod>{_APPROX})\s+)?(?P<cur>[$€£¥])?"
    rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|{_WORDNUM})"
    rf"(?P<scale>\s+(?:hundred|thousand|million|billion|trillion)|\s?(?:bn|m)\b)?"
    rf"(?P<tail>\s?(?:%|per\s?cent|percent)|[-\s]?(?:am|pm|a\.m\.|p\.m\.)(?!\w)|(?:st|nd|rd|th)\b)?",
    re.IGNORECASE)
_DENIED = re.compile(r"\b(?:not|never)\s+(?:the\s+|a\s+|an\s+|just\s+|only\s+|even\s+)?$", re.IGNORECASE)
# "nine of the ship's 14 crew": the part counts what the whole counts (crew), and the whole is not a claim of its own
_PART_OF = re.compile(rf"\s+of\s+(?:the|its|their|his|her|those|these)\s+(?:[A-Za-z]+['’]s\s+)?"
                      rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+|{_WORDNUM})\b", re.IGNORECASE)
_PARTITIVE = re.compile(rf"(?:\d|\b{_WORDNUM})\s+of\s+(?:the|its|their|his|her|those|these)\s+"
                        rf"(?:[A-Za-z]+['’]s\s+)?$",
                        re.IGNORECASE)
_HALF = re.compile(r"\s+and\s+a\s+half\b", re.IGNORECASE)  # "five and a half hours": 5.5
_NOUN = re.compile(r"[\s-]*(?:of\s+(?:the|its|their|those|these)\s+)?([A-Za-z]+)")
# vague amounts as ranges: "several thousand people" is no "three people"
_VAGUE = re.compile(r"(?<![\w-])(?P<v>tens of thousands|hundreds of thousands|several thousand|several hundred|a few "
                    r"thousand|a few hundred|several dozen|a few dozen|thousands|hundreds|dozens|scores)(?:\s+of)?",
                    re.IGNORECASE)
_VAGUE_RANGE = {"tens of thousands": (2e4, 1e5), "hundreds of thousands": (2e5, 1e6), "several thousand": (2e3, 1e4),
                "a few thousand": (2e3, 1e4), "thousands": (2e3, 1e4), "several hundred": (200, 1000),
                "a few hundred": (200, 1000), "hundreds": (200, 1000), "dozens": (24, 100), "scores": (40, 100),
                "several dozen": (36, 100), "a few dozen": (24, 60)}
# units written short and long count as one noun ("80mm" and "62 millimetres")
_UNIT_ALIASES = {"mm": "millimetr", "millimet": "millimetr", "cm": "centimetr", "km": "kilometr", "kilomet": "kilometr",
                 "kg": "kilogram", "kilo": "kilogram", "m": "metr", "meter": "metr", "metre": "metr", "ft": "feet",
                 "foot": "feet", "mph": "mph", "kmh": "kph", "kph": "kph", "c": "degre", "f": "degre",
                 "degre": "degre", "l": "litr", "liter": "litr", "litre": "litr", "tonn": "tonn", "ton": "tonn"}
_NEG = re.compile(r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot|no-one|no one)\b|n[’']t\b",
                  re.IGNORECASE)
_CLAUSE_END = re.compile(r"[,;:.!?\u2014\u2013()]|\s(?:and|but|after|before|when|while|because|although|as|so|"
                         r"until)\s", re.IGNORECASE)
_WEEKDAY = re.compile(r"(?<!since )(?<!until )(?<!till )(?<!from )(?<!by )(?<!before )(?<!after )"
                      r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE)
_SAID_DAY = re.compile(r"\b(?:said|says|told(?:\s+\w+){1,3}?|announced|confirmed|added|stated|reported)\s+"
                       r"(?:on\s+|late\s+on\s+|early\s+on\s+)?"
                       r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE)
_DATE = re.compile(rf"\b(?:({_MONTHS})\.?\s+(\d{{1,2}})(?!\d)|(\d{{1,2}})\s+({_MONTHS})\b)", re.IGNORECASE)
_DATELINE = re.compile(r"^[A-Z][A-Z .'’-]+,\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}\s*(?:\([^)]*\))?\s*[-–—]\s*")
# quoted words: “…”, "…" (a single ‘…’ is too often an apostrophe to tell apart here)
_QUOTED = re.compile(r"“([^“”]+)”?|\"([^\"\n]+)\"")
_NAME = r"[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?"
_SPEAKER = re.compile(rf"(?:({_NAME}(?:\s+{_NAME})*)\s+(?:said|says|told|added|warned|insisted|argued)\b|"
                      rf"\b(?:said|says|added|warned)\s+({_NAME}(?:\s+{_NAME})+))")
# change-of-state words and their opposites (general English; a stem on each side)
_OPPOSITES = [({"close", "clos", "shut"}, {"reopen", "open"}),
              ({"suspect"}, {"confirm"}),
              ({"reject", "refus", "turned down", "turn down", "ruled out", "rule out"}, {"accept", "agre", "approv"}),
              ({"rise", "ris", "rose", "increas"}, {"fell", "fall", "drop", "declin", "decreas"}),
              ({"arrest"}, {"charg", "releas"}),
              ({"miss"}, {"found", "rescu"}),
              ({"halt", "stop", "suspend"}, {"restart", "resum"}),
              ({"warn"}, {"downgrad", "lift"}),
              ({"adjourn"}, {"reach", "agre"})]
# pairs of _OPPOSITES whose second state is not what follows the first (rose … fell)
_NOT_A_CHANGE = (3,)
# a change word in its bare form right before a noun modifies the noun ("rescue teams", "release date"); "rescued
# hikers" (a participle) and "open until" are states
_MODIFIER = re.compile(r"(?![a-z]+(?:ed|ing|s)\s|found\s)[a-z]+\s+(?!(?:%s)\b)[a-z]{3,}\b"
                       % "|".join(sorted(STOP, key=len, reverse=True)))
_PLANNED = re.compile(r"\b(?:will|would|shall|to|[’']ll)\s+(?:not\s+|soon\s+|only\s+|fully\s+)?(?:be\s+)?$",
                      re.IGNORECASE)
# a sentence starting with a number word or digits is counted as its subject (no weekday/date there)
_TOLERANCE = 0.1  # approximate figures agree with values within 10% ("nearly 40" vs 37; not "a dozen" vs 14)
_OVER = 0.25  # a lower bound reaches this far above its number ("more than 2,000" allows 2,350), as figures.OVER
_LOWER_MODS = frozenset({"over", "more than", "at least", "just over", "upwards of", "in excess of"})
_UPPER_MODS = frozenset({"almost", "nearly", "under", "fewer than", "less than", "at most", "up to", "as many as",
                         "as much as", "just under"})
# measurement units (stems, after _UNIT_ALIASES) → (dimension, factor to the dimension's base unit): "a two-mile
# route" and "a 3.2-kilometre route" are one length
_CONVERT = {"millimetr": ("length", 0.001), "centimetr": ("length", 0.01), "metr": ("length", 1.0),
            "kilometr": ("length", 1000.0), "mile": ("length", 1609.34), "feet": ("length", 0.3048),
            "yard": ("length", 0.9144), "inch": ("length", 0.0254), "kilogram": ("mass", 1.0), "gram": ("mass", 0.001),
            "tonn": ("mass", 1000.0), "pound": ("mass", 0.4536), "litr": ("volume", 1.0), "gallon": ("volume", 3.785),
            "hectar": ("area", 1.0), "acr": ("area", 0.4047), "mph": ("speed", 1.609), "kph": ("speed", 1.0),
            "second": ("time", 1 / 86400), "minut": ("time", 1 / 1440), "hour": ("time", 1 / 24),
            "day": ("time", 1.0), "week": ("time", 7.0), "month": ("time", 30.4), "year": ("time", 365.0)}
# what should be, or what someone wants done, outside quotation marks: a modal of obligation or advice, a conditional
# of preference or benefit, a call or an urging ("X said free parking would help", "groups called for an inquiry",
# "officials urged residents to leave") — an opinion, which states no decision or fact. Grammar words, not fitted
_OPINION = re.compile(r"\b(?:should|ought\s+to|would\s+(?:like|prefer|welcome|help|benefit|be\s+better)|"
                      r"call(?:s|ed|ing)?\s+for|urg(?:e|es|ed|ing)|(?:told|asked|advised)\s+to)\b", re.IGNORECASE)
# the end of a sentence's first clause: an opinion in a later clause ("The road remains closed, and drivers are told to
# use the inland route") leaves the first one a statement
_FIRST_CLAUSE_END = re.compile(r",\s+(?:and|but)\s|;|\s\u2014\s")
_ONE_NOT_A_NUMBER = re.compile(r"(?:\b(?:no|any|every|some|each|the|that|this|which|no-|anyone)[\s-]*)$", re.IGNORECASE)
_AGE_BEFORE = re.compile(r"\b(?:aged|age|who was|who is)$", re.IGNORECASE)
_MONEY_AFTER = re.compile(r"\s*(?:crowns|dollars|euros|pounds|yen|francs)\b", re.IGNORECASE)
_STATE_STEMS = frozenset(w for pair in _OPPOSITES for side in pair for w in side if " " not in w)
_CHANGE_STEMS = frozenset(w for left, right in _OPPOSITES for w in right)
_STATE_PHRASES = tuple(w for pair in _OPPOSITES for side in pair for w in side if " " in w)
_DAY_NAMES = frozenset(stem(w) for w in "monday tuesday wednesday thursday friday saturday sunday january february "
                       "march april may june july august september october november december".split())
_CALENDAR = frozenset(stem(w) for w in "monday tuesday wednesday thursday friday saturday sunday january february "
                      "march april may june july august september october november december today yesterday "
                      "tomorrow morning evening night week month year day".split())
_PLAIN_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_NUMBER_WORDS = frozenset(list(_UNITS) + list(_TENS) + list(_SCALES) + ["dozen", "dozens", "hundreds", "thousands"])


@dataclass(frozen=True, slots=True)
class Num:
    """A number in a sentence: its value, whether it is approximate, the noun stem it counts ("" when none)."""

    value: float
    approx: bool
    noun: str
    unit: str  # "percent" | "money" | "count"
    high: float | None = None  # a vague amount's upper bound ("thousands": 2,000-10,000); value is its lower bound
    bound: str = ""  # "lower" ("more than 2,000": 2,000 or a little more), "upper" ("nearly 40", "up to 5"), or ""
    mod: str = ""  # the modifier as written, lower-cased ("more than", "nearly"), or ""
    of: str = ""  # for a percentage, the stem of the noun it is a share of ("a pay offer of 4 per cent": offer), or ""


@dataclass(frozen=True, slots=True)
class Claim:
    numbers: tuple[Num, ...]
    negated: frozenset[str]  # content-word stems inside a negation's scope (cue to the end of its clause)
    days: frozenset[str]
    speaker: str | None
    states: frozenset[int]  # indices of _OPPOSITES sides: 2k (left side) / 2k+1 (right side)
    words: frozenset[str] = frozenset()  # content-word stems
    plain: frozenset[str] = frozenset()  # content-word stems that are neither names (capitalised) nor numbers
    quoted: frozenset[str] = frozenset()  # content-word stems inside quotation marks (what a speaker is quoted saying)
    planned_days: frozenset[str] = frozenset()  # days of a change still to come ("due to reopen on Thursday")
    opinion: bool = False  # it states what should be, or what someone wants or urges (:data:`_OPINION`), not a fact


@lru_cache(maxsize=65536)
def _noun(word: str) -> str:
    """The counted noun as compared: ``people`` for any noun that counts people (storyline.stories.figures.is_people:
    "residents", "workers", "staff"), a measurement unit's one spelling, else the stem, singular ("beds" → "bed")."""
    if is_people(word):
        return "people"
    w = stem(word)
    if len(w) <= 4 and w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        w = w[:-1]
    return _UNIT_ALIASES.get(w, w)


def _word_value(s: str) -> float | None:
    s = s.lower().replace("-", " ").strip()
    if s in _UNITS:
        return float(_UNITS[s])
    parts = s.split()
    if parts and parts[0] in _TENS:
        v = _TENS[parts[0]]
        if len(parts) == 2 and parts[1] in _UNITS:
            v += _UNITS[parts[1]]
        return float(v)
    return None


def _value(m: re.Match[str]) -> float | None:
    num = m.group("num")
    if num[0].isdigit():
        v = float(num.replace(",", ""))
    else:
        w = _word_value(num)
        if w is None:
            return None
        v = w
    sc = (m.group("scale") or "").strip().lower()
    if sc:
        v *= _SCALES.get(sc, 1)
    return v


@lru_cache(maxsize=65536)
def claim_of(text: str) -> Claim:
    """The agreement-relevant features of one sentence (see the module docstring)."""
    body = _DATELINE.sub("", text)
    skip = [(m.start(), m.end()) for m in _DATE.finditer(body)]
    nums: list[Num] = []
    starts: list[int] = []
    for m in _NUM.finditer(body):
        if any(a <= m.start("num") < b for a, b in skip):
            continue
        if _PARTITIVE.search(body, max(0, m.start() - 40), m.start()):
            continue  # "nine of the ship's 14 crew": 14 is the whole, the claim is about nine of them
        tail = (m.group("tail") or "").strip().lower()
        if tail in ("am", "pm", "a.m.", "p.m.", "st", "nd", "rd", "th"):
            continue  # clock times and ordinals
        num = m.group("num")
        if num.isdigit() and len(num) == 4 and 1800 <= int(num) <= 2100 and not m.group("cur"):
            continue  # a year
        before, after = body[max(0, m.start() - 40):m.start()].rstrip(), body[m.end():m.end() + 2]
        if before.endswith(",") and after.startswith(",") and not m.group("mod"):
            continue  # an apposition: "Peter Haverley, 52, died" gives an age
        if _AGE_BEFORE.search(before[-12:]):
            continue
        v = _value(m)
        if v is None:
            continue
        end = m.end()
        half = _HALF.match(body, end) if not tail and not m.group("scale") else None
        if half:
            v, end = v + 0.5, half.end()
        of = ""
        if tail:
            unit, noun = "percent", "percent"
            of = _percent_of(body, m.start(), end)
        elif m.group("cur") or _MONEY_AFTER.match(body, end):
            unit, noun = "money", "money"
        else:
            unit = "count"
            part = _PART_OF.match(body, end)
            nm = _NOUN.match(body, part.end()) if part else _NOUN.match(body, end)
            noun = _noun(nm.group(1)) if nm and nm.group(1).lower() not in STOP else ""
            if noun and _VERB_AFTER.match(body, nm.start(1)):
                noun = ""  # "the remaining five stayed on board": a verb follows, the counted thing is not named
        if num.lower() == "one" and (_ONE_NOT_A_NUMBER.search(before[-12:]) or body.startswith(" of", m.end())):
            continue  # "no one was hurt", "one of the …": no count
        approx = bool(m.group("mod")) or num.lower() in ("dozen",)
        mod = (m.group("mod") or "").lower()
        bound = "lower" if mod in _LOWER_MODS else "upper" if mod in _UPPER_MODS else ""
        if unit == "count" and noun in _CONVERT:  # one base unit per dimension (rounded when converted)
            dim, factor = _CONVERT[noun]
            v, noun, approx = v * factor, dim, approx or factor != 1.0
        nums.append(Num(v, approx, noun, unit, None, bound, mod, of))
        starts.append(m.start())
    for m in _VAGUE.finditer(body):
        lo, hi = _VAGUE_RANGE[m.group("v").lower()]
        nm = _NOUN.match(body, m.end())
        noun = _noun(nm.group(1)) if nm and nm.group(1).lower() not in STOP else ""
        nums.append(Num(lo, True, noun, "count", hi))
        starts.append(m.start())
    # a figure right after a negation is denied, not stated ("28 beds, not the 24 claimed")
    nums = [n for n, at in zip(nums, starts) if not _DENIED.search(body, max(0, at - 24), at)]
    low = body.lower()
    raw = _PLAIN_WORD.findall(body)
    # a change still to come ("due to reopen on Thursday"): its day is when the state will change, kept apart
    planned_at = [(m.start(), _scope_end(body, m.end())) for m in _PLAIN_WORD.finditer(body)
                  if m.group()[0].islower() and stem(m.group()) in _CHANGE_STEMS
                  and _PLANNED.search(body, max(0, m.start() - 30), m.start())]
    said = [(x.start(), x.end()) for x in _SAID_DAY.finditer(body)]
    days: set[str] = set()
    planned: set[str] = set()
    for m in _WEEKDAY.finditer(body):
        if not any(s <= m.start() < e for s, e in said):
            (planned if any(a < m.start() < b for a, b in planned_at) else days).add(m.group(1).lower())
    for m in _DATE.finditer(body):
        mon = (m.group(1) or m.group(4)).lower()[:3]
        day = m.group(2) or m.group(3)
        (planned if any(a < m.start() < b for a, b in planned_at) else days).add(f"{mon}-{int(day)}")
    sp = _SPEAKER.search(body)
    speaker = (sp.group(1) or sp.group(2)) if sp else None
    stems = [stem(w) for w in raw]
    words = set(stems)
    # states from lower-case words: "Carrow Fell" and "Open University" name, they do not report a change
    lower = {st for w, st in zip(raw, stems) if w[0].islower()}
    states = set()
    if lower & _STATE_STEMS or any(p in low for p in _STATE_PHRASES):
        for k, (left, right) in enumerate(_OPPOSITES):
            if any((w in lower) if " " not in w else (w in low) for w in left):
                states.add(2 * k)
            if any(w in lower for w in right):
                # a change still to come ("will reopen", "is due to reopen", "expected to be lifted") says the
                # first state holds now: the school that will reopen on Thursday is closed
                found = [m for m in _PLAIN_WORD.finditer(body) if m.group()[0].islower() and stem(m.group()) in right
                         and not _MODIFIER.match(m.group().lower() + body[m.end():m.end() + 30])]
                if not found and k not in _NOT_A_CHANGE:
                    continue  # "mountain rescue teams": a noun's modifier, no change of state
                done = [m for m in found if not _PLANNED.search(body, max(0, m.start() - 30), m.start())]
                states.add(2 * k + 1 if done or k in _NOT_A_CHANGE else 2 * k)
    negated: set[str] = set()
    for m in _NEG.finditer(body):
        negated.update(terms(body[m.end():_scope_end(body, m.end())]))
    plain = {st for w, st in zip(raw, stems) if w[0].islower() and w.lower() not in STOP}
    quoted = {t for m in _QUOTED.finditer(body) for t in terms(m.group(1) or m.group(2) or "")}
    unquoted = _QUOTED.sub(" ", body)
    first_end = _FIRST_CLAUSE_END.search(unquoted)
    opinion = bool(_OPINION.search(unquoted, 0, first_end.start() if first_end else len(unquoted)))
    return Claim(tuple(nums), frozenset(negated), frozenset(days), speaker, frozenset(states), frozenset(terms(body)),
                 frozenset(plain) - _NUMBER_WORDS, frozenset(quoted), frozenset(planned), opinion)


# what a percentage is a share of: the noun before "of" ("a pay offer of 4 per cent", "turnout of 41 per cent"), or the
# words right after it ("a 9% pay increase": increase; "78 per cent of members": members)
_PERCENT_BEFORE = re.compile(r"\b([a-z]+)\s+of\s+(?:[a-z]+\s+){0,2}$")
_PERCENT_AFTER = re.compile(r"\s+(?:of\s+(?:the\s+|its\s+|their\s+)?)?([a-z]+)(?:[\s-]+([a-z]+))?")


# a past form right after a count, followed by a function word or the end of a clause ("the remaining five stayed on
# board", "two died in hospital"): the count is the subject of a verb and names no counted thing; "five injured
# workers" (a noun follows) keeps its noun. Grammar words, not fitted
_VERB_AFTER = re.compile(r"[a-z]{2,}ed(?=\s*[,;:.!?]|\s*$|\s+(?:%s)\b)"
                         % "|".join(sorted(STOP, key=len, reverse=True)))


def _percent_of(body: str, start: int, end: int) -> str:
    before = _PERCENT_BEFORE.search(body, max(0, start - 40), start)
    if before and before.group(1) not in STOP:
        return stem(before.group(1))
    after = _PERCENT_AFTER.match(body, end)
    if not after or after.group(1) in STOP:
        return ""
    head = after.group(2) if after.group(2) and after.group(2) not in STOP else after.group(1)
    return stem(head)


def _apart(n: Num, m: Num) -> bool:
    """Two percentages of different things ("a pay offer of 4 per cent" / "a 9% pay increase"): not one figure."""
    return bool(n.of and m.of and n.of != m.of)


def _scope_end(body: str, at: int) -> int:
    end = _CLAUSE_END.search(body, at)
    return end.start() if end else len(body)


def _interval(n: Num) -> tuple[float, float]:
    """The values a number allows, as figures.value_interval reads them: "more than 2,000" 2,000–2,500, "just over
    41" 41–43, "nearly 40" 36–40, "under 50" 37.5–50, "about 40" 36–44."""
    v = n.value
    if n.bound == "lower":
        return v, v * (1 + (_TOLERANCE / 2 if n.mod == "just over" else _OVER))
    if n.bound == "upper":
        return v * (1 - (_OVER if n.mod in ("under", "fewer than", "less than") else _TOLERANCE)), v
    if n.approx:
        return v * (1 - _TOLERANCE), v * (1 + _TOLERANCE)
    return v, v


def compatible(a: Num, b: Num) -> bool:
    """Equal values, or within ``_TOLERANCE`` when either is approximate, or inside a bound's reach ("more than
    2,000" and 2,350); a vague amount is a range."""
    if a.high is not None or b.high is not None:
        alo, ahi = a.value, a.high if a.high is not None else a.value
        blo, bhi = b.value, b.high if b.high is not None else b.value
        return alo <= bhi * (1 + _TOLERANCE) and blo <= ahi * (1 + _TOLERANCE)
    if a.value == b.value:
        return True
    if a.bound or b.bound:
        (alo, ahi), (blo, bhi) = _interval(a), _interval(b)
        return alo <= bhi + 1e-9 and blo <= ahi + 1e-9
    if a.approx or b.approx:
        return abs(a.value - b.value) <= _TOLERANCE * max(abs(a.value), abs(b.value))
    return False


def _speaker_words(s: str) -> set[str]:
    return {w.lower() for w in s.split()}


def _comparable(n: Num, m: Num) -> bool:
    """Whether two figures may count the same thing: the same kind (percent, money, count) and, for counts, the same
    counted noun or dimension, or a count whose noun is not read ("has risen to four")."""
    if n.unit != m.unit or _apart(n, m):
        return False
    return n.unit != "count" or not n.noun or not m.noun or n.noun == m.noun


def conflict(a: Claim, b: Claim, *, strict: bool = True, main: tuple[Claim, Claim] | None = None) -> str | None:
    """Why two claims do not agree, or ``None``. ``main``: the two claims without their adverbial clauses
    (:func:`main_of`), whose figures the strict test reads."""
    ma, mb = main or (a, b)
    if strict and ma.numbers and mb.numbers and not any(compatible(n, m) for n in ma.numbers for m in mb.numbers):
        # figures on both sides and not one in common: sentences whose figures are their content state different
        # things, even when the figures measure different kinds ("60,000 homes" / "$40 million"); a figure in an
        # adverbial clause (", costing nearly 3 million crowns", ", taking the seat by 542 votes") is a
        # circumstance, not what the sentence states (figures of one counted thing are still compared below)
        return "figures: no value in common"
    if a.numbers and b.numbers:
        pairs = [(n, m) for n in a.numbers for m in b.numbers if _comparable(n, m)]
        if not strict and pairs and not any(compatible(n, m) for n, m in pairs):
            return "figures of one kind: no value in common"
        # a counted noun both sentences give a figure for, with a value on each side that nothing on the other side
        # matches ("8,000 litres" vs "12,000 litres"); "three workers" matched by "three people" is no conflict
        free_a = [n for n in a.numbers if not any(compatible(n, m) for m in b.numbers)]
        free_b = [m for m in b.numbers if not any(compatible(n, m) for n in a.numbers)]
        for n in free_a:
            same = [m for m in free_b if n.noun and m.noun == n.noun and not _apart(n, m)]
            if same:
                return f"figure: {n.value:g} vs {', '.join(f'{m.value:g}' for m in same)} {n.noun}"
        # ... and per counted thing: the figures one side gives for a noun against those the other gives for it, so
        # that a value matched by a figure of *another* thing ("28 beds" against "a 24-bed ward", whose 24 is matched
        # by "24 staff") still differs
        for noun in {n.noun for n in a.numbers if n.noun} & {m.noun for m in b.numbers if m.noun}:
            na = [n for n in a.numbers if n.noun == noun]
            nb = [m for m in b.numbers if m.noun == noun]
            fa = [n for n in na if not any(compatible(n, m) for m in nb)]
            fb = [m for m in nb if not any(compatible(n, m) for n in na)]
            differ = [(n, m) for n in fa for m in fb if not _apart(n, m)]
            if differ:
                return f"figure: {differ[0][0].value:g} vs {differ[0][1].value:g} {noun}"
    shared = set(a.words) & set(b.words)
    one_sided = (a.negated ^ b.negated) & shared
    if one_sided:
        return f"negation on one side: {', '.join(sorted(one_sided))}"
    if _days_differ(a.days, b.days):
        return f"days: {sorted(a.days)} vs {sorted(b.days)}"
    if a.planned_days and b.planned_days and not a.planned_days & b.planned_days:
        return f"days of a change to come: {sorted(a.planned_days)} vs {sorted(b.planned_days)}"
    if a.quoted and b.quoted and not (a.quoted & b.words) and not (b.quoted & a.words):
        # what a speaker is quoted saying shares no word with the other sentence: two things said (often by one
        # named person, whose name and role make the sentences look alike)
        return "different words quoted"
    if a.speaker and b.speaker and not _speaker_words(a.speaker) & _speaker_words(b.speaker) \
            and not _shared_figure(a, b):  # one figure for one thing, attributed to two sources: one fact
        return f"speakers: {a.speaker} vs {b.speaker}"
    if a.opinion != b.opinion:
        # what someone wants or advises against what is stated or decided: "free parking would help" / "the authority
        # has agreed to pay for free parking" share the subject, not the claim
        return "an opinion against a statement"
    for k in range(len(_OPPOSITES)):
        sa, sb = _state(a.states, k), _state(b.states, k)
        if sa is not None and sb is not None and sa != sb:
            return f"opposite states: {sorted(_OPPOSITES[k][0])[0]} vs {sorted(_OPPOSITES[k][1])[0]}"
    return None


def _days_differ(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sets of days are disjoint, a weekday compared with weekdays and a month-day ("may-7") with
    month-days only: "walked out last Wednesday" / "on strike since May 7" give no two days to compare (the sentence
    has no calendar)."""
    if not (a and b) or a & b:
        return False
    wa, wb = {d for d in a if "-" not in d}, {d for d in b if "-" not in d}
    return bool((wa and wb) or (a - wa and b - wb))


def _state(states: frozenset[int], k: int) -> int | None:
    """The state a claim ends in for the pair ``k`` of _OPPOSITES: the one it names, or, when it names both ("the
    hikers who had been missing were found"), the second (the change it reports), except for rise/fall."""
    sa = {s for s in states if s // 2 == k}
    if len(sa) == 1:
        return next(iter(sa))
    if sa and k not in _NOT_A_CHANGE:
        return 2 * k + 1
    return None


def agreement_groups(al: "Alignment", relation: Mapping[str, str], excluded: set[int] | frozenset[int] = frozenset(),
                     *, floor: float = 0.0, linkage: float = 0.0, min_shared: float = 0.0, strong: float = 1.0,
                     candidates: int = 16, background: bool = True,
                     one_sided: float = 1.0, link_shared: float = 1.01, same_figure: bool = False,
                     word_sim: float = 2.0, soft_links: float = 2.0, soft_floor: float = 0.2,
                     ) -> list[list[int]]:
    """Groups of aligned sentences that state the same thing, each with sentences of ≥ 2 *independent* sources.

    Aligned pairs (``al``, score ≥ ``floor``; each sentence's ``candidates`` best) between sentences not in
    ``excluded`` (boilerplate) are taken best first. The linking pair must not conflict (:func:`conflict`, strict:
    when both give figures, one must be shared); every other pair of the two groups must not contradict
    (``strict=False``: a member's figure of another kind is no contradiction) — complete linkage on compatibility, so
    that "8,000 litres" and "12,000 litres" never end in one group through a third sentence without a figure — and at
    least ``linkage`` of their pairs of sentences of different articles must be aligned (so that a chain of
    look-alike sentences does not become one claim). Two sentences that share only days and numbers do not link. A
    pair scoring under ``strong`` links only when ≥ ``min_shared`` of the content words that are not names or numbers
    of the sentence with fewer of them are in the other, or both give one figure for one counted thing: two
    different things said of one named person or place share the name, not the claim; with ``background`` (the
    default) that share is read without non-restrictive relative clauses (", who represents Ollindale in the
    assembly,": what is known of a name, not what the sentence says of it) and adverbial clauses ("after rejecting a
    pay offer of 4 per cent", ", demanding a 9% rise": a circumstance of the claim), and the shared figure is read
    without the adverbial clauses (:func:`core_of`, :func:`main_of`). When only one of the two
    gives figures, that share must reach ``one_sided`` (1.0: no such test): a sentence's figures are most often its
    claim, and a sentence without them that shares a third of its words says something else of the same event (a
    lead "About 60 workers were evacuated … after a fire broke out at a packaging factory" against "A fire that forced
    the evacuation of a packaging factory … was caused by an overheating extruder"). ``relation`` maps an article
    id to ``copy`` or ``rewrite`` when the copies stage found it to be one: its sentences join groups (as carriers)
    but do not count as a source. A linking pair in which ≥ ``link_shared`` of the plain words of one sentence (the
    one with fewer) are in the other (above 1: never) joins two groups whose other cross pairs are not all aligned
    ("The coast road is still closed" / "The coast road remains closed, and drivers are told to use the inland
    route", the first already grouped with a longer report of the closure that the third is not aligned with): one
    sentence says no more than the other, so the link alone is strong; a contradiction of any member still blocks
    it. Two groups that could not be joined are not tried again (a grown group only has
    more sentences to agree with). Groups are returned with rows sorted, ordered by first row.

    ``word_sim`` (≤ 1: on) lets a plain word count as shared when the other sentence has a near-synonym of it with
    at least this cosine in the word table (:mod:`storyline.stories.wordsim`: "remain"/"stayed") in the content word
    every pair needs and in the shared word of a same-figure link; the shares of words (``min_shared``,
    ``one_sided``, ``link_shared``) read words as written. ``soft_links`` (≤ 1: on) adds, after the aligned and
    same-figure pairs, pairs of sentences of different articles that the aligner did not align but whose TF-IDF
    cosine with near-synonyms (words with this cosine or more) counted as shared reaches ``soft_floor`` ("The trust's
    board meets on Wednesday to consider the plans" / "The trust's board will vote on the proposals later today");
    such a pair counts as aligned for the linkage test and holds only when ``min_shared`` of the plain words it states
    itself (not quoted, not a verb of saying or thinking) are shared as written. Without the word table (the file is not installed) both fall back to exact words.
    """
    refs = al.sentences
    n = len(refs)
    if n == 0:
        return []
    # sentences with the same words (wire copies) are one statement: joined first, and a pair of statements is
    # tried once (its best-scoring pair of sentences; candidates from the first sentence of each statement)
    text_code: dict[str, int] = {}
    code = np.array([text_code.setdefault(" ".join(r.text.split()), len(text_code)) for r in refs], dtype=np.int64)
    first_of = np.zeros(len(text_code), dtype=np.int64)
    first_of[code[::-1]] = np.arange(n)[::-1]
    rows, cols, vals = _candidate_pairs(al.adjacency, floor, candidates, first_of)
    order = np.lexsort((cols, rows, -vals))
    rows, cols, vals = rows[order], cols[order], vals[order]
    ca, cb = code[rows], code[cols]
    key = np.minimum(ca, cb) * len(text_code) + np.maximum(ca, cb)
    _, first = np.unique(key, return_index=True)
    first = np.sort(first[ca[first] != cb[first]])
    rows, cols, vals = rows[first], cols[first], vals[first]
    # pairs of two independent articles first, then those with a copy or rewrite: a rewritten sentence joins the
    # claim it carries, and never takes an independent sentence into a group of its own first
    carried = np.array([relation.get(r.article_id) in ("copy", "rewrite") for r in refs], dtype=bool)
    later = carried[rows] | carried[cols]
    order = np.concatenate([np.flatnonzero(~later), np.flatnonzero(later)])
    rows, cols, vals = rows[order], cols[order], vals[order]
    parent = list(range(n))
    members: dict[int, list[int]] = {}
    B = al.adjacency.tocsr().astype(np.float32, copy=True)  # aligned pairs kept: 1, others dropped
    B.data = (B.data >= floor - 1e-9).astype(np.float32)
    B.eliminate_zeros()
    B = B.astype(np.int32)
    if same_figure:
        # paraphrases the aligner misses ("About 60 workers were evacuated" / "Sixty-two staff were evacuated"): a
        # pair of independent sentences giving one counted thing a compatible figure and sharing a plain word other
        # than the counted noun; tried after every aligned pair, and counted as aligned by the linkage test
        er, ec, linking = _same_figure_pairs(refs, code, excluded, B, word_sim)
        if len(er):
            rows, cols = np.concatenate([rows, er[linking]]), np.concatenate([cols, ec[linking]])
            vals = np.concatenate([vals, np.zeros(int(linking.sum()), dtype=vals.dtype)])
            E = sparse.csr_matrix((np.ones(2 * len(er), dtype=np.int32),
                                   (np.concatenate([er, ec]), np.concatenate([ec, er]))), shape=(n, n))
            B = (B + E).tocsr()
    if soft_links <= 1.0:
        sr, sc = _soft_link_pairs(al, code, first_of, excluded, B, soft_links, soft_floor)
        if len(sr):
            # a pair the aligner missed holds only on plain words both state themselves, as written: not a verb of
            # saying or thinking ("forecasters expect" / "we expect"), not words quoted from someone
            own = [_own_share(refs[i].text, refs[j].text) >= max(min_shared, 1e-9) - 1e-9
                   for i, j in zip(sr.tolist(), sc.tolist())]
            sr, sc = sr[np.array(own, dtype=bool)], sc[np.array(own, dtype=bool)]
        if len(sr):
            rows, cols = np.concatenate([rows, sr]), np.concatenate([cols, sc])
            vals = np.concatenate([vals, np.zeros(len(sr), dtype=vals.dtype)])
            E = sparse.csr_matrix((np.ones(2 * len(sr), dtype=np.int32),
                                   (np.concatenate([sr, sc]), np.concatenate([sc, sr]))), shape=(n, n))
            B = (B + E).tocsr()
    links: dict[int, np.ndarray] = {}  # group root → number of aligned members per sentence (dense), lazily
    art_code: dict[str, int] = {}
    art = [art_code.setdefault(r.article_id, len(art_code)) for r in refs]
    claims = [claim_of(r.text) for r in refs]
    # the share of plain words of a weak pair is read outside relative clauses (background on a name, not the claim)
    cores = [core_of(r.text) for r in refs] if background else claims
    # ... and a figure both give lets a weak pair link only outside adverbial clauses ("walked out after rejecting a pay
    # offer of 4 per cent" does not state the offer)
    mains = [main_of(r.text) for r in refs] if background else claims
    # ... and outside relative clauses set between commas ("the plant, which would burn 350,000 tonnes, is needed")
    stated = [stated_of(r.text) for r in refs] if background else claims
    # per group root: its distinct claims (copies of one sentence are checked once) and its sentences per article
    kinds: dict[int, dict[int, Claim]] = {}
    per_art: dict[int, dict[int, int]] = {}
    ok_cache: dict[tuple[int, int], bool] = {}
    substantive: dict[tuple[int, int], bool] = {}
    failed: set[tuple[int, int]] = set()  # group roots that could not merge: a grown group only gets stricter

    pre_row: dict[int, int] = {}  # root of a group of identical sentences → its row of pre_links

    def link_row(root: int) -> np.ndarray:
        row = links.get(root)
        if row is None:
            row = np.zeros(n, dtype=np.int32)
            M, r = (pre_links, pre_row[root]) if root in pre_row else (B, root)
            lo, hi = M.indptr[r], M.indptr[r + 1]
            row[M.indices[lo:hi]] = M.data[lo:hi]
        return row

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def compatible_claims(ci: Claim, cj: Claim) -> bool:
        key = (id(ci), id(cj))
        hit = ok_cache.get(key)
        if hit is None:
            hit = ok_cache[key] = ok_cache[(id(cj), id(ci))] = conflict(ci, cj, strict=False) is None
        return hit

    same: dict[int, list[int]] = {}
    for i in range(n):
        if i not in excluded:
            same.setdefault(int(code[i]), []).append(i)
    multi = [g for g in same.values() if len(g) > 1]
    if multi:  # the aligned-member counts of the joined statements, in one sparse product (densified when used)
        ind_rows = np.repeat(np.arange(len(multi)), [len(g) for g in multi])
        ind = sparse.csr_matrix((np.ones(len(ind_rows), dtype=np.int32), (ind_rows, np.concatenate(multi))),
                                shape=(len(multi), n))
        pre_links = (ind @ B).tocsr()
    for k_group, group in enumerate(multi):
        if len(group) > 1:
            root = group[0]
            for i in group[1:]:
                parent[i] = root
            members[root] = list(group)
            pre_row[root] = k_group
            kinds[root] = {id(claims[root]): claims[root]}
            counts: dict[int, int] = {}
            for i in group:
                counts[art[i]] = counts.get(art[i], 0) + 1
            per_art[root] = counts
    for i, j, v in zip(rows.tolist(), cols.tolist(), vals.tolist()):
        if i in excluded or j in excluded:
            continue
        ri, rj = find(i), find(j)
        if ri == rj or (min(ri, rj), max(ri, rj)) in failed:
            continue
        if (min_shared and v < strong - 1e-9 and claims[i] is not claims[j]
                and _plain_overlap(cores[i], cores[j]) < min_shared - 1e-9
                and not _shared_figure(stated[i], stated[j])
                and not _shared_background_figure(refs[i].text, refs[j].text)):
            continue  # a weak pair that shares names, not what is said of them (nor a figure)
        if (one_sided < 1.0 and v < strong - 1e-9 and claims[i] is not claims[j]
                and bool(stated[i].numbers) != bool(stated[j].numbers)
                and _plain_overlap(cores[i], cores[j]) < one_sided - 1e-9):
            continue  # figures on one side only: the figure is the claim of that sentence, the other has none
        ci, cj = claims[i], claims[j]
        if ci is not cj:
            key = (id(ci), id(cj))
            sub = substantive.get(key)
            if sub is None:
                sub = substantive[key] = _substantive(ci.words & cj.words) or (
                    word_sim <= 1.0 and bool(wordsim.soft_matched(ci.plain, cj.plain, word_sim)))
            if not sub:
                continue  # aligned on a day or a number alone
        gi, gj = members.get(ri, [ri]), members.get(rj, [rj])
        ki = kinds.get(ri) or {id(claims[ri]): claims[ri]}
        kj = kinds.get(rj) or {id(claims[rj]): claims[rj]}
        if (ci is not cj and conflict(ci, cj, main=(mains[i], mains[j])) is not None) or not all(
                compatible_claims(a, b) for a in ki.values() for b in kj.values()):
            failed.add((min(ri, rj), max(ri, rj)))
            continue
        li = link_row(ri)
        if linkage > 0 and (len(gi) > 1 or len(gj) > 1):
            ai = per_art.get(ri) or {art[ri]: 1}
            aj = per_art.get(rj) or {art[rj]: 1}
            cross = len(gi) * len(gj) - sum(c * aj.get(a, 0) for a, c in ai.items())
            if (cross and int(li[gj].sum()) < linkage * cross - 1e-9
                    and not (ci is not cj and _plain_overlap(claims[i], claims[j]) >= link_shared - 1e-9)):
                failed.add((min(ri, rj), max(ri, rj)))
                continue
        else:
            ai = per_art.get(ri) or {art[ri]: 1}
            aj = per_art.get(rj) or {art[rj]: 1}
        parent[rj] = ri
        members[ri] = gi + gj
        members.pop(rj, None)
        links[ri] = li + link_row(rj)
        links.pop(rj, None)
        pre_row.pop(ri, None)
        pre_row.pop(rj, None)
        kinds[ri] = {**ki, **kj}
        kinds.pop(rj, None)
        merged = dict(ai)
        for a, c in aj.items():
            merged[a] = merged.get(a, 0) + c
        per_art[ri] = merged
        per_art.pop(rj, None)
    out = []
    for g in members.values():
        sources = {refs[i].source for i in g if relation.get(refs[i].article_id) not in ("copy", "rewrite")}
        if len(sources) >= 2:
            out.append(sorted(g))
    return sorted(out, key=lambda g: g[0])


def _candidate_pairs(A: Any, floor: float, k: int, rows: np.ndarray | None = None,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The aligned pairs (i < j) with score ≥ ``floor`` that are among the ``k`` best of i or of j (0: all), i
    and j taken from ``rows`` (default: all) on one side."""
    A = A.tocsr()
    n = A.shape[0]
    if rows is not None:
        sub = A[rows]
        A = sparse.csr_matrix((sub.data, sub.indices, sub.indptr), shape=(len(rows), n))
    row = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    col, val = A.indices, A.data
    keep = val >= floor - 1e-9
    if k > 0:
        # rank within each row by score, best first (scores are cosines in [0, 1]: one float key sorts both)
        order = np.argsort((row + (1.0 - np.clip(val, 0.0, 1.0)) * 0.5).astype(np.float32))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order)) - A.indptr[:-1][row[order]]
        keep &= rank < k
    r = row[keep] if rows is None else rows[row[keep]]
    K = sparse.csr_matrix((val[keep], (r, col[keep])), shape=(n, n))
    K = sparse.triu(K.maximum(K.T), k=1).tocoo()
    return K.row, K.col, K.data


def _same_figure_pairs(refs: Any, code: np.ndarray, excluded: Any, aligned: Any, word_sim: float = 2.0,
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i < j) of sentences of different articles, not ``aligned``, that give one counted noun compatible
    figures (outside adverbial clauses and relative clauses between commas, :func:`stated_of`; not a span of time),
    as two row arrays, and whether each also shares a plain word (not a name, not a number) other than the counted
    noun (a near-synonym by the word table counts from cosine ``word_sim``). A count that names no counted thing
    ("the remaining five stayed on board") pairs with an equal count of any noun ("five crew members remain"), both
    exact; figures that both sentences give in a relative clause between commas ("Orrin Textiles, which employs
    around 260 people, makes …" / "The company, which employs 258 people at the site, said …") pair with each other,
    never with a stated one. Sentences with the same text (``code``) are read once."""
    by_text: dict[int, list[int]] = {}
    for i in range(len(refs)):
        if i not in excluded:
            by_text.setdefault(int(code[i]), []).append(i)
    by_noun: dict[str, list[tuple[float, int, Num]]] = {}  # counted noun (" " + noun: in background) → figures
    bare: list[tuple[float, int]] = []  # exact counts that name no counted thing
    for c, rows in by_text.items():
        text = refs[rows[0]].text
        for m in stated_of(text).numbers:
            if m.unit != "count" or m.high is not None:
                continue
            if m.noun and m.noun not in _SPANS:
                by_noun.setdefault(m.noun, []).append((m.value, c, m))
            elif not m.noun and not m.approx:
                bare.append((m.value, c))
        for m in _background_numbers(text):
            if m.noun and m.unit == "count" and m.high is None and m.noun not in _SPANS:
                by_noun.setdefault(" " + m.noun, []).append((m.value, c, m))
    texts: dict[tuple[int, int], bool] = {}  # pair of text codes → shares a plain word other than the noun

    def shares(c: int, c2: int, noun: str) -> None:
        key = (min(c, c2), max(c, c2))
        if c == c2 or texts.get(key):
            return
        ta, tb = refs[by_text[key[0]][0]].text, refs[by_text[key[1]][0]].text
        texts[key] = bool(wordsim.soft_matched(claim_of(ta).plain - _noun_stems(ta, noun),
                                               claim_of(tb).plain - _noun_stems(tb, noun), word_sim))

    for noun, items in by_noun.items():
        items.sort(key=lambda t: t[0])
        for k, (v, c, m) in enumerate(items):
            for v2, c2, m2 in items[k + 1:]:
                if v2 > v * (1 + 2 * _OVER) + 1e-9:
                    break
                if compatible(m, m2):
                    shares(c, c2, noun.strip())
            if not noun.startswith(" ") and not m.approx:
                for v2, c2 in bare:
                    if v2 == v:
                        shares(c, c2, noun)
    ri: list[int] = []
    rj: list[int] = []
    word: list[bool] = []
    for (c, c2), shares in texts.items():
        for i in by_text[c]:
            for j in by_text[c2]:
                if refs[i].article_id != refs[j].article_id:
                    ri.append(min(i, j))
                    rj.append(max(i, j))
                    word.append(shares)
    if not ri:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    a, b, w = np.array(ri, dtype=np.int64), np.array(rj, dtype=np.int64), np.array(word, dtype=bool)
    keep = np.asarray(aligned[a, b]).ravel() == 0
    return a[keep], b[keep], w[keep]


# counted nouns that are spans of time ("nine days", "five hours"): how long, not how many of a thing
_SPANS = frozenset(stem(w) for w in "second minute hour day week month year decade".split())


@lru_cache(maxsize=65536)
def _background_numbers(text: str) -> tuple[Num, ...]:
    """The figures ``text`` gives only in relative clauses set between commas (:data:`_MEDIAL`): what
    :func:`main_of` reads and :func:`stated_of` does not."""
    if not _MEDIAL.search(text):
        return ()
    stated = list(stated_of(text).numbers)
    out = []
    for m in main_of(text).numbers:
        if m in stated:
            stated.remove(m)
        else:
            out.append(m)
    return tuple(out)


def _shared_background_figure(a: str, b: str) -> bool:
    """Whether both sentences give one counted thing a compatible figure in a relative clause between commas: the
    same thing said of what they name ("…, which employs around 260 people, …" / "…, which employs 258 people …")."""
    nb = _background_numbers(b)
    return bool(nb) and any(compatible(n, m) and n.noun and n.noun == m.noun
                            for n in _background_numbers(a) for m in nb)


def _soft_link_pairs(al: "Alignment", code: np.ndarray, first_of: np.ndarray, excluded: Any, aligned: Any,
                     tau: float, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of sentences of different articles, not ``aligned`` and not ``excluded``, whose soft cosine
    reaches ``floor``, best first: the TF-IDF cosine with each pair of near-synonyms (cosine ≥ ``tau`` in the word
    table) counted as a shared word in proportion to its cosine, x·Sy / √(x·Sx · y·Sy) (the soft cosine measure of
    Sidorov et al., 2014). Empty without the word table or the alignment's TF-IDF terms. Computed once per distinct
    text (``code``, ``first_of``), through the pairs of terms the table links only."""
    words = wordsim.table()
    X, terms_ = al.lexical_vectors, al.lexical_terms
    empty = np.zeros(0, dtype=np.int64)
    if words is None or X is None or terms_ is None or X.shape[1] != len(terms_):
        return empty, empty
    idx = np.array([words.index.get(t, -1) for t in terms_], dtype=np.int64)
    have = np.flatnonzero(idx >= 0)
    if len(have) < 2:
        return empty, empty
    N = words.neighbours[idx[have]][:, idx[have]].tocoo()
    keep = N.data >= tau - 1e-6
    # two names of days or of months are values of one attribute, never near-synonyms ("Monday" / "Tuesday" 0.84):
    # whether two sentences are about one day is the days rule's to say
    named = np.array([terms_[k] in _DAY_NAMES for k in have], dtype=bool)
    keep &= ~(named[N.row] & named[N.col])
    if not keep.any():
        return empty, empty
    V = X.shape[1]
    S = sparse.csr_matrix((N.data[keep], (have[N.row[keep]], have[N.col[keep]])), shape=(V, V))
    Xd = X[first_of].tocsr()
    Y = Xd @ S  # each text's weight carried to its words' near-synonyms
    extra = (Y @ Xd.T).tocoo()  # off-diagonal part of x·Sy: only texts linked through a pair of near-synonyms
    if extra.nnz == 0:
        return empty, empty
    a, b, e = extra.row, extra.col, extra.data
    up = a < b
    a, b, e = a[up], b[up], e[up]
    exact = np.asarray(Xd[a].multiply(Xd[b]).sum(axis=1)).ravel()
    norm = np.sqrt(1.0 + np.asarray(Y.multiply(Xd).sum(axis=1)).ravel())  # rows are l2-normalised: x·x = 1
    score = (exact + e) / (norm[a] * norm[b])
    hit = np.flatnonzero(score >= floor - 1e-9)
    hit = hit[np.argsort(-score[hit], kind="stable")]
    a, b = a[hit], b[hit]
    # every sentence of each text (wire copies), excluded ones left out, in one vectorised expansion
    ok = np.ones(len(code), dtype=bool)
    ok[list(excluded)] = False
    rows_of = np.flatnonzero(ok)
    rows_of = rows_of[np.argsort(code[rows_of], kind="stable")]
    count = np.bincount(code[rows_of], minlength=len(first_of))
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    na, nb = count[a], count[b]
    total = na * nb
    k = np.repeat(np.arange(len(a)), total)
    off = np.arange(int(total.sum())) - np.repeat(np.cumsum(total) - total, total)
    i = rows_of[start[a[k]] + off // nb[k]]
    j = rows_of[start[b[k]] + off % nb[k]]
    owner: dict[str, int] = {}
    art = np.array([owner.setdefault(r.article_id, len(owner)) for r in al.sentences], dtype=np.int64)
    keep = art[i] != art[j]
    r, c = np.minimum(i, j)[keep], np.maximum(i, j)[keep]
    if not len(r):
        return empty, empty
    keep = np.asarray(aligned[r, c]).ravel() == 0
    return r[keep], c[keep]


@lru_cache(maxsize=65536)
def _noun_stems(text: str, noun: str) -> frozenset[str]:
    """The stems of the words of ``text`` that count ``noun`` (``staff``, ``workers`` for ``people``)."""
    return frozenset(stem(w) for w in _PLAIN_WORD.findall(text) if _noun(w) == noun)


def _shared_figure(a: Claim, b: Claim) -> bool:
    """Whether both give a figure for one counted thing with compatible values (or one of 10 or more)."""
    return any(compatible(n, m) and ((n.noun and n.noun == m.noun) or n.value >= 10)
               for n in a.numbers for m in b.numbers)


def _substantive(shared: frozenset[str]) -> bool:
    """Whether shared words include one that is not a day, a date word or a number."""
    return any(w not in _CALENDAR and not any(ch.isdigit() for ch in w) for w in shared)


# a non-restrictive relative clause (", which would cost $40 million and burn 350,000 tonnes,", ", who represents
# Ollindale in the assembly,", ", where a night shift of 40 staff was working"): background on something the sentence
# names, not what the sentence says of it
_BACKGROUND = re.compile(r",\s+(?:which|who|whose|whom|where)\b(?:[^,;:\u2014\u2013()]|(?<=\d),(?=\d{3}))*"
                         r"(?=[,;:.!?\u2014\u2013()]|$)")
# an adverbial clause or participle phrase that gives a circumstance of the claim, not the claim: a conjunction of
# time, cause or manner before an -ing form or a subject pronoun (" after rejecting a pay offer of 4 per cent",
# " as it tries to deal with a deficit"), or a comma before an -ing form (", demanding a 9% pay increase"; ", according
# to" attributes and is kept), up to the end of the clause. Grammar words, not fitted; "after the fire broke out" is
# not read (a noun phrase after "after" is as often a time or a cause: "after a deep clean")
_ADJUNCT = re.compile(r"(?:,\s+(?!according\b)(?=[a-z]+ing\b)"
                      r"|\s+(?:after|before|while|since|because|as|when|although|though)\s+"
                      r"(?=[a-z]+ing\b|(?:it|he|she|they|we)\b))"
                      r"(?:[^,;:.!?\u2014\u2013()]|(?<=\d)[,.](?=\d))*(?=[,;:.!?\u2014\u2013()]|$)")


# a restrictive relative clause on the sentence's subject ("A cargo ship that ran aground in the bay on Monday has
# leaked 8,000 litres"): it says which thing the sentence is about, the claim is what follows; it ends before the
# first auxiliary of the main verb that is not the clause's own first word ("A ship that has run aground was
# refloated")
_SUBJECT_RELATIVE = re.compile(r"(?:an?|the|this|these|those)\s+(?:[\w'’-]+\s+){0,3}?"
                               r"((?:that|which|who)\s+\w[^,;:.!?()\u2014\u2013]*?)"
                               r"\s(?:has|have|had|is|are|was|were|will|would|can|could|may|might|must|should)\s",
                               re.IGNORECASE)


# verbs that take a "that" clause (a complement, not a relative clause: "The agency said that the ship was refloated",
# "The paper understands that …"); grammar words, read as stems
_THAT_VERBS = frozenset(stem(w) for w in "say tell report add announce confirm warn claim believe think know "
                        "understand argue insist admit deny suggest show find state explain expect hope fear agree "
                        "note learn accept realise realize feel mean ensure reveal estimate predict promise decide "
                        "said told thought knew known understood found felt meant shown".split())


def _without_subject_relative(text: str) -> str:
    body = _DATELINE.sub("", text)
    m = _SUBJECT_RELATIVE.match(body)
    if not m or any(stem(w) in _THAT_VERBS for w in body[:m.start(1)].split()[1:]):
        return text
    return body[:m.start(1)] + body[m.end(1):]


@lru_cache(maxsize=65536)
def core_of(text: str) -> Claim:
    """The claim of ``text`` without its non-restrictive relative clauses (:data:`_BACKGROUND`), a restrictive one on
    its subject (:data:`_SUBJECT_RELATIVE`) and its adverbial clauses (:data:`_ADJUNCT`): what the sentence itself
    asserts. ``claim_of(text)`` when it has none."""
    return claim_of(_ADJUNCT.sub("", _BACKGROUND.sub("", _without_subject_relative(text))))


# a non-restrictive relative clause set between commas inside the sentence (the subject's: "the plant, which would
# cost about $40 million and burn 350,000 tonnes, is needed because …"): parenthetical background, whose figures the
# sentence does not state; one that ends the sentence ("backed the agreement, which gives a 6.5 per cent pay
# increase") continues it and is kept
_MEDIAL = re.compile(r",\s+(?:which|who|whose|whom)\b(?:[^,;:\u2014\u2013()]|(?<=\d),(?=\d{3}))*,(?=\s+[a-z])")


@lru_cache(maxsize=65536)
def main_of(text: str) -> Claim:
    """The claim of ``text`` without its adverbial clauses (:data:`_ADJUNCT`), relative clauses kept: the figures a
    weak pair may share. ("… backed the agreement, which gives a 6.5 per cent pay increase" states its figure in a
    relative clause and agrees with "The deal includes a pay rise of 6.5 per cent"; "… walked out after rejecting a
    pay offer of 4 per cent" does not state the offer.)"""
    return claim_of(_ADJUNCT.sub("", text))


@lru_cache(maxsize=65536)
def stated_of(text: str) -> Claim:
    """The claim of ``text`` without its adverbial clauses and its relative clauses set between commas
    (:data:`_MEDIAL`): the figures that may let a weak pair link, or make a sentence one with figures."""
    return claim_of(_ADJUNCT.sub("", _MEDIAL.sub(",", text)))


def _own_share(a: str, b: str) -> float:
    """The share of plain words (outside clauses, :func:`core_of`) of the sentence with fewer that the other uses too,
    as written, leaving out words in quotation marks and verbs of saying or thinking (:data:`_THAT_VERBS`)."""
    ca, cb = core_of(a), core_of(b)
    wa, wb = ca.plain - ca.quoted - _THAT_VERBS, cb.plain - cb.quoted - _THAT_VERBS
    small = min(len(wa), len(wb))
    return len(wa & wb) / small if small else 0.0


def _plain_overlap(a: Claim, b: Claim) -> float:
    small = min(len(a.plain), len(b.plain))
    return len(a.plain & b.plain) / small if small else 0.0
