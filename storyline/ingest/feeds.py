"""RSS/Atom feeds and JSON Feeds (a file or a fetched URL) → one RawItem per entry.

XML safety: feedparser uses its own parsers, so every feed is screened first, within a byte limit
(``fetch.max_body_bytes``): any ``<!ENTITY`` declaration is refused before parsing (billion laughs, quadratic
blowup, external entities), then the bytes are parsed once with defusedxml (entities and external references
forbidden) to prove they are well-formed XML. Only then does feedparser see them, from memory (never a path or a
URL). A feed that fails any step is one Rejected row with the reason; entries are never partially trusted.

JSON Feed (https://www.jsonfeed.org/version/1.1/, versions 1 and 1.1) is read by :func:`parse_json_feed`: a document
served as ``application/feed+json`` or ``application/json`` (or any document whose first character is ``{``) whose
``version`` starts with ``https://jsonfeed.org/version/``. Its items are turned into entries of the shape feedparser
gives (``id``, ``link``, ``title``, ``content``, ``summary``, ``published``, ``updated``, ``author``), so they become
items exactly as RSS/Atom entries do. Malformed JSON, a missing or unknown version, ``items`` that is not a list
are one Rejected row for the feed; an item that is not an object, or whose fields have the wrong type, is one
Rejected row for that item (the good items beside it are kept).

Each entry becomes an article: its ``content`` (HTML turned into paragraphs), else its summary, else (an entry with
a title only, as in many headline feeds) a headline-only article with empty text. When the entry has
no content (a summary or only a title) and a link and ``fetch.fetch_linked`` is on (and a web session with a fetcher is active), the linked
page is fetched and extracted (:mod:`storyline.ingest.html`); if that fails the summary is kept and the failure is
noted in ``extra["linked_page_error"]``. Entry titles, dates, authors and ids fill what the page lacks.
The outlet is the entry's ``<source>``, else the page's site name, else the feed's title.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import urljoin

from ..errors import NotInstalled, StorylineError
from ..guard import guarded_call
from ..normalize import replace_surrogates
from ..records import Origin, RawItem, Rejected, content_id
from .session import WebSession, current_session

if TYPE_CHECKING:
    from .fetch import FetchError, FetchResult

ENTITY_DECL = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
JSON_FEED_TYPES = ("application/feed+json", "application/json")
JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")
JSON_FEED_PREFIX = "https://jsonfeed.org/version/"
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


# XML 1.0 Appendix F: the encoding family from the first bytes (byte order mark, else the bytes of "<?")
_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be", 4), (b"\xff\xfe\x00\x00", "utf-32-le", 4), (b"\xef\xbb\xbf", "utf-8", 3),
         (b"\xfe\xff", "utf-16-be", 2), (b"\xff\xfe", "utf-16-le", 2))
_NO_BOM = ((b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"), (b"\x00<\x00?", "utf-16-be"),
           (b"<\x00?\x00", "utf-16-le"))
_XML_DECL = re.compile(r"""^(\s*<\?xml\b[^>]*?\bencoding\s*=\s*)(["'])(.*?)\2""", re.S)
_XML_DECL_BYTES = re.compile(rb"""^\s*<\?xml\b[^>]{0,200}?\bencoding\s*=\s*(["'])(.{0,1000}?)\1""", re.S)


def xml_as_utf8(data: bytes, ref: str) -> bytes | Rejected:
    """The XML document ``data`` as UTF-8 bytes whose declaration says ``utf-8``, or a Rejected row.

    The encoding is the byte order mark's, else UTF-16/32 seen in the first bytes, else the declared one, else
    UTF-8 (XML 1.0, 4.3.3 and Appendix F). Any text codec Python knows is transcoded (feeds in Shift_JIS, GB2312,
    EUC-KR, Windows-1251…: expat reads only UTF-8/16, ASCII and Latin-1 itself and refuses multi-byte ones); an
    encoding Python does not know, or bytes that are not valid in the declared one, are rejected naming the codec.
    Transcoding first also means the entity screen sees ``<!ENTITY`` however the document was encoded."""
    codec = None
    body = data
    for bom, name, n in _BOMS:
        if data.startswith(bom):
            codec, body = name, data[n:]
            break
    else:
        for head, name in _NO_BOM:
            if data.startswith(head):
                codec = name
                break
    declared = None
    if codec is None:
        m = _XML_DECL_BYTES.match(data[:512])
        if m:
            declared = m.group(2).decode("latin-1")
            codec = declared.strip()
    if codec is None:
        return data  # no declaration: UTF-8, which expat checks
    try:
        info = codecs.lookup(codec)
    except (LookupError, ValueError, TypeError):  # ValueError: an embedded NUL in the name
        return Rejected(ref, "ingest", "unknown-encoding",
                        f"the feed declares encoding {declared!r}, which Python does not know; valid: any codec "
                        f"Python knows (utf-8, iso-8859-1, windows-1252, shift_jis, gb2312, euc-kr…); re-save the "
                        f"feed as UTF-8 or fix its <?xml … encoding=…?> declaration")
    if info.name == "utf-8" and body is data:
        return data  # expat reads UTF-8 and checks it
    try:
        # a codec is code of its own (punycode, idna, unicode_escape…): whatever it raises on these bytes, they are
        # not text in that encoding
        text = body.decode(info.name)
    except LookupError:  # base64, zlib, rot13…: codecs, but not text encodings
        return Rejected(ref, "ingest", "unknown-encoding",
                        f"the feed declares encoding {declared!r}, which is not a text encoding; re-save the feed "
                        f"as UTF-8 or fix its <?xml … encoding=…?> declaration")
    except Exception as e:  # noqa: BLE001 - see above
        where = f" at byte {e.start}" if isinstance(e, UnicodeDecodeError) else ""
        return Rejected(ref, "ingest", "undecodable",
                        f"the feed's bytes are not valid {info.name}{where} ({type(e).__name__}: {e}); "
                        f"re-save the feed in the encoding it declares, or declare the one it is in")
    text = _XML_DECL.sub(lambda m: f"{m.group(1)}{m.group(2)}utf-8{m.group(2)}", text, count=1)
    return replace_surrogates(text)[0].encode("utf-8")  # unicode_escape can make a lone surrogate: U+FFFD


def screen_xml(data: bytes, ref: str, max_bytes: int) -> Rejected | None:
    """Refuse oversized XML, undecodable XML, entity declarations and XML that is not well-formed, in bounded
    memory (see :func:`screen_feed_xml`)."""
    out = screen_feed_xml(data, ref, max_bytes)
    return out if isinstance(out, Rejected) else None


def screen_feed_xml(data: bytes, ref: str, max_bytes: int) -> bytes | Rejected:
    """The feed as screened UTF-8 bytes (:func:`xml_as_utf8`), or the Rejected row saying why it is refused:
    oversized, in an unknown encoding, declaring entities, or not well-formed."""
    if len(data) > max_bytes:
        return Rejected(ref, "ingest", "too-large",
                        f"{len(data)} bytes, over fetch.max_body_bytes={max_bytes}; raise the setting to read it")
    utf8 = xml_as_utf8(data, ref)
    if isinstance(utf8, Rejected):
        return utf8
    data = utf8
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
        root = DET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:  # a ValueError: before the clause below
        return Rejected(ref, "ingest", "xml-entities", f"refused by the XML guard: {type(e).__name__}: {e}")
    except (LookupError, ValueError) as e:  # an encoding declaration expat reads otherwise than xml_as_utf8 did
        return Rejected(ref, "ingest", "unknown-encoding", f"the XML parser refused the document's encoding: {e}")
    except DET.ParseError as e:
        line = getattr(e, "position", (None, None))[0]
        return Rejected(f"{ref}:{line}" if line else ref, "ingest", "malformed-feed", f"not well-formed XML: {e}")
    if _deeper_than(root, MAX_XML_DEPTH):
        return Rejected(ref, "ingest", "malformed-feed",
                        f"XML nested more than {MAX_XML_DEPTH} elements deep: not a feed (RSS and Atom need 4 or 5 "
                        f"levels, with XHTML content a few more), refused before feedparser spends minutes on it")
    return data


# feedparser takes ~0.1 ms per element of nesting (10 s for 100,000 levels, measured by bench/fuzz.py)
MAX_XML_DEPTH = 256


def _deeper_than(root: Any, limit: int) -> bool:
    """Whether the element tree under ``root`` is more than ``limit`` levels deep (iterative: no recursion limit)."""
    stack = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in el)
    return False


