"""PostgreSQL store: psycopg 3 over a ``psycopg_pool.ConnectionPool``, versioned migrations of its own
(``storyline/store/migrations/postgres/``), full text search on a weighted ``tsvector`` column.

The public methods are those of the SQLite :class:`~storyline.store.sqlite.Store`, section by section in the same
order, with the same records in and out: adding a store method means writing its twin here (same name, same
signature, same return shape). Timestamps are ``timestamptz`` columns; the dicts the SQLite store returns with
ISO 8601 strings (``runs``, ``list_rejects``, ``list_articles`` …) carry the same strings here (:func:`_iso_fields`),
and records (:class:`Article`, :class:`Story`) carry timezone-aware datetimes on both.

Outside a transaction each method runs on a pooled connection and commits on its own; inside
``with store.transaction():`` every method of this thread runs on the transaction's connection. The raw
``query``/``execute``/``conn`` of the SQLite store are SQLite SQL and exist here only to say which statement needs a
store method (:class:`NeedsStoreMethod`).
"""

from __future__ import annotations

import json
import logging
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import partial
from importlib import resources
from typing import TYPE_CHECKING, Any, ContextManager, Iterable, Iterator, Sequence

from ...errors import NotFound, NotInstalled, StorylineError
from ...records import Article, Assignment, Rejected, RunStats, Story
from ..sqlite import INTERRUPTED_NOTE, MIN_PREFIX, _candidates, iso, utcnow
from .feeds import PostgresFeedQueries
from .listings import PostgresListingQueries, story_having
from .queue import PostgresIngestQueue
from .copies import PostgresCopies
from .entities import PostgresEntities
from .memberships import PostgresMemberships
from .search import PostgresSearchQueries
from .vectors import PostgresVectors

# psycopg_pool logs a warning per broken connection it discards (a server restart), and psycopg one when a
# pipeline's exit fails after the connection was lost ("error ignored terminating <psycopg.Pipeline [BAD]>"; the
# first error, the lost connection, is what propagates): without a handler of the application's, Python's
# last-resort handler would print them beside the one-line error the CLI gives for it. An application that
# configures logging still receives them (they propagate to its handlers).
logging.getLogger("psycopg").addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from ...outlets import Outlet, Registry

try:
    import psycopg
    from psycopg.rows import dict_row
    from psycopg.types.json import Jsonb
    from psycopg_pool import ConnectionPool
except ImportError:  # pragma: no cover - depends on the installed extras
    psycopg = None  # type: ignore[assignment]

MIGRATION_LOCK_KEY = 0x5354_4F52_594D_4947  # "STORYMIG": one migrator at a time per database
POOL_MAX_SIZE = 8  # connections per store; readers beyond it wait for a free one (psycopg_pool)
CONNECT_TIMEOUT_S = 10.0  # how long opening the store waits for the server before it gives up with an error

_dumps = partial(json.dumps, default=str)


class NeedsStoreMethod(StorylineError):
    """Code outside the store ran raw SQL (written for SQLite) on the PostgreSQL store."""


def _migrations() -> list[tuple[str, str]]:
    folder = resources.files("storyline.store") / "migrations" / "postgres"
    files = sorted((f.name, f) for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name.removesuffix(".sql"), f.read_text("utf-8")) for name, f in files]


def _aware(dt: datetime | None) -> datetime | None:
    """A datetime to store: naive ones are taken as UTC (as the SQLite store's ISO strings are read back)."""
    if dt is None or dt.tzinfo is not None:
        return dt
    return dt.replace(tzinfo=timezone.utc)


def _iso_fields(row: dict[str, Any], *names: str) -> dict[str, Any]:
    """The SQLite store's dict contract: these timestamp columns as ISO 8601 strings in UTC."""
    for n in names:
        if isinstance(row.get(n), datetime):
            row[n] = iso(row[n])
    return row


# the columns an Article is read from (never `SELECT *`: that would also carry the tsvector of every row)
ARTICLE_COLUMNS = ("id, external_id, source, title, title_derived, text, date, lang, url, byline, origin, warnings, "
                   "extra")


def article_from_pg(row: dict[str, Any]) -> Article:
    return Article(
        id=row["id"],
        title=row["title"],
        text=row["text"],
        source=row["source"],
        date=row["date"],
        lang=row["lang"],
        url=row["url"],
        byline=row["byline"],
        external_id=row["external_id"],
        title_derived=bool(row["title_derived"]),
        origin=row["origin"],
        warnings=tuple(row["warnings"]),
        extra=row["extra"],
    )


def _story(r: dict[str, Any]) -> Story:
    return Story(
        id=r["id"],
        headline=r["headline"],
        n_articles=int(r["n_articles"]),
        sources=tuple(sorted(s for s in r["sources"] if s is not None)),
        first_seen=r["first_seen"],
        last_seen=r["last_seen"],
    )


