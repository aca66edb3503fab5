"""The web-ingest collaborators of one command: a fetcher, a raw-page archive and the settings.

File readers are called as ``reader(bytes, path)`` (see :func:`storyline.ingest.files.register_reader`), so the
HTML and feed readers cannot take collaborators as parameters. A command that has them opens a
:func:`web_session` around its pipeline run; the readers look the session up with :func:`current_session`.
Without a session the readers still work: raw HTML is not archived and feed entries are not followed to their pages.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from ..settings import FetchSettings

if TYPE_CHECKING:
    from .fetch import Fetcher
    from .html import PageArchive


@dataclass(frozen=True, slots=True)
class WebSession:
    settings: FetchSettings
    fetcher: "Fetcher | None" = None
    archive: "PageArchive | None" = None


_SESSION: ContextVar[WebSession | None] = ContextVar("storyline_web_session", default=None)


def current_session() -> WebSession | None:
    return _SESSION.get()


@contextmanager
def use_session(session: WebSession) -> Iterator[WebSession]:
    """Make ``session`` the current one for the readers called inside the block."""
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)
