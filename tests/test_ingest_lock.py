"""One writer at a time per database (storyline/store/lock.py): pipelines in other connections or processes see each
other's stories, and concurrent ingests serialise."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from storyline.ingest import read_paths
from storyline.pipeline import open_pipeline
from storyline.settings import Settings
from storyline.store import Store
from storyline.store.lock import ingest_lock

from .conftest import DEMO_CORPUS, storyline_cli

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical"})
DAM = ("Engineers at the Example Valley dam opened the spillway gates on Monday after heavy rain raised the reservoir "
       "to its highest level in a decade. The regional water authority said {n} households downstream were told to "
       "leave their homes as a precaution, and rescue teams were sent to the villages along the river.")


def dam_reports(tmp_path: Path) -> list[Path]:
    """Three outlets' reports of one event, one file each."""
    out = []
    for i, (source, n) in enumerate((("Valley Post", "1,200"), ("River Times", "about 1,300"), ("Daily Ledger", "1,250"))):
        rec = {"id": f"r{i}", "source": source, "title": f"Example Valley dam opens spillway ({source})",
               "date": f"2031-04-08T0{i}:00:00Z", "text": DAM.format(n=n)}
        path = tmp_path / f"dam{i}.jsonl"
        path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
        out.append(path)
    return out


def groups(db: Path) -> set[frozenset[str]]:
    """The stories as sets of article ids (ids are content hashes: the same in every database)."""
    with Store(db) as store:
        rows = store.query("SELECT story_id, article_id FROM memberships")
    out: dict[str, set[str]] = {}
    for sid, aid in rows:
        out.setdefault(sid, set()).add(aid)
    return {frozenset(v) for v in out.values()}


def test_a_pipeline_sees_stories_another_connection_stored_after_it_was_opened(tmp_path: Path) -> None:
    SARN = dam_reports(tmp_path)
    db = tmp_path / "s.db"
    with Store(db) as a_store, Store(db) as b_store:
        a = open_pipeline(a_store, LEXICAL)  # restored from an empty store
        open_pipeline(b_store, LEXICAL).run(read_paths([str(p) for p in SARN[:2]]))
        a.run(read_paths([str(SARN[2])]))  # must cluster against the story the other connection stored
    [story] = groups(db)
    assert len(story) == 3


def test_a_long_lived_pipeline_restores_only_when_someone_else_ingested(tmp_path: Path) -> None:
    SARN = dam_reports(tmp_path)
    db = tmp_path / "s.db"
    with Store(db) as a_store, Store(db) as b_store:
        a = open_pipeline(a_store, LEXICAL)
        first = a.clusterer
        a.run(read_paths([str(SARN[0])]))
        assert a.clusterer is first  # its own run does not make its state stale
        open_pipeline(b_store, LEXICAL).run(read_paths([str(SARN[1])]))
        a.run(read_paths([str(SARN[2])]))
        assert a.clusterer is not first and a.clusterer in a.observers  # rebuilt from the store, still observing
    assert len(groups(db)) == 1


def test_the_lock_is_reentrant_in_a_thread_and_exclusive_between_threads(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    order: list[str] = []
    with ingest_lock(db), ingest_lock(db):  # re-entered by the same thread: no deadlock
        t = threading.Thread(target=lambda: (ingest_lock(db).__enter__(), order.append("other")))
        t.start()
        time.sleep(0.3)
        order.append("holder")
    t.join(10)
    assert order == ["holder", "other"]


def test_the_lock_excludes_another_process(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    code = ("import sys, time\nfrom storyline.store.lock import ingest_lock\n"
            f"with ingest_lock({db!r}):\n    print('held', flush=True)\n    time.sleep(1.5)\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        with ingest_lock(db):
            waited = time.monotonic() - t0
    finally:
        child.wait(30)
    assert waited >= 0.8  # it waited for the other process to let go


def test_two_concurrent_cli_ingests_give_the_stories_of_one_after_the_other(tmp_path: Path) -> None:
    """Two `storyline ingest` processes on one database at once: the lock serialises them, so the stories are those
    of ingesting one set and then the other (in either order), never an event split between the two runs."""
    lines = (DEMO_CORPUS / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    wire = sorted(str(p) for p in (DEMO_CORPUS / "wire").iterdir())
    (tmp_path / "a.jsonl").write_text("\n".join(lines[0::2]) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("\n".join(lines[1::2]) + "\n", encoding="utf-8")
    half_a, half_b = [str(tmp_path / "a.jsonl"), *wire[0::2]], [str(tmp_path / "b.jsonl"), *wire[1::2]]
    lex = ["--set", "cluster.profile=lexical"]

    def sequential(first: list[str], second: list[str], name: str) -> set[frozenset[str]]:
        db = tmp_path / name
        for part in (first, second):
            p = subprocess.run([*storyline_cli(), "--db", str(db), *lex, "ingest", *part], capture_output=True,
                               timeout=300)
            assert p.returncode in (0, 1), p.stderr
        return groups(db)

    expected = [sequential(half_a, half_b, "ab.db"), sequential(half_b, half_a, "ba.db")]
    db = tmp_path / "both.db"
    procs = [subprocess.Popen([*storyline_cli(), "--db", str(db), *lex, "ingest", *part], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for part in (half_a, half_b)]
    for p in procs:
        p.communicate(timeout=300)
        assert p.returncode in (0, 1)
    with Store(str(db)) as store:  # both ran (exit 1 is also "could not open the new database")
        assert store.query("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL")[0][0] == 2
    assert groups(db) in expected


def _held_by_child(db: str):
    code = ("import sys, time\nfrom storyline.store.lock import ingest_lock\n"
            f"with ingest_lock({db!r}):\n    print('held', flush=True)\n    time.sleep(1.5)\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_a_symlink_to_the_database_shares_its_lock(tmp_path: Path) -> None:
    # SQLite follows the symlink (its -wal/-shm are beside the target), so the lock must too: `--db link.db` in
    # one process and `--db real/s.db` in another are one database
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "s.db"
    Store(str(real)).close()
    link = tmp_path / "link.db"
    link.symlink_to(real)
    child = _held_by_child(str(real))
    try:
        t0 = time.monotonic()
        with ingest_lock(str(link)):
            waited = time.monotonic() - t0
    finally:
        child.wait(30)
    assert waited >= 0.8
    assert not (tmp_path / "link.db-ingest-lock").exists()


def test_a_deleted_lock_file_is_not_locked_any_more_by_a_long_lived_process(tmp_path: Path) -> None:
    # a server keeps its lock file open between ingests; someone deletes the file (it looks stale): the server's
    # next ingest must lock the file other processes now create, not the orphaned one
    db = str(tmp_path / "s.db")
    with ingest_lock(db):
        pass
    Path(db + "-ingest-lock").unlink()
    child = _held_by_child(db)
    try:
        t0 = time.monotonic()
        with ingest_lock(db):
            waited = time.monotonic() - t0
    finally:
        child.wait(30)
    assert waited >= 0.8
