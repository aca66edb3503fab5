"""HTML pages (a file or a fetched URL) → one RawItem each, with the raw HTML kept compressed.

Main text, title, date, author and site come from trafilatura (``bare_extraction``); whatever it leaves empty is
filled from ``og:``/``article:``/``<meta>`` tags, ``<link rel=canonical>`` and ``<html lang>``. When the tags
give a full timestamp on the day trafilatura found, the timestamp is kept (trafilatura returns only the day).
Paragraphs become blank-line separated; a first line repeating the title (the page's ``<h1>``) is dropped.

The raw bytes go to :class:`PageArchive` (table ``raw_pages``, zlib-compressed, keyed by the SHA-256 of the bytes)
and the item's ``extra["raw_page"]`` names the key, so :func:`reextract` can redo the extraction later.
"""

from __future__ import annotations

import hashlib
import warnings
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import NotFound, NotInstalled
from ..records import Origin, RawItem, RawPage, Rejected
from .session import current_session

if TYPE_CHECKING:
    from ..store import Store

META_TITLE = ("og:title", "twitter:title", "dc.title")
META_DATE = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publish-date",
             "dc.date", "dc.date.issued", "date", "sailthru.date", "article:modified_time")
META_AUTHOR = ("author", "article:author", "dc.creator", "byl", "sailthru.author")
META_SITE = ("og:site_name", "application-name", "publisher")
META_URL = ("og:url",)


def _trafilatura():
    try:
        import trafilatura
        from trafilatura.utils import load_html
    except ImportError:
        raise NotInstalled("trafilatura", "fetch") from None
    return trafilatura, load_html


def meta_tags(tree: Any) -> dict[str, str]:
    """``<meta>`` name/property/itemprop → content (first wins), plus ``canonical``, ``lang`` and ``title``."""
    out: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if key and value and key not in out:
            out[key] = value
    for el in tree.iter("link"):
        if (el.get("rel") or "").strip().lower() == "canonical" and el.get("href"):
            out.setdefault("canonical", el.get("href").strip())
    lang = tree.get("lang") or tree.get("xml:lang")
    if lang:
        out["lang"] = lang.strip()
    title = tree.find(".//title")
    if title is not None and title.text_content().strip():
        out["title"] = " ".join(title.text_content().split())
    return out


