"""`storyline copies [STORY_ID]` (copies/rewrites and their origins) and `storyline eval-dedup FILE.jsonl`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import app, state
from .core import FORMAT
from .output import Format, day_or_time, emit, emit_one, stderr


@app.command()
def copies(
    story_id: Optional[str] = typer.Argument(None, help="A story id (default: every story)."),
    fmt: Format = FORMAT,
    rebuild: bool = typer.Option(False, "--rebuild", help="Re-detect copies over all stored articles first."),
) -> None:
    """Copies and rewrites with the article each copies, both named by outlet and title: [{article_id, source, title,
    date, relation, similarity, origin_id, origin_source, origin_title, origin_date}]."""
    from ..copies import copies_for_story
    from ..copies import rebuild as rebuild_copies
    from ..copies.detector import all_copies

    with state.open_store() as store:
        if rebuild:
            n = rebuild_copies(store, state.settings)
            stderr.print(f"re-detected copies over {n} articles")
        rows = all_copies(store) if story_id is None else copies_for_story(store, story_id)
        heads = store.article_heads([r[k] for r in rows for k in ("article_id", "origin_id")])
    rows = [named_copy(r, heads) for r in rows]
    if fmt in (Format.json, Format.jsonl):
        emit(rows, fmt)
        return
    emit(rows, fmt, ["article_id", "source", "title", "relation", "similarity", "origin_id", "origin_source",
                     "origin_title"], title="Copies and rewrites (each with the article it copies)")


def named_copy(row: dict, heads: dict[str, dict]) -> dict:
    """A copies row with each article's outlet, title and date beside its id."""
    a, o = heads.get(row["article_id"], {}), heads.get(row["origin_id"], {})
    return {"article_id": row["article_id"], "source": a.get("source"), "title": a.get("title"),
            "date": day_or_time(a.get("date"), a.get("date_only", False)),
            "relation": row["relation"], "similarity": row["similarity"],
            "origin_id": row["origin_id"], "origin_source": o.get("source"), "origin_title": o.get("title"),
            "origin_date": day_or_time(o.get("date"), o.get("date_only", False))}


@app.command("eval-dedup")
def eval_dedup(
    file: Path = typer.Argument(..., help="A JSONL corpus {id, cluster, date, source, title, text}."),
    seed: int = typer.Option(1, "--seed", help="Generator seed (copies/rewrites vary with it)."),
    dense: bool = typer.Option(False, "--dense", help="Use the MiniLM encoder for sentence alignment."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Use only the first N records."),
    fmt: Format = FORMAT,
) -> None:
    """Generate copies and rewrites of FILE's records and report precision/recall/F1 per relation."""
    import itertools

    from ..copies.evaluate import evaluate_records
    from ..copies.generate import GeneratorConfig, generate, read_jsonl

    if not file.exists():
        raise typer.BadParameter(f"{file} does not exist; give a JSONL file like ../shared/data/allsides-2021.jsonl")
    encoder = None
    if dense:
        from ..represent.dense import MiniLMEncoder

        encoder = MiniLMEncoder(threads=2)
    from ..errors import StorylineError

    try:
        originals = list(itertools.islice(read_jsonl(file), limit))
    except ValueError as e:  # a malformed line is the user's input, not a crash
        raise StorylineError(f"{e}; eval-dedup needs one JSON object per line") from None
    records = list(generate(originals, GeneratorConfig(seed=seed)))
    report = evaluate_records(records, state.settings.copies, encoder)
    if fmt in (Format.json, Format.jsonl):
        emit_one(report.as_dict(), fmt)
        return
    rows = [{"relation": r, **v} for r, v in report.per_relation.items()]
    emit(rows, fmt, ["relation", "precision", "recall", "f1", "support"],
         title=f"{file.name}: {report.n_records} records scored, {report.n_skipped} skipped (no text), "
               f"{report.n_pairs} pairs ({report.method})")
    stderr.print(
        f"independent same-story pairs called copy/rewrite: {report.independent_flagged}/{report.independent_pairs}"
        f" = {report.independent_fp_rate:.2%}; LSH candidate recall of copy pairs: {report.lsh_copy_recall:.2%};"
        f" originals with an identical body merged into one family: {report.duplicate_originals}"
    )
    if report.n_skipped:
        # ids as repr: a record's id is input, and may hold markup or control characters
        stderr.print(f"{report.n_skipped} record(s) without text skipped, not scored: "
                     f"{', '.join(map(repr, report.skipped))}{' …' if report.n_skipped > len(report.skipped) else ''}",
                     highlight=False, markup=False)
