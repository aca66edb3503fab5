"""Usage errors exit 2 and name the valid choices."""

from __future__ import annotations

from typer.testing import CliRunner

from storyline.cli import app


def test_stories_order_is_a_choice(tmp_path):
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "t.db"), "stories", "--order", "bogus"])
    assert r.exit_code == 2
    assert "'bogus'" in r.output and "most-covered" in r.output


def test_a_db_path_that_is_not_a_database_is_a_one_line_error(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    page = tmp_path / "page.html"
    page.write_text("<!doctype html><p>not a database</p>\n" * 50, "utf-8")
    bin_ = Path(sys.executable).with_name("storyline")
    for db in (page, tmp_path):
        p = subprocess.run([str(bin_), "--db", str(db), "stories"], capture_output=True, env=dict(os.environ),
                           timeout=60)
        err = p.stderr.decode()
        assert p.returncode == 1 and err.startswith(f"error: cannot open '{db}' as a storyline database"), err
