"""`storyline explain ID --format csv` is plain CSV: a header and one row per signal or feature, nothing else."""

import csv
import io
import json

from .test_cli_markup import run


def test_explain_csv_is_only_csv(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"title": "Ferry strike", "text": "Ferry crews walked out on Monday, the union said.",
                               "source": "Daily", "date": "2024-02-01"}) + "\n")
    db = tmp_path / "t.db"
    assert run(db, "ingest", str(src)).returncode == 0
    art = json.loads(run(db, "articles", "--format", "json").stdout)[0]["id"]
    p = run(db, "explain", art, "--format", "csv")
    assert p.returncode == 0, p.stderr.decode()
    rows = list(csv.reader(io.StringIO(p.stdout.decode())))
    # one row per signal and per join-model feature (with its contribution to the log-odds, when it has one)
    assert rows[0] == ["article_id", "story_id", "signal", "value", "contribution"]
    assert len(rows) >= 2 and all(len(r) == 5 and r[0] == art for r in rows[1:])
    assert rows[1][2] == "score"
