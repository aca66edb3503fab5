"""Errors the machine causes (disk full, a file-size limit, permission denied, a read-only file system, a locked
database) are one line naming the path and what to do, exit status 3; a database is never left half-created."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from storyline.store import Store

from .conftest import storyline_cli

REPO = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")


def corpus(path: Path, n: int = 40, chars: int = 4000) -> Path:
    lines = []
    for i in range(n):
        body = " ".join(f"word{i}x{k}" for k in range(chars // 9))
        lines.append(json.dumps({"id": f"a{i}", "source": f"Outlet {i % 3}", "title": f"Report {i} on the flood",
                                 "date": f"2031-06-01T{i % 24:02d}:00:00Z", "text": body + "."}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(db: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(storyline_cli() + ["--db", str(db), "--set", "cluster.profile=lexical", *args],
                          capture_output=True, text=True, timeout=300, env=kw.pop("env", ENV), **kw)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".creating") or ".db" in p.name)


def test_a_file_size_limit_while_creating_the_database_leaves_no_file(tmp_path):
    """RLIMIT_FSIZE (ulimit -f) makes writes fail with EFBIG (SIGXFSZ is ignored by the CLI), as a full disk does."""
    data = corpus(tmp_path / "in.jsonl", n=2)
    db = tmp_path / "limited.db"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    p = run(db, "ingest", str(data), preexec_fn=limit)
    line = one_line(p.stderr)
    assert p.returncode == 3, p.stderr
    assert str(db) in line and "file-size limit" in line and "not a storyline database" not in line
    assert leftovers(tmp_path) == []
    p = run(db, "ingest", str(data))  # without the limit the same command creates it and ingests
    assert p.returncode == 0, p.stderr
    assert len(json.loads(run(db, "articles", "--format", "json").stdout)) == 2


# -- real full / read-only file systems: a small tmpfs (needs root, as in a container; skipped otherwise) -------

@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {p.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)


def test_disk_full_while_creating_the_database_says_so_and_leaves_no_file(tmp_path):
    data = corpus(tmp_path / "in.jsonl", n=2)
    with tmpfs(tmp_path / "small", "64k") as small:
        db = small / "s.db"
        p = run(db, "ingest", str(data))
        assert p.returncode == 3, p.stderr
        line = one_line(p.stderr)
        assert line.startswith(f"error: disk full: cannot write '{db}'") and "free space" in line, line
        assert leftovers(small) == []
        p = run(db, "ingest", str(data))  # the same again: the same line, still no file (never "not a database")
        assert p.returncode == 3 and "disk full" in p.stderr and leftovers(small) == []


def test_whatever_the_room_a_new_database_is_whole_or_absent(tmp_path):
    """File systems from too small to just big enough for the schema: each ingest either creates a database that
    opens (and lists its run) or stops with the disk-full line and leaves no file (never a malformed one)."""
    data = corpus(tmp_path / "in.jsonl", n=1, chars=200)
    outcomes = set()
    for kib in range(192, 960, 96):
        with tmpfs(tmp_path / f"fs{kib}", f"{kib}k") as fs:
            db = fs / "s.db"
            p = run(db, "ingest", str(data))
            assert p.returncode in (0, 3), (kib, p.stderr)
            assert not [n for n in leftovers(fs) if n.endswith(".creating")]
            if p.returncode == 3:
                assert "disk full" in one_line(p.stderr), (kib, p.stderr)
            if not db.exists():
                assert p.returncode == 3 and leftovers(fs) == [], (kib, p.stderr)
                outcomes.add("absent")
                continue
            listed = run(db, "runs", "--format", "json")  # created whole: it opens (its run may have hit the limit)
            assert listed.returncode == 0, (kib, listed.stderr)
            outcomes.add("whole")
    assert outcomes == {"absent", "whole"}


def test_disk_full_mid_run_stops_with_one_line_and_a_run_on_a_bigger_disk_resumes(tmp_path):
    data = corpus(tmp_path / "in.jsonl", n=200)  # about 0.8 MB of text: more than fits beside the schema
    with tmpfs(tmp_path / "small", "1m") as small:
        db = small / "s.db"
        p = run(db, "--set", "ingest.batch_size=4", "ingest", str(data))
        assert p.returncode == 3, p.stderr
        assert one_line(p.stderr).startswith(f"error: disk full: cannot write '{db}'"), p.stderr
        remount(small, "size=16m")
        listed = run(db, "runs", "--format", "json")
        assert listed.returncode == 0, listed.stderr
        first = json.loads(listed.stdout)[-1]
        assert first["state"] in ("failed", "interrupted") and 0 < first["accepted"] < 200, first
        p = run(db, "--set", "ingest.batch_size=4", "ingest", str(data))
        assert p.returncode == 0, p.stderr
        runs = json.loads(run(db, "runs", "--format", "json").stdout)
        assert runs[-1]["state"] == "finished" and runs[-1]["duplicates"] == first["accepted"]
        assert runs[-1]["accepted"] + first["accepted"] == 200
        assert len(json.loads(run(db, "articles", "--format", "json").stdout)) == 200


def test_a_read_only_file_system_is_one_line(tmp_path):
    data = corpus(tmp_path / "in.jsonl", n=2)
    with tmpfs(tmp_path / "ro", "4m") as ro:
        db = ro / "s.db"
        assert run(db, "ingest", str(data)).returncode == 0
        remount(ro, "ro")
        try:
            p = run(db, "ingest", str(corpus(tmp_path / "more.jsonl", n=3)))
            assert p.returncode == 3, p.stderr
            line = one_line(p.stderr)
            assert str(db) in line and "read-only" in line, line
            q = run(ro / "new.db", "ingest", str(data))  # creating one there
            assert q.returncode == 3 and "read-only" in one_line(q.stderr) and str(ro) in q.stderr, q.stderr
        finally:
            remount(ro, "rw")


# -- permission denied and a locked database -------------------------------------------------------------------

def drop_permission_override() -> None:
    """In the child (as root): drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the capability bounding set before
    exec, so the command runs as a root without the right to ignore file permissions (prctl PR_CAPBSET_DROP)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            os._exit(97)


