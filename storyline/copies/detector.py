"""The copy detector: a pipeline observer that finds copies and rewrites as articles arrive, and their origins.

For each stored batch (inside the batch's transaction):

1. MinHash signatures of title + body shingles are computed for the batch (one numpy pass) and stored with the
   body hash in ``copy_signatures``; the LSH index (:class:`~storyline.copies.minhash.LSHIndex`, compact numpy
   banding) is rebuilt from these blobs after a restart, never by re-shingling.
2. Candidates of each new article: LSH neighbours across the *whole store*, articles with the same body hash, and
   the newest ``copies.max_story_pairs`` members of its story.
3. Each candidate pair is judged (:class:`~storyline.copies.relation.PairJudge`); ``copy``/``rewrite`` pairs go to
   ``copy_pairs``, the sentence alignment of every judged pair with aligned sentences to ``sentence_alignments``
   (sentence indices and spans into the stored bodies; the title is not stored there).
4. Provenance: the connected groups of copy/rewrite pairs touched by the batch are recomputed. A group's origin is
   its earliest *dated* article (an undated article is the origin only if no member has a date; ties go to the
   earlier arrival). Every other member gets a ``copies`` row: its relation to the origin (the judged pair when
   there is one; otherwise ``rewrite`` if it reaches the group only through a rewrite, else ``copy``) and the
   similarity.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timezone
from typing import Any, Sequence

import numpy as np

from ..records import Article, Assignment
from ..settings import CopiesSettings, Settings
from ..store import Store
from ..store.rows import CopyOf, CopyPair, CopySignature, SentenceAlignment
from .align import SentenceEncoder
from .minhash import LSHIndex, Signer
from .relation import PairJudge, PairJudgement
from .text import body_hash, words

__all__ = ["CopyDetector", "copies_for_story", "provenance_summary", "rebuild"]

_NO_DATE = datetime.min.replace(tzinfo=timezone.utc)  # sorts before every date; only undated articles meet it

RESTORE_CHUNK = 50_000  # signatures read per query when the index is rebuilt after a restart


class CopyDetector:
    """Pipeline :class:`~storyline.pipeline.Observer`. ``encoder`` (optional) enables dense rewrite alignment."""

    def __init__(self, settings: CopiesSettings | None = None, encoder: SentenceEncoder | None = None):
        self.settings = settings or CopiesSettings()
        self.signer = Signer(self.settings.num_perm, self.settings.seed, self.settings.shingle_words)
        self.judge = PairJudge(self.settings, encoder)
        self.index: LSHIndex | None = None

    # -- index ------------------------------------------------------------------------------------------------
    def restore(self, store: Store) -> "CopyDetector":
        """Rebuild the LSH index from the stored signatures (those made with the current parameters)."""
        s = self.settings
        self.index = LSHIndex(self.signer, s.lsh_threshold)
        last = -1
        while True:  # in chunks, so a million stored signatures never sit in memory as Python rows at once
            page = store.copy_signature_page(s.num_perm, s.seed, s.shingle_words, last, RESTORE_CHUNK)
            if page is None:
                break
            sigs = np.frombuffer(page.signatures, dtype="<u4").reshape(len(page.article_ids), s.num_perm)
            self.index.insert_many(list(page.article_ids), sigs)
            last = page.last
        return self

    # -- observer ---------------------------------------------------------------------------------------------
    def observe(self, store: Store, articles: Sequence[Article], assignments: Sequence[Assignment]) -> None:
        if not articles:
            return
        if self.index is None:
            self.restore(store)
        s = self.settings
        sigs = self.signer.signatures(words(f"{a.title}\n{a.text}") for a in articles)
        hashes = [body_hash(a.text) for a in articles]
        store.put_copy_signatures([
            CopySignature(a.id, h, s.num_perm, s.seed, s.shingle_words, sig.astype("<u4").tobytes())
            for a, h, sig in zip(articles, hashes, sigs)])
        same_body = store.ids_by_body_hash(hashes)  # the batch's own signatures included, as stored above
        self.index.insert_many([a.id for a in articles], sigs)
        by_id = {a.id: a for a in articles}
        touched: set[str] = set()
        neighbours = self.index.query_many(sigs)
        for a, h, near in zip(articles, hashes, neighbours):
            cands = set(near)
            cands.update(same_body.get(h, ()))
            cands.update(store.newest_story_mates(a.id, s.max_story_pairs))
            cands.discard(a.id)
            for cid in sorted(cands):
                other = by_id.get(cid)
                if other is None:
                    other = store.get_article(cid)
                    by_id[cid] = other
                if a.external_id and other.external_id == a.external_id and other.source == a.source:
                    continue  # another version of the same outlet's article, not a copy (docs/versions.md)
                j = self.judge.judge(a, other)
                _store_pair(store, a.id, cid, j)
                if j.relation != "independent":
                    touched.update((a.id, cid))
        if touched:
            self._update_provenance(store, touched)

    # -- provenance -------------------------------------------------------------------------------------------
    def _update_provenance(self, store: Store, touched: set[str]) -> None:
        done: set[str] = set()
        for start in sorted(touched):
            if start in done:
                continue
            group, edges = _component(store, start)
            done |= group
            rows = store.article_arrivals(group)
            first = min(rows, key=lambda r: (r.date is None, r.date or _NO_DATE, r.seq))
            origin = first.id
            # a later version of the origin itself is the origin's own update, not a copy of it (docs/versions.md)
            versions = {r.id for r in rows if first.external_id and r.external_id == first.external_id
                        and r.source == first.source}
            copies: list[CopyOf] = []
            for member in sorted(group - versions - {origin}):
                direct = edges.get(_key(member, origin))
                if direct is not None:
                    relation, sim = direct
                else:
                    mine = [v for k, v in edges.items() if member in k]
                    relation = "rewrite" if any(r == "rewrite" for r, _ in mine) else "copy"
                    sim = max(v for _, v in mine)
                copies.append(CopyOf(member, origin, relation, float(sim)))
            store.replace_copies(group, copies)


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _store_pair(store: Store, a: str, b: str, j: PairJudgement) -> None:
    lo, hi = _key(a, b)
    if j.relation != "independent":
        store.put_copy_pair(CopyPair(lo, hi, j.relation, j.similarity, j.containment, j.coverage, j.method))
    if j.alignment is not None and j.alignment.pairs:
        flip = lo != a
        rows: list[SentenceAlignment] = []
        seen: set[int] = set()
        for p in j.alignment.pairs:
            sa, sb, spans = (p.b, p.a, (p.b_start, p.b_end, p.a_start, p.a_end)) if flip else (
                p.a, p.b, (p.a_start, p.a_end, p.b_start, p.b_end))
            if sa < 0 or sb < 0 or sa in seen:  # titles are not stored; one row per sentence of article_a
                continue
            seen.add(sa)
            rows.append(SentenceAlignment(lo, hi, sa, sb, *spans, p.lexical, p.dense, j.alignment.method))
        store.replace_sentence_alignments(lo, hi, rows)


def _component(store: Store, start: str) -> tuple[set[str], dict[tuple[str, str], tuple[str, float]]]:
    group, edges, todo = {start}, {}, deque([start])
    while todo:
        x = todo.popleft()
        for r in store.copy_pairs_of(x):
            edges[(r.article_a, r.article_b)] = (r.relation, r.similarity)
            for y in (r.article_a, r.article_b):
                if y not in group:
                    group.add(y)
                    todo.append(y)
    return group, edges


def copies_for_story(store: Store, story_id: str) -> list[dict[str, Any]]:
    """The ``copies --format json`` / ``show`` contract: ``[{"article_id", "origin_id", "relation", "similarity"}]``
    for every current article of the story that is a copy or rewrite (its origin may lie in another story; an
    article superseded by a newer version of itself is left out, docs/versions.md)."""
    return [c.as_dict() for c in store.story_copies(store.resolve_story_id(story_id))]


def all_copies(store: Store) -> list[dict[str, Any]]:
    return [c.as_dict() for c in store.all_copies()]


def provenance_summary(store: Store, story_id: str) -> dict[str, Any]:
    """For the story view: each origin with the outlets carrying it, and the count of independent sources.

    ``independent_sources`` counts distinct outlets among articles that are not a copy/rewrite of another
    article: corroboration counts independent reports, not copies.
    """
    sid = store.resolve_story_id(story_id)
    members = store.list_articles(sid)  # current versions only (docs/versions.md)
    copies = {r["article_id"]: r for r in copies_for_story(store, sid)}
    src = {r["id"]: r["source"] for r in members}
    origins: dict[str, set[str]] = {}
    for c in copies.values():
        if c["origin_id"] not in src:
            src[c["origin_id"]] = store.get_article(c["origin_id"]).source
        origins.setdefault(c["origin_id"], set()).add(src[c["article_id"]])
    independent = {src[r["id"]] for r in members if r["id"] not in copies}
    return {
        "origins": [
            {"origin_id": o, "source": src[o], "carried_by": len(outlets - {src[o]}), "outlets": sorted(outlets)}
            for o, outlets in sorted(origins.items())
        ],
        "independent_sources": len(independent),
    }


def rebuild(store: Store, settings: Settings | None = None, encoder: SentenceEncoder | None = None) -> int:
    """Forget all copy data and re-detect over the stored articles in arrival order; returns the article count."""
    settings = settings or Settings()
    with store.transaction():
        store.clear_copies()
        det = CopyDetector(settings.copies, encoder).restore(store)
        batch: list[Article] = []
        n = 0
        for a in store.iter_articles():
            batch.append(a)
            if len(batch) >= settings.ingest.batch_size:
                det.observe(store, batch, [])
                n += len(batch)
                batch = []
        if batch:
            det.observe(store, batch, [])
            n += len(batch)
    return n
