"""The headline and the ``latest`` section on the annotated stories (../shared/data/storyview-dev; skipped without
it): a story whose later reports carry new facts takes a later independent report's title, and ``latest`` lists
what the newest reports add, with dates. Gold labels are read only to pick the stories; they never reach the views."""

from __future__ import annotations

import pytest

from storyline.eval.view import ingested
from storyline.settings import Settings
from storyline.stories import build_view

from .conftest import DATA

DEV = DATA / "storyview-dev"
pytestmark = pytest.mark.skipif(not (DEV / "gold.json").is_file(), reason=f"{DEV} is not present")


@pytest.fixture(scope="module")
def dev_views():
    settings = Settings().with_overrides({"stories.entities": "rules"})
    with ingested(DEV, settings) as (store, ext, story_of, gold):
        sids = [r[0] for r in store.query("SELECT DISTINCT story_id FROM memberships")]
        views = [build_view(store, sid, settings=settings) for sid in sids]
        texts = {a.id: store.get_article(a.id).text for v in views for a in v.articles}
        yield views, ext, story_of, gold, texts


def test_the_headline_follows_stories_whose_later_reports_carry_updates(dev_views) -> None:
    views, ext, story_of, gold, texts = dev_views
    updated = {g["story"] for g in gold if any(f["kind"] == "update" for f in g["figures"])}
    checked = 0
    for v in views:
        copies = {c["article_id"] for c in v.copies if c.get("relation") in ("copy", "rewrite")}
        # the independent reports: a copy neither gives the headline nor dates what is latest
        dated = sorted((a for a in v.articles if a.date is not None and a.id not in copies), key=lambda a: a.date)
        stories = {story_of[ext[a.id]] for a in v.articles}
        if len(dated) < 3 or not stories & updated:
            continue
        checked += 1
        head = next(a for a in v.articles if a.id == v.headline_article_id)
        assert head.title == v.headline and head.id not in copies
        assert head.date > dated[0].date, (v.headline, dated[0].title)  # moved on from the first report's title
        # latest: the newest reports, dated, what they add cited verbatim
        assert v.latest is not None and v.latest.date == dated[-1].date
        assert all(x.date is not None and x.date > dated[0].date for x in v.latest.statements)
        assert v.latest.statements and all(texts[x.article_id][x.start:x.end] == x.text
                                           for x in v.latest.statements)
    assert checked >= 6


def test_latest_updates_are_dated_progressions(dev_views) -> None:
    views, *_ = dev_views
    shown = [c for v in views if v.latest is not None for c in v.latest.updates]
    assert shown
    for c in shown:
        assert c.kind == "update"
        dates = [x.date for x in c.values]
        assert None not in dates and dates == sorted(dates), (c.about, dates)
