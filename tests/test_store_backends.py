"""The store's two backends (SQLite, PostgreSQL) against a real PostgreSQL server (tests/pg_server.py): the same
public methods give the same records; PostgreSQL's own parts (migrations, tsvector search, advisory lock,
timestamptz) work; a PostgreSQL URL never becomes a SQLite file."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from storyline.errors import NotFound, StorylineError
from storyline.records import Article, Assignment, Rejected, RunStats
from storyline.store import Store, is_postgres_url, open_store, redact_url
from storyline.store.rows import CopyOf, CopyPair, CopySignature, SentenceAlignment, StoryTitles

psycopg = pytest.importorskip("psycopg", reason="the postgres extra is not installed")

from storyline.store.postgres import NeedsStoreMethod, PostgresStore  # noqa: E402
from storyline.store.postgres.lock import INGEST_LOCK_KEY  # noqa: E402
from storyline.store.postgres.store import _migrations as pg_migrations  # noqa: E402
from storyline.store.sqlite import _migrations as sqlite_migrations  # noqa: E402

BIN = Path(sys.executable).with_name("storyline")
CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")  # UTF-8 text a record can hold
UTC = timezone.utc


def art(i: int, **kw) -> Article:
    base = dict(id=f"a-{i:04d}", title=f"Title {i}", text=f"Body {i}.\n\nSecond para.", source=f"Outlet {i % 3}",
                date=datetime(2031, 4, 1 + i % 20, 12, tzinfo=UTC), lang="en", origin=f"f.jsonl:{i}",
                extra={"k": i})
    base.update(kw)
    return Article(**base)


# -- backend selection ------------------------------------------------------------------------------------------

def test_urls_pick_postgres_and_everything_else_is_a_sqlite_path() -> None:
    assert is_postgres_url("postgresql://u@h:5432/news") and is_postgres_url("POSTGRES://u@h/news")
    assert not is_postgres_url("news.db") and not is_postgres_url("/tmp/postgresql/x.db")
    assert redact_url("postgresql://u:s3cret@h:5432/news") == "postgresql://u:***@h:5432/news"
    with pytest.raises(StorylineError, match=r"scheme 'mysql'.*postgresql or postgres"):
        open_store("mysql://u@h/news")


def _cli(cwd: Path, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical"}
    env.pop("STORYLINE_DB", None)
    env.update(env_extra or {})
    return subprocess.run([str(BIN), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def test_a_postgres_url_never_becomes_a_sqlite_folder(tmp_path: Path) -> None:
    """`--db postgresql://…` on a server that is not there fails with one line, and leaves no `postgresql:` folder
    (it used to create a SQLite file inside one and report success)."""
    (tmp_path / "in.jsonl").write_text('{"title": "T", "text": "Some words here.", "source": "S"}\n')
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    url = f"postgresql://news:pw@127.0.0.1:{port}/news"
    for args, env in [(["--db", url, "ingest", "in.jsonl"], None),
                      (["ingest", "in.jsonl"], {"STORYLINE_DB": url}),
                      (["--db", url, "stories"], None)]:
        p = _cli(tmp_path, *args, env_extra=env)
        assert p.returncode == 1, p.stderr
        assert "cannot connect to PostgreSQL" in p.stderr and "pw" not in p.stderr, p.stderr
    p = _cli(tmp_path, "--db", "mysql://u@h/news", "ingest", "in.jsonl")
    assert p.returncode == 2 and "scheme 'mysql'" in p.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["in.jsonl"]  # no postgresql:, mysql: or .db


def test_storyline_migrate_on_both_backends(tmp_path: Path, pg_url: str) -> None:
    for db, names in [(str(tmp_path / "m.db"), [n for n, _ in sqlite_migrations()]),
                      (pg_url, [n for n, _ in pg_migrations()])]:
        first = _cli(tmp_path, "--db", db, "migrate")
        assert first.returncode == 0, first.stderr
        assert first.stdout.splitlines() == [f"applied {n}" for n in names]
        again = _cli(tmp_path, "--db", db, "migrate")
        assert again.returncode == 0 and again.stdout == ""
        assert f"0 migrations applied now, {len(names)} in all" in again.stderr


def test_each_sqlite_migration_has_a_postgres_twin() -> None:
    assert [n for n, _ in pg_migrations()] == [n for n, _ in sqlite_migrations()]


def test_every_public_store_method_has_its_postgres_twin() -> None:
    """Adding a method to the SQLite Store means adding its twin (same name, same parameters) to PostgresStore;
    only the raw SQL escape hatches (SQLite SQL) are refused there."""
    def public(cls):
        return {n: m for n, m in inspect.getmembers(cls) if not n.startswith("_") and callable(m)}

    sqlite, pg = public(Store), public(PostgresStore)
    missing = sorted(set(sqlite) - set(pg))
    assert not missing, f"PostgresStore lacks the twins of {missing} (storyline/store/postgres/)"
    for name, method in sqlite.items():
        want = [(p.name, p.kind) for p in inspect.signature(method).parameters.values()]
        got = [(p.name, p.kind) for p in inspect.signature(pg[name]).parameters.values()]
        if name == "fts_article_hits":  # PostgreSQL's twin also takes the snippet length search() uses
            got = [g for g in got if g[0] != "snippet_words"]
        if name not in {"query", "execute"}:
            assert got == want, f"PostgresStore.{name}{got} differs from Store.{name}{want}"


# -- the same records from both backends -------------------------------------------------------------------------

def _exercise(store) -> dict:
    """One scenario through the public methods; everything it reads back (timestamps of writing left out)."""
    from storyline.outlets import Outlet

    out: dict = {}
    run = store.start_run("ingest")
    with store.transaction():
        store.add_articles([art(i) for i in range(6)], run)
        store.add_article(art(6, source="Valley Post", external_id="r1", title="Dam opened",
                              text="The dam gates opened on Monday.", extra={"date_only": True},
                              date=datetime(2031, 4, 8, tzinfo=UTC)), run)
        store.create_stories([("s-aaa111", "Title 0"), ("s-bbb222", "Title 3"), ("s-ccc333", "Dam")])
        store.add_memberships([Assignment(f"a-{i:04d}", "s-aaa111", 0.5 + i / 10, i == 0, {"lexical": 0.25 * i},
                                          ("w",)) for i in range(3)])
        store.add_memberships([Assignment(f"a-{i:04d}", "s-bbb222", 1.0, True) for i in range(3, 6)])
        store.add_membership(Assignment("a-0006", "s-ccc333", 1.0, True))
    v2 = art(7, source="Valley Post", external_id="r1", title="Dam opened (updated)",
             text="The dam gates opened on Monday, and 2,400 left.", date=datetime(2031, 4, 8, 15, tzinfo=UTC))
    store.add_article(v2, run)
    store.add_membership(Assignment(v2.id, "s-ccc333", 0.9, False))
    out["touched"] = store.supersede_versions([v2])
    store.add_reject(Rejected("f.jsonl:9", "ingest", "malformed-json", "bad \udcff byte"), run)
    store.finish_run(RunStats(run, 10, 8, 1, 1, 3))
    store.merge_stories("s-aaa111", "s-bbb222")
    store.set_headline("s-aaa111", "Merged")
    out["outlets"] = store.put_outlets([Outlet("Outlet 0", aliases=("O0",), domains=("o0.example",),
                                               attributes={"lean": "left"})], imported_from="o.toml")
    out["list_outlets"] = store.list_outlets()
    out["outlet_counts"] = {k: {**v} for k, v in store.outlet_counts().items()}
    out["count_outlets"] = store.count_outlets()
    out["active"] = store.outlets_active_between(datetime(2031, 4, 2, tzinfo=UTC), datetime(2031, 4, 5, tzinfo=UTC))
    out["runs"] = [{k: v for k, v in r.items() if k not in {"started_at", "finished_at"}} for r in store.runs()]
    out["rejects"] = [{k: v for k, v in r.items() if k != "created_at"} for r in store.list_rejects(run)]
    out["has"] = (store.has_article("a-0001"), store.has_article("nope"))
    out["existing"] = store.existing_ids(["a-0001", "a-0005", "nope"])
    out["articles"] = list(store.iter_articles())
    out["story_articles"] = [a.id for a in store.iter_articles("s-aaa")]
    out["get_prefix"] = store.get_article("a-0006").id
    out["by_eid"] = store.ids_by_external_id([("Valley Post", "r1"), ("Outlet 0", "r1")])
    out["versions"] = [{k: v for k, v in ver.items() if k != "ingested_at"}
                       for ver in store.article_versions("a-0006")["versions"]]
    out["list_articles"] = store.list_articles()
    out["list_all"] = store.list_articles(all_versions=True, limit=5)
    out["stories"] = store.list_stories()
    out["stories_most"] = store.list_stories(order="most-covered", limit=1)
    out["stories_oldest"] = store.list_stories(order="oldest", source="outlet 1")
    out["stories_since"] = store.list_stories(since=datetime(2031, 4, 8, 12, tzinfo=UTC), min_sources=1)
    out["get_story"] = store.get_story("s-bbb222")  # an alias
    out["aliases"] = store.story_aliases("s-aaa111")
    out["counts"] = (store.count_articles(), store.count_stories(), store.count_stories(current=True))
    m = store.membership("a-0002")
    out["membership"] = {k: v for k, v in m.items() if k != "assigned_at"}
    out["date_only"] = store.date_only_ids(["a-0006", "a-0007", "a-0001"])
    out["heads"] = store.article_heads(["a-0007", "a-0001"])
    out["day_only"] = store.story_dates_day_only(["s-aaa111", "s-ccc333"])
    out["summaries"] = store.story_summaries(["s-aaa111", "s-ccc333"])
    out["current_ids"] = store.current_article_ids(source="OUTLET 0")
    out["briefs"] = store.article_briefs(["a-0007"], lead_chars=12)
    out["mentioning"] = store.stories_mentioning("dam gates")
    out["hits"] = [(h["id"], h["story_id"]) for h in store.fts_article_hits("dam", since=datetime(2031, 4, 1,
                                                                                                  tzinfo=UTC))]
    out["search"] = [(h["id"], h["story_id"], h["source"]) for h in store.search("body")]
    out["copy_origins"] = store.copy_origins(["a-0001"])
    out["embedding_models"] = store.embedding_models()
    out["generation"] = store.ingest_generation()[0]
    for bad in ("s-", "zz-nothing"):
        with pytest.raises(NotFound):
            store.resolve_story_id(bad)
    out.update(_exercise_runs_and_rejects(store, run))
    out.update(_exercise_stored_views(store))
    return out


def _runs(store) -> list[tuple]:
    return [(r["id"], r["state"], r["error"], r["seen"], r["accepted"], r["rejected"]) for r in store.runs()]


def _exercise_runs_and_rejects(store, first_run: int) -> dict:
    """Run states (a run left running reads interrupted once no one holds the ingest lock, and the next run records
    it so), progress per batch, rejects stored once per input and linked to each run that met them."""
    out: dict = {}
    bad = Rejected("f.jsonl:9", "ingest", "malformed-json", "bad \udcff byte")
    with store.ingest_lock():
        dead = store.start_run("ingest")
        store.add_reject(bad, dead)  # the input the first run stored: linked, not stored again
        for _ in range(2):  # one input met twice in a run: one row
            store.add_reject(Rejected("f.jsonl:3", "normalize", "empty-text", "no text"), dead, "h-3")
        store.add_reject(Rejected("f.jsonl:3", "normalize", "empty-text", "no text"), dead, "h-3b")  # changed record
        store.add_reject(Rejected("f.jsonl:4", "normalize", "too-long", "x" * 20_000), dead, "h-4")
        store.add_reject(Rejected("f.jsonl:4", "normalize", "too-long", "x" * 20_000), dead, "h-4")
        store.record_progress(RunStats(dead, 5, 1, 4, 0, 1))
        out["runs_while_held"] = _runs(store)[-1]
    out["runs_after_death"] = _runs(store)  # the lock is free: its process is gone
    with store.ingest_lock():
        nxt = store.start_run("ingest")  # records the dead run as interrupted in the store
        store.add_reject(Rejected("f.jsonl:3", "normalize", "empty-text", "no text"), nxt, "h-3")
        store.add_reject(Rejected("f.jsonl:5", "ingest", "bad-date", "31 Feb"), None)
        store.finish_run(RunStats(nxt, 2, 1, 1, 0, 0), error="interrupted")
    failed = store.start_run("watch")
    store.finish_run(RunStats(failed, 0, 0, 0, 0, 0), error="OSError: [Errno 28] No space left on device")
    out["runs_final"] = _runs(store)
    out["rejects_all"] = [{k: v for k, v in r.items() if k != "created_at"} for r in store.list_rejects()]
    out["rejects_first"] = [r["ref"] for r in store.list_rejects(first_run)]
    out["rejects_dead"] = [(r["ref"], r["reason"], r["run_id"]) for r in store.list_rejects(dead)]
    out["rejects_next"] = [(r["ref"], r["run_id"]) for r in store.list_rejects(nxt)]
    refs = {r["id"]: (r["ref"], r["detail"][:10]) for r in store.list_rejects()}
    out["reject_counts_dead"] = sorted((refs[i], n) for i, n in store.run_reject_counts(dead).items())
    return out


def _add_copy(store, article_id: str, origin_id: str) -> None:
    """A copy relation, as the copies detector writes it."""
    store.replace_copies([article_id, origin_id], [CopyOf(article_id, origin_id, "copy", 0.97)])


def _exercise_stored_views(store) -> dict:
    """Stored story views (storyline/store/views.py): the same fingerprints (they hash the same rows), the view
    read back as written (key order included), one live build claim per story across owners."""
    from storyline.store import views

    out: dict = {}
    fp = views.story_fingerprint(store, "s-aaa111", "salt")
    out["fp_unknown"] = views.story_fingerprint(store, "s-nothing", "salt")
    out["fp_salted"] = views.story_fingerprint(store, "s-aaa111", "other salt") != fp
    _add_copy(store, "a-0001", "a-0000")
    after_copy = views.story_fingerprint(store, "s-aaa111", "salt")
    out["fps"] = (fp, after_copy, views.story_fingerprint(store, "s-ccc333", "salt"))
    view = {"story_id": "s-aaa111", "zeta": 1, "alpha": [1.5, "Zürich \u2014 “quoted”"],
            "m": {"b": None, "a": True}, "big": 12345678901234567890}
    out["load_none"] = views.load_view(store, "s-aaa111")
    views.save_view(store, "s-aaa111", fp, view, 12.345)
    views.save_view(store, "s-aaa111", after_copy, {**view, "zeta": 2}, 3.0)  # the next version replaces it
    got = views.load_view(store, "s-aaa111")
    out["load"] = (got[0], got[1], list(got[1]), list(got[1]["m"]))
    out["built_at_is_utc_iso"] = datetime.fromisoformat(got[2]).utcoffset() == timedelta(0)
    out["with_view"] = views.with_stored_view(store, ["s-aaa111", "s-ccc333", "s-nothing"])
    claims = [views.claim(store, "s-aaa111", after_copy, "proc-a"),
              views.claim(store, "s-aaa111", after_copy, "proc-b"),  # a live claim of another owner
              views.claimed_elsewhere(store, "s-aaa111", after_copy, "proc-b"),
              views.claimed_elsewhere(store, "s-aaa111", after_copy, "proc-a"),
              views.claim(store, "s-aaa111", after_copy, "proc-a"),  # its owner renews it
              views.claim(store, "s-aaa111", "newer", "proc-b"),  # a newer version takes the story over
              views.claimed_elsewhere(store, "s-aaa111", after_copy, "proc-b")]
    views.release(store, "s-aaa111", "proc-a")  # not the owner any more: nothing happens
    claims.append(views.claimed_elsewhere(store, "s-aaa111", "newer", "proc-a"))
    views.release(store, "s-aaa111", "proc-b")
    claims.append(views.claimed_elsewhere(store, "s-aaa111", "newer", "proc-a"))
    out["claims"] = claims
    out.update(_exercise_stored_pages(store, after_copy))
    return out


def _exercise_stored_pages(store, fp: str) -> dict:
    """Stored story pages (migration 0302) and the lookups the API writer's view refresh makes."""
    from storyline.store import views

    out: dict = {"stored_fp": views.stored_fingerprint(store, "s-aaa111"),
                 "stored_fp_none": views.stored_fingerprint(store, "s-ccc333"),
                 "touched_by": views.stories_touched(store, ["a-0000", "a-0007", "a-nothing"]),
                 "page_none": views.load_page(store, "s-aaa111", "html")}
    body = "<h1>Zürich — “quoted”</h1>\x00".encode("utf-8")
    saved = [views.save_page(store, "s-aaa111", "html", "k1", body, 1.25),
             views.save_page(store, "s-aaa111", "json", "k1", b'{"a":1}', 0.5),
             views.save_page(store, "s-aaa111", "html", "k2", body + b"!", 2.0)]  # a newer render replaces it
    out["pages"] = (saved, views.load_page(store, "s-aaa111", "html"), views.load_page(store, "s-aaa111", "json"))
    with store.transaction():  # inside the writer's transaction: part of it
        out["page_in_tx"] = views.save_page(store, "s-ccc333", "html", "k3", b"x", 0.0)
    out["page_after_tx"] = views.load_page(store, "s-ccc333", "html")
    out["stored_fp_is_current"] = out["stored_fp"] == fp
    return out