def _first(meta: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((meta[k] for k in keys if meta.get(k)), None)


def _paragraphs(text: str, title: str | None) -> str:
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    if lines and title and lines[0].casefold() == " ".join(title.split()).casefold():
        lines = lines[1:]
    return "\n\n".join(lines)


def _precise_date(day: str | None, meta_value: str | None) -> str | None:
    """Prefer the tag's full timestamp when it falls on trafilatura's day (or trafilatura found none)."""
    if not meta_value:
        return day
    try:
        stamp = datetime.fromisoformat(meta_value.replace("Z", "+00:00"))
    except ValueError:
        return day or meta_value
    if day is None or stamp.date().isoformat() == day:
        return meta_value
    return day


ARTICLE_TYPES = ("article", "blogposting", "liveblogposting", "report")  # schema.org CreativeWork kinds of a report


def article_page_type(found: dict[str, Any], meta: dict[str, str]) -> str | None:
    """How the page says it is one article (``og:type``/schema.org ``@type`` as trafilatura reads it, or an
    ``article:published_time`` tag), or None: a page that does not say so (a home page, a section front, a list of
    links) is not taken for a headline-only article."""
    for kind in (found.get("pagetype"), meta.get("og:type")):
        k = str(kind or "").strip().lower()
        if k and (k.endswith(ARTICLE_TYPES) or k.startswith("article")):
            return f"page type {k!r}"
    if meta.get("article:published_time"):
        return "article:published_time tag"
    return None


def extract_html(data: bytes, ref: str, url: str | None = None, raw_page: str | None = None,
                 min_chars: int = 150) -> RawItem | Rejected:
    """Extract one article from HTML bytes.

    A page with under ``min_chars`` of main text is a headline-only article (empty text, ``extra["headline_only"]``
    says why) when it has a title and declares itself an article (:func:`article_page_type`); any other such page
    (link lists, section fronts, teaser pages) is Rejected ("no-text")."""
    trafilatura, load_html = _trafilatura()
    tree = load_html(data)
    if tree is None:
        return Rejected(ref, "ingest", "malformed-html", "the HTML could not be parsed into a document")
    meta = meta_tags(tree)
    with warnings.catch_warnings():  # lxml's FutureWarning about element truth-testing inside trafilatura
        warnings.simplefilter("ignore", FutureWarning)
        doc = trafilatura.bare_extraction(tree, url=url, with_metadata=True, include_comments=False,
                                          include_tables=False, favor_precision=True)
    found: dict[str, Any] = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else dict(doc or {})
    title = found.get("title") or _first(meta, META_TITLE) or meta.get("title")
    title = " ".join(str(title).split()) if title else None
    text = _paragraphs(found.get("text") or "", title)
    extra: dict[str, Any] = {"extracted_by": "trafilatura"}
    if len(text) < max(1, min_chars):
        kind = article_page_type(found, meta)
        if not title or kind is None:
            return Rejected(ref, "ingest", "no-text",
                            f"{len(text)} characters of main text found in the HTML, under fetch.min_page_chars="
                            f"{min_chars}, and the page "
                            + ("has no title" if not title else
                               "does not declare itself an article (og:type, schema.org @type or "
                               "article:published_time)")
                            + " (a page of links, a paywall or a script-only page?)")
        # a headline-only article: an article page (paywalled, a video or photo page, a stub) whose body did not
        # extract; the few characters that did (a teaser, a "subscribe" line) are not kept as its text
        extra.update(headline_only=f"{kind}; {len(text)} characters of main text under fetch.min_page_chars="
                                   f"{min_chars}")
        text = ""
    date = _precise_date(found.get("date"), _first(meta, META_DATE))
    lang = found.get("language") or meta.get("lang")
    if raw_page:
        extra["raw_page"] = raw_page
    if found.get("description") or meta.get("description"):
        extra["description"] = found.get("description") or meta.get("description")
    return RawItem(
        origin=Origin(ref),
        text=text,
        title=title,
        date=date,
        source=found.get("sitename") or _first(meta, META_SITE),
        url=url or meta.get("canonical") or _first(meta, META_URL) or found.get("url"),
        lang=lang.split("-")[0].split("_")[0].lower() if lang else None,
        byline=found.get("author") or _first(meta, META_AUTHOR),
        format="html",
        extra=extra,
    )


# -- the raw page archive ---------------------------------------------------------------------------------------
class PageArchive:
    """Raw HTML kept zlib-compressed (level ``level``) in the store's raw pages, keyed by the SHA-256 of the bytes
    (identical pages once)."""

    def __init__(self, store: "Store", level: int = 6):
        self.store = store
        self.level = level

    def put(self, body: bytes, ref: str, url: str | None = None, content_type: str | None = None) -> str:
        key = hashlib.sha256(body).hexdigest()[:32]
        self.store.put_raw_page(key, body, ref, url, content_type, level=self.level)
        return key

    def get(self, key: str) -> RawPage:
        page = self.store.get_raw_page(key)
        if page is None:
            raise NotFound(f"no raw page {key!r} in the store; raw HTML is kept only when fetch.keep_raw_html is on")
        return page

    def for_article(self, article_id: str) -> RawPage:
        article = self.store.get_article(article_id)
        key = article.extra.get("raw_page")
        if not key:
            raise NotFound(f"article {article_id!r} was not read from HTML (no raw page kept)")
        return self.get(str(key))

    def count(self) -> int:
        return int(self.store.count_raw_pages())


def reextract(store: "Store", article_id: str, min_chars: int = 150) -> RawItem | Rejected:
    """Run the extraction again on an article's kept raw HTML (e.g. after upgrading trafilatura)."""
    page = PageArchive(store).for_article(article_id)
    return extract_html(page.body, page.ref, page.url, raw_page=page.key, min_chars=min_chars)


def read_html_page(data: bytes, ref: str, url: str | None = None, content_type: str | None = None) -> RawItem | Rejected:
    """Extract a page and, when a web session with an archive is active, keep its raw HTML."""
    from ..settings import FetchSettings

    session = current_session()
    settings = session.settings if session is not None else FetchSettings()
    key = None
    if session is not None and session.archive is not None and settings.keep_raw_html:
        key = session.archive.put(data, ref, url, content_type)
    return extract_html(data, ref, url, raw_page=key, min_chars=settings.min_page_chars)


def read_html_bytes(data: bytes, path: str) -> Iterator[RawItem | Rejected]:
    """The file reader for ``.html``/``.htm``/``.xhtml`` (registered by :mod:`storyline.ingest.web`)."""
    yield read_html_page(data, path)


def sniff_html(head: bytes) -> bool:
    h = head.lstrip().lower()
    return h.startswith((b"<!doctype html", b"<html")) or (h.startswith(b"<!--") and b"<html" in h[:1024])


read_html_bytes.sniff = sniff_html  # type: ignore[attr-defined]
