"""Build the story view: headline, cited summary, timeline, sources, entities, quotes, figures, conflicts, unique.

``build_view(store, story_id)`` reads the story's articles (and the ``copies`` table when the copies stage made one)
and calls :func:`build_view_from_articles`, a pure function over a list of :class:`Article` that tests and the web UI
can call without a store. Everything in the view is extracted: each item cites ``article_id`` and a character span.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import sparse

from ..errors import ConfigError, StorylineError
from ..headline import representative_index
from ..records import Article
from ..settings import Settings, StoriesSettings
from .align import Alignment, Encoder, align_sentences, tfidf
from .entities import EntityJob, dumps_raw, loads_raw
from .figures import extract_figures, find_conflicts
from .model import (ArticleRef, Citation, Echo, ProvenanceEntry, Quote, SourceEntry, StoryView, SummaryItem,
                    TimelineEntry, Title, UniqueItem)
from .quotes import carry_copies, extract_quotes, group_by_speaker, resolve_speakers
from .terms import word_count

__all__ = ["build_view", "build_view_from_articles", "choose_headline", "merge_stored_alignments", "summarize",
           "timeline", "unique_content"]


def _stories_settings(settings: Settings | StoriesSettings | None) -> StoriesSettings:
    if settings is None:
        return StoriesSettings()
    if isinstance(settings, Settings):
        return settings.stories
    return settings


def _check(s: StoriesSettings) -> None:
    if not 1 <= s.summary_min <= s.summary_max:
        raise ConfigError(f"stories.summary_min/summary_max must satisfy 1 <= min <= max, got "
                          f"{s.summary_min}/{s.summary_max}")
    if not 0.0 <= s.mmr_lambda <= 1.0:
        raise ConfigError(f"stories.mmr_lambda must be in [0, 1], got {s.mmr_lambda}")


# -- headline ---------------------------------------------------------------------------------------------------
def choose_headline(articles: Sequence[Article]) -> tuple[str, str | None]:
    """The most representative title (storyline/headline.py: the same rule the pipeline stores)."""
    best = representative_index([a.title for a in articles], [a.title_derived for a in articles])
    if best is None:
        return "", None
    return articles[best].title, articles[best].id


# -- summary ----------------------------------------------------------------------------------------------------
def summarize(al: Alignment, settings: StoriesSettings) -> list[SummaryItem]:
    """3–7 central sentences chosen across sources (centrality × agreement × lead position, then MMR).

    score(i) = cos(x_i, c) · (1 + s_i) / (1 + 0.1·k_i), where c is the mean of the per-article mean sentence
    vectors (each article weighs the same), s_i the number of other sources with an aligned sentence and k_i the
    sentence's position in its article. MMR then picks argmax λ·score − (1−λ)·max sim to the picked ones, skipping
    sentences aligned with a picked one (the same statement from another source becomes ``also_in``).
    """
    refs = al.sentences
    if not refs:
        return []
    X = al.lexical_vectors
    D = al.dense_vectors
    art_rows: dict[str, list[int]] = {}
    for i, r in enumerate(refs):
        art_rows.setdefault(r.article_id, []).append(i)

    def centroid(M: Any) -> np.ndarray:
        vecs = []
        for rows in art_rows.values():
            v = np.asarray(M[rows].mean(axis=0)).ravel()
            nrm = np.linalg.norm(v)
            if nrm > 0:
                vecs.append(v / nrm)
        c = np.mean(vecs, axis=0) if vecs else np.zeros(M.shape[1])
        return c / max(np.linalg.norm(c), 1e-12)

    cent = np.asarray(X @ centroid(X)).ravel()
    if D is not None:
        cent = 0.5 * cent + 0.5 * (D @ centroid(D))
    n_sources = len({r.source for r in refs})
    cand = [i for i, r in enumerate(refs) if word_count(r.text) >= settings.min_sentence_words
            and r.text[-1:] not in ("?", ":")]
    if not cand:
        cand = list(range(len(refs)))
    support_all = al.support_counts()
    support = {i: int(support_all[i]) for i in cand}
    score = {i: max(float(cent[i]), 0.0) * (1 + support[i]) / (1 + 0.1 * refs[i].index) for i in cand}
    top = max(score.values()) or 1.0
    score = {i: v / top for i, v in score.items()}
    # pick until every statement several sources agree on (an alignment group spanning ≥ 2 sources) has a
    # sentence in the summary, within [summary_min, summary_max]
    group_of: dict[int, int] = {}
    for g_id, g in enumerate(al.groups()):
        if len({refs[i].source for i in g}) > 1:
            for i in g:
                group_of[i] = g_id
    open_groups = set(group_of.values())
    k_max = min(settings.summary_max, len(cand))

    cand_arr = np.array(cand)
    score_arr = np.array([score[i] for i in cand])
    redundancy = np.zeros(len(cand))  # max similarity of each candidate to the picked sentences
    available = np.ones(len(cand), dtype=bool)
    pos = {i: k for k, i in enumerate(cand)}
    Xc = X[cand_arr]
    Dc = D[cand_arr] if D is not None else None
    picked: list[int] = []
    lam = settings.mmr_lambda
    while len(picked) < k_max:
        if len(picked) >= settings.summary_min and not open_groups & {
                group_of[i] for i in cand_arr[available].tolist() if i in group_of}:
            break
        if not available.any():
            break
        v = np.where(available, lam * score_arr - (1 - lam) * redundancy, -np.inf)
        best = int(cand_arr[int(np.argmax(v))])
        picked.append(best)
        open_groups.discard(group_of.get(best, -1))
        available[pos[best]] = False
        for j, _ in al.neighbours(best):  # the same statement from another source becomes also_in
            if j in pos:
                available[pos[j]] = False
        sim = np.asarray((Xc @ X[best].T).todense()).ravel()
        if Dc is not None:
            sim = np.maximum(sim, Dc @ D[best])
        redundancy = np.maximum(redundancy, sim)
    out = []
    for i in picked:
        r = refs[i]
        echoes: dict[str, Echo] = {}
        for j, sc in al.neighbours(i):  # best first: keep the best sentence per other article
            o = refs[j]
            if o.article_id != r.article_id and o.article_id not in echoes:
                echoes[o.article_id] = Echo(o.article_id, o.source, o.text, o.start, o.end, sc)
        out.append(SummaryItem(r.text, Citation(r.article_id, r.source, r.start, r.end), tuple(echoes.values()),
                               round(score[i], 4)))
    return out


# -- timeline ---------------------------------------------------------------------------------------------------
def timeline(articles: Sequence[Article], al: Alignment) -> list[TimelineEntry]:
    """Dated articles by time (the first report, then updates with how many new sentences each adds); undated last."""
    dated = sorted((a for a in articles if a.date is not None), key=lambda a: a.date)  # type: ignore[arg-type,return-value]
    undated = [a for a in articles if a.date is None]
    rank = {a.id: k for k, a in enumerate(dated)}  # undated articles come after every dated one
    rows_of: dict[str, list[int]] = {}
    for i, r in enumerate(al.sentences):
        rows_of.setdefault(r.article_id, []).append(i)
    order = np.array([rank.get(r.article_id, len(dated)) for r in al.sentences])
    A = al.adjacency
    # earliest rank among each sentence's aligned sentences (len(dated) + 1 when none)
    earliest = np.full(len(al.sentences), len(dated) + 1)
    if A.nnz:
        coo = A.tocoo()
        np.minimum.at(earliest, coo.row, order[coo.col])
    out = []
    for k, a in enumerate(dated):
        rows = rows_of.get(a.id, [])
        new = int(sum(1 for i in rows if earliest[i] >= k))
        out.append(TimelineEntry(a.id, a.source, a.title, a.date, "first" if k == 0 else "update", new, len(rows)))
    for a in undated:
        rows = rows_of.get(a.id, [])
        new = int(sum(1 for i in rows if earliest[i] >= len(dated)))
        out.append(TimelineEntry(a.id, a.source, a.title, None, "undated", new, len(rows)))
    return out


# -- sources ----------------------------------------------------------------------------------------------------
def sources(articles: Sequence[Article], copies: Sequence[Mapping[str, Any]] = ()) -> list[SourceEntry]:
    """Outlets with article counts; an article is a copy when the copies stage linked it to an origin."""
    copy_ids = {c["article_id"] for c in copies if c.get("relation") in ("copy", "rewrite")}
    by: dict[str, list[str]] = {}
    for a in articles:
        by.setdefault(a.source, []).append(a.id)
    out = [SourceEntry(src, len(ids), sum(1 for i in ids if i not in copy_ids), sum(1 for i in ids if i in copy_ids),
                       tuple(ids)) for src, ids in by.items()]
    out.sort(key=lambda s: (-s.independent, -s.articles, s.source))
    return out


# -- unique -----------------------------------------------------------------------------------------------------
def unique_content(al: Alignment, settings: StoriesSettings) -> tuple[list[UniqueItem], int]:
    """Sentences no other source has an aligned counterpart for, and their total.

    At most ``unique_max`` are listed, taken round-robin over the articles (each article's first unaligned sentence,
    then each one's second, …) so that every source's own content shows; listed in article and text order.
    """
    if len({r.source for r in al.sentences}) < 2:
        return [], 0
    per: dict[str, list[int]] = {}
    support = al.support_counts()
    for i, r in enumerate(al.sentences):
        if not support[i] and word_count(r.text) >= settings.min_sentence_words:
            per.setdefault(r.article_id, []).append(i)
    total = sum(len(v) for v in per.values())
    chosen: list[int] = []
    depth = 0
    while len(chosen) < min(total, settings.unique_max):
        for rows in per.values():
            if depth < len(rows) and len(chosen) < settings.unique_max:
                chosen.append(rows[depth])
        depth += 1
    chosen.sort()
    out = [UniqueItem(al.sentences[i].article_id, al.sentences[i].source, al.sentences[i].text,
                      al.sentences[i].start, al.sentences[i].end) for i in chosen]
    return out, total


def _without_copied_quotes(quotes: list[Quote], copies: Sequence[Mapping[str, Any]]) -> list[Quote]:
    """Drop a quote from a copy or rewrite (per the copies stage) when an earlier article already gave the same words
    by the same speaker: wire copy would otherwise list one statement once per outlet that carried it. Quotes of
    independent reports are all kept."""
    copy_ids = {c["article_id"] for c in copies if c.get("relation") in ("copy", "rewrite")}
    if not copy_ids:
        return quotes
    seen: set[tuple[str, str]] = set()
    out = []
    for q in quotes:
        key = (" ".join(q.text.split()).casefold(), (q.speaker or "").casefold())
        if q.article_id in copy_ids and key in seen:
            continue
        seen.add(key)
        out.append(q)
    return out


# -- stored alignments (copies stage) ---------------------------------------------------------------------------
def merge_stored_alignments(al: Alignment, stored: Sequence[Mapping[str, Any]]) -> tuple[Alignment, int, int]:
    """Union the copies stage's stored sentence pairs into ``al``; returns (alignment, pairs used, pairs added).

    A stored row (``article_a``, ``a_start``, ``a_end``, ``article_b``, ``b_start``, ``b_end``, ``lexical``,
    ``dense``) is used only when both spans are exactly a sentence of the view (the copies stage may align a
    sentence with two merged ones; such rows are skipped, never guessed). A used pair already aligned keeps its
    score; a new one gets the stored score (max of lexical and dense), so a rewrite's re-worded sentences count as
    the same statement even when their TF-IDF cosine is low. ``lexical_scores`` keep the view's own TF-IDF cosine.
    """
    index = {(r.article_id, r.start, r.end): i for i, r in enumerate(al.sentences)}
    pairs: dict[tuple[int, int], float] = {}
    for row in stored:
        i = index.get((row["article_a"], row["a_start"], row["a_end"]))
        j = index.get((row["article_b"], row["b_start"], row["b_end"]))
        if i is None or j is None or i == j:
            continue
        score = max(float(row["lexical"]), float(row["dense"] or 0.0))
        key = (min(i, j), max(i, j))
        pairs[key] = max(pairs.get(key, 0.0), round(max(score, 1e-4), 4))
    if not pairs:
        return al, 0, 0
    A = al.adjacency.tocsr()
    new = {k: v for k, v in pairs.items() if A[k[0], k[1]] == 0}
    if not new:
        return al, len(pairs), 0
    n = len(al.sentences)
    ii = np.array([k[0] for k in new] + [k[1] for k in new])
    jj = np.array([k[1] for k in new] + [k[0] for k in new])
    vals = np.array(list(new.values()) * 2, dtype=np.float32)
    add = sparse.csr_matrix((vals, (ii, jj)), shape=(n, n))
    X = al.lexical_vectors
    lex = np.asarray(X[ii].multiply(X[jj]).sum(axis=1)).ravel().astype(np.float32) if X is not None else vals
    changes = {"adjacency": (A + add).tocsr(),
               "lexical_scores": (al.lexical_scores + sparse.csr_matrix((np.round(lex, 4), (ii, jj)),
                                                                        shape=(n, n))).tocsr()}
    if al.dense_scores is not None and al.dense_vectors is not None:
        D = al.dense_vectors
        den = np.round(np.einsum("ij,ij->i", D[ii], D[jj]), 4).astype(np.float32)
        changes["dense_scores"] = (al.dense_scores + sparse.csr_matrix((den, (ii, jj)), shape=(n, n))).tocsr()
    return replace(al, **changes), len(pairs), len(new)


def _provenance(prov: Mapping[str, Any] | None, articles: Sequence[Article]) -> tuple[ProvenanceEntry, ...]:
    if not prov:
        return ()
    titles = {a.id: a.title for a in articles}
    return tuple(ProvenanceEntry(o["origin_id"], o["source"], o.get("title") or titles.get(o["origin_id"], ""),
                                 int(o["carried_by"]), tuple(o["outlets"]))
                 for o in sorted(prov.get("origins", ()), key=lambda o: (-int(o["carried_by"]), o["origin_id"])))


# -- the whole view ---------------------------------------------------------------------------------------------
def build_view_from_articles(
    articles: Sequence[Article],
    *,
    story_id: str = "",
    encoder: Encoder | None = None,
    settings: Settings | StoriesSettings | None = None,
    copies: Sequence[Mapping[str, Any]] = (),
    entity_cache: Any = None,
    provenance: Mapping[str, Any] | None = None,
    stored_alignments: Sequence[Mapping[str, Any]] | None = None,
) -> StoryView:
    """The story view of ``articles`` (pure: no store). ``copies`` are rows of the copies stage, if any;
    ``provenance`` is :func:`storyline.copies.provenance_summary`'s result and ``stored_alignments`` rows of its
    ``sentence_alignments`` table (None: the copies stage recorded none)."""
    s = _stories_settings(settings)
    _check(s)
    articles = list(articles)
    get, put = (entity_cache.get, entity_cache.put) if entity_cache is not None else (None, None)
    entity_job = EntityJob(articles, method=s.entities, model=s.spacy_model, cache_get=get, cache_put=put)
    al = align_sentences(articles, encoder=encoder, settings=s)
    used = added = 0
    if stored_alignments:
        al, used, added = merge_stored_alignments(al, stored_alignments)
    by_article: dict[str, list] = {}
    for r in al.sentences:
        by_article.setdefault(r.article_id, []).append(r.sentence)
    headline, head_id = choose_headline(articles)
    quotes = group_by_speaker(carry_copies(resolve_speakers(
        [q for a in articles for q in extract_quotes(a, by_article.get(a.id, []))], articles), copies))
    figures = [f for a in articles for f in extract_figures(a, by_article.get(a.id, []))]
    conflicts = find_conflicts(figures, {a.id: a.text for a in articles}, dates={a.id: a.date for a in articles},
                               copies=copies, include_agree=True)
    entities, ent_method = entity_job.result()
    unique, unique_total = unique_content(al, s)
    srcs = sources(articles, copies)
    prov = _provenance(provenance, articles)
    if provenance is not None:
        independent = int(provenance["independent_sources"])
        copies_method = "copies table; provenance: storyline.copies.provenance_summary"
    else:
        independent = sum(1 for x in srcs if x.independent)
        copies_method = "copies table" if copies else "none recorded: every article counted as independent"
    if stored_alignments is None:
        stored_method = "none: no sentence_alignments table (copies stage not run)"
    else:
        stored_method = (f"copies stage sentence_alignments: {used} stored pairs matched view sentences exactly "
                         f"({added} not aligned by similarity, added)")
    return StoryView(
        id=story_id,
        headline=headline,
        headline_article_id=head_id,
        articles=tuple(ArticleRef(a.id, a.source, a.title, a.date, a.byline, a.title_derived, a.lang, a.url)
                       for a in articles),
        titles=tuple(Title(a.id, a.source, a.title, a.title_derived) for a in articles),
        summary=tuple(summarize(al, s)),
        timeline=tuple(timeline(articles, al)),
        sources=tuple(srcs),
        entities=tuple(entities),
        quotes=tuple(quotes),
        figures=tuple(figures),
        conflicts=tuple(conflicts),
        unique=tuple(unique),
        methods={
            "similarity": al.method,
            "entities": ent_method,
            "copies": copies_method,
            "stored_alignments": stored_method,
            "sentences": "storyline.sentences (rules)",
            "generated_text": "none: every statement is a verbatim span of a cited article",
        },
        counts={
            "articles": len(articles),
            "sources": len(srcs),
            "sentences": len(al.sentences),
            "aligned_pairs": al.n_pairs,
            "stored_alignment_pairs": used,
            "quotes": len(quotes),
            "figures": len(figures),
            "unique_total": unique_total,
            "unique_listed": len(unique),
        },
        copies=tuple(dict(c) for c in copies),
        provenance=prov,
        independent_sources=independent,
    )


class StoreEntityCache:
    """Per-article NER results kept in the ``article_entities`` table (migration 0300)."""

    def __init__(self, store: Any):
        self.store = store

    def get(self, article_id: str, method: str):
        rows = self.store.query("SELECT entities FROM article_entities WHERE article_id=? AND method=?",
                                (article_id, method))
        return loads_raw(rows[0][0]) if rows else None

    def put(self, article_id: str, method: str, raw) -> None:
        self.store.execute("INSERT OR REPLACE INTO article_entities(article_id, method, entities) VALUES (?,?,?)",
                           (article_id, method, dumps_raw(raw)))


def read_copies(store: Any, article_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of the copies stage's ``copies`` table for these articles; [] when the table does not exist."""
    if not store.query("SELECT 1 FROM sqlite_master WHERE type='table' AND name='copies'"):
        return []
    ids = list(article_ids)
    out: list[dict[str, Any]] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        try:  # a newer version of an outlet's article is not a copy of its own older version (docs/versions.md)
            rows = store.query(f"SELECT c.* FROM copies c JOIN articles a ON a.id = c.article_id "
                               f"JOIN articles o ON o.id = c.origin_id WHERE c.article_id IN ({marks}) "
                               f"AND NOT (a.external_id IS NOT NULL AND o.external_id IS a.external_id "
                               f"AND o.source = a.source)", chunk)
        except sqlite3.OperationalError as e:  # a copies table without article_id: say so, never guess
            raise StorylineError(f"the copies table has an unexpected shape ({e}); expected columns article_id, "
                                 f"origin_id, relation, similarity") from None
        for r in rows:
            d = dict(r)
            out.append({k: d.get(k) for k in ("article_id", "origin_id", "relation", "similarity") if k in d})
    return out


def _has_table(store: Any, name: str) -> bool:
    return bool(store.query("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)))


def read_stored_alignments(store: Any, article_ids: Sequence[str]) -> list[dict[str, Any]] | None:
    """Rows of the copies stage's ``sentence_alignments`` between these articles; None when the table does not
    exist."""
    if not _has_table(store, "sentence_alignments"):
        return None
    ids = list(article_ids)
    wanted = set(ids)
    out: list[dict[str, Any]] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        rows = store.query("SELECT article_a, article_b, a_start, a_end, b_start, b_end, lexical, dense "
                           f"FROM sentence_alignments WHERE article_a IN ({marks})", chunk)
        out += [dict(r) for r in rows if r["article_b"] in wanted]
    return out


def read_provenance(store: Any, story_id: str) -> dict[str, Any] | None:
    """:func:`storyline.copies.provenance_summary` of the story, each origin with its title; None when the copies
    tables do not exist."""
    if not _has_table(store, "copies"):
        return None
    from ..copies import provenance_summary

    prov = provenance_summary(store, story_id)
    for o in prov["origins"]:
        o["title"] = store.get_article(o["origin_id"]).title
    return prov


def build_view(store: Any, story_id: str, *, encoder: Encoder | None = None,
               settings: Settings | StoriesSettings | None = None) -> StoryView:
    """The story view of story ``story_id`` (an id, alias or unique prefix) in ``store``: with the copies stage's
    provenance ("carried by N outlets") and its stored sentence alignments when its tables exist."""
    story = store.get_story(story_id)
    articles = list(store.iter_articles(story.id))
    ids = [a.id for a in articles]
    view = build_view_from_articles(
        articles, story_id=story.id, encoder=encoder, settings=settings,
        copies=read_copies(store, ids), entity_cache=StoreEntityCache(store),
        provenance=read_provenance(store, story.id), stored_alignments=read_stored_alignments(store, ids))
    return view
