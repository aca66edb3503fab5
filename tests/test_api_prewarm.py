"""Background pre-warming of story views (storyline/api/prewarm.py): at start and after POST /api/ingest a worker
thread puts the latest stories' data into the view cache under the request path's key, so requests hit the cache."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from storyline.web import create_app  # noqa: E402
from storyline.api.prewarm import STOP_TIMEOUT_S  # noqa: E402
from storyline.stories.view import build_view  # noqa: E402
from storyline.store import Store  # noqa: E402

from .conftest import DEMO_CORPUS, copy_db  # noqa: E402
from .test_api import LEXICAL, TOKEN, build_demo_db  # noqa: E402

RULES = LEXICAL.with_overrides({"stories.entities": "rules"})  # no spaCy: fast


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    if not (DEMO_CORPUS / "articles.jsonl").exists():
        pytest.skip("the demo corpus (storyline/demo/corpus) is not present")
    return build_demo_db(tmp_path_factory.mktemp("prewarm") / "demo.db")


@pytest.fixture
def db_copy(demo_db, tmp_path) -> Path:
    return copy_db(demo_db, tmp_path / "copy.db")


def health(c) -> dict:
    return c.get("/api/health").json()["view_cache"]


def wait_idle(c, timeout: float = 120.0) -> dict:
    """Poll /api/health until the pre-warmer has nothing planned, queued or running."""
    deadline = time.monotonic() + timeout
    while True:
        vc = health(c)
        if vc["prewarm"]["idle"]:
            return vc
        if time.monotonic() > deadline:
            raise AssertionError(f"pre-warming did not finish within {timeout} s: {vc}")
        time.sleep(0.05)


def wait_for(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def latest_ids(c, n: int) -> list[str]:
    return [r["id"] for r in c.get("/api/stories", params={"limit": n}).json()["stories"]]


class Gate:
    """Wraps the real build_view: records each call and holds it until the test opens the gate."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.calls: list[str] = []
        self.entered = threading.Event()

    def __call__(self, store, story_id, *, settings=None):
        self.calls.append(story_id)
        self.entered.set()
        if not self.open.wait(60):
            raise TimeoutError("the test never opened the gate")
        return build_view(store, story_id, settings=settings)


# -- startup ------------------------------------------------------------------------------------------------------

def test_startup_warms_the_latest_stories_and_requests_then_hit_the_cache(demo_db):
    settings = RULES.with_overrides({"web.prewarm_stories": 5})
    with TestClient(create_app(demo_db, settings)) as c:
        vc = wait_idle(c)
        pw = vc["prewarm"]
        assert pw["enabled"] and pw["limit"] == 5
        assert (pw["done"], pw["errors"], pw["last_error"], pw["queued"]) == (5, 0, None, 0)
        assert vc["size"] == 5 and (vc["hits"], vc["misses"]) == (0, 0)
        ids = latest_ids(c, 6)
        for i, sid in enumerate(ids[:5], 1):
            body = c.get(f"/api/stories/{sid}").json()
            assert body["id"] == sid and body["view"] is not None and body["view_error"] is None
            vc = health(c)
            assert (vc["hits"], vc["misses"]) == (i, 0), f"story {sid} (rank {i}) was not pre-warmed"
        c.get(f"/api/stories/{ids[5]}")  # the sixth latest story was not warmed: the request computes it
        vc = health(c)
        assert (vc["hits"], vc["misses"]) == (5, 1)
        # the warmed entry is the request path's value itself: page and JSON twin agree
        assert c.get(f"/stories/{ids[0]}?format=json").json() == c.get(f"/api/stories/{ids[0]}").json()


