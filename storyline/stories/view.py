"""Build the story view: headline, cited summary, timeline, sources, entities, quotes, figures, conflicts, unique.

``build_view(store, story_id)`` reads the story's articles (and the copies stage's copies, through store methods)
and calls :func:`build_view_from_articles`, a pure function over a list of :class:`Article` that tests and the web UI
can call without a store. Everything in the view is extracted: each item cites ``article_id`` and a character span.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import sparse

from ..errors import ConfigError
from ..headline import story_headline_index
from ..outlets import distinct_unknown_outlets, unknown_outlets_beyond_one
from ..records import Article
from ..settings import Settings, StoriesSettings
from .align import Alignment, Encoder, align_sentences, tfidf
from .boilerplate import is_boilerplate, repeated_sentences
from .chars import char_tfidf
from .claims import agreement_groups, claim_of, compatible, conflict
from .entities import EntityJob, dumps_raw, loads_raw
from .figures import extract_figures, find_conflicts
from .model import (Agreement, AgreementItem, ArticleRef, Citation, Conflict, Echo, Latest, LatestItem,
                    ProvenanceEntry, Quote, SourceEntry, StoryView, SummaryItem, TimelineEntry, Title, UniqueItem)
from .quotes import carry_copies, extract_quotes, group_by_speaker, resolve_speakers
from ..terms import word_count

__all__ = ["agreements", "boilerplate_rows", "build_view", "build_view_from_articles", "choose_headline", "latest",
           "merge_stored_alignments", "summarize", "timeline", "unique_content"]


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
def choose_headline(articles: Sequence[Article], copies: Sequence[Mapping[str, Any]] = (),
                    settings: StoriesSettings | None = None) -> tuple[str, str | None]:
    """The headline that follows the story (storyline/headline.py :func:`~storyline.headline.story_headline_index`):
    the most representative *recent* title among independent reports, or the first report's title when no newer one
    is representative. Copies and rewrites (per the copies stage) do not propose titles."""
    s = settings or StoriesSettings()
    rel = _relations(copies)
    best = story_headline_index([a.title for a in articles], [a.title_derived for a in articles],
                                [a.date for a in articles], [rel.get(a.id) is None for a in articles],
                                ratio=s.headline_recent_ratio)
    if best is None:
        return "", None
    return articles[best].title, articles[best].id


def _relations(copies: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """article id → ``copy``/``rewrite`` for the articles the copies stage linked to an origin."""
    return {c["article_id"]: c["relation"] for c in copies if c.get("relation") in ("copy", "rewrite")}


def boilerplate_rows(al: Alignment) -> set[int]:
    """Sentences of the alignment that are boilerplate (storyline/stories/boilerplate.py): a pattern, or a footer
    repeated verbatim across articles of one outlet."""
    per: dict[str, list[int]] = {}
    for i, r in enumerate(al.sentences):
        per.setdefault(r.article_id, []).append(i)
    rep = repeated_sentences([(al.sentences[rows[0]].source, [al.sentences[i].text for i in rows])
                              for rows in per.values()])
    verdict: dict[str, bool] = {}
    out = set()
    for i, r in enumerate(al.sentences):
        hit = verdict.get(r.text)
        if hit is None:
            hit = verdict[r.text] = is_boilerplate(r.text) or " ".join(r.text.split()).casefold() in rep
        if hit:
            out.add(i)
    return out


# -- summary ----------------------------------------------------------------------------------------------------
def centrality(al: Alignment) -> np.ndarray:
    """cos(x_i, c) per sentence, where c is the mean of the per-article mean sentence vectors (each article weighs
    the same); the mean of the lexical and dense cosines when dense vectors exist."""
    refs = al.sentences
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
    return cent


def summarize(al: Alignment, settings: StoriesSettings, groups: Sequence[Sequence[int]] | None = None,
              excluded: set[int] | frozenset[int] = frozenset(), relation: Mapping[str, str] | None = None,
              cent: np.ndarray | None = None) -> list[SummaryItem]:
    """3–7 central sentences chosen across sources (centrality × agreement × lead position, then MMR): a ranked
    selection of the agreements, filled with central single-source sentences when there are too few.

    score(i) = cos(x_i, c) · (1 + s_i) / (1 + 0.1·k_i), where c is the mean of the per-article mean sentence
    vectors (each article weighs the same), s_i the number of other independent sources in the sentence's agreement
    (``groups``: :func:`agreements`' rows; default: connected aligned sentences) and k_i the sentence's position in
    its article. MMR then picks argmax λ·score − (1−λ)·max sim to the picked ones, skipping the other sentences of a
    picked one's agreement (they become ``also_in``: independent sources only). ``excluded`` rows (boilerplate) and
    the sentences of copies/rewrites (``relation``) are never picked.
    """
    refs = al.sentences
    if not refs:
        return []
    relation = relation or {}
    X = al.lexical_vectors
    D = al.dense_vectors
    if cent is None:
        cent = centrality(al)
    if groups is None:
        groups = [g for g in al.groups() if len({refs[i].source for i in g}) > 1]
    group_of: dict[int, int] = {}
    g_sources: list[int] = []
    for g_id, g in enumerate(groups):
        g_sources.append(len({refs[i].source for i in g if relation.get(refs[i].article_id) is None}))
        for i in g:
            group_of[i] = g_id
    usable = [i for i, r in enumerate(refs) if i not in excluded and relation.get(r.article_id) is None]
    cand = [i for i in usable if word_count(refs[i].text) >= settings.min_sentence_words
            and refs[i].text[-1:] not in ("?", ":")]
    if not cand:
        cand = usable
    if not cand:
        return []
    support = {i: (g_sources[group_of[i]] - 1 if i in group_of else 0) for i in cand}
    score = {i: max(float(cent[i]), 0.0) * (1 + support[i]) / (1 + 0.1 * refs[i].index) for i in cand}
    top = max(score.values()) or 1.0
    score = {i: v / top for i, v in score.items()}
    # pick until every agreement has a sentence in the summary, within [summary_min, summary_max]
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
        mates = groups[group_of[best]] if best in group_of else []
        for j in mates:  # the same statement from another article becomes also_in (the article's own stay)
            if j in pos and refs[j].article_id != refs[best].article_id:
                available[pos[j]] = False
        sim = np.asarray((Xc @ X[best].T).todense()).ravel()
        if Dc is not None:
            sim = np.maximum(sim, Dc @ D[best])
        redundancy = np.maximum(redundancy, sim)
    out = []
    for i in picked:
        r = refs[i]
        echoes: dict[str, Echo] = {}
        mates = set(groups[group_of[i]]) if i in group_of else set()
        for j, sc in al.neighbours(i):  # best first: keep the best sentence per other independent article
            o = refs[j]
            if (j in mates and o.article_id != r.article_id and o.article_id not in echoes
                    and relation.get(o.article_id) is None):
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
def unique_content(al: Alignment, settings: StoriesSettings, excluded: set[int] | frozenset[int] = frozenset(),
                   relation: Mapping[str, str] | None = None,
                   conflicts: Sequence[Conflict] = ()) -> tuple[list[UniqueItem], int]:
    """Sentences only one outlet reports, and their total: no sentence of another *independent* source aligns with
    them. Boilerplate (``excluded``) and the text of copies and rewrites (``relation``: their words are their
    origin's) are not unique content; a sentence that only a copy of its own article repeats is.

    At most ``unique_max`` are listed, taken round-robin over the articles (each article's first unaligned sentence,
    then each one's second, …) so that every source's own content shows; listed in article and text order.
    """
    relation = relation or {}
    refs = al.sentences
    if len({r.source for r in refs if relation.get(r.article_id) is None}) < 2:
        return [], 0
    # a sentence giving a value of a figure group (``conflicts``: the same quantity or date in two or more
    # independent reports, whatever the values) reports what another outlet reports too
    in_group = {(v.article_id, v.start) for c in conflicts for v in c.values}
    per: dict[str, list[int]] = {}
    ok = np.array([relation.get(r.article_id) is None and i not in excluded for i, r in enumerate(refs)])
    supported = _other_source_support(al, ok)
    cand = [i for i, r in enumerate(refs) if i not in excluded and relation.get(r.article_id) is None
            and word_count(r.text) >= settings.min_sentence_words and not supported[i]
            and (r.article_id, r.sentence.start) not in in_group]
    if cand and settings.unique_max_similarity < 1.0 and al.lexical_vectors is not None:
        # below the alignment threshold too: a re-worded sentence of another independent source is no unique content
        X = al.lexical_vectors
        S = np.asarray((X[cand] @ X.T).todense())
        src = np.array([r.source for r in refs])
        other = (src[None, :] != src[cand][:, None]) & ok[None, :]
        best = np.where(other, S, 0.0).max(axis=1)
        cand = [i for i, b in zip(cand, best.tolist()) if b < settings.unique_max_similarity]
    if cand and settings.unique_shared_figure and al.lexical_vectors is not None:
        # a figure another independent source gives too (compatible value, in a sentence on the same subject:
        # cosine ≥ unique_shared_figure) is not something only one outlet reports
        X = al.lexical_vectors
        S = np.asarray((X[cand] @ X.T).todense())
        src = np.array([r.source for r in refs])
        keep = []
        for k, i in enumerate(cand):
            mine = [n for n in claim_of(refs[i].text).numbers if n.value >= 10 or n.noun]
            near = np.nonzero((S[k] >= settings.unique_shared_figure) & (src != src[i]) & ok)[0]
            if mine and any(compatible(n, m) and (n.value >= 10 or n.noun == m.noun)
                            for j in near.tolist() for m in claim_of(refs[j].text).numbers for n in mine):
                continue
            keep.append(i)
        cand = keep
    if cand and settings.unique_max_char_similarity < 1.0:
        # a re-worded sentence of another independent source that word stems miss ("will be diverted via the
        # Castlegate Bridge" / "the official diversion, via the Castlegate Bridge"; "broke in through a roof
        # skylight" / "entered through a skylight"): character n-gram TF-IDF over the view's sentences
        C = char_tfidf([r.text for r in refs])
        S = np.asarray((C[cand] @ C.T).todense())
        src = np.array([r.source for r in refs])
        other = (src[None, :] != src[cand][:, None]) & ok[None, :]
        best = np.where(other, S, 0.0).max(axis=1)
        cand = [i for i, b in zip(cand, best.tolist()) if b < settings.unique_max_char_similarity]
    for i in cand:
        per.setdefault(refs[i].article_id, []).append(i)
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


def _binary(al: Alignment) -> Any:
    A = al.adjacency.tocsr().astype(np.float32, copy=True)
    A.data[:] = 1.0
    return A


def _aligned_with(al: Alignment, cols: np.ndarray) -> np.ndarray:
    """Per sentence: whether it is aligned with a sentence where ``cols`` is True."""
    if not len(al.sentences):
        return np.zeros(0, dtype=bool)
    return np.asarray(_binary(al) @ cols.astype(np.float32)).ravel() > 0


def _other_source_support(al: Alignment, cols: np.ndarray) -> np.ndarray:
    """Per sentence: whether a sentence of *another source* where ``cols`` is True is aligned with it."""
    n = len(al.sentences)
    if n == 0:
        return np.zeros(0, dtype=bool)
    codes: dict[str, int] = {}
    src = np.array([codes.setdefault(r.source, len(codes)) for r in al.sentences])
    onehot = sparse.csr_matrix((cols.astype(np.float32), (np.arange(n), src)), shape=(n, len(codes)))
    per_source = (_binary(al) @ onehot).tocsr()
    per_source.data = (per_source.data > 0).astype(np.float32)
    total = np.asarray(per_source.sum(axis=1)).ravel()
    own = np.asarray(per_source[np.arange(n), src]).ravel()
    return (total - own) > 0


# -- agreements -------------------------------------------------------------------------------------------------
def agreements(al: Alignment, settings: StoriesSettings, groups: Sequence[Sequence[int]],
               relation: Mapping[str, str], cent: np.ndarray) -> list[Agreement]:
    """The agreements of ``groups`` (:func:`storyline.stories.claims.agreement_groups`): each lists its sentences,
    the most central independent one first, then by article and position; ranked by independent sources, then
    centrality."""
    refs = al.sentences
    out = []
    for g in groups:
        indep = [i for i in g if relation.get(refs[i].article_id) is None]
        head = max(indep, key=lambda i: (float(cent[i]), -i))
        items = tuple(AgreementItem(refs[i].article_id, refs[i].source, refs[i].text, refs[i].start, refs[i].end,
                                    relation.get(refs[i].article_id, "independent"))
                      for i in [head] + [i for i in g if i != head])
        out.append(Agreement(items, round(float(cent[head]), 4)))
    out.sort(key=lambda a: (-len(a.sources), -a.score, a.items[0].article_id, a.items[0].start))
    return out


# -- latest ---------------------------------------------------------------------------------------------------------
def latest(articles: Sequence[Article], al: Alignment, settings: StoriesSettings, excluded: set[int] | frozenset[int],
           relation: Mapping[str, str], conflicts: Sequence[Conflict]) -> Latest | None:
    """What the newest reports add: the independent reports dated within ``latest_window_hours`` of the newest
    one and later than the first report; the outlets that first appear with them; their sentences that no
    earlier-dated article agrees with (no aligned sentence, or only ones whose figures, negation, days, speaker or
    state differ: "the toll has risen to four" is new after "three were killed"; boilerplate left out); and the
    figure updates whose newest value is theirs. ``None`` when fewer than two independent reports are dated."""
    from datetime import timedelta

    dated = sorted((a for a in articles if a.date is not None and relation.get(a.id) is None),
                   key=lambda a: (a.date, a.id))  # type: ignore[arg-type,return-value]
    if len(dated) < 2:
        return None
    newest = dated[-1].date
    window = newest - timedelta(hours=settings.latest_window_hours)  # type: ignore[operator]
    recent = [a for a in dated if a.date > dated[0].date and a.date >= window]  # type: ignore[operator]
    if not recent:
        return None
    recent_ids = {a.id for a in recent}
    earlier = [a for a in dated if a.id not in recent_ids]
    since = earlier[-1].date if earlier else None
    earlier_ids = {a.id for a in earlier} | {a.id for a in articles if a.date is not None and a.id not in recent_ids
                                            and a.date < recent[0].date}  # type: ignore[operator]
    known_sources = {a.source for a in articles if a.id in earlier_ids}
    new_sources = tuple(dict.fromkeys(a.source for a in recent if a.source not in known_sources))
    date_of = {a.id: a.date for a in recent}
    statements = []
    refs = al.sentences
    earlier = np.array([r.article_id in earlier_ids for r in refs], dtype=bool)
    seen_before = _aligned_with(al, earlier)
    A = al.adjacency.tocsr()
    claims = [claim_of(r.text) for r in refs]
    codes: dict[int, int] = {}
    code = np.array([codes.setdefault(id(c), len(codes)) for c in claims], dtype=np.int64)
    first_row = {codes[id(c)]: i for i, c in reversed(list(enumerate(claims)))}  # one sentence per distinct claim
    agreed: dict[tuple[int, int], bool] = {}

    def agree(ci: Any, c: int) -> bool:
        key = (id(ci), c)
        hit = agreed.get(key)
        if hit is None:
            hit = agreed[key] = conflict(ci, claims[first_row[c]]) is None
        return hit

    for i, r in enumerate(refs):
        if r.article_id not in recent_ids or i in excluded or word_count(r.text) < settings.min_sentence_words:
            continue
        if seen_before[i]:
            cols = A.indices[A.indptr[i]:A.indptr[i + 1]]
            ci = claims[i]
            if any(agree(ci, c) for c in np.unique(code[cols[earlier[cols]]]).tolist()):
                continue  # an earlier report already says it (a changed figure or a denial is new)
        statements.append(LatestItem(r.article_id, r.source, r.text, r.start, r.end, date_of[r.article_id]))
    updates = tuple(c for c in conflicts if getattr(c, "kind", None) == "update"
                    and c.values and c.values[-1].article_id in recent_ids)
    refs_out = tuple(ArticleRef(a.id, a.source, a.title, a.date, a.byline, a.title_derived, a.lang, a.url)
                     for a in recent)
    return Latest(since, newest, refs_out, new_sources, tuple(statements[:settings.latest_max]), updates)


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
    # each article of an unknown outlet is a source of its own here, never merged with another (docs/outlets.md)
    unknown_extra = unknown_outlets_beyond_one(articles, copies)
    articles = distinct_unknown_outlets(articles)
    get, put = (entity_cache.get, entity_cache.put) if entity_cache is not None else (None, None)
    entity_job = EntityJob(articles, method=s.entities, model=s.spacy_model, cache_get=get, cache_put=put)
    al = align_sentences(articles, encoder=encoder, settings=s)
    used = added = 0
    if stored_alignments:
        al, used, added = merge_stored_alignments(al, stored_alignments)
    by_article: dict[str, list] = {}
    for r in al.sentences:
        by_article.setdefault(r.article_id, []).append(r.sentence)
    headline, head_id = choose_headline(articles, copies, s)
    relation = _relations(copies)
    boiler = boilerplate_rows(al)
    cent = centrality(al) if al.sentences else np.zeros(0)
    floor = s.agreement_min_similarity if al.dense_vectors is None else s.agreement_min_similarity_dense
    groups = agreement_groups(al, relation, boiler, floor=floor,
                              linkage=s.agreement_linkage, min_shared=s.agreement_min_shared,
                              strong=s.agreement_strong_similarity, candidates=s.agreement_candidates,
                              one_sided=s.agreement_one_sided_shared, link_shared=s.agreement_link_shared,
                              same_figure=s.agreement_same_figure, word_sim=s.agreement_word_similarity,
                              soft_links=s.agreement_soft_links, soft_floor=s.align_lexical_threshold)
    quotes = group_by_speaker(carry_copies(resolve_speakers(
        [q for a in articles for q in extract_quotes(a, by_article.get(a.id, []))], articles), copies))
    figures = [f for a in articles for f in extract_figures(a, by_article.get(a.id, []))]
    conflicts = find_conflicts(figures, {a.id: a.text for a in articles}, dates={a.id: a.date for a in articles},
                               copies=copies, include_agree=True)
    entities, ent_method = entity_job.result()
    unique, unique_total = unique_content(al, s, boiler, relation, conflicts)
    agreed = agreements(al, s, groups, relation, cent)
    newest = latest(articles, al, s, boiler, relation, conflicts)
    srcs = sources(articles, copies)
    prov = _provenance(provenance, articles)
    if provenance is not None:
        independent = int(provenance["independent_sources"]) + unknown_extra
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
        summary=tuple(summarize(al, s, groups, boiler, relation, cent)),
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
            "agreements": "aligned sentences of independent sources with no differing figure, negation, day, "
                          "speaker or state (storyline.stories.claims)",
            "boilerplate": "patterns and repeated outlet footers (storyline.stories.boilerplate)",
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
            "agreements": len(agreed),
            "boilerplate": len(boiler),
        },
        copies=tuple(dict(c) for c in copies),
        provenance=prov,
        independent_sources=independent,
        agreements=tuple(agreed),
        latest=newest,
        boilerplate=tuple(UniqueItem(al.sentences[i].article_id, al.sentences[i].source, al.sentences[i].text,
                                     al.sentences[i].start, al.sentences[i].end) for i in sorted(boiler)),
    )


class StoreEntityCache:
    """Per-article NER results kept in the ``article_entities`` table (migration 0300)."""

    def __init__(self, store: Any):
        self.store = store

    def get(self, article_id: str, method: str):
        stored = self.store.article_entities(article_id, method)
        return loads_raw(stored) if stored is not None else None

    def put(self, article_id: str, method: str, raw) -> None:
        self.store.put_article_entities(article_id, method, dumps_raw(raw))


def read_copies(store: Any, article_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The copies stage's copy/rewrite rows (``article_id``, ``origin_id``, ``relation``, ``similarity``) of these
    articles; a newer version of an outlet's article is not a copy of its own older version (docs/versions.md)."""
    return [c.as_dict() for c in store.copies_of_articles(list(article_ids))]


def read_stored_alignments(store: Any, article_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The copies stage's stored sentence alignments between these articles (``article_a``, ``article_b``, the two
    spans, ``lexical``, ``dense``)."""
    return [{"article_a": r.article_a, "article_b": r.article_b, "a_start": r.a_start, "a_end": r.a_end,
             "b_start": r.b_start, "b_end": r.b_end, "lexical": r.lexical, "dense": r.dense}
            for r in store.sentence_alignments_among(list(article_ids))]


def read_provenance(store: Any, story_id: str) -> dict[str, Any]:
    """:func:`storyline.copies.provenance_summary` of the story, each origin with its title."""
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
    from .coverage import story_coverage

    return replace(view, coverage=story_coverage(store, articles, settings))
