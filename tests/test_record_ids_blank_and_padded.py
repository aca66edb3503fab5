"""A record id is stripped, and a blank one is no id: " " ids must not make unrelated articles versions of each
other, and "9 " and "9" are one record of the outlet."""

from __future__ import annotations

import json
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
