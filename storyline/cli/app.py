"""The typer application and the options every command shares (--db, --config, --set, -v)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import typer

from ..settings import Settings, load_settings, parse_assignments

app = typer.Typer(
    name="storyline",
    help="Group news reports into stories; compare what sources agree on and where they differ.\n\n"
         "Exit status: 0 ok; 1 finished with rejected input, or a lookup failed; 2 usage or settings error; "
         "3 the environment stopped it (disk full, file-size limit, permission denied, read-only file system, "
         "database locked by another process): one line names the path and what to do.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# commands that only read the store: on a database file that does not exist they fail with a hint instead of
# creating an empty one (a mistyped --db would otherwise leave a stray file and print "no stories")
READ_ONLY_COMMANDS = frozenset({"stories", "articles", "search", "rejects", "runs", "show", "explain", "copies",
                                "feeds"})


@dataclass
class State:
    db: Path | str = Path("storyline.db")  # a SQLite path, or a PostgreSQL URL kept as typed (a str)
    config: Optional[Path] = None
    overrides: dict[str, str] = field(default_factory=dict)
    verbose: bool = False
    command: Optional[str] = None  # the subcommand being run
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config, overrides=self.overrides)
        return self._settings

    def open_store(self):
        from ..store import Store, is_postgres_url, open_store

        if isinstance(self.db, str) and is_postgres_url(self.db):  # PostgreSQL (docs/postgres.md)
            return open_store(self.db)
        if self.command in READ_ONLY_COMMANDS and not self.db.exists():
            from ..errors import NotFound

            raise NotFound(f"no database at {str(self.db)!r}; build one with `storyline --db {self.db} ingest "
                           "PATH…`, or point --db / STORYLINE_DB at an existing one")
        import sqlite3

        from ..errors import StorylineError, environment_problem

        try:
            return Store(self.db)
        except (sqlite3.DatabaseError, OSError) as e:  # a folder, an HTML file, a database of another program …
            env = None if self.db.is_dir() else environment_problem(e, self.db)  # … or the machine: disk full,
            if env is not None:  # permission denied, locked
                raise env from e
            if isinstance(e, OSError):
                raise
            raise StorylineError(f"cannot open {str(self.db)!r} as a storyline database ({e}); --db must name an "
                                 "SQLite file made by storyline, or a new path for `ingest` to create") from None


state = State()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: str = typer.Option(
        os.environ.get("STORYLINE_DB", "storyline.db"), "--db",
        help="SQLite database file, or a PostgreSQL URL postgresql://USER@HOST:PORT/DB (env STORYLINE_DB).",
    ),
    config: Optional[Path] = typer.Option(None, "--config", help="Settings file (default ./storyline.toml)."),
    set_: list[str] = typer.Option([], "--set", help="Override a setting: --set section.key=value (repeatable)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show tracebacks on errors."),
) -> None:
    from ..store import check_target, is_postgres_url

    check_target(db)  # a URL of another scheme must not become a SQLite file in a folder named after it
    state.db = db if is_postgres_url(db) else Path(db)
    state.config = config
    state.overrides = parse_assignments(set_)
    state.verbose = verbose
    state._settings = None
    state.settings  # validate settings up front: a bad --set or storyline.toml is a usage error (exit 2)
    state.command = ctx.invoked_subcommand
