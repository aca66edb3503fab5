"""The copies stage's tables on PostgreSQL (mixed into :class:`~storyline.store.postgres.PostgresStore`), twin of
:mod:`storyline.store.copies`: MinHash signatures, judged pairs, origins and sentence alignments. Arrival order is
``seq``; SQLite's ``INSERT OR REPLACE`` is a delete and insert (a replaced signature arrives anew, as there) or an
``ON CONFLICT … DO UPDATE``.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, ContextManager, Iterable, Sequence

from ..rows import Arrival, CopyOf, CopyPair, CopySignature, SentenceAlignment, SignaturePage


class PostgresCopies:
    _rows: Any  # PostgresStore._rows
    _run: Any
    _many: Any
    _local: Any
    transaction: Any

    def _atomic(self) -> ContextManager[Any]:
        """All or nothing: this thread's open transaction (the batch's, on the ingest path: no savepoint, which
        would cost two more round trips per call), or a transaction of its own."""
        return nullcontext() if getattr(self._local, "conn", None) is not None else self.transaction()

    # -- signatures -------------------------------------------------------------------------------------------
    def copy_signature_page(self, num_perm: int, seed: int, shingle_words: int, after: int,
                            limit: int) -> SignaturePage | None:
        """The next ``limit`` stored signatures made with these parameters that arrived after position ``after``
        (``-1``: from the start); None when there are no more."""
        rows = self._rows(
            "SELECT seq, article_id, signature FROM copy_signatures WHERE num_perm=%s AND seed=%s AND "
            "shingle_words=%s AND seq>%s ORDER BY seq LIMIT %s", (num_perm, seed, shingle_words, after, limit))
        if not rows:
            return None
        return SignaturePage(tuple(r["article_id"] for r in rows), b"".join(bytes(r["signature"]) for r in rows),
                             int(rows[-1]["seq"]))

    def put_copy_signatures(self, signatures: Sequence[CopySignature]) -> None:
        """Store (or replace) these articles' signatures."""
        if not signatures:
            return
        with self._atomic():
            self._run("DELETE FROM copy_signatures WHERE article_id = ANY(%s)", ([s.article_id for s in signatures],))
            self._many(
                "INSERT INTO copy_signatures(article_id, body_hash, num_perm, seed, shingle_words, signature) "
                "VALUES (%s,%s,%s,%s,%s,%s)",
                [(s.article_id, s.body_hash, s.num_perm, s.seed, s.shingle_words, s.signature) for s in signatures])

    def ids_by_body_hash(self, hashes: Iterable[str]) -> dict[str, list[str]]:
        """``{body hash: [ids of the articles with a stored signature of that body]}`` (hashes with none left out)."""
        out: dict[str, list[str]] = {}
        for r in self._rows("SELECT body_hash, article_id FROM copy_signatures WHERE body_hash = ANY(%s)",
                            (sorted(set(hashes)),)):
            out.setdefault(str(r["body_hash"]), []).append(str(r["article_id"]))
        return out

    def newest_story_mates(self, article_id: str, limit: int) -> list[str]:
        """The ``limit`` latest-arrived other members of ``article_id``'s story, newest first."""
        return [r["article_id"] for r in self._rows(
            "SELECT m2.article_id FROM memberships m1 JOIN memberships m2 ON m2.story_id=m1.story_id "
            "JOIN articles a ON a.id=m2.article_id WHERE m1.article_id=%s AND m2.article_id<>%s "
            "ORDER BY a.seq DESC LIMIT %s", (article_id, article_id, limit))]

    def article_arrivals(self, article_ids: Iterable[str]) -> list[Arrival]:
        """Publication date, arrival position, outlet and outlet's id of these stored articles (in no set order)."""
        return [Arrival(r["id"], r["date"], int(r["seq"]), r["source"], r["external_id"]) for r in self._rows(
            "SELECT id, date, seq, source, external_id FROM articles WHERE id = ANY(%s)", (sorted(set(article_ids)),))]

    # -- judged pairs and their sentence alignments ----------------------------------------------------------
    def put_copy_pair(self, pair: CopyPair) -> None:
        """Store (or replace) a judged copy/rewrite pair."""
        from ..sqlite import utcnow

        self._run(
            "INSERT INTO copy_pairs(article_a, article_b, relation, similarity, containment, coverage, method, "
            "created_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (article_a, article_b) DO UPDATE SET "
            "relation=excluded.relation, similarity=excluded.similarity, containment=excluded.containment, "
            "coverage=excluded.coverage, method=excluded.method, created_at=excluded.created_at",
            (pair.article_a, pair.article_b, pair.relation, pair.similarity, pair.containment, pair.coverage,
             pair.method, utcnow()))

    def copy_pairs_of(self, article_id: str) -> list[CopyPair]:
        """The stored copy/rewrite pairs ``article_id`` is in."""
        return [CopyPair(r["article_a"], r["article_b"], r["relation"], r["similarity"], r["containment"],
                         r["coverage"], r["method"]) for r in self._rows(
            "SELECT article_a, article_b, relation, similarity, containment, coverage, method FROM copy_pairs "
            "WHERE article_a=%s OR article_b=%s", (article_id, article_id))]

    def count_copy_pairs(self) -> int:
        """How many copy/rewrite pairs are stored."""
        return int(self._rows("SELECT count(*) AS n FROM copy_pairs")[0]["n"])

    def replace_sentence_alignments(self, article_a: str, article_b: str,
                                    rows: Sequence[SentenceAlignment]) -> None:
        """The stored sentence alignment of the pair ``article_a < article_b`` becomes ``rows``."""
        with self._atomic():
            self._run("DELETE FROM sentence_alignments WHERE article_a=%s AND article_b=%s", (article_a, article_b))
            self._many(
                "INSERT INTO sentence_alignments(article_a, article_b, sent_a, sent_b, a_start, a_end, b_start, "
                "b_end, lexical, dense, method) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                [(r.article_a, r.article_b, r.sent_a, r.sent_b, r.a_start, r.a_end, r.b_start, r.b_end, r.lexical,
                  r.dense, r.method) for r in rows])

    _ALIGNMENT_COLUMNS = ("article_a", "article_b", "sent_a", "sent_b", "a_start", "a_end", "b_start", "b_end",
                          "lexical", "dense", "method")

    def sentence_alignments_among(self, article_ids: Sequence[str]) -> list[SentenceAlignment]:
        """Stored sentence alignments whose two articles are both among ``article_ids``."""
        ids = list(article_ids)
        return [SentenceAlignment(*(r[c] for c in self._ALIGNMENT_COLUMNS)) for r in self._rows(
            f"SELECT {', '.join(self._ALIGNMENT_COLUMNS)} FROM sentence_alignments WHERE article_a = ANY(%s) "
            "AND article_b = ANY(%s) ORDER BY article_a, article_b, sent_a", (ids, ids))]

    # -- origins ----------------------------------------------------------------------------------------------
    def replace_copies(self, article_ids: Iterable[str], copies: Sequence[CopyOf]) -> None:
        """Forget the origins of ``article_ids`` (a group of copies), then store ``copies``."""
        from ..sqlite import utcnow

        now = utcnow()
        with self._atomic():
            self._run("DELETE FROM copies WHERE article_id = ANY(%s)", (sorted(set(article_ids)),))
            self._many("INSERT INTO copies(article_id, origin_id, relation, similarity, updated_at) "
                       "VALUES (%s,%s,%s,%s,%s)",
                       [(c.article_id, c.origin_id, c.relation, float(c.similarity), now) for c in copies])

    def story_copies(self, story_id: str) -> list[CopyOf]:
        """The copies and rewrites among the current articles of story ``story_id`` (an exact id), by date (undated
        last), then arrival."""
        return [_copy_of(r) for r in self._rows(
            "SELECT c.article_id, c.origin_id, c.relation, c.similarity FROM copies c "
            "JOIN memberships m ON m.article_id=c.article_id JOIN articles a ON a.id=c.article_id "
            "WHERE m.story_id=%s AND a.superseded_by IS NULL ORDER BY a.date ASC NULLS LAST, a.seq", (story_id,))]

    def all_copies(self) -> list[CopyOf]:
        """Every stored copy and rewrite, by the copy's date (undated last), then arrival."""
        return [_copy_of(r) for r in self._rows(
            "SELECT c.article_id, c.origin_id, c.relation, c.similarity FROM copies c JOIN articles a "
            "ON a.id=c.article_id ORDER BY a.date ASC NULLS LAST, a.seq")]

    def copies_of_articles(self, article_ids: Sequence[str]) -> list[CopyOf]:
        """The copies and rewrites among ``article_ids``, except a newer version of an outlet's article, which is
        not a copy of its own older version (docs/versions.md)."""
        return [_copy_of(r) for r in self._rows(
            "SELECT c.article_id, c.origin_id, c.relation, c.similarity FROM copies c "
            "JOIN articles a ON a.id = c.article_id JOIN articles o ON o.id = c.origin_id "
            "WHERE c.article_id = ANY(%s) AND NOT (a.external_id IS NOT NULL "
            "AND o.external_id IS NOT DISTINCT FROM a.external_id AND o.source = a.source) ORDER BY c.article_id",
            (list(article_ids),))]

    def clear_copies(self) -> None:
        """Forget every signature, judged pair, origin and sentence alignment (before a re-detection)."""
        with self._atomic():
            for table in ("sentence_alignments", "copies", "copy_pairs", "copy_signatures"):
                self._run(f"DELETE FROM {table}")


def _copy_of(r: dict[str, Any]) -> CopyOf:
    return CopyOf(r["article_id"], r["origin_id"], r["relation"], r["similarity"])
