"""Story search (stories with their matching articles, filters, folded copies, scored semantic mode), entity chips
(variants merged, junk dropped), entity pages and related stories: the library, the API and the CLI."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone

import pytest

from storyline.errors import StorylineError
from storyline.pipeline import open_pipeline
from storyline.records import Origin, RawItem
from storyline.search import SearchFilters, clean_entity_text, entity_chips, entity_stories, search_stories
from storyline.settings import Settings
from storyline.store import open_store

from .conftest import storyline_cli

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical"})


def item(i: int, title: str, text: str, source: str, date: str, lang: str = "en") -> RawItem:
    return RawItem(origin=Origin("test", i), title=title, text=text, source=source, date=date, lang=lang,
                   external_id=f"t{i}")


@pytest.fixture
def small(store):
    """Two stories: a harbour strike (3 outlets, one carrying another's article word for word) and a museum
    theft (1 outlet, in German)."""
    strike = ("Dockworkers at the Vellmar harbour walked out on Monday over pay, halting cargo ships at the port. "
              "The union said the harbour strike would last until the port authority improves its offer.")
    items = [
        item(1, "Vellmar harbour strike halts ships", strike, "Harbor Ledger", "2026-03-02T06:00:00Z"),
        item(2, "Vellmar harbour strike halts ships", strike, "Valley Courier", "2026-03-02T09:00:00Z"),
        item(3, "Harbour strike enters second day in Vellmar",
             "The Vellmar harbour strike entered its second day on Tuesday as dockworkers held out for more pay "
             "and cargo ships queued outside the port.", "Northgate Herald", "2026-03-03T08:00:00Z"),
        item(4, "Codex aus dem Museum gestohlen",
             "Ein mittelalterlicher Codex wurde aus dem Stadtmuseum von Northgate gestohlen, teilte die Polizei "
             "mit. Der Streik der Wachleute habe damit nichts zu tun.", "Rundschau", "2026-03-05T10:00:00Z", "de"),
    ]
    open_pipeline(store, LEXICAL).run(items)
    return store


def test_fts_search_returns_stories_with_their_matching_articles_best_first(small):
    out = search_stories(small, "harbour strike")
    assert [st["n_sources"] for st in out["stories"]] == [3]
    st = out["stories"][0]
    scores = [a["score"] for a in st["articles"]]
    assert st["score"] == max(scores) and scores == sorted(scores, reverse=True)
    # the word-for-word copy from another outlet folds under the article it repeats
    heads = {a["source"] for a in st["articles"]}
    folded = [c for a in st["articles"] for c in a["copies"]]
    assert len(folded) == 1 and folded[0]["source"] not in heads
    assert all("match" in p for a in st["articles"] for p in a["snippet_parts"])


def test_search_filters_date_range_outlet_language_and_min_sources(small):
    s = small
    def headlines(q, **f):
        return [st["headline"] for st in search_stories(s, q, filters=SearchFilters(**f))["stories"]]

    def n_articles(q, **f):
        return sum(1 + len(a["copies"]) for st in search_stories(s, q, filters=SearchFilters(**f))["stories"]
                   for a in st["articles"])

    assert n_articles("strike") == 3 and len(headlines("Streik")) == 1
    assert n_articles("strike", since=datetime(2026, 3, 3, tzinfo=timezone.utc)) == 1
    assert n_articles("strike", until=datetime(2026, 3, 2, 7)) == 1  # no zone means UTC
    assert n_articles("strike", source="northgate herald") == 1  # outlet names match without case
    assert headlines("Streik", lang="en") == [] and len(headlines("Streik", lang="de")) == 1
    assert len(headlines("Vellmar", min_sources=3)) == 1 and headlines("Vellmar", min_sources=4) == []
    with pytest.raises(StorylineError, match="after until"):
        search_stories(s, "strike", filters=SearchFilters(since=datetime(2026, 3, 5), until=datetime(2026, 3, 1)))
    with pytest.raises(StorylineError, match="mode must be one of"):
        search_stories(s, "strike", mode="psychic")
    assert search_stories(s, '"***"')["stories"] == []


def test_entity_names_are_cleaned_and_junk_is_dropped():
    assert clean_entity_text("(Meridian Press") == "Meridian Press"
    assert clean_entity_text("Continental Radio)") == "Continental Radio"
    assert clean_entity_text("“Sarn River Commission”,") == "Sarn River Commission"
    assert clean_entity_text("Copyright 2026 Meridian Press") is None
    assert clean_entity_text("© Northgate Herald") is None
    assert clean_entity_text("Reporting by Anna Berg") is None
    assert clean_entity_text("2026") is None and clean_entity_text("(") is None
    assert clean_entity_text("Bank (of Ostrel)") == "Bank (of Ostrel)"  # balanced brackets stay
    assert clean_entity_text("Vellmar Dock and") == "Vellmar Dock"
    assert clean_entity_text("al menos") is None and clean_entity_text("city council") is None
    assert clean_entity_text("al Gobierno") == "al Gobierno" and clean_entity_text("van Gogh") == "van Gogh"
    assert clean_entity_text("Las") is None and clean_entity_text("UN") == "UN" and clean_entity_text("Oslo")
    assert clean_entity_text("北京") == "北京"  # a script without case keeps its names


def test_entity_variants_merge_by_a_general_rule():
    ents = [{"text": "Ostrel", "label": "organisation", "count": 17, "by_source": {"A": 10, "B": 7}},
            {"text": "Ostrel", "label": "place", "count": 4, "by_source": {"C": 4}},
            {"text": "Irena Valcourt", "label": "person", "count": 7, "by_source": {"A": 4, "B": 3}},
            {"text": "Valcourt", "label": "person", "count": 1, "by_source": {"C": 1}},
            {"text": "Tomas Haldane", "label": "person", "count": 5, "by_source": {"A": 5}},
            {"text": "Marc Haldane", "label": "person", "count": 2, "by_source": {"B": 2}},
            {"text": "Haldane", "label": "organisation", "count": 2, "by_source": {"C": 2}},
            {"text": "(Meridian Press", "label": "organisation", "count": 1, "by_source": {"A": 1}},
            {"text": "Copyright 2026 Lakeside Observer", "label": "organisation", "count": 1, "by_source": {"A": 1}},
            {"text": "Meridian Press", "label": "organisation", "count": 2, "by_source": {"B": 2}}]
    chips = {c["text"]: c for c in entity_chips(ents, outlets=["Meridian Press"])}
    # the same name under two labels is one entity, with the label most of its mentions got
    assert chips["Ostrel"]["count"] == 21 and chips["Ostrel"]["label"] == "organisation"
    assert chips["Ostrel"]["n_sources"] == 3
    # a surname joins the one full name ending with it ...
    assert "Valcourt" not in chips and chips["Irena Valcourt"]["count"] == 8
    assert chips["Irena Valcourt"]["variants"] == ["Valcourt"]
    # ... but stays apart when two people share it
    assert "Haldane" in chips and chips["Tomas Haldane"]["count"] == 5
    # credit lines and the story's own outlets are no entities
    assert not any("Copyright" in t or "Meridian" in t for t in chips)
    order = [c["text"] for c in entity_chips(ents)]
    assert order[0] == "Ostrel"


def test_entity_stories_lists_the_stories_mentioning_a_name(small):
    s = small
    out = entity_stories(s, "Vellmar")
    assert out["n_stories"] == 1 and out["stories"][0]["n_mentioning"] == 3
    # the name is looked for in what articles say, not in who published them (Northgate Herald)
    assert [st["headline"] for st in entity_stories(s, "Northgate")["stories"]] == ["Codex aus dem Museum gestohlen"]
    assert entity_stories(s, "Vellmar harbour")["n_stories"] == 1
    assert entity_stories(s, "harbour Vellmar")["n_stories"] == 0  # a name's words in a row, not anywhere
    with pytest.raises(StorylineError, match="not an entity name"):
        entity_stories(s, "Copyright 2026 Meridian Press")


# -- the API and the pages ----------------------------------------------------------------------------------------
fastapi = pytest.importorskip("fastapi")


# the demo store once per module and backend (SQLite and PostgreSQL), and an empty store on the same backend
from .test_api import demo_backend, demo_db as demo, demo_source, fresh_db  # noqa: E402,F401


@pytest.fixture(scope="module")
def client(demo):
    from fastapi.testclient import TestClient

    from storyline.web import create_app

    with TestClient(create_app(demo, LEXICAL)) as c:
        yield c


def test_api_search_answers_stories_with_filters(client):
    body = client.get("/api/search", params={"q": "strike"}).json()
    assert body["stories"] and all(st["articles"] for st in body["stories"])
    assert [st["score"] for st in body["stories"]] == sorted((st["score"] for st in body["stories"]), reverse=True)
    wide = client.get("/api/search", params={"q": "strike", "min_sources": 3}).json()["stories"]
    assert wide and [st["id"] for st in wide] == [st["id"] for st in body["stories"] if st["n_sources"] >= 3]
    most = max(st["n_sources"] for st in body["stories"])
    assert client.get("/api/search", params={"q": "strike", "min_sources": most + 1}).json()["stories"] == []
    late = client.get("/api/search", params={"q": "strike", "since": "2026-03-09"}).json()["stories"]
    assert late and all(a["date"] >= "2026-03-09" for st in late for a in st["articles"])
    es = client.get("/api/search", params={"q": "terremoto", "lang": "es"}).json()["stories"]
    assert len(es) == 1 and all(a["lang"] == "es" for a in es[0]["articles"])
    assert client.get("/api/search", params={"q": "strike", "since": "yesterday"}).status_code == 422


def test_search_page_lists_stories_with_scores_and_filters(client):
    html = client.get("/search", params={"q": "strike", "min_sources": "3", "since": "", "lang": ""}).text
    assert html.count('class="result-story"') >= 1 and 'class="score"' in html
    assert 'name="min_sources" min="0" value="3"' in html
    assert client.get("/search", params={"q": "strike", "since": "not-a-date"}).status_code == 422
    # semantic search on a database without embeddings: the page says why and keeps the form; its JSON twin is 409
    sem = client.get("/search", params={"q": "strike", "mode": "semantic"})
    assert sem.status_code == 200 and 'id="search-error"' in sem.text and "embeddings" in sem.text
    assert client.get("/search", params={"q": "strike", "mode": "semantic", "format": "json"}).status_code == 409


def test_entity_page_and_related_stories_on_the_demo(client):
    sid = client.get("/api/search", params={"q": "Sarn dam talks"}).json()["stories"][0]["id"]
    rel = client.get(f"/api/stories/{sid}/related").json()
    texts = [c["text"] for c in rel["entities"]]
    assert "Ostrel" in texts and texts.count("Ostrel") == 1
    assert not any(t.startswith(("(", "Copyright")) for t in texts)
    assert rel["related"] and all(r["id"] != sid and r["shared"] for r in rel["related"])
    page = client.get(f"/stories/{sid}").text
    assert 'href="/entities/Ostrel"' in page and 'id="related"' in page
    ent = client.get("/entities/Ostrel")
    assert ent.status_code == 200 and f'href="/stories/{sid}"' in ent.text
    assert client.get("/api/entities/Ostrel").json()["n_stories"] >= 2


def test_semantic_search_scores_stories_and_folds_copies(fresh_db):
    from fastapi.testclient import TestClient

    from storyline.web import create_app
    from storyline.cluster import make_clusterer

    from .test_api import DEMO_CORPUS, HashingEncoder, build_demo_db

    if not (DEMO_CORPUS / "articles.jsonl").exists():
        pytest.skip("the demo corpus is not present")
    enc = HashingEncoder()
    settings = Settings()
    db = build_demo_db(fresh_db, settings, make_clusterer(settings, encoder=enc))
    with open_store(db) as s:
        copies = {aid: origin for aid, (origin, _) in s.copy_origins(a.id for a in s.iter_articles()).items()}
    assert copies, "the demo corpus carries wire copies"
    with TestClient(create_app(db, settings, encoder=enc)) as c:
        body = c.get("/api/search", params={"q": "port strike dockworkers", "mode": "semantic", "limit": 50}).json()
    scores = [st["score"] for st in body["stories"]]
    assert scores and scores == sorted(scores, reverse=True) and all(-1 <= x <= 1 for x in scores)
    heads = [a["id"] for st in body["stories"] for a in st["articles"]]
    assert len(heads) == len(set(heads))
    for aid, origin in copies.items():  # a copy and its origin are never both listed as results
        assert not (aid in heads and origin in heads)


def test_cli_search_prints_stories_and_says_when_semantic_cannot_run(small):
    def run(*args):
        return subprocess.run(storyline_cli() + ["--db", str(small.path), *args], capture_output=True, text=True,
                              timeout=120)

    out = run("search", "strike", "--format", "json", "--min-sources", "2")
    assert out.returncode == 0, out.stderr
    stories = json.loads(out.stdout)
    assert len(stories) == 1 and stories[0]["n_sources"] == 3 and stories[0]["articles"]
    csv_lines = run("search", "strike", "--format", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("story_id,headline,story_score") and len(csv_lines) == 3  # header + 2 heads
    sem = run("search", "strike", "--mode", "semantic")
    assert sem.returncode != 0 and "embeddings" in sem.stderr
    assert run("search", "strike", "--mode", "psychic").returncode == 2
    assert run("search", "strike", "--since", "last week").returncode == 2
