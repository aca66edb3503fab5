"""Copy detection: signatures, pair relations, the pipeline observer, provenance and the generator."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings as hsettings, strategies as st

from storyline.copies import PairJudge, Signer, copies_for_story, provenance_summary
from storyline.copies.detector import CopyDetector, all_copies
from storyline.copies.generate import GeneratorConfig, generate, make_copy, make_rewrite
from storyline.copies.minhash import BandIndex
from storyline.copies.relation import edit_cost, shingle_containment
from storyline.copies.text import words
from storyline.pipeline import ingest
from storyline.records import Article, Origin, RawItem
from storyline.settings import Settings
from storyline.store import open_store

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
WIRE = (
    "The talks will begin in Doha on Saturday, officials said. The delegation includes senior diplomats from both "
    "sides and a team of economists. A spokeswoman said the meeting did not imply recognition of the government. "
    "About 100 citizens remain in the country, most of them dual nationals, according to the State Department."
)
OWN = (
    "Residents of Kabul queued for hours outside banks on Friday as cash ran short. Shopkeepers said prices for "
    "flour and cooking oil had doubled since August. Aid groups warned of a hunger crisis before winter."
)


def art(i: str, text: str, title: str = "Talks in Doha", source: str = "AP", date=None) -> Article:
    return Article(id=i, title=title, text=text, source=source, date=date)


def test_signatures_equal_datasketch_minhash():
    signer = Signer(num_perm=32, seed=7)
    toks = words(WIRE)
    sh = signer.shingles(toks)
    m = MinHash(num_perm=32, seed=7, scheme="affine32", hashfunc=lambda x: x)
    m.update_batch([int(x) for x in sh])
    assert (signer.signatures([toks])[0] == m.hashvalues).all()


@given(st.lists(st.sampled_from("abcdefgh"), min_size=0, max_size=30), st.lists(st.sampled_from("abcdefgh"),
                                                                                 min_size=0, max_size=30))
@hsettings(max_examples=50, deadline=None)
def test_containment_is_symmetric_and_bounded(a, b):
    s = Signer(8)
    ca, ja = shingle_containment(s.shingles(a), s.shingles(b))
    cb, jb = shingle_containment(s.shingles(b), s.shingles(a))
    assert ca == cb and ja == jb and 0.0 <= ja <= ca <= 1.0


def test_band_index_finds_near_duplicates_not_strangers():
    signer = Signer(64)
    sigs = signer.signatures([words(WIRE), words(WIRE + " It rained."), words(OWN)])
    band = BandIndex(64, 0.3)
    pairs = {tuple(p) for p in band.candidate_pairs(band.band_keys(sigs)).tolist()}
    assert (0, 1) in pairs and (0, 2) not in pairs and (1, 2) not in pairs


def test_relation_copy_rewrite_independent():
    judge = PairJudge()
    boiler = WIRE[: int(len(WIRE) * 0.7)] + "...\n\nCopyright 2021 The Associated Press. All rights reserved."
    assert judge.judge(art("a", WIRE), art("b", boiler)).relation == "copy"
    rewrite = (
        "On Saturday, the talks will start in Doha, officials stated. The delegation includes top diplomats from "
        "both sides as well as a team of economists. A representative noted the meeting didn't imply recognition "
        "of the administration. Roughly 100 citizens remain in the nation, most of them dual nationals, according "
        "to the State Department."
    )
    j = judge.judge(art("a", WIRE), art("c", rewrite, title="Doha talks to start"))
    assert j.relation == "rewrite" and j.coverage >= 0.7 and j.containment < 0.5
    assert judge.judge(art("a", WIRE), art("d", OWN, title="Cash runs short in Kabul")).relation == "independent"


def test_edit_cost_ignores_truncation_and_boilerplate_and_counts_inner_edits():
    a = "one two three four five six seven eight nine ten".split()
    assert edit_cost(a, a[:6] + ["extra", "words"]).total(2.0) == 1  # truncated + boilerplate: one edge edit
    assert edit_cost(a, ["dateline"] + a[:6]).total(2.0) == 0  # dateline before, truncation after: free
    assert edit_cost(a, a[:3] + ["X"] + a[4:]) .substitutions == 1  # "four" -> "x": a content word replaced
    assert edit_cost(a, a[:3] + ["fuor"] + a[4:]).light == 1  # a typo is a light edit


def raw(n: int, text: str, source: str, date: str | None, title: str = "Talks in Doha") -> RawItem:
    return RawItem(Origin("t", n), text, title=title, date=date, source=source)


@pytest.mark.backends("sqlite", "postgres")
def test_observer_stores_copies_with_earliest_dated_origin_and_restores_index(store):
    settings = Settings()
    ingest(store, [raw(1, WIRE + " Extra line at the end.", "Late", "2021-10-11"),
                   raw(2, WIRE, "Undated", None)], settings)
    ingest(store, [raw(3, WIRE + "\n\nReporting by Jane Doe.", "Early", "2021-10-09")], settings)
    rows = all_copies(store)
    origins = {r["origin_id"] for r in rows}
    assert len(rows) == 2 and len(origins) == 1
    origin = store.get_article(origins.pop())
    assert origin.source == "Early"  # earliest dated; the undated one never wins over a dated one
    sid = store.membership(origin.id)["story_id"]
    assert {r["relation"] for r in copies_for_story(store, sid)} == {"copy"}
    summary = provenance_summary(store, sid)
    assert summary["origins"][0]["carried_by"] == 2 and summary["independent_sources"] == 1
    with open_store(str(store.path)) as again:  # a restart: the index comes back from the stored signature blobs
        det = CopyDetector(settings.copies).restore(again)
        assert len(det.index) == 3


def test_generator_is_seeded_and_keeps_truth_apart():
    recs = [{"id": f"r{i}", "cluster": "c", "date": None, "source": "S", "title": "Talks", "text": WIRE}
            for i in range(5)]
    a = list(generate(recs, GeneratorConfig(seed=3)))
    b = list(generate(recs, GeneratorConfig(seed=3)))
    assert a == b and any(r["gen"] for r in a)
    rng = random.Random(1)
    assert make_copy(recs[0], rng)[1] != WIRE
    made = make_rewrite(recs[0], rng)
    assert made is not None and made[1] != WIRE


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "allsides-2021.jsonl").exists(), reason="../shared/data is absent")
def test_quality_floor_on_allsides():
    from storyline.copies.evaluate import evaluate_records
    from storyline.copies.generate import read_jsonl

    recs = list(generate(read_jsonl(DATA / "allsides-2021.jsonl"), GeneratorConfig(seed=2)))
    rep = evaluate_records(recs)
    assert rep.per_relation["copy"]["precision"] >= 0.99 and rep.per_relation["copy"]["recall"] >= 0.97
    assert rep.per_relation["rewrite"]["f1"] >= 0.85
    assert rep.independent_fp_rate <= 0.01


def test_live_index_returns_exactly_datasketch_minhashlsh_candidates():
    from datasketch import MinHashLSH

    from storyline.copies.minhash import LSHIndex

    rng = random.Random(4)
    vocab = words(WIRE + " " + OWN)
    texts = [WIRE, OWN]
    while len(texts) < 300:  # copies of copies (near duplicates) and shuffles (strangers)
        base = rng.choice(texts).split()
        if rng.random() < 0.5:
            base[rng.randrange(len(base))] = rng.choice(vocab)
        else:
            rng.shuffle(base)
        texts.append(" ".join(base[: rng.randint(8, len(base))]))
    signer = Signer(64)
    sigs = signer.signatures(words(t) for t in texts)
    ref = MinHashLSH(threshold=0.3, num_perm=64)
    idx = LSHIndex(signer, 0.3, merge_at=40)  # small merge_at: main segment and tail are both exercised
    for start in range(0, 300, 25):
        keys = [f"d{i}" for i in range(start, start + 25)]
        idx.insert_many(keys + keys[:3], np.concatenate([sigs[start : start + 25], sigs[start : start + 3]]))
        for k, i in zip(keys, range(start, start + 25)):
            ref.insert(k, signer.lean(sigs[i]))
    assert len(idx) == 300 and "d7" in idx and "x" not in idx
    got = idx.query_many(sigs)
    assert all(sorted(got[i]) == sorted(ref.query(signer.lean(sigs[i]))) for i in range(300))
    assert sum(len(g) for g in got) > 400  # the test has real near-duplicate neighbourhoods, not only self-hits
