"""A quote carried by wire copies is listed once; the same words in independent reports are all kept."""

from __future__ import annotations

from datetime import datetime, timezone

from storyline.records import Article
from storyline.settings import Settings
from storyline.stories.view import build_view_from_articles

TEXT = ("Fire crews fought a blaze at the Tollan grain silo overnight, officials said.\n\n"
        "“We kept it from spreading to the other silos,” fire chief Lorenz Adeyemi said.")
SETTINGS = Settings().with_overrides({"stories.entities": "rules"})


def _articles() -> list[Article]:
    d = datetime(2026, 3, 8, tzinfo=timezone.utc)
    return [Article(id=f"a-{i}", title="Tollan silo fire", text=TEXT, source=src, date=d)
            for i, src in enumerate(["Wire", "Daily", "Herald"])]


def _quotes(copies=()):
    view = build_view_from_articles(_articles(), settings=SETTINGS, copies=copies)
    return [(q.article_id, q.speaker) for q in view.quotes if "kept it from spreading" in q.text]


def test_quotes_of_copies_are_listed_once_under_the_first_article():
    copies = [{"article_id": "a-1", "origin_id": "a-0", "relation": "copy", "similarity": 1.0},
              {"article_id": "a-2", "origin_id": "a-0", "relation": "rewrite", "similarity": 0.9}]
    assert _quotes(copies) == [("a-0", "fire chief Lorenz Adeyemi")]


def test_quotes_of_independent_reports_are_all_kept():
    assert [a for a, _ in _quotes()] == ["a-0", "a-1", "a-2"]
