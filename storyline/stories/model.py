"""The story view as a tree of frozen records. ``StoryView.to_dict()`` is the ``show --format json`` payload.

Every extracted item (summary sentence, quote, figure, unique sentence) carries the ``article_id`` and the
``[start, end)`` character span of the article text it was taken from: ``article.text[start:end] == text``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any, Mapping


def plain(value: Any) -> Any:
    """JSON-ready copy: dataclasses → dicts (their ``to_dict`` when they have one), datetimes → ISO strings."""
    if hasattr(value, "to_dict") and is_dataclass(value):
        return value.to_dict()
    if is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class Citation:
    """A span of one article's text."""

    article_id: str
    source: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Echo:
    """Another article's sentence that says the same thing (aligned), with the alignment score."""

    article_id: str
    source: str
    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class SummaryItem:
    text: str
    citation: Citation
    also_in: tuple[Echo, ...]
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citations": [plain(self.citation)],
            "also_in": [plain(e) for e in self.also_in],
            "n_sources": 1 + len({e.source for e in self.also_in} - {self.citation.source}),
            "score": self.score,
        }


@dataclass(frozen=True, slots=True)
class AgreementItem:
    """A sentence stating the claim of an :class:`Agreement`. ``relation``: ``independent`` (its own report),
    ``copy`` or ``rewrite`` (an article the copies stage found to copy or rewrite another: it carries the claim but
    is no support of its own)."""

    article_id: str
    source: str
    text: str
    start: int
    end: int
    relation: str


@dataclass(frozen=True, slots=True)
class Agreement:
    """Sentences of ≥ 2 independent sources that state the same thing (no figure, negation, day, speaker or state
    tells them apart; storyline/stories/claims.py). ``text`` is the most central independent sentence (verbatim)."""

    items: tuple[AgreementItem, ...]
    score: float  # the summary's centrality score of the representative sentence

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.source for i in self.items if i.relation == "independent"))

    def to_dict(self) -> dict[str, Any]:
        head = self.items[0]
        return {"text": head.text, "article_id": head.article_id, "n_sources": len(self.sources),
                "sources": list(self.sources), "items": [plain(i) for i in self.items], "score": self.score}


@dataclass(frozen=True, slots=True)
class LatestItem:
    """A sentence the newest reports add (no sentence of an earlier-dated article agrees with it)."""

    article_id: str
    source: str
    text: str
    start: int
    end: int
    date: datetime | None


