"""Stored story views (migration 0301): the view of each story built once per story version and kept in the store,
so every worker process and every restart serves it without building it again.

A story's *fingerprint* changes whenever what its view is built from changes: its current articles (ids are content
hashes, so a new text is a new id; a superseded version leaves the list), its headline, the copy relations its
articles take part in, the outlet registry's content (the view's coverage), and a ``salt`` naming the view builder
and its settings. A stored row whose fingerprint is not the current one is the story's previous version: served
while the current one is built, never instead of it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from typing import Any

from .sqlite import Store, iso, utcnow

CLAIM_STALE_S = 300.0  # a build claimed longer ago than this belongs to a process that died: it may be taken over
CLAIM_BUSY_MS = 250  # how long a claim waits for a writer's transaction before building unclaimed (readers never stall)


def _postgres(store: Any) -> Any:
    """The PostgreSQL twins of these functions (:mod:`storyline.store.postgres.views`) when ``store`` is a
    :class:`~storyline.store.postgres.PostgresStore`, else None."""
    if getattr(store, "backend", None) != "postgresql":
        return None
    from .postgres import views as pg

    return pg


def story_fingerprint(store: Store, story_id: str, salt: str) -> str | None:
    """The fingerprint of story ``story_id`` now (None when it has no row: merged away or unknown)."""
    if pg := _postgres(store):
        return pg.story_fingerprint(store, story_id, salt)
    head = store.query("SELECT headline FROM stories WHERE id=?", (story_id,))
    if not head:
        return None
    ids = [r[0] for r in store.query(
        "SELECT a.id FROM memberships m JOIN articles a ON a.id = m.article_id "
        "WHERE m.story_id=? AND a.superseded_by IS NULL ORDER BY a.id", (story_id,))]
    # the outlet registry feeds the view's coverage (who covered it, who did not): an import changes the version
    registry = _registry_digest(store)
    h = hashlib.sha256()
    h.update(json.dumps([salt, head[0][0], ids, registry]).encode("utf-8"))
    for i in range(0, len(ids), 400):
        chunk = ids[i:i + 400]
        marks = ",".join("?" * len(chunk))
        rows = store.query(f"SELECT article_id, origin_id, relation FROM copies WHERE article_id IN ({marks}) "
                           f"UNION SELECT article_id, origin_id, relation FROM copies WHERE origin_id IN ({marks}) "
                           "ORDER BY 1, 2", chunk + chunk)
        h.update(json.dumps([list(r) for r in rows]).encode("utf-8"))
    return h.hexdigest()[:32]


_REGISTRY_DIGESTS: dict[tuple[str, int, str | None], str] = {}


def _registry_digest(store: Store) -> str:
    """The registry's content digest (:func:`storyline.outlets.registry_digest`), read again only when its row count
    or newest update changes (every import writes ``updated_at``): a story page asks for it on every request."""
    from ..outlets import registry_digest

    n, newest = store.query("SELECT count(*), max(updated_at) FROM outlets")[0]
    key = (store.path, int(n), newest)
    if key not in _REGISTRY_DIGESTS:
        if len(_REGISTRY_DIGESTS) > 64:
            _REGISTRY_DIGESTS.clear()
        _REGISTRY_DIGESTS[key] = registry_digest(store.list_outlets())
    return _REGISTRY_DIGESTS[key]


def with_stored_view(store: Store, story_ids: list[str]) -> set[str]:
    """Those of ``story_ids`` that have a stored view (of any version: the story was viewed or warmed before)."""
    if pg := _postgres(store):
        return pg.with_stored_view(store, story_ids)
    out: set[str] = set()
    for i in range(0, len(story_ids), 500):
        chunk = story_ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        out.update(r[0] for r in store.query(f"SELECT story_id FROM stored_views WHERE story_id IN ({marks})", chunk))
    return out


def load_view(store: Store, story_id: str) -> tuple[str, dict[str, Any], str] | None:
    """``(fingerprint, view, built_at)`` of the stored view of ``story_id``, or None."""
    if pg := _postgres(store):
        return pg.load_view(store, story_id)
    rows = store.query("SELECT fingerprint, view, built_at FROM stored_views WHERE story_id=?", (story_id,))
    if not rows:
        return None
    return rows[0][0], json.loads(rows[0][1]), rows[0][2]


def save_view(store: Store, story_id: str, fingerprint: str, view: dict[str, Any], build_ms: float) -> None:
    """Store ``view`` (JSON-ready, ``StoryView.to_dict()``) as the version ``fingerprint`` of ``story_id``."""
    if pg := _postgres(store):
        pg.save_view(store, story_id, fingerprint, view, build_ms)
        return
    store.execute(
        "INSERT INTO stored_views(story_id, fingerprint, view, built_at, build_ms) VALUES (?,?,?,?,?) "
        "ON CONFLICT(story_id) DO UPDATE SET fingerprint=excluded.fingerprint, view=excluded.view, "
        "built_at=excluded.built_at, build_ms=excluded.build_ms",
        (story_id, fingerprint, json.dumps(view, ensure_ascii=False, separators=(",", ":")), iso(utcnow()),
         round(build_ms, 1)))


def claimed_elsewhere(store: Store, story_id: str, fingerprint: str, owner: str) -> bool:
    """Whether another owner (a process, or another server) is building this version of the story now."""
    if pg := _postgres(store):
        return pg.claimed_elsewhere(store, story_id, fingerprint, owner, CLAIM_STALE_S)
    rows = store.query("SELECT owner, started FROM view_builds WHERE story_id=? AND fingerprint=?",
                       (story_id, fingerprint))
    return bool(rows) and rows[0][0] != owner and rows[0][1] > time.time() - CLAIM_STALE_S


def claim(store: Store, story_id: str, fingerprint: str, owner: str) -> bool:
    """Claim the build of this version of the story for ``owner``; False when another owner holds a live claim on
    it, or when a writer's transaction keeps the claim from being written within :data:`CLAIM_BUSY_MS` (the caller
    then builds unclaimed: a duplicate build costs time, a reader stuck behind a writer costs more)."""
    if pg := _postgres(store):
        return pg.claim(store, story_id, fingerprint, owner, CLAIM_STALE_S, CLAIM_BUSY_MS)
    with store._lock:
        store.conn.execute(f"PRAGMA busy_timeout = {CLAIM_BUSY_MS}")
        try:
            cur = store.conn.execute(
                "INSERT INTO view_builds(story_id, fingerprint, owner, started) VALUES (?,?,?,?) "
                "ON CONFLICT(story_id) DO UPDATE SET fingerprint=excluded.fingerprint, owner=excluded.owner, "
                "started=excluded.started WHERE view_builds.owner = excluded.owner "
                "OR view_builds.fingerprint != excluded.fingerprint OR view_builds.started < ?",
                (story_id, fingerprint, owner, time.time(), time.time() - CLAIM_STALE_S))
            return cur.rowcount == 1
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            return False
        finally:
            store.conn.execute("PRAGMA busy_timeout = 10000")


def release(store: Store, story_id: str, owner: str) -> None:
    """Drop ``owner``'s claim on the story (best effort: a claim left behind expires)."""
    if pg := _postgres(store):
        pg.release(store, story_id, owner, CLAIM_BUSY_MS)
        return
    with store._lock:
        store.conn.execute(f"PRAGMA busy_timeout = {CLAIM_BUSY_MS}")
        try:
            store.conn.execute("DELETE FROM view_builds WHERE story_id=? AND owner=?", (story_id, owner))
        except sqlite3.OperationalError:
            pass
        finally:
            store.conn.execute("PRAGMA busy_timeout = 10000")