def test_prewarm_stories_zero_warms_nothing(demo_db):
    settings = RULES.with_overrides({"web.prewarm_stories": 0})
    app = create_app(demo_db, settings)
    with TestClient(app) as c:
        pw = health(c)["prewarm"]
        assert pw["enabled"] is False and pw["idle"] is True and pw["limit"] == 0
        assert app.state.ctx.prewarm.thread is None  # no worker thread at all
        time.sleep(0.5)
        assert health(c)["size"] == 0
        c.get(f"/api/stories/{latest_ids(c, 1)[0]}")
        vc = health(c)
        assert (vc["size"], vc["hits"], vc["misses"], vc["prewarm"]["done"]) == (1, 0, 1, 0)


def test_prewarm_is_capped_at_the_cache_size(demo_db):
    settings = RULES.with_overrides({"web.prewarm_stories": 30, "web.view_cache_size": 3})
    with TestClient(create_app(demo_db, settings)) as c:
        vc = wait_idle(c)
        assert vc["prewarm"]["limit"] == 3 and vc["prewarm"]["done"] == 3 and vc["size"] == 3
        for sid in latest_ids(c, 3):
            c.get(f"/api/stories/{sid}")
        assert (health(c)["hits"], health(c)["misses"]) == (3, 0)  # warming did not evict its own entries


def test_spacy_entities_of_warmed_stories_land_in_the_store(db_copy):
    from storyline.stories.entities import spacy_available

    if not spacy_available(LEXICAL.stories.spacy_model):
        pytest.skip(f"spaCy model {LEXICAL.stories.spacy_model} is not installed")
    settings = LEXICAL.with_overrides({"web.prewarm_stories": 2, "stories.entities": "spacy"})
    with TestClient(create_app(db_copy, settings)) as c:
        assert wait_idle(c)["prewarm"]["done"] == 2
        ids = latest_ids(c, 2)
        n_articles = sum(c.get(f"/api/stories/{sid}").json()["n_articles"] for sid in ids)
    with Store(db_copy) as s:
        marks = ",".join("?" * len(ids))
        cached = s.query(f"SELECT count(*) FROM article_entities e JOIN memberships m ON m.article_id = e.article_id "
                         f"WHERE m.story_id IN ({marks}) AND e.method LIKE 'spacy:%'", ids)[0][0]
    assert cached == n_articles > 0


# -- ingest -------------------------------------------------------------------------------------------------------

def demo_article(article_id: str) -> dict:
    with open(DEMO_CORPUS / "articles.jsonl", encoding="utf-8") as f:
        return next(r for r in map(json.loads, f) if r["id"] == article_id)


def test_ingest_rewarms_the_story_it_touched(db_copy):
    settings = RULES.with_overrides({"web.prewarm_stories": 1, "web.prewarm_unviewed": True})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(db_copy, settings, token=TOKEN)) as c:
        assert wait_idle(c)["prewarm"]["done"] == 1
        latest = latest_ids(c, 1)[0]
        # a further report on the (older) Tollan silo fire, dated with its story: it does not become the latest
        base = demo_article("demo-031")
        extra = dict(base, id="tg-silo", source="Test Gazette", date="2026-03-08T16:00:00+01:00",
                     title="Tollan silo fire: farmers count losses as grain insurance claims mount",
                     text=base["text"].replace("farmers", "grain farmers"))
        body = c.post("/api/ingest?wait=true", json=extra, headers=auth).json()
        assert body["accepted"] == 1, body
        vc = wait_idle(c)
        # the article list (not /api/articles/{id}, which would build the story's view itself)
        story = next(a["story_id"] for a in c.get("/api/articles", params={"limit": 500}).json()["articles"]
                     if a["id"] == body["articles"][0])
        assert story != latest_ids(c, 1)[0] == latest  # warmed because the ingest touched it, not for being latest
        assert vc["prewarm"]["done"] == 2 and vc["prewarm"]["errors"] == 0
        assert (vc["hits"], vc["misses"]) == (0, 0)
        again = c.get(f"/api/stories/{story}").json()
        assert body["articles"][0] in {a["id"] for a in again["articles"]}  # the new version, with the new article
        vc = health(c)
        # nothing computed in the request: a cache hit, or (the story had a stored view before, from an earlier test
        # on the module's database) the page the ingest itself rendered and stored (storyline/api/refresh.py)
        assert vc["misses"] == 0 and vc["hits"] <= 1


