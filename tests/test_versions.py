"""Article versions (docs/versions.md): an outlet's record (source, id) arriving again with a different text is a
newer version; the newest is the one that counts, older ones stay stored and reachable by id as history."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from storyline.errors import NotFound
from storyline.ingest import read_paths
from storyline.pipeline import ingest, open_pipeline
from storyline.records import RawItem, Origin
from storyline.settings import Settings
from storyline.store import Store
from storyline.store.sqlite import _migrations, _split_sql

# every test that takes `store` runs on SQLite and on PostgreSQL (the API, the web page and the CLI open the store by
# its path: a file or a postgresql:// URL)
pytestmark = pytest.mark.backends("sqlite", "postgres")

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical"})
NO_COPIES = LEXICAL.with_overrides({"copies.enabled": False})

DAM = ("Engineers at the Example Valley dam opened the spillway gates on Monday after heavy rain raised the "
       "reservoir to its highest level in a decade. The regional water authority said {n} households downstream "
       "were told to leave their homes as a precaution.\n\n"
       "The authority's director said the dam itself was safe and that inspectors had found no cracks in the wall. "
       "Rescue teams and buses were sent to the villages along the river, and schools were closed for the day.")
OTHER = ("The national football federation named a new coach for the women's team on Friday, ending a search that "
         "lasted four months. The coach, who led a club side to two league titles, signed a three-year contract.\n\n"
         "Players welcomed the choice, and the federation said the first training camp would open next month.")


def rec(text: str, source: str = "Valley Post", rid: str | None = "dam-1", title: str = "Dam spillway opened",
        date: str | None = "2025-04-08") -> dict:
    r = {"title": title, "text": text, "source": source, "date": date}
    if rid is not None:
        r["id"] = rid
    return r


def write(path: Path, *records: dict) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def run(store: Store, *paths: Path, settings: Settings = LEXICAL):
    stats = ingest(store, read_paths([str(p) for p in paths], settings.ingest), settings)
    assert stats.seen == stats.accepted + stats.rejected + stats.duplicates
    return stats


def ids_of(store: Store, text_part: str) -> list[str]:
    """The stored articles (every version) whose text contains ``text_part``, in arrival order."""
    return [a.id for a in store.iter_articles() if text_part in a.text]


def superseded(store: Store) -> dict[str, str | None]:
    return {r["id"]: r["superseded_by"] for r in store.list_articles(all_versions=True)}


def current(store: Store) -> dict[tuple[str, str], list[str]]:
    """The current version(s) of each outlet's record, in arrival order."""
    by = superseded(store)
    out: dict[tuple[str, str], list[str]] = {}
    for a in store.iter_articles():
        if a.external_id is not None and by[a.id] is None:
            out.setdefault((a.source, a.external_id), []).append(a.id)
    return out


@pytest.fixture
def two_versions(tmp_path: Path, store):
    """v1 of the Valley Post's dam report and another outlet's report of the same event; then v2 (new figure)."""
    run(store, write(tmp_path / "one.jsonl", rec(DAM.format(n="1,200")),
                     rec(DAM.format(n="about 1,300").replace("Engineers", "Workers"), source="River Times",
                         title="Spillway gates opened at Example Valley dam")))
    s2 = run(store, write(tmp_path / "two.jsonl", rec(DAM.format(n="2,400"), title="Dam spillway opened (updated)")))
    return store, s2