def test_permission_denied_names_the_folder(tmp_path):
    """A folder this user cannot write (mode 0555); as root, the command runs without the capability that lets root
    ignore file permissions."""
    data = corpus(tmp_path / "in.jsonl", n=2)
    locked = tmp_path / "no-write"
    locked.mkdir()
    os.chmod(locked, 0o555)
    try:
        kw = {"preexec_fn": drop_permission_override} if os.geteuid() == 0 else {}
        p = run(locked / "s.db", "ingest", str(data), **kw)
        if p.returncode == 97:
            pytest.skip("cannot drop CAP_DAC_OVERRIDE here")
        assert p.returncode == 3, p.stderr
        line = one_line(p.stderr)
        assert line.startswith(f"error: permission denied: '{locked}'") and "write access" in line, line
        assert list(locked.iterdir()) == []
    finally:
        os.chmod(locked, 0o755)


HOLD_WRITE = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO runs(command, started_at) VALUES ('held', '2031-01-01')")
print("holding", flush=True)
time.sleep(120)
"""


def test_a_database_locked_by_another_process_is_one_line(tmp_path):
    db = tmp_path / "l.db"
    Store(db).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WRITE, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        t0 = time.monotonic()
        p = run(db, "ingest", str(corpus(tmp_path / "in.jsonl", n=2)))
        assert p.returncode == 3, p.stderr
        line = one_line(p.stderr)
        assert line.startswith(f"error: database '{db}' is locked") and "let it finish" in line, line
        assert time.monotonic() - t0 >= 9  # it waited the busy timeout first
    finally:
        holder.kill()
        holder.wait(30)
        holder.stdout.close()