def test_by_default_an_ingest_rewarms_only_touched_stories_that_were_viewed(db_copy):
    """A touched story with no stored view (never opened) is left for its first request; once viewed, an ingest
    that touches it rebuilds it."""
    settings = RULES.with_overrides({"web.prewarm_stories": 1})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    base = demo_article("demo-031")
    with Store(db_copy) as s:
        s.execute("DELETE FROM stored_views")
    with TestClient(create_app(db_copy, settings, token=TOKEN)) as c:
        assert wait_idle(c)["prewarm"]["done"] == 1
        extra = dict(base, id="tg-silo", source="Test Gazette", date="2026-03-08T16:00:00+01:00",
                     title="Tollan silo fire: farmers count losses as grain insurance claims mount",
                     text=base["text"].replace("farmers", "grain farmers"))
        body = c.post("/api/ingest?wait=true", json=extra, headers=auth).json()
        assert body["accepted"] == 1
        assert wait_idle(c)["prewarm"]["done"] == 1  # the silo story was never opened: not built
        with Store(db_copy) as s:
            story = s.membership(body["articles"][0])["story_id"]
            assert story not in {r[0] for r in s.query("SELECT story_id FROM stored_views")}
        c.get(f"/api/stories/{story}")  # now someone has opened it
        again = dict(extra, id="tg-silo-2", text=extra["text"] + " Insurers said claims would be paid.")
        assert c.post("/api/ingest?wait=true", json=again, headers=auth).json()["accepted"] == 1
        assert wait_idle(c)["prewarm"]["done"] == 2  # viewed before: rebuilt after the ingest
        fresh = c.get(f"/api/stories/{story}").json()
        # the current version, computed by no request: the ingest built the view and stored the story's pages in its
        # transaction (storyline/api/refresh.py); the first request's miss is the only one
        assert fresh["view_stale"] is False and health(c)["misses"] == 1
        with Store(db_copy) as s:
            new_ids = {r[0] for r in s.query("SELECT id FROM articles WHERE external_id IN ('tg-silo', 'tg-silo-2')")}
        assert len(new_ids) == 2 and new_ids <= {a["id"] for a in fresh["view"]["articles"]}


def test_triggers_merge_into_the_pending_set_and_each_story_is_built_once(db_copy):  # a database where the gated builder has stored no view yet
    settings = RULES.with_overrides({"web.prewarm_stories": 3, "web.prewarm_unviewed": True})
    app = create_app(db_copy, settings)
    gate = Gate()
    app.state.ctx.view_builder = gate
    warmer = app.state.ctx.prewarm
    try:
        with TestClient(app) as c:
            assert gate.entered.wait(60)
            first = health(c)["prewarm"]["warming"]
            articles = c.get("/api/articles", params={"limit": 500}).json()["articles"]
            for a in articles:  # one trigger per article while a story is being built: merged, never 49 rounds
                warmer.trigger([a["id"]])
            pw = health(c)["prewarm"]
            assert pw["queued"] == 2 and pw["warming"] == first  # the rest of the first round; triggers wait
            gate.open.set()
            pw = wait_idle(c)["prewarm"]
            # one merged round of at most 3 stories: the triggers' stories (in trigger order) replace the rest of
            # the first round
            expected = list(dict.fromkeys(a["story_id"] for a in articles))[:3]
            assert gate.calls == [first] + [s for s in expected if s != first]
            assert pw["done"] == len(gate.calls) and pw["errors"] == 0
            before = list(gate.calls)
            warmer.trigger()  # the latest three again: those already cached with their current key are skipped
            pw = wait_idle(c)["prewarm"]
            latest = latest_ids(c, 3)
            assert gate.calls == before + [s for s in latest if s not in before]
            assert pw["skipped"] == len([s for s in latest if s in before]) >= 1
            assert health(c)["size"] == len(set(gate.calls))
    finally:
        gate.open.set()


