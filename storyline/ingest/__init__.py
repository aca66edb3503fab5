"""Readers: each yields RawItem records (or Rejected ones) with their origin (file, line/record number)."""

from .files import WalkReport, read_bytes, read_file, read_paths, register_reader
from .structured import record_to_item
from .text import looks_like_byline, parse_text

__all__ = ["WalkReport", "looks_like_byline", "parse_text", "read_bytes", "read_file", "read_paths",
           "record_to_item", "register_reader"]

# HTML pages and feeds are read like any other file (registers .html/.htm/.xhtml and .rss/.atom/.xml readers);
# their heavy libraries (trafilatura, feedparser, httpx) load on first use.
from . import web as _web  # noqa: E402,F401
