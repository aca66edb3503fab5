"""`storyline serve` on a PostgreSQL store, end to end against the real test server (tests/pg_server.py): story and
article pages and both searches of the demo corpus, an API ingest with ?wait=true that the server's own ingest worker
runs, whose new article is then on its story page, and a second `serve --no-worker` process on the same database
that reads what the first one wrote and queues ingests for its worker."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from storyline.store import open_store, views

from .conftest import DEMO_CORPUS, free_port, storyline_cli, wait_until_serving

pytest.importorskip("psycopg", reason="the postgres extra is not installed")
httpx = pytest.importorskip("httpx")

TOKEN = "pg-serve-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# A follow-up of the demo corpus's Ebberly bridge story (storyline/demo/corpus), from an outlet the story lacks.
FOLLOW_UP = {"id": "pg-follow-up-1", "source": "Harbor Ledger", "date": "2026-03-12T08:00:00Z",
             "title": "Ebberly bridge closure extended as engineers find more cracks",
             "text": "The Ebberly bridge will stay shut for months longer, engineers said on Thursday, after "
                     "inspectors found more cracks in the main span. A temporary ferry will run across the river "
                     "while repairs continue, the council said."}


def _env() -> dict:
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", "STORYLINE_TOKEN": TOKEN, "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1"}
    env.pop("STORYLINE_DB", None)
    return env


def _serve(db: str, cwd: Path, *flags: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(storyline_cli() + ["--db", db, "serve", "--host", "127.0.0.1", "--port", str(port),
                                               *flags],
                            cwd=cwd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    if not wait_until_serving(base, proc, 120):
        proc.kill()
        raise AssertionError(f"serve did not start: {proc.communicate()[1]}")
    return proc, base


def _stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


def _wait_until_prewarmed(base: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        cache = httpx.get(f"{base}/api/health", timeout=30).json()["view_cache"]
        pw, stored = cache["prewarm"], cache["stored"]
        if pw["idle"] and stored["queued"] == 0 and not stored["building"]:
            return cache
        assert time.monotonic() < deadline, cache
        time.sleep(0.2)


def _story_of_bridge(base: str) -> str:
    hits = httpx.get(f"{base}/api/search", params={"q": "Ebberly bridge"}, timeout=60).json()["stories"]
    assert hits, "the demo corpus's Ebberly bridge story is not found by full-text search"
    return hits[0]["id"]


def test_serve_on_postgres_answers_pages_and_an_ingest_lands_on_its_story_page(pg_url: str, tmp_path: Path) -> None:
    built = subprocess.run(storyline_cli() + ["--db", pg_url, "ingest", str(DEMO_CORPUS)], cwd=tmp_path, env=_env(),
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    proc, base = _serve(pg_url, cwd)
    reader = None
    try:
        # the pre-warmer builds the latest stories' views in the background and stores them in PostgreSQL
        cache = _wait_until_prewarmed(base)
        assert cache["prewarm"]["errors"] == 0 and cache["stored"]["errors"] == 0, cache
        with open_store(pg_url) as s:
            ids = [st.id for st in s.list_stories()]
            assert ids and all(views.load_view(s, sid) is not None for sid in ids)
        story = _story_of_bridge(base)
        page = httpx.get(f"{base}/stories/{story}", timeout=120)
        assert page.status_code == 200 and 'id="headline"' in page.text
        assert FOLLOW_UP["title"] not in page.text
        article = httpx.get(f"{base}/api/stories/{story}", timeout=60).json()["articles"][0]["id"]
        assert httpx.get(f"{base}/articles/{article}", timeout=60).status_code == 200
        search = httpx.get(f"{base}/search", params={"q": "Ebberly bridge"}, timeout=60)
        assert search.status_code == 200 and f"/stories/{story}" in search.text

        r = httpx.post(f"{base}/api/ingest?wait=true", json=[FOLLOW_UP], headers=AUTH, timeout=300)
        assert r.status_code == 200, r.text
        done = r.json()
        assert (done["state"], done["seen"], done["accepted"], done["new_stories"]) == ("finished", 1, 1, 0), done
        new_id = done["articles"][0]
        assert httpx.get(f"{base}/api/articles/{new_id}", timeout=60).json()["story"]["id"] == story
        page = httpx.get(f"{base}/stories/{story}", timeout=120)
        assert page.status_code == 200 and FOLLOW_UP["title"] in page.text

        # A second process on the same database, without a worker: it reads what the first one wrote, and an
        # ingest posted to it waits until the first process's worker has run it.
        reader, base2 = _serve(pg_url, cwd, "--no-worker")
        assert FOLLOW_UP["title"] in httpx.get(f"{base2}/stories/{story}", timeout=120).text
        again = dict(FOLLOW_UP, id="pg-follow-up-2", source="Continental Radio",
                     title="Ferry to replace shut Ebberly bridge for months, council says")
        r = httpx.post(f"{base2}/api/ingest?wait=true", json=[again], headers=AUTH, timeout=300)
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
        assert again["title"] in httpx.get(f"{base2}/stories/{story}", timeout=120).text
        assert again["title"] in httpx.get(f"{base}/stories/{story}", timeout=120).text

        # An ingest by another process (the CLI) makes the stored view stale: a page request answers with it and
        # queues a rebuild in the background, which must store the new view in PostgreSQL for the next request.
        third = dict(FOLLOW_UP, id="pg-follow-up-3", source="Lakeside Radio",
                     title="Ebberly bridge repairs to start next week as ferry begins service")
        src = tmp_path / "third.jsonl"
        src.write_text(json.dumps(third) + "\n", encoding="utf-8")
        cli = subprocess.run(storyline_cli() + ["--db", pg_url, "ingest", str(src)], cwd=tmp_path, env=_env(),
                             capture_output=True, text=True, timeout=300)
        assert cli.returncode == 0, cli.stderr
        deadline = time.monotonic() + 60
        while third["title"] not in httpx.get(f"{base2}/stories/{story}", timeout=120).text:
            assert time.monotonic() < deadline, "the stale story view was never rebuilt"
            time.sleep(0.3)
    finally:
        if reader is not None:
            err2 = _stop(reader)
            assert "Traceback" not in err2, err2
        err = _stop(proc)
    assert "Traceback" not in err, err
    assert list(cwd.iterdir()) == []  # nothing written beside it: no SQLite file named after the URL