@dataclass(frozen=True, slots=True)
class Latest:
    """What the newest reports add: the reports dated within a day of the newest one (after the first report),
    the outlets that joined with them, their new statements, and the figures that changed (``updates``: conflicts of
    kind ``update``). Empty when the story has a single dated report."""

    since: datetime | None  # the newest report before this window
    date: datetime | None  # the newest report
    articles: tuple["ArticleRef", ...] = ()
    new_sources: tuple[str, ...] = ()
    statements: tuple[LatestItem, ...] = ()
    updates: tuple["Conflict", ...] = ()


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """An article of the story as listed in the view (the ``articles`` contract plus a few display fields)."""

    id: str
    source: str
    title: str
    date: datetime | None
    byline: str | None
    title_derived: bool
    lang: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One article in time order. ``role``: ``first`` report, ``update``, or ``undated`` (listed apart, last).

    ``new_sentences`` counts the sentences with no aligned counterpart in any earlier dated article.
    """

    article_id: str
    source: str
    title: str
    date: datetime | None
    role: str
    new_sentences: int
    sentences: int


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """An outlet: how many of its articles are independent reports and how many are copies/rewrites of another."""

    source: str
    articles: int
    independent: int
    copies: int
    article_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProvenanceEntry:
    """An origin (earliest-dated article of a group of copies/rewrites, per the copies stage) and the other outlets
    carrying it: ``carried_by`` counts ``outlets`` other than the origin's own source."""

    origin_id: str
    source: str
    title: str
    carried_by: int
    outlets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Mention:
    article_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Entity:
    """A person, organisation or place with its mention counts per source and its first mention per article."""

    text: str
    label: str  # "person" | "organisation" | "place"
    count: int
    by_source: Mapping[str, int]
    mentions: tuple[Mention, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    """Something a speaker said. ``kind``: ``direct`` (in quotation marks), ``indirect`` (X said that …) or
    ``according_to``. ``text`` is the verbatim span ``[start, end)``; the sentence span gives the context."""

    text: str
    speaker: str | None
    article_id: str
    source: str
    start: int
    end: int
    kind: str
    sentence_start: int
    sentence_end: int
    speaker_mention: str | None = None  # the pronoun in the text when ``speaker`` was resolved from it
    # the speaker as the article writes it ("the trust's chief executive", "Anselm") when ``speaker`` is the name the
    # story gives them (``stories.quotes.resolve_speakers``); None when they are the same
    speaker_as_written: str | None = None
    # copies and rewrites (per the copies stage) that carry the same words: listed here, not as quotes of their own;
    # each {"article_id", "source", "start", "end"}
    carriers: tuple[Mapping[str, Any], ...] = ()
    # a quote split by its attribution (“…,” she said, “…”): the span from its first part's start to its last part's
    # end, the same on every part; None for a quote in one piece
    part_of: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Figure:
    """A number with what it counts. ``text`` is the verbatim figure phrase (e.g. ``105 US citizens``)."""

    text: str
    value: float | None  # the number (None for vague quantities like "dozens")
    approx: bool  # "about 100", "dozens", "tens of thousands"
    unit: str  # "count" | "money" | "percent" | "date" | "time" | "duration" | "measure" | "number"
    counts: str  # the noun it counts, as written ("US citizens", "people", "dollars"); "" when none
    category: str  # what kind of thing is counted ("people", "money", "percent", …)
    article_id: str
    source: str
    start: int
    end: int
    sentence: str
    sentence_start: int
    sentence_end: int
    low: float | None = None  # a range's bounds ("1,200–1,300 households": 1200, 1300); None for one number
    high: float | None = None


@dataclass(frozen=True, slots=True)
class ConflictValue:
    value: str  # the figure phrase
    number: float | None
    text: str  # the sentence it is in
    article_id: str
    source: str
    start: int  # sentence span
    end: int
    value_start: int  # figure span
    value_end: int
    date: datetime | None = None  # the article's date (an update is read in date order)
    # copies and rewrites of this value's article (per the copies stage) that carry the same figure: listed here,
    # never as values of their own; each {"article_id", "source", "value", "value_start", "value_end"}
    carried_by: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Conflict:
    """A group of figures about one quantity, from two or more independent reports, side by side.

    ``kind``: ``agree`` (the values are equal or compatible: "nearly 40" and 37, a number inside a range),
    ``dispute`` (different values for the same thing at the same time) or ``update`` (the value changes as the reports
    go on; ``values`` are then in date order, a progression)."""

    about: str
    category: str
    values: tuple[ConflictValue, ...]
    kind: str = "dispute"


@dataclass(frozen=True, slots=True)
class UniqueItem:
    """A sentence only one source reports (no aligned sentence in any other source's article)."""

    article_id: str
    source: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Title:
    article_id: str
    source: str
    title: str
    derived: bool


@dataclass(frozen=True, slots=True)
class StoryView:
    id: str
    headline: str
    headline_article_id: str | None
    articles: tuple[ArticleRef, ...]
    titles: tuple[Title, ...]
    summary: tuple[SummaryItem, ...]
    timeline: tuple[TimelineEntry, ...]
    sources: tuple[SourceEntry, ...]
    entities: tuple[Entity, ...]
    quotes: tuple[Quote, ...]
    figures: tuple[Figure, ...]
    conflicts: tuple[Conflict, ...]
    unique: tuple[UniqueItem, ...]
    methods: Mapping[str, str]  # which similarity / entity extractor / copy information was used
    counts: Mapping[str, int]  # totals, incl. what lists were capped ("unique_total" vs len(unique))
    copies: tuple[Mapping[str, Any], ...] = ()  # rows of the copies table for this story, when it exists
    provenance: tuple[ProvenanceEntry, ...] = ()  # origins and the outlets carrying them (copies stage)
    independent_sources: int | None = None  # outlets with an independent report; None: every outlet with one
    coverage: Mapping[str, Any] | None = None  # by outlet attribute, and who missed it (storyline/stories/coverage.py)
    agreements: tuple[Agreement, ...] = ()  # every claim ≥ 2 independent sources state; the summary is a selection
    latest: Latest | None = None  # what the newest reports add
    boilerplate: tuple[UniqueItem, ...] = ()  # sentences recognised as boilerplate (kept out of the content)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: plain(getattr(self, f.name)) for f in fields(self)}
        d["n_articles"] = len(self.articles)
        d["independent_sources"] = self.n_independent_sources
        return d

    @property
    def n_independent_sources(self) -> int:
        """Corroboration counts independent reports, not copies: outlets with at least one independent article."""
        if self.independent_sources is not None:
            return self.independent_sources
        return sum(1 for s in self.sources if s.independent)
