from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from storyline.errors import NotFound
from storyline.records import Article, Assignment, Rejected
from storyline.store import Store, integrity_errors

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both backends


def _article(i: int, **kw) -> Article:
    base = dict(id=f"a-{i:04d}", title=f"Title {i}", text=f"Body {i}.\n\nSecond para.", source=f"Outlet {i % 3}",
                date=datetime(2021, 10, 1 + i % 20, 12, tzinfo=timezone.utc), lang="en", byline=None,
                origin=f"f.jsonl:{i}", extra={"k": i})
    base.update(kw)
    return Article(**base)


def test_migrations_are_recorded_and_run_once(tmp_path):
    path = tmp_path / "s.db"
    with Store(path) as s:
        names = [r[0] for r in s.query("SELECT name FROM schema_migrations")]
        assert "0001_core" in names
        assert s.query("PRAGMA journal_mode")[0][0] == "wal"
        assert s.query("PRAGMA foreign_keys")[0][0] == 1
    with Store(path) as s:
        assert s.migrate() == []


@hsettings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(min_size=1, max_size=50), text=st.text(min_size=1, max_size=300),
       dated=st.booleans(), byline=st.one_of(st.none(), st.text(min_size=1, max_size=20)))
def test_article_round_trips_through_the_store(title, text, dated, byline):
    with Store(":memory:") as s:
        a = _article(1, title=title, text=text, byline=byline,
                     date=datetime(2021, 10, 9, 8, 30, tzinfo=timezone.utc) if dated else None,
                     warnings=("w1",))
        s.add_article(a)
        assert s.get_article(a.id) == a


def test_stories_memberships_and_listing(store):
    for i in range(4):
        store.add_article(_article(i))
    store.create_story("s-1", "Title 0")
    store.create_story("s-2", "Title 3")
    for i in range(3):
        store.add_membership(Assignment(f"a-{i:04d}", "s-1", 0.9, i == 0, {"lexical": 0.9}, ("t",)))
    store.add_membership(Assignment("a-0003", "s-2", 1.0, True))
    stories = {s.id: s for s in store.list_stories()}
    assert stories["s-1"].n_articles == 3 and stories["s-1"].sources == ("Outlet 0", "Outlet 1", "Outlet 2")
    assert stories["s-1"].first_seen == datetime(2021, 10, 1, 12, tzinfo=timezone.utc)
    assert [s.id for s in store.list_stories(min_sources=2)] == ["s-1"]
    assert [s.id for s in store.list_stories(source="Outlet 0")] == ["s-1", "s-2"] or \
        {s.id for s in store.list_stories(source="Outlet 0")} == {"s-1", "s-2"}
    assert store.membership("a-0001")["components"] == {"lexical": 0.9}


def test_merge_keeps_the_old_id_resolvable_as_alias(store):
    for i in range(2):
        store.add_article(_article(i))
    store.create_story("s-old", "A")
    store.create_story("s-new", "B")
    store.add_membership(Assignment("a-0000", "s-old", 1.0, True))
    store.add_membership(Assignment("a-0001", "s-new", 1.0, True))
    store.merge_stories("s-old", "s-new")
    assert store.resolve_story_id("s-new") == "s-old"
    assert store.get_story("s-new").n_articles == 2
    assert store.story_aliases("s-old") == ["s-new"]
    with pytest.raises(NotFound, match="try `storyline stories`"):
        store.resolve_story_id("s-nothing")


def test_full_text_search_finds_words_in_title_and_body(store):
    store.add_article(_article(1, title="Harbour strike ends", text="Dock workers returned on Monday."))
    store.add_article(_article(2, title="Election turnout", text="Voters queued for hours."))
    assert [r["id"] for r in store.search("dock workers")] == ["a-0001"]
    assert [r["id"] for r in store.search("TURNOUT")] == ["a-0002"]
    assert store.search('"; DROP TABLE articles; --') == []


def test_rejects_are_stored_and_listed(store):
    run = store.start_run("ingest")
    store.add_reject(Rejected("f.jsonl:2", "ingest", "malformed-json", "Expecting value"), run)
    [r] = store.list_rejects(run_id=run)
    assert (r["ref"], r["reason"], r["stage"]) == ("f.jsonl:2", "malformed-json", "ingest")


def test_transaction_rolls_back_as_a_whole(store):
    with pytest.raises(integrity_errors()):
        with store.transaction():
            store.add_article(_article(1))
            store.add_article(_article(1))
    assert store.count_articles() == 0