def test_a_newer_version_is_the_one_that_counts(two_versions) -> None:
    store, stats = two_versions
    assert (stats.seen, stats.accepted, stats.duplicates) == (1, 1, 0)  # a new version is accepted
    [v1], [v2] = ids_of(store, "1,200 households"), ids_of(store, "2,400 households")
    [other] = ids_of(store, "about 1,300")
    [story] = store.list_stories()
    assert story.n_articles == 2 and story.sources == ("River Times", "Valley Post")
    assert store.membership(v2)["story_id"] == story.id
    assert {a.id for a in store.iter_articles(story.id)} == {v2, other}
    assert store.count_stories(current=True) == 1
    assert [r["id"] for r in store.list_articles()] == [other, v2]
    assert store.search("1,200 households") == []
    assert [r["id"] for r in store.search("2,400 households")] == [v2]
    titles = {r["title"] for r in store.list_articles()}
    assert story.headline in titles
    # the old version is history: stored, reachable, pointing at its successor
    assert store.get_article(v1).text.count("1,200") == 1
    old = store.article_versions(v1)
    assert old["superseded_by"] == v2 and old["current_version"] == v2
    new = store.article_versions(v2)
    assert new["superseded_by"] is None and new["current_version"] == v2
    assert [(v["id"], v["current"]) for v in new["versions"]] == [(v1, False), (v2, True)]
    assert store.article_versions(other) == {"superseded_by": None, "current_version": other, "versions": []}


def test_the_story_view_is_built_from_the_current_version_only(two_versions) -> None:
    from storyline.stories import build_view

    store, _ = two_versions
    [v1], [v2] = ids_of(store, "1,200 households"), ids_of(store, "2,400 households")
    [story] = store.list_stories()
    view = build_view(store, story.id).to_dict()
    # River Times's report is a near copy of the Valley Post's first version: the copies stage names that version
    # as its origin (history: it is what was copied); every part built from the story's articles sees v2 only
    assert [(c["article_id"] in {v1, v2}, c["origin_id"]) for c in view["copies"]] == [(False, v1)]
    built = {k: v for k, v in view.items() if k not in ("copies", "provenance")}
    dumped = json.dumps(built, default=str)
    assert v1 not in dumped and v2 in dumped
    assert "1,200" not in dumped and "2,400" in dumped
    assert [a["id"] for a in view["articles"] if a["source"] == "Valley Post"] == [v2]
    # the correction is not a copy of its own earlier version: the outlet's report stays independent
    assert {s["source"]: s["independent"] for s in view["sources"]} == {"Valley Post": 1, "River Times": 0}


def test_the_copies_stage_does_not_pair_an_article_with_its_own_versions(two_versions) -> None:
    from storyline.copies.detector import copies_for_story, provenance_summary

    store, _ = two_versions
    [v1], [v2] = ids_of(store, "1,200 households"), ids_of(store, "2,400 households")
    [other] = ids_of(store, "about 1,300")
    pairs = {tuple(sorted((p.article_a, p.article_b))) for a in (v1, v2, other) for p in store.copy_pairs_of(a)}
    assert tuple(sorted((v1, v2))) not in pairs  # the texts are near copies, but they are versions, not copies
    [story] = store.list_stories()
    assert [c["article_id"] for c in copies_for_story(store, story.id)] == [other]
    prov = provenance_summary(store, story.id)
    assert prov["independent_sources"] == 1  # the Valley Post (v2); River Times carries v1's text
    assert [(o["origin_id"], o["outlets"]) for o in prov["origins"]] == [(v1, ["River Times"])]


def test_a_restored_clusterer_counts_current_versions_only(two_versions) -> None:
    from storyline.cluster import make_clusterer

    store, _ = two_versions
    [story] = store.list_stories()
    restored = make_clusterer(LEXICAL).restore(store)
    assert {sid: st.n for sid, st in restored.stories.items()} == {story.id: 2}  # v2 and River Times, not v1
    assert restored.df.n_docs == 2


def test_a_chain_of_three_leaves_only_the_last_current(tmp_path: Path, store) -> None:
    for i, n in enumerate(["100", "200", "300"]):
        run(store, write(tmp_path / f"v{i}.jsonl", rec(DAM.format(n=n))))
    v1, v2, v3 = (ids_of(store, f"{n} households")[0] for n in ["100", "200", "300"])
    assert current(store) == {("Valley Post", "dam-1"): [v3]}
    assert [store.article_versions(v)["superseded_by"] for v in (v1, v2, v3)] == [v2, v3, None]
    assert {store.article_versions(v)["current_version"] for v in (v1, v2, v3)} == {v3}
    assert [v["id"] for v in store.article_versions(v1)["versions"]] == [v1, v2, v3]
    [story] = store.list_stories()
    assert story.n_articles == 1 and [a.id for a in store.iter_articles(story.id)] == [v3]


