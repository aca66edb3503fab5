"""The copies stage's tables on SQLite (mixed into :class:`~storyline.store.sqlite.Store`): MinHash signatures,
judged pairs, origins (``copies``) and sentence alignments (migration 0200). An article's arrival order is
``articles.seq`` (migration 0008); signatures page by their own ``rowid``. The PostgreSQL twin is
:mod:`storyline.store.postgres.copies`.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from .rows import Arrival, CopyOf, CopyPair, CopySignature, SentenceAlignment, SignaturePage


class CopiesQueries:
    query: Any  # Store.query
    execute: Any
    conn: Any
    _lock: Any
    _query_in: Any

    # -- signatures -------------------------------------------------------------------------------------------
    def copy_signature_page(self, num_perm: int, seed: int, shingle_words: int, after: int,
                            limit: int) -> SignaturePage | None:
        """The next ``limit`` stored signatures made with these parameters that arrived after position ``after``
        (``-1``: from the start); None when there are no more."""
        rows = self.query(
            "SELECT rowid, article_id, signature FROM copy_signatures WHERE num_perm=? AND seed=? AND "
            "shingle_words=? AND rowid>? ORDER BY rowid LIMIT ?", (num_perm, seed, shingle_words, after, limit))
        if not rows:
            return None
        return SignaturePage(tuple(r[1] for r in rows), b"".join(r[2] for r in rows), int(rows[-1][0]))

    def put_copy_signatures(self, signatures: Sequence[CopySignature]) -> None:
        """Store (or replace) these articles' signatures."""
        with self._lock:
            self.conn.executemany(
                "INSERT OR REPLACE INTO copy_signatures(article_id, body_hash, num_perm, seed, shingle_words, "
                "signature) VALUES (?,?,?,?,?,?)",
                [(s.article_id, s.body_hash, s.num_perm, s.seed, s.shingle_words, s.signature) for s in signatures])

    def ids_by_body_hash(self, hashes: Iterable[str]) -> dict[str, list[str]]:
        """``{body hash: [ids of the articles with a stored signature of that body]}`` (hashes with none left out)."""
        out: dict[str, list[str]] = {}
        for r in self._query_in("SELECT body_hash, article_id FROM copy_signatures WHERE body_hash IN ({marks})",
                                sorted(set(hashes))):
            out.setdefault(str(r[0]), []).append(str(r[1]))
        return out

    def newest_story_mates(self, article_id: str, limit: int) -> list[str]:
        """The ``limit`` latest-arrived other members of ``article_id``'s story, newest first."""
        return [r[0] for r in self.query(
            "SELECT m2.article_id FROM memberships m1 JOIN memberships m2 ON m2.story_id=m1.story_id "
            "JOIN articles a ON a.id=m2.article_id WHERE m1.article_id=? AND m2.article_id<>? "
            "ORDER BY a.seq DESC LIMIT ?", (article_id, article_id, limit))]

    def article_arrivals(self, article_ids: Iterable[str]) -> list[Arrival]:
        """Publication date, arrival position, outlet and outlet's id of these stored articles (in no set order)."""
        from .sqlite import from_iso

        return [Arrival(r[0], from_iso(r[1]), int(r[2]), r[3], r[4]) for r in self._query_in(
            "SELECT id, date, seq, source, external_id FROM articles WHERE id IN ({marks})",
            sorted(set(article_ids)))]

    # -- judged pairs and their sentence alignments ----------------------------------------------------------
    def put_copy_pair(self, pair: CopyPair) -> None:
        """Store (or replace) a judged copy/rewrite pair."""
        from .sqlite import iso, utcnow

        self.execute(
            "INSERT OR REPLACE INTO copy_pairs(article_a, article_b, relation, similarity, containment, coverage, "
            "method, created_at) VALUES (?,?,?,?,?,?,?,?)",
            (pair.article_a, pair.article_b, pair.relation, pair.similarity, pair.containment, pair.coverage,
             pair.method, iso(utcnow())))

    def copy_pairs_of(self, article_id: str) -> list[CopyPair]:
        """The stored copy/rewrite pairs ``article_id`` is in."""
        return [CopyPair(*r) for r in self.query(
            "SELECT article_a, article_b, relation, similarity, containment, coverage, method FROM copy_pairs "
            "WHERE article_a=? OR article_b=?", (article_id, article_id))]

    def count_copy_pairs(self) -> int:
        """How many copy/rewrite pairs are stored."""
        return int(self.query("SELECT count(*) FROM copy_pairs")[0][0])

    def replace_sentence_alignments(self, article_a: str, article_b: str,
                                    rows: Sequence[SentenceAlignment]) -> None:
        """The stored sentence alignment of the pair ``article_a < article_b`` becomes ``rows``."""
        with self._lock:
            self.conn.execute("DELETE FROM sentence_alignments WHERE article_a=? AND article_b=?",
                              (article_a, article_b))
            self.conn.executemany(
                "INSERT INTO sentence_alignments(article_a, article_b, sent_a, sent_b, a_start, a_end, b_start, "
                "b_end, lexical, dense, method) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(r.article_a, r.article_b, r.sent_a, r.sent_b, r.a_start, r.a_end, r.b_start, r.b_end, r.lexical,
                  r.dense, r.method) for r in rows])

    def sentence_alignments_among(self, article_ids: Sequence[str]) -> list[SentenceAlignment]:
        """Stored sentence alignments whose two articles are both among ``article_ids``."""
        ids = list(article_ids)
        wanted = set(ids)
        return [SentenceAlignment(*r) for r in self._query_in(
            "SELECT article_a, article_b, sent_a, sent_b, a_start, a_end, b_start, b_end, lexical, dense, method "
            "FROM sentence_alignments WHERE article_a IN ({marks})", ids) if r[1] in wanted]

    # -- origins ----------------------------------------------------------------------------------------------
    def replace_copies(self, article_ids: Iterable[str], copies: Sequence[CopyOf]) -> None:
        """Forget the origins of ``article_ids`` (a group of copies), then store ``copies``."""
        from .sqlite import iso, utcnow

        group = sorted(set(article_ids))
        now = iso(utcnow())
        with self._lock:
            for i in range(0, len(group), 500):
                chunk = group[i:i + 500]
                self.conn.execute(f"DELETE FROM copies WHERE article_id IN ({','.join('?' * len(chunk))})", chunk)
            self.conn.executemany(
                "INSERT INTO copies(article_id, origin_id, relation, similarity, updated_at) VALUES (?,?,?,?,?)",
                [(c.article_id, c.origin_id, c.relation, float(c.similarity), now) for c in copies])

    def story_copies(self, story_id: str) -> list[CopyOf]:
        """The copies and rewrites among the current articles of story ``story_id`` (an exact id), by date (undated
        last), then arrival."""
        return [CopyOf(*r) for r in self.query(
            "SELECT c.article_id, c.origin_id, c.relation, c.similarity FROM copies c "
            "JOIN memberships m ON m.article_id=c.article_id JOIN articles a ON a.id=c.article_id "
            "WHERE m.story_id=? AND a.superseded_by IS NULL ORDER BY a.date IS NULL, a.date, a.seq", (story_id,))]

    def all_copies(self) -> list[CopyOf]:
        """Every stored copy and rewrite, by the copy's date (undated last), then arrival."""
        return [CopyOf(*r) for r in self.query(
            "SELECT c.article_id, c.origin_id, c.relation, c.similarity FROM copies c JOIN articles a "
            "ON a.id=c.article_id ORDER BY a.date IS NULL, a.date, a.seq")]

    def copies_of_articles(self, article_ids: Sequence[str]) -> list[CopyOf]:
        """The copies and rewrites among ``article_ids``, except a newer version of an outlet's article, which is
        not a copy of its own older version (docs/versions.md)."""
        return [CopyOf(*r) for r in self._query_in(
            "SELECT c.article_id, c.origin_id, c.relation, c.similarity FROM copies c "
            "JOIN articles a ON a.id = c.article_id JOIN articles o ON o.id = c.origin_id "
            "WHERE c.article_id IN ({marks}) AND NOT (a.external_id IS NOT NULL AND o.external_id IS a.external_id "
            "AND o.source = a.source)", list(article_ids))]

    def clear_copies(self) -> None:
        """Forget every signature, judged pair, origin and sentence alignment (before a re-detection)."""
        with self._lock:
            for table in ("sentence_alignments", "copies", "copy_pairs", "copy_signatures"):
                self.conn.execute(f"DELETE FROM {table}")
