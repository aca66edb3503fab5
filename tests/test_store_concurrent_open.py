"""Processes opening one new database at once all open it (no migration applied twice, no 'database is locked')."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from storyline.store import Store


def test_processes_opening_one_new_database_at_once_all_open_it(tmp_path: Path) -> None:
    # two `storyline ingest` (or serve workers) started together on a new --db: each read the applied migrations,
    # then one failed "table runs already exists" applying what the other had just applied
    code = ("import sys\nfrom storyline.store import Store\nprint('ready', flush=True)\nsys.stdin.readline()\n"
            "Store(sys.argv[1]).close()\n")
    for i in range(5):
        db = str(tmp_path / f"new{i}.db")
        procs = [subprocess.Popen([sys.executable, "-c", code, db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
        for p in procs:  # imports done in all three, then all open the database at once
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        errors = [p.communicate(timeout=60)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], errors
        with Store(db) as store:
            assert store.count_articles() == 0