def parse_feed(data: bytes, ref: str, max_bytes: int, content_type: str | None = None) -> Feed | Rejected:
    """Screen and parse a feed document: a JSON Feed when ``content_type`` is a JSON type or the document starts
    with ``{``, else RSS/Atom/RDF. Entries are converted by :func:`feed_entries`."""
    if content_type in JSON_FEED_TYPES or looks_like_json(data):
        return parse_json_feed(data, ref, max_bytes)
    screened = screen_feed_xml(data, ref, max_bytes)
    if isinstance(screened, Rejected):
        return screened
    data = screened
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


def looks_like_json(data: bytes) -> bool:
    """The document's first character (after a UTF-8 byte order mark and white space) is ``{``."""
    return data[:4096].removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{"


class _Malformed(ValueError):
    """A JSON Feed that does not have the shape the spec gives it; the message says where."""


def _json_kind(value: object) -> str:
    """What a parsed JSON value is, in JSON's words: ``a number``, ``an array``…"""
    if isinstance(value, bool):
        return "a boolean"
    return {str: "a string", int: "a number", float: "a number", list: "an array", dict: "an object"}.get(
        type(value), "null" if value is None else type(value).__name__)


def _text_field(obj: dict[str, Any], name: str, where: str) -> str | None:
    value = obj.get(name)
    if value is None or isinstance(value, str):
        return value or None
    raise _Malformed(f"{where}.{name} is {_json_kind(value)}, expected a string")


def _author_names(obj: dict[str, Any], where: str) -> list[str]:
    """Names from ``authors`` (1.1: a list of objects) or ``author`` (1.0: one object)."""
    authors = obj.get("authors")
    if authors is None and obj.get("author") is not None:
        authors = [obj["author"]]
    if authors is None:
        return []
    if not isinstance(authors, list):
        raise _Malformed(f"{where}.authors is {_json_kind(authors)}, expected an array of objects")
    names = []
    for n, author in enumerate(authors):
        if not isinstance(author, dict):
            raise _Malformed(f"{where}.authors[{n}] is {_json_kind(author)}, expected an object")
        name = _text_field(author, "name", f"{where}.authors[{n}]")
        if name and name.strip():
            names.append(name.strip())
    return names


def _item_id(item: dict[str, Any], where: str) -> str | None:
    """The item's ``id`` as a string (the spec: a number is coerced to a string); another type is malformed."""
    raw = item.get("id")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise _Malformed(f"{where}.id is {_json_kind(raw)}, expected a string")
    return str(raw).strip() or None


def _resolved(base: str | None, url: str | None) -> str | None:
    """``url`` resolved against ``base``; as it is when it cannot be (a malformed URL is then refused by the
    fetcher as ``bad-url`` if it is ever followed)."""
    if not url or not base:
        return url
    try:
        return urljoin(base, url)
    except ValueError:  # e.g. "Invalid IPv6 URL"
        return url


def json_feed_entry(item: Any, index: int, base: str | None, feed_authors: list[str]) -> dict[str, Any]:
    """One JSON Feed item as an entry of the shape feedparser gives, so :func:`entry_item` reads it like any entry.
    An item that is not an object, or whose fields have the wrong type, gets ``storyline_error`` (it becomes a
    Rejected row of its own; the other items are read); its key is its
    id when that is usable, else a hash of the item's JSON."""
    where = f"items[{index}]"
    if not isinstance(item, dict):  # this item only: the good items beside it are kept
        return {"id": None, "storyline_error": f"{where} is {_json_kind(item)}, expected an object", "title": None,
                "summary": json.dumps(item, sort_keys=True, default=str)}
    try:
        url = _text_field(item, "url", where)
        content = []
        html_body = _text_field(item, "content_html", where)
        if html_body:
            content.append({"type": "text/html", "value": html_body})
        text_body = _text_field(item, "content_text", where)
        if text_body:
            content.append({"type": "text/plain", "value": text_body})
        return {
            "id": _item_id(item, where),
            "link": _resolved(base, url),
            "title": _text_field(item, "title", where),
            "summary": _text_field(item, "summary", where),
            "content": content,
            "published": _text_field(item, "date_published", where),
            "updated": _text_field(item, "date_modified", where),
            # the spec: an item without authors has the feed's
            "author": ", ".join(_author_names(item, where) or feed_authors) or None,
        }
    except _Malformed as e:
        try:
            ident = _item_id(item, where)
        except _Malformed:
            ident = None
        return {"id": ident, "storyline_error": str(e), "title": None,
                "summary": json.dumps(item, sort_keys=True, default=str)}


def parse_json_feed(data: bytes, ref: str, max_bytes: int) -> Feed | Rejected:
    """A JSON Feed (version 1 or 1.1) as a :class:`Feed` whose entries have the shape feedparser gives."""
    if len(data) > max_bytes:
        return Rejected(ref, "ingest", "too-large",
                        f"{len(data)} bytes, over fetch.max_body_bytes={max_bytes}; raise the setting to read it")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        return Rejected(ref, "ingest", "malformed-feed", f"a JSON Feed must be UTF-8: {e}")
    except json.JSONDecodeError as e:
        return Rejected(f"{ref}:{e.lineno}", "ingest", "malformed-feed",
                        f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}")
    except RecursionError:
        return Rejected(ref, "ingest", "malformed-feed", "not usable JSON: nested too deeply to parse")
    return json_feed_from_document(doc, ref)


def is_json_feed_document(doc: object) -> bool:
    """A parsed JSON document that claims to be a JSON Feed: an object whose ``version`` is a string starting with
    ``https://jsonfeed.org/version/`` (whether it is a usable one is :func:`json_feed_from_document`'s to say)."""
    return isinstance(doc, dict) and isinstance(doc.get("version"), str) and doc["version"].startswith(
        JSON_FEED_PREFIX)


def json_feed_from_document(doc: object, ref: str) -> Feed | Rejected:
    """An already parsed JSON document as a JSON Feed :class:`Feed` (see :func:`parse_json_feed`), or one Rejected
    row saying why it is not a usable one. Used for documents read from files and standard input too."""
    if not isinstance(doc, dict):
        return Rejected(ref, "ingest", "not-a-feed", f"JSON whose top level is {_json_kind(doc)}, not a JSON Feed "
                                                     "object")
    version = doc.get("version")
    if not isinstance(version, str) or not version.startswith(JSON_FEED_PREFIX):
        return Rejected(ref, "ingest", "not-a-feed",
                        f"JSON without a JSON Feed version (version={version!r}); a JSON Feed has "
                        f"\"version\": \"{JSON_FEED_VERSIONS[-1]}\"")
    if version.rstrip("/") not in JSON_FEED_VERSIONS:
        return Rejected(ref, "ingest", "not-a-feed",
                        f"JSON Feed version {version!r} is not supported; supported: {', '.join(JSON_FEED_VERSIONS)}")
    items = doc.get("items")
    if not isinstance(items, list):
        return Rejected(ref, "ingest", "malformed-feed",
                        f"JSON Feed without an items array (items is {_json_kind(items)})")
    try:
        title = _text_field(doc, "title", "feed")
        home = _text_field(doc, "home_page_url", "feed")
        feed_url = _text_field(doc, "feed_url", "feed")
        feed_authors = _author_names(doc, "feed")
    except _Malformed as e:
        return Rejected(ref, "ingest", "malformed-feed", str(e))
    base = ref if ref.lower().startswith(("http://", "https://")) else (
        feed_url if feed_url and feed_url.lower().startswith(("http://", "https://")) else None)
    entries = tuple(json_feed_entry(item, n, base, feed_authors) for n, item in enumerate(items))
    return Feed(title.strip() if title else None, home, entries, ref)


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
            return replace_surrogates(str(value).strip())[0]  # a key is stored and hashed as UTF-8

    def text(v: Any) -> str | None:
        return replace_surrogates(v)[0] if isinstance(v, str) else None if v is None else str(v)

    return content_id(text(entry.get("title")), text(entry.get("summary")), prefix="h-")


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
    if entry.get("storyline_error"):
        return None
    return None if _content_text(entry) else link


def entry_item(entry: Any, feed: Feed, index: int, session: WebSession | None,
               linked: "FetchResult | FetchError | None" = None) -> RawItem | Rejected:
    """One entry as an item. ``linked`` is the entry's page (or the error fetching it) when the caller fetched it
    already (`watch` does, in its polling threads); else the page is fetched here when needed."""
    origin = Origin(feed.ref, index)
    key = entry_key(entry)
    if entry.get("storyline_error"):
        return Rejected(str(origin), "ingest", "malformed-entry", f"feed entry {key!r}: {entry['storyline_error']}")
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
        if not base.text.strip() and not (title or "").strip():
            return Rejected(str(origin), "ingest", "no-text",
                            f"feed entry {key!r} has no title, content or summary"
                            + ("" if link is None else f" and its link {link} was not followed (fetch.fetch_linked "
                                                       "is off or no fetcher)"))
        return base  # a title and no text: a headline-only article (normalize keeps its text empty)
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
    """The entry as the feed gives it when its linked page could not be used: its summary, else its title alone (a
    headline-only article); rejected only when it has neither."""
    if not base.text.strip():
        if (base.title or "").strip():
            return replace(base, extra={**base.extra, "text_from": "title", "linked_page_error": why})
        return Rejected(str(base.origin), "fetch", "linked-page-failed",
                        f"feed entry {key!r} has no title or summary and its page could not be used: {why}")
    return replace(base, extra={**base.extra, "text_from": "summary", "linked_page_error": why})


def read_json_feed_document(doc: object, path: str) -> Iterator[RawItem | Rejected]:
    """A JSON Feed parsed from a file or standard input (:func:`storyline.ingest.structured.parse_json` hands it
    over): its items, exactly as from a URL or an RSS file; the current web session, if any, follows summary-only
    items to their pages."""
    feed = json_feed_from_document(doc, path)
    if isinstance(feed, Rejected):
        yield feed
        return
    for e in feed_entries(feed, current_session()):
        yield e.item


def feed_entries(feed: Feed, session: WebSession | None = None) -> Iterator[FeedEntry]:
    """The feed's entries as items, in document order (linked pages fetched lazily, one at a time)."""
    for i, entry in enumerate(feed.entries, 1):
        key = guarded_call(lambda: entry_key(entry), f"{feed.ref}:{i}")
        item = guarded_call(lambda: entry_item(entry, feed, i, session), f"{feed.ref}:{i}",
                            what="turning this feed entry into an article")
        yield FeedEntry(key if isinstance(key, str) else f"h-unkeyed-{i}", item)


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


def read_feed_list(path: str | Path, max_bytes: int = 10 * 1024 * 1024) -> list[str]:
    """Feed URLs from a text file (one per line, ``#`` comments) or an OPML file (``outline/@xmlUrl``)."""
    from .web import is_url

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise StorylineError(f"cannot read the feed list {str(p)!r}: {e.strerror or e}") from None
    if len(data) > max_bytes:
        raise StorylineError(f"feed list {str(p)!r} has {len(data)} bytes, over {max_bytes}")
    urls: list[str] = []
    if p.suffix.lower() in (".opml", ".xml") or data.lstrip().startswith(b"<"):
        import defusedxml.ElementTree as DET
        from defusedxml import DefusedXmlException

        try:
            root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except (DefusedXmlException, DET.ParseError) as e:
            raise StorylineError(f"{p}: not a usable OPML file ({type(e).__name__}: {e})") from None
        for el in root.iter("outline"):
            url = (el.get("xmlUrl") or el.get("xmlurl") or "").strip()
            if url:
                if not is_url(url):
                    raise StorylineError(f"{p}: outline xmlUrl {url!r} is not an http(s) URL")
                urls.append(url)
    else:
        for lineno, line in enumerate(data.decode("utf-8-sig", errors="replace").splitlines(), 1):
            line = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
            if not line:
                continue
            if not is_url(line):
                raise StorylineError(f"{p}:{lineno}: {line!r} is not an http(s) URL; one feed URL per line")
            urls.append(line)
    if not urls:
        raise StorylineError(f"{p}: no feed URLs found; write one http(s) URL per line, or use an OPML file")
    return list(dict.fromkeys(urls))