def test_both_backends_give_the_same_records(tmp_path: Path, pg_url: str) -> None:
    with Store(tmp_path / "same.db") as lite, open_store(pg_url) as pg:
        a, b = _exercise(lite), _exercise(pg)
    assert a["touched"] == {"s-ccc333"} and a["counts"] == (8, 2, 2)
    dead = a["runs_while_held"][0]
    assert a["runs_while_held"] == (dead, "running", None, 5, 1, 4)
    assert a["runs_after_death"][-1][:2] == (dead, "interrupted") and "did not finish" in a["runs_after_death"][-1][2]
    assert [r[1] for r in a["runs_final"]] == ["finished", "interrupted", "interrupted", "failed"]
    assert len(a["rejects_all"]) == 5 and a["rejects_dead"][0] == ("f.jsonl:9", "malformed-json", dead)
    assert len(a["rejects_dead"]) == 4 and len(a["rejects_next"]) == 1
    assert a["fps"][0] != a["fps"][1] and a["fp_unknown"] is None and a["fp_salted"]
    assert a["load"][2] == ["story_id", "zeta", "alpha", "m", "big"] and a["load"][1]["zeta"] == 2
    assert a["with_view"] == {"s-aaa111"} and a["built_at_is_utc_iso"]
    assert a["claims"] == [True, False, True, False, True, True, False, True, False]
    assert a["stored_fp_is_current"] and a["stored_fp_none"] is None and a["page_none"] is None
    assert a["pages"][0] == [True, True, True] and a["pages"][1][0] == "k2" and a["pages"][1][1].endswith(b"!")
    assert a["page_in_tx"] and a["page_after_tx"] == ("k3", b"x")
    assert set(a["touched_by"]) >= {"s-aaa111"}
    for key in a:
        assert b[key] == a[key], key


