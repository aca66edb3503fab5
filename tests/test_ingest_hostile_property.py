"""Hostile inputs of every kind never stop an ingest: the command finishes, ``seen == accepted + rejected +
duplicates``, the good inputs beside the bad ones are stored, and no input ends as an ``internal-error`` row (an
unexpected exception in a reader is a bug). The inputs come from :mod:`storyline.eval.hostile`, the generators
``bench/fuzz.py`` runs by the ten thousand."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st
from typer.testing import CliRunner

from storyline.cli import app
from storyline.eval.hostile import KINDS, generate, good_input
from storyline.guard import INTERNAL_ERROR
from storyline.ingest.web import read_inputs
from storyline.pipeline import open_pipeline
from storyline.settings import Settings
from storyline.store import Store

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical", "fetch.fetch_linked": "false"})


def write_inputs(folder: Path, rng: random.Random, kinds: list[str], n_good: int) -> list[str]:
    """Hostile files of ``kinds`` with ``n_good`` good JSONL files among them; the good articles' titles."""
    titles = []
    slots: list[str | None] = [*kinds, *([None] * n_good)]
    rng.shuffle(slots)
    for i, kind in enumerate(slots):
        if kind is None:
            data, ext, title = good_input(rng, f"g{i}x{rng.randrange(10**9)}")
            titles.append(title)
        else:
            data, ext = generate(kind, rng)
        # some file names are not UTF-8 (os.listdir gives them with surrogate escapes)
        odd_name = b"\xff\xfe-".decode("utf-8", "surrogateescape") if rng.random() < 0.2 else ""
        (folder / f"{i:03d}-{odd_name}{kind or 'good'}{ext}").write_bytes(data)
    return titles


def stored_titles(store: Store) -> set[str]:
    return {a.title for a in store.iter_articles()}


def internal_errors(store: Store) -> list[dict]:
    return [r for r in store.list_rejects() if r["reason"] == INTERNAL_ERROR]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rng=st.randoms(use_true_random=False), kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=6),
       n_good=st.integers(1, 2))
def test_hostile_inputs_never_stop_an_ingest(rng, kinds, n_good):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        titles = write_inputs(folder, rng, kinds, n_good)
        with Store(Path(tmp) / "h.db") as store:
            stats = open_pipeline(store, LEXICAL).run(read_inputs([str(folder)], LEXICAL))
            assert stats.seen == stats.accepted + stats.rejected + stats.duplicates
            assert set(titles) <= stored_titles(store)
            assert not internal_errors(store), internal_errors(store)


def test_the_cli_ingests_a_folder_of_hostile_files_of_every_kind(tmp_path):
    rng = random.Random(16)
    folder = tmp_path / "in"
    folder.mkdir()
    titles = write_inputs(folder, rng, [k for k in KINDS for _ in range(6)], 3)
    db = str(tmp_path / "h.db")
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db, "--set", "cluster.profile=lexical", "--set", "fetch.fetch_linked=false",
                                 "ingest", str(folder)])
    assert result.exit_code in (0, 1), result.output  # 1: finished, with rejections
    assert "run 1: seen" in result.output
    with Store(db) as store:
        (run,) = store.runs()
        assert run["seen"] == run["accepted"] + run["rejected"] + run["duplicates"] and run["rejected"] > 0
        assert set(titles) <= stored_titles(store)
        assert not internal_errors(store), internal_errors(store)


def test_a_reader_that_raises_is_one_internal_error_row_and_the_ingest_goes_on(tmp_path):
    """The guard: whatever a reader raises on one input ends as that input's row; what it read before is kept."""
    from storyline.ingest.files import read_bytes
    from storyline.records import Origin, RawItem, Rejected

    def breaks_after_one(data: bytes, path: str):
        yield RawItem(Origin(path, 1), "Read before the failure.", title="First")
        raise KeyError("a bug")

    items = list(read_bytes(b"x", "in.odd", breaks_after_one, LEXICAL.ingest))
    assert isinstance(items[0], RawItem)
    (bad,) = items[1:]
    assert isinstance(bad, Rejected) and bad.reason == INTERNAL_ERROR and bad.ref == "in.odd"
    assert "KeyError: 'a bug'" in bad.detail
    with Store(tmp_path / "g.db") as store:
        stats = open_pipeline(store, LEXICAL).run(iter(items))
        assert (stats.seen, stats.accepted, stats.rejected) == (2, 1, 1)