def test_versions_in_one_batch_and_in_one_file(tmp_path: Path, store) -> None:
    run(store, write(tmp_path / "all.jsonl", rec(DAM.format(n="100")), rec(DAM.format(n="200")),
                     rec(DAM.format(n="300"))))
    assert current(store) == {("Valley Post", "dam-1"): ids_of(store, "300 households")}
    assert store.list_stories()[0].n_articles == 1


def test_reingesting_the_same_files_changes_nothing(tmp_path: Path) -> None:
    files = [write(tmp_path / f"v{i}.jsonl", rec(DAM.format(n=n))) for i, n in enumerate(["100", "200", "300"])]
    with Store(tmp_path / "r.db") as store:
        for f in files:
            run(store, f)
        snap = lambda: (store.query("SELECT id, superseded_by FROM articles ORDER BY rowid"),  # noqa: E731
                        store.query("SELECT id, headline, updated_at FROM stories ORDER BY id"),
                        store.query("SELECT article_id, story_id FROM memberships ORDER BY article_id"))
        before = [list(map(tuple, part)) for part in snap()]
        for f in [*files, *files[::-1]]:
            stats = run(store, f)
            assert (stats.accepted, stats.duplicates) == (0, 1)
        assert [list(map(tuple, part)) for part in snap()] == before


def test_an_older_version_arriving_after_the_newer_does_not_become_current(tmp_path: Path, store) -> None:
    old, new = write(tmp_path / "old.jsonl", rec(DAM.format(n="100"))), write(
        tmp_path / "new.jsonl", rec(DAM.format(n="200")))
    run(store, old)
    run(store, new)
    run(store, old)  # re-ingesting the older text: a duplicate, v2 stays current
    [v2] = ids_of(store, "200 households")
    assert current(store) == {("Valley Post", "dam-1"): [v2]}
    # a version never seen before, dated before the current one, arrives late: stored as history
    run(store, write(tmp_path / "older.jsonl", rec(DAM.format(n="50"), date="2025-04-07")))
    [v0] = ids_of(store, "50 households")
    assert current(store) == {("Valley Post", "dam-1"): [v2]}
    assert store.article_versions(v0)["superseded_by"] == v2
    # same date (or no date): arrival decides, the last text to arrive is current
    run(store, write(tmp_path / "fix.jsonl", rec(DAM.format(n="250"))))
    [v3] = ids_of(store, "250 households")
    assert current(store) == {("Valley Post", "dam-1"): [v3]}
    run(store, write(tmp_path / "undated.jsonl", rec(DAM.format(n="260"), date=None)))
    [v4] = ids_of(store, "260 households")
    assert current(store) == {("Valley Post", "dam-1"): [v4]}
    assert store.article_versions(v3)["superseded_by"] == v4


def test_other_outlets_reusing_an_id_are_not_versions(tmp_path: Path, store) -> None:
    run(store, write(tmp_path / "a.jsonl", rec(DAM.format(n="100"), source="Valley Post", rid="7"),
                     rec(DAM.format(n="200"), source="River Times", rid="7"),
                     rec(OTHER, source="Sports Daily", rid="7", title="New coach")))
    assert not any(superseded(store).values())
    assert len(current(store)) == 3
    # and records without an id are never versions of anything, even with the same title and source
    run(store, write(tmp_path / "b.jsonl", rec(DAM.format(n="300"), rid=None), rec(DAM.format(n="400"),
                                                                                     rid=None)))
    assert not any(superseded(store).values())


