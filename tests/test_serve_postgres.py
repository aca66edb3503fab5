"""`storyline serve` on a PostgreSQL store, end to end against the real test server (tests/pg_server.py): story and
article pages and both searches of the demo corpus, an API ingest with ?wait=true that the server's own ingest worker
runs, whose new article is then on its story page, and a second `serve --no-worker` process on the same database
that reads what the first one wrote and queues ingests for its worker."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import DEMO_CORPUS, REPO, free_port, storyline_cli, wait_until_serving

pytest.importorskip("psycopg", reason="the postgres extra is not installed")
httpx = pytest.importorskip("httpx")

TOKEN = "pg-serve-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# A follow-up of the demo corpus's Ebberly bridge story (storyline/demo/corpus), from an outlet the story lacks.
FOLLOW_UP = {"id": "pg-follow-up-1", "source": "Harbor Ledger", "date": "2026-03-12T08:00:00Z",
             "title": "Ebberly bridge closure extended as engineers find more cracks",
             "text": "The Ebberly bridge will stay shut for months longer, engineers said on Thursday, after inspectors "
                     "found more cracks in the main span. A temporary ferry will run across the river while repairs "
                     "continue, the council said."}


def _env() -> dict:
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", "STORYLINE_TOKEN": TOKEN, "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1"}
    env.pop("STORYLINE_DB", None)
    return env


def _serve(db: str, *flags: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(storyline_cli() + ["--db", db, "serve", "--host", "127.0.0.1", "--port", str(port),
                                               *flags],
                            cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
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


def _story_of_bridge(base: str) -> str:
    hits = httpx.get(f"{base}/api/search", params={"q": "Ebberly bridge"}, timeout=60).json()["stories"]
    assert hits, "the demo corpus's Ebberly bridge story is not found by full-text search"
    return hits[0]["id"]


def test_serve_on_postgres_answers_pages_and_an_ingest_lands_on_its_story_page(pg_url: str, tmp_path: Path) -> None:
    built = subprocess.run(storyline_cli() + ["--db", pg_url, "ingest", str(DEMO_CORPUS)], cwd=tmp_path, env=_env(),
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    proc, base = _serve(pg_url)
    reader = None
    try:
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
        reader, base2 = _serve(pg_url, "--no-worker")
        assert FOLLOW_UP["title"] in httpx.get(f"{base2}/stories/{story}", timeout=120).text
        again = dict(FOLLOW_UP, id="pg-follow-up-2", source="Continental Radio",
                     title="Ferry to replace shut Ebberly bridge for months, council says")
        r = httpx.post(f"{base2}/api/ingest?wait=true", json=[again], headers=AUTH, timeout=300)
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
        assert again["title"] in httpx.get(f"{base2}/stories/{story}", timeout=120).text
        assert again["title"] in httpx.get(f"{base}/stories/{story}", timeout=120).text
    finally:
        if reader is not None:
            err2 = _stop(reader)
            assert "Traceback" not in err2, err2
        err = _stop(proc)
    assert "Traceback" not in err, err
