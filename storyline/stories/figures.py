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
from typing import Callable, Sequence

import numpy as np
from scipy import sparse

from ..records import Article
from ..sentences import Sentence
from .model import Conflict, ConflictValue, Figure
from .terms import STOP, stem, terms

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
_VAGUE = r"(?:tens of thousands|hundreds of thousands|tens|dozens|hundreds|thousands|millions|scores)"
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MOD = (r"(?:(?:about|around|almost|nearly|roughly|approximately|some|over|under|more than|fewer than|less than|"
        r"at least|at most|up to|as many as|close to|just over|just under)\s+)")
_SCALE = r"(?:\s+(?:hundred|thousand|million|billion|trillion)|\s?(?:bn|m)\b)"
_CURRENCY_SYM = r"[$€£¥]"
_CURRENCY_WORD = r"(?:dollars|euros|pounds|yen|francs|crowns|kroner|USD|EUR|GBP)"
_PERCENT = r"(?:\s?%|\s+percent(?:age points)?|\s+per\s?cent)"
_TIME_UNITS = "second|minute|hour|day|week|month|year|decade|century"
_FIGURE = re.compile(
    # not part of a longer token: a clock time (14:27), a fraction or path (1/3, /2026/03/), a phone prefix (+44)
    rf"(?<![\w.,$€£¥:/+-])(?P<mod>{_MOD})?(?P<cur>{_CURRENCY_SYM})?"
    rf"(?P<num>{_DIGITS}|{_VAGUE}|{_WORDNUM})(?P<scale>{_SCALE})?"
    rf"(?:(?P<pct>{_PERCENT})|-(?P<dur>(?:{_TIME_UNITS}))s?\b(?:-old)?)?"
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
    acres megawatts mw gigawatts barrels degrees""".split()
)
_ORDINAL_AFTER = frozenset("st nd rd th".split())
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
        if lw in STOP and lw not in ("us",) or lw in _MONTHS or lw in _ORDINAL_AFTER:
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


def _category(unit: str, counts: str) -> str:
    if unit != "count":
        return unit
    word = counts.split()[-1] if counts else ""
    head = word.lower()
    if is_people(word):
        return "people"
    if head in _MEASURES:
        return "measure:" + stem(head)
    return "count:" + stem(head) if head else "number"


def extract_figures(article: Article, sentences: Sequence[Sentence]) -> list[Figure]:
    """Every figure in ``article`` with what it counts and its sentence."""
    out: list[Figure] = []
    text = article.text
    for sent in sentences:
        named = non_quantity_spans(text, sent.start, sent.end)
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
            elif m.group("dur"):
                unit, counts = "duration", m.group("dur").lower()
            else:
                counts, end = _counted(text, b, sent.end)
                if counts:
                    b = end
                    head = counts.split()[-1].lower()
                    if head in _MONEY_WORDS:
                        unit = "money"
                    elif stem(head) in {stem(u) for u in _TIME_UNITS.split("|")}:
                        unit = "duration"
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
            out.append(Figure(text[a:b], value, approx, unit, counts, _category(unit, counts), article.id,
                              article.source, a, b, sent.text, sent.start, sent.end, *bounds))
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

    The window is ``CONTEXT_WORDS`` words either side, within ``[lo, hi)`` (the sentence, narrowed to the
    neighbouring figures) and cut at clause breaks (``and``, ``;``, dashes, brackets) so that in "14 people were
    killed and about 120 injured" the verb "killed" belongs to 14 only.
    """
    left = _CLAUSE_CUT.split(text[lo:f.start])[-1]
    right = _CLAUSE_CUT.split(text[f.end:hi])[0]
    before = _WORD.findall(left)[-CONTEXT_WORDS:]
    after = _WORD.findall(right)[:CONTEXT_WORDS]
    out = set(terms(" ".join(before + after)) + terms(f.counts))
    return frozenset(t for t in out if not t.isdigit())


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


_COORDINATED = re.compile(r"\s*(?:,|,?\s+and|,?\s+or|\s+plus)\s+")


MAX_RATIO = 3.0  # two figures this many times apart are not linked as reports of one quantity (see find_conflicts)


def find_conflicts(figures: Sequence[Figure], texts: dict[str, str], *, min_shared: int = 2) -> list[Conflict]:
    """Group figures about the same thing across articles and keep the groups whose values differ.

    Two figures of different articles are about the same thing when they count the same kind of thing
    (``category``) and the words around them (``context_terms``) share at least ``min_shared`` stemmed content
    words (seeds: "around 100 people remain, mostly US citizens" and "105 US citizens and 95 green-card holders had
    left" share "US" and "citizens"). ``texts`` maps article id → text.
    """
    ordered = sorted(figures, key=lambda f: (f.article_id, f.start))
    wins = _windows(ordered)
    keep = [k for k, f in enumerate(ordered) if f.category not in ("date", "number", "duration")]
    cand = [ordered[k] for k in keep]
    n = len(cand)
    ctx = [context_terms(ordered[k], texts[ordered[k].article_id], *wins[k]) for k in keep]
    if n == 0:
        return []
    # shared context words of every pair at once: C·Cᵀ over a figures × terms incidence matrix
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, c in enumerate(ctx):
        for t in c:
            rows.append(i)
            cols.append(vocab.setdefault(t, len(vocab)))
    C = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(n, max(1, len(vocab))))
    shared = (C @ C.T).tocoo()
    cat_code: dict[str, int] = {}
    cat = np.array([cat_code.setdefault(f.category, len(cat_code)) for f in cand])
    art_code: dict[str, int] = {}
    art = np.array([art_code.setdefault(f.article_id, len(art_code)) for f in cand])
    # sums of money rarely coincide by chance: one shared word is enough ("The $2.1 billion dam" / "the dam cost
    # $1.9 billion")
    need = np.array([max(1, min_shared - 1) if f.category == "money" else min_shared for f in cand])
    i_, j_ = shared.row, shared.col
    ok = (i_ < j_) & (cat[i_] == cat[j_]) & (art[i_] != art[j_]) & (shared.data >= need[i_])
    vals = np.array([f.value if f.value is not None else np.nan for f in cand], dtype=float)
    # a range's bounds (NaN for a single number or a vague quantity): a number inside a range, or two overlapping
    # ranges, agree ("1,200–1,300 households" and "1,250 households")
    lows = np.array([f.low if f.low is not None else np.nan for f in cand], dtype=float)
    highs = np.array([f.high if f.high is not None else np.nan for f in cand], dtype=float)
    # reports of one quantity differ by a little (14 vs 15 dead, $2.1bn vs $1.9bn, 100 vs 105 people); values
    # MAX_RATIO apart are different quantities that share words ("all 86 polling districts" / "a recount in two
    # polling districts", demo corpus)
    lo = np.minimum(np.abs(vals[i_]), np.abs(vals[j_]))
    hi = np.maximum(np.abs(vals[i_]), np.abs(vals[j_]))
    with np.errstate(invalid="ignore", divide="ignore"):
        far = (hi > MAX_RATIO * lo) & ~np.isnan(lo) & ~np.isnan(hi)
    ok &= ~far
    i_, j_ = i_[ok], j_[ok]
    vi, vj = vals[i_], vals[j_]
    both = ~np.isnan(vi) & ~np.isnan(vj)
    differ_num = both & (np.abs(vi - vj) > 1e-9 * np.maximum(np.maximum(np.abs(vi), np.abs(vj)), 1.0))
    # a vague quantity ("dozens") differs from a number; two vague ones are not compared
    vague = ~both
    differ_vague = ~(np.isnan(vi) & np.isnan(vj))[vague]
    differ_mask = differ_num.copy()
    differ_mask[np.nonzero(vague)[0]] = differ_vague
    # ranges: lo/hi of each side (a number is its own range); they agree when the intervals overlap
    li = np.where(np.isnan(lows[i_]), vi, lows[i_])
    hi_i = np.where(np.isnan(highs[i_]), vi, highs[i_])
    lj = np.where(np.isnan(lows[j_]), vj, lows[j_])
    hi_j = np.where(np.isnan(highs[j_]), vj, highs[j_])
    has_range = ~np.isnan(lows[i_]) | ~np.isnan(lows[j_])
    known = ~np.isnan(li) & ~np.isnan(hi_i) & ~np.isnan(lj) & ~np.isnan(hi_j)
    overlap = (li <= hi_j) & (lj <= hi_i)
    differ_mask[has_range & known] = ~overlap[has_range & known]
    from scipy.sparse.csgraph import connected_components

    G = sparse.csr_matrix((np.ones(len(i_)), (i_, j_)), shape=(n, n))
    _, label = connected_components(G, directed=False)
    linked = set(i_.tolist()) | set(j_.tolist())
    conflicting_roots = set(label[i_[differ_mask]].tolist())

    def find(x: int) -> int:
        return int(label[x])

    same_sentence: dict[tuple[str, int], list[int]] = {}
    for i, f in enumerate(cand):
        same_sentence.setdefault((f.article_id, f.sentence_start), []).append(i)
    groups: dict[int, list[int]] = {}
    for i in linked:
        groups.setdefault(find(i), []).append(i)
    conflicts: list[Conflict] = []
    for root, members in groups.items():
        if root not in conflicting_roots:
            continue  # every linked pair gives the same value: agreement, not a conflict
        per_article: dict[str, set] = {}
        for i in members:
            per_article.setdefault(cand[i].article_id, set()).add(cand[i].value if cand[i].value is not None
                                                                  else cand[i].text.lower())
        if any(len(v) > 1 for v in per_article.values()):
            continue  # one article gives two values: the group mixes different things (demand vs offer)
        mem = set(members)
        # figures coordinated with a member ("105 US citizens and 95 green-card holders") come along
        for i in members:
            f = cand[i]
            for j in same_sentence[(f.article_id, f.sentence_start)]:
                g = cand[j]
                if j not in mem and g.article_id == f.article_id and g.category == f.category and (
                        _COORDINATED.fullmatch(texts[f.article_id][f.end:g.start]) or
                        _COORDINATED.fullmatch(texts[f.article_id][g.end:f.start])):
                    mem.add(j)
        fs = sorted((cand[i] for i in mem), key=lambda f: (f.article_id, f.start))
        nouns: dict[str, int] = {}
        for f in fs:
            if f.counts:
                label = _CURRENCY_NAMES.get(f.counts, f.counts)  # "$2.1 billion" and "2 billion dollars": dollars
                nouns[label] = nouns.get(label, 0) + 1
        about = ", ".join(sorted(nouns, key=lambda k: (-nouns[k], k))[:4]) or fs[0].category
        conflicts.append(Conflict(about, fs[0].category, tuple(
            ConflictValue(f.text, f.value, f.sentence, f.article_id, f.source, f.sentence_start, f.sentence_end,
                          f.start, f.end) for f in fs)))
    conflicts.sort(key=lambda c: (-len({v.article_id for v in c.values}), c.about))
    return conflicts

