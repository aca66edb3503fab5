"""Regression tests from a review pass that tried to break article versions, the ingest lock, JSON Feed, fetch
decoding, robots, watch, figures and quotes with odd but realistic input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from storyline.ingest import read_paths
from storyline.pipeline import ingest
from storyline.settings import Settings
from storyline.store import Store

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical"})

ELECTION = "The mayor of Dunfield won re-election on Sunday with 54 percent of the vote, the count showed."
BRIDGE = "The old bridge over the Tam river will close for repairs next month, the council said on Tuesday."
STRIKE = "Dock workers at the port of Leese went on strike on Friday over pay, their union said."
STRIKE2 = "Dock workers at the port of Leese went on strike on Friday over pay and hours, their union said."


def _ingest_jsonl(store: Store, path: Path, *records: dict):
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    stats = ingest(store, read_paths([str(path)], LEXICAL.ingest), LEXICAL)
    assert stats.seen == stats.accepted + stats.rejected + stats.duplicates
    return stats


def test_a_blank_record_id_is_no_id_and_padding_around_an_id_is_ignored(tmp_path: Path) -> None:
    # a CSV/JSON export with " " ids made unrelated articles versions of each other (one hidden from every
    # listing); "9 " and "9" are the same record of the outlet
    with Store(str(tmp_path / "t.db")) as store:
        _ingest_jsonl(store, tmp_path / "a.jsonl",
                      {"id": " ", "source": "B", "title": "Election results", "text": ELECTION},
                      {"id": " ", "source": "B", "title": "Bridge closes", "text": BRIDGE},
                      {"id": "9 ", "source": "C", "title": "Port strike", "text": STRIKE},
                      {"id": "9", "source": "C", "title": "Port strike", "text": STRIKE2})
        rows = {r["title"] + "|" + r["text"][-20:]: (r["external_id"], r["superseded_by"]) for r in store.query(
            "SELECT title, text, external_id, superseded_by FROM articles")}
        assert rows["Election results|" + ELECTION[-20:]] == (None, None)
        assert rows["Bridge closes|" + BRIDGE[-20:]] == (None, None)
        assert rows["Port strike|" + STRIKE[-20:]][0] == "9"
        assert rows["Port strike|" + STRIKE[-20:]][1] is not None  # superseded by the later version
        assert rows["Port strike|" + STRIKE2[-20:]] == ("9", None)


def test_processes_opening_one_new_database_at_once_all_open_it(tmp_path: Path) -> None:
    # two `storyline ingest` (or serve workers) started together on a new --db: each read the applied migrations,
    # then one failed "table runs already exists" applying what the other had just applied
    code = ("import sys\nfrom storyline.store import Store\nprint('ready', flush=True)\nsys.stdin.readline()\n"
            "Store(sys.argv[1]).close()\n")
    for i in range(5):
        db = str(tmp_path / f"new{i}.db")
        procs = [subprocess.Popen([sys.executable, "-c", code, db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
        for p in procs:  # imports done in all three, then all open the database at once
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        errors = [p.communicate(timeout=60)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], errors
        with Store(db) as store:
            assert store.count_articles() == 0


def _figures(text: str):
    from storyline.records import Article
    from storyline.sentences import split_sentences
    from storyline.stories.figures import extract_figures

    a = Article(id="a-x", title="t", text=text, source="S", date=None, lang="en", url=None, byline=None)
    return [(f.text, f.value, f.category) for f in extract_figures(a, split_sentences(text))]


def test_a_range_is_one_figure_not_its_upper_bound_read_as_exact() -> None:
    # "1,200–1,300 households" was the figure "1,300 households" (value 1300, shown as differing from another
    # source's 1,250) plus a bare "1,200"; "12-15 people" lost its people count
    assert _figures("About 1,200–1,300 households were told to leave.") == [
        ("About 1,200–1,300 households", None, "people")]
    assert _figures("The storm killed 12-15 people in the region.") == [("12-15 people", None, "people")]
    assert _figures("Officials said 5 to 7 people were hurt.") == [("5 to 7 people", None, "people")]
    assert _figures("Between 5 and 7 people were hurt.") == [("Between 5 and 7 people", None, "people")]
    assert _figures("The plant cost $1.2bn-$1.5bn to build.") == [("$1.2bn-$1.5bn", None, "money")]
    # not ranges: coordinated figures, a change, a score, a season
    assert _figures("105 US citizens and 95 green-card holders had left.") == [
        ("105 US citizens", 105.0, "people"), ("95 green-card holders", 95.0, "people")]
    assert ("150 people", 150.0, "people") in _figures("Turnout rose from 100 to 150 people.")
    assert _figures("They won 3-1 on Sunday.") == [("3", 3.0, "number")]
    assert _figures("The 2020-2021 season ended.") == [("2020", 2020.0, "date")]
