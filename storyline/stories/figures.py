"""Figures (numbers with what they count) and conflicts (figures about the same thing that differ between sources).

A figure is a number — digits (``12,000``, ``3.5``), number words (``three``, ``thirty-seven``, ``a dozen``) or
vague quantities (``dozens``, ``tens of thousands``) — with an optional modifier (``about``, ``more than``), and what
it counts: the noun phrase after it (``105 US citizens``, ``95 green-card holders``, ``around 100 people``), a
currency (``$2 million``), ``percent``, or a time unit (``20-year``, ``six hours``). Each figure's ``text`` is the
verbatim span of the article. A range (``1,200–1,300 households``, ``5 to 7 people``, ``between 5 and 7``,
``$1.2bn-$1.5bn``) is one figure with no single value (like ``dozens``).

Conflicts: figures of *different* articles are linked when they count the same kind of thing (``category``) and
either share the counted noun / one's noun occurs in the other's sentence, or their sentences are similar (TF-IDF
cosine ≥ ``figure_context_threshold``). A linked group that spans ≥ 2 articles and holds different values is a
conflict; figures of the same category in the same sentence as a member are shown with it (``105 US citizens and 95
green-card holders``).

Numbers that name rather than count are not figures: phone numbers (``call 555-0123``, ``+1 (202) 555-0175``,
``0800 123 4567``), multi-part codes (``ISBN 978-3-16-148410-0``, ``21-cv-1234``), US zip codes after a state
(``DC 20500``), unseparated digit runs of 8 or more (``9783161484100``), numbers with a leading zero (``0800``) and
numbers right after a label word (``Flight 370``, ``Route 66``, ``No. 5``, ``Resolution 2334``); see
:func:`non_quantity_spans`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from scipy import sparse

from ..records import Article
from ..sentences import Sentence
from .model import Conflict, ConflictValue, Figure
from ..terms import STOP, stem, terms

__all__ = ["extract_figures", "find_conflicts", "is_people", "non_quantity_spans", "parse_number"]

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
           "trillion": 1_000_000_000_000, "bn": 1_000_000_000, "m": 1_000_000}
_WORDNUM = (r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|four|five|six|seven|"
            r"eight|nine))?|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
            r"fifteen|sixteen|seventeen|eighteen|nineteen|a dozen|a hundred|a thousand)")
_VAGUE = (r"(?:(?:several|a few) (?:dozen|hundred|thousand|million)|tens of thousands|hundreds of thousands|tens|"
          r"dozens|hundreds|thousands|millions|scores)")
# what a vague quantity means, as an interval: "dozens" is 24–99; "several thousand" 3,000–9,999
_VAGUE_RANGE = {"tens": (20, 99), "dozens": (24, 99), "scores": (40, 99), "hundreds": (200, 999),
                "thousands": (2_000, 9_999), "millions": (2e6, 9.99e6), "tens of thousands": (20_000, 99_999),
                "hundreds of thousands": (200_000, 999_999), "several dozen": (36, 99), "a few dozen": (24, 60),
                "several hundred": (300, 999), "a few hundred": (200, 600), "several thousand": (3_000, 9_999),
                "a few thousand": (2_000, 6_000), "several million": (3e6, 9.99e6), "a few million": (2e6, 6e6)}
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MOD = (r"(?:(?:about|around|almost|nearly|roughly|approximately|some|over|under|more than|fewer than|less than|"
        r"at least|at most|up to|as many as|as much as|close to|just over|just under|an estimated)\s+)")
_SCALE = r"(?:\s+(?:hundred|thousand|million|billion|trillion)|\s?(?:bn|m)\b)"
_CURRENCY_SYM = r"[$€£¥]"
_CURRENCY_WORD = r"(?:dollars|euros|pounds|yen|francs|crowns|kroner|USD|EUR|GBP)"
_PERCENT = r"(?:\s?%|\s+percent(?:age points)?|\s+per\s?cent)"
_TIME_UNITS = "second|minute|hour|day|week|month|year|decade|century"
# units written right after the number ("80mm", "70mph", "400 m³/s", "5km"): the unit is what the figure measures
_GLUED = r"(?:m³/s|m3/s|mm|cm|km|kg|mph|kph|km/h|kW|MW|GW|kWh|MWh|ha)"
_FIGURE = re.compile(
    # not part of a longer token: a clock time (14:27), a fraction or path (1/3, /2026/03/), a phone prefix (+44)
    rf"(?<![\w.,$€£¥:/+-])(?P<mod>{_MOD})?(?P<cur>{_CURRENCY_SYM})?"
    rf"(?P<num>{_DIGITS}|{_VAGUE}|{_WORDNUM})(?P<scale>{_SCALE})?"
    rf"(?:(?P<pct>{_PERCENT})|-(?P<dur>(?:{_TIME_UNITS}))s?\b(?:-old)?|\s?(?P<glued>{_GLUED})(?![\w/]))?"
    rf"(?![\w]|[:/]\d)",
    re.IGNORECASE,
)
# the upper bound of a range written after a figure's number: "1,200-1,300", "12–15", "5 to 7", "between 5 and 7",
# "$1.2bn-$1.5bn"; the range is one figure (value None, approximate), never its lower bound alone and its upper
# bound read as an exact number (which made "1,200–1,300 households" a "1,300 households" conflicting with 1,250)
_RANGE_TAIL = re.compile(
    rf"\s*(?P<sep>[-–—]|to\s|and\s)\s*(?P<cur>{_CURRENCY_SYM})?(?P<num>{_DIGITS})(?P<scale>{_SCALE})?"
    rf"(?P<pct>{_PERCENT})?(?![\w]|[:/.,]\d)",
    re.IGNORECASE,
)
_BETWEEN = re.compile(r"\bbetween\s+$", re.IGNORECASE)
_NOUN_WORD = re.compile(r"\s+(?:of\s+)?([A-Za-z][\w’'-]*)")
_PEOPLE = frozenset(
    """people persons person citizens citizen americans residents resident workers worker civilians soldiers troops
    refugees migrants children women men passengers victims dead injured wounded holders nationals employees members
    students officers police protesters demonstrators fishermen farmers families households voters patients
    firefighters rescuers staff journalists prisoners hostages detainees fans spectators visitors tourists
    commuters drivers miners dockworkers inhabitants adults teenagers survivors casualties deaths
    officials individuals minors veterans humans partisans rebels militants insurgents suspects crew personnel
    delegates candidates parents kids girls boys babies infants youths pupils athletes pilgrims doctors nurses
    investors donors senators legislators governors inspectors prosecutors contractors""".split()
)
# Counted nouns that end like agent nouns ("-ers": workers, protesters, voters) but name things, events or amounts.
# No installed resource tells people nouns from others (spaCy's English pipeline has lemmas and entity types, not
# noun classes; WordNet is not a dependency), so this is a short hand list: non-person "-ers" nouns that follow a
# number in news (girders, containers, papers, orders, powers, murders, encounters and fund-raisers were counted as
# people in ../shared/data before it). Matched on the whole word or its last hyphenated part; the few heads in
# _NOT_PEOPLE_COMPOUND also end compounds ("superpowers", "newspapers", "skyscrapers", "headquarters").
_NOT_PEOPLE = frozenset(
    """girders containers computers papers numbers letters powers towers orders others murders encounters matters
    quarters centers centres chapters borders corners waters layers filters printers helicopters trailers posters
    shelters barriers tankers scrapers raisers fundraisers lists""".split()
)
_NOT_PEOPLE_COMPOUND = ("papers", "powers", "towers", "quarters", "scrapers", "containers", "computers")
_PEOPLE_SUFFIX = ("ers", "ists", "ians")  # agent and member nouns: workers, journalists, civilians
_MONEY_WORDS = frozenset("dollars euros pounds yen francs crowns kroner usd eur gbp".split())
_MEASURES = frozenset(
    """tonnes tons tonne ton kilograms kg kilometres kilometers km metres meters miles litres liters gallons hectares
    acres megawatts mw gigawatts barrels degrees millimetres millimeters centimetres centimeters""".split()
)
_ORDINAL_AFTER = frozenset("st nd rd th".split())
# nouns in the stop-word list that can be part of a counted noun phrase ("14 fire engines", "US citizens")
_STOP_NOUNS = frozenset("us fire bill mill system side part front top bottom interest detail amount name".split())
_TIME_STEMS = frozenset(stem(u) for u in _TIME_UNITS.split("|")) | frozenset(u + "s" for u in _TIME_UNITS.split("|"))
_MONTHS = frozenset("january february march april may june july august september october november december".split())

# Numbers that name rather than count (phone numbers, codes, ids): (pattern, group whose span is blocked, test on
# that span). A figure whose number overlaps such a span is not extracted.
_PHONE_CUE = (r"\b(?:call|phone|telephone|tel|dial|ring|text|fax|hotline|helpline|whatsapp)(?:s|ed|ing|led|ling)?"
              r"\b[\s.:,#]*(?:(?:on|at|number|no\.?)\s*)?")
_PHONE_TAIL = r"\+?\(?\d+\)?(?:[ .-]\(?\d+\)?)*"
_US_STATES = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
              "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR").split()
_LABELS = (r"flight|route|highway|interstate|room|suite|gate|platform|terminal|resolution|article|section|chapter|"
           r"clause|page|item|docket|ticket|invoice|account|serial|model|version|isbn|issn|zip|zip code|postcode|"
           r"postal code|pin|extension|ext\.|id|no\.|nos\.|number")


def _digits(at_least: int) -> Callable[[str], bool]:
    return lambda span: sum(ch.isdigit() for ch in span) >= at_least


_NON_QUANTITY = (
    # a phone number after a cue word: "call 555-0123", "hotline: 0800 123 4567", "text 741741"
    (re.compile(rf"{_PHONE_CUE}({_PHONE_TAIL})", re.IGNORECASE), 1, _digits(6)),
    # emergency numbers: "call 911", "dialled 999"
    (re.compile(r"\b(?:call|dial)(?:s|ed|ing|led|ling)?\s+(911|999|112)\b", re.IGNORECASE), 1, _digits(3)),
    # international: "+1 (202) 555-0175", "+44 20 7946 0958"
    (re.compile(r"\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){2,6}"), 0, _digits(7)),
    # North American: "(202) 555-0175", "202-555-0175", "202.555.0175", "1-800-555-0199"
    (re.compile(r"(?<![\w.,])(?:1[ .-])?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w]|[.,-]\d)"), 0, _digits(10)),
    # local seven digits with the fictional 555 exchange or a leading-zero line number: "555-0123", "321-0456"
    (re.compile(r"(?<![\w.,-])(?:555-\d{4}|\d{3}-0\d{3})(?![\w]|[.,-]\d)"), 0, _digits(7)),
    # a leading zero and the digit groups after it: "0800 123 4567", "020 7946 0958", "0800", "007"
    (re.compile(r"(?<![\w.,])0\d+(?:[ -]\d{2,4}){0,3}(?![\w]|[.,]\d)"), 0, _digits(2)),
    # codes of three or more hyphenated parts, two or more with digits: "978-3-16-148410-0", "21-cv-1234"
    # (not "20-year-old", "a 5-4 vote")
    (re.compile(r"(?<![\w.,-])\d+(?:-[A-Za-z0-9]+){2,}(?![\w-])"), 0,
     lambda span: sum(any(ch.isdigit() for ch in part) for part in span.split("-")) >= 2),
    # 8+ digits without separators are ids (ISBN-13, account numbers): quantities that large are written 12,000,000
    (re.compile(rf"(?<![\w.,$€£¥])\d{{8,}}(?![\w]|[.,]\d|\s*(?:%|percent|{_CURRENCY_WORD}))", re.IGNORECASE), 0,
     _digits(8)),
    # a US zip code after a state: "Washington, DC 20500", "CA 90210-1234"
    (re.compile(rf"\b(?:{'|'.join(_US_STATES)})\s+(\d{{5}}(?:-\d{{4}})?)(?![\w]|[.,-]\d)"), 1, _digits(5)),
    # a number right after a label is its name: "Flight 370", "Route 66", "No. 5", "ISBN 0-306-40615-2", "#1"
    (re.compile(rf"(?:\b(?:{_LABELS})\s*(?:no\.?\s*|#\s*)?|#\s*)(\d[\d-]*)", re.IGNORECASE), 1, _digits(1)),
)


def non_quantity_spans(text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """Spans of ``text[lo:hi]`` whose digits name something (a phone number, a code, an id) rather than count it.

    >>> t = "Call 555-0123 or +1 (202) 555-0175; 12,000 workers."
    >>> [t[a:b] for a, b in non_quantity_spans(t)]
    ['555-0123', '+1 (202) 555-0175']
    """
    hi = len(text) if hi is None else hi
    out: list[tuple[int, int]] = []
    for pattern, group, accept in _NON_QUANTITY:
        for m in pattern.finditer(text, lo, hi):
            if accept(m.group(group)):
                out.append(m.span(group))
    out.sort()
    merged: list[tuple[int, int]] = []
    for a, b in out:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def parse_number(num: str, scale: str | None = None) -> tuple[float | None, bool]:
    """``("12,000") → (12000.0, False)``; ``("thirty-seven") → (37.0, False)``; ``("dozens") → (None, True)``."""
    s = num.lower().strip()
    value: float | None
    approx = False
    if re.fullmatch(_DIGITS, s):
        value = float(s.replace(",", ""))
    elif s in ("a dozen",):
        value = 12.0
    elif s in ("a hundred", "a thousand"):
        value = float(_SCALES[s.split()[1]])
    elif s in _UNITS:
        value = float(_UNITS[s])
    elif s.split("-")[0] in _TENS:
        parts = s.split("-")
        value = float(_TENS[parts[0]] + (_UNITS.get(parts[1], 0) if len(parts) > 1 else 0))
    else:
        return None, True  # dozens, thousands, tens of thousands …
    if scale:
        value *= _SCALES.get(scale.strip().lower(), 1)
    return value, approx


def _counted(text: str, pos: int, limit: int) -> tuple[str, int]:
    """The noun phrase a number counts, starting at ``pos``: up to 3 words, ending at the first plural/known noun."""
    words: list[tuple[str, int]] = []
    p = pos
    while len(words) < 3:
        m = _NOUN_WORD.match(text, p, limit)
        if not m:
            break
        w = m.group(1)
        lw = w.lower().strip("’'")
        if lw in STOP and lw not in _STOP_NOUNS or lw in _MONTHS or lw in _ORDINAL_AFTER:
            break
        words.append((w, m.end()))
        p = m.end()
        acronym = w.isupper() and len(w) <= 4  # "US citizens", "UN staff": a modifier, not the counted noun
        if lw in _PEOPLE or lw in _MONEY_WORDS or lw in _MEASURES or (
                lw.endswith("s") and not lw.endswith("ss") and not acronym):
            return " ".join(x for x, _ in words), p
    # no plural/known noun within 3 words: take the first word only when it is a known singular count noun
    if words and words[0][0].lower() in ("person", "percent", "dollar", "euro", "tonne", "ton"):
        return words[0][0], words[0][1]
    return "", pos


def is_people(word: str) -> bool:
    """Whether a counted noun (as written, plural) counts people.

    Known people nouns (``people``, ``citizens``, ``officials``, ``minors``), agent and member nouns by their ending
    (``workers``, ``protesters``, ``voters``, ``lawmakers``, ``journalists``, ``civilians``) unless listed as naming
    things (``girders``, ``containers``, ``computers``, ``papers``, ``numbers``, ``orders``, ``others``), and
    capitalised demonyms (``Americans``, ``Afghans``, ``New Yorkers``, ``Israelis``). Lower-case ``-ans`` is not enough
    (``loans``, ``plans``).

    >>> [w for w in ["workers", "girders", "voters", "containers", "Afghans", "loans"] if is_people(w)]
    ['workers', 'voters', 'Afghans']
    """
    low = word.lower().strip("’'")
    if low in _PEOPLE:
        return True
    if low in _MEASURES or low in _MONEY_WORDS:
        return False
    last = low.rsplit("-", 1)[-1]
    if last in _NOT_PEOPLE or low.replace("-", "") in _NOT_PEOPLE or any(
            low.endswith(w) and len(low) - len(w) >= 3 for w in _NOT_PEOPLE_COMPOUND):
        return False
    if last in _PEOPLE:  # "green-card holders", "co-workers"
        return True
    if low.endswith(_PEOPLE_SUFFIX):
        return True
    return word[:1].isupper() and low.endswith(("ans", "ers", "is", "ese"))


# measurement units → (dimension, factor to the dimension's base unit): figures in "62 millimetres" and "80mm", or
# "400 cubic metres per second" and "420 m³/s", measure one thing and are compared in one unit
_UNIT_CANON: dict[str, tuple[str, float]] = {
    "mm": ("length", 0.001), "millimetres": ("length", 0.001), "millimeters": ("length", 0.001),
    "cm": ("length", 0.01), "centimetres": ("length", 0.01), "centimeters": ("length", 0.01),
    "metres": ("length", 1.0), "meters": ("length", 1.0), "metre": ("length", 1.0), "meter": ("length", 1.0),
    "km": ("length", 1000.0), "kilometres": ("length", 1000.0), "kilometers": ("length", 1000.0),
    "miles": ("length", 1609.0), "mph": ("speed", 0.447), "kph": ("speed", 0.2778), "km/h": ("speed", 0.2778),
    "kg": ("mass", 1.0), "kilograms": ("mass", 1.0), "tonnes": ("mass", 1000.0), "tons": ("mass", 1000.0),
    "tonne": ("mass", 1000.0), "ton": ("mass", 1000.0), "litres": ("volume", 1.0), "liters": ("volume", 1.0),
    "gallons": ("volume", 3.785), "barrels": ("volume", 159.0), "m³/s": ("flow", 1.0), "m3/s": ("flow", 1.0),
    "hectares": ("area", 1.0), "acres": ("area", 0.4047), "kw": ("power", 0.001), "mw": ("power", 1.0),
    "megawatts": ("power", 1.0), "gw": ("power", 1000.0), "gigawatts": ("power", 1000.0), "kwh": ("energy", 0.001),
    "mwh": ("energy", 1.0), "degrees": ("temperature", 1.0)}
# durations in days: "about ten days" and "up to two weeks" are compared as 10 and 14 days
_DAYS = {"second": 1 / 86400, "minute": 1 / 1440, "hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 30.4,
         "year": 365.0, "decade": 3650.0, "century": 36500.0}
# collective nouns that count people in a partitive ("two of the group", "three of the crew")
_COLLECTIVE = frozenset("group crew team family party class crowd staff workforce".split())


def _measure(counts: str, after: str = "") -> tuple[str, float] | None:
    """(dimension, factor) of a measurement unit: ``"80mm"`` → length; ``"cubic metres"`` + ``" per second"`` →
    flow; None for anything else."""
    words = counts.lower().split()
    if not words:
        return None
    head = words[-1]
    if head in ("metres", "meters") and len(words) > 1 and words[-2] == "cubic":
        if re.match(r"\s+(?:of\s+\w+\s+)?per\s+second", after, re.IGNORECASE):
            return ("flow", 1.0)
        return ("volume", 1000.0)
    return _UNIT_CANON.get(head)


def _category(unit: str, counts: str, after: str = "") -> str:
    if unit == "measure":
        m = _measure(counts, after)
        return "measure:" + (m[0] if m else counts.lower())
    if unit != "count":
        return unit
    word = counts.split()[-1] if counts else ""
    head = word.lower()
    if is_people(word) or head in _COLLECTIVE or head in ("toll", "death", "dead", "deaths"):
        return "people"
    m = _measure(counts, after)
    if m is not None:
        return "measure:" + m[0]
    return "count:" + stem(head) if head else "number"


# a number joined to a singular noun that modifies another noun ("a 24-bed ward", "a 12-storey block", "a
# three-bedroom house", "a 100-metre stretch"): the figure counts that noun, in the plural ("24 beds"); durations
# ("20-year") are read by _FIGURE itself; fractions ("two-thirds majority"), "one-off", "three-time winner",
# "20-odd years" and "two-hundred" count nothing of the noun
_COMPOUND = re.compile(r"-([A-Za-z]{2,})(?=\s+[A-Za-z])")
_FRACTIONS = frozenset("""half halves third thirds quarter quarters fifth fifths tenth tenths off way time something odd
    some sum hundred thousand million billion dozen percent""".split())  # and other words after a number that count nothing of it


def _plural(word: str) -> str:
    """The plural of a singular count noun, as a counted noun is written after a number: bed → beds,
    storey → storeys, party → parties, inch → inches, person → people."""
    low = word.lower()
    if low == "person":
        return "people"
    if low.endswith("man"):
        return word[:-3] + "men"
    if low.endswith("y") and low[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    if low.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


_BY = re.compile(r"\bby\s+$", re.IGNORECASE)
_PARTITIVE = re.compile(r"\s+of\s+(?:the|these|those|its|their|his|her|our)\s+([A-Za-z][\w’'-]*)")
# the counted thing named before a bare number: "the number of ships waiting … has risen to 31", "bringing the
# number of stolen items to four", "the death toll … has risen to four"
_NUMBER_OF = re.compile(r"\b(?:number|total|tally|count)\s+of\s+((?:[A-Za-z][\w-]*\s+){0,2}[A-Za-z][\w-]*)\b"
                        r"[^.;:]{0,80}?\b(?:to|at|reached|reaches|hit|hits|is|was|stood at|stands at)\s+$",
                        re.IGNORECASE)
_TOLL = re.compile(r"\b((?:death\s+)?toll)\b[^.;:]{0,80}?\b(?:to|at|reached|reaches|hit|hits|stood at|stands at)"
                   r"\s+$", re.IGNORECASE)


_NAMED_CUE = re.compile(r"\b(?:number|total|tally|count)\s+of\b|\btoll\b", re.IGNORECASE)


def _named_before(text: str, lo: int, a: int) -> str:
    """The counted thing a sentence names before a bare number (see ``_NUMBER_OF``), or ""."""
    head = text[lo:a]
    if not _NAMED_CUE.search(head):
        return ""
    m = _NUMBER_OF.search(head)
    if m:
        words = m.group(1).split()
        for k, w in enumerate(words):  # up to the counted noun: "people killed by …", "stolen items to four"
            if w.lower() in _PEOPLE or (w.lower().endswith("s") and not w.lower().endswith("ss")):
                return " ".join(words[:k + 1])
        return ""
    m = _TOLL.search(head)
    return m.group(1) if m else ""


_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
             "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
             "twentieth": 20, "thirtieth": 30}
# a duration written without a cardinal: "as the walkout enters its sixth day", "now in its third week", "stayed off
# the job for a second day" (how long so far: 6 days, 3 weeks, 2 days; "ended their first day" names a day and is
# no duration), "on strike for a week" / "for a fortnight" (1 week, 2 weeks); the span starts at the ordinal or "a"
_ORDINAL_DURATION = re.compile(
    r"\b(?:(?:enters?|entered|entering|into|in)\s+(?:its|their)|for\s+a)\s+(?P<ord>" + "|".join(_ORDINALS)
    + r"|\d{1,3}(?:st|nd|rd|th))\s+(?:straight\s+|consecutive\s+|full\s+)?(?P<unit>day|week|month|year)\b"
    r"(?!\s+of\b)", re.IGNORECASE)
_ONE_DURATION = re.compile(r"\bfor\s+(?P<a>a|one)\s+(?:full\s+|whole\s+)?(?P<unit>day|week|month|year|fortnight)\b"
                           r"(?![\w-])", re.IGNORECASE)


def _unit_durations(article: Article, sent: Sentence) -> list[Figure]:
    """Durations with no cardinal number (``_ORDINAL_DURATION``, ``_ONE_DURATION``) in one sentence."""
    text, out = article.text, []
    for m in _ORDINAL_DURATION.finditer(text, sent.start, sent.end):
        o = m.group("ord").lower()
        value = float(_ORDINALS[o]) if o in _ORDINALS else float(o[:-2])
        a = m.start("ord")
        out.append(Figure(text[a:m.end()], value, False, "duration", m.group("unit").lower(), "duration",
                          article.id, article.source, a, m.end(), sent.text, sent.start, sent.end))
    for m in _ONE_DURATION.finditer(text, sent.start, sent.end):
        unit = m.group("unit").lower()
        value, unit = (2.0, "week") if unit == "fortnight" else (1.0, unit)
        a = m.start("a")
        out.append(Figure(text[a:m.end()], value, False, "duration", unit, "duration", article.id,
                          article.source, a, m.end(), sent.text, sent.start, sent.end))
    return out


# calendar dates of an event, as figures of category "calendar" (a day number, days since 1 January of year 1): "May
# 26", "26 May", "the twenty-sixth of May", "Friday the twenty-fourth" (the month: the one, within a month either
# side of the report, whose day falls on that weekday), "mid-June" (11–20), "early June" (1–10), "late June" / "the
# end of June" (21–end). Read by hand: dateparser parses a whole string, not the spans of a sentence, and its
# search_dates reads "may" and "march" as dates in running text; a month must be capitalised here ("may" is a verb).
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")
_MONTH_OF = {m: k + 1 for k, m in enumerate(_MONTH_NAMES)} | {m[:3]: k + 1 for k, m in enumerate(_MONTH_NAMES)} \
    | {"Sept": 9}
_MONTH_RE = (r"(?:(?:" + "|".join(_MONTH_NAMES) + r")|(?:" + "|".join(m[:3] for m in _MONTH_NAMES) + r"|Sept)\.?)"
             r"(?![\w’'])")
_DAY_ORDINALS = dict(_ORDINALS) | {f"{t}-{u}": 20 + _ORDINALS[u] if t == "twenty" else 30 + _ORDINALS[u]
                                   for t in ("twenty", "thirty") for u in ("first", "second", "third", "fourth",
                                                                             "fifth", "sixth", "seventh", "eighth",
                                                                             "ninth") if t == "twenty" or u == "first"}
_DAY_RE = r"(?:[12]?\d|3[01])(?:st|nd|rd|th)?(?!\d)|" + "|".join(sorted(_DAY_ORDINALS, key=len, reverse=True))
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CALENDAR = re.compile(
    rf"\b(?:(?P<part>mid|early|late|the\s+end\s+of|the\s+middle\s+of|the\s+start\s+of|the\s+beginning\s+of)"
    rf"[-\s]+(?P<pm>{_MONTH_RE})"
    rf"|(?P<m1>{_MONTH_RE})\s+(?P<d1>(?:[12]?\d|3[01]))(?:st|nd|rd|th)?(?![\d,.]\d|\w)"
    rf"|(?:the\s+)?(?P<d2>{_DAY_RE})\s+(?:of\s+)?(?P<m2>{_MONTH_RE})"
    rf"|(?P<wd>{'|'.join(_WEEKDAY_NAMES)}),?\s+the\s+(?P<d3>{_DAY_RE})\b)")
_PARTS = {"mid": (11, 20), "the middle of": (11, 20), "early": (1, 10), "the start of": (1, 10),
          "the beginning of": (1, 10), "late": (21, 31), "the end of": (21, 31)}


def _day_number(day: str) -> int | None:
    d = day.lower()
    if d in _DAY_ORDINALS:
        return _DAY_ORDINALS[d]
    m = re.match(r"\d+", d)
    return int(m.group(0)) if m else None


def _calendar_dates(article: Article, sent: Sentence) -> list[Figure]:
    """Calendar dates in one sentence (``_CALENDAR``), the year (and for "Friday the twenty-fourth" the month)
    taken from the report's own date: the one within six months of it (without a date: 2000, which only orders
    the dates of one report)."""
    from datetime import date

    text, out = article.text, []
    ref = article.date.date() if article.date is not None else date(2000, 6, 30)

    def nearest(month: int, day: int) -> date | None:
        best = None
        for year in (ref.year - 1, ref.year, ref.year + 1):
            try:
                d = date(year, month, day)
            except ValueError:
                continue
            if best is None or abs((d - ref).days) < abs((best - ref).days):
                best = d
        return best

    for m in _CALENDAR.finditer(text, sent.start, sent.end):
        low = high = None
        if m.group("pm"):
            month = _MONTH_OF[m.group("pm").rstrip(".")]
            a_day, b_day = _PARTS[" ".join(m.group("part").lower().split())]
            first = nearest(month, 1)
            if first is None:
                continue
            last = (date(first.year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
            low, high = first.toordinal() + a_day - 1, first.toordinal() + min(b_day, last) - 1
            value = None
        elif m.group("wd"):
            day = _day_number(m.group("d3"))
            wd = _WEEKDAY_NAMES.index(m.group("wd"))
            cands = []
            for shift in (-1, 0, 1):
                month = (ref.month - 1 + shift) % 12 + 1
                d = nearest(month, day) if day else None
                if d is not None and d.weekday() == wd:
                    cands.append(d)
            if len(cands) != 1:
                continue  # no month (or two) puts that day on that weekday: unknown
            value = float(cands[0].toordinal())
        else:
            month = _MONTH_OF[(m.group("m1") or m.group("m2")).rstrip(".")]
            day = _day_number(m.group("d1") or m.group("d2"))
            d = nearest(month, day) if day else None
            if d is None:
                continue
            value = float(d.toordinal())
        a, b = m.span()
        out.append(Figure(text[a:b], value, low is not None, "date", "date", "calendar", article.id, article.source,
                          a, b, sent.text, sent.start, sent.end, None if low is None else float(low),
                          None if high is None else float(high)))
    return out


# times of day of an event, as figures of category "clock" (minutes after midnight): "2am", "2.15am", "11.40 p.m.",
# "midnight", "noon"; "about 2am" is ±15 minutes, "shortly after 2am" 2:00–2:30, "shortly before midnight" 23:30–24:00,
# "between 1am and 3am" its bounds (a report's wording of a time is rounded to the quarter or half hour)
_CLOCK_TIME = r"(?:(?:1[0-2]|0?[1-9])(?:[.:][0-5]\d)?\s?(?:am|pm|a\.m\.|p\.m\.)|midnight|midday|noon)"
_CLOCK = re.compile(
    rf"(?<![\w.])(?:(?P<between>between)\s+(?P<t1>{_CLOCK_TIME})\s+and\s+(?P<t2>{_CLOCK_TIME})|"
    rf"(?:(?P<mod>shortly after|shortly before|just after|just before|soon after|about|around|approximately|"
    rf"roughly)\s+)?(?P<t>{_CLOCK_TIME}))(?![\w])", re.IGNORECASE)
_CLOCK_SPREAD = {"about": (-15, 15), "around": (-15, 15), "approximately": (-15, 15), "roughly": (-15, 15),
                 "shortly after": (0, 30), "just after": (0, 30), "soon after": (0, 30),
                 "shortly before": (-30, 0), "just before": (-30, 0)}


def _minutes(t: str) -> int:
    # every kind of white space out (``_CLOCK_TIME`` allows any, e.g. a non-breaking space before "p.m.")
    low = "".join(t.lower().split())
    if low in ("midnight",):
        return 24 * 60
    if low in ("midday", "noon"):
        return 12 * 60
    m = re.match(r"(\d+)(?:[.:](\d\d))?(a|p)", low)
    assert m is not None
    h = int(m.group(1)) % 12 + (12 if m.group(3) == "p" else 0)
    return h * 60 + int(m.group(2) or 0)


def _clock_times(article: Article, sent: Sentence) -> list[Figure]:
    """Times of day in one sentence (``_CLOCK``), as intervals of minutes after midnight."""
    text, out = article.text, []
    for m in _CLOCK.finditer(text, sent.start, sent.end):
        if m.group("between"):
            low, high = _minutes(m.group("t1")), _minutes(m.group("t2"))
        else:
            t = _minutes(m.group("t"))
            a_, b_ = _CLOCK_SPREAD.get(" ".join((m.group("mod") or "").lower().split()), (0, 0))
            low, high = t + a_, t + b_
        if high < low:
            continue
        a, b = m.span()
        out.append(Figure(text[a:b], None, low != high, "time", "time of day", "clock", article.id,
                          article.source, a, b, sent.text, sent.start, sent.end, float(low), float(high)))
    return out


def extract_figures(article: Article, sentences: Sequence[Sentence]) -> list[Figure]:
    """Every figure in ``article`` with what it counts and its sentence."""
    out: list[Figure] = []
    text = article.text
    for sent in sentences:
        out += _unit_durations(article, sent)
        calendar = _calendar_dates(article, sent) + _clock_times(article, sent)
        out += calendar
        named = non_quantity_spans(text, sent.start, sent.end) + [(f.start, f.end) for f in calendar]
        taken = sent.start  # the end of the last range: its upper bound is no figure of its own
        for m in _FIGURE.finditer(text, sent.start, sent.end):
            na, nb = m.span("num")
            if any(x < nb and na < y for x, y in named):
                continue  # a phone number, code or id: names something, counts nothing
            if na < taken:
                continue
            num = m.group("num")
            low = num.lower()
            a, b = m.start(), m.end()
            value, approx = parse_number(num, m.group("scale"))
            approx = approx or bool(m.group("mod"))
            cur, pct = m.group("cur"), m.group("pct")
            rng = _range_tail(text, m, value, sent.start, sent.end)
            bounds: tuple[float | None, float | None] = (None, None)
            if rng is not None:
                between = _BETWEEN.search(text, max(sent.start, a - 12), a)
                a, b, taken = (between.start() if between else a), rng.end(), rng.end()
                bounds = (value, parse_number(rng.group("num"), rng.group("scale") or m.group("scale"))[0])
                value, approx = None, True  # a range, not one number
                cur, pct = cur or rng.group("cur"), rng.group("pct")
            if cur:
                unit, counts = "money", cur
            elif pct:
                unit, counts = "percent", "percent"
            elif m.group("glued"):
                unit, counts = "measure", m.group("glued")
            elif m.group("dur"):
                unit, counts = "duration", m.group("dur").lower()
            else:
                counts, end = _counted(text, b, sent.end)
                compound = _COMPOUND.match(text, b, sent.end) if not counts and low != "one" else None
                if compound and compound.group(1).lower() not in _FRACTIONS | _UNITS.keys() | _TENS.keys():
                    counts, end = _plural(compound.group(1)), compound.end(1)  # "a 24-bed ward": 24 beds
                part = _PARTITIVE.match(text, b, sent.end) if not counts else None
                if part and (part.group(1).lower() in _COLLECTIVE or is_people(part.group(1))
                             or part.group(1).lower().endswith("s")):
                    counts, end = part.group(1), part.end()  # "two of the group", "three of the hikers"
                counted_before = "" if counts or part else _named_before(text, sent.start, a)
                if counted_before:
                    unit, counts = "count", counted_before  # "the number of ships … has risen to 31": the span stays "31"
                elif counts:
                    b = end
                    head = counts.split()[-1].lower()
                    if head in _MONEY_WORDS:
                        unit = "money"
                    elif stem(head) in _TIME_STEMS:
                        unit, counts = "duration", counts
                    elif _measure(counts, text[b:sent.end]) is not None:
                        unit = "measure"
                    else:
                        unit = "count"
                elif re.fullmatch(r"(1[89]|20)\d\d", num):
                    unit, counts = "date", "year"
                elif low in _UNITS and low in ("one",):
                    continue  # "one of the …", "one is in a serious condition": not a figure
                elif re.fullmatch(_DIGITS, num) or value is not None:
                    prev = text[max(sent.start, a - 12):a].lower()
                    if any(mo in prev for mo in _MONTHS) or re.search(r"\b(on|by|since)\s+$", prev):
                        unit, counts = "date", "day"
                    else:
                        unit, counts = "number", ""
                else:
                    unit, counts = "number", ""
            if unit == "number" and value is not None and value < 10 and not re.fullmatch(_DIGITS, num):
                continue  # a bare number word ("two sides") without a counted noun is rarely a figure
            category = _category(unit, counts, text[b:sent.end])
            if unit not in ("date", "number") and _BY.search(text, max(sent.start, a - 4), a):
                category += ":by"  # "won by 3,200 votes", "rose by 15%": a margin or change, not a level
            out.append(Figure(text[a:b], value, approx, unit, counts, category, article.id,
                              article.source, a, b, sent.text, sent.start, sent.end, *bounds))
    out.sort(key=lambda f: f.start)
    return out


def _range_tail(text: str, m: re.Match[str], low: float | None, lo: int, hi: int) -> re.Match[str] | None:
    """The upper bound after figure ``m`` when ``m`` is the lower bound of a range (digits, a greater upper bound,
    "and" only after "between"; not years like "2020-2021", not scores like "3-1"), else None."""
    if low is None or m.group("pct") or m.group("dur") or not re.fullmatch(_DIGITS, m.group("num")):
        return None
    if not m.group("cur") and not m.group("scale") and re.fullmatch(r"(1[89]|20)\d\d", m.group("num")):
        return None
    tail = _RANGE_TAIL.match(text, m.end(), hi)
    if tail is None:
        return None
    if tail.group("sep").strip().lower() == "and" and not _BETWEEN.search(text, max(lo, m.start() - 12), m.start()):
        return None  # "105 US citizens and 95": two figures, not a range
    if tail.group("sep").strip().lower() == "to" and re.search(r"\bfrom\s+$", text[max(lo, m.start() - 8):m.start()],
                                                                 re.IGNORECASE):
        return None  # "rose from 100 to 150 people": a change, two values
    upper, _ = parse_number(tail.group("num"), tail.group("scale") or m.group("scale"))
    return tail if upper is not None and upper > low else None


_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
# what a conflict is "about" when its figures count money by symbol: the label names the currency once
_CURRENCY_NAMES = {"$": "dollars", "€": "euros", "£": "pounds", "¥": "yen", "USD": "dollars", "usd": "dollars",
                   "EUR": "euros", "eur": "euros", "GBP": "pounds", "gbp": "pounds"}
CONTEXT_WORDS = 5  # words either side of a figure that describe what it is about


_CLAUSE_CUT = re.compile(r"\s(?:and|or|but|while|whereas)\s|[;:—–()]")


def context_terms(f: Figure, text: str, lo: int, hi: int) -> frozenset[str]:
    """Stemmed content words near the figure, plus its counted noun.

    The window is ``CONTEXT_WORDS`` content words either side, within ``[lo, hi)`` (the sentence, narrowed to the
    neighbouring figures) and cut at clause breaks (``and``, ``;``, dashes, brackets) so that in "14 people were
    killed and about 120 injured" the verb "killed" belongs to 14 only.
    """
    left = _CLAUSE_CUT.split(text[lo:f.start])[-1]
    right = _CLAUSE_CUT.split(text[f.end:hi])[0]
    before = terms(" ".join(_WORD.findall(left)))[-CONTEXT_WORDS:]
    after = terms(" ".join(_WORD.findall(right)))[:CONTEXT_WORDS]
    # the counted noun is a context word of a count ("fire engines"); a unit (crowns, litres, per cent) is already the
    # category and would link any two sums of money
    out = set(before + after + (terms(f.counts) if f.unit == "count" else []))
    return frozenset(t for t in out if not t.isdigit())


_EVENT_SKIP = frozenset("""on in at by from until till to of the a an is are was were be been being will would now
    due before after since around about between and or than this next last its it""".split()) \
    | frozenset(w.lower() for w in _WEEKDAY_NAMES)


def _event(f: Figure, text: str, lo: int) -> str | None:
    """The stemmed word that governs a date: the last content word before it in its clause ("due to reopen on May
    26" → reopen); None when there is none or it is a name (a dateline)."""
    left = _CLAUSE_CUT.split(text[lo:f.start])[-1]
    for w in reversed(_WORD.findall(left)):
        if w.lower() not in _EVENT_SKIP and not w.isdigit():
            # a verb or noun governs a date; a name does not ("SARNICK, April 7 (CPA)", a dateline)
            return stem(w) if w.islower() else None
    return None


def _windows(figures: Sequence[Figure]) -> list[tuple[int, int]]:
    """For each figure, its sentence span narrowed to end at the previous figure and start at the next one."""
    out = []
    for k, f in enumerate(figures):
        lo, hi = f.sentence_start, f.sentence_end
        if k > 0 and figures[k - 1].sentence_start == f.sentence_start and figures[k - 1].article_id == f.article_id:
            lo = max(lo, figures[k - 1].end)
        if k + 1 < len(figures) and figures[k + 1].sentence_start == f.sentence_start and \
                figures[k + 1].article_id == f.article_id:
            hi = min(hi, figures[k + 1].start)
        out.append((lo, hi))
    return out


MAX_RATIO = 3.0  # two figures this many times apart are not linked as reports of one quantity (see find_conflicts)

# What is said of the counted thing, by class: figures whose sentences say different classes of thing ("around 100
# people remain" / "105 citizens … had left"; "18 injured" / "15 still in hospital") count different quantities and
# are never linked; a shared class counts as a shared context word ("remain" / "are still seeking to get out").
# Stems of general news verbs and adjectives, matched on the words around a figure (``context_terms``).
_PREDICATE_CLASSES: dict[str, tuple[str, ...]] = {  # word prefixes, matched on lower-cased words
    "stay": ("remain", "still", "stay", "trapped", "stranded", "stuck", "waiting"),
    "leave": ("left", "leave", "leaving", "fled", "flee", "evacuat", "depart", "escape"),
    "die": ("kill", "die", "died", "dead", "death", "fatal", "toll"),
    "injure": ("injur", "hurt", "wound"),
    "hospital": ("hospital", "treated", "treating", "discharg", "intensive"),
    "arrest": ("arrest", "detain", "custody"),
    "missing": ("missing", "unaccounted"),
    # how long something has gone on so far: "the walkout enters its sixth day", "have been on strike for a week", "a
    # strike that has lasted nine days", "now in its third week"
    "stolen": ("stole", "stolen", "steal", "looted", "made off with", "escaped with", "snatched"),
    "elapsed": ("enters its", "entered its", "entering its", "now in its", "has lasted", "have lasted", "had lasted",
                "been on"),
}
_CLASS_RE = [(c, re.compile(r"\b(?:" + "|".join(ws) + r")", re.IGNORECASE)) for c, ws in _PREDICATE_CLASSES.items()]


def predicate_classes(f: Figure, text: str, lo: int, hi: int) -> frozenset[str]:
    """Classes of what is said of a figure (``_PREDICATE_CLASSES``) in the words around it (``context_terms``'s
    window)."""
    left = " ".join(_WORD.findall(_CLAUSE_CUT.split(text[lo:f.start])[-1])[-CONTEXT_WORDS:])
    right = " ".join(_WORD.findall(_CLAUSE_CUT.split(text[f.end:hi])[0])[:CONTEXT_WORDS])
    window = left + " " + right
    return frozenset(c for c, rx in _CLASS_RE if rx.search(window))


# a change reported over time: in the sentence of a later, different value these mark an update, not a dispute
_UPDATE_CUE = re.compile(
    r"\b(?:now|latest|so far|in total|a total of|rose|risen|rises|rising|climbed|climbs|climbing|increased|increases|"
    r"grew|grown|jumped|fell|fallen|dropped|declined|reached|revised|updated|extended|stood at|stands at|up from|"
    r"down from|rather than|another|further|additional|more (?:were|have|had)|bringing|brought|brings|first reported|"
    r"earlier|previously|still|remain(?:s|ed)?|by (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"this morning|the morning|the evening|the afternoon|tonight|then|the end))\b", re.IGNORECASE)
