"""``storyline eval-dedup``: precision/recall of the pair classifier on generated copies and rewrites.

The records (originals plus :func:`~storyline.copies.generate.generate` output) are turned into :class:`Article`s
from ``title``/``text``/``source``/``date`` only; the ``gen`` truth is kept aside. Pairs judged:

- every pair of records in the same gold ``cluster`` (originals of different outlets, originals with copies and
  rewrites, copies with rewrites) — the pairs the pipeline compares inside a story;
- every pair the MinHash LSH returns across the whole file (``copies.lsh_threshold``) — cross-story copy candidates.

Truth: two records of one *family* (an original and what was generated from it) are ``copy`` when neither is a
rewrite, else ``rewrite``; all other pairs are ``independent``. Originals whose bodies have the same normalized words
(:func:`~storyline.copies.text.body_hash`: the same wire text under two outlets, which neus-train has) are one
family: calling them independent would count a verbatim copy as an error (``duplicate_originals`` says how many). Among the originals, same-cluster pairs are
independent reports by definition (different outlets, own wording): the share of those called copy or rewrite is
the false-positive rate reported separately (on neus-train it is the "independent pairs" figure).

Records without text (``text`` missing, not a string, or only whitespace: neus-train has 20) are not scored: a pair
of two empty bodies says nothing about the classifier. They are counted in ``n_skipped`` (their ids, first few, in
``skipped``), as ``storyline eval`` counts rejected records in ``n_rejected``.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Sequence

import numpy as np

from ..records import Article
from ..settings import CopiesSettings
from .minhash import BandIndex, Signer
from .relation import RELATIONS, PairJudge
from .text import body_hash, words

__all__ = ["EvalReport", "evaluate_records", "has_text"]


@dataclass(frozen=True, slots=True)
class EvalReport:
    n_records: int
    n_pairs: int
    per_relation: dict[str, dict[str, float]]
    confusion: dict[str, dict[str, int]]
    independent_pairs: int  # same-cluster pairs of original records
    independent_flagged: int  # ... of those called copy or rewrite
    lsh_copy_recall: float  # share of true copy pairs that the LSH returned as candidates
    method: str
    duplicate_originals: int = 0  # originals merged into another original's family (identical normalized body)
    n_skipped: int = 0  # records without text: left out, not scored
    skipped: tuple[str, ...] = ()  # the first SKIPPED_SHOWN of their ids

    @property
    def independent_fp_rate(self) -> float:
        return self.independent_flagged / self.independent_pairs if self.independent_pairs else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_records": self.n_records, "n_pairs": self.n_pairs, "method": self.method,
            "per_relation": self.per_relation, "confusion": self.confusion,
            "independent_pairs": self.independent_pairs, "independent_flagged": self.independent_flagged,
            "independent_fp_rate": round(self.independent_fp_rate, 4), "lsh_copy_recall": round(self.lsh_copy_recall, 4),
            "duplicate_originals": self.duplicate_originals,
            "n_skipped": self.n_skipped, "skipped": list(self.skipped),
        }


SKIPPED_SHOWN = 20  # ids of skipped records named in the report


def has_text(rec: dict[str, Any]) -> bool:
    """Whether a record has a text to score: a string with something other than whitespace."""
    text = rec.get("text")
    return isinstance(text, str) and bool(text.strip())


def _article(rec: dict[str, Any]) -> Article:
    date = None
    if rec.get("date"):
        try:
            date = datetime.fromisoformat(rec["date"])
        except ValueError:
            date = None
    return Article(id=str(rec["id"]), title=rec.get("title") or "", text=rec.get("text") or "",
                   source=rec.get("source") or "", date=date)


def _families(records: Sequence[dict[str, Any]]) -> tuple[list[tuple[str, str]], int]:
    """(family root, role) per record, and the number of originals merged by identical normalized body."""
    root: dict[str, str] = {}
    first_by_hash: dict[str, str] = {}
    merged = 0
    for r in records:
        if not r.get("gen"):
            rid, text = str(r["id"]), r.get("text") or ""
            h = body_hash(text) if text.strip() else rid
            root[rid] = first_by_hash.setdefault(h, rid)
            merged += root[rid] != rid
    out = []
    for r in records:
        gen = r.get("gen")
        out.append((root[str(r["id"])], "original") if not gen else (root.get(str(gen["of"]), str(gen["of"])),
                                                                      gen["relation"]))
    return out, merged


def evaluate_records(
    records: Sequence[dict[str, Any]],
    settings: CopiesSettings | None = None,
    encoder: Any = None,
    progress: Callable[[int], None] | None = None,
) -> EvalReport:
    settings = settings or CopiesSettings()
    skipped = [str(r.get("id")) for r in records if not has_text(r)]
    records = [r for r in records if has_text(r)]
    judge = PairJudge(settings, encoder)
    arts = [_article(r) for r in records]
    fam, merged = _families(records)
    pairs: set[tuple[int, int]] = set()
    by_cluster: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        if r.get("cluster") is not None:
            by_cluster[str(r["cluster"])].append(i)
    for members in by_cluster.values():
        pairs.update(itertools.combinations(members, 2))
    signer = Signer(settings.num_perm, settings.seed, settings.shingle_words)
    sigs = signer.signatures(words(f"{a.title}\n{a.text}") for a in arts)
    band = BandIndex(settings.num_perm, settings.lsh_threshold)
    lsh_pairs = {(int(i), int(j)) for i, j in band.candidate_pairs(band.band_keys(sigs))}
    pairs |= lsh_pairs

    def truth(i: int, j: int) -> str:
        (fi, ri), (fj, rj) = fam[i], fam[j]
        if fi != fj:
            return "independent"
        return "rewrite" if "rewrite" in (ri, rj) else "copy"

    confusion: dict[str, Counter[str]] = {r: Counter() for r in RELATIONS}
    indep_pairs = indep_flagged = 0
    copy_total = copy_in_lsh = 0
    for n, (i, j) in enumerate(sorted(pairs)):
        gold = truth(i, j)
        pred = judge.judge(arts[i], arts[j]).relation
        confusion[gold][pred] += 1
        if gold == "copy":
            copy_total += 1
            copy_in_lsh += (i, j) in lsh_pairs
        if (fam[i][1] == fam[j][1] == "original" and fam[i][0] != fam[j][0]
                and records[i].get("cluster") == records[j].get("cluster")):
            indep_pairs += 1
            indep_flagged += pred != "independent"
        if progress is not None and n % 1000 == 0:
            progress(n)
    per: dict[str, dict[str, float]] = {}
    for rel in RELATIONS:
        tp = confusion[rel][rel]
        predicted = sum(confusion[g][rel] for g in RELATIONS)
        actual = sum(confusion[rel].values())
        p = tp / predicted if predicted else 0.0
        r = tp / actual if actual else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        per[rel] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": actual}
    return EvalReport(
        len(records), len(pairs), per, {g: dict(c) for g, c in confusion.items()}, indep_pairs, indep_flagged,
        copy_in_lsh / copy_total if copy_total else 0.0, judge.method, merged, len(skipped),
        tuple(skipped[:SKIPPED_SHOWN]),
    )
