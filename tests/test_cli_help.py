"""`--help` works on every command and shows help text as written (rich must not eat "[extra]" as markup)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from storyline.cli import app

COMMANDS = ["ingest", "stories", "articles", "search", "rejects", "runs", "show", "serve", "explain", "eval",
            "copies", "eval-dedup", "watch", "feeds"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    r = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "Usage: storyline " + command in " ".join(r.output.split())


def test_show_help_names_the_dense_extra():
    r = CliRunner().invoke(app, ["show", "--help"], env={"COLUMNS": "200"})
    assert "storyline[dense]" in " ".join(r.output.split())
