"""Outlets with identity: the registry file, matching by name/alias/host/desk tag, "unknown outlet" instead of file
names, the demo corpus's outlet count, and coverage by attribute with the outlets that missed a story."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from storyline.errors import ConfigError
from storyline.ingest import read_paths
from storyline.normalize import normalize
from storyline.outlets import (Outlet, Registry, desk_agencies, distinct_unknown_outlets, import_outlets_file,
                               load_outlets_file)
from storyline.pipeline import open_pipeline
from storyline.records import UNKNOWN_OUTLET, Article, Origin, RawItem
from storyline.settings import OutletsSettings, Settings
from storyline.stories.coverage import coverage_of
from storyline.store import Store

from .conftest import DEMO_CORPUS, SEEDS, needs_seeds

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical"})
DEMO_OUTLETS = DEMO_CORPUS.parent / "outlets.toml"
BIN = Path(sys.executable).with_name("storyline")


def cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical"}
    return subprocess.run([str(BIN), "--db", str(db), *args], capture_output=True, env=env, timeout=120)


# -- the registry file -------------------------------------------------------------------------------------------
def test_toml_and_csv_give_the_same_outlets_with_user_attributes(tmp_path):
    toml = tmp_path / "outlets.toml"
    toml.write_text('[[outlet]]\nname = "Meridian Press"\naliases = ["MP"]\n'
                    'domains = ["https://www.MeridianPress.test/"]\ncountry = "Daravia"\nlanguage = "EN"\n'
                    'kind = "Wire"\nowner = "Coop"\nlean = "my own rating"\n', "utf-8")
    csv = tmp_path / "outlets.csv"
    csv.write_text("name,aliases,domains,country,language,kind,owner,lean\n"
                   "Meridian Press,MP,meridianpress.test,Daravia,en,wire,Coop,my own rating\n", "utf-8")
    [a], [b] = load_outlets_file(toml), load_outlets_file(csv)
    assert a == b
    assert a.domains == ("meridianpress.test",) and a.kind == "wire" and a.language == "en"
    assert a.attributes == {"lean": "my own rating"} and a.attribute("lean") == "my own rating"


@pytest.mark.parametrize("text, message", [
    ('[[outlet]]\nkind = "wire"\n', "has no name"),
    ('[[outlet]]\nname = "A"\naliases = ["X"]\n[[outlet]]\nname = "B"\naliases = ["x"]\n', "belongs to both"),
    ('[[outlet]]\nname = "A"\n[[outlet]]\nname = "A"\n', "listed twice"),
    ('[[outlet]]\nname = "unknown outlet"\n', "pick another"),
    ('[outlet]\nname = "A"\n', "[[outlet]]"),
    ('name = "A"\n', "[[outlet]]"),
])
def test_a_bad_registry_file_names_the_problem(tmp_path, text, message):
    f = tmp_path / "outlets.toml"
    f.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_outlets_file(f)


def test_an_unknown_extension_names_the_valid_ones(tmp_path):
    f = tmp_path / "outlets.yaml"
    f.write_text("x", "utf-8")
    with pytest.raises(ConfigError, match=r"\.toml, \.csv"):
        load_outlets_file(f)


# -- matching -----------------------------------------------------------------------------------------------------
def test_registry_matches_alias_host_and_parent_domain_but_not_a_lookalike():
    r = Registry([Outlet("Deutsche Welle", aliases=("DW", "dw"), domains=("dw.com",)),
                  Outlet("Example", domains=("example.co.uk",))])
    assert r.outlet_name("deutsche  WELLE") == "Deutsche Welle"
    assert r.outlet_name("dw") == "Deutsche Welle"
    assert r.outlet_name(None, url="https://www.dw.com/en/a") == "Deutsche Welle"
    assert r.outlet_name("dw.com", url="https://amp.news.dw.com/a") == "Deutsche Welle"
    assert r.outlet_name(None, url="https://notdw.com/a") is None  # a suffix of the name, not a parent domain
    assert r.outlet_name(None, url="https://news.example.co.uk/a") == "Example"
    assert r.outlet_name(None, url="https://other.co.uk/a") is None  # never by the public suffix alone
    # a desk-tag code counts only for an article with no outlet of its own
    assert r.outlet_name(UNKNOWN_OUTLET, byline="sct/dw") == "Deutsche Welle"
    assert r.outlet_name("Some Paper", byline="sct/dw") is None


def test_desk_tags_name_agencies_only_in_parentheses():
    assert desk_agencies("irv/hk (Meridian Press, Continental Radio)") == ("Meridian Press", "Continental Radio")
    assert desk_agencies("jsi/msh (AP, Reuters)") == ("AP", "Reuters")
    assert desk_agencies("By Jane Doe (Reuters)") == ("Reuters",)
    assert desk_agencies("sct/dw") == () and desk_agencies("By Jane Doe") == () and desk_agencies(None) == ()


def test_a_desk_tag_makes_its_first_agency_the_outlet_and_credits_all():
    a = normalize(RawItem(origin=Origin("wire/talks.txt"), text="Body text.", byline="irv/hk (Meridian Press, "
                                                                                       "Continental Radio)"))
    assert a.source == "Meridian Press" and a.extra["credited"] == ["Meridian Press", "Continental Radio"]
    b = normalize(RawItem(origin=Origin("x.jsonl", 3), text="Body text.", source="Tribune", byline="ab/cd (AP)"))
    assert b.source == "Tribune" and b.extra["credited"] == ["AP"]  # the publisher stays; the agency is credited


def test_a_date_without_a_time_is_flagged_and_a_midnight_time_is_not():
    def day_only(date):
        return normalize(RawItem(origin=Origin("x"), text="Body.", source="S", date=date)).date_only

    assert day_only("2026-03-05") and day_only("March 5, 2026")
    assert not day_only("2026-03-05T00:00:00Z") and not day_only("Thu, 05 Mar 2026 00:00:00 +0000")
    assert not day_only(None)


def test_sourceless_records_of_two_files_with_the_same_id_are_not_versions_of_each_other(store, tmp_path):
    for name, text in (("a.jsonl", "The dam opened on Tuesday after years of work."),
                       ("b.jsonl", "Ferry crews walked out at dawn over pay and hours.")):
        (tmp_path / name).write_text(json.dumps({"id": "7", "title": name, "text": text}) + "\n", "utf-8")
    open_pipeline(store, LEXICAL).run(read_paths([tmp_path]))
    rows = store.list_articles(all_versions=True)
    assert len(rows) == 2 and all(r["superseded_by"] is None for r in rows)
    assert {r["source"] for r in rows} == {UNKNOWN_OUTLET}


# -- the demo corpus -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("outlets") / "demo.db"
    with Store(path) as store:
        open_pipeline(store, LEXICAL).run(read_paths([DEMO_CORPUS], LEXICAL.ingest))
    return path


def test_demo_outlet_count_is_its_14_real_outlets_and_none_is_named_after_a_file(demo_db):
    # the 5 wire .txt files carry no source field: their file names used to become 5 more "outlets" (14 + 5 = 19)
    stems = {p.stem for p in (DEMO_CORPUS / "wire").glob("*.txt")}
    with Store(demo_db) as store:
        sources = set(store.outlet_counts())
        assert not sources & stems
        assert store.count_outlets() == 14
        # desk tags "tb/ao (Meridian Press)" and "irv/hk (Meridian Press, Continental Radio)" name the outlet
        wire = {Path(a.origin).stem: a.source for a in store.iter_articles() if "/wire/" in a.origin}
        assert wire["harbor_strike_day2"] == wire["sarn_talks_first_day"] == "Meridian Press"
        assert {wire[k] for k in ("codex_guard_questions", "kelm_rescuers_night", "sarn_talks_undated")} == {
            UNKNOWN_OUTLET}


def test_home_page_counts_the_demo_outlets_without_the_unknown_one(demo_db):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from storyline.web import create_app

    with TestClient(create_app(demo_db, LEXICAL)) as client:
        assert client.get("/?format=json").json()["totals"]["sources"] == 14
        body = client.get("/api/outlets").json()
        assert len(body["outlets"]) == 14 and body["unknown_outlet_articles"] == 3
        assert sum(o["articles"] for o in body["outlets"]) + 3 == 49


def test_importing_the_demo_registry_registers_every_demo_outlet(demo_db, tmp_path):
    from .conftest import copy_db

    db = copy_db(demo_db, tmp_path / "copy.db")
    p = cli(db, "outlets", "import", str(DEMO_OUTLETS))
    assert p.returncode == 0, p.stderr.decode()
    assert b"14 added" in p.stderr
    rows = json.loads(cli(db, "outlets", "--format", "json").stdout)
    assert len(rows) == 14 and all(r["registered"] and r["kind"] and r["country"] for r in rows)
    by = {r["name"]: r for r in rows}
    assert by["Meridian Press"]["kind"] == "wire" and by["Meridian Press"]["articles"] == 4


def test_import_resolves_stored_aliases_and_hosts_and_ids_stay_stable(store, tmp_path):
    recs = [{"title": "Dam opens", "text": "The new dam opened on Tuesday in the valley.", "source": "MP"},
            {"title": "Dam power", "text": "The dam will power ten thousand homes, officials said.",
             "url": "https://www.meridianpress.test/dam-power"}]
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in recs) + "\n", "utf-8")
    open_pipeline(store, LEXICAL).run(read_paths([f]))
    ids = sorted(a.id for a in store.iter_articles())
    assert {a.source for a in store.iter_articles()} == {"MP", "meridianpress.test"}
    reg = tmp_path / "outlets.toml"
    reg.write_text('[[outlet]]\nname = "Meridian Press"\naliases = ["MP"]\ndomains = ["meridianpress.test"]\n', "utf-8")
    result = import_outlets_file(store, reg)
    assert result["added"] == 1 and result["articles_changed"] == 2
    arts = list(store.iter_articles())
    assert {a.source for a in arts} == {"Meridian Press"} and sorted(a.id for a in arts) == ids
    assert {a.extra["outlet_as_given"] for a in arts} == {"MP", "meridianpress.test"}
    # re-ingesting the same records after the import finds them stored (ids hash the record's own outlet)
    stats = open_pipeline(store, LEXICAL).run(read_paths([f]))
    assert (stats.accepted, stats.duplicates) == (0, 2)
    # removing the outlet gives the articles back the outlet their records named
    reg.write_text('[[outlet]]\nname = "Other"\n', "utf-8")
    import_outlets_file(store, reg, replace=True)
    assert {a.source for a in store.iter_articles()} == {"MP", "meridianpress.test"}


@needs_seeds
def test_seed_desk_tag_sct_dw_resolves_to_dw_only_when_the_registry_says_dw_is_its_code(tmp_path):
    db = tmp_path / "seeds.db"
    assert cli(db, "ingest", str(SEEDS)).returncode == 0
    assert json.loads(cli(db, "stories", "-f", "json").stdout)[0]["sources"] == [UNKNOWN_OUTLET]
    reg = tmp_path / "outlets.csv"
    reg.write_text("name,aliases,domains,country,kind\nDW,dw;Deutsche Welle,dw.com,Germany,broadcaster\n", "utf-8")
    assert cli(db, "outlets", "import", str(reg)).returncode == 0
    assert json.loads(cli(db, "stories", "-f", "json").stdout)[0]["sources"] == ["DW", UNKNOWN_OUTLET]


def test_the_outlets_file_setting_is_imported_before_an_ingest(store, tmp_path):
    reg = tmp_path / "outlets.toml"
    reg.write_text('[[outlet]]\nname = "Deutsche Welle"\naliases = ["dw"]\nkind = "broadcaster"\n', "utf-8")
    f = tmp_path / "seed.txt"
    f.write_text("date 2021-10-09 Talks in Doha\n\nThe talks begin on Saturday in Doha, officials said.\n\nsct/dw\n",
                 "utf-8")
    settings = LEXICAL.with_overrides({"outlets.file": str(reg)})
    open_pipeline(store, settings).run(read_paths([f]))
    [a] = list(store.iter_articles())
    assert a.source == "Deutsche Welle" and a.date_only and a.extra["outlet_as_given"] == UNKNOWN_OUTLET


# -- coverage by attribute ---------------------------------------------------------------------------------------------
def _art(i: int, source: str, **extra) -> Article:
    return Article(id=f"a-{i}", title=f"t{i}", text="x", source=source,
                   date=datetime(2026, 3, 5, 10, tzinfo=timezone.utc), extra=extra)


REGISTRY = Registry([
    Outlet("N1", kind="national", country="D"), Outlet("N2", kind="national", country="D"),
    Outlet("N3", kind="national", country="D"), Outlet("N4", kind="national", country="D"),
    Outlet("L1", kind="local", country="D", attributes={"lean": "x"}), Outlet("L2", kind="local", country="D"),
    Outlet("W", kind="wire", country="D"), Outlet("F", kind="national", country="E"),
])


def test_coverage_groups_outlets_by_attribute_and_names_unregistered_and_credited():
    arts = [_art(1, "N1"), _art(2, "N2"), _art(3, "Blog"), _art(4, UNKNOWN_OUTLET, credited=["W"]), _art(5, "L1")]
    cov = coverage_of(arts, REGISTRY, active=set(REGISTRY.outlets))
    kind = {g["value"]: g["outlets"] for g in cov["by"]["kind"]}
    assert kind == {"national": ["N1", "N2"], "unregistered": ["Blog"], "local": ["L1"]}
    assert {g["value"]: g["outlets"] for g in cov["by"]["lean"]} == {"unspecified": ["N1", "N2"],
                                                                      "unregistered": ["Blog"], "x": ["L1"]}
    assert cov["unknown_articles"] == 1
    assert [o["name"] for o in cov["outlets"] if o["credited_only"]] == ["W"]


def test_an_outlet_is_missing_when_most_of_its_active_peers_covered_the_story():
    arts = [_art(1, "N1"), _art(2, "N2"), _art(3, "L1")]
    cov = coverage_of(arts, REGISTRY, active=set(REGISTRY.outlets))
    # N3, N4: 2 of their 3 national peers in D covered it; L2: 1 of 1 local peer is under peer_min_covering=2;
    # F (national, E) has no peers; W was not credited here
    assert [(m["outlet"], m["peers_covering"], m["peers"]) for m in cov["missing"]] == [
        ("N3", ["N1", "N2"], 3), ("N4", ["N1", "N2"], 3)]
    # an outlet with nothing stored near the story's dates is absent from the data, not from the story
    quiet = coverage_of(arts, REGISTRY, active=set(REGISTRY.outlets) - {"N4"})
    assert [m["outlet"] for m in quiet["missing"]] == ["N3"]
    strict = coverage_of(arts, REGISTRY, active=set(REGISTRY.outlets), settings=OutletsSettings(peer_share=0.9))
    assert strict["missing"] == []
    with pytest.raises(ConfigError, match="peer_share"):
        coverage_of(arts, REGISTRY, set(), settings=OutletsSettings(peer_share=1.5))


def test_without_a_registry_nothing_is_missing_and_every_outlet_is_unregistered():
    cov = coverage_of([_art(1, "N1"), _art(2, "Blog")], Registry(), active={"N1", "Blog"})
    assert cov["missing"] == [] and cov["registered"] == 0
    assert cov["by"]["country"] == [{"value": "unregistered", "outlets": ["Blog", "N1"], "articles": 2}]


def test_two_articles_of_unknown_outlets_are_two_sources_in_the_view():
    arts = distinct_unknown_outlets([_art(1, UNKNOWN_OUTLET), _art(2, "N1"), _art(3, UNKNOWN_OUTLET)])
    assert [a.source for a in arts] == ["unknown outlet 1", "N1", "unknown outlet 2"]
    assert [a.source for a in distinct_unknown_outlets([_art(1, UNKNOWN_OUTLET)])] == [UNKNOWN_OUTLET]


def test_story_api_includes_coverage_with_the_demo_registry(demo_db, tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from storyline.web import create_app

    from .conftest import copy_db

    db = copy_db(demo_db, tmp_path / "copy.db")
    with Store(db) as store:
        import_outlets_file(store, DEMO_OUTLETS)
        sid = next(s.id for s in store.list_stories(order="most-covered"))
    with TestClient(create_app(db, LEXICAL)) as client:
        # the import changed the story's version: a view stored before it is served while the current one builds
        deadline = time.monotonic() + 60
        while (body := client.get(f"/api/stories/{sid}").json())["view_stale"]:
            assert time.monotonic() < deadline, "the view with the imported registry was never built"
            time.sleep(0.05)
        cov = body["view"]["coverage"]
    assert cov["registered"] == 14 and {"country", "kind", "language", "owner", "founded"} <= set(cov["by"])
    assert all(g["value"] != "unregistered" for g in cov["by"]["kind"])
