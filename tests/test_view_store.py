"""Story views are stored (storyline/store/views.py, migration 0301): built once per story version, shared by every
process, rebuilt when the story changes; a reader gets the previous version at once while the current one builds,
and never waits for a build another request or process is already doing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from storyline.web import create_app  # noqa: E402
from storyline.api import stored_pages  # noqa: E402
from storyline.api.context import view_salt  # noqa: E402
from storyline.stories.view import build_view  # noqa: E402
from storyline.store import Store  # noqa: E402
from storyline.store import views  # noqa: E402

from .conftest import DEMO_CORPUS, copy_db  # noqa: E402
from .test_api import LEXICAL, TOKEN, build_demo_db  # noqa: E402
from .test_api_prewarm import demo_article  # noqa: E402

RULES = LEXICAL.with_overrides({"stories.entities": "rules", "web.prewarm_stories": 0})


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    if not (DEMO_CORPUS / "articles.jsonl").exists():
        pytest.skip("the demo corpus (storyline/demo/corpus) is not present")
    return build_demo_db(tmp_path_factory.mktemp("views") / "demo.db")


@pytest.fixture
def db(demo_db, tmp_path) -> Path:
    return copy_db(demo_db, tmp_path / "copy.db")


class Counting:
    """The real builder, recording each call; ``gate`` (open unless cleared) holds calls until the test opens it."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def __call__(self, store, story_id, *, settings=None):
        self.calls.append(story_id)
        self.entered.set()
        if not self.gate.wait(60):
            raise TimeoutError("the test never opened the gate")
        return build_view(store, story_id, settings=settings)


def app_with(db: Path, builder: Counting, token: str | None = None):
    app = create_app(db, RULES, token=token)
    app.state.ctx.view_builder = builder
    return app


def latest(c, n: int = 1) -> list[str]:
    return [r["id"] for r in c.get("/api/stories", params={"limit": n}).json()["stories"]]


def stored(db: Path, sid: str):
    with Store(db) as s:
        return views.load_view(s, sid)


def fingerprint(db: Path, sid: str, builder) -> str:
    with Store(db) as s:
        return views.story_fingerprint(s, sid, view_salt(builder, RULES))


def test_a_view_is_built_once_and_served_from_the_store_by_another_server(db):
    first = Counting()
    with TestClient(app_with(db, first)) as c:
        sid = latest(c)[0]
        body = c.get(f"/api/stories/{sid}").json()
        assert body["view"] is not None and body["view_stale"] is False and first.calls == [sid]
    fp, view, _ = stored(db, sid)
    assert fp == body["view_version"] == fingerprint(db, sid, first) and view == body["view"]
    second = Counting()  # another process (or a restart): same builder and settings, its own memory
    with TestClient(app_with(db, second)) as c:
        again = c.get(f"/api/stories/{sid}").json()
        page = c.get(f"/stories/{sid}")
    assert second.calls == [] and again["view"] == body["view"] and page.status_code == 200
    other = RULES.with_overrides({"stories.summary_max": 4})  # other view settings: their own version
    assert view_salt(first, other) != view_salt(first, RULES)


def _story_of(db: Path, external_id: str) -> str:
    with Store(db) as s:
        return s.query("SELECT m.story_id FROM articles a JOIN memberships m ON m.article_id = a.id "
                       "WHERE a.external_id = ?", (external_id,))[0][0]


def _silo_fire_update() -> dict:
    base = demo_article("demo-031")
    return dict(base, id="tg-silo", source="Test Gazette", date="2026-03-08T16:00:00+01:00",
                title="Tollan silo fire: farmers count losses as grain insurance claims mount",
                text=base["text"].replace("farmers", "grain farmers"))


def test_an_api_ingest_commits_a_changed_story_with_its_new_view_and_pages(db):
    """The API's writer builds the view of a story it changes, and renders its pages, inside the ingest's
    transaction: while it builds, readers get the story as it was (at once: they never wait for the writer); once
    the ingest has answered, every reader gets the new story with its new view, never the previous view."""
    builder = Counting()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    app = app_with(db, builder, token=TOKEN)
    with TestClient(app) as c:
        sid = _story_of(db, "demo-031")
        old = c.get(f"/api/stories/{sid}").json()
        old_page = c.get(f"/stories/{sid}").text
        assert builder.calls == [sid] and not old["view_stale"]
        builder.gate.clear()  # the writer's build will hang until the gate opens
        builder.entered.clear()
        posted: dict = {}
        writer = threading.Thread(target=lambda: posted.update(
            c.post("/api/ingest?wait=true", json=_silo_fire_update(), headers=auth).json()))
        writer.start()
        assert builder.entered.wait(30)  # the writer is building the story's new view, in its transaction
        t0 = time.monotonic()
        during = c.get(f"/api/stories/{sid}").json()
        during_page = c.get(f"/stories/{sid}").text
        took = time.monotonic() - t0
        assert took < 5, f"a reader waited {took:.1f} s for the writer"
        assert during == old and during_page == old_page  # the story before the ingest, whole
        assert not posted and builder.calls == [sid, sid]
        builder.gate.set()
        writer.join(60)
        assert posted["accepted"] == 1
        new_id = posted["articles"][0]
        now = c.get(f"/api/stories/{sid}").json()
        page = c.get(f"/stories/{sid}").text
        assert new_id in {a["id"] for a in now["articles"]}
        assert now["view_stale"] is False and now["view_version"] == fingerprint(db, sid, builder)
        assert now["view_version"] != old["view_version"] and now["view"] == stored(db, sid)[1]
        assert new_id in page and page != old_page
        assert builder.calls == [sid, sid]  # built once, by the writer: no reader built or waited for it
        with Store(db) as s:  # both pages were stored by the ingest, for the story's current version
            keys = {r[0]: r[1] for r in s.query("SELECT kind, page_key FROM story_pages WHERE story_id=?", (sid,))}
            assert keys.keys() == {"html", "json"}
            state = stored_pages.story_state(app.state.ctx, s, sid)
            assert all(keys[k] == stored_pages.page_key(app.state.ctx, sid, k, *state) for k in ("html", "json"))
        stats = c.get("/api/health").json()["view_cache"]["stored"]
        assert stats["stale"] == 0 and stats["errors"] == 0