@pytest.mark.backends("sqlite", "postgres")
@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(CHARS, min_size=1, max_size=50),
       text=st.text(CHARS, min_size=1, max_size=300),
       offset=st.one_of(st.none(), st.integers(-14 * 60, 14 * 60)), extra=st.dictionaries(
           st.text(CHARS, max_size=8),
           st.one_of(st.integers(-2**53, 2**53), st.booleans(), st.text(CHARS),
                     st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))))
def test_article_round_trips_on_each_backend(store, title, text, offset, extra) -> None:
    """(PostgreSQL text cannot hold NUL, and jsonb keeps numbers as numeric, so a float of 1e16 or more with no
    fraction would come back as an int: docs/postgres.md.)"""
    date = None if offset is None else datetime(2031, 4, 8, 9, 30, 15, 123456, tzinfo=timezone(timedelta(minutes=offset)))
    n = store.count_articles()
    a = art(n, title=title, text=text, date=date, extra=extra, warnings=("w1", "w2"), byline="By Someone")
    store.add_article(a)
    back = store.get_article(a.id)
    assert back == a
    assert back.date is None or (back.date.tzinfo is not None and back.date.utcoffset() == timedelta(0))


@pytest.mark.backends("sqlite", "postgres")
def test_a_search_snippet_marks_where_it_cuts_the_text_on_each_backend(store) -> None:
    filler = " ".join(f"word{i}" for i in range(40))
    store.add_articles([
        art(1, title="Middle", text=f"{filler} the harbour strike began. {filler}"),
        art(2, title="Opening", text=f"Harbour pilots walked out. {filler}"),
        art(3, title="Short", text="Harbour closed."),
    ])
    snips = {h["id"]: h["snippet"] for h in store.fts_article_hits("harbour")}
    assert snips["a-0001"].startswith("…") and snips["a-0001"].endswith("…") and "[harbour]" in snips["a-0001"]
    assert snips["a-0002"].startswith("[Harbour] pilots") and snips["a-0002"].endswith("…")
    assert snips["a-0003"] == "[Harbour] closed."
    assert {h["id"]: h["snippet"] for h in store.search("harbour")}["a-0001"].startswith("…")


# -- PostgreSQL's own parts --------------------------------------------------------------------------------------

