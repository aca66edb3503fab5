"""Article content that looks like rich markup ("[/x]", "[red]") prints as itself in every terminal view."""

import json
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).with_name("storyline")
TITLE = "Vote [/x] on the [red]park[/red] budget"


def run(db, *args):
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical"}
    return subprocess.run([str(BIN), "--db", str(db), *args], capture_output=True, env=env, timeout=120)


def test_explain_prints_markup_like_titles_verbatim(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"title": TITLE, "text": "The council voted [bold]yes[/bold] on the park budget.",
                               "source": "[b]Daily[/b]", "date": "2024-02-01"}) + "\n")
    db = tmp_path / "t.db"
    assert run(db, "ingest", str(src)).returncode == 0
    art = json.loads(run(db, "articles", "--format", "json").stdout)[0]["id"]
    p = run(db, "explain", art)
    assert p.returncode == 0, p.stderr.decode()
    out = " ".join(p.stdout.decode().split())
    assert TITLE in out and "[b]Daily[/b]" in out


def test_skipped_file_names_are_printed_verbatim(tmp_path):
    src = tmp_path / "in"
    (src / "a[").mkdir(parents=True)
    (src / "[red]b.dat").write_bytes(b"x")
    (src / "a[" / "x]c.dat").write_bytes(b"x")  # the path holds "[/x]": rich would raise MarkupError
    p = run(tmp_path / "t.db", "ingest", str(src))
    err = p.stderr.decode()
    assert p.returncode == 0, err
    assert "[red]b.dat" in err and "a[/x]c.dat" in err
