"""The last line of defence of the readers and normalize: a failure on one input becomes a Rejected row naming it.

Every reader turns the problems it knows (bad JSON, an unknown encoding, a page without text…) into Rejected rows with
their own reasons. Anything else it raises on one input is a bug in storyline, not a reason to stop the whole ingest:
:func:`guarded` stores it as one ``internal-error`` row for that input, naming the exception, and the command reads
the other inputs. ``bench/fuzz.py`` and the hostile-input property test count those rows as crashes. Errors that are
not about the input (the store failing, a missing package, a wrong setting, no memory) still stop the command: every
input would fail alike.
"""

from __future__ import annotations

import sqlite3
from typing import Callable, Iterator, TypeVar

from .errors import ConfigError, NotInstalled
from .records import RawItem, Rejected

INTERNAL_ERROR = "internal-error"
NOT_ABOUT_THE_INPUT: tuple[type[BaseException], ...] = (sqlite3.Error, NotInstalled, ConfigError, MemoryError)

T = TypeVar("T")


def describe(e: BaseException, limit: int = 300) -> str:
    """``ValueError: Invalid IPv6 URL``: the exception's type and (shortened) message."""
    message = " ".join(str(e).split())
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    return f"{type(e).__name__}: {message}" if message else type(e).__name__


def internal_error(ref: str, e: BaseException, stage: str = "ingest", what: str = "reading this input") -> Rejected:
    return Rejected(ref, stage, INTERNAL_ERROR,
                    f"storyline failed {what} ({describe(e)}); the other inputs were read. This is a bug: please "
                    f"report it with the input")


def guarded(items: Iterator[RawItem | Rejected], ref: str) -> Iterator[RawItem | Rejected]:
    """``items`` until the reader raises; then one ``internal-error`` row for ``ref`` (the items already read are
    kept, the rest of that input is not read)."""
    try:
        yield from items
    except NOT_ABOUT_THE_INPUT:
        raise
    except Exception as e:  # noqa: BLE001 - one input's failure, recorded as its Rejected row
        yield internal_error(ref, e)


def guarded_call(fn: Callable[[], T], ref: str, stage: str = "ingest", what: str = "reading this input"
                 ) -> T | Rejected:
    """``fn()``, or an ``internal-error`` row for ``ref`` when it raises (see :func:`guarded`)."""
    try:
        return fn()
    except NOT_ABOUT_THE_INPUT:
        raise
    except Exception as e:  # noqa: BLE001 - one input's failure, recorded as its Rejected row
        return internal_error(ref, e, stage, what)