# -- stored pages (migration 0302) -------------------------------------------------------------------------------
PAGE_BUSY_MS = 50  # how long a reader storing a page waits for a writer's transaction before leaving it unstored


def stored_fingerprint(store: Store, story_id: str) -> str | None:
    """The fingerprint of the stored view of ``story_id`` (None when it has none), without reading the view."""
    if pg := _postgres(store):
        return pg.stored_fingerprint(store, story_id)
    rows = store.query("SELECT fingerprint FROM stored_views WHERE story_id=?", (story_id,))
    return rows[0][0] if rows else None


def stories_touched(store: Store, article_ids: list[str]) -> list[str]:
    """The stories whose view an ingest of ``article_ids`` may have changed, in the order of the articles: the
    stories holding them, those holding the versions they superseded, and those holding the articles they copy or
    that copy them (a copy relation is part of both stories' fingerprints)."""
    if pg := _postgres(store):
        return pg.stories_touched(store, article_ids)
    out: dict[str, None] = {}
    for i in range(0, len(article_ids), 400):
        chunk = article_ids[i:i + 400]
        marks = ",".join("?" * len(chunk))
        rows = store.query(
            f"SELECT m.story_id FROM memberships m WHERE m.article_id IN ({marks}) "
            f"UNION ALL SELECT m.story_id FROM articles a JOIN memberships m ON m.article_id = a.id "
            f"WHERE a.superseded_by IN ({marks}) "
            f"UNION ALL SELECT m.story_id FROM copies c JOIN memberships m ON m.article_id = c.origin_id "
            f"WHERE c.article_id IN ({marks}) "
            f"UNION ALL SELECT m.story_id FROM copies c JOIN memberships m ON m.article_id = c.article_id "
            f"WHERE c.origin_id IN ({marks})", chunk * 4)
        out.update(dict.fromkeys(r[0] for r in rows))
    return list(out)


def load_page(store: Store, story_id: str, kind: str) -> tuple[str, bytes] | None:
    """``(page_key, body)`` of the stored ``kind`` page ("html" or "json") of ``story_id``, or None."""
    if pg := _postgres(store):
        return pg.load_page(store, story_id, kind)
    rows = store.query("SELECT page_key, body FROM story_pages WHERE story_id=? AND kind=?", (story_id, kind))
    return (rows[0][0], bytes(rows[0][1])) if rows else None


def save_page(store: Store, story_id: str, kind: str, page_key: str, body: bytes, render_ms: float) -> bool:
    """Store ``body`` as the ``kind`` page of ``story_id`` rendered for ``page_key``. Inside a transaction (the API's
    writer) it is part of it; outside, it waits at most :data:`PAGE_BUSY_MS` for a writer's transaction and returns
    False when it could not write (the page was served all the same: a reader never stalls behind a writer)."""
    if pg := _postgres(store):
        return pg.save_page(store, story_id, kind, page_key, body, render_ms, PAGE_BUSY_MS)
    sql = ("INSERT INTO story_pages(story_id, kind, page_key, body, rendered_at, render_ms) VALUES (?,?,?,?,?,?) "
           "ON CONFLICT(story_id, kind) DO UPDATE SET page_key=excluded.page_key, body=excluded.body, "
           "rendered_at=excluded.rendered_at, render_ms=excluded.render_ms")
    params = (story_id, kind, page_key, body, iso(utcnow()), round(render_ms, 1))
    with store._lock:
        if store.conn.in_transaction:  # the writer's batch: the page commits with the change it shows
            store.conn.execute(sql, params)
            return True
        store.conn.execute(f"PRAGMA busy_timeout = {PAGE_BUSY_MS}")
        try:
            store.conn.execute(sql, params)
            return True
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            return False
        finally:
            store.conn.execute("PRAGMA busy_timeout = 10000")
