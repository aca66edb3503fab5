"""RSS/Atom feeds (a file or a fetched URL) → one RawItem per entry.

XML safety: feedparser uses its own parsers, so every feed is screened first, within a byte limit
(``fetch.max_body_bytes``): any ``<!ENTITY`` declaration is refused before parsing (billion laughs, quadratic
blowup, external entities), then the bytes are parsed once with defusedxml (entities and external references
forbidden) to prove they are well-formed XML. Only then does feedparser see them, from memory (never a path or a
URL). A feed that fails any step is one Rejected row with the reason; entries are never partially trusted.

Each entry becomes an article: its ``content`` (HTML turned into paragraphs), else its summary. When the entry has
only a summary and a link and ``fetch.fetch_linked`` is on (and a web session with a fetcher is active), the linked
page is fetched and extracted (:mod:`storyline.ingest.html`); if that fails the summary is kept and the failure is
noted in ``extra["linked_page_error"]``. Entry titles, dates, authors and ids fill what the page lacks.
The outlet is the entry's ``<source>``, else the page's site name, else the feed's title.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import NotInstalled
from ..records import Origin, RawItem, Rejected, content_id
from .session import WebSession, current_session

if TYPE_CHECKING:
    from .fetch import FetchError, FetchResult

ENTITY_DECL = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr",
              "table", "section", "article", "figure", "figcaption", "hr"}


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry: its stable key (for `watch`'s seen-entries table) and what it became."""

    key: str
    item: RawItem | Rejected


@dataclass(frozen=True, slots=True)
class Feed:
    title: str | None
    link: str | None
    entries: tuple[Any, ...]  # feedparser entries, turned into items lazily by :func:`feed_items`
    ref: str


def screen_xml(data: bytes, ref: str, max_bytes: int) -> Rejected | None:
    """Refuse oversized XML, entity declarations and XML that is not well-formed, in bounded memory."""
    if len(data) > max_bytes:
        return Rejected(ref, "ingest", "too-large",
                        f"{len(data)} bytes, over fetch.max_body_bytes={max_bytes}; raise the setting to read it")
    if ENTITY_DECL.search(data):
        return Rejected(ref, "ingest", "xml-entities",
                        "the XML declares entities (<!ENTITY …>): refused, as in entity-expansion bombs "
                        "(billion laughs) and external-entity attacks; feeds have no need of them")
    try:
        import defusedxml.ElementTree as DET
        from defusedxml import DefusedXmlException
    except ImportError:
        raise NotInstalled("defusedxml", "fetch") from None
    try:
        DET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        return Rejected(ref, "ingest", "xml-entities", f"refused by the XML guard: {type(e).__name__}: {e}")
    except DET.ParseError as e:
        line = getattr(e, "position", (None, None))[0]
        return Rejected(f"{ref}:{line}" if line else ref, "ingest", "malformed-feed", f"not well-formed XML: {e}")
    return None


def parse_feed(data: bytes, ref: str, max_bytes: int) -> Feed | Rejected:
    """Screen and parse a feed document. Entries are converted by :func:`feed_items`."""
    bad = screen_xml(data, ref, max_bytes)
    if bad is not None:
        return bad
    try:
        import feedparser
    except ImportError:
        raise NotInstalled("feedparser", "fetch") from None
    parsed = feedparser.parse(io.BytesIO(data), resolve_relative_uris=True, sanitize_html=True)
    if not parsed.get("version"):
        why = parsed.get("bozo_exception")
        return Rejected(ref, "ingest", "not-a-feed",
                        "well-formed XML but not RSS, Atom or RDF" + (f" ({why})" if why else ""))
    feed = parsed.get("feed", {})
    return Feed(feed.get("title") or None, feed.get("link") or None, tuple(parsed.get("entries", ())), ref)


