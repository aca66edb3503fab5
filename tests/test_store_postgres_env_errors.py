"""A PostgreSQL server that stops a command for reasons of its own (a read-only database, a role without the right
to write, the connection ended mid-run) is the one-line exit-3 environment error that SQLite's disk full or
read-only file are (docs/runs.md), provoked for real on the test server (tests/pg_server.py)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from storyline.errors import ENVIRONMENT_EXIT
from storyline.store import open_store

from .conftest import DEMO_CORPUS, storyline_cli

psycopg = pytest.importorskip("psycopg", reason="the postgres extra is not installed")


def _run(db: str, cwd: Path, *args: str, wait: bool = True):
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical"}
    env.pop("STORYLINE_DB", None)
    cmd = storyline_cli() + ["--db", db, *args]
    if not wait:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _one_line_exit_3(p, starts: str) -> str:
    err = p.stderr.strip()
    assert p.returncode == ENVIRONMENT_EXIT, (p.returncode, p.stderr)
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {starts}"), err
    assert "Traceback" not in err and "then run the command again" in err, err
    return err


def _more(tmp_path: Path, n: int = 3) -> Path:
    """``n`` articles of words drawn at random (no two alike, so the copies stage has nothing to compare at length)."""
    rng = random.Random(n)
    words = [f"w{k}" for k in range(5000)]
    path = tmp_path / "more.jsonl"
    path.write_text("".join(json.dumps({"id": f"m{i}", "source": f"Outlet {i % 5}", "date": "2031-05-01T10:00:00Z",
                                        "title": " ".join(rng.sample(words, 6)),
                                        "text": " ".join(rng.sample(words, 40)) + "."})
                            + "\n" for i in range(n)), encoding="utf-8")
    return path


def _with_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}@{parts.hostname}:{parts.port}"))


def test_a_read_only_database_is_the_exit_3_error(pg_url: str, tmp_path: Path) -> None:
    assert _run(pg_url, tmp_path, "ingest", str(DEMO_CORPUS)).returncode == 0
    dbname = urlsplit(pg_url).path.lstrip("/")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{dbname}" SET default_transaction_read_only = on')
    p = _run(pg_url, tmp_path, "ingest", str(_more(tmp_path)))
    err = _one_line_exit_3(p, "read-only: the PostgreSQL database ")
    assert urlsplit(pg_url).netloc in err and "read-only transaction" in err
    assert _run(pg_url, tmp_path, "stories").returncode == 0  # reading still works
    with psycopg.connect(pg_url, autocommit=True, options="-c default_transaction_read_only=off") as conn:
        conn.execute(f'ALTER DATABASE "{dbname}" SET default_transaction_read_only = off')
    assert _run(pg_url, tmp_path, "ingest", str(_more(tmp_path))).returncode == 0  # and the re-run goes through
    with open_store(pg_url) as s:
        assert s.count_articles() == 49 + 3


def test_a_role_without_write_rights_is_the_exit_3_error(pg_url: str, pg_server, tmp_path: Path) -> None:
    assert _run(pg_url, tmp_path, "ingest", str(DEMO_CORPUS)).returncode == 0
    role = f"reader_{os.getpid()}"
    dbname = urlsplit(pg_url).path.lstrip("/")
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'GRANT CONNECT ON DATABASE "{dbname}" TO "{role}"')
            conn.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
            conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
        as_reader = _with_user(pg_url, role)
        assert _run(as_reader, tmp_path, "stories").returncode == 0
        p = _run(as_reader, tmp_path, "ingest", str(_more(tmp_path)))
        err = _one_line_exit_3(p, "permission denied: the role of ")
        assert role in err and "permission denied for" in err
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
        with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
    with open_store(pg_url) as s:
        assert s.count_articles() == 49


def test_the_connection_ended_mid_run_is_the_exit_3_error_and_a_rerun_finishes(pg_url: str, tmp_path: Path) -> None:
    """The server ends every session of the database (what a restart or an administrator does) while an ingest
    runs: the ingest stops with the one-line error, and running it again stores everything once."""
    src = _more(tmp_path, 1500)
    proc = _run(pg_url, tmp_path, "ingest", str(src), wait=False)
    try:
        deadline = time.monotonic() + 120
        while True:  # until the run has committed a batch
            with psycopg.connect(pg_url, autocommit=True) as conn:
                try:
                    ok = conn.execute("SELECT EXISTS (SELECT 1 FROM runs WHERE state = 'running' AND seen > 0)"
                                      ).fetchone()[0]
                except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):  # still migrating
                    ok = False
                if ok:
                    conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                                 "current_database() AND pid <> pg_backend_pid()")
                    break
            assert proc.poll() is None and time.monotonic() < deadline, "the ingest ended before it could be cut"
            time.sleep(0.02)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    _one_line_exit_3(subprocess.CompletedProcess(proc.args, proc.returncode, out, err),
                     "lost the connection to PostgreSQL at ")
    again = _run(pg_url, tmp_path, "ingest", str(src))
    assert again.returncode == 0, again.stderr
    with open_store(pg_url) as s:
        assert s.count_articles() == 1500
        runs = s.runs()
        # the cut run is recorded failed with the server's reason (or reads interrupted, where recording that
        # failed too), with the counts it committed; the re-run stored the rest
        assert runs[0]["state"] in ("failed", "interrupted") and 0 < runs[0]["accepted"] < 1500, runs[0]
        assert runs[-1]["state"] == "finished" and runs[0]["accepted"] + runs[-1]["accepted"] == 1500, runs
