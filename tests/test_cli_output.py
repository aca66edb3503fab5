"""Listing output (storyline/cli/output.py): data is printed as data in every format."""

import csv
import io
import json

import pytest

from storyline.cli.output import emit

MARKUP = "Vote [/x] on [red]budget[/red] and [or] <b>park</b>"


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_cells_are_text_not_rich_markup(fmt, capsys):
    emit([{"id": "a-1", "title": MARKUP}], fmt, ["id", "title"], title="Search: [/q] [bold]x")
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)[0]["title"] == MARKUP
    elif fmt == "jsonl":
        assert json.loads(out.splitlines()[0])["title"] == MARKUP
    elif fmt == "csv":
        assert list(csv.reader(io.StringIO(out)))[1] == ["a-1", MARKUP]
    else:
        flat = " ".join(out.split())
        assert MARKUP in flat
        assert "Search: [/q] [bold]x" in flat


def test_csv_datetimes_are_full_iso_like_json(capsys):
    from datetime import datetime, timezone

    midnight = datetime(2021, 10, 9, tzinfo=timezone.utc)
    emit([{"id": "s-1", "first_seen": midnight}], "csv", ["id", "first_seen"])
    assert list(csv.reader(io.StringIO(capsys.readouterr().out)))[1] == ["s-1", "2021-10-09T00:00:00+00:00"]