def test_timestamps_are_timestamptz_and_come_back_aware(pg_url: str) -> None:
    with open_store(pg_url) as s:
        s.add_article(art(1, date=datetime(2031, 4, 8, 23, 30, tzinfo=timezone(timedelta(hours=-5)))))
        s.create_story("s-1", "T")
        s.add_membership(Assignment("a-0001", "s-1", 1.0, True))
        [story] = s.list_stories()
        assert story.first_seen == datetime(2031, 4, 9, 4, 30, tzinfo=UTC) and story.first_seen.tzinfo is not None
        assert s.list_stories(since=datetime(2031, 4, 9, 4, 30, tzinfo=UTC)) == [story]
        assert s.list_stories(since=datetime(2031, 4, 9, 4, 31, tzinfo=UTC)) == []
        assert s.list_articles()[0]["date"] == "2031-04-09T04:30:00+00:00"  # the SQLite store's dict contract
    with psycopg.connect(pg_url) as conn:
        types = dict(conn.execute("SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                                  "WHERE column_name IN ('date', 'ingested_at', 'started_at', 'extra', 'seq')"))
    assert types["articles.date"] == types["runs.started_at"] == "timestamp with time zone"
    assert types["articles.extra"] == "jsonb" and types["articles.seq"] == "bigint"


def test_full_text_search_ranks_title_matches_first_with_highlighted_snippets(pg_url: str) -> None:
    with open_store(pg_url) as s:
        s.add_articles([
            art(1, title="Council budget vote", text="The council met. A strike by dock workers was mentioned once."),
            art(2, title="Dock workers strike", text="Dock workers went on strike at the harbour on Monday; the "
                                                     "strikes closed three terminals."),
            art(3, title="Weather", text="Rain is expected on Tuesday."),
            art(4, title="Hafen", text="Dock workers struck.", lang="de"),
        ])
        hits = s.fts_article_hits("dock worker strikes", open_mark="<", close_mark=">")
        assert [h["id"] for h in hits] == ["a-0002", "a-0001"]  # title and text beat a passing mention; a-0004
        assert hits[0]["score"] > hits[1]["score"] > 0           # lacks "strike" (stemmed: struck is another word)
        assert "<Dock> <workers>" in hits[0]["snippet"] and "<strike>" in hits[0]["snippet"]
        assert [h["id"] for h in s.fts_article_hits("dock", lang="DE")] == ["a-0004"]
        assert [h["id"] for h in s.fts_article_hits("strike", source="outlet 2")] == ["a-0002"]
        assert s.fts_article_hits("dock or weather") == []  # "or" is a word here, never an operator
        assert [h["id"] for h in s.search("harbour terminals")] == ["a-0002"]
        assert "[" in s.search("harbour")[0]["snippet"]
        with pytest.raises(StorylineError, match="no words"):
            s.search("; --")
        assert s.search('"; DROP TABLE articles; --') == []
        assert s.count_articles() == 4
        with psycopg.connect(pg_url) as conn:
            conn.execute("SET enable_seqscan = off")
            plan = "\n".join(r[0] for r in conn.execute(
                "EXPLAIN SELECT id FROM articles WHERE search @@ websearch_to_tsquery('english', 'strike')"))
        assert "articles_search" in plan  # the GIN index answers the match


def test_the_ingest_lock_is_an_advisory_lock_other_sessions_wait_for(pg_url: str) -> None:
    with open_store(pg_url) as s, psycopg.connect(pg_url, autocommit=True) as other:
        def try_lock() -> bool:
            got = other.execute("SELECT pg_try_advisory_lock(%s)", (INGEST_LOCK_KEY,)).fetchone()[0]
            if got:
                other.execute("SELECT pg_advisory_unlock(%s)", (INGEST_LOCK_KEY,))
            return got

        with s.ingest_lock():
            assert not try_lock()
            with s.ingest_lock():  # re-entrant in this process
                assert not try_lock()
            assert not try_lock()
        assert try_lock()
        # the other way round: while another session holds it, the store's lock waits until it is released
        other.execute("SELECT pg_advisory_lock(%s)", (INGEST_LOCK_KEY,))
        entered = threading.Event()

        def ingest() -> None:
            with s.ingest_lock():
                entered.set()

        t = threading.Thread(target=ingest)
        t.start()
        assert not entered.wait(0.5)
        other.execute("SELECT pg_advisory_unlock(%s)", (INGEST_LOCK_KEY,))
        assert entered.wait(10)
        t.join(10)


def test_a_run_is_running_while_any_session_holds_the_advisory_lock_and_interrupted_once_its_process_dies(
        pg_url: str) -> None:
    """The advisory lock shows in pg_locks whichever process or machine holds it: a run of a live ingest elsewhere
    stays running; a killed ingest's session ends, its lock goes with it, and its run reads interrupted."""
    import signal

    with open_store(pg_url) as s, psycopg.connect(pg_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (INGEST_LOCK_KEY,))  # another machine's ingest
        run = s.start_run("ingest")
        s.record_progress(RunStats(run, 4, 3, 1, 0, 2))
        assert [(r["state"], r["seen"], r["error"]) for r in s.runs()] == [("running", 4, None)]
        other.execute("SELECT pg_advisory_unlock(%s)", (INGEST_LOCK_KEY,))
        assert [(r["state"], r["seen"]) for r in s.runs()] == [("interrupted", 4)]
        other.execute("SELECT pg_advisory_lock(%s)", (INGEST_LOCK_KEY + 1,))  # another key is not the ingest lock
        assert s.runs()[0]["state"] == "interrupted"

        code = ("import sys, time; from storyline.records import RunStats; from storyline.store import open_store; "
                "s = open_store(sys.argv[1]); lock = s.ingest_lock(); lock.__enter__(); r = s.start_run('ingest'); "
                "s.record_progress(RunStats(r, 7, 7, 0, 0, 3)); print(r, flush=True); time.sleep(120)")
        p = subprocess.Popen([sys.executable, "-c", code, pg_url], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
        try:
            killed = int(p.stdout.readline())
            assert {r["id"]: r["state"] for r in s.runs()} == {run: "interrupted", killed: "running"}
        finally:
            p.send_signal(signal.SIGKILL)
            p.wait(30)
            p.stdout.close()
        for _ in range(100):  # the server ends the session once it sees the client's socket close
            if s.runs()[-1]["state"] != "running":
                break
            threading.Event().wait(0.1)
        last = s.runs()[-1]
        assert (last["id"], last["state"], last["seen"], last["accepted"]) == (killed, "interrupted", 7, 7)
        assert "did not finish" in last["error"]
        with s.ingest_lock():
            again = s.start_run("ingest")
            assert {r["id"]: r["state"] for r in s.runs()} == {run: "interrupted", killed: "interrupted",
                                                               again: "running"}
    with psycopg.connect(pg_url) as conn:  # recorded in the store, not only shown so
        assert dict(conn.execute("SELECT id, state FROM runs").fetchall()) == {
            run: "interrupted", killed: "interrupted", again: "running"}


def test_a_view_build_claim_left_by_a_dead_process_expires_on_the_server_clock(pg_url: str) -> None:
    from storyline.store import views

    with open_store(pg_url) as s:
        s.create_story("s-1", "T")
        assert views.claim(s, "s-1", "fp", "dead-process")
        assert not views.claim(s, "s-1", "fp", "me") and views.claimed_elsewhere(s, "s-1", "fp", "me")
        with psycopg.connect(pg_url) as conn:
            conn.execute("UPDATE view_builds SET started = started - make_interval(secs => %s)",
                         (views.CLAIM_STALE_S + 1,))
        assert not views.claimed_elsewhere(s, "s-1", "fp", "me") and views.claim(s, "s-1", "fp", "me")
        views.release(s, "s-1", "me")
        with psycopg.connect(pg_url) as conn:
            assert conn.execute("SELECT count(*) FROM view_builds").fetchone()[0] == 0
            # a writer holding the claim's row: the claim gives up after CLAIM_BUSY_MS instead of waiting
            conn.execute("INSERT INTO view_builds VALUES ('s-1', 'fp', 'writer', now())")
            conn.commit()
            conn.execute("SELECT * FROM view_builds WHERE story_id = 's-1' FOR UPDATE")
            t0 = __import__("time").monotonic()
            assert not views.claim(s, "s-1", "fp2", "me")
            assert __import__("time").monotonic() - t0 < 5
            conn.rollback()
        assert views.claim(s, "s-1", "fp2", "me")


def test_a_postgres_database_of_the_old_schema_is_upgraded_as_the_sqlite_one(pg_url: str) -> None:
    """Migration 0005 on a database written before it: closed runs finished, an open one interrupted, repeated
    rejects kept with the first of each input as its row, which later runs link to."""
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL)")
        for name, sql in pg_migrations():
            if name >= "0005":
                break
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations VALUES (%s, now())", (name,))
        for run in (1, 2):
            conn.execute("INSERT INTO runs(id, command, started_at, finished_at, seen, rejected) "
                         "VALUES (%s, 'ingest', '2026-01-01', '2026-01-01', 1, 1)", (run,))
            conn.execute("INSERT INTO rejects(run_id, ref, stage, reason, detail, created_at) VALUES (%s, 'a.jsonl:1', "
                         "'ingest', 'malformed-json', 'Expecting value (column 1)', '2026-01-01')", (run,))
        conn.execute("INSERT INTO runs(id, command, started_at) VALUES (3, 'ingest', '2026-01-02')")  # killed
        conn.execute("INSERT INTO runs(id, command, started_at, finished_at, error) "
                     "VALUES (4, 'ingest', '2026-01-03', '2026-01-03', 'OSError: disk full')")
        conn.execute("SELECT setval('runs_id_seq', 4)")
    with open_store(pg_url) as s:
        assert s.applied_on_open[0] == "0005_runs_state"
        assert [r["state"] for r in s.runs()] == ["finished", "finished", "interrupted", "failed"]
        assert [len(s.list_rejects(run_id=r)) for r in (1, 2)] == [1, 1]
        s.add_reject(Rejected("a.jsonl:1", "ingest", "malformed-json", "Expecting value (column 1)"), 3)
        assert len(s.list_rejects()) == 2  # the two old rows; the new run links the first
        assert s.list_rejects(run_id=3)[0]["id"] == s.list_rejects(run_id=1)[0]["id"]
        assert s.start_run("ingest") == 5


def test_a_long_reject_detail_is_stored_once(pg_url: str) -> None:
    """The unique index holds md5 of ref and detail: a detail far over a btree entry's 2.7 kB limit is stored."""
    with open_store(pg_url) as s:
        run = s.start_run("ingest")
        long = Rejected("f.jsonl:1" + "/x" * 5000, "ingest", "malformed-json", "\x00 and more " * 4000)
        for _ in range(3):
            s.add_reject(long, run, "h")
        assert len(s.list_rejects()) == 1 and len(s.list_rejects(run)) == 1
        with psycopg.connect(pg_url) as conn:
            assert conn.execute("SELECT n FROM run_rejects").fetchone()[0] == 3


def test_migrations_are_applied_once_when_many_processes_open_a_new_database(pg_url: str) -> None:
    code = ("import sys; from storyline.store import open_store; s = open_store(sys.argv[1]); "
            "print(len(s.applied_on_open)); s.close()")
    procs = [subprocess.Popen([sys.executable, "-c", code, pg_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
             for _ in range(4)]
    counts = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        counts.append(int(out))
    n = len(pg_migrations())
    assert sorted(counts) == [0, 0, 0, n]  # one process applied them all, the others waited and found them done
    with psycopg.connect(pg_url) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM schema_migrations")]
    assert sorted(names) == [m for m, _ in pg_migrations()]
    with open_store(pg_url) as s:
        assert s.migrate() == [] and s.applied_on_open == []


def test_a_transaction_is_all_or_nothing_and_other_threads_see_only_commits(pg_url: str) -> None:
    with open_store(pg_url) as s:
        seen_inside: list[int] = []
        with pytest.raises(RuntimeError):
            with s.transaction():
                s.add_article(art(1))
                t = threading.Thread(target=lambda: seen_inside.append(s.count_articles()))
                t.start()
                t.join()
                assert s.count_articles() == 1  # this thread reads its own transaction
                raise RuntimeError("stop")
        assert seen_inside == [0] and s.count_articles() == 0
        with s.transaction():
            s.add_article(art(2))
            with pytest.raises(psycopg.IntegrityError):
                with s.transaction():  # a nested block is a savepoint: only it is undone
                    s.add_article(art(2))
        assert s.count_articles() == 1


def test_raw_sqlite_sql_is_refused_with_the_statement_that_needs_a_store_method(pg_url: str) -> None:
    with open_store(pg_url) as s:
        with pytest.raises(NeedsStoreMethod, match=r"query\(\).*SELECT rowid FROM articles.*needs a store method"):
            s.query("SELECT rowid FROM articles")
        with pytest.raises(NeedsStoreMethod, match=r"execute\(\)"):
            s.execute("INSERT OR REPLACE INTO stories VALUES (1)")
        with pytest.raises(NeedsStoreMethod, match="no `conn`"):
            s.conn.executemany("SELECT 1", [])


def test_an_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StorylineError, match=r"cannot connect to PostgreSQL at 'postgresql://u:\*\*\*@127\.0\.0\.1"):
        PostgresStore(f"postgresql://u:secret@127.0.0.1:{port}/news")


@pytest.mark.slow  # 14 runs of the CLI
def test_the_listing_commands_read_postgres_as_they_read_sqlite(tmp_path: Path, pg_url: str) -> None:
    """The CLI's read commands that go through store methods only give the same JSON on both backends (the
    moments of writing and the search scores, which each backend computes its own way, aside)."""
    lite = str(tmp_path / "same.db")
    for db in (lite, pg_url):
        with open_store(db) as s:
            _exercise(s)

    def read(db: str, *args: str):
        p = _cli(tmp_path, "--db", db, *args, "--format", "json")
        assert p.returncode == 0, p.stderr
        rows = json.loads(p.stdout)
        for r in rows if isinstance(rows, list) else [rows]:
            for k in ("started_at", "finished_at", "created_at", "score"):
                r.pop(k, None)
            for a in r.get("articles", []) if isinstance(r.get("articles"), list) else []:
                a.pop("score", None)
                a.pop("snippet", None)
        return rows

    for args in (["stories"], ["articles"], ["runs"], ["rejects"], ["outlets"], ["search", "dam gates"],
                 ["explain", "a-0001"]):
        assert read(pg_url, *args) == read(lite, *args), args


def _embedded_store(url: str, dim: int = 8):
    rng = np.random.default_rng(7)
    s = open_store(url)
    s.add_articles([art(i, source="Valley Post" if i < 2 else f"Outlet {i % 3}", external_id="r" if i < 2 else None)
                    for i in range(12)])
    s.supersede_versions([art(1, source="Valley Post", external_id="r")])  # a-0000 is an old version
    vecs = {f"a-{i:04d}": rng.normal(size=dim).astype(np.float32) for i in range(12)}
    s.add_embeddings("m", list(vecs.items()))
    vecs["a-0005"] = -vecs["a-0005"]
    s.add_embeddings("m", [("a-0005", vecs["a-0005"])])  # replaced
    return s, vecs, rng.normal(size=dim).astype(np.float32)


def _brute_force(vecs, q, allowed):
    scored = []
    for aid, v in vecs.items():
        v16 = v.astype(np.float16).astype(np.float32)
        if aid in allowed:
            scored.append((aid, float(v16 @ q / (np.linalg.norm(v16) * np.linalg.norm(q)))))
    return sorted(scored, key=lambda t: -t[1])


def test_nearest_articles_rank_current_articles_by_cosine(pg_url: str) -> None:
    s, vecs, q = _embedded_store(pg_url)
    with s:
        assert not s.has_pgvector()  # the test server has no pgvector: the exact numpy path
        assert s.embedding_models() == {"m": 12}
        want = _brute_force(vecs, q, s.current_article_ids())
        got = s.nearest_articles("m", q, limit=5)
        assert [a for a, _ in got] == [a for a, _ in want[:5]] and "a-0000" not in dict(got)
        assert np.allclose([x for _, x in got], [x for _, x in want[:5]], atol=1e-5)
        only = s.nearest_articles("m", q, limit=20, source="outlet 2")
        assert {a for a, _ in only} == s.current_article_ids(source="Outlet 2")
        assert s.nearest_articles("other", q) == []


def test_nearest_articles_with_pgvector_match_the_exact_ranking(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone():
            pytest.skip("the server has no pgvector extension (Debian: postgresql-NN-pgvector)")
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    s, vecs, q = _embedded_store(pg_url)
    with s:
        assert s.has_pgvector()
        want = _brute_force(vecs, q, s.current_article_ids())
        got = s.nearest_articles("m", q, limit=5)
        assert [a for a, _ in got] == [a for a, _ in want[:5]]
        assert np.allclose([x for _, x in got], [x for _, x in want[:5]], atol=1e-4)


@pytest.mark.backends("sqlite", "postgres")
def test_versions_through_the_store_methods(store) -> None:
    """docs/versions.md's rule on each backend: the last to arrive is current, except a version dated before the
    current one, which arrives already superseded; another outlet's record with the same id is not a version."""
    def arrive(i: int, date: datetime | None, source: str = "Valley Post") -> str:
        a = art(i, source=source, external_id="dam-1", date=date)
        store.add_article(a)
        store.supersede_versions([a])
        return a.id

    day = datetime(2031, 4, 8, 12, tzinfo=UTC)
    v1, v2, v3 = arrive(1, day), arrive(2, day), arrive(3, day + timedelta(hours=1))
    late = arrive(4, day - timedelta(days=1))  # an older version arriving late
    undated = arrive(5, None)
    other = arrive(6, day, source="River Times")
    chain = [store.article_versions(v)["superseded_by"] for v in (v1, v2, v3, late, undated, other)]
    assert chain == [v2, v3, undated, v3, None, None]
    assert {store.article_versions(v)["current_version"] for v in (v1, v2, v3, late)} == {undated}
    assert [v["id"] for v in store.article_versions(v1)["versions"]] == [v1, v2, v3, late, undated]
    assert [r["id"] for r in store.list_articles()] == [other, undated]  # current only: dated first, then arrival
    assert len(store.list_articles(all_versions=True)) == 6


# -- feeds, raw pages and listings (the web ingest's and the API's store methods) ----------------------------------

def _exercise_feeds_pages_and_listings(store) -> dict:
    """Feeds and fetch state, raw pages, keyset listings and the serving lookups, through the public methods."""
    from storyline.records import FeedPoll

    out: dict = {}
    t0 = datetime(2031, 4, 8, 9, tzinfo=UTC)
    feeds = ["https://b.example/feed.rss", "https://a.example/atom.xml"]
    store.add_feeds(feeds, t0)
    store.add_feeds(feeds[:1], t0 + timedelta(hours=1))  # known already: left as it is
    out["feed_urls"] = store.feed_urls()
    out["state_new"] = store.feed_state(feeds[0])
    out["state_unknown"] = store.feed_state("https://nowhere.example/feed")
    run = store.start_run("watch")
    store.add_articles([art(i) for i in range(5)], run)
    store.finish_run(RunStats(run, 5, 5, 0, 0, 0))
    with store.transaction():
        store.record_feed_polls([
            FeedPoll(feeds[0], "ok", t0, t0 + timedelta(minutes=10), 0, title="B feed", etag='"e1"',
                     last_modified="Tue, 08 Apr 2031 08:00:00 GMT", entries=(("k1", "https://b.example/1"),
                                                                             ("k2", None)), run_id=run),
            FeedPoll(feeds[1], "error", t0, t0 + timedelta(minutes=20), 1, error="http-error: 503",
                     entries=(("k9", None),), run_id=run)])
    store.record_feed_polls([FeedPoll(feeds[0], "error", t0 + timedelta(minutes=10), t0 + timedelta(minutes=30), 1,
                                      error="timeout: no answer", entries=(("k1", "https://b.example/1"),))])
    store.record_feed_polls([FeedPoll(feeds[0], "not-modified", t0 + timedelta(minutes=40),
                                      t0 + timedelta(minutes=50), 0, etag='"e1"')])
    out["states"] = [store.feed_state(u) for u in feeds]
    out["keys"] = [store.feed_entry_keys(u) for u in feeds]
    out["entry_counts"] = (store.count_feed_entries(), store.count_feed_entries(feeds[0]),
                           store.count_feed_entries("https://nowhere.example/feed"))
    body = "<html><body>Zürich \u2014 a page</body></html>".encode() * 20
    store.put_raw_page("k-page", body, "https://b.example/1", "https://b.example/1", "text/html")
    store.put_raw_page("k-page", b"other bytes", "again")  # the same key: kept once, as first written
    page = store.get_raw_page("k-page")
    out["page"] = (page.key, page.url, page.ref, page.content_type, page.size, page.body)
    out["page_stored_at_is_utc_iso"] = datetime.fromisoformat(page.stored_at).utcoffset() == timedelta(0)
    out["page_none"] = store.get_raw_page("k-nothing")
    out["pages"] = store.count_raw_pages()
    with pytest.raises(__import__("zlib").error):
        store.put_raw_page("k-bad", b"x", "r", level=99)
    # listings: five stories, one of them undated, two covered by two outlets
    with store.transaction():
        store.add_articles([art(i, date=None if i in (8, 9) else datetime(2031, 4, 1 + i % 4, 12 + i, tzinfo=UTC))
                            for i in range(5, 12)], run)
        store.create_stories([(f"s-{c}{c}{c}000", f"Story {c}") for c in "abcde"])
        plan = {"s-aaa000": [0, 1, 2], "s-bbb000": [3, 4], "s-ccc000": [5, 6, 7], "s-ddd000": [8, 9],
                "s-eee000": [10, 11]}
        store.add_memberships([Assignment(f"a-{i:04d}", sid, 1.0, n == 0)
                               for sid, ids in plan.items() for n, i in enumerate(ids)])
    for order in ("latest", "most-covered", "oldest"):
        pages, after = [], None
        while True:
            rows = store.story_listing(order=order, limit=2, after=after)
            pages.append(rows)
            if len(rows) < 2:
                break
            after = rows[-1].key
        assert all(datetime.fromisoformat(r.updated_at).utcoffset() == timedelta(0) for p in pages for r in p)
        out[f"listing_{order}"] = [[replace(r, updated_at="") for r in p] for p in pages]  # the time of writing
        assert [r.id for p in pages for r in p] == [r.id for r in store.story_listing(order=order, limit=50)]
    out["listing_filtered"] = [r.id for r in store.story_listing(
        limit=10, query="body", since=datetime(2031, 4, 2, tzinfo=UTC), source="OUTLET 2", min_sources=2)]
    out["listing_until"] = [r.id for r in store.story_listing(limit=10, order="oldest",
                                                              until=datetime(2031, 4, 2, 23, tzinfo=UTC))]
    with pytest.raises(StorylineError, match="order must be one of"):
        store.story_listing(order="random", limit=1)
    with pytest.raises(StorylineError, match="has no words"):
        store.story_listing(limit=1, query="!!")
    out["versions"] = {k: v[1] for k, v in store.story_versions(["s-aaa000", "s-ddd000", "s-zzz"]).items()}
    out["versions_utc"] = all(datetime.fromisoformat(v[0]).utcoffset() == timedelta(0)
                              for v in store.story_versions(["s-aaa000"]).values())
    out["dates"] = {k: sorted(v) for k, v in store.story_article_dates(["s-ddd000", "s-aaa000", "s-zzz"]).items()}
    first = store.article_listing(limit=4)
    out["articles"] = [(r.id, r.story_id, r.source, r.title, r.date, r.lang, r.byline, r.url) for r in first]
    out["articles_next"] = [r.id for r in store.article_listing(limit=4, after=first[-1].seq)]
    out["articles_story"] = [r.id for r in store.article_listing(limit=9, story_id="s-ccc000", source="outlet 0")]
    out["arrival_increases"] = all(a.seq < b.seq for a, b in zip(first, first[1:]))
    v1 = store.listing_version()
    store.set_headline("s-aaa000", "Story a, renamed")
    out["version_changes"] = store.listing_version() != v1
    out["current"] = store.count_current_articles()
    out["stories_of"] = store.story_ids_of(["a-0001", "a-0009", "nope"])
    out["embeddings_none"] = store.embedding_version("m")
    store.add_embeddings("m", [("a-0001", np.ones(4, dtype=np.float16))]) if hasattr(store, "add_embeddings") \
        else store.execute("INSERT INTO article_embeddings(article_id, model, vector) VALUES (?,?,?)",
                           ("a-0001", "m", np.ones(4, dtype=np.float16).tobytes()))
    n, last = store.embedding_version("m")
    out["embeddings_one"] = (n, last is not None)
    return out


def test_feeds_pages_and_listings_are_the_same_on_both_backends(tmp_path: Path, pg_url: str) -> None:
    with Store(tmp_path / "same.db") as lite, open_store(pg_url) as pg:
        a, b = _exercise_feeds_pages_and_listings(lite), _exercise_feeds_pages_and_listings(pg)
    assert a["feed_urls"] == sorted(a["feed_urls"]) and a["state_unknown"] is None
    assert a["state_new"].failures == 0 and a["state_new"].last_polled is None
    ok, failed = a["states"]
    assert (ok.title, ok.etag, ok.last_status, ok.failures, ok.last_error) == ("B feed", '"e1"', "not-modified", 0,
                                                                            None)
    assert (failed.title, failed.etag, failed.failures, failed.last_error) == (None, None, 1, "http-error: 503")
    assert a["keys"] == [{"k1", "k2"}, {"k9"}] and a["entry_counts"] == (3, 2, 0)
    assert a["page"][4] == a["page"][5].__len__() and a["page"][2] == "https://b.example/1" and a["pages"] == 1
    assert a["page_stored_at_is_utc_iso"] and a["page_none"] is None
    assert [[r.id for r in p] for p in a["listing_latest"]] == [["s-bbb000", "s-eee000"], ["s-ccc000", "s-aaa000"],
                                                                ["s-ddd000"]]
    assert [r.id for p in a["listing_oldest"] for r in p] == ["s-ddd000", "s-aaa000", "s-ccc000", "s-eee000",
                                                              "s-bbb000"]  # a story without a date sorts first
    assert a["listing_filtered"] == ["s-eee000", "s-ccc000", "s-aaa000"]
    assert a["listing_until"] == ["s-aaa000", "s-ccc000"]
    assert a["versions"] == {"s-aaa000": 3, "s-ddd000": 2} and a["versions_utc"]
    assert list(a["dates"]) == ["s-aaa000"] and a["version_changes"] and a["arrival_increases"]
    assert a["stories_of"] == {"a-0001": "s-aaa000", "a-0009": "s-ddd000"}
    assert a["embeddings_none"] == (0, None) and a["embeddings_one"] == (1, True)


# -- the ingest queue (migration 0007, docs/worker.md) -------------------------------------------------------------

def _queue_scenario(store) -> dict:
    """Writers queue two runs; a worker takes them in arrival order, marks a batch done inside its transaction (a
    rolled-back one stays pending), resumes a run with its committed counts, and closes the finished runs."""
    from storyline.records import Origin, RawItem

    out: dict = {}
    gen0 = store.ingest_generation()
    odd = RawItem(Origin("api", 2), text="NUL \x00 and a lone \udcff surrogate, ünïcode", title="Odd",
                  date="2031-04-02", source="S", extra={"n": 1.5, "nested": {"k": [1, "x"]}})
    first = store.enqueue_ingest([RawItem(Origin("api", 1), text="One.", title="T1", source="S"), odd,
                                  Rejected("api:3", "ingest", "malformed-json", "bad")], command="api ingest")
    second = store.enqueue_ingest([RawItem(Origin("f.jsonl", i), text=f"Body {i}.") for i in range(1, 5)],
                                  command="ingest --queue")
    out["generation_unchanged"] = store.ingest_generation() == gen0  # nothing stored yet: no restore needed
    empty = store.enqueue_ingest([], command="api ingest")
    out["ids_ascend"] = first < second < empty
    out["depth"] = store.ingest_queue_depth()
    out["states"] = [store.get_run(r)["state"] for r in (first, second, empty)]
    out["empty_run"] = {k: store.get_run(empty)[k] for k in ("state", "seen", "queued")}
    nxt = store.next_queued_run()
    out["next"] = (nxt[0] == first, nxt[1])
    page = store.queued_items(first, 0, 2)
    out["page"] = [item for _, item in page]
    out["rest"] = [item for _, item in store.queued_items(first, page[-1][0], 10)]
    out["begun"] = store.begin_queued_run(first) == RunStats(first, 0, 0, 0, 0, 0)
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.mark_ingested([page[0][0]])
            raise RuntimeError("the batch did not commit")
    out["after_rollback"] = store.get_run(first)["queued"]
    with store.transaction():
        store.record_progress(RunStats(first, 2, 2, 0, 0, 1))
        store.mark_ingested([s for s, _ in page])
    out["after_commit"] = store.get_run(first)["queued"]
    resumed = store.begin_queued_run(first)  # the worker died after that commit; a new one resumes the run
    out["resumed"] = (resumed.seen, resumed.accepted, resumed.new_stories)
    with store.transaction():
        store.mark_ingested([s for s, _ in store.queued_items(first)])
    out["closed"] = [r == first for r in store.close_queued_runs()]
    run = store.get_run(first)
    out["first"] = {k: run[k] for k in ("state", "seen", "queued", "error", "command")}
    out["finished_at_iso"] = isinstance(run["finished_at"], str) and run["finished_at"].endswith("+00:00")
    out["next_after"] = store.next_queued_run() == (second, "ingest --queue")
    out["depth_after"] = store.ingest_queue_depth()
    out["missing"] = store.get_run(10_000)
    return out


def test_the_ingest_queue_gives_the_same_answers_on_both_backends(tmp_path: Path, pg_url: str) -> None:
    with Store(tmp_path / "q.db") as lite, open_store(pg_url) as pg:
        a, b = _queue_scenario(lite), _queue_scenario(pg)
    assert a["ids_ascend"] and a["generation_unchanged"] and a["begun"] and a["finished_at_iso"]
    assert a["depth"] == {"runs": 2, "items": 7} and a["states"] == ["queued", "queued", "finished"]
    assert a["empty_run"] == {"state": "finished", "seen": 0, "queued": 0}
    assert a["next"] == (True, "api ingest")
    assert a["page"][1].text.startswith("NUL \x00 and a lone \udcff") and a["page"][1].extra["nested"] == {"k": [1, "x"]}
    assert a["rest"] == [Rejected("api:3", "ingest", "malformed-json", "bad")]
    assert (a["after_rollback"], a["after_commit"], a["resumed"]) == (3, 1, (2, 2, 1))
    assert a["closed"] == [True] and a["first"]["state"] == "finished" and a["first"]["queued"] == 0
    assert a["next_after"] and a["depth_after"] == {"runs": 1, "items": 4} and a["missing"] is None
    for key in a:
        assert b[key] == a[key], key


def test_the_api_listings_read_postgres_as_they_read_sqlite(tmp_path: Path, pg_url: str) -> None:
    """The JSON API's listings (keyset pages of stories and articles, with their cursors) come from store methods,
    so the same data gives the same answers on both backends, and a cursor of another listing is refused on both."""
    from fastapi.testclient import TestClient

    from storyline.api import create_app
    from storyline.settings import Settings

    lite = str(tmp_path / "same.db")
    for db in (lite, pg_url):
        with open_store(db) as s:
            _exercise_feeds_pages_and_listings(s)
    settings = Settings().with_overrides({"web.prewarm_stories": "0"})

    def pages(client, path: str) -> list:
        out, url = [], path
        while url:
            body = client.get(url).json()
            assert "error" not in body, body
            rows = body.get("stories", body.get("articles"))
            out.append([{k: v for k, v in r.items() if k != "updated_at"} for r in rows])
            url = f"{path}&cursor={body['next_cursor']}" if body.get("next_cursor") else None
        return out

    answers = []
    for db in (lite, pg_url):
        with TestClient(create_app(db, settings)) as c:
            got = {path: pages(c, path) for path in (
                "/api/stories?limit=2", "/api/stories?limit=3&order=most-covered", "/api/stories?limit=2&order=oldest",
                "/api/stories?limit=2&query=body&min_sources=2", "/api/stories?limit=2&source=outlet%201",
                "/api/articles?limit=4", "/api/articles?limit=2&story=s-ccc000",
                "/api/articles?limit=5&source=OUTLET%202")}
            bad = c.get("/api/stories?limit=2&order=oldest&cursor="
                        + c.get("/api/stories?limit=2").json()["next_cursor"])
            got["reused cursor"] = (bad.status_code, bad.json()["error"]["code"])
            answers.append(got)
    assert answers[0]["reused cursor"] == (422, "invalid-cursor")
    assert len(answers[0]["/api/stories?limit=2"]) == 3 and len(answers[0]["/api/articles?limit=4"]) > 1
    for key in answers[0]:
        assert answers[1][key] == answers[0][key], key


def test_a_running_queued_run_reads_interrupted_once_no_session_holds_the_lock(pg_url: str) -> None:
    with open_store(pg_url) as s:
        run = s.enqueue_ingest([Rejected("api:1", "ingest", "malformed-json", "x")])
        with s.ingest_lock():
            s.begin_queued_run(run)
            assert s.get_run(run)["state"] == "running"
        got = s.get_run(run)
        assert (got["state"], got["queued"]) == ("interrupted", 1) and "did not finish" in got["error"]


def test_a_run_that_ends_between_reading_its_row_and_the_lock_reads_finished_not_interrupted(
        tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`get_run` (and `runs`) reads the run's row, then whether any process holds the ingest lock. A worker that
    closes the run and lets go of the lock between those two reads must not make a finished run read `interrupted`
    (a `POST /api/ingest?wait=true` would answer 503 ingest-interrupted for a run that finished). The worker here is
    a real second store on a thread; the first lock check of the reading store waits until it has finished."""
    import storyline.store.lock as sqlite_lock

    for db, method in [(str(tmp_path / "race.db"), "get_run"), (pg_url, "get_run"), (str(tmp_path / "race.db"), "runs"),
                       (pg_url, "runs")]:
        with open_store(db) as reader:
            run = reader.enqueue_ingest([Rejected("api:1", "ingest", "malformed-json", "x")])
            started, go, done = threading.Event(), threading.Event(), threading.Event()

            def worker() -> None:
                with open_store(db) as w:
                    with w.ingest_lock():
                        w.begin_queued_run(run)
                        started.set()
                        go.wait(30)
                        w.mark_ingested([seq for seq, _ in w.queued_items(run)])
                        assert w.close_queued_runs() == [run]
                done.set()

            t = threading.Thread(target=worker)
            t.start()
            assert started.wait(30)
            calls: list[bool] = []

            def finish_first(check):
                def hooked(*args):
                    if not calls:  # the row said `running`: the worker ends the run and lets go right now
                        go.set()
                        assert done.wait(30)
                    calls.append(True)
                    return check(*args)
                return hooked

            if isinstance(reader, PostgresStore):
                monkeypatch.setattr(reader, "_ingest_lock_held", finish_first(reader._ingest_lock_held))
            else:
                monkeypatch.setattr(sqlite_lock, "is_held", finish_first(sqlite_lock.is_held))
            got = reader.get_run(run) if method == "get_run" else dict(reader.runs()[-1], queued=0)
            monkeypatch.undo()
            go.set()
            t.join(30)
            assert calls, f"{db} {method}: the lock was never checked"
            assert (got["id"], got["state"], got["queued"], got["error"]) == (run, "finished", 0, None), (db, got)


# -- the pipeline's state (copies stage, clusterer restore, headlines, view caches, evaluation) ---------------------

def _exercise_pipeline_state(store) -> dict:
    """The store methods the copies stage, the clusterer's restore, the headline, the story view's entity cache,
    `explain` and the evaluation use, one scenario; everything they read back."""
    out: dict = {}
    with store.transaction():
        store.add_articles([art(i, date=None if i == 4 else datetime(2031, 4, 9 - i % 3, 12, tzinfo=UTC),
                                external_id="e1" if i in (2, 5) else None, source="Wire" if i in (2, 5) else
                                f"Outlet {i % 3}", title_derived=i == 1) for i in range(7)])
        store.create_stories([("s-one", "Title 0"), ("s-two", "Title 3")])
        store.add_memberships([Assignment(f"a-{i:04d}", "s-one" if i < 3 else "s-two", 1.0, i in (0, 3))
                               for i in (1, 0, 2, 3, 4, 5, 6)])
    store.supersede_versions([art(5, source="Wire", external_id="e1")])  # a-0002 is an older version of a-0005
    out["first"] = (store.first_member("s-one"), store.first_member("s-two"), store.first_member("s-none"))
    out["titles"] = (store.story_titles("s-one"), store.story_titles("s-two"), store.story_titles("s-none"))
    many = store.stories_titles(["s-two", "s-none", "s-one", "s-two"])  # one read for many; absent ones left out
    assert many == {"s-one": out["titles"][0], "s-two": out["titles"][1]}, many
    assert store.stories_titles([]) == {}
    out["members"] = [(a, sid) for a, sid in store.current_members()]
    out["story_of"] = store.story_of_articles()
    out["external"] = store.external_ids()
    store.merge_stories("s-one", "s-two")
    out["aliases"] = (store.alias_map(), store.count_aliases())

    def sig(i: int, h: str) -> CopySignature:
        return CopySignature(f"a-{i:04d}", h, 4, 1, 3, np.arange(4 * i, 4 * i + 4, dtype="<u4").tobytes())

    with store.transaction():
        store.put_copy_signatures([sig(i, "h-same" if i in (1, 3) else f"h-{i}") for i in range(6)])
        store.put_copy_signatures([sig(1, "h-same")])  # replaced: it arrives anew, after the others
        store.put_copy_signatures([CopySignature("a-0006", "h-6", 8, 1, 3, bytes(32))])  # other parameters
    pages, last = [], -1
    while (page := store.copy_signature_page(4, 1, 3, last, 4)) is not None:
        pages.append((page.article_ids, np.frombuffer(page.signatures, dtype="<u4").tolist()))
        last = page.last
    out["pages"] = pages
    out["same_body"] = store.ids_by_body_hash(["h-same", "h-4", "h-none", "h-same"])
    out["mates"] = (store.newest_story_mates("a-0000", 3), store.newest_story_mates("a-0006", 10),
                    store.newest_story_mates("a-none", 3))
    out["arrivals"] = sorted((a.id, a.date, a.source, a.external_id) for a in store.article_arrivals(
        ["a-0000", "a-0004", "a-0005", "a-none"]))
    seqs = {a.id: a.seq for a in store.article_arrivals([f"a-{i:04d}" for i in range(7)])}
    out["arrival_order"] = sorted(seqs, key=seqs.get)
    with store.transaction():
        store.put_copy_pair(CopyPair("a-0000", "a-0001", "copy", 0.9, 0.95, 0.9, "minhash"))
        store.put_copy_pair(CopyPair("a-0001", "a-0003", "rewrite", 0.5, 0.6, 0.7, "dense"))
        store.put_copy_pair(CopyPair("a-0000", "a-0001", "rewrite", 0.8, 0.85, 0.8, "dense"))  # replaced
        store.replace_sentence_alignments("a-0000", "a-0001", [
            SentenceAlignment("a-0000", "a-0001", 0, 0, 0, 10, 0, 12, 0.9, None, "lexical"),
            SentenceAlignment("a-0000", "a-0001", 1, 2, 11, 20, 30, 40, 0.7, 0.8, "lexical")])
        store.replace_sentence_alignments("a-0000", "a-0001", [  # replaced
            SentenceAlignment("a-0000", "a-0001", 1, 1, 11, 20, 13, 25, 0.75, 0.5, "dense")])
        store.replace_sentence_alignments("a-0001", "a-0003", [
            SentenceAlignment("a-0001", "a-0003", 0, 0, 0, 5, 0, 5, 1.0, None, "lexical")])
        store.replace_copies(["a-0000", "a-0001", "a-0003"], [CopyOf("a-0001", "a-0000", "copy", 0.8),
                                                             CopyOf("a-0003", "a-0000", "rewrite", 0.5)])
        store.replace_copies(["a-0005", "a-0002"], [CopyOf("a-0005", "a-0002", "copy", 1.0)])  # its own version
        store.replace_copies(["a-0006", "a-0004"], [CopyOf("a-0006", "a-0004", "copy", 0.99)])
        store.replace_copies(["a-0006", "a-0004"], [CopyOf("a-0004", "a-0006", "rewrite", 0.6)])  # replaced
    out["n_pairs"] = store.count_copy_pairs()
    out["pairs"] = [sorted(store.copy_pairs_of(x), key=lambda p: (p.article_a, p.article_b))
                    for x in ("a-0001", "a-0003", "a-0005")]
    out["alignments"] = (store.sentence_alignments_among(["a-0003", "a-0001", "a-0000"]),
                         store.sentence_alignments_among(["a-0000", "a-0001"]),
                         store.sentence_alignments_among(["a-0001"]))
    out["story_copies"] = store.story_copies("s-one")
    out["all_copies"] = store.all_copies()
    out["copies_of"] = store.copies_of_articles(["a-0005", "a-0004", "a-0003", "a-0001", "a-0000"])

    out["entities_none"] = store.article_entities("a-0000", "spacy")
    store.put_article_entities("a-0000", "spacy", json.dumps([["Zürich", "GPE", 0, 6]]))
    store.put_article_entities("a-0000", "spacy", json.dumps([["Valley Post", "ORG", 3, 14]]))  # replaced
    store.put_article_entities("a-0000", "rules", "[]")
    out["entities"] = [json.loads(store.article_entities("a-0000", m)) for m in ("spacy", "rules")]

    store.add_embeddings("m", [("a-0000", np.array([0.5, -1.0], dtype=np.float32)),
                               ("a-0001", np.array([1.0, 2.0]))])
    store.add_embeddings("m", [("a-0000", np.array([0.25, 4.0]))])  # replaced
    ids, blobs = store.embedding_rows("m")
    out["embeddings"] = sorted(zip(ids, (np.frombuffer(b, dtype=np.float16).tolist() for b in blobs)))

    store.clear_copies()
    out["cleared"] = (store.copy_signature_page(4, 1, 3, -1, 10), store.all_copies(), store.copy_pairs_of("a-0001"),
                      store.sentence_alignments_among(["a-0000", "a-0001"]), store.ids_by_body_hash(["h-same"]))
    return out


def test_both_backends_give_the_same_pipeline_records(tmp_path: Path, pg_url: str) -> None:
    with Store(tmp_path / "same.db") as lite, open_store(pg_url) as pg:
        a, b = _exercise_pipeline_state(lite), _exercise_pipeline_state(pg)
    day = lambda d: datetime(2031, 4, d, 12, tzinfo=UTC)  # noqa: E731
    assert a["first"] == ("a-0001", "a-0003", None)
    assert a["titles"][0] == StoryTitles("Title 0", ("Title 1", "Title 0"), (True, False), (day(8), day(9)))
    assert a["titles"][1].titles == ("Title 5", "Title 3", "Title 6", "Title 4") and a["titles"][2] is None
    assert [(x.id, sid) for x, sid in a["members"]] == [("a-0000", "s-one"), ("a-0001", "s-one"),
                                                         ("a-0003", "s-two"), ("a-0004", "s-two"),
                                                         ("a-0005", "s-two"), ("a-0006", "s-two")]
    assert a["story_of"]["a-0002"] == "s-one" and a["external"]["a-0005"] == "e1" and a["external"]["a-0000"] is None
    assert a["aliases"] == ({"s-two": "s-one"}, 1)
    assert a["pages"][0][0] == ("a-0000", "a-0002", "a-0003", "a-0004") and a["pages"][1][0] == ("a-0005", "a-0001")
    assert a["pages"][1][1][4:] == [4, 5, 6, 7]
    assert {k: sorted(v) for k, v in a["same_body"].items()} == {"h-same": ["a-0001", "a-0003"], "h-4": ["a-0004"]}
    assert a["mates"][0] == ["a-0006", "a-0005", "a-0004"] and a["mates"][2] == []
    assert a["arrivals"][0] == ("a-0000", day(9), "Outlet 0", None) and a["arrivals"][1][1] is None
    assert a["arrival_order"] == [f"a-{i:04d}" for i in range(7)]
    assert a["pairs"][0] == [CopyPair("a-0000", "a-0001", "rewrite", 0.8, 0.85, 0.8, "dense"),
                             CopyPair("a-0001", "a-0003", "rewrite", 0.5, 0.6, 0.7, "dense")] and a["pairs"][2] == []
    assert [(x.article_a, x.sent_a, x.b_start) for x in a["alignments"][0]] == [("a-0000", 1, 13), ("a-0001", 0, 0)]
    assert a["n_pairs"] == 2 and len(a["alignments"][1]) == 1 and a["alignments"][2] == []
    assert [c.article_id for c in a["story_copies"]] == ["a-0005", "a-0001", "a-0003", "a-0004"]
    assert a["all_copies"] == a["story_copies"]
    assert {c.article_id for c in a["copies_of"]} == {"a-0001", "a-0003", "a-0004"}  # a version is no copy
    assert a["entities_none"] is None and a["entities"] == [[["Valley Post", "ORG", 3, 14]], []]
    assert a["embeddings"] == [("a-0000", [0.25, 4.0]), ("a-0001", [1.0, 2.0])]
    assert a["cleared"] == (None, [], [], [], {})
    for key in a:
        if key == "copies_of":  # the same rows; SQLite gives them in its plan's order
            assert sorted(b[key], key=str) == sorted(a[key], key=str), key
        else:
            assert b[key] == a[key], key
