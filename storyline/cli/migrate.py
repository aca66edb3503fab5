"""`storyline migrate`: create or upgrade the schema of the database --db names (SQLite file or PostgreSQL URL)."""

from __future__ import annotations

import sys

from .app import app, state
from .output import stderr


@app.command()
def migrate() -> None:
    """Create or upgrade the database's schema (SQLite file or PostgreSQL URL); print the migrations it applied.

    Every command applies pending migrations when it opens the store; this one does only that, so a deploy can
    upgrade a shared PostgreSQL database once, before the services that use it start (docs/postgres.md).
    """
    from ..store import redact_url

    with state.open_store() as store:
        applied = list(store.applied_on_open)
        applied += store.migrate()  # nothing left, unless another process added files between the two calls
        total = len(store.applied_migrations())
    for name in applied:
        sys.stdout.write(f"applied {name}\n")
    where = redact_url(state.db) if isinstance(state.db, str) else str(state.db)
    stderr.print(f"{where}: {len(applied)} migration{'s' * (len(applied) != 1)} applied now, {total} in all; the "
                 "schema is current", highlight=False)