@pytest.fixture
def moved(tmp_path: Path, store):
    """The outlet replaced its record's whole text with another event: v2 joins another story, v1's story has no
    current article left."""
    run(store, write(tmp_path / "one.jsonl", rec(DAM.format(n="100"))))
    [s1] = store.list_stories()
    run(store, write(tmp_path / "base.jsonl", rec(OTHER, source="Sports Daily", rid="c1", title="New coach")))
    run(store, write(tmp_path / "two.jsonl", rec(OTHER.replace("Friday", "Thursday"), title="New coach named")))
    return store, s1.id


def test_a_story_left_without_current_articles_is_hidden(moved) -> None:
    store, s1 = moved
    [v1], [v2] = ids_of(store, "100 households"), ids_of(store, "on Thursday")
    s2 = store.membership(v2)["story_id"]
    assert s2 != s1 == store.membership(v1)["story_id"]
    assert [s.id for s in store.list_stories()] == [s2] and store.count_stories(current=True) == 1
    assert store.count_stories() == 2  # the hidden story is still stored (its members are history)
    with pytest.raises(NotFound, match=f"newer versions of them are in {s2}"):
        store.get_story(s1)
    assert store.article_versions(v1)["superseded_by"] == v2
    assert store.list_articles(story_id=s1) == []
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from storyline.web import create_app

    with TestClient(create_app(store.path, LEXICAL)) as c:
        gone = c.get(f"/api/stories/{s1}")
        assert gone.status_code == 404 and s2 in gone.json()["error"]["message"]
        assert [r["id"] for r in c.get("/api/stories").json()["stories"]] == [s2]
        old = c.get(f"/api/articles/{v1}").json()  # still reachable; its old story is no listing's any more
        assert (old["superseded_by"], old["story"], old["membership"] is not None) == (v2, None, True)
        assert c.get("/").status_code == 200


