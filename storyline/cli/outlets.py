"""`storyline outlets` (the outlets, registered or seen, with their article counts) and `storyline outlets import
FILE` (an outlets.toml or CSV into the registry). docs/outlets.md."""

from __future__ import annotations

from pathlib import Path

import typer

from .app import state
from .app import app as root
from .core import FORMAT
from .output import Format, emit, stderr

outlets_app = typer.Typer(help="Outlets: the registry (name, aliases, domains, country, language, kind, owner, your "
                               "own attributes) and how many articles each has.",
                          invoke_without_command=True, no_args_is_help=False)
root.add_typer(outlets_app, name="outlets")


@outlets_app.callback()
def outlets(ctx: typer.Context, fmt: Format = FORMAT) -> None:
    """List outlets: registered ones with their attributes, and outlets seen in articles but not registered."""
    if ctx.invoked_subcommand is not None:
        return
    from ..outlets import outlet_listing

    if isinstance(state.db, Path) and not state.db.exists():
        from ..errors import NotFound

        raise NotFound(f"no database at {str(state.db)!r}; build one with `storyline --db {state.db} ingest PATH…`")
    with state.open_store() as store:
        rows, unknown = outlet_listing(store)
    if fmt in (Format.table, Format.csv):
        for r in rows:
            r["aliases"] = ", ".join(r["aliases"])
            r["domains"] = ", ".join(r["domains"])
            r["attributes"] = ", ".join(f"{k}={v}" for k, v in sorted(r["attributes"].items()))
            r["registered"] = "yes" if r["registered"] else "no"
    emit(rows, fmt, ["name", "registered", "kind", "country", "language", "owner", "domains", "attributes",
                     "articles", "stories"], title="Outlets")
    n_reg = sum(1 for r in rows if r["registered"] in (True, "yes"))
    stderr.print(f"{len(rows)} outlets ({n_reg} registered); {unknown} article(s) from an unknown outlet"
                 + ("" if n_reg else "; register outlets with `storyline outlets import outlets.toml`"),
                 highlight=False)


@outlets_app.command("import")
def import_(
    # "\\[" keeps rich (typer's help renderer) from reading "[[outlet]]" as markup and dropping it
    file: Path = typer.Argument(..., help="An outlets.toml (\\[\\[outlet]] tables) or .csv (a header row) file."),
    replace: bool = typer.Option(False, "--replace", help="Remove registered outlets the file does not list."),
) -> None:
    """Add or update registered outlets from FILE, then resolve every stored article's outlet afresh."""
    from ..outlets import import_outlets_file

    with state.open_store() as store:
        result = import_outlets_file(store, file, replace=replace)
    stderr.print(f"outlets: {result['added']} added, {result['updated']} updated, {result['removed']} removed; "
                 f"{result['articles_changed']} stored article(s) changed outlet",
                 highlight=False, markup=False)