def html_to_text(fragment: str) -> str:
    """An HTML fragment (feed content/summary) as paragraphs separated by blank lines."""
    if "<" not in fragment:
        return fragment.strip()
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return re.sub(r"<[^>]+>", " ", fragment).strip()
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    parts: list[str] = []

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.lower() in BLOCK_TAGS:
            parts.append("\n\n")
        if el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if tag.lower() in BLOCK_TAGS:
            parts.append("\n\n")

    walk(root)
    paragraphs = (" ".join(p.split()) for p in "".join(parts).split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def entry_key(entry: Any) -> str:
    """The entry's id (guid), else its link, else a hash of its title and summary."""
    for field in ("id", "link"):
        value = entry.get(field)
        if value and str(value).strip():
            return str(value).strip()
    return content_id(entry.get("title"), entry.get("summary"), prefix="h-")


def _content_text(entry: Any) -> str:
    best = ""
    for c in entry.get("content") or ():
        value = c.get("value") or ""
        text = html_to_text(value) if "html" in (c.get("type") or "text/html") else value.strip()
        if len(text) > len(best):
            best = text
    return best


def linked_page_url(entry: Any, session: WebSession | None) -> str | None:
    """The link whose page :func:`entry_item` fetches for this entry, or None when it fetches none: the entry must
    have no content (only a summary) and a link, and the session a fetcher with ``fetch.fetch_linked`` on."""
    link = entry.get("link") or None
    if not link or session is None or session.fetcher is None or not session.settings.fetch_linked:
        return None
    return None if _content_text(entry) else link


def entry_item(entry: Any, feed: Feed, index: int, session: WebSession | None,
               linked: "FetchResult | FetchError | None" = None) -> RawItem | Rejected:
    """One entry as an item. ``linked`` is the entry's page (or the error fetching it) when the caller fetched it
    already (`watch` does, in its polling threads); else the page is fetched here when needed."""
    origin = Origin(feed.ref, index)
    key = entry_key(entry)
    title = entry.get("title") or None
    date = entry.get("published") or entry.get("updated") or entry.get("created") or None
    byline = entry.get("author") or None
    link = entry.get("link") or None
    src = entry.get("source") or {}
    source = (src.get("title") if hasattr(src, "get") else None) or feed.title
    summary = html_to_text(entry.get("summary") or "")
    text = _content_text(entry)
    extra: dict[str, Any] = {"feed": feed.ref, "entry_key": key}
    base = RawItem(origin=origin, text=text or summary, title=title, date=date, source=source, url=link,
                   byline=byline, external_id=key, format="feed", extra=extra)
    page_url = None if text else linked_page_url(entry, session)
    if page_url is None or session is None or session.fetcher is None:
        if not base.text.strip():
            return Rejected(str(origin), "ingest", "no-text",
                            f"feed entry {key!r} has no content or summary"
                            + ("" if link is None else " and its link was not followed (fetch.fetch_linked is off "
                                                       "or no fetcher)"))
        return base
    # only a summary and a link: fetch the page (unless the caller did)
    from .fetch import FetchError
    from .html import read_html_page

    if linked is None:
        try:
            linked = session.fetcher.fetch(page_url, kind="html")
        except FetchError as e:
            linked = e
    if isinstance(linked, FetchError):
        return _summary_fallback(base, key, f"{linked.reason}: {linked.detail}")
    result = linked
    page = read_html_page(result.body, result.url, result.url, result.content_type)
    if isinstance(page, Rejected):
        return _summary_fallback(base, key, f"{page.reason}: {page.detail}")
    return replace(page, origin=origin, title=page.title or title, date=page.date or date,
                   byline=page.byline or byline, source=(src.get("title") if hasattr(src, "get") else None)
                   or page.source or feed.title, external_id=key, format="feed+html",
                   extra={**page.extra, **extra, "text_from": "linked-page"})


def _summary_fallback(base: RawItem, key: str, why: str) -> RawItem | Rejected:
    if not base.text.strip():
        return Rejected(str(base.origin), "fetch", "linked-page-failed",
                        f"feed entry {key!r} has no summary and its page could not be used: {why}")
    return replace(base, extra={**base.extra, "text_from": "summary", "linked_page_error": why})


def feed_entries(feed: Feed, session: WebSession | None = None) -> Iterator[FeedEntry]:
    """The feed's entries as items, in document order (linked pages fetched lazily, one at a time)."""
    for i, entry in enumerate(feed.entries, 1):
        yield FeedEntry(entry_key(entry), entry_item(entry, feed, i, session))


def read_feed_bytes(data: bytes, path: str) -> Iterator[RawItem | Rejected]:
    """The file reader for ``.rss``/``.atom``/``.xml`` (registered by :mod:`storyline.ingest.web`)."""
    from ..settings import FetchSettings

    session = current_session()
    settings = session.settings if session is not None else FetchSettings()
    feed = parse_feed(data, path, settings.max_body_bytes)
    if isinstance(feed, Rejected):
        yield feed
        return
    for e in feed_entries(feed, session):
        yield e.item


def sniff_feed(head: bytes) -> bool:
    h = head.lstrip().lower()
    if h.startswith(b"<?xml"):
        return any(tag in h for tag in (b"<rss", b"<feed", b"<rdf:rdf"))
    return h.startswith((b"<rss", b"<feed", b"<rdf:rdf"))


read_feed_bytes.sniff = sniff_feed  # type: ignore[attr-defined]
