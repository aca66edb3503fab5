"""Hostile or odd requests and data the API must answer without a 500 (found in a review pass)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import pytest

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from storyline.web import create_app  # noqa: E402
from storyline.api.queries import StoryFilters  # noqa: E402
from storyline.pipeline import ingest  # noqa: E402
from storyline.records import Origin, RawItem  # noqa: E402
from storyline.settings import Settings  # noqa: E402
from storyline.store import Store  # noqa: E402

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical", "stories.entities": "rules",
                                     "web.prewarm_stories": 0})
BODY = "Workers at the grain silo in Tollan were hurt when a fire broke out on Monday, the fire service said."


@pytest.fixture()
def client(tmp_path: Path):
    db = tmp_path / "t.db"
    with Store(db) as store:
        ingest(store, [RawItem(Origin("feed", 1), text=BODY, title="Silo fire", source="Go Feed",
                               date="0001-01-01T00:00:00Z"),
                       RawItem(Origin("feed", 2), text=BODY + " Three were taken to hospital.", title="Silo fire 2",
                               source="Other", date="2026-03-08T05:10:00Z")], LEXICAL)
    with TestClient(create_app(db, LEXICAL)) as c:
        yield c


def test_a_story_dated_year_one_renders(client) -> None:
    for path in ("/", "/stories", "/api/stories"):
        assert client.get(path).status_code == 200, path
    stories = client.get("/api/stories").json()["stories"]
    sid = next(s["id"] for s in stories if s["first_seen"] and s["first_seen"].startswith("0001"))
    assert client.get(f"/stories/{sid}").status_code == 200
    assert client.get(f"/api/stories/{sid}").status_code == 200


@pytest.mark.parametrize("key", [["abc"], [None, {"x": 1}], [1e400, "s-x"], [10**30, "s-x"], [[1], "s-x"],
                                 [1.5, "s-x"]])
def test_forged_cursors_are_invalid_cursor_errors(client, key) -> None:
    """The filter digest is public (a sha256 of the filters), so anyone can forge a cursor: its keys are checked."""
    digest = StoryFilters(order="latest").digest()
    raw = json.dumps({"k": key, "f": digest}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    r = client.get("/api/stories", params={"cursor": cursor})
    assert r.status_code == 422, (key, r.text)
    assert r.json()["error"]["code"] == "invalid-cursor"


def test_a_huge_min_sources_is_a_parameter_error(client) -> None:
    for path in ("/api/stories", "/stories"):
        r = client.get(path, params={"min_sources": "99999999999999999999"})
        assert r.status_code == 422, (path, r.text)


def test_a_long_repetitive_search_is_cheap_and_too_many_words_are_refused(client) -> None:
    t = time.perf_counter()
    r = client.get("/api/search", params={"q": " ".join(["fire"] * 5000)})
    assert r.status_code == 200 and time.perf_counter() - t < 5
    words = " ".join(hashlib.sha1(str(i).encode()).hexdigest()[:8] for i in range(40))
    r = client.get("/api/search", params={"q": words})
    assert r.status_code in (400, 422) and "more than 32" in r.json()["error"]["message"]


def test_a_search_without_words_is_an_empty_result(client) -> None:
    for q in ('"', "***", "-"):
        r = client.get("/api/search", params={"q": q})
        assert r.status_code == 200 and r.json()["results"] == [], q
        assert client.get("/search", params={"q": q}).status_code == 200


def test_the_snippet_markers_cannot_come_from_article_text() -> None:
    from storyline.normalize import clean_text

    assert clean_text("The Zumbra \ue001 council \ue000 voted.") == "The Zumbra council voted."