class PostgresStore(PostgresSearchQueries, PostgresVectors, PostgresCopies, PostgresMemberships, PostgresEntities,
                    PostgresFeedQueries, PostgresListingQueries, PostgresIngestQueue):
    """A storyline database on a PostgreSQL server, e.g. ``PostgresStore("postgresql://news@db:5432/news")``.

    Opening it applies the pending migrations (one process at a time, under an advisory lock). Thread-safe: one
    store can serve many threads (each borrows a pooled connection per call, or holds one for a transaction).
    """

    backend = "postgresql"

    def __init__(self, url: str, *, pool_max_size: int = POOL_MAX_SIZE):
        if psycopg is None:
            raise NotInstalled("psycopg", "postgres")
        from .. import redact_url

        self.url = self.path = url  # `path`: what the SQLite store calls its target (messages, the API context)
        self._shown = redact_url(url)
        self._local = threading.local()
        try:  # one plain connection first: a refused or mistyped URL fails at once, with the server's reason
            psycopg.connect(url, connect_timeout=int(CONNECT_TIMEOUT_S)).close()
        except psycopg.Error as e:
            raise StorylineError(self._cannot_connect(e)) from None
        self.pool = ConnectionPool(url, min_size=1, max_size=pool_max_size, open=False, configure=_configure,
                                   kwargs={"row_factory": dict_row}, name="storyline")
        try:
            self.pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except Exception as e:  # psycopg_pool.PoolTimeout: the server stopped answering since the first connection
            self.pool.close()
            raise StorylineError(self._cannot_connect(e)) from None
        try:
            self.applied_on_open = self.migrate()  # the migration names this open applied (`storyline migrate`)
        except BaseException:
            self.pool.close()
            raise

    def _cannot_connect(self, e: BaseException) -> str:
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return (f"cannot connect to PostgreSQL at {self._shown!r} ({detail}); check that the server runs and that "
                "the URL's user, password, host, port and database are right (postgresql://USER:PASSWORD@HOST:PORT/"
                "DATABASE)")

    # -- plumbing ---------------------------------------------------------------------------------------------
    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> "PostgresStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self._shown!r})"

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """This thread's transaction connection, or a pooled one that commits when the block ends."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        with self.pool.connection() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A (re-entrant) write transaction: everything inside commits together or not at all. A nested block is
        a savepoint: its failure undoes only its own writes if the outer block goes on."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            with conn.transaction():
                yield conn
            return
        with self.pool.connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    yield conn
            finally:
                self._local.conn = None

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self._connection() as conn:
            return conn.execute(sql, params).fetchall()

    def _run(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> None:
        with self._connection() as conn:
            conn.execute(sql, params)

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with self._connection() as conn, conn.cursor() as cur:
            cur.executemany(sql, rows)

    def migrate(self) -> list[str]:
        """Apply pending migrations (``migrations/postgres/*.sql``, each in its own transaction); return the names
        applied. Processes opening one new database together wait for each other on an advisory lock."""
        applied: list[str] = []
        with self.pool.connection() as conn:
            conn.autocommit = True
            try:
                if self._schema_current(conn):  # reads only: a current schema opens on a read-only server too
                    return applied
                conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
                try:
                    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, "
                                 "applied_at timestamptz NOT NULL)")
                    done = {r["name"] for r in conn.execute("SELECT name FROM schema_migrations").fetchall()}
                    for name, sql in _migrations():
                        if name in done:
                            continue
                        with conn.transaction():
                            conn.execute(sql)  # a whole file: PostgreSQL runs several statements in one call
                            conn.execute("INSERT INTO schema_migrations(name, applied_at) VALUES (%s, %s)",
                                         (name, utcnow()))
                        applied.append(name)
                    self._ensure_vector_column(conn)  # pgvector, when the database has it (vectors.py)
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
            finally:
                conn.autocommit = False
        return applied

    def _schema_current(self, conn: Any) -> bool:
        """Whether every migration is applied and the pgvector column is there where the extension is, read
        without writing anything (a standby or a read-only database answers this)."""
        if not conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL AS t").fetchone()["t"]:
            return False
        done = {r["name"] for r in conn.execute("SELECT name FROM schema_migrations").fetchall()}
        if any(name not in done for name, _ in _migrations()):
            return False
        return not conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AND NOT EXISTS (SELECT 1 FROM "
            "information_schema.columns WHERE table_name = 'article_embeddings' AND column_name = 'embedding') "
            "AS missing").fetchone()["missing"]

    def applied_migrations(self) -> list[str]:
        """The names of the migrations applied to this database, in order."""
        return [r["name"] for r in self._rows("SELECT name FROM schema_migrations ORDER BY name")]

    def _raw(self, method: str, sql: str) -> NeedsStoreMethod:
        one_line = " ".join(sql.split())
        return NeedsStoreMethod(
            f"{method}() runs raw SQLite SQL, which the PostgreSQL store does not take: {one_line[:160]!r}; this "
            "statement needs a store method (storyline/store/, in sqlite.py and its twin in postgres/); until then "
            "use a SQLite database (--db PATH) for this command")

    def query(self, sql: str, params: Any = ()) -> list[Any]:
        raise self._raw("query", sql)

    def execute(self, sql: str, params: Any = ()) -> Any:
        raise self._raw("execute", sql)

    @property
    def conn(self) -> Any:
        raise NeedsStoreMethod(
            "the PostgreSQL store has no `conn`: code outside storyline/store/ that runs SQL on the SQLite "
            "connection needs a store method (storyline/store/, in sqlite.py and its twin in postgres/)")

    # -- runs -------------------------------------------------------------------------------------------------
    def ingest_lock(self) -> ContextManager[None]:
        """The database's one-writer-at-a-time ingest lock: a session-level ``pg_advisory_lock`` held on a
        dedicated connection (:mod:`storyline.store.postgres.lock`); re-entrant within a process."""
        from .lock import advisory_ingest_lock

        return advisory_ingest_lock(self.url, partial(psycopg.connect, self.url, autocommit=True))

    def ingest_generation(self) -> tuple[int, str]:
        """Changes whenever any process starts or finishes an ingest run (see the SQLite store)."""
        r = self._rows("SELECT coalesce(max(id), 0) AS id, max(finished_at) AS fin FROM runs "
                       "WHERE state != 'queued'")[0]  # a queued run has stored nothing yet (docs/worker.md)
        return int(r["id"]), iso(r["fin"]) or ""

    def start_run(self, command: str) -> int:
        """Record a new run in state ``running``; any other run still ``running`` is marked ``interrupted`` (the
        caller holds the ingest lock, so its process died; see the SQLite store)."""
        with self.transaction():
            self._run("UPDATE runs SET state='interrupted', error=coalesce(error, %s) WHERE state='running'",
                      (INTERRUPTED_NOTE,))
            return int(self._rows("INSERT INTO runs(command, started_at, state) VALUES (%s, %s, 'running') "
                                  "RETURNING id", (command, utcnow()))[0]["id"])

    def record_progress(self, stats: RunStats) -> None:
        """Write a run's counts so far; called inside each batch's transaction, so they are what it committed."""
        self._run("UPDATE runs SET seen=%s, accepted=%s, rejected=%s, duplicates=%s, new_stories=%s WHERE id=%s",
                  (stats.seen, stats.accepted, stats.rejected, stats.duplicates, stats.new_stories, stats.run_id))

    def finish_run(self, stats: RunStats, error: str | None = None) -> None:
        """Close a run with its counts and its state (see the SQLite store)."""
        state = "finished" if error is None else "interrupted" if error == "interrupted" else "failed"
        self._run("UPDATE runs SET finished_at=%s, seen=%s, accepted=%s, rejected=%s, duplicates=%s, "
                  "new_stories=%s, error=%s, state=%s WHERE id=%s",
                  (utcnow(), stats.seen, stats.accepted, stats.rejected, stats.duplicates, stats.new_stories,
                   error, state, stats.run_id))

    def runs(self) -> list[dict[str, Any]]:
        """Every run, oldest first. A run recorded as ``running`` while no session of the server holds the ingest
        advisory lock (``pg_locks``; a session that ends, however its process died, lets go of it) is listed as
        ``interrupted`` with the counts it committed, as on SQLite."""
        rows = [_iso_fields(r, "started_at", "finished_at") for r in self._rows("SELECT * FROM runs ORDER BY id")]
        running = [r["id"] for r in rows if r["state"] == "running"]
        if running:
            dead = self._running_runs_without_holder(running)
            if not dead and not self._ingest_lock_held():
                return self.runs()  # a run ended between the reads: list them again
            for r in rows:
                if r["id"] in dead:
                    r["state"] = "interrupted"
                    r["error"] = r["error"] or INTERRUPTED_NOTE
        return rows

    def _ingest_lock_held(self) -> bool:
        from .lock import HELD_PARAMS, HELD_SQL, held_here

        return held_here(self.url) or bool(self._rows(HELD_SQL, HELD_PARAMS)[0]["held"])

    def _running_runs_without_holder(self, run_ids: list[int]) -> set[int]:
        """Which of ``run_ids``, read as ``running``, no live process runs: the ingest lock is free, and the run still
        reads ``running`` after that was seen. The row and ``pg_locks`` are read at different moments, and a worker
        writes a run's last state before it lets go of the lock: a run that ended between the two reads reads
        ``finished`` on the second look, and a run that a new holder resumed meanwhile shows the lock held again on
        the third."""
        if self._ingest_lock_held():
            return set()
        still = {int(r["id"]) for r in self._rows("SELECT id FROM runs WHERE id = ANY(%s) AND state='running'",
                                                  ([int(i) for i in run_ids],))}
        if not still or self._ingest_lock_held():
            return set()
        return still

    # -- articles ---------------------------------------------------------------------------------------------
    def has_article(self, article_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM articles WHERE id=%s", (article_id,)))

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        return {r["id"] for r in self._rows("SELECT id FROM articles WHERE id = ANY(%s)", (list(ids),))}

    _ARTICLE_SQL = """INSERT INTO articles(id, external_id, source, title, title_derived, text, date, lang, url,
                                           byline, origin, warnings, extra, run_id, ingested_at)
                      VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"""

    def add_article(self, article: Article, run_id: int | None = None) -> None:
        self.add_articles([article], run_id)

    def add_articles(self, articles: Sequence[Article], run_id: int | None = None) -> None:
        """Insert articles in one ``executemany`` (one timestamp for the batch); arrival order is ``seq``."""
        now = utcnow()
        self._many(self._ARTICLE_SQL, [
            (a.id, a.external_id, a.source, a.title, bool(a.title_derived), a.text, _aware(a.date), a.lang, a.url,
             a.byline, a.origin, Jsonb(list(a.warnings)), Jsonb(dict(a.extra), dumps=_dumps), run_id, now)
            for a in articles])

    def get_article(self, article_id: str) -> Article:
        rows = self._rows(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id=%s", (article_id,))
        if not rows:
            rows = self._by_prefix("articles", ARTICLE_COLUMNS, article_id)
            if len(rows) > 1:
                raise NotFound(f"article id prefix {article_id!r} is ambiguous: it starts {_candidates(rows)}; "
                               "give more characters")
            if not rows:
                raise NotFound(f"no such article {article_id!r}; try `storyline articles`")
        return article_from_pg(rows[0])

    def ids_by_external_id(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """``{(source, external_id): article id}`` of stored articles with those keys (the first stored wins)."""
        wanted = set(keys)
        out: dict[tuple[str, str], str] = {}
        for r in self._rows("SELECT source, external_id, id FROM articles WHERE external_id = ANY(%s) ORDER BY seq",
                            (sorted({eid for _, eid in wanted}),)):
            key = (str(r["source"]), str(r["external_id"]))
            if key in wanted:
                out.setdefault(key, str(r["id"]))
        return out

    # -- versions (docs/versions.md) ----------------------------------------------------------------------------
    def supersede_versions(self, articles: Sequence[Article]) -> set[str]:
        """Mark the versions that ``articles`` replace; the stories whose current articles changed (the rule is
        the SQLite store's, which documents it)."""
        from ...records import UNKNOWN_OUTLET

        keyed = [a for a in articles if a.external_id and a.source != UNKNOWN_OUTLET]
        if not keyed:
            return set()
        wanted = {(a.source, str(a.external_id)) for a in keyed}
        current: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in self._rows("SELECT id, source, external_id, date FROM articles WHERE external_id = ANY(%s) "
                            "AND superseded_by IS NULL ORDER BY seq", (sorted({k[1] for k in wanted}),)):
            key = (str(r["source"]), str(r["external_id"]))
            if key in wanted:
                current.setdefault(key, []).append(r)
        pairs: list[tuple[str, str]] = []  # (newer, older)
        for rows in current.values():
            cur = rows[0]
            for r in rows[1:]:
                if r["date"] is not None and cur["date"] is not None and r["date"] < cur["date"]:
                    pairs.append((cur["id"], r["id"]))  # dated before the current version: an older one, late
                else:
                    pairs.append((r["id"], cur["id"]))
                    cur = r
        if not pairs:
            return set()
        with self.transaction():
            self._many("UPDATE articles SET superseded_by=%s WHERE id=%s", pairs)
            stories = {r["story_id"] for r in self._rows(
                "SELECT DISTINCT story_id FROM memberships WHERE article_id = ANY(%s)", ([o for _, o in pairs],))}
            self._run("UPDATE stories SET updated_at=%s WHERE id = ANY(%s)", (utcnow(), sorted(stories)))
        return stories

    def article_versions(self, article_id: str) -> dict[str, Any]:
        """``{"superseded_by", "current_version", "versions"}`` of one stored article (see the SQLite store)."""
        rows = self._rows("SELECT id, source, external_id, superseded_by FROM articles WHERE id=%s", (article_id,))
        if not rows:
            raise NotFound(f"no such article {article_id!r}; try `storyline articles`")
        me = rows[0]
        out: dict[str, Any] = {"superseded_by": me["superseded_by"], "current_version": me["id"], "versions": []}
        if me["external_id"] is None:
            return out
        versions = self._rows(
            "SELECT id, title, date, ingested_at, superseded_by FROM articles WHERE source=%s AND external_id=%s "
            "ORDER BY seq", (me["source"], me["external_id"]))
        if len(versions) < 2:
            return out
        out["current_version"] = next((v["id"] for v in versions if v["superseded_by"] is None), me["id"])
        out["versions"] = [{"id": v["id"], "title": v["title"], "date": v["date"],
                            "ingested_at": iso(v["ingested_at"]), "superseded_by": v["superseded_by"],
                            "current": v["superseded_by"] is None} for v in versions]
        return out

    def iter_articles(self, story_id: str | None = None) -> Iterator[Article]:
        """Every stored article in arrival order, or the current articles of one story (by date, then arrival)."""
        if story_id is None:
            rows = self._rows(f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY seq")
        else:
            rows = self._rows(
                f"SELECT {', '.join('a.' + c for c in ARTICLE_COLUMNS.split(', '))} FROM articles a JOIN memberships m "
                "ON m.article_id=a.id WHERE m.story_id=%s "
                "AND a.superseded_by IS NULL ORDER BY a.date ASC NULLS LAST, a.seq",
                (self.resolve_story_id(story_id),))
        for r in rows:
            yield article_from_pg(r)

    def count_articles(self) -> int:
        return int(self._rows("SELECT count(*) AS n FROM articles")[0]["n"])

    def list_articles(self, story_id: str | None = None, limit: int | None = None,
                      all_versions: bool = False) -> list[dict[str, Any]]:
        """The ``articles --format json`` contract: id, story_id, source, title, date, lang, byline (see the
        SQLite store)."""
        sql = ("SELECT a.id, m.story_id, a.source, a.title, a.date, a.lang, a.byline"
               + (", a.superseded_by" if all_versions else "")
               + " FROM articles a LEFT JOIN memberships m ON m.article_id=a.id")
        where: list[str] = [] if all_versions else ["a.superseded_by IS NULL"]
        params: list[Any] = []
        if story_id is not None:
            where.append("m.story_id=%s")
            params.append(self.resolve_story_id(story_id))
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY a.date ASC NULLS LAST, a.seq"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        return [_iso_fields(r, "date") for r in self._rows(sql, params)]

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Full-text search over titles and texts: every word must appear (``websearch_to_tsquery`` of the words),
        ranked by ``ts_rank_cd`` (title weighted above text), with a ``ts_headline`` snippet of the text."""
        hits = self.fts_article_hits(query, limit=limit, snippet_words=12)
        return [{"id": h["id"], "story_id": h["story_id"], "source": h["source"], "title": h["title"],
                 "date": h["date"], "snippet": h["snippet"], "rank": -h["score"]} for h in hits]

    # -- rejects ----------------------------------------------------------------------------------------------
    def add_reject(self, rejected: Rejected, run_id: int | None = None, input_hash: str = "") -> None:
        """Store a reject once per input (the same ``ref``, stage, reason, detail and ``input_hash``), linked to
        each run that met it and counted in ``run_rejects.n`` (see the SQLite store)."""
        # a reject's detail may quote the bad input: unpaired surrogates (not UTF-8) and NUL (not storable in a
        # PostgreSQL text) are escaped
        ref, detail = (s.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
                       for s in (rejected.ref, rejected.detail))
        key = (ref, rejected.stage, rejected.reason, detail, input_hash)
        find = ("SELECT id FROM rejects WHERE md5(ref)=md5(%s) AND stage=%s AND reason=%s AND md5(detail)=md5(%s) "
                "AND input_hash=%s AND ref=%s AND detail=%s")
        with self.transaction():
            # looked up before inserting: an INSERT that meets the unique index still draws an id from the
            # sequence, and the ids would then differ from SQLite's (the insert's ON CONFLICT covers a race)
            found = self._rows(find, (*key, ref, detail))
            if not found:
                found = self._rows(
                    "INSERT INTO rejects(run_id, ref, stage, reason, detail, input_hash, created_at) "
                    "VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (md5(ref), stage, reason, md5(detail), input_hash) "
                    "WHERE input_hash IS NOT NULL DO NOTHING RETURNING id", (run_id, *key, utcnow())
                ) or self._rows(find, (*key, ref, detail))
            if run_id is not None:
                self._run("INSERT INTO run_rejects(run_id, reject_id) VALUES (%s, %s) "
                          "ON CONFLICT (run_id, reject_id) DO UPDATE SET n = run_rejects.n + 1",
                          (run_id, found[0]["id"]))

    def list_rejects(self, run_id: int | None = None) -> list[dict[str, Any]]:
        """Stored rejects (``run_id``: the run that first stored each); with ``run_id`` given, those that run met,
        including inputs an earlier run had already stored."""
        if run_id is None:
            sql, params = "SELECT id, run_id, ref, stage, reason, detail, created_at FROM rejects", ()
        else:
            sql = ("SELECT r.id, rr.run_id, r.ref, r.stage, r.reason, r.detail, r.created_at FROM rejects r "
                   "JOIN run_rejects rr ON rr.reject_id = r.id WHERE rr.run_id=%s")
            params = (run_id,)
        return [_iso_fields(r, "created_at") for r in self._rows(sql + " ORDER BY id", params)]

    def run_reject_counts(self, run_id: int) -> dict[int, int]:
        """``{reject id: how many times run ``run_id`` met that input}`` (``run_rejects.n``)."""
        return {int(r["reject_id"]): int(r["n"]) for r in self._rows(
            "SELECT reject_id, n FROM run_rejects WHERE run_id=%s", (run_id,))}

    # -- stories ----------------------------------------------------------------------------------------------
    def create_story(self, story_id: str, headline: str) -> None:
        self.create_stories([(story_id, headline)])

    def create_stories(self, stories: Sequence[tuple[str, str]]) -> None:
        now = utcnow()
        self._many("INSERT INTO stories(id, headline, created_at, updated_at) VALUES (%s,%s,%s,%s)",
                   [(sid, headline, now, now) for sid, headline in stories])

    def set_headline(self, story_id: str, headline: str) -> None:
        self._run("UPDATE stories SET headline=%s, updated_at=%s WHERE id=%s", (headline, utcnow(), story_id))

    def add_membership(self, assignment: Assignment) -> None:
        self.add_memberships([assignment])

    def add_memberships(self, assignments: Sequence[Assignment]) -> None:
        """Upsert memberships in one ``executemany`` and touch each story's ``updated_at`` once."""
        now = utcnow()
        rows = [(a.article_id, a.story_id, float(a.score),
                 Jsonb({k: v if isinstance(v, str) else round(float(v), 4) for k, v in a.components.items()}),
                 Jsonb(list(a.shared)), now)  # a str component is an id (the nearest story of a new story)
                for a in assignments]
        with self.transaction():
            self._many(
                """INSERT INTO memberships(article_id, story_id, score, components, shared, assigned_at)
                   VALUES (%s,%s,%s,%s,%s,%s)
                   ON CONFLICT (article_id) DO UPDATE SET story_id=excluded.story_id, score=excluded.score,
                       components=excluded.components, shared=excluded.shared, assigned_at=excluded.assigned_at""",
                rows)
            self._run("UPDATE stories SET updated_at=%s WHERE id = ANY(%s)",
                      (now, list(dict.fromkeys(a.story_id for a in assignments))))

    def merge_stories(self, keep: str, gone: str) -> None:
        """Fold story ``gone`` into ``keep``: members move, ``gone`` stays resolvable as an alias of ``keep``."""
        with self.transaction():
            now = utcnow()
            self._run("UPDATE memberships SET story_id=%s WHERE story_id=%s", (keep, gone))
            self._run("UPDATE story_aliases SET story_id=%s WHERE story_id=%s", (keep, gone))
            self._run("INSERT INTO story_aliases(alias, story_id, merged_at) VALUES (%s,%s,%s) ON CONFLICT (alias) "
                      "DO UPDATE SET story_id=excluded.story_id, merged_at=excluded.merged_at", (gone, keep, now))
            self._run("DELETE FROM stories WHERE id=%s", (gone,))
            self._run("UPDATE stories SET updated_at=%s WHERE id=%s", (now, keep))

    def resolve_story_id(self, story_id: str) -> str:
        """The current id of a story: itself, the story an alias was merged into, or a unique id prefix."""
        if self._rows("SELECT 1 FROM stories WHERE id=%s", (story_id,)):
            return story_id
        rows = self._rows("SELECT story_id FROM story_aliases WHERE alias=%s", (story_id,))
        if rows:
            return str(rows[0]["story_id"])
        rows = self._by_prefix("stories", "id", story_id)
        if len(rows) > 1:
            raise NotFound(f"story id prefix {story_id!r} is ambiguous: it starts {_candidates(rows)}; "
                           "give more characters")
        if rows:
            return str(rows[0]["id"])
        if len(story_id) >= MIN_PREFIX:  # a merged-away story's old id still resolves, when unique
            rows = self._rows("SELECT DISTINCT story_id FROM story_aliases WHERE left(alias, %s) = %s LIMIT 2",
                              (len(story_id), story_id))
            if len(rows) == 1:
                return str(rows[0]["story_id"])
        raise NotFound(f"no such story {story_id!r}; try `storyline stories`")

    def _by_prefix(self, table: str, columns: str, prefix: str) -> list[dict[str, Any]]:
        """Rows whose id starts with ``prefix`` (at most 5), a literal comparison of at least ``MIN_PREFIX``
        characters (no LIKE wildcards)."""
        if len(prefix) < MIN_PREFIX:
            return []
        return self._rows(f"SELECT {columns} FROM {table} WHERE left(id, %s) = %s ORDER BY id LIMIT 5",
                          (len(prefix), prefix))

    def story_aliases(self, story_id: str) -> list[str]:
        return [r["alias"] for r in self._rows("SELECT alias FROM story_aliases WHERE story_id=%s ORDER BY alias",
                                               (story_id,))]

    _STORY_SQL = """
        SELECT s.id, s.headline, count(m.article_id) AS n_articles,
               array_agg(DISTINCT a.source) AS sources,
               min(a.date) AS first_seen, max(a.date) AS last_seen,
               count(DISTINCT a.source) AS n_sources, s.created_at, s.updated_at
        FROM stories s JOIN memberships m ON m.story_id = s.id
        JOIN articles a ON a.id = m.article_id AND a.superseded_by IS NULL
    """  # current articles only: a story whose articles were all superseded is in no listing

    def list_stories(
        self,
        *,
        limit: int | None = None,
        offset: int = 0,
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
        min_sources: int = 0,
        order: str = "latest",
    ) -> list[Story]:
        """Stories with their counts. ``order``: ``latest`` (last_seen desc), ``most-covered``, ``oldest``."""
        orders = {
            "latest": "last_seen DESC NULLS LAST, s.id",
            "most-covered": "n_sources DESC, n_articles DESC, last_seen DESC NULLS LAST, s.id",
            "oldest": "first_seen ASC NULLS LAST, s.id",
        }
        if order not in orders:
            raise StorylineError(f"order must be one of {sorted(orders)}, got {order!r}")
        having, params = story_having(since, until, source, min_sources)
        sql = self._STORY_SQL + " GROUP BY s.id"
        if having:
            sql += " HAVING " + " AND ".join(having)
        sql += " ORDER BY " + orders[order]
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        return [_story(r) for r in self._rows(sql, params)]

    def get_story(self, story_id: str) -> Story:
        sid = self.resolve_story_id(story_id)
        rows = self._rows(self._STORY_SQL + " WHERE s.id=%s GROUP BY s.id", (sid,))
        if not rows:
            newer = [r["story_id"] for r in self._rows(
                "SELECT DISTINCT m2.story_id FROM memberships m JOIN articles a ON a.id = m.article_id "
                "JOIN articles b ON b.source = a.source AND b.external_id = a.external_id AND b.superseded_by IS NULL "
                "JOIN memberships m2 ON m2.article_id = b.id WHERE m.story_id = %s AND a.superseded_by IS NOT NULL "
                "ORDER BY m2.story_id LIMIT 5", (sid,))]
            if newer:
                raise NotFound(f"story {story_id!r} has no current articles: newer versions of them are in "
                               f"{', '.join(newer)}; try `storyline show {newer[0]}`")
            raise NotFound(f"story {story_id!r} has no articles; try `storyline stories`")
        return _story(rows[0])

    def count_stories(self, current: bool = False) -> int:
        """Stored stories; ``current``: only those with at least one current article."""
        if not current:
            return int(self._rows("SELECT count(*) AS n FROM stories")[0]["n"])
        return int(self._rows(
            "SELECT count(*) AS n FROM stories s WHERE EXISTS (SELECT 1 FROM memberships m JOIN articles a "
            "ON a.id = m.article_id WHERE m.story_id = s.id AND a.superseded_by IS NULL)")[0]["n"])

    def membership(self, article_id: str) -> dict[str, Any]:
        rows = self._rows("SELECT article_id, story_id, score, components, shared, assigned_at FROM memberships "
                          "WHERE article_id=%s", (article_id,))
        if not rows:
            raise NotFound(f"article {article_id!r} is in no story; try `storyline articles`")
        return _iso_fields(rows[0], "assigned_at")

    # -- outlets (docs/outlets.md; migration 0006) ------------------------------------------------------------
    def list_outlets(self) -> list["Outlet"]:
        """The registered outlets, by name."""
        from ...outlets import Outlet

        return [Outlet(name=r["name"], aliases=tuple(r["aliases"]), domains=tuple(r["domains"]),
                       country=r["country"], language=r["language"], kind=r["kind"], owner=r["owner"],
                       attributes=r["attributes"])
                for r in self._rows("SELECT * FROM outlets ORDER BY lower(name), name")]

    def outlet_registry(self) -> "Registry":
        from ...outlets import Registry

        return Registry(self.list_outlets())

    def put_outlets(self, outlets: Sequence["Outlet"], imported_from: str | None = None,
                    replace: bool = False) -> dict[str, int]:
        """Add or update registered outlets (by name); see the SQLite store."""
        from ...outlets import check_unique

        given = {o.name: o for o in outlets}
        kept = [] if replace else [o for o in self.list_outlets() if o.name not in given]
        check_unique([*kept, *given.values()], imported_from or "outlets")
        now = utcnow()
        with self.transaction():
            before = {r["name"] for r in self._rows("SELECT name FROM outlets")}
            removed = sorted(before - set(given)) if replace else []
            self._run("DELETE FROM outlets WHERE name = ANY(%s)", (removed,))
            self._many(
                """INSERT INTO outlets(name, aliases, domains, country, language, kind, owner, attributes,
                                       imported_from, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)
                   ON CONFLICT (name) DO UPDATE SET aliases=excluded.aliases, domains=excluded.domains,
                       country=excluded.country, language=excluded.language, kind=excluded.kind, owner=excluded.owner,
                       attributes=excluded.attributes, imported_from=excluded.imported_from,
                       updated_at=excluded.updated_at""",
                [(o.name, Jsonb(list(o.aliases)), Jsonb(list(o.domains)), o.country, o.language, o.kind, o.owner,
                  Jsonb(dict(o.attributes)), imported_from, now) for o in given.values()])
            changed = self.resolve_article_outlets()
        return {"added": len(set(given) - before), "updated": len(set(given) & before), "removed": len(removed),
                "articles_changed": changed}

    def resolve_article_outlets(self, registry: "Registry | None" = None) -> int:
        """Give every stored article the outlet the registry resolves it to; see the SQLite store."""
        registry = registry if registry is not None else self.outlet_registry()
        updates: list[tuple[str, Any, str]] = []
        for r in self._rows("SELECT id, source, url, byline, extra FROM articles"):
            hit = registry.resolve(r["source"], r["url"], r["byline"], r["extra"])
            if hit is not None:
                updates.append((hit[0], Jsonb(hit[1], dumps=_dumps), r["id"]))
        if not updates:
            return 0
        with self.transaction():
            self._many("UPDATE articles SET source=%s, extra=%s WHERE id=%s", updates)
            stories = sorted({r["story_id"] for r in self._rows(
                "SELECT DISTINCT story_id FROM memberships WHERE article_id = ANY(%s)", ([u[2] for u in updates],))})
            self._run("UPDATE stories SET updated_at=%s WHERE id = ANY(%s)", (utcnow(), stories))
        return len(updates)

    def outlet_counts(self) -> dict[str, dict[str, Any]]:
        """``{outlet: {"articles", "stories", "first", "last"}}`` over current articles (the unknown outlet too)."""
        rows = self._rows(
            "SELECT a.source, count(*) AS articles, count(DISTINCT m.story_id) AS stories, min(a.date) AS first, "
            "max(a.date) AS last FROM articles a LEFT JOIN memberships m ON m.article_id = a.id "
            "WHERE a.superseded_by IS NULL GROUP BY a.source")
        return {r["source"]: {"articles": int(r["articles"]), "stories": int(r["stories"]), "first": r["first"],
                              "last": r["last"]} for r in rows}

    def count_outlets(self) -> int:
        """Distinct outlets of the current articles; articles of an unknown outlet are not an outlet."""
        from ...records import UNKNOWN_OUTLET

        return int(self._rows("SELECT count(DISTINCT source) AS n FROM articles WHERE superseded_by IS NULL "
                              "AND source != %s", (UNKNOWN_OUTLET,))[0]["n"])

    def outlets_active_between(self, start: datetime, end: datetime) -> set[str]:
        """Outlets with a current article dated between ``start`` and ``end`` (inclusive)."""
        return {str(r["source"]) for r in self._rows(
            "SELECT DISTINCT source FROM articles WHERE superseded_by IS NULL AND date >= %s AND date <= %s",
            (_aware(start), _aware(end)))}

    _DATE_ONLY = "coalesce(a.extra->'date_only' IN ('true'::jsonb, '1'::jsonb), false)"  # SQLite's json_extract = 1

    def date_only_ids(self, article_ids: Iterable[str]) -> set[str]:
        """The articles among ``article_ids`` whose input gave a day without a time (``extra["date_only"]``)."""
        return {str(r["id"]) for r in self._rows(
            f"SELECT a.id FROM articles a WHERE a.id = ANY(%s) AND {self._DATE_ONLY}", (list(article_ids),))}

    def article_heads(self, article_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{id: {"source", "title", "date", "date_only"}}`` of stored articles (for listings that name articles)."""
        return {r["id"]: {"source": r["source"], "title": r["title"], "date": r["date"],
                          "date_only": bool(r["date_only"])}
                for r in self._rows(f"SELECT a.id, a.source, a.title, a.date, {self._DATE_ONLY} AS date_only "
                                    "FROM articles a WHERE a.id = ANY(%s)", (list(dict.fromkeys(article_ids)),))}

    def story_dates_day_only(self, story_ids: Iterable[str]) -> dict[str, tuple[bool, bool]]:
        """``{story: (first_seen is a day only, last_seen is a day only)}`` (see the SQLite store)."""
        rows = self._rows(
            f"""WITH cur AS (SELECT m.story_id AS sid, a.date AS date, {self._DATE_ONLY} AS day_only
                             FROM memberships m JOIN articles a ON a.id = m.article_id
                             WHERE a.superseded_by IS NULL AND a.date IS NOT NULL AND m.story_id = ANY(%s)),
                    b AS (SELECT sid, min(date) AS lo, max(date) AS hi FROM cur GROUP BY sid)
                SELECT b.sid, bool_and(cur.day_only) FILTER (WHERE cur.date = b.lo) AS first_day,
                       bool_and(cur.day_only) FILTER (WHERE cur.date = b.hi) AS last_day
                FROM b JOIN cur ON cur.sid = b.sid GROUP BY b.sid""", (list(story_ids),))
        return {str(r["sid"]): (bool(r["first_day"]), bool(r["last_day"])) for r in rows}


def _configure(conn: Any) -> None:
    """Every pooled connection speaks UTC, so timestamps come back as UTC-aware datetimes."""
    conn.autocommit = True
    conn.execute("SET TimeZone TO 'UTC'")
    conn.autocommit = False