# a value set against another source's in its own sentence: a dispute, whenever it comes
_DISPUTE_CUE = re.compile(
    r"\b(?:(?:more|less|fewer|higher|lower|greater|bigger|smaller|far)\s+than\s+(?:the\s+|its\s+|their\s+)?"
    r"(?:official|\w+'s|\w+’s)|official (?:figure|estimate|count|total)s?|not the|disputed?|disputes|contradict\w*|"
    r"contest\w*|rejected|understated|overstated|exaggerated|claim(?:s|ed)?)\b", re.IGNORECASE)
_BOUND_MOD = re.compile(
    r"^(?P<m>about|around|almost|nearly|roughly|approximately|some|over|under|more than|fewer than|less than|"
    r"at least|at most|up to|as many as|as much as|close to|just over|just under|an estimated|estimated)\b",
    re.IGNORECASE)
APPROX = 0.1  # "about 40" is 36–44: the spread of a rounded figure (tamsford: "about 40 staff" vs 41)
OVER = 0.25  # "more than 20" is 20–25: how far above its number a lower bound reaches
# an exact measure (length, volume, flow …) spans ± this share of its last written digit (under half: 62 ≠ 63 mm);
# not durations and counts, whose whole numbers are exact ("a four-year plan", "a week")
ROUNDING = 0.45


