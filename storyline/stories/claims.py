"""Claims: what a sentence asserts, as far as agreement needs it, and when two similar sentences do *not* agree.

Two sentences of different articles may be similar (they share the story's words) and still state different
things. :func:`claim_of` reads the features that tell them apart, with rules (no model):

- **figures**: numbers (digits, number words, ``a dozen``) with whether they are approximate (``about``,
  ``nearly``, ``more than`` …) and the noun they count; dates, clock times, years and ages are left out;
- **negation**: the content words in a negation's scope (from a cue — ``not``, ``no``, ``never``, ``n't``,
  ``nothing``, ``without`` … — to the end of its clause); a word both sentences use, negated in one only, is a
  negation on one side;
- **days**: weekdays and month-day dates the sentence is about (a weekday right after ``said``/``announced`` is when
  it was said, not what happened, and is left out);
- **speaker**: a named speaker (``X said``, ``said X``) when the sentence attributes itself to one;
- **state**: a change-of-state word from a small general list of opposites (``closed``/``reopened``,
  ``suspected``/``confirmed``, ``rejected``/``accepted``, ``rose``/``fell`` …).

:func:`conflict` says why two claims do not agree (``None`` when nothing tells them apart): a figure about the same
counted noun with incompatible values, figures on both sides none of which are compatible, a negation on one side
only, disjoint days, different named speakers, or opposite states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
from scipy import sparse

from .terms import STOP, stem, terms

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
_NOUN = re.compile(r"[\s-]+(?:of\s+(?:the|its|their|those|these)\s+)?([A-Za-z]+)")
_NEG = re.compile(r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot|no-one|no one)\b|n[’']t\b",
                  re.IGNORECASE)
_CLAUSE_END = re.compile(r"[,;:.!?\u2014\u2013()]|\s(?:and|but|after|before|when|while|because|although|as|so|"
                         r"which|who|whose|where|until)\s", re.IGNORECASE)
_WEEKDAY = re.compile(r"(?<!since )(?<!until )(?<!till )(?<!from )(?<!by )(?<!before )(?<!after )\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE)
_SAID_DAY = re.compile(r"\b(?:said|says|told [\w ]{1,30}?|announced|confirmed|added|stated|reported)\s+(?:on\s+|late\s+"
                       r"on\s+|early\s+on\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
                       re.IGNORECASE)
_DATE = re.compile(rf"\b(?:({_MONTHS})\.?\s+(\d{{1,2}})(?!\d)|(\d{{1,2}})\s+({_MONTHS})\b)", re.IGNORECASE)
_DATELINE = re.compile(r"^[A-Z][A-Z .'’-]+,\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}\s*(?:\([^)]*\))?\s*[-–—]\s*")
_NAME = r"[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?"
_SPEAKER = re.compile(rf"(?:({_NAME}(?:\s+{_NAME})*)\s+(?:said|says|told|added|warned|insisted|argued)\b|"
                      rf"\b(?:said|says|added|warned)\s+({_NAME}(?:\s+{_NAME})+))")
# change-of-state words and their opposites (general English; a stem on each side)
_OPPOSITES = [({"close", "clos", "shut"}, {"reopen", "open"}),
              ({"suspect"}, {"confirm"}),
              ({"reject", "refus", "turn down", "rul out"}, {"accept", "agre", "approv"}),
              ({"rise", "ris", "rose", "increas"}, {"fell", "fall", "drop", "declin", "decreas"}),
              ({"arrest"}, {"charg", "releas"}),
              ({"miss"}, {"found", "rescu"}),
              ({"halt", "stop", "suspend"}, {"restart", "resum"}),
              ({"warn"}, {"downgrad", "lift"}),
              ({"adjourn"}, {"reach", "agre"})]
# a sentence starting with a number word or digits is counted as its subject (no weekday/date there)
_TOLERANCE = 0.1  # approximate figures agree with values within 10% ("nearly 40" vs 37; not "a dozen" vs 14)
_STATE_WORD = re.compile(r"[a-z]+")
_PLAIN_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_NUMBER_WORDS = frozenset(list(_UNITS) + list(_TENS) + list(_SCALES) + ["dozen", "dozens", "hundreds", "thousands"])


@dataclass(frozen=True, slots=True)
class Num:
    """A number in a sentence: its value, whether it is approximate, the noun stem it counts ("" when none)."""

    value: float
    approx: bool
    noun: str
    unit: str  # "percent" | "money" | "count"


@dataclass(frozen=True, slots=True)
class Claim:
    numbers: tuple[Num, ...]
    negated: frozenset[str]  # content-word stems inside a negation's scope (cue to the end of its clause)
    days: frozenset[str]
    speaker: str | None
    states: frozenset[int]  # indices of _OPPOSITES sides: 2k (left side) / 2k+1 (right side)
    words: frozenset[str] = frozenset()  # content-word stems
    plain: frozenset[str] = frozenset()  # content-word stems that are neither names (capitalised) nor numbers


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
    for m in _NUM.finditer(body):
        if any(a <= m.start("num") < b for a, b in skip):
            continue
        tail = (m.group("tail") or "").strip().lower()
        if tail in ("am", "pm", "a.m.", "p.m.", "st", "nd", "rd", "th"):
            continue  # clock times and ordinals
        num = m.group("num")
        if num.isdigit() and len(num) == 4 and 1800 <= int(num) <= 2100 and not m.group("cur"):
            continue  # a year
        before, after = body[:m.start()].rstrip(), body[m.end():]
        if before.endswith(",") and after.startswith(",") and not m.group("mod"):
            continue  # an apposition: "Peter Haverley, 52, died" gives an age
        if re.search(r"\b(?:aged|age|who was|who is)$", before, re.IGNORECASE):
            continue
        v = _value(m)
        if v is None:
            continue
        if tail:
            unit, noun = "percent", "percent"
        elif m.group("cur") or re.match(r"\s*(?:crowns|dollars|euros|pounds|yen|francs)\b", body[m.end():],
                                         re.IGNORECASE):
            unit, noun = "money", "money"
        else:
            unit = "count"
            nm = _NOUN.match(body, m.end())
            noun = stem(nm.group(1)) if nm and nm.group(1).lower() not in STOP else ""
        approx = bool(m.group("mod")) or num.lower() in ("dozen",)
        nums.append(Num(v, approx, noun, unit))
    said = [(x.start(), x.end()) for x in _SAID_DAY.finditer(body)]
    days = set()
    for m in _WEEKDAY.finditer(body):
        if not any(s <= m.start() < e for s, e in said):
            days.add(m.group(1).lower())
    for m in _DATE.finditer(body):
        mon = (m.group(1) or m.group(4)).lower()[:3]
        day = m.group(2) or m.group(3)
        days.add(f"{mon}-{int(day)}")
    sp = _SPEAKER.search(body)
    speaker = (sp.group(1) or sp.group(2)) if sp else None
    words = {stem(w) for w in _STATE_WORD.findall(body.lower())}
    low = body.lower()
    states = set()
    for k, (left, right) in enumerate(_OPPOSITES):
        if any((w in words) if " " not in w else (w in low) for w in left):
            states.add(2 * k)
        if any((w in words) if " " not in w else (w in low) for w in right):
            states.add(2 * k + 1)
    negated: set[str] = set()
    for m in _NEG.finditer(body):
        end = _CLAUSE_END.search(body, m.end())
        negated.update(terms(body[m.end():end.start() if end else len(body)]))
    plain = {stem(w) for w in _PLAIN_WORD.findall(body) if w[0].islower() and w.lower() not in STOP}
    return Claim(tuple(nums), frozenset(negated), frozenset(days), speaker, frozenset(states), frozenset(terms(body)),
                 frozenset(plain) - _NUMBER_WORDS)


def compatible(a: Num, b: Num) -> bool:
    """Equal values, or within ``_TOLERANCE`` when either is approximate."""
    if a.value == b.value:
        return True
    if a.approx or b.approx:
        return abs(a.value - b.value) <= _TOLERANCE * max(abs(a.value), abs(b.value))
    return False


def _speaker_words(s: str) -> set[str]:
    return {w.lower() for w in s.split()}


def conflict(a: Claim, b: Claim) -> str | None:
    """Why two claims do not agree, or ``None``."""
    if a.numbers and b.numbers:
        if not any(compatible(n, m) for n in a.numbers for m in b.numbers):
            return "figures: no value in common"
        # a counted noun both sentences give a figure for, with a value on each side that nothing on the other side
        # matches ("8,000 litres" vs "12,000 litres"); "three workers" matched by "three people" is no conflict
        free_a = [n for n in a.numbers if not any(compatible(n, m) for m in b.numbers)]
        free_b = [m for m in b.numbers if not any(compatible(n, m) for n in a.numbers)]
        for n in free_a:
            same = [m for m in free_b if n.noun and m.noun == n.noun]
            if same:
                return f"figure: {n.value:g} vs {', '.join(f'{m.value:g}' for m in same)} {n.noun}"
    shared = set(a.words) & set(b.words)
    one_sided = (a.negated ^ b.negated) & shared
    if one_sided:
        return f"negation on one side: {', '.join(sorted(one_sided))}"
    if a.days and b.days and not a.days & b.days:
        return f"days: {sorted(a.days)} vs {sorted(b.days)}"
    if a.speaker and b.speaker and not _speaker_words(a.speaker) & _speaker_words(b.speaker):
        return f"speakers: {a.speaker} vs {b.speaker}"
    for k in range(len(_OPPOSITES)):
        sa = {s for s in a.states if s // 2 == k}
        sb = {s for s in b.states if s // 2 == k}
        if len(sa) == 1 and len(sb) == 1 and sa != sb:
            return f"opposite states: {sorted(_OPPOSITES[k][0])[0]} vs {sorted(_OPPOSITES[k][1])[0]}"
    return None


def agreement_groups(al: "Alignment", relation: Mapping[str, str], excluded: set[int] | frozenset[int] = frozenset(),
                     *, floor: float = 0.0, linkage: float = 0.0, min_shared: float = 0.0,
                     candidates: int = 16) -> list[list[int]]:
    """Groups of aligned sentences that state the same thing, each with sentences of ≥ 2 *independent* sources.

    Aligned pairs (``al``, score ≥ ``floor``; each sentence's ``candidates`` best) between sentences not in
    ``excluded`` (boilerplate) are taken best first; two groups are joined through a pair only when no two of their
    sentences conflict (:func:`conflict`) — complete linkage on compatibility, so that "8,000 litres" and "12,000 litres" never
    end in one group through a third sentence without a figure — and when at least ``linkage`` of their pairs of
    sentences of different articles are aligned (so that a chain of look-alike sentences does not become one
    claim). A pair links only when ≥ ``min_shared`` of the content words that are not names or numbers of the
    sentence with fewer of them are in the other: two different things said by one named person share the name,
    not the claim. ``relation`` maps an article id to ``copy`` or
    ``rewrite`` when the copies stage found it to be one: its sentences join groups (as carriers) but do not count
    as a source. Two groups that could not be joined are not tried again (a grown group only has more sentences to
    agree with). Groups are returned with rows sorted, ordered by first row.
    """
    refs = al.sentences
    n = len(refs)
    if n == 0:
        return []
    rows, cols, vals = _candidate_pairs(al.adjacency, floor, candidates)
    order = np.lexsort((cols, rows, -vals))
    parent = list(range(n))
    members: dict[int, list[int]] = {}
    B = al.adjacency.tocsr().astype(np.float32, copy=True)  # aligned pairs kept: 1, others dropped
    B.data = (B.data >= floor - 1e-9).astype(np.float32)
    B.eliminate_zeros()
    B = B.astype(np.int32)
    links: dict[int, np.ndarray] = {}  # group root → number of aligned members per sentence (dense), lazily
    art_code: dict[str, int] = {}
    art = [art_code.setdefault(r.article_id, len(art_code)) for r in refs]
    claims = [claim_of(r.text) for r in refs]
    # per group root: its distinct claims (copies of one sentence are checked once) and its sentences per article
    kinds: dict[int, dict[int, Claim]] = {}
    per_art: dict[int, dict[int, int]] = {}
    ok_cache: dict[tuple[int, int], bool] = {}
    failed: set[tuple[int, int]] = set()  # group roots that could not merge: a grown group only gets stricter

    def link_row(root: int) -> np.ndarray:
        row = links.get(root)
        if row is None:
            row = np.zeros(n, dtype=np.int32)
            lo, hi = B.indptr[root], B.indptr[root + 1]
            row[B.indices[lo:hi]] = B.data[lo:hi]
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
            hit = ok_cache[key] = ok_cache[(id(cj), id(ci))] = conflict(ci, cj) is None
        return hit

    for k in order.tolist():
        i, j = int(rows[k]), int(cols[k])
        if i in excluded or j in excluded:
            continue
        ri, rj = find(i), find(j)
        if ri == rj or (min(ri, rj), max(ri, rj)) in failed:
            continue
        if min_shared and _plain_overlap(claims[i], claims[j]) < min_shared - 1e-9:
            continue
        gi, gj = members.get(ri, [ri]), members.get(rj, [rj])
        ki = kinds.get(ri) or {id(claims[ri]): claims[ri]}
        kj = kinds.get(rj) or {id(claims[rj]): claims[rj]}
        if not all(compatible_claims(a, b) for a in ki.values() for b in kj.values()):
            failed.add((min(ri, rj), max(ri, rj)))
            continue
        li = link_row(ri)
        if linkage > 0 and (len(gi) > 1 or len(gj) > 1):
            ai = per_art.get(ri) or {art[ri]: 1}
            aj = per_art.get(rj) or {art[rj]: 1}
            cross = len(gi) * len(gj) - sum(c * aj.get(a, 0) for a, c in ai.items())
            if cross and int(li[gj].sum()) < linkage * cross - 1e-9:
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


def _candidate_pairs(A: Any, floor: float, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The aligned pairs (i < j) with score ≥ ``floor`` that are among the ``k`` best of i or of j (0: all)."""
    A = A.tocsr()
    n = A.shape[0]
    row = np.repeat(np.arange(n), np.diff(A.indptr))
    col, val = A.indices, A.data
    keep = val >= floor - 1e-9
    if k > 0:
        # rank within each row by score, best first (scores are cosines in [0, 1]: one float key sorts both)
        order = np.argsort(row + (1.0 - np.clip(val, 0.0, 1.0)) * 0.5, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order)) - A.indptr[:-1][row[order]]
        keep &= rank < k
    K = sparse.csr_matrix((val[keep], (row[keep], col[keep])), shape=(n, n))
    K = sparse.triu(K.maximum(K.T), k=1).tocoo()
    return K.row, K.col, K.data


def _plain_overlap(a: Claim, b: Claim) -> float:
    small = min(len(a.plain), len(b.plain))
    return len(a.plain & b.plain) / small if small else 0.0

