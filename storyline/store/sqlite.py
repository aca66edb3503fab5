"""SQLite store (WAL, foreign keys, versioned migrations, FTS5 over title and text).

One connection per :class:`Store`; writes are grouped in transactions by the pipeline (``with store.transaction():``).
Dates are stored as ISO 8601 strings in UTC, JSON columns as compact JSON.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, ContextManager, Iterable, Iterator, Sequence

from ..errors import NotFound, StorylineError
from ..records import Article, Assignment, Rejected, RunStats, Story
from .feeds import FeedQueries
from .listings import ListingQueries, story_having
from .queue import SqliteIngestQueue
from .copies import CopiesQueries
from .embeddings import EmbeddingQueries
from .entities import EntityQueries
from .memberships import MembershipQueries
from .search import SearchQueries

if TYPE_CHECKING:
    from ..outlets import Outlet, Registry


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(timezone.utc).isoformat()


def from_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _migrations() -> list[tuple[str, str]]:
    folder = resources.files("storyline.store") / "migrations"
    files = sorted((f.name, f) for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name.removesuffix(".sql"), f.read_text("utf-8")) for name, f in files]


def article_from_row(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"],
        title=row["title"],
        text=row["text"],
        source=row["source"],
        date=from_iso(row["date"]),
        lang=row["lang"],
        url=row["url"],
        byline=row["byline"],
        external_id=row["external_id"],
        title_derived=bool(row["title_derived"]),
        origin=row["origin"],
        warnings=tuple(json.loads(row["warnings"])),
        extra=json.loads(row["extra"]),
    )


# the error of a run whose process died (or whose record was left open): it did not finish
INTERRUPTED_NOTE = "the run did not finish (its process ended); its counts are what it committed"

MIN_PREFIX = 4  # shortest id prefix `show`/`explain` accept ("s-e0" resolves; "s-" or "" never does)

_FTS_TOKEN = re.compile(r"\w+", re.UNICODE)


MAX_QUERY_WORDS = 32  # distinct words of one search (800 took 8.6 s in FTS5 on the demo corpus)


def fts_query(query: str) -> str:
    """Turn free text into a safe FTS5 query: every word must appear (quoted, so operators are literal)."""
    words = list(dict.fromkeys(_FTS_TOKEN.findall(query)))  # a repeated word adds nothing but cost
    if not words:
        raise StorylineError(f"search query {query!r} has no words to look for")
    if len(words) > MAX_QUERY_WORDS:  # FTS5 ranking and snippets grow with the square of the terms
        raise StorylineError(f"search query has {len(words)} different words, more than {MAX_QUERY_WORDS}; "
                             "search for fewer words")
    return " ".join(f'"{w}"' for w in words)


def _candidates(rows: Sequence[sqlite3.Row]) -> str:
    ids = [str(r["id"]) for r in rows]
    return ", ".join(ids[:4]) + (", …" if len(ids) > 4 else "")


def _enable_wal(conn: sqlite3.Connection, timeout_s: float) -> None:
    """``PRAGMA journal_mode = WAL``, retried while another process holds the new database's lock: SQLite answers
    this pragma "database is locked" at once, without waiting for busy_timeout (processes opening one new database
    together, e.g. two `storyline ingest` or `serve --workers 2`)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "database is locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _create_database(path: str) -> list[str]:
    """Create the database ``path`` names whole or not at all: the schema is built in a temporary file in the same
    folder, which is linked into place once it is complete. A failure (disk full, a file-size limit, Ctrl-C) removes
    the temporary file and leaves no half-made database at ``path``. When another process creates ``path`` at the same
    moment, its database is kept and this one discarded. Returns the migrations applied to the database this call
    put in place (``[]`` when another process's was kept)."""
    import secrets

    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.creating")
    try:  # mode 0666 less the umask, as SQLite would create it (tempfile.mkstemp would make it 0600)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))
    except OSError as e:  # name the folder that cannot be written, not the temporary file
        raise OSError(e.errno, e.strerror, folder) from None
    try:
        made = Store(tmp)
        try:  # copy the WAL into the file now: at close a failed checkpoint (disk full) would go unreported
            busy, log, done = made.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            made.close()
        if busy or log != done or os.path.getsize(tmp) == 0 or (
                os.path.exists(f"{tmp}-wal") and os.path.getsize(f"{tmp}-wal") > 0):
            raise sqlite3.OperationalError("database or disk is full (the new database could not be completed)")
        try:
            os.link(tmp, path)  # unlike a rename, never replaces a database another process has just created
        except FileExistsError:
            return []
        except OSError:  # a file system without hard links (FAT, some network shares): rename, unless it appeared
            if os.path.lexists(path):
                return []
            os.replace(tmp, path)
        return made.applied_on_open
    finally:
        for leftover in (tmp, f"{tmp}-wal", f"{tmp}-shm", f"{tmp}-journal"):
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass


