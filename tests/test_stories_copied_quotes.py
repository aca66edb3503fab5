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


def _view(copies=()):
    return build_view_from_articles(_articles(), settings=SETTINGS, copies=copies)


def _quotes(copies=()):
    return [(q.article_id, q.speaker) for q in _view(copies).quotes if "kept it from spreading" in q.text]


def test_quotes_of_copies_are_listed_once_under_the_first_article_with_their_carriers():
    copies = [{"article_id": "a-1", "origin_id": "a-0", "relation": "copy", "similarity": 1.0},
              {"article_id": "a-2", "origin_id": "a-0", "relation": "rewrite", "similarity": 0.9}]
    [q] = [q for q in _view(copies).quotes if "kept it from spreading" in q.text]
    assert (q.article_id, q.speaker, q.speaker_as_written) == ("a-0", "Lorenz Adeyemi", "fire chief Lorenz Adeyemi")
    assert [(c["article_id"], c["source"]) for c in q.carriers] == [("a-1", "Daily"), ("a-2", "Herald")]
    assert all(TEXT[c["start"]:c["end"]] == q.text for c in q.carriers)


def test_quotes_of_independent_reports_are_all_kept():
    assert [a for a, _ in _quotes()] == ["a-0", "a-1", "a-2"]
