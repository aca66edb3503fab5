"""The PostgreSQL twins of the stored story views' functions (:mod:`storyline.store.views`, migration 0301): the
same fingerprints, rows and claims, with build claims timed on the server's clock (workers on several machines
compare claims on one clock) and a claim that waits at most :data:`~storyline.store.views.CLAIM_BUSY_MS` for a
writer's lock (``lock_timeout``) before the caller builds unclaimed."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from ..sqlite import iso

if TYPE_CHECKING:
    from .store import PostgresStore

try:
    import psycopg
    from psycopg.types.json import Json
except ImportError:  # pragma: no cover - depends on the installed extras
    psycopg = None  # type: ignore[assignment]


def _dumps(view: Any) -> str:
    return json.dumps(view, ensure_ascii=False, separators=(",", ":"))


def story_fingerprint(store: "PostgresStore", story_id: str, salt: str) -> str | None:
    """The fingerprint of story ``story_id`` now (None when it has no row); the same value as on SQLite."""
    head = store._rows("SELECT headline FROM stories WHERE id=%s", (story_id,))
    if not head:
        return None
    ids = [r["id"] for r in store._rows(
        "SELECT a.id FROM memberships m JOIN articles a ON a.id = m.article_id "
        "WHERE m.story_id=%s AND a.superseded_by IS NULL ORDER BY a.id", (story_id,))]
    from ...outlets import registry_digest

    registry = registry_digest(store.list_outlets())  # the outlet registry's content, as the SQLite twin hashes it
    h = hashlib.sha256()
    h.update(json.dumps([salt, head[0]["headline"], ids, registry]).encode("utf-8"))
    for i in range(0, len(ids), 400):  # the SQLite twin's chunks, so the hashed text is the same
        chunk = ids[i:i + 400]
        rows = store._rows("SELECT article_id, origin_id, relation FROM copies WHERE article_id = ANY(%s) "
                           "UNION SELECT article_id, origin_id, relation FROM copies WHERE origin_id = ANY(%s) "
                           "ORDER BY 1, 2", (chunk, chunk))
        h.update(json.dumps([[r["article_id"], r["origin_id"], r["relation"]] for r in rows]).encode("utf-8"))
    return h.hexdigest()[:32]


def with_stored_view(store: "PostgresStore", story_ids: list[str]) -> set[str]:
    """Those of ``story_ids`` that have a stored view (of any version)."""
    return {r["story_id"] for r in store._rows("SELECT story_id FROM stored_views WHERE story_id = ANY(%s)",
                                               (list(story_ids),))}


def load_view(store: "PostgresStore", story_id: str) -> tuple[str, dict[str, Any], str] | None:
    """``(fingerprint, view, built_at)`` of the stored view of ``story_id`` (built_at an ISO 8601 string in UTC)."""
    rows = store._rows("SELECT fingerprint, view, built_at FROM stored_views WHERE story_id=%s", (story_id,))
    if not rows:
        return None
    return rows[0]["fingerprint"], rows[0]["view"], str(iso(rows[0]["built_at"]))


def save_view(store: "PostgresStore", story_id: str, fingerprint: str, view: dict[str, Any], build_ms: float) -> None:
    """Store ``view`` as the version ``fingerprint`` of ``story_id``."""
    store._run(
        "INSERT INTO stored_views(story_id, fingerprint, view, built_at, build_ms) VALUES (%s,%s,%s,now(),%s) "
        "ON CONFLICT (story_id) DO UPDATE SET fingerprint=excluded.fingerprint, view=excluded.view, "
        "built_at=excluded.built_at, build_ms=excluded.build_ms",
        (story_id, fingerprint, Json(view, dumps=_dumps), round(build_ms, 1)))


def claimed_elsewhere(store: "PostgresStore", story_id: str, fingerprint: str, owner: str, stale_s: float) -> bool:
    """Whether another owner holds a live claim (younger than ``stale_s`` on the server's clock) on this version."""
    return bool(store._rows(
        "SELECT 1 FROM view_builds WHERE story_id=%s AND fingerprint=%s AND owner != %s "
        "AND started > clock_timestamp() - make_interval(secs => %s)", (story_id, fingerprint, owner, stale_s)))


def claim(store: "PostgresStore", story_id: str, fingerprint: str, owner: str, stale_s: float, busy_ms: int) -> bool:
    """Claim the build of this version for ``owner``; False when another owner holds a live claim, or when a lock
    keeps the claim from being written within ``busy_ms``."""
    try:
        with store.transaction():
            store._run(f"SET LOCAL lock_timeout = {int(busy_ms)}")
            return bool(store._rows(
                "INSERT INTO view_builds(story_id, fingerprint, owner, started) VALUES (%s,%s,%s,clock_timestamp()) "
                "ON CONFLICT (story_id) DO UPDATE SET fingerprint=excluded.fingerprint, owner=excluded.owner, "
                "started=excluded.started WHERE view_builds.owner = excluded.owner "
                "OR view_builds.fingerprint != excluded.fingerprint "
                "OR view_builds.started < clock_timestamp() - make_interval(secs => %s) RETURNING 1",
                (story_id, fingerprint, owner, stale_s)))
    except psycopg.errors.LockNotAvailable:
        return False


def release(store: "PostgresStore", story_id: str, owner: str, busy_ms: int) -> None:
    """Drop ``owner``'s claim on the story (best effort: a claim left behind expires)."""
    try:
        with store.transaction():
            store._run(f"SET LOCAL lock_timeout = {int(busy_ms)}")
            store._run("DELETE FROM view_builds WHERE story_id=%s AND owner=%s", (story_id, owner))
    except psycopg.errors.LockNotAvailable:
        pass


def stored_fingerprint(store: "PostgresStore", story_id: str) -> str | None:
    """The fingerprint of the stored view of ``story_id`` (None when it has none)."""
    rows = store._rows("SELECT fingerprint FROM stored_views WHERE story_id=%s", (story_id,))
    return rows[0]["fingerprint"] if rows else None


def stories_touched(store: "PostgresStore", article_ids: list[str]) -> list[str]:
    """The stories holding ``article_ids``, the versions they superseded, and the articles in copy relations with
    them, in the order of the articles (the SQLite twin's answer)."""
    ids = list(article_ids)
    rows = store._rows(
        "SELECT m.story_id FROM memberships m WHERE m.article_id = ANY(%s) "
        "UNION ALL SELECT m.story_id FROM articles a JOIN memberships m ON m.article_id = a.id "
        "WHERE a.superseded_by = ANY(%s) "
        "UNION ALL SELECT m.story_id FROM copies c JOIN memberships m ON m.article_id = c.origin_id "
        "WHERE c.article_id = ANY(%s) "
        "UNION ALL SELECT m.story_id FROM copies c JOIN memberships m ON m.article_id = c.article_id "
        "WHERE c.origin_id = ANY(%s)", (ids, ids, ids, ids))
    return list(dict.fromkeys(r["story_id"] for r in rows))


def load_page(store: "PostgresStore", story_id: str, kind: str) -> tuple[str, bytes] | None:
    """``(page_key, body)`` of the stored ``kind`` page of ``story_id``, or None."""
    rows = store._rows("SELECT page_key, body FROM story_pages WHERE story_id=%s AND kind=%s", (story_id, kind))
    return (rows[0]["page_key"], bytes(rows[0]["body"])) if rows else None


def save_page(store: "PostgresStore", story_id: str, kind: str, page_key: str, body: bytes, render_ms: float,
              busy_ms: int) -> bool:
    """Store a rendered page; False when a lock keeps it from being written within ``busy_ms``."""
    in_writer = getattr(store._local, "conn", None) is not None  # the writer's batch: no time limit of its own
    try:
        with store.transaction():
            if not in_writer:  # SET LOCAL would last to the end of the writer's whole transaction
                store._run(f"SET LOCAL lock_timeout = {int(busy_ms)}")
            store._run(
                "INSERT INTO story_pages(story_id, kind, page_key, body, rendered_at, render_ms) "
                "VALUES (%s,%s,%s,%s,now(),%s) ON CONFLICT (story_id, kind) DO UPDATE SET "
                "page_key=excluded.page_key, body=excluded.body, rendered_at=excluded.rendered_at, "
                "render_ms=excluded.render_ms", (story_id, kind, page_key, body, round(render_ms, 1)))
        return True
    except psycopg.errors.LockNotAvailable:
        return False
