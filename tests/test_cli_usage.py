"""Usage errors exit 2 and name the valid choices."""

from __future__ import annotations

from typer.testing import CliRunner

from storyline.cli import app


def test_stories_order_is_a_choice(tmp_path):
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "t.db"), "stories", "--order", "bogus"])
    assert r.exit_code == 2
    assert "'bogus'" in r.output and "most-covered" in r.output