def test_a_view_that_fails_to_build_in_the_ingest_does_not_stop_it(db):
    """The ingest commits; readers get the previous view, marked stale, and the background builder tries again."""
    builder = Counting()
    app = app_with(db, builder, token=TOKEN)
    with TestClient(app) as c:
        sid = _story_of(db, "demo-031")
        old = c.get(f"/api/stories/{sid}").json()

        def broken(store, story_id, *, settings=None):
            builder.calls.append(story_id)
            if len(builder.calls) == 2:
                raise RuntimeError("view builder broke")
            return build_view(store, story_id, settings=settings)

        app.state.ctx.view_builder = broken
        posted = c.post("/api/ingest?wait=true", json=_silo_fire_update(), headers={"Authorization": f"Bearer {TOKEN}"})
        assert posted.status_code == 200 and posted.json()["accepted"] == 1
        now = c.get(f"/api/stories/{sid}").json()
        assert posted.json()["articles"][0] in {a["id"] for a in now["articles"]}
        assert now["view_stale"] is True and now["view_version"] == old["view_version"]
        assert "view builder broke" in c.get("/api/health").json()["view_cache"]["stored"]["last_error"]
        deadline = time.monotonic() + 60
        while c.get(f"/api/stories/{sid}").json()["view_stale"]:
            assert time.monotonic() < deadline, "the background builder never built the current version"
            time.sleep(0.05)


def test_a_stored_page_is_served_only_for_the_story_version_it_was_rendered_for(db):
    """Another server on the same database serves the stored page without rendering it; a change made outside the
    API (here a new headline) makes the stored page unservable at once, before any view is rebuilt."""
    builder = Counting()
    with TestClient(app_with(db, builder)) as c:
        sid = latest(c)[0]
        page = c.get(f"/stories/{sid}").text
        api = c.get(f"/api/stories/{sid}").content
    with Store(db) as s:
        s.execute("UPDATE story_pages SET body = CAST(replace(CAST(body AS TEXT), '<h1', '<h1 data-stored=\"1\"') "
                  "AS BLOB) WHERE story_id=? AND kind='html'", (sid,))
    other = app_with(db, Counting())
    with TestClient(other) as c:
        again = c.get(f"/stories/{sid}").text
        assert 'data-stored="1"' in again and again.replace(' data-stored="1"', "") == page  # the stored bytes
        assert c.get(f"/api/stories/{sid}").content == api
        with Store(db) as s:
            s.set_headline(sid, "A headline set outside the API")
        changed = c.get(f"/stories/{sid}").text
        assert "A headline set outside the API" in changed and 'data-stored="1"' not in changed
        assert c.get(f"/api/stories/{sid}").json()["headline"] == "A headline set outside the API"


def test_threads_asking_for_a_never_built_story_share_one_build(db):
    builder = Counting()
    app = app_with(db, builder)
    ctx = app.state.ctx
    with TestClient(app) as c:
        sid = latest(c)[0]
    builder.gate.clear()
    answers: list = []

    def ask() -> None:
        with Store(db, check_same_thread=False) as s:
            answers.append(ctx.stored_views.view(s, sid))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    assert builder.entered.wait(30)
    time.sleep(0.3)
    builder.gate.set()
    for t in threads:
        t.join(60)
    assert builder.calls == [sid]
    assert len(answers) == 4 and all(a[0] is not None and a[0] == answers[0][0] and not a[3] for a in answers)