class Store(SearchQueries, CopiesQueries, MembershipQueries, EmbeddingQueries, EntityQueries, FeedQueries, ListingQueries,
            SqliteIngestQueue):
    """A storyline database. ``Store(":memory:")`` works for tests.

    >>> s = Store(":memory:")
    >>> s.count_articles()
    0
    """

    def __init__(self, path: str | Path = "storyline.db", *, check_same_thread: bool = True):
        self.path = str(path)
        created: list[str] = []  # the migrations applied to a database this open created (`storyline migrate`)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            if not os.path.lexists(self.path):
                created = _create_database(self.path)
        self.conn = sqlite3.connect(self.path, check_same_thread=check_same_thread, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA busy_timeout = 10000")
        # statement journals (the undo of a statement that may abort half-way inside a transaction) stay in memory
        # instead of spilling to a temporary file past 64 KiB, one write per page: ≈ 45 % of the file writes of an
        # eval of neus-train (docs/clustering.md, "Throughput, second pass"); temporary sort tables stay in memory too
        self.conn.execute("PRAGMA temp_store = MEMORY")
        if self.path != ":memory:":
            _enable_wal(self.conn, timeout_s=10.0)
            self.conn.execute("PRAGMA synchronous = NORMAL")
        self._lock = threading.RLock()
        self._depth = 0
        self.applied_on_open = created + self.migrate()  # the migrations this open applied (`storyline migrate`)

    # -- plumbing ---------------------------------------------------------------------------------------------
    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A (re-entrant) write transaction: everything inside commits together or not at all."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self.conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self._depth -= 1
                if outer:
                    self.conn.execute("COMMIT")

    def migrate(self) -> list[str]:
        """Apply pending migrations; return the names applied."""
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = {r[0] for r in self.conn.execute("SELECT name FROM schema_migrations")}
        applied = []
        for name, sql in _migrations():
            if name in done:
                continue
            with self.transaction():
                # another process opening the same new database may have applied it since `done` was read
                if self.conn.execute("SELECT 1 FROM schema_migrations WHERE name=?", (name,)).fetchone():
                    continue
                for statement in _split_sql(sql):
                    self.conn.execute(statement)
                self.conn.execute(
                    "INSERT INTO schema_migrations(name, applied_at) VALUES (?, ?)", (name, iso(utcnow()))
                )
            applied.append(name)
        return applied

    def applied_migrations(self) -> list[str]:
        """The names of the migrations applied to this database, in order."""
        return [r[0] for r in self.query("SELECT name FROM schema_migrations ORDER BY name")]

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.conn.execute(sql, params)

    # -- runs -------------------------------------------------------------------------------------------------
    def ingest_lock(self) -> ContextManager[None]:
        """The database's one-writer-at-a-time ingest lock (:mod:`storyline.store.lock`; re-entrant in a process,
        an exclusive ``flock`` across processes). Every pipeline run holds it."""
        from .lock import ingest_lock

        return ingest_lock(self.path)

    def ingest_generation(self) -> tuple[int, str]:
        """Changes whenever any process starts or finishes an ingest run (the newest run id and the latest finish
        time): a pipeline compares it with the value it read before restoring, or after its own last run, to know
        whether its clusterer's state is still the store's."""
        # a run still queued (docs/worker.md) has stored nothing yet: only its start changes the generation
        r = self.query("SELECT coalesce(max(id), 0), coalesce(max(finished_at), '') FROM runs "
                       "WHERE state != 'queued'")[0]
        return int(r[0]), str(r[1])

    def start_run(self, command: str) -> int:
        """Record a new run in state ``running``. The caller holds the ingest lock, so any other run still marked
        ``running`` belongs to a process that died: those are marked ``interrupted`` (their counts are what they
        committed)."""
        with self.transaction():
            self.execute("UPDATE runs SET state='interrupted', error=coalesce(error, ?) WHERE state='running'",
                         (INTERRUPTED_NOTE,))
            cur = self.execute("INSERT INTO runs(command, started_at, state) VALUES (?, ?, 'running')",
                               (command, iso(utcnow())))
        return int(cur.lastrowid)

    def record_progress(self, stats: RunStats) -> None:
        """Write a run's counts so far; called inside each batch's transaction, so they are what it committed."""
        self.execute("UPDATE runs SET seen=?, accepted=?, rejected=?, duplicates=?, new_stories=? WHERE id=?",
                     (stats.seen, stats.accepted, stats.rejected, stats.duplicates, stats.new_stories, stats.run_id))

    def finish_run(self, stats: RunStats, error: str | None = None) -> None:
        """Close a run with its counts; ``error`` says why it stopped early (its counts are what it committed):
        state ``finished`` without one, ``interrupted`` for ``"interrupted"`` (Ctrl-C), else ``failed``."""
        state = "finished" if error is None else "interrupted" if error == "interrupted" else "failed"
        self.execute(
            "UPDATE runs SET finished_at=?, seen=?, accepted=?, rejected=?, duplicates=?, new_stories=?, error=?, "
            "state=? WHERE id=?",
            (iso(utcnow()), stats.seen, stats.accepted, stats.rejected, stats.duplicates, stats.new_stories,
             error, state, stats.run_id),
        )

    def runs(self) -> list[dict[str, Any]]:
        """Every run, oldest first. A run recorded as ``running`` while no live process holds the database's ingest
        lock died without closing its record (killed, power loss): it is listed as ``interrupted`` with the counts
        it committed (the next ingest records that state in the store)."""
        rows = [dict(r) for r in self.query("SELECT * FROM runs ORDER BY id")]
        if any(r["state"] == "running" for r in rows):
            from .lock import is_held

            if not is_held(self.path):
                # a run that ended between the two reads (its worker wrote its state, then let go) reads so again
                still = {r[0] for r in self.query("SELECT id FROM runs WHERE state='running'")}
                if still != {r["id"] for r in rows if r["state"] == "running"}:
                    return self.runs()
                if not is_held(self.path):
                    for r in rows:
                        if r["state"] == "running":
                            r["state"] = "interrupted"
                            r["error"] = r["error"] or INTERRUPTED_NOTE
        return rows

    # -- articles ---------------------------------------------------------------------------------------------
    def has_article(self, article_id: str) -> bool:
        return bool(self.query("SELECT 1 FROM articles WHERE id=?", (article_id,)))

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        return {r[0] for r in self._query_in("SELECT id FROM articles WHERE id IN ({marks})", list(ids))}

    def _query_in(self, sql: str, values: list[Any]) -> Iterator[sqlite3.Row]:
        """The rows of ``sql`` whose ``{marks}`` stands for ``values``, asked in chunks of 500 (SQLite caps the
        number of parameters of one statement)."""
        for i in range(0, len(values), 500):
            chunk = values[i:i + 500]
            yield from self.query(sql.replace("{marks}", ",".join("?" * len(chunk))), chunk)

    _ARTICLE_SQL = """INSERT INTO articles(id, external_id, source, title, title_derived, text, date, lang, url,
                                           byline, origin, warnings, extra, run_id, ingested_at, seq)
                      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,
                              (SELECT coalesce(max(seq), 0) + 1 FROM articles))"""  # arrival order (0008)

    def add_article(self, article: Article, run_id: int | None = None) -> None:
        self.add_articles([article], run_id)

    def add_articles(self, articles: Sequence[Article], run_id: int | None = None) -> None:
        """Insert articles in one ``executemany`` (one timestamp for the batch)."""
        now = iso(utcnow())
        rows = [
            (a.id, a.external_id, a.source, a.title, int(a.title_derived), a.text, iso(a.date), a.lang, a.url,
             a.byline, a.origin, json.dumps(list(a.warnings)) if a.warnings else "[]",
             json.dumps(dict(a.extra), default=str) if a.extra else "{}", run_id, now)
            for a in articles
        ]
        with self._lock:
            self.conn.executemany(self._ARTICLE_SQL, rows)

    def get_article(self, article_id: str) -> Article:
        rows = self.query("SELECT * FROM articles WHERE id=?", (article_id,))
        if not rows:
            rows = self._by_prefix("articles", "*", article_id)
            if len(rows) > 1:
                raise NotFound(f"article id prefix {article_id!r} is ambiguous: it starts {_candidates(rows)}; "
                               "give more characters")
            if not rows:
                raise NotFound(f"no such article {article_id!r}; try `storyline articles`")
        return article_from_row(rows[0])

    def ids_by_external_id(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """``{(source, external_id): article id}`` of stored articles with those keys (the first stored wins)."""
        wanted = set(keys)
        eids = sorted({eid for _, eid in wanted})
        out: dict[tuple[str, str], str] = {}
        for r in self._query_in("SELECT source, external_id, id FROM articles WHERE external_id IN ({marks}) "
                               "ORDER BY seq", eids):
            key = (str(r[0]), str(r[1]))
            if key in wanted:
                out.setdefault(key, str(r[2]))
        return out

    # -- versions (docs/versions.md) ----------------------------------------------------------------------------
    def supersede_versions(self, articles: Sequence[Article]) -> set[str]:
        """Mark the versions that ``articles`` (just stored, in arrival order) replace; returns the ids of the
        stories whose current articles changed. Call inside the batch's transaction, after :meth:`add_articles`.

        An outlet's record is ``(source, external_id)``. The rule: the version that arrived last is current,
        except that an arriving version whose ``date`` is strictly earlier than the current version's ``date``
        (both dated) is an older version arriving late: it is stored already superseded by the current one. Each
        superseded article's ``superseded_by`` names the version that was current when it was replaced, so
        following ``superseded_by`` always ends at the current version. A text already stored is a duplicate and
        never reaches this method: re-ingesting an old version changes nothing.
        """
        from ..records import UNKNOWN_OUTLET

        keyed = [a for a in articles if a.external_id and a.source != UNKNOWN_OUTLET]  # no outlet: no versions
        if not keyed:
            return set()
        wanted = {(a.source, str(a.external_id)) for a in keyed}
        eids = sorted({k[1] for k in wanted})
        current: dict[tuple[str, str], list[sqlite3.Row]] = {}
        for r in self._query_in("SELECT id, source, external_id, date FROM articles WHERE external_id IN ({marks}) "
                               "AND superseded_by IS NULL ORDER BY seq", eids):
            key = (str(r["source"]), str(r["external_id"]))
            if key in wanted:
                current.setdefault(key, []).append(r)
        pairs: list[tuple[str, str]] = []  # (newer, older)
        for rows in current.values():
            cur = rows[0]
            for r in rows[1:]:
                if r["date"] is not None and cur["date"] is not None and from_iso(r["date"]) < from_iso(cur["date"]):
                    pairs.append((cur["id"], r["id"]))  # dated before the current version: an older one, late
                else:
                    pairs.append((r["id"], cur["id"]))
                    cur = r
        if not pairs:
            return set()
        old = [o for _, o in pairs]
        with self.transaction():
            self.conn.executemany("UPDATE articles SET superseded_by=? WHERE id=?", pairs)
            stories = {str(r[0]) for r in self._query_in(
                "SELECT DISTINCT story_id FROM memberships WHERE article_id IN ({marks})", old)}
            now = iso(utcnow())  # the stories' cached views and counts are keyed on updated_at
            self.conn.executemany("UPDATE stories SET updated_at=? WHERE id=?", [(now, s) for s in sorted(stories)])
        return stories

    def article_versions(self, article_id: str) -> dict[str, Any]:
        """``{"superseded_by", "current_version", "versions"}`` of one stored article: the version that replaced
        it (None when it is current), the current version of its outlet's record, and every stored version of
        that record in arrival order (``[]`` when the record has only this one)."""
        rows = self.query("SELECT id, source, external_id, superseded_by FROM articles WHERE id=?", (article_id,))
        if not rows:
            raise NotFound(f"no such article {article_id!r}; try `storyline articles`")
        me = rows[0]
        out: dict[str, Any] = {"superseded_by": me["superseded_by"], "current_version": me["id"], "versions": []}
        if me["external_id"] is None:
            return out
        versions = self.query(
            "SELECT id, title, date, ingested_at, superseded_by FROM articles WHERE source=? AND external_id=? "
            "ORDER BY seq", (me["source"], me["external_id"]))
        if len(versions) < 2:
            return out
        out["current_version"] = next((v["id"] for v in versions if v["superseded_by"] is None), me["id"])
        out["versions"] = [{"id": v["id"], "title": v["title"], "date": from_iso(v["date"]),
                            "ingested_at": v["ingested_at"], "superseded_by": v["superseded_by"],
                            "current": v["superseded_by"] is None} for v in versions]
        return out

    def iter_articles(self, story_id: str | None = None) -> Iterator[Article]:
        """Every stored article in arrival order, or the current articles of one story (superseded versions left
        out; by date, then arrival)."""
        if story_id is None:
            rows = self.query("SELECT * FROM articles ORDER BY seq")
        else:
            rows = self.query(
                "SELECT a.* FROM articles a JOIN memberships m ON m.article_id=a.id WHERE m.story_id=? "
                "AND a.superseded_by IS NULL ORDER BY a.date IS NULL, a.date, a.seq",
                (self.resolve_story_id(story_id),),
            )
        for r in rows:
            yield article_from_row(r)

    def count_articles(self) -> int:
        return int(self.query("SELECT count(*) FROM articles")[0][0])

    def list_articles(self, story_id: str | None = None, limit: int | None = None,
                      all_versions: bool = False) -> list[dict[str, Any]]:
        """The ``articles --format json`` contract: id, story_id, source, title, date, lang, byline. Current
        articles only; ``all_versions`` adds the superseded ones and a ``superseded_by`` column."""
        sql = ("SELECT a.id, m.story_id, a.source, a.title, a.date, a.lang, a.byline"
               + (", a.superseded_by" if all_versions else "")
               + " FROM articles a LEFT JOIN memberships m ON m.article_id=a.id")
        where: list[str] = [] if all_versions else ["a.superseded_by IS NULL"]
        params: list[Any] = []
        if story_id is not None:
            where.append("m.story_id=?")
            params.append(self.resolve_story_id(story_id))
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY a.date IS NULL, a.date, a.seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [dict(r) for r in self.query(sql, params)]

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Full-text search (FTS5, BM25 ranking) over titles and texts."""
        rows = self.query(
            """SELECT a.id, m.story_id, a.source, a.title, a.date,
                      snippet(articles_fts, 1, '[', ']', '…', 12) AS snippet, bm25(articles_fts, 5.0, 1.0) AS rank
               FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
               LEFT JOIN memberships m ON m.article_id = a.id
               WHERE articles_fts MATCH ? AND a.superseded_by IS NULL ORDER BY rank LIMIT ?""",
            (fts_query(query), limit),
        )
        return [dict(r) for r in rows]

    # -- rejects ----------------------------------------------------------------------------------------------
    def add_reject(self, rejected: Rejected, run_id: int | None = None, input_hash: str = "") -> None:
        """Store a reject once per input: the same ``ref``, stage, reason, detail and ``input_hash`` (a content hash
        of the offending record, where known) seen again is not stored again, only linked to ``run_id`` (counted
        in ``run_rejects.n``)."""
        # a reject's detail may quote the bad input, which can hold unpaired surrogates (not storable as UTF-8)
        ref, detail = (s.encode("utf-8", "backslashreplace").decode("utf-8") for s in (rejected.ref, rejected.detail))
        key = (ref, rejected.stage, rejected.reason, detail, input_hash)
        with self.transaction():
            self.execute(
                "INSERT INTO rejects(run_id, ref, stage, reason, detail, input_hash, created_at) VALUES (?,?,?,?,?,?,?)"
                " ON CONFLICT(ref, stage, reason, detail, input_hash) WHERE input_hash IS NOT NULL DO NOTHING",
                (run_id, *key, iso(utcnow())),
            )
            if run_id is not None:
                reject_id = self.query("SELECT id FROM rejects WHERE ref=? AND stage=? AND reason=? AND detail=? "
                                       "AND input_hash=?", key)[0][0]
                self.execute("INSERT INTO run_rejects(run_id, reject_id) VALUES (?, ?) "
                             "ON CONFLICT(run_id, reject_id) DO UPDATE SET n = n + 1", (run_id, reject_id))

    def list_rejects(self, run_id: int | None = None) -> list[dict[str, Any]]:
        """Stored rejects (``run_id``: the run that first stored each); with ``run_id`` given, those that run met,
        including inputs an earlier run had already stored."""
        if run_id is None:
            sql, params = "SELECT id, run_id, ref, stage, reason, detail, created_at FROM rejects", ()
        else:
            sql = ("SELECT r.id, rr.run_id, r.ref, r.stage, r.reason, r.detail, r.created_at FROM rejects r "
                   "JOIN run_rejects rr ON rr.reject_id = r.id WHERE rr.run_id=?")
            params = (run_id,)
        return [dict(r) for r in self.query(sql + " ORDER BY id", params)]

    def run_reject_counts(self, run_id: int) -> dict[int, int]:
        """``{reject id: how many times run ``run_id`` met that input}`` (``run_rejects.n``)."""
        return {int(r[0]): int(r[1]) for r in self.query("SELECT reject_id, n FROM run_rejects WHERE run_id=?",
                                                          (run_id,))}

    # -- stories ----------------------------------------------------------------------------------------------
    def create_story(self, story_id: str, headline: str) -> None:
        self.create_stories([(story_id, headline)])

    def create_stories(self, stories: Sequence[tuple[str, str]]) -> None:
        """Insert ``(story_id, headline)`` rows in one ``executemany``."""
        now = iso(utcnow())
        with self._lock:
            self.conn.executemany(
                "INSERT INTO stories(id, headline, created_at, updated_at) VALUES (?,?,?,?)",
                [(sid, headline, now, now) for sid, headline in stories],
            )

    def set_headline(self, story_id: str, headline: str) -> None:
        self.execute("UPDATE stories SET headline=?, updated_at=? WHERE id=?", (headline, iso(utcnow()), story_id))

    def add_membership(self, assignment: Assignment) -> None:
        self.add_memberships([assignment])

    def add_memberships(self, assignments: Sequence[Assignment]) -> None:
        """Upsert memberships in one ``executemany`` and touch each story's ``updated_at`` once."""
        now = iso(utcnow())
        dumps, float_, round_ = json.dumps, float, round
        rows = [
            (a.article_id, a.story_id, float_(a.score),
             dumps({k: v if isinstance(v, str) else round_(float_(v), 4) for k, v in a.components.items()}),
             dumps(list(a.shared)) if a.shared else "[]", now)  # a str component is an id (the nearest story)
            for a in assignments
        ]
        with self._lock:
            self.conn.executemany(
                """INSERT INTO memberships(article_id, story_id, score, components, shared, assigned_at, seq)
                   VALUES (?,?,?,?,?,?, (SELECT coalesce(max(seq), 0) + 1 FROM memberships))
                   ON CONFLICT(article_id) DO UPDATE SET story_id=excluded.story_id, score=excluded.score,
                       components=excluded.components, shared=excluded.shared, assigned_at=excluded.assigned_at""",
                rows,
            )
            touched = list(dict.fromkeys(a.story_id for a in assignments))
            for i in range(0, len(touched), 500):  # one statement per 500 stories, not one per story
                chunk = touched[i:i + 500]
                self.conn.execute(f"UPDATE stories SET updated_at=? WHERE id IN ({','.join('?' * len(chunk))})",
                                  [now, *chunk])

    def merge_stories(self, keep: str, gone: str) -> None:
        """Fold story ``gone`` into ``keep``: members move, ``gone`` stays resolvable as an alias of ``keep``."""
        with self.transaction():
            now = iso(utcnow())
            self.execute("UPDATE memberships SET story_id=? WHERE story_id=?", (keep, gone))
            self.execute("UPDATE story_aliases SET story_id=? WHERE story_id=?", (keep, gone))
            self.execute(
                "INSERT OR REPLACE INTO story_aliases(alias, story_id, merged_at) VALUES (?,?,?)", (gone, keep, now)
            )
            self.execute("DELETE FROM stories WHERE id=?", (gone,))
            self.execute("UPDATE stories SET updated_at=? WHERE id=?", (now, keep))

    def resolve_story_id(self, story_id: str) -> str:
        """The current id of a story: itself, the story an alias was merged into, or a unique id prefix."""
        if self.query("SELECT 1 FROM stories WHERE id=?", (story_id,)):
            return story_id
        rows = self.query("SELECT story_id FROM story_aliases WHERE alias=?", (story_id,))
        if rows:
            return str(rows[0][0])
        rows = self._by_prefix("stories", "id", story_id)
        if len(rows) == 1:
            return str(rows[0][0])
        if len(rows) > 1:
            raise NotFound(f"story id prefix {story_id!r} is ambiguous: it starts {_candidates(rows)}; "
                           "give more characters")
        if len(story_id) >= MIN_PREFIX:  # the prefix of a merged story's old id still resolves, when unique
            rows = self.query("SELECT DISTINCT story_id FROM story_aliases WHERE substr(alias, 1, ?) = ? LIMIT 2",
                              (len(story_id), story_id))
            if len(rows) == 1:
                return str(rows[0][0])
        raise NotFound(f"no such story {story_id!r}; try `storyline stories`")

    def _by_prefix(self, table: str, columns: str, prefix: str) -> list[sqlite3.Row]:
        """Rows whose id starts with ``prefix`` (at most 5: enough to tell unique from ambiguous and to name some
        of the candidates).

        A literal comparison (no LIKE wildcards: ``%`` and ``_`` are plain characters) and at least
        ``MIN_PREFIX`` characters, so an empty or tiny prefix never matches by accident.
        """
        if len(prefix) < MIN_PREFIX:
            return []
        return self.query(f"SELECT {columns} FROM {table} WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 5",
                          (len(prefix), prefix))

    def story_aliases(self, story_id: str) -> list[str]:
        return [r[0] for r in self.query("SELECT alias FROM story_aliases WHERE story_id=? ORDER BY alias",
                                         (story_id,))]

    _STORY_SQL = """
        SELECT s.id, s.headline, count(m.article_id) AS n_articles,
               json_group_array(DISTINCT a.source) AS sources,
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
            "latest": "last_seen IS NULL, last_seen DESC, s.id",
            "most-covered": "n_sources DESC, n_articles DESC, last_seen DESC, s.id",
            "oldest": "first_seen IS NULL, first_seen, s.id",
        }
        if order not in orders:
            raise StorylineError(f"order must be one of {sorted(orders)}, got {order!r}")
        having, params = story_having(since, until, source, min_sources)
        sql = self._STORY_SQL + " GROUP BY s.id"
        if having:
            sql += " HAVING " + " AND ".join(having)
        sql += " ORDER BY " + orders[order]
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [_story(r) for r in self.query(sql, params)]

    def get_story(self, story_id: str) -> Story:
        sid = self.resolve_story_id(story_id)
        rows = self.query(self._STORY_SQL + " WHERE s.id=? GROUP BY s.id", (sid,))
        if not rows:
            newer = self.query(
                "SELECT DISTINCT m2.story_id FROM memberships m JOIN articles a ON a.id = m.article_id "
                "JOIN articles b ON b.source = a.source AND b.external_id = a.external_id AND b.superseded_by IS NULL "
                "JOIN memberships m2 ON m2.article_id = b.id WHERE m.story_id = ? AND a.superseded_by IS NOT NULL "
                "ORDER BY m2.story_id LIMIT 5", (sid,))
            if newer:
                raise NotFound(f"story {story_id!r} has no current articles: newer versions of them are in "
                               f"{', '.join(r[0] for r in newer)}; try `storyline show {newer[0][0]}`")
            raise NotFound(f"story {story_id!r} has no articles; try `storyline stories`")
        return _story(rows[0])

    def count_stories(self, current: bool = False) -> int:
        """Stored stories; ``current``: only those with at least one current article (what the listings show:
        a story whose articles were all superseded by versions in other stories is hidden, docs/versions.md)."""
        if not current:
            return int(self.query("SELECT count(*) FROM stories")[0][0])
        return int(self.query(
            "SELECT count(*) FROM stories s WHERE EXISTS (SELECT 1 FROM memberships m JOIN articles a "
            "ON a.id = m.article_id WHERE m.story_id = s.id AND a.superseded_by IS NULL)")[0][0])

    def membership(self, article_id: str) -> dict[str, Any]:
        rows = self.query("SELECT article_id, story_id, score, components, shared, assigned_at FROM memberships "
                          "WHERE article_id=?", (article_id,))
        if not rows:
            raise NotFound(f"article {article_id!r} is in no story; try `storyline articles`")
        r = dict(rows[0])
        r["components"] = json.loads(r["components"])
        r["shared"] = json.loads(r["shared"])
        return r

    # -- outlets (docs/outlets.md; migration 0006) ------------------------------------------------------------
    def list_outlets(self) -> list["Outlet"]:
        """The registered outlets, by name."""
        from ..outlets import Outlet

        return [Outlet(name=r["name"], aliases=tuple(json.loads(r["aliases"])), domains=tuple(json.loads(r["domains"])),
                       country=r["country"], language=r["language"], kind=r["kind"], owner=r["owner"],
                       attributes=json.loads(r["attributes"]))
                for r in self.query("SELECT * FROM outlets ORDER BY name COLLATE NOCASE, name")]

    def outlet_registry(self) -> "Registry":
        from ..outlets import Registry

        return Registry(self.list_outlets())

    def put_outlets(self, outlets: Sequence["Outlet"], imported_from: str | None = None,
                    replace: bool = False) -> dict[str, int]:
        """Add or update registered outlets (by name); ``replace`` first removes every outlet not in ``outlets``.
        Each name, alias and domain must point at one outlet across the whole registry. Then the stored articles'
        outlets are resolved afresh (:meth:`resolve_article_outlets`). Returns ``{"added", "updated", "removed",
        "articles_changed"}``."""
        from ..outlets import check_unique

        given = {o.name: o for o in outlets}
        kept = [] if replace else [o for o in self.list_outlets() if o.name not in given]
        check_unique([*kept, *given.values()], imported_from or "outlets")
        now = iso(utcnow())
        with self.transaction():
            before = {r[0] for r in self.query("SELECT name FROM outlets")}
            removed = sorted(before - set(given)) if replace else []
            self.conn.executemany("DELETE FROM outlets WHERE name=?", [(n,) for n in removed])
            self.conn.executemany(
                """INSERT INTO outlets(name, aliases, domains, country, language, kind, owner, attributes,
                                       imported_from, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(name) DO UPDATE SET aliases=excluded.aliases, domains=excluded.domains,
                       country=excluded.country, language=excluded.language, kind=excluded.kind, owner=excluded.owner,
                       attributes=excluded.attributes, imported_from=excluded.imported_from,
                       updated_at=excluded.updated_at""",
                [(o.name, json.dumps(list(o.aliases)), json.dumps(list(o.domains)), o.country, o.language, o.kind,
                  o.owner, json.dumps(dict(o.attributes), sort_keys=True), imported_from, now)
                 for o in given.values()])
            changed = self.resolve_article_outlets()
        return {"added": len(set(given) - before), "updated": len(set(given) & before), "removed": len(removed),
                "articles_changed": changed}

    def resolve_article_outlets(self, registry: "Registry | None" = None) -> int:
        """Give every stored article the outlet the registry resolves it to (an alias or a URL host becomes the
        registered name; with no registry match, the outlet the record gave). Touches the stories whose articles
        changed, so their cached views are rebuilt. Returns how many articles changed."""
        registry = registry if registry is not None else self.outlet_registry()
        updates: list[tuple[str, str, str]] = []
        for r in self.query("SELECT id, source, url, byline, extra FROM articles"):
            hit = registry.resolve(r["source"], r["url"], r["byline"], json.loads(r["extra"]))
            if hit is not None:
                updates.append((hit[0], json.dumps(hit[1], default=str), r["id"]))
        if not updates:
            return 0
        with self.transaction():
            self.conn.executemany("UPDATE articles SET source=?, extra=? WHERE id=?", updates)
            stories = {str(r[0]) for r in self._query_in(
                "SELECT DISTINCT story_id FROM memberships WHERE article_id IN ({marks})", [u[2] for u in updates])}
            now = iso(utcnow())
            self.conn.executemany("UPDATE stories SET updated_at=? WHERE id=?", [(now, s) for s in sorted(stories)])
        return len(updates)

    def outlet_counts(self) -> dict[str, dict[str, Any]]:
        """``{outlet: {"articles", "stories", "first", "last"}}`` over current articles (the unknown outlet too)."""
        rows = self.query(
            "SELECT a.source, count(*) AS articles, count(DISTINCT m.story_id) AS stories, min(a.date) AS first, "
            "max(a.date) AS last FROM articles a LEFT JOIN memberships m ON m.article_id = a.id "
            "WHERE a.superseded_by IS NULL GROUP BY a.source")
        return {r["source"]: {"articles": int(r["articles"]), "stories": int(r["stories"]),
                              "first": from_iso(r["first"]), "last": from_iso(r["last"])} for r in rows}

    def count_outlets(self) -> int:
        """Distinct outlets of the current articles; articles of an unknown outlet are not an outlet."""
        from ..records import UNKNOWN_OUTLET

        return int(self.query("SELECT count(DISTINCT source) FROM articles WHERE superseded_by IS NULL "
                              "AND source != ?", (UNKNOWN_OUTLET,))[0][0])

    def outlets_active_between(self, start: datetime, end: datetime) -> set[str]:
        """Outlets with a current article dated between ``start`` and ``end`` (inclusive)."""
        return {str(r[0]) for r in self.query(
            "SELECT DISTINCT source FROM articles WHERE superseded_by IS NULL AND date >= ? AND date <= ?",
            (iso(start), iso(end)))}

    def date_only_ids(self, article_ids: Iterable[str]) -> set[str]:
        """The articles among ``article_ids`` whose input gave a day without a time (``extra["date_only"]``)."""
        return {str(r[0]) for r in self._query_in(
            "SELECT id FROM articles WHERE id IN ({marks}) AND json_extract(extra, '$.date_only') = 1",
            list(article_ids))}

    def article_heads(self, article_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{id: {"source", "title", "date", "date_only"}}`` of stored articles (for listings that name articles)."""
        return {r["id"]: {"source": r["source"], "title": r["title"], "date": from_iso(r["date"]),
                          "date_only": bool(r["date_only"])}
                for r in self._query_in("SELECT id, source, title, date, coalesce(json_extract(extra, '$.date_only'), "
                                       "0) AS date_only FROM articles WHERE id IN ({marks})",
                                       list(dict.fromkeys(article_ids)))}

    def story_dates_day_only(self, story_ids: Iterable[str]) -> dict[str, tuple[bool, bool]]:
        """``{story: (first_seen is a day only, last_seen is a day only)}``: every current article dated at the
        story's first (last) date gave a day without a time."""
        ids = list(story_ids)
        out: dict[str, tuple[bool, bool]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.query(
                f"""WITH cur AS (SELECT m.story_id AS sid, a.date AS date,
                                        coalesce(json_extract(a.extra, '$.date_only'), 0) = 1 AS day_only
                                 FROM memberships m JOIN articles a ON a.id = m.article_id
                                 WHERE a.superseded_by IS NULL AND a.date IS NOT NULL AND m.story_id IN ({marks})),
                        b AS (SELECT sid, min(date) AS lo, max(date) AS hi FROM cur GROUP BY sid)
                    SELECT b.sid, min(CASE WHEN cur.date = b.lo THEN cur.day_only END) AS first_day,
                           min(CASE WHEN cur.date = b.hi THEN cur.day_only END) AS last_day
                    FROM b JOIN cur ON cur.sid = b.sid GROUP BY b.sid""", chunk)
            out.update({str(r[0]): (bool(r[1]), bool(r[2])) for r in rows})
        return out


def _story(r: sqlite3.Row) -> Story:
    return Story(
        id=r["id"],
        headline=r["headline"],
        n_articles=int(r["n_articles"]),
        sources=tuple(sorted(s for s in json.loads(r["sources"]) if s is not None)),
        first_seen=from_iso(r["first_seen"]),
        last_seen=from_iso(r["last_seen"]),
    )


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN … END;) whole."""
    statements, buf = [], []
    for line in sql.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        buf.append(line)
        joined = "\n".join(buf)
        if stripped.endswith(";") and sqlite3.complete_statement(joined):
            statements.append(joined)
            buf = []
    if buf and "\n".join(buf).strip():
        statements.append("\n".join(buf))
    return statements