# -- requests and the warmer --------------------------------------------------------------------------------------

def test_a_request_for_the_story_being_warmed_waits_for_that_computation(db_copy):  # a database where the gated builder has stored no view yet
    app = create_app(db_copy, RULES.with_overrides({"web.prewarm_stories": 2}))
    ctx = app.state.ctx
    gate = Gate()
    ctx.view_builder = gate
    try:
        with TestClient(app) as c:
            assert gate.entered.wait(60)
            sid = health(c)["prewarm"]["warming"]
            assert sid == gate.calls[0]
            answer: dict = {}
            t = threading.Thread(target=lambda: answer.update(c.get(f"/api/stories/{sid}").json()))
            t.start()
            wait_for(lambda: ctx.in_flight >= 1, "the request to reach the app")
            time.sleep(0.2)
            assert gate.calls == [sid]  # the request did not start a second computation
            gate.open.set()
            t.join(60)
            assert answer["id"] == sid and answer["view"] is not None
            assert gate.calls.count(sid) == 1
            vc = health(c)
            assert (vc["hits"], vc["misses"]) == (1, 0)
    finally:
        gate.open.set()


def test_shutdown_returns_promptly_while_a_story_is_being_warmed(db_copy):  # a database where the gated builder has stored no view yet
    app = create_app(db_copy, RULES.with_overrides({"web.prewarm_stories": 5}))
    gate = Gate()
    app.state.ctx.view_builder = gate
    warmer = app.state.ctx.prewarm
    try:
        with TestClient(app) as c:
            assert gate.entered.wait(60)
            assert health(c)["prewarm"]["warming"] is not None
            t0 = time.monotonic()
        took = time.monotonic() - t0
        assert took < STOP_TIMEOUT_S + 4.0, f"shutdown took {took:.1f} s while a story was being warmed"
        assert warmer.thread.is_alive()  # the view being built is finished by the daemon thread, not interrupted
    finally:
        gate.open.set()
    warmer.thread.join(60)
    assert not warmer.thread.is_alive()  # it ended after its story instead of warming the other four
    assert len(gate.calls) == 1


# -- errors -------------------------------------------------------------------------------------------------------

def test_a_failing_view_is_recorded_and_the_warmer_goes_on(demo_db):
    settings = LEXICAL.with_overrides({"web.prewarm_stories": 3, "stories.entities": "spacy",
                                       "stories.spacy_model": "no_such_spacy_model"})
    with TestClient(create_app(demo_db, settings)) as c:
        pw = wait_idle(c)["prewarm"]
        assert pw["errors"] == 3 and pw["done"] == 0
        assert "no_such_spacy_model" in pw["last_error"] and pw["last_error"].startswith("story ")
        assert c.get("/api/health").status_code == 200


def test_a_broken_store_is_recorded_not_fatal(db_copy):
    app = create_app(db_copy, RULES)
    with Store(db_copy) as s:  # break the database before the server starts warming
        s.conn.execute("DROP TABLE memberships")
    with TestClient(app) as c:
        pw = wait_idle(c)["prewarm"]
        assert pw["errors"] == 1 and "memberships" in pw["last_error"] and pw["done"] == 0
        assert c.get("/api/health").json()["status"] == "ok"


def test_an_app_started_again_warms_again_and_skips_what_is_cached(demo_db):
    app = create_app(demo_db, RULES.with_overrides({"web.prewarm_stories": 4}))
    with TestClient(app) as c:
        assert wait_idle(c)["prewarm"]["done"] == 4
    with TestClient(app) as c:  # a second lifespan of the same app: a new worker thread, the cache is still there
        pw = wait_idle(c)["prewarm"]
        assert (pw["done"], pw["skipped"], pw["errors"]) == (4, 4, 0)
    assert not app.state.ctx.prewarm.thread.is_alive()