def _scale(f: Figure) -> float:
    """Factor to the category's common unit (days for durations, the base unit for measures), 1 otherwise."""
    if f.unit == "duration":
        word = (f.counts.split() or [""])[-1].lower().rstrip("s")
        return _DAYS.get(word, 1.0)
    if f.unit == "measure":
        m = _measure(f.counts, " per second" if f.category == "measure:flow" else "")
        return m[1] if m else 1.0
    return 1.0


def value_interval(f: Figure) -> tuple[float, float] | None:
    """The values a figure allows, in the category's common unit: ``37`` → 37–37, ``nearly 40`` → 36–40,
    ``about 40`` → 36–44, ``more than 50`` → 50–62.5, ``as much as 12,000`` → 10,800–12,000, ``dozens`` → 24–99,
    a range → its bounds. None when unknown."""
    k = _scale(f)
    if f.low is not None and f.high is not None:
        return f.low * k, f.high * k
    if f.value is None:
        low = f.text.lower()
        for word, (a, b) in sorted(_VAGUE_RANGE.items(), key=lambda x: -len(x[0])):
            if word in low:
                return a * k, b * k
        return None
    v = f.value * k
    m = _BOUND_MOD.match(f.text)
    mod = m.group("m").lower() if m else ""
    if mod in ("about", "around", "roughly", "approximately", "some", "close to", "an estimated", "estimated"):
        return v * (1 - APPROX), v * (1 + APPROX)
    if mod in ("almost", "nearly", "just under", "up to", "as many as", "as much as", "at most"):
        return v * (1 - APPROX), v
    if mod in ("under", "fewer than", "less than"):
        return v * (1 - OVER), v
    if mod in ("over", "more than", "at least"):
        return v, v * (1 + OVER)
    if mod == "just over":
        return v, v * (1 + APPROX / 2)
    if f.unit == "measure":
        # a measure is known to the digits it is written with: "3.2-kilometre" and "two-mile" (3.22 km) are one
        # length once converted; two values one last digit apart in one unit (62 vs 63 mm) still differ
        digits = re.search(r"\d[\d,]*(?:\.(\d+))?", f.text)
        step = 10.0 ** -len(digits.group(1)) if digits and digits.group(1) else 1.0
        return v - ROUNDING * step * k, v + ROUNDING * step * k
    return v, v


