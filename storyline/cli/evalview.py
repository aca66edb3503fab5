"""`storyline eval-view DIR`: score story views against annotated stories (DIR/articles.jsonl + DIR/gold.json)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from .app import app, state
from .output import Format, emit_one, stdout


class EvalViewFormat(str, Enum):
    table = "table"
    json = "json"


@app.command("eval-view")
def eval_view(
    directory: Path = typer.Argument(..., help="A folder with articles.jsonl ({id, story, date, source, title, "
                                                "text}) and gold.json, e.g. ../shared/data/storyview-dev."),
    fmt: EvalViewFormat = typer.Option(EvalViewFormat.table, "--format", "-f",
                                       help="table (one rich table) or json."),
    stories: bool = typer.Option(False, "--stories", help="Also print one row per gold story (table format)."),
    # "\\[" keeps rich (typer's help renderer) from reading "[dense]" as a markup tag
    dense: bool = typer.Option(False, "--dense", help="Build the views with the MiniLM encoder too, as show --dense "
                                                       "(slower; needs storyline\\[dense])."),
) -> None:
    """Agreement, disputes, updates, quotes, unique content, copies and boilerplate of the views, against gold."""
    from rich.table import Table

    from ..eval.view import METRICS, evaluate_views

    encoder = None
    if dense:
        from ..represent.dense import MiniLMEncoder

        encoder = MiniLMEncoder()
    report = evaluate_views(directory, state.settings, encoder=encoder)
    if fmt is EvalViewFormat.json:
        emit_one(report, Format.json)
        return
    c = report["clustering"]
    table = Table(title=f"{directory.name}: {c['gold_stories']} gold stories in {c['views']} views "
                        f"({c['split_stories']} split, {c['merged_stories']} merged with another)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("counts", justify="right")
    table.add_column("target", justify="right")
    for name, (_desc, target, higher) in METRICS.items():
        v = report["total"][name]
        if name == "boilerplate_leaks":
            table.add_row(name, str(v), "", f"{target:g}" if target is not None else "")
            continue
        val = "n/a" if v["value"] is None else f"{v['value']:.3f}"
        tgt = "" if target is None else (f"≥ {target:g}" if higher else f"≤ {target:g}")
        table.add_row(name, val, f"{v['num']}/{v['den']}", tgt)
    stdout.print(table)
    if stories:
        per = Table(title="per story")
        names = [n for n in METRICS if n != "boilerplate_leaks"]
        per.add_column("story")
        per.add_column("views", justify="right")
        for n in names:
            per.add_column(n.replace("_", " "), justify="right")
        per.add_column("leaks", justify="right")
        for s in report["stories"]:
            per.add_row(s["story"], str(len(s["views"])),
                        *("-" if s[n]["value"] is None else f"{s[n]['value']:.2f}" for n in names),
                        str(s["boilerplate_leaks"]))
        stdout.print(per)
