"""`storyline eval-dedup` on bad input: one-line errors with the location, usage errors for a bad --limit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).with_name("storyline")


def run(*args):
    return subprocess.run([str(BIN), *args], capture_output=True, env=dict(os.environ), timeout=120)


def test_malformed_line_is_a_plain_error_with_its_location(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text('{"id": "1", "cluster": "a", "title": "t", "text": "Some text."}\n{"id": "2", "title\n', "utf-8")
    p = run("eval-dedup", str(f))
    err = p.stderr.decode()
    assert p.returncode == 1
    assert err.startswith("error: ") and f"{f}:2" in err and "ValueError" not in err


def test_limit_below_one_is_a_usage_error(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text('{"id": "1", "cluster": "a", "title": "t", "text": "Some text."}\n', "utf-8")
    p = run("eval-dedup", str(f), "--limit", "0")
    assert p.returncode == 2 and b"--limit" in p.stderr


def test_a_line_that_is_json_but_not_an_object_is_a_plain_error(tmp_path):
    f = tmp_path / "n.jsonl"
    f.write_text('{"id": "1", "cluster": "a", "title": "t", "text": "Some text."}\n[1, 2]\n', "utf-8")
    p = run("eval-dedup", str(f))
    err = p.stderr.decode()
    assert p.returncode == 1
    assert err.startswith("error: ") and f"{f}:2: not a JSON object (a list)" in err and "TypeError" not in err
