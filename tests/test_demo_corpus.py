"""The bundled demo corpus (storyline/demo/corpus) is well-formed and still has the properties it was built for.

The demo (`make run`), the clustering/copies/story-view tests and the web UI tests all lean on this corpus, so an
edit that drops an article, breaks a file shape or removes one of the built-in test situations must fail here.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import datetime

import pytest

from storyline.ingest import looks_like_byline, parse_text, read_paths
from storyline.normalize import normalize
from storyline.records import Article, Origin, RawItem

from .conftest import DEMO_CORPUS

FIELDS = {"id", "date", "source", "title", "text", "url"}  # the gold story is in gold.json only: no label rides along
DATE_LINE = re.compile(r"^\s*date (\d{4}-\d{2}-\d{2}) (\S.*)$")
DESK_TAG = re.compile(r"^[a-z]{2,4}(?:/[a-z]{2,4})+(?: \([^()]+\))?$")
HTML = re.compile(r"</?[A-Za-z][^>]*>|&[a-z]+;|&#\d+;")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def load_jsonl() -> list[dict]:
    rows = []
    with open(DEMO_CORPUS / "articles.jsonl", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                pytest.fail(f"articles.jsonl:{lineno} is blank; the file holds one JSON object per line")
            rows.append(json.loads(line))
    return rows


def with_gold(rows: list[dict]) -> list[dict]:
    """The rows with their gold story (from gold.json) under ``cluster``, for the tests that check the situations."""
    g = gold()
    return [{**r, "cluster": g[r["id"]]} for r in rows]


def txt_files() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((DEMO_CORPUS / "wire").glob("*.txt"))}


def txt_shape(raw: str) -> tuple[str | None, str | None, str]:
    """(date, tag, body) of a wire file: the dated shape has a date line and a desk tag, the bare shape neither."""
    paras = raw.strip("\n").split("\n\n")
    m = DATE_LINE.match(paras[0])
    if m and "\n" not in paras[0] and DESK_TAG.match(paras[-1]):
        return m.group(1), paras[-1], "\n\n".join(paras[1:-1])
    return None, None, "\n\n".join(paras)


def gold() -> dict[str, str]:
    return json.loads((DEMO_CORPUS.parent / "gold.json").read_text(encoding="utf-8"))


def words(text: str) -> int:
    return len(text.split())


@pytest.fixture(scope="module")
def raw_rows():
    return load_jsonl()


@pytest.fixture(scope="module")
def rows(raw_rows):
    return with_gold(raw_rows)


@pytest.fixture(scope="module")
def by_cluster(rows):
    """Every article of the corpus (JSONL rows and wire files) grouped by gold story."""
    groups: dict[str, list[str]] = defaultdict(list)
    for key, cluster in gold().items():
        groups[cluster].append(key)
    return groups


def test_jsonl_rows_are_well_formed(raw_rows, rows):
    ids = [r.get("id") for r in rows]
    assert all(set(r) == FIELDS for r in raw_rows), "a row carries fields beyond " + str(sorted(FIELDS))
    assert len(ids) == len(set(ids)), f"duplicate ids: {[i for i, n in Counter(ids).items() if n > 1]}"
    for r in rows:
        assert set(r) == FIELDS | {"cluster"}, f"{r.get('id')}: fields {sorted(r)}"
        for k in FIELDS:
            assert isinstance(r[k], str) and r[k].strip() == r[k] and r[k], f"{r['id']}: field {k!r} empty/padded"
        assert SLUG.match(r["cluster"]), f"{r['id']}: cluster {r['cluster']!r} is not a slug"
        when = datetime.fromisoformat(r["date"])
        assert when.tzinfo is not None, f"{r['id']}: date {r['date']!r} has no timezone offset"
        assert re.match(r"^https://[a-z0-9.-]+\.test/\S+$", r["url"]), f"{r['id']}: url {r['url']!r} is not fictional"
        assert "\n" not in r["title"] and not HTML.search(r["title"]), f"{r['id']}: bad title"


def test_every_body_is_plain_multi_paragraph_prose_of_the_right_length(rows):
    bodies = {r["id"]: r["text"] for r in rows}
    bodies.update({name: txt_shape(raw)[2] for name, raw in txt_files().items()})
    for key, text in bodies.items():
        paras = text.split("\n\n")
        assert len(paras) >= 3, f"{key}: {len(paras)} paragraphs, expected several separated by blank lines"
        assert all(p.strip() == p and p and "\n" not in p for p in paras), f"{key}: empty or broken paragraph"
        assert 120 <= words(text) <= 400, f"{key}: {words(text)} words, expected 120-400"
        assert not HTML.search(text), f"{key}: contains markup: {HTML.search(text).group(0)!r}"


def test_urls_are_unique_and_each_outlet_keeps_one_domain(rows):
    assert len({r["url"] for r in rows}) == len(rows)
    domains = defaultdict(set)
    for r in rows:
        domains[r["source"]].add(r["url"].split("/")[2])
    assert all(len(d) == 1 for d in domains.values()), dict(domains)
    assert len({next(iter(d)) for d in domains.values()}) == len(domains), "two outlets share a domain"


def test_wire_files_have_one_of_the_two_seed_shapes_and_parse_as_such():
    files = txt_files()
    assert 4 <= len(files) <= 6, f"{len(files)} wire files, expected 4-6"
    shapes = Counter()
    for name, raw in files.items():
        date, tag, body = txt_shape(raw)
        item = parse_text(raw, Origin(name))
        if date is None:
            # bare body: no date line anywhere at the top, and no trailing desk tag
            first, last = raw.strip().split("\n\n")[0], raw.strip().split("\n\n")[-1]
            assert not DATE_LINE.match(first.split("\n")[0]), f"{name}: half a dated file (date line but no tag)"
            assert not looks_like_byline(last), f"{name}: half a dated file (tag but no date line)"
            assert item.date is None and item.title is None and item.byline is None, name
            shapes["bare"] += 1
        else:
            datetime.strptime(date, "%Y-%m-%d")
            assert (item.date, item.byline) == (date, tag), f"{name}: the text reader reads {item.date}, {item.byline}"
            assert item.text == body, f"{name}: the text reader's body differs from the file's body"
            shapes["dated"] += 1
    assert shapes["dated"] >= 2 and shapes["bare"] >= 1, dict(shapes)


def test_gold_covers_exactly_the_corpus(rows):
    g = gold()
    keys = {r["id"] for r in rows} | set(txt_files())
    assert set(g) == keys, f"missing from gold: {sorted(keys - set(g))}; unknown in gold: {sorted(set(g) - keys)}"


def test_corpus_counts(rows, by_cluster):
    g = gold()
    days = {r["date"][:10] for r in rows} | {d for d, _, _ in map(txt_shape, txt_files().values()) if d}
    sizes = {c: len(keys) for c, keys in by_cluster.items()}
    assert len(g) >= 48, f"{len(g)} articles"
    assert len(by_cluster) >= 9, f"{len(by_cluster)} stories"
    assert len({r["source"] for r in rows}) >= 10, "fewer than 10 outlets"
    assert len(days) >= 6, f"articles spread over only {sorted(days)}"
    assert 2 <= sum(1 for n in sizes.values() if n == 1) <= 3, f"one-article stories: {sizes}"
    jsonl_clusters = {r["cluster"] for r in rows}
    for name in txt_files():
        assert g[name] in jsonl_clusters and sizes[g[name]] >= 3, f"{name}: its story has no JSONL articles"
    undated = [n for n, raw in txt_files().items() if txt_shape(raw)[0] is None]
    assert any(sizes[g[n]] >= 3 for n in undated), "no undated article in a multi-article story"


@pytest.mark.parametrize("a, b", [("harbor-strike", "rail-strike"), ("kelm-valley-quake", "coastal-quake")])
def test_look_alike_story_pairs_are_present(by_cluster, a, b):
    assert len(by_cluster[a]) >= 3 and len(by_cluster[b]) >= 3, {a: by_cluster[a], b: by_cluster[b]}


def test_a_wire_story_is_republished_nearly_verbatim_by_three_outlets_later(rows):
    wire = [r for r in rows if r["source"] == "Meridian Press"]
    best = 0
    for orig in wire:
        paras = orig["text"].split("\n\n")
        copies = {r["source"] for r in rows
                  if r["source"] != orig["source"]
                  and datetime.fromisoformat(r["date"]) > datetime.fromisoformat(orig["date"])
                  and sum(p in r["text"].split("\n\n") for p in paras) >= 3}
        best = max(best, len(copies))
        if len(copies) >= 3:
            # near-verbatim, not identical: every copy carries some edit
            assert all(r["text"] != orig["text"] for r in rows if r["source"] in copies and r["cluster"] == orig["cluster"])
    assert best >= 3, f"the best wire story has {best} verbatim republications"


# rewrite desk pairs (original id, rewrite id): same facts in the same order, fresh wording
REWRITES = [("demo-011", "demo-014"), ("demo-032", "demo-033")]


@pytest.mark.parametrize("orig_id, rewrite_id", REWRITES)
def test_rewrites_follow_their_original_paragraph_by_paragraph(rows, orig_id, rewrite_id):
    by_id = {r["id"]: r for r in rows}
    orig, new = by_id[orig_id], by_id[rewrite_id]
    assert orig["cluster"] == new["cluster"] and orig["source"] != new["source"]
    assert datetime.fromisoformat(new["date"]) > datetime.fromisoformat(orig["date"])
    po, pn = orig["text"].split("\n\n"), new["text"].split("\n\n")
    assert len(po) == len(pn), f"{rewrite_id}: {len(pn)} paragraphs vs {len(po)} in {orig_id}"
    for i, (a, b) in enumerate(zip(po, pn)):
        assert a != b, f"{rewrite_id} paragraph {i + 1} is a verbatim copy"
    # same order: each paragraph shares more vocabulary with the paragraph it rewrites than with any other
    def vocab(p):
        return {w for w in re.findall(r"\w+", p.lower()) if len(w) > 3}
    for i, a in enumerate(po):
        overlaps = [len(vocab(a) & vocab(b)) / len(vocab(a) | vocab(b)) for b in pn]
        assert max(range(len(pn)), key=overlaps.__getitem__) == i, f"{rewrite_id} paragraph order differs: {overlaps}"
        assert overlaps[i] < 0.8, f"{rewrite_id} paragraph {i + 1} is barely reworded"


def test_story_view_story_has_conflicting_figures_and_varied_quotes(rows, by_cluster):
    texts = [r["text"] for r in rows if r["cluster"] == "sarn-water-talks"]
    assert len(by_cluster["sarn-water-talks"]) >= 6
    # the same quantity reported differently by different outlets
    for variants in (["$2.1 billion", "$1.9 billion"], ["About 40 people", "Thirty-seven people"],
                     ["400 cubic metres", "420 cubic meters"], ["over three years", "four-year timetable"]):
        holders = [[v in t for v in variants] for t in texts]
        assert all(any(h[i] for h in holders) for i in range(len(variants))), f"missing variant of {variants}"
        assert not any(all(h) for h in holders), f"one article carries every variant of {variants}"
    joined = "\n".join(texts)
    for shape in (r"[”\"],? (?:Valcourt|Haldane) (?:said|told)", r"said (?:Foreign )?Minister [A-Z]\w+ [A-Z]\w+",
                  r"[Aa]ccording to the \w+", r"(?:Valcourt|Haldane) said [“\"]", r"[”\"],? the spokeswoman"):
        assert re.search(shape, joined), f"no attributed quote of the shape {shape!r}"
    # content only one outlet has
    for unique in ("charter flight", "Halvik"):
        assert sum(unique in t for t in texts) == 1, f"{unique!r} should be unique to one source"


def test_non_english_articles_belong_to_multi_article_stories(rows, by_cluster):
    markers = {"de": {"und", "der", "die", "das", "nicht", "sich"}, "es": {"el", "la", "los", "que", "del", "las"},
               "en": {"the", "and", "of", "to", "was", "that"}}
    langs = {}
    for r in rows:
        toks = Counter(re.findall(r"[a-záéíóúñäöüß]+", r["text"].lower()))
        score = {lang: sum(toks[w] for w in ws) for lang, ws in markers.items()}
        langs[r["id"]] = max(score, key=score.get)
    found = {lang for i, lang in langs.items() if lang != "en" and len(by_cluster[gold()[i]]) >= 3}
    assert {"de", "es"} <= found, Counter(langs.values())


def test_the_readers_and_normalize_accept_the_whole_corpus():
    items = list(read_paths([DEMO_CORPUS / "articles.jsonl", DEMO_CORPUS / "wire"]))
    bad = [i for i in items if not isinstance(i, RawItem)]
    assert not bad, bad
    assert len(items) == len(gold())
    articles = [normalize(i) for i in items]
    rejected = [a for a in articles if not isinstance(a, Article)]
    assert not rejected, rejected
    assert sum(a.date is None for a in articles) == sum(txt_shape(raw)[0] is None for raw in txt_files().values())