def _compatible(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    if a is None or b is None:
        return True  # nothing to compare: never reported as a difference
    eps = 1e-9 * max(abs(a[1]), abs(b[1]), 1.0)
    return a[0] <= b[1] + eps and b[0] <= a[1] + eps


_LOWER = frozenset({"over", "more than", "at least", "just over"})
_UPPER = frozenset({"almost", "nearly", "just under", "up to", "as many as", "as much as", "at most", "under",
                    "fewer than", "less than"})


def _bound(f: Figure) -> str:
    """``lower`` ("at least 14"), ``upper`` ("up to 5 million") or "" for other figures."""
    m = _BOUND_MOD.match(f.text)
    mod = m.group("m").lower() if m else ""
    return "lower" if mod in _LOWER else "upper" if mod in _UPPER else ""


def _agree(f: Figure, g: Figure, a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    """Whether two figures' values are compatible: their intervals meet, and two bounds of one kind name the same
    number ("at least 14 dead" and "at least 15 dead" differ: the second says more)."""
    if not _compatible(a, b):
        return False
    kind = _bound(f)
    if kind and kind == _bound(g) and a is not None and b is not None:
        x, y = (a[0], b[0]) if kind == "lower" else (a[1], b[1])
        return abs(x - y) <= 1e-6 * max(abs(x), abs(y), 1.0)
    return True


def find_conflicts(figures: Sequence[Figure], texts: dict[str, str], *, min_shared: float = 2,
                   dates: Mapping[str, datetime | None] | None = None,
                   copies: Sequence[Mapping[str, Any]] = (), include_agree: bool = False) -> list[Conflict]:
    """Group figures about the same quantity across articles and say how they relate.

    Two figures of different articles are about the same quantity when they count the same kind of thing
    (``category``: people, fire engines, money, a length, a duration …), the words around them (``context_terms``)
    share at least ``min_shared`` stemmed content words, what is said of them is not of different classes
    (``_PREDICATE_CLASSES``: people who *remain* vs people who *left*) and their values are less than ``MAX_RATIO``
    apart. Linked figures form groups (connected components); copies and rewrites of an article (``copies``: rows of
    the copies stage) add no values of their own: their figure is listed under ``carried_by`` of the origin's.

    A group of two or more independent articles is ``agree`` when every two values are compatible
    (``value_interval``: "nearly 40" and 37; a number inside a range), else ``update`` when the values form a
    progression in date order (``dates``: article id → date) — never returning to an earlier value, one value per
    article (unless the sentence compares with the earlier one: "nine weeks rather than six"), each change in a
    later report that says so (``_UPDATE_CUE``: "risen to", "now", "by Sunday") or comes a day later without setting
    itself against the other (``_DISPUTE_CUE``) — and ``dispute`` otherwise. Agree groups are returned only with
    ``include_agree``. ``texts`` maps article id → text.
    """
    dates = dates or {}
    ordered = sorted(figures, key=lambda f: (f.article_id, f.start))
    wins = _windows(ordered)
    keep = [k for k, f in enumerate(ordered) if f.category not in ("date", "number")]
    allcand = [ordered[k] for k in keep]
    if not allcand:
        return []
    # figures of one wording (the same sentence and figure, as wire copies carry them) are judged once, as one node
    node_key: dict[tuple[str, str, int, str], int] = {}
    node_members: list[list[int]] = []
    rep_k: list[int] = []
    for pos, k in enumerate(keep):
        f = ordered[k]
        key = (f.category, f.sentence, f.start - f.sentence_start, f.text)
        x = node_key.setdefault(key, len(node_members))
        if x == len(node_members):
            node_members.append([])
            rep_k.append(k)
        if all(allcand[o].article_id != f.article_id for o in node_members[x]):
            node_members[x].append(pos)
    cand = [ordered[k] for k in rep_k]
    n = len(cand)
    ctx = [context_terms(ordered[k], texts[ordered[k].article_id], *wins[k]) for k in rep_k]
    cls = [predicate_classes(ordered[k], texts[ordered[k].article_id], *wins[k]) for k in rep_k]
    # a shared class of predicate weighs two words ("Three workers were killed" / "Three people have died")
    ctx = [c | {"§" + x for x in k} | {"§§" + x for x in k} for c, k in zip(ctx, cls)]
    # shared context words of every pair at once: C·Cᵀ over a figures × terms incidence matrix; then, for the pairs
    # sharing one at least, the shared words of their sentences: score = ½·(window words + sentence words) in common
    sent_terms: dict[tuple[str, int], frozenset[str]] = {}
    for f in cand:
        key = (f.article_id, f.sentence_start)
        if key not in sent_terms:
            sent_terms[key] = frozenset(t for t in terms(f.sentence) if not t.isdigit())
    sctx = [c | sent_terms[(f.article_id, f.sentence_start)] for c, f in zip(ctx, cand)]
    vocab: dict[str, int] = {}

    def incidence(sets: list) -> Any:
        rows, cols = [], []
        for i, c in enumerate(sets):
            for t in c:
                rows.append(i)
                cols.append(vocab.setdefault(t, len(vocab)))
        return rows, cols

    rw, cw = incidence(ctx)
    rs, cs = incidence(sctx)
    width = max(1, len(vocab))
    C = sparse.csr_matrix((np.ones(len(rw), dtype=np.float32), (rw, cw)), shape=(n, width))
    S = sparse.csr_matrix((np.ones(len(rs), dtype=np.float32), (rs, cs)), shape=(n, width))
    shared = (C @ C.T).tocoo()
    cat_code: dict[str, int] = {}
    cat = np.array([cat_code.setdefault(f.category, len(cat_code)) for f in cand])
    art_code: dict[str, int] = {}
    art = np.array([art_code.setdefault(f.article_id, len(art_code)) for f in cand])
    i_, j_ = shared.row, shared.col
    # counts of things under different nouns ("three paintings" / "three works" / "the number of stolen items") are
    # one quantity when the same is said of them (a shared class of predicate: stolen)
    things = np.array([f.category.startswith("count:") for f in cand], dtype=bool)
    same = cat[i_] == cat[j_]
    cross = ~same & things[i_] & things[j_]
    if cross.any():
        cross[cross] = [bool(cls[a] & cls[b]) for a, b in zip(i_[cross].tolist(), j_[cross].tolist())]
    ok = (i_ < j_) & (same | cross) & (art[i_] != art[j_])
    cal = np.array([f.category in ("calendar", "clock") for f in cand], dtype=bool)
    if cal.any():
        # two dates (or times of day) are of one event only when the same word governs them ("reopen on May 26" / "now reopen in
        # mid-June"), not when their sentences share other words ("close from April 14" / "reopen in mid-June")
        event = [_event(ordered[k], texts[ordered[k].article_id], wins[x][0]) if cal[x] else None
                 for x, k in enumerate(rep_k)]
        both = ok & cal[i_] & cal[j_]
        if both.any():
            ok[both] = [event[a] is not None and event[a] == event[b]
                        for a, b in zip(i_[both].tolist(), j_[both].tolist())]
    i_, j_, sw = i_[ok], j_[ok], shared.data[ok]
    ss = np.asarray(S[i_].multiply(S[j_]).sum(axis=1)).ravel() if len(i_) else np.zeros(0)
    score = 0.5 * (sw + ss)
    # money: the currency is not a context word and sums rarely coincide by chance, so less is enough ("The $2.1
    # billion dam" / "the dam cost $1.9 billion")
    # dates: the governing word must be the same (above), and it is enough
    need = np.array([max(1, min_shared - 1) if f.category in ("money", "calendar", "clock") else min_shared
                     for f in cand])
    ok = score >= need[i_]
    i_, j_, score = i_[ok], j_[ok], score[ok]
    # different classes of predicate: different quantities
    keep_pair = np.array([not (cls[a] and cls[b] and not (cls[a] & cls[b])) for a, b in zip(i_.tolist(), j_.tolist())],
                         dtype=bool)
    i_, j_, score = i_[keep_pair], j_[keep_pair], score[keep_pair]
    iv = [value_interval(f) for f in cand]
    mid = np.array([(x[0] + x[1]) / 2 if x is not None else np.nan for x in iv], dtype=float)
    ivlo = np.array([x[0] if x is not None else np.nan for x in iv], dtype=float)
    ivhi = np.array([x[1] if x is not None else np.nan for x in iv], dtype=float)
    # reports of one quantity differ by a little (14 vs 15 dead, $2.1bn vs $1.9bn); values MAX_RATIO apart are
    # different quantities that share words ("all 86 polling districts" / "a recount in two polling districts")
    lo = np.minimum(np.abs(mid[i_]), np.abs(mid[j_]))
    hi = np.maximum(np.abs(mid[i_]), np.abs(mid[j_]))
    with np.errstate(invalid="ignore", divide="ignore"):
        far = (hi > MAX_RATIO * lo) & ~np.isnan(lo) & ~np.isnan(hi)
    i_, j_, score = i_[~far], j_[~far], score[~far]
    keep_best = _best_links(i_, j_, score, art, ivlo, ivhi)
    i_, j_, score = i_[keep_best], j_[keep_best], score[keep_best]
    # groups: strongest links first, a group holding one figure per article (a report gives one value for a
    # quantity; a second figure of it that reads alike is another quantity, and chaining through it mixed a pay
    # offer, a demand and a deal into one group), and two figures of different values in one group only when they
    # are linked themselves
    with np.errstate(invalid="ignore"):
        compat = ~((ivlo[i_] > ivhi[j_]) | (ivlo[j_] > ivhi[i_]))
    order = np.lexsort((~compat, -score))
    parent = list(range(n))
    arts_of: dict[int, set[str]] = {i: {allcand[o].article_id for o in node_members[i]} for i in range(n)}
    members_of: dict[int, list[int]] = {i: [i] for i in range(n)}
    nbr: dict[int, set[int]] = {}
    for a, b in zip(i_.tolist(), j_.tolist()):
        nbr.setdefault(a, set()).add(b)
        nbr.setdefault(b, set()).add(a)
    # per group, the greatest lower bound and the least upper bound of its values: when the two groups' bounds meet,
    # every two of their values are compatible and no pair needs checking
    glo = np.where(np.isnan(ivlo), -np.inf, ivlo)
    ghi = np.where(np.isnan(ivhi), np.inf, ivhi)
    lo_max = glo.tolist()
    hi_min = ghi.tolist()
    rejected: set[tuple[int, int, int, int]] = set()

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def joinable(ra: int, rb: int) -> bool:
        """Two different values come together only when linked directly, never through a chain of alike values."""
        if max(lo_max[ra], lo_max[rb]) <= min(hi_min[ra], hi_min[rb]):
            return True
        key = (ra, rb, len(members_of[ra]), len(members_of[rb]))
        if key in rejected:
            return False
        A, B = np.array(members_of[ra]), np.array(members_of[rb])
        diff = (glo[A][:, None] > ghi[B][None, :]) | (glo[B][None, :] > ghi[A][:, None])
        for x, y in zip(A[np.nonzero(diff)[0]].tolist(), B[np.nonzero(diff)[1]].tolist()):
            if y not in nbr.get(x, ()):
                rejected.add(key)
                return False
        return True

    linked: set[int] = {i for i in range(n) if len(node_members[i]) > 1}
    for a, b in zip(i_[order].tolist(), j_[order].tolist()):
        ra, rb = root(a), root(b)
        if ra == rb or arts_of[ra] & arts_of[rb] or not joinable(ra, rb):
            continue
        parent[rb] = ra
        arts_of[ra] |= arts_of.pop(rb)
        members_of[ra] += members_of.pop(rb)
        lo_max[ra] = max(lo_max[ra], lo_max[rb])
        hi_min[ra] = min(hi_min[ra], hi_min[rb])
        linked.update((a, b))
    groups: dict[int, list[int]] = {}
    for i in linked:
        groups.setdefault(root(i), []).extend(node_members[i])
    origin_of = {str(c["article_id"]): str(c["origin_id"]) for c in copies
                 if c.get("relation") in ("copy", "rewrite") and c.get("origin_id")}
    ivall = [None] * len(allcand)
    for i, ms in enumerate(node_members):
        for o in ms:
            ivall[o] = iv[i]
    out: list[Conflict] = []
    for members in groups.values():
        c = _judge([allcand[i] for i in members], [ivall[i] for i in members], texts, dates, origin_of)
        if c is not None and (include_agree or c.kind != "agree"):
            out.append(c)
    rank = {"dispute": 0, "update": 1, "agree": 2}
    out.sort(key=lambda c: (rank[c.kind], -len({v.article_id for v in c.values}), c.about))
    return out


def _best_links(i_: np.ndarray, j_: np.ndarray, score: np.ndarray, art: np.ndarray, lo: np.ndarray,
                hi: np.ndarray) -> np.ndarray:
    """Which links (i, j) to keep: those where j is among i's best-scoring figures in j's article, or i among j's in i's: a
    figure is linked to the figure of another report that reads most like it, not to every figure nearby (which
    chained a pay offer, a demand and an inflation rate into one group). Between equal scores a compatible value is
    preferred."""
    if len(i_) == 0:
        return np.zeros(0, dtype=bool)
    with np.errstate(invalid="ignore"):
        compat = ~((lo[i_] > hi[j_]) | (lo[j_] > hi[i_]))
    s2 = np.round(score * 4).astype(np.int64) * 2 + compat
    src = np.concatenate([i_, j_])
    dst_art = np.concatenate([art[j_], art[i_]])
    val = np.concatenate([s2, s2])
    key = src.astype(np.int64) * (int(art.max()) + 1) + dst_art
    order = np.lexsort((val, key))
    k_sorted, v_sorted = key[order], val[order]
    last = np.r_[k_sorted[1:] != k_sorted[:-1], True]
    best = dict(zip(k_sorted[last].tolist(), v_sorted[last].tolist()))
    top = np.array([best[k] for k in key.tolist()]) == val
    m = len(i_)
    return top[:m] | top[m:]


def _day(d: datetime | None) -> Any:
    return d.date() if d is not None else None


def _judge(fs: list[Figure], ivs: list[tuple[float, float] | None], texts: Mapping[str, str],
           dates: Mapping[str, datetime | None], origin_of: Mapping[str, str]) -> Conflict | None:
    """One linked group → a Conflict of kind agree / dispute / update, or None (fewer than two independent
    reports)."""
    far_future = datetime.max.replace(tzinfo=None)

    def when(f: Figure) -> Any:
        d = dates.get(f.article_id)
        return (d.replace(tzinfo=None) - (d.utcoffset() or timedelta(0))) if d is not None else far_future

    idx = sorted(range(len(fs)), key=lambda k: (when(fs[k]), fs[k].article_id, fs[k].start))
    in_group = {f.article_id for f in fs}
    carried: dict[int, list[int]] = {}
    own: list[int] = []
    for k in idx:
        f = fs[k]
        origin = origin_of.get(f.article_id)
        if origin in in_group:
            # a copy's figure: carried by the origin's figure with the same value, never a value of its own
            host = next((h for h in own if fs[h].article_id == origin and _agree(fs[h], f, ivs[h], ivs[k])), None)
            if host is None:
                host = next((h for h in idx if fs[h].article_id == origin and _agree(fs[h], f, ivs[h], ivs[k])),
                            None)
            if host is not None:
                carried.setdefault(host, []).append(k)
                continue
        own.append(k)
    own = [k for k in idx if k in set(own)]
    if len({fs[k].article_id for k in own}) < 2:
        return None
    kind = "agree"
    known = [ivs[k] for k in own if ivs[k] is not None]
    bounds = {b: {x[0] if b == "lower" else x[1] for k, x in ((k, ivs[k]) for k in own) if x is not None
                  and _bound(fs[k]) == b} for b in ("lower", "upper")}
    meet = not known or max(x[0] for x in known) <= min(x[1] for x in known) * (1 + 1e-9)
    if meet and all(len(v) <= 1 for v in bounds.values()):
        pass  # every interval holds a common value: all compatible, no pair to check
    elif any(not _agree(fs[a], fs[b], ivs[a], ivs[b]) for x, a in enumerate(own) for b in own[x + 1:]):
        kind = _update_or_dispute([fs[k] for k in own], [ivs[k] for k in own], dates)
    values = []
    for k in own:
        f = fs[k]
        values.append(ConflictValue(
            f.text, f.value, f.sentence, f.article_id, f.source, f.sentence_start, f.sentence_end, f.start, f.end,
            dates.get(f.article_id),
            tuple({"article_id": fs[h].article_id, "source": fs[h].source, "value": fs[h].text,
                   "value_start": fs[h].start, "value_end": fs[h].end} for h in carried.get(k, ()))))
    nouns: dict[str, int] = {}
    for k in own:
        f = fs[k]
        if f.counts:
            lab = _CURRENCY_NAMES.get(f.counts, f.counts)  # "$2.1 billion" and "2 billion dollars": dollars
            nouns[lab] = nouns.get(lab, 0) + 1
    about = ", ".join(sorted(nouns, key=lambda x: (-nouns[x], x))[:4]) or fs[own[0]].category
    return Conflict(about, fs[own[0]].category, tuple(values), kind)


def _update_or_dispute(fs: list[Figure], ivs: list[tuple[float, float] | None],
                       dates: Mapping[str, datetime | None]) -> str:
    """``update`` when the values (in date order) form a progression that later reports mark as a change, else
    ``dispute``; see :func:`find_conflicts`."""
    # value clusters in date order: a figure joins the first earlier cluster it is compatible with
    reps: list[tuple[float, float] | None] = []
    rep_f: list[Figure] = []
    seq: list[int] = []
    for f, iv in zip(fs, ivs):
        for c, r in enumerate(reps):
            if _agree(rep_f[c], f, r, iv):
                seq.append(c)
                break
        else:
            reps.append(iv)
            rep_f.append(f)
            seq.append(len(reps) - 1)
    # never back to an earlier value once a newer one was reported
    cur = -1
    for c in seq:
        if c < cur:
            return "dispute"
        cur = max(cur, c)
    # one value per article, unless its sentence itself marks the change ("nine weeks rather than six")
    per_article: dict[str, set[int]] = {}
    for f, c in zip(fs, seq):
        per_article.setdefault(f.article_id, set()).add(c)
    for aid, cs in per_article.items():
        if len(cs) > 1 and not any(_UPDATE_CUE.search(f.sentence) for f, c in zip(fs, seq) if f.article_id == aid):
            return "dispute"
    # monotone: each new value above (or each below) the one before
    mids = [(r[0] + r[1]) / 2 if r is not None else None for r in reps]
    known = [m for m in mids if m is not None]
    if len(known) >= 2 and not (all(a < b for a, b in zip(known, known[1:])) or
                                all(a > b for a, b in zip(known, known[1:]))):
        return "dispute"
    # every change: a later report that says it changed, or comes a day later without disputing the earlier value
    first_seen: dict[int, int] = {}
    for k, c in enumerate(seq):
        first_seen.setdefault(c, k)
    for c in range(1, len(reps)):
        k = first_seen[c]
        f, prev = fs[k], fs[first_seen[c - 1]]
        d, dp = dates.get(f.article_id), dates.get(prev.article_id)
        if d is None or dp is None or d <= dp:
            if not (f.article_id == prev.article_id and _UPDATE_CUE.search(f.sentence)):
                return "dispute"
        reports = [g for g, x in zip(fs, seq) if x == c]
        cued = any(_UPDATE_CUE.search(g.sentence) for g in reports)
        disputed = any(_DISPUTE_CUE.search(g.sentence) for g in reports)
        later_day = d is not None and dp is not None and _day(d) > _day(dp)
        if not (cued and not disputed) and not (later_day and not disputed):
            return "dispute"
    return "update"
