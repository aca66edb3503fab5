"""Readers: each yields RawItem records (or Rejected ones) with their origin (file, line/record number)."""

from .files import WalkReport, read_bytes, read_file, read_paths, register_reader
from .structured import record_to_item
from .text import looks_like_byline, parse_text

__all__ = ["WalkReport", "looks_like_byline", "parse_text", "read_bytes", "read_file", "read_paths",
           "record_to_item", "register_reader"]