def test_another_process_building_a_story_is_waited_for_not_repeated(db):
    """Two apps on one database stand for two worker processes (each its own owner in the store's build claims)."""
    one, two = Counting(), Counting()
    app_one, app_two = app_with(db, one), app_with(db, two)
    with TestClient(app_one) as c1, TestClient(app_two) as c2:
        sid = latest(c1)[0]
        one.gate.clear()
        first: dict = {}
        t = threading.Thread(target=lambda: first.update(c1.get(f"/api/stories/{sid}").json()))
        t.start()
        assert one.entered.wait(30)
        second: dict = {}
        u = threading.Thread(target=lambda: second.update(c2.get(f"/api/stories/{sid}").json()))
        u.start()
        time.sleep(0.5)
        assert two.calls == [] and not second  # it waits for the row the other one is building
        one.gate.set()
        t.join(60)
        u.join(60)
    assert one.calls == [sid] and two.calls == []
    assert second["view"] == first["view"] and second["view_version"] == first["view_version"]


def test_a_claim_left_by_a_dead_process_expires(db):
    with Store(db) as s:
        sid = s.query("SELECT id FROM stories LIMIT 1")[0][0]
        assert views.claim(s, sid, "fp", "dead-process")
        assert not views.claim(s, sid, "fp", "me") and views.claimed_elsewhere(s, sid, "fp", "me")
        s.execute("UPDATE view_builds SET started = started - ?", (views.CLAIM_STALE_S + 1,))
        assert not views.claimed_elsewhere(s, sid, "fp", "me") and views.claim(s, sid, "fp", "me")
        views.release(s, sid, "me")
        assert s.query("SELECT count(*) FROM view_builds")[0][0] == 0


def test_a_cached_story_listing_changes_with_the_store(db):
    """Pages of /api/stories are cached per store version: an ingest (a touched story) shows at once."""
    app = app_with(db, Counting(), token=TOKEN)
    with TestClient(app) as c:
        first = c.get("/api/stories", params={"limit": 3}).json()
        assert c.get("/api/stories", params={"limit": 3}).json() == first
        assert len(app.state.ctx.listings) == 1  # the second request was the cached page
        sid = first["stories"][0]["id"]
        with Store(db) as s:
            aid = s.query("SELECT article_id FROM memberships WHERE story_id=? LIMIT 1", (sid,))[0][0]
            base = s.get_article(aid)
        # newer than the demo corpus (March 2026), and not ahead of the time of ingest (ingest.max_future_hours)
        rec = {"id": "fresh-1", "source": "Another Outlet", "title": base.title, "text": base.text + " More later.",
               "date": "2026-06-01T00:00:00Z"}
        assert c.post("/api/ingest?wait=true", json=rec, headers={"Authorization": f"Bearer {TOKEN}"}).json()["accepted"] == 1
        after = c.get("/api/stories", params={"limit": 3}).json()
        assert after != first and after["stories"][0]["last_seen"].startswith("2026-06-01")


def test_an_app_started_again_still_rebuilds_changed_stories_in_the_background(db):
    """The background builder stops with the app and starts again with the next request that needs it."""
    builder = Counting()
    app = app_with(db, builder)
    ctx = app.state.ctx
    with TestClient(app) as c:
        sid = latest(c)[0]
        c.get(f"/api/stories/{sid}")
    with Store(db) as s:  # the story changes while no server runs: a new headline
        s.set_headline(sid, "A new headline for the test")
    with TestClient(app) as c:
        body = c.get(f"/api/stories/{sid}").json()
        assert body["view_stale"] is True
        deadline = time.monotonic() + 60
        while stored(db, sid)[0] != fingerprint(db, sid, builder):
            assert time.monotonic() < deadline, "the second lifespan never rebuilt the story"
            time.sleep(0.05)
        assert c.get(f"/api/stories/{sid}").json()["view_stale"] is False
    assert builder.calls == [sid, sid]
    assert ctx.stored_views.status()["queued"] == 0


@pytest.mark.parametrize("order", ["latest", "most-covered", "oldest"])
def test_listing_pages_cut_from_the_whole_order_are_the_pages_the_query_gives(db, order):
    """A page after the first is cut from the listing's whole order (computed once per store version): every page,
    to the last, is the one the listing query gives for that cursor, also after an ingest changed the order."""
    from storyline.api import data, queries

    app = app_with(db, Counting(), token=TOKEN)
    ctx = app.state.ctx
    filters = queries.StoryFilters(order=order)

    def walk(store) -> list:
        pages, cursor = [], queries.list_stories(store, filters, 3)[1]
        while cursor is not None:
            expected = queries.list_stories(store, filters, 3, cursor)
            got = data.list_stories(ctx, store, filters, 3, cursor)
            assert got == expected, f"page {len(pages) + 2} differs"
            pages.append(got[0])
            cursor = got[1]
        return pages

    with TestClient(app) as c, Store(db) as s:
        before = walk(s)
        assert len(before) >= 3
        aid = s.query("SELECT article_id FROM memberships LIMIT 1")[0][0]
        base = s.get_article(aid)
        rec = {"id": "fresh-2", "source": "Another Outlet", "title": base.title, "text": base.text + " Later.",
               "date": "2026-06-01T00:00:00Z"}
        assert c.post("/api/ingest?wait=true", json=rec, headers={"Authorization": f"Bearer {TOKEN}"}).json()["accepted"] == 1
        after = walk(s)
        assert after != before