def test_a_database_with_versions_stored_before_0004_is_backfilled_by_arrival(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, sql in _migrations():
        if name.startswith("0004"):
            continue
        for statement in _split_sql(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, '2031-01-01')", (name,))
    for i, (src, eid) in enumerate([("A", "1"), ("A", "1"), ("B", "1"), ("A", "1"), ("A", None), ("A", None)]):
        conn.execute("INSERT INTO articles(id, external_id, source, title, text, origin, ingested_at) "
                     "VALUES (?,?,?,?,?,?,?)", (f"a-{i}", eid, src, "t", f"text {i}", "f", "2031-01-01"))
    conn.close()
    with Store(path) as store:
        rows = store.query("SELECT id, superseded_by FROM articles ORDER BY rowid")
    assert [tuple(r) for r in rows] == [("a-0", "a-1"), ("a-1", "a-3"), ("a-2", None), ("a-3", None),
                                        ("a-4", None), ("a-5", None)]


# -- API, web page and CLI --------------------------------------------------------------------------------------

def test_the_api_and_the_article_page_expose_versions(two_versions) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from storyline.web import create_app

    store, _ = two_versions
    [v1], [v2] = ids_of(store, "1,200 households"), ids_of(store, "2,400 households")
    with TestClient(create_app(store.path, LEXICAL)) as c:
        old = c.get(f"/api/articles/{v1}").json()
        assert old["superseded_by"] == v2 and old["current_version"] == v2 and "1,200" in old["text"]
        new = c.get(f"/api/articles/{v2}").json()
        assert new["superseded_by"] is None and [v["id"] for v in new["versions"]] == [v1, v2]
        assert new["story"]["n_articles"] == 2
        listed = c.get("/api/articles").json()["articles"]
        assert v1 not in {a["id"] for a in listed} and v2 in {a["id"] for a in listed}
        [story] = c.get("/api/stories").json()["stories"]
        assert story["n_articles"] == 2 and story["n_sources"] == 2
        assert c.get("/api/stories", params={"query": "1,200 households"}).json()["stories"] == []
        detail = c.get(f"/api/stories/{story['id']}").json()
        assert {a["id"] for a in detail["articles"]} == {v2, *[a["id"] for a in detail["articles"] if a["id"] != v2]}
        assert v1 not in {a["id"] for a in detail["articles"]}
        assert c.get("/api/search", params={"q": "1,200 households"}).json()["results"] == []
        page = c.get(f"/articles/{v1}").text
        assert "newer version" in page and f'href="/articles/{v2}"' in page
        page = c.get(f"/articles/{v2}").text
        assert "earlier versions" in page and f'href="/articles/{v1}"' in page


def test_the_cli_lists_current_articles_and_shows_an_old_version(two_versions) -> None:
    from typer.testing import CliRunner

    from storyline.cli import app

    store, _ = two_versions
    [v1], [v2] = ids_of(store, "1,200 households"), ids_of(store, "2,400 households")
    cli = CliRunner()
    db = ["--db", store.path]
    r = cli.invoke(app, [*db, "articles", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert v1 not in {a["id"] for a in json.loads(r.stdout)}
    r = cli.invoke(app, [*db, "articles", "--all-versions", "--format", "json"])
    rows = {a["id"]: a for a in json.loads(r.stdout)}
    assert rows[v1]["superseded_by"] == v2 and rows[v2]["superseded_by"] is None
    r = cli.invoke(app, [*db, "show", v1, "--format", "json"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    assert (shown["id"], shown["superseded_by"], shown["current_version"]) == (v1, v2, v2)
    r = cli.invoke(app, [*db, "show", v2[:8]])
    assert r.exit_code == 0 and "Versions (oldest first)" in r.stdout and v1 in r.stdout
    [story] = json.loads(cli.invoke(app, [*db, "stories", "--format", "json"]).stdout)
    assert story["n_articles"] == 2


# -- property: any arrival sequence leaves exactly one current version per record --------------------------------

VARIANTS = [DAM.format(n=n) for n in ("100", "200", "300", "400")]


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arrivals=st.lists(st.tuples(st.sampled_from(["A", "B"]), st.integers(0, 3),
                                   st.sampled_from([None, "2025-04-07", "2025-04-08"])), min_size=1, max_size=10),
       batch=st.integers(1, 4))
def test_any_arrival_sequence_leaves_one_current_version_per_record(arrivals, batch) -> None:
    settings = NO_COPIES.with_overrides({"ingest.batch_size": batch})
    with Store(":memory:") as store:
        items = [RawItem(Origin("p", i), VARIANTS[v], title="Dam", date=d, source=src, external_id="r1",
                         format="json") for i, (src, v, d) in enumerate(arrivals)]
        stats = open_pipeline(store, settings).run(items)
        assert stats.seen == stats.accepted + stats.rejected + stats.duplicates == len(arrivals)
        rows = {r["id"]: dict(r) for r in store.query("SELECT id, source, date, superseded_by FROM articles")}
        for src in {s for s, _, _ in arrivals}:
            mine = {i: r for i, r in rows.items() if r["source"] == src}
            heads = [i for i, r in mine.items() if r["superseded_by"] is None]
            assert len(heads) == 1  # exactly one current version
            for start in mine:  # every chain ends at it, without a cycle, within the record
                seen, at = set(), start
                while rows[at]["superseded_by"] is not None:
                    assert at not in seen and rows[at]["source"] == src
                    seen.add(at)
                    at = rows[at]["superseded_by"]
                assert at == heads[0]
            if all(d is None for s, _, d in arrivals if s == src):  # undated: the last new text to arrive wins
                firsts = list(dict.fromkeys(VARIANTS[v] for s, v, _ in arrivals if s == src))
                assert store.get_article(heads[0]).text == firsts[-1]
        # every story that is listed has a current article, and current articles are exactly one per record
        assert sum(s.n_articles for s in store.list_stories()) == len({s for s, _, _ in arrivals})
