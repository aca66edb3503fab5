"""The story view on the seeds and on the project's demo corpus: agreed core, conflicts, quotes, unique content,
and faithfulness (every extracted item is a verbatim span of the article it cites)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.ingest.files import read_paths
from storyline.normalize import normalize_all
from storyline.records import Article
from storyline.settings import StoriesSettings
from storyline.stories import build_view, build_view_from_articles
from storyline.stories.render import to_html, to_markdown

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / ".." / "shared" / "seeds"
DEMO = ROOT / "storyline" / "demo" / "corpus"
RULES = StoriesSettings(entities="rules")


def read_articles(path: Path) -> list[Article]:
    return [a for a in normalize_all(read_paths([path])) if isinstance(a, Article)]


@pytest.fixture(scope="module")
def seed_view():
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is absent")
    arts = read_articles(SEEDS)
    assert len(arts) == 2
    return arts, build_view_from_articles(arts, story_id="seeds", settings=RULES)


def _by_prefix(arts: list[Article], prefix: str) -> Article:
    """The seed read from the file whose name starts with ``prefix`` (the file name is the origin, not the outlet)."""
    return next(a for a in arts if Path(a.origin).name.startswith(prefix))


def test_seed_summary_shows_the_agreed_core_with_both_sources(seed_view) -> None:
    arts, view = seed_view
    both = [s for s in view.summary if {s.citation.article_id} | {e.article_id for e in s.also_in} ==
            {a.id for a in arts}]
    agreed = " ".join(s.text + " " + " ".join(e.text for e in s.also_in) for s in both)
    for needle in ("Doha", "Saturday and Sunday", "women and girls", "inclusive government", "humanitarian",
                   "recogni"):
        assert needle in agreed, needle
    assert 3 <= len(view.summary) <= 7


def test_seed_figures_are_grouped_by_what_is_said_of_the_people_counted(seed_view) -> None:
    # "around 100 people remain" is comparable with "dozens of American citizens are still seeking to get out", not
    # with "105 US citizens and 95 green-card holders had left": people who stay vs people who left
    arts, view = seed_view
    a000, a003 = _by_prefix(arts, "000"), _by_prefix(arts, "003")
    groups = [c for c in view.conflicts if (a000.id, "around 100 people") in {(v.article_id, v.value) for v in c.values}]
    assert len(groups) == 1, view.conflicts
    [group] = groups
    values = {(v.article_id, v.value) for v in group.values}
    assert values == {(a000.id, "around 100 people"), (a003.id, "dozens of American citizens")}
    assert group.kind == "agree"  # "dozens" (24–99) and "around 100" (90–110) are compatible
    left = {(v.article_id, v.value) for c in view.conflicts for v in c.values}
    assert (a003.id, "105 US citizens") not in left and (a003.id, "95 green-card holders") not in left
    for c in view.conflicts:
        for v in c.values:
            text = a000.text if v.article_id == a000.id else a003.text
            assert text[v.start:v.end] == v.text and text[v.value_start:v.value_end] == v.value


def test_seed_quotes_are_attributed(seed_view) -> None:
    arts, view = seed_view
    a000, a003 = _by_prefix(arts, "000"), _by_prefix(arts, "003")
    by_text = {q.text[:25]: q for q in view.quotes}
    press = next(q for q in view.quotes if q.text.startswith("We will press the Taliban"))
    assert press.speaker == "spokeswoman" and press.kind == "direct" and press.article_id == a000.id
    assert press.speaker_as_written == "the spokeswoman"
    adamant = next(q for q in view.quotes if q.text.startswith("We remain adamant"))
    assert adamant.speaker == "spokeswoman"
    cont = next(q for q in view.quotes if q.text.startswith("we will also press"))
    assert cont.speaker == "spokeswoman" and cont.speaker_mention == "he"
    price = next(q for q in view.quotes if q.article_id == a003.id and q.text.startswith("105 US citizens"))
    assert "Ned Price" in (price.speaker or "")
    assert by_text


def test_seed_unique_content_per_source(seed_view) -> None:
    arts, view = seed_view
    a000, a003 = _by_prefix(arts, "000"), _by_prefix(arts, "003")
    uniq = {(u.article_id, u.text) for u in view.unique}
    assert any(aid == a003.id and "charter flights" in t and "land borders" in t for aid, t in uniq)
    assert any(aid == a000.id and "Frank McKenzie" in t for aid, t in uniq)
    # agreed statements are never "unique"
    assert not any("humanitarian agencies" in t for _, t in uniq)


def test_seed_timeline_lists_the_undated_article_apart(seed_view) -> None:
    arts, view = seed_view
    roles = [(t.role, t.article_id) for t in view.timeline]
    assert roles == [("first", _by_prefix(arts, "000").id), ("undated", _by_prefix(arts, "003").id)]


def test_seed_headline_and_methods(seed_view) -> None:
    arts, view = seed_view
    assert view.headline == _by_prefix(arts, "000").title  # the derived title of 003 is not preferred
    d = view.to_dict()
    assert d["methods"]["similarity"] == "lexical" and d["methods"]["entities"] == "rules"
    assert {"summary", "timeline", "sources", "entities", "quotes", "figures", "conflicts", "unique"} <= set(d)
    assert d["summary"][0]["citations"][0].keys() >= {"article_id", "start", "end"}
    json.dumps(d)  # JSON-ready
    names = {e.text for e in view.entities}
    assert {"Ned Price", "Frank McKenzie", "Doha"} <= names


def _check_faithful(view, texts: dict[str, str]) -> int:
    n = 0
    for s in view.summary:
        c = s.citation
        assert texts[c.article_id][c.start:c.end] == s.text
        for e in s.also_in:
            assert texts[e.article_id][e.start:e.end] == e.text
        n += 1
    for q in view.quotes:
        assert texts[q.article_id][q.start:q.end] == q.text
        assert q.sentence_start <= q.start < q.end <= q.sentence_end
        n += 1
    for f in view.figures:
        assert texts[f.article_id][f.start:f.end] == f.text
        assert texts[f.article_id][f.sentence_start:f.sentence_end] == f.sentence
        n += 1
    for c in view.conflicts:
        for v in c.values:
            assert texts[v.article_id][v.start:v.end] == v.text
            assert texts[v.article_id][v.value_start:v.value_end] == v.value
            n += 1
    for u in view.unique:
        assert texts[u.article_id][u.start:u.end] == u.text
        n += 1
    for e in view.entities:
        for m in e.mentions:
            assert texts[m.article_id][m.start:m.end] == e.text
    return n


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    if not DEMO.is_dir():
        pytest.skip("the demo corpus is absent")
    from storyline.pipeline import ingest
    from storyline.settings import Settings
    from storyline.store import Store

    store = Store(tmp_path_factory.mktemp("demo") / "demo.db")
    settings = Settings(cluster=Settings().cluster.__class__(profile="lexical"))
    ingest(store, read_paths([DEMO]), settings)
    yield store
    store.close()


@pytest.mark.slow
def test_every_extracted_item_of_every_demo_story_is_a_verbatim_span(demo_store) -> None:
    checked = 0
    stories = demo_store.list_stories()
    assert len(stories) >= 8
    for st in stories:
        view = build_view(demo_store, st.id, settings=RULES)
        texts = {a.id: a.text for a in demo_store.iter_articles(st.id)}
        checked += _check_faithful(view, texts)
        assert view.id == st.id and len(view.articles) == st.n_articles
        assert 1 <= len(view.summary) <= 7
    assert checked > 100


def gold_stories() -> dict[str, list[Article]]:
    """The demo corpus grouped by its gold story labels (independent of the clusterer's quality)."""
    gold = json.loads((DEMO.parent / "gold.json").read_text("utf-8"))
    out: dict[str, list[Article]] = {}
    for a in read_articles(DEMO):
        key = a.external_id or Path(a.origin).name
        if key in gold:
            out.setdefault(gold[key], []).append(a)
    return out


@pytest.mark.slow
def test_demo_gold_stories_are_faithful_and_show_differing_figures_side_by_side() -> None:
    if not DEMO.is_dir():
        pytest.skip("the demo corpus is absent")
    found = []
    checked = 0
    stories = gold_stories()
    assert len(stories) >= 8
    for name, arts in stories.items():
        view = build_view_from_articles(sorted(arts, key=lambda a: (a.date is None, a.date or 0)), story_id=name,
                                        settings=RULES)
        checked += _check_faithful(view, {a.id: a.text for a in arts})
        for c in view.conflicts:
            if len({v.source for v in c.values}) >= 2:
                found.append((name, c.about, sorted({v.value for v in c.values})))
    assert checked > 100
    # the Kelm Valley earthquake: 14 vs 15 dead; the Sarn dam: $2.1 vs $1.9 billion, about 40 vs 37 injured
    flat = " | ".join(str(x) for x in found)
    assert "14 people" in flat and "15 people" in flat, flat
    assert "$2.1 billion" in flat and "$1.9 billion" in flat, flat
    assert "About 40 people" in flat and "Thirty-seven people" in flat, flat


def test_view_needs_no_store_and_renders_escaped_markup() -> None:
    a = Article("a1", "Storm <script>alert(1)</script> hits coast", "The storm hit the coast on Monday, killing "
                "12 people, officials said. <img src=x onerror=alert(1)> was posted.", "Alpha Post", None)
    b = Article("b1", "Coastal storm kills 14", "The storm hit the coast on Monday, killing 14 people, the police "
                "said. Roads were closed for hours.", "Beta News", None)
    view = build_view_from_articles([a, b], story_id="x", settings=RULES)
    html = to_html(view)
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    md = to_markdown(view)
    assert "<script>" not in md
    assert view.conflicts and {v.value for v in view.conflicts[0].values} == {"12 people", "14 people"}
    # "killing 12 people" and "killing 14 people" are similar sentences, not the same claim: no agreement
    assert not view.summary[0].also_in and not view.agreements


def test_copies_table_marks_copies(tmp_path) -> None:
    a = Article("a1", "T", "One two three four five six seven.", "Alpha", None)
    b = Article("b1", "T", "One two three four five six seven.", "Beta", None)
    view = build_view_from_articles([a, b], settings=RULES,
                                    copies=[{"article_id": "b1", "origin_id": "a1", "relation": "copy"}])
    src = {s.source: s for s in view.sources}
    assert src["Alpha"].independent == 1 and src["Beta"].copies == 1 and src["Beta"].independent == 0
    assert view.methods["copies"] == "copies table"


def test_bad_settings_fail_with_the_valid_range() -> None:
    from storyline.errors import ConfigError, StorylineError

    a = Article("a1", "T", "Some text here.", "Alpha", None)
    with pytest.raises(ConfigError, match="summary_min"):
        build_view_from_articles([a], settings=StoriesSettings(summary_min=5, summary_max=2))
    with pytest.raises(StorylineError, match="align_lexical_threshold"):
        build_view_from_articles([a], settings=StoriesSettings(align_lexical_threshold=1.5))
    with pytest.raises(ConfigError, match="entities"):
        build_view_from_articles([a], settings=StoriesSettings(entities="magic"))
