import json

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from storyline.ingest import read_paths
from storyline.pipeline import ingest
from storyline.records import Origin, RawItem, Rejected
from storyline.settings import Settings
from storyline.store import Store

from .conftest import SEEDS, needs_seeds

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both


@needs_seeds
def test_seeds_make_one_story_and_reingest_adds_nothing(store):
    stats = ingest(store, read_paths([SEEDS]))
    assert (stats.seen, stats.accepted, stats.rejected, stats.duplicates) == (2, 2, 0, 0)
    [story] = store.list_stories()
    assert story.n_articles == 2 and story.sources == ("unknown outlet",)  # neither seed names its outlet
    again = ingest(store, read_paths([SEEDS]))
    assert (again.accepted, again.duplicates) == (0, 2)
    assert store.count_articles() == 2 and store.count_stories() == 1


def test_good_records_survive_beside_bad_ones(store, tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bin.dat.txt").write_bytes(b"\x00\xff\x00")
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"title": "Bridge closes", "text": "The council closed the old bridge on Monday."}) + "\n"
        + "{broken\n"
        + json.dumps({"title": "Bridge reopens", "text": "The old bridge reopened on Friday after repairs."}) + "\n")
    stats = ingest(store, read_paths([tmp_path]))
    assert (stats.seen, stats.accepted, stats.rejected) == (5, 2, 3)
    assert stats.balanced
    refs = sorted(r["ref"].split("/")[-1] for r in store.list_rejects())
    assert refs == ["a.jsonl:2", "bin.dat.txt", "empty.txt"]


records = st.lists(
    st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["storm", "vote", "match", "fire"]),
              st.integers(0, 3)),
    max_size=25,
)


@hsettings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records)
def test_every_item_is_accounted_for_and_every_article_is_in_exactly_one_story(recs):
    items = []
    for i, (src, topic, variant) in enumerate(recs):
        if variant == 3:
            items.append(Rejected(f"x:{i}", "ingest", "malformed-json", "bad"))
        else:
            items.append(RawItem(origin=Origin("x", i), source=src, title=f"{topic} update {variant}",
                                 text=f"The {topic} report number {variant} from {src}."))
    with Store(":memory:") as s:
        stats = ingest(s, items, Settings().with_overrides({"ingest.batch_size": 4, "cluster.profile": "lexical"}))
        assert stats.balanced
        n_members = s.query("SELECT count(*), count(DISTINCT article_id) FROM memberships")[0]
        assert n_members[0] == n_members[1] == s.count_articles() == stats.accepted
        assert sum(st.n_articles for st in s.list_stories()) == stats.accepted


def test_same_input_order_gives_the_same_stories(tmp_path):
    items = [RawItem(origin=Origin("x", i), source=f"S{i % 4}", title=f"Topic {i % 3} news",
                     text=f"Story about topic {i % 3} with detail {i}.") for i in range(30)]
    runs = []
    for n in range(2):
        with Store(tmp_path / f"{n}.db") as s:
            ingest(s, items, Settings().with_overrides({"cluster.profile": "lexical"}))
            runs.append(sorted((a["id"], a["story_id"]) for a in s.list_articles()))
    assert runs[0] == runs[1]