def test_id_prefixes_are_literal_and_not_too_short(store):
    store.add_article(_article(1))
    store.create_story("s-abc123", "A")
    store.add_membership(Assignment("a-0001", "s-abc123", 1.0, True))
    assert store.resolve_story_id("s-ab") == "s-abc123"
    assert store.get_article("a-00").id == "a-0001"
    for bad in ["", "%", "s-", "s-a%", "_-abc123", "s_abc1"]:
        with pytest.raises(NotFound):
            store.resolve_story_id(bad)
    with pytest.raises(NotFound):
        store.get_article("a-0_")


def test_an_ambiguous_prefix_names_its_candidates_and_an_alias_prefix_resolves(store):
    for sid in ("s-abc111", "s-abc222", "s-zzz999"):
        store.create_story(sid, sid)
    with pytest.raises(NotFound, match=r"ambiguous: it starts s-abc111, s-abc222; give more characters"):
        store.resolve_story_id("s-abc")
    assert store.resolve_story_id("s-abc1") == "s-abc111"
    store.add_article(_article(1))
    store.add_article(_article(2))
    store.add_membership(Assignment("a-0001", "s-abc111", 1.0, True))
    store.add_membership(Assignment("a-0002", "s-zzz999", 1.0, True))
    store.merge_stories("s-abc111", "s-zzz999")
    assert store.resolve_story_id("s-zzz9") == "s-abc111"  # a unique prefix of the alias
    with pytest.raises(NotFound, match="ambiguous"):
        store.get_article("a-000")


def test_a_database_of_the_schema_before_0008_gets_its_arrival_sequence_from_rowid(tmp_path):
    """Migration 0008 upgrades a database in place: each stored article's and membership's seq is its rowid (its
    arrival), search still finds them, and those stored after it arrive after them, whichever statement inserts
    them."""
    import sqlite3

    from storyline.store.sqlite import _migrations, _split_sql

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, sql in _migrations():
        if name >= "0008":
            continue
        for statement in _split_sql(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, '2031-01-01')", (name,))
    # arrival is rowid, not id order; a deleted article leaves a gap
    for rowid, aid in [(1, "c"), (2, "gone"), (3, "a"), (4, "b")]:
        conn.execute("INSERT INTO articles(rowid, id, source, title, text, origin, ingested_at) "
                     "VALUES (?,?,?,?,?,?,?)", (rowid, aid, "Valley Post", f"Harbour {aid}", "dock strike", "f",
                                                "2031-01-01"))
    conn.execute("DELETE FROM articles WHERE id='gone'")
    conn.execute("INSERT INTO stories VALUES ('s1', 'Harbour', '2031-01-01', '2031-01-01')")
    for rowid, aid in [(5, "b"), (8, "c")]:  # b joined the story first
        conn.execute("INSERT INTO memberships(rowid, article_id, story_id, score, assigned_at) "
                     "VALUES (?, ?, 's1', 1.0, '2031-01-01')", (rowid, aid))
    conn.close()
    with Store(path) as s:
        assert "0008_arrival_seq" in s.applied_migrations()
        assert [tuple(r) for r in s.query("SELECT id, seq FROM articles ORDER BY rowid")] == [
            ("c", 1), ("a", 3), ("b", 4)]
        assert [a.id for a in s.iter_articles()] == ["c", "a", "b"]
        assert {h["id"] for h in s.search("harbour")} == {"a", "b", "c"}
        assert [tuple(r) for r in s.query("SELECT article_id, seq FROM memberships ORDER BY rowid")] == [
            ("b", 5), ("c", 8)]
        assert s.first_member("s1") == "b"
        s.add_memberships([Assignment("a", "s1", 0.5, False), Assignment("c", "s1", 0.7, False)])
        assert [tuple(r) for r in s.query("SELECT article_id, seq FROM memberships ORDER BY seq")] == [
            ("b", 5), ("c", 8), ("a", 9)]  # a new member arrives last; a moved one keeps its place
        s.add_articles([_article(7), _article(5)])
        s.execute("INSERT INTO articles(id, source, title, text, origin, ingested_at) "
                  "VALUES ('raw', 'x', 't', 'harbour', 'f', '2031-01-01')")  # an insert that leaves seq out
        assert [a.id for a in s.iter_articles()] == ["c", "a", "b", "a-0007", "a-0005", "raw"]
        assert [r[0] for r in s.query("SELECT seq FROM articles ORDER BY seq")] == [1, 3, 4, 5, 6, 7]
        assert {h["id"] for h in s.search("harbour")} == {"a", "b", "c", "raw"}
        with pytest.raises(sqlite3.IntegrityError):
            s.execute("UPDATE articles SET seq=1 WHERE id='b'")  # unique: one article per position
