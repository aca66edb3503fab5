"""Web ingest entry points: URLs among the inputs, a session of collaborators, and the HTML/feed file readers.

Importing this module registers the readers for ``.html .htm .xhtml`` (pages) and ``.rss .atom .xml`` (feeds),
with ``sniff`` functions so standard input is recognised too. ``storyline ingest URL…`` goes through
:func:`read_inputs`, which sends ``http(s)://`` arguments to the fetcher and everything else to the file readers.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from ..guard import guarded
from ..records import RawItem, Rejected
from ..settings import Settings
from .feeds import feed_entries, parse_feed, read_feed_bytes
from .files import WalkReport, read_paths, register_reader
from .html import PageArchive, read_html_bytes, read_html_page
from .session import WebSession, current_session, use_session

if TYPE_CHECKING:
    from ..settings import FetchSettings
    from ..store import Store
    from .fetch import Fetcher, FetchResult

Item = RawItem | Rejected

for _ext in (".html", ".htm", ".xhtml"):
    register_reader(_ext, read_html_bytes)
for _ext in (".rss", ".atom", ".xml"):
    register_reader(_ext, read_feed_bytes)


def is_url(arg: str) -> bool:
    return arg.lower().startswith(("http://", "https://"))


_OTHER_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


class LazyFetcher:
    """A :class:`~storyline.ingest.fetch.Fetcher` built on first use, so reading plain files needs no httpx."""

    def __init__(self, settings: "FetchSettings"):
        self.settings = settings
        self._fetcher: "Fetcher | None" = None

    def fetch(self, url: str, **kw: object) -> "FetchResult":
        if self._fetcher is None:
            from .fetch import Fetcher

            self._fetcher = Fetcher(self.settings)
        return self._fetcher.fetch(url, **kw)  # type: ignore[arg-type]

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()
            self._fetcher = None


@contextmanager
def web_session(store: "Store | None", settings: Settings, fetcher: object | None = None) -> Iterator[WebSession]:
    """Make a fetcher (the one given, else one built on first use) and a raw-page archive on ``store`` current."""
    own = fetcher is None
    f = LazyFetcher(settings.fetch) if own else fetcher
    archive = PageArchive(store) if store is not None else None
    try:
        with use_session(WebSession(settings.fetch, f, archive)) as session:  # type: ignore[arg-type]
            yield session
    finally:
        if own:
            f.close()  # type: ignore[union-attr]


def read_url(url: str, session: WebSession) -> Iterator[Item]:
    """Fetch a URL and read it as a page or a feed (by its content type). A failed fetch is one Rejected item."""
    from .fetch import FetchError

    if session.fetcher is None:
        yield Rejected(url, "fetch", "no-fetcher", "URLs can be read only inside a web session with a fetcher")
        return
    try:
        result = session.fetcher.fetch(url, kind="any")
    except FetchError as e:
        yield Rejected(url, "fetch", e.reason, e.detail)
        return
    yield from guarded(_read_fetched(url, result, session), url)


def _read_fetched(url: str, result: "FetchResult", session: WebSession) -> Iterator[Item]:
    if result.kind == "feed":
        feed = parse_feed(result.body, url, session.settings.max_body_bytes, result.content_type)
        if isinstance(feed, Rejected):
            yield feed
            return
        for entry in feed_entries(feed, session):
            yield entry.item
    else:
        yield read_html_page(result.body, url, result.url, result.content_type)


def read_inputs(args: Iterable[str], settings: Settings, report: WalkReport | None = None,
                session: WebSession | None = None) -> Iterator[Item]:
    """Files, directories, ``-`` and URLs, in the order given."""
    session = session or current_session()
    for arg in args:
        if is_url(str(arg)):
            if session is None:
                with web_session(None, settings) as own:
                    yield from read_url(str(arg), own)
            else:
                yield from read_url(str(arg), session)
        elif (m := _OTHER_SCHEME.match(str(arg))) and not Path(arg).exists():
            # "ftp://host/x" is not a file either: say so instead of "no such file" for a collapsed "ftp:/host/x"
            yield Rejected(str(arg), "ingest", "unsupported-scheme",
                           f"{m.group(1)!r} URLs are not fetched; give an http:// or https:// URL, a file, a directory "
                           "or - for standard input")
        else:
            yield from read_paths([arg], settings.ingest, report)


__all__ = ["is_url", "read_inputs", "read_url", "web_session"]
