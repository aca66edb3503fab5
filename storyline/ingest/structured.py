"""JSON (an object or an array of objects), JSONL and CSV (with a header) records.

Known fields: ``id, title, text, date, source, url, lang`` (plus ``byline``); any other field is kept in ``extra``.
``body``/``content`` are accepted for ``text`` and ``headline`` for ``title``. A malformed line or record becomes a
Rejected item with its line/record number; the good records beside it are kept.

A JSON document that is a JSON Feed (an object whose ``version`` starts with ``https://jsonfeed.org/version/``) is
not a record: its items are read by :mod:`storyline.ingest.feeds`, as from the feed's URL.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterator, Mapping

from ..records import Origin, RawItem, Rejected
from .feeds import is_json_feed_document, read_json_feed_document

ALIASES = {"body": "text", "content": "text", "headline": "title", "published": "date", "outlet": "source",
           "link": "url", "language": "lang", "author": "byline"}
KNOWN = ("id", "title", "text", "date", "source", "url", "lang", "byline")


def _short(value: Any, limit: int = 60) -> str:
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def record_to_item(rec: Any, origin: Origin, fmt: str) -> RawItem | Rejected:
    if not isinstance(rec, Mapping):
        return Rejected(str(origin), "ingest", "malformed-record",
                        f"expected a JSON object with a 'text' field, got {type(rec).__name__}")
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in rec.items():
        k = ALIASES.get(str(key).lower(), str(key).lower())
        if k in KNOWN and k not in fields:
            fields[k] = value
        else:
            extra[str(key)] = value
    text = fields.get("text")
    if text is not None and not isinstance(text, str):
        return Rejected(str(origin), "ingest", "malformed-record",
                        f"field 'text' must be a string, got {type(text).__name__} ({_short(text)})")
    for name, v in fields.items():  # a list or object would otherwise be stored as its Python repr
        if isinstance(v, (list, dict)):
            return Rejected(str(origin), "ingest", "malformed-record",
                            f"field {name!r} must be a string or a number, got {type(v).__name__} ({_short(v)})")

    def opt(name: str) -> str | None:
        v = fields.get(name)
        return None if v is None or v == "" else str(v)

    title = opt("title")
    if not (text or "").strip() and not (title or "").strip():
        return Rejected(str(origin), "ingest", "no-text",
                        "the record has neither a 'title' nor a 'text' field with content")
    # a record with a title and no text is a headline-only article (aggregator exports): normalize keeps its
    # text empty
    return RawItem(origin=origin, text=text or "", title=title, date=opt("date"), source=opt("source"),
                   url=opt("url"), lang=opt("lang"), byline=opt("byline"), external_id=opt("id"), format=fmt,
                   extra=extra)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (NaN and Infinity are JavaScript, not JSON)")


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_no_constants)


def parse_json(text: str, path: str) -> Iterator[RawItem | Rejected]:
    try:
        data = _loads(text)
    except json.JSONDecodeError as e:
        yield Rejected(f"{path}:{e.lineno}", "ingest", "malformed-json", e.msg)
        return
    except ValueError as e:
        yield Rejected(path, "ingest", "malformed-json", str(e))
        return
    except RecursionError:
        yield Rejected(path, "ingest", "malformed-json", "not usable JSON: nested too deeply to parse")
        return
    if is_json_feed_document(data):  # a downloaded JSON Feed: its items, as from the feed's URL
        yield from read_json_feed_document(data, path)
        return
    if data == []:
        yield Rejected(path, "ingest", "empty", "the JSON array holds no records")
        return
    records = data if isinstance(data, list) else [data]
    for i, rec in enumerate(records, 1):
        yield record_to_item(rec, Origin(path, i), "json")


def parse_jsonl_line(line: bytes, path: str, lineno: int) -> RawItem | Rejected | None:
    """One JSONL line; None for a blank line (not a record)."""
    ref = f"{path}:{lineno}"
    try:
        text = line.decode("utf-8-sig" if lineno == 1 else "utf-8")
    except UnicodeDecodeError as e:
        return Rejected(ref, "ingest", "undecodable", f"invalid UTF-8 at byte {e.start} of the line")
    if not text.strip():
        return None
    try:
        rec = _loads(text)
    except json.JSONDecodeError as e:
        return Rejected(ref, "ingest", "malformed-json", f"{e.msg} (column {e.colno})")
    except ValueError as e:
        return Rejected(ref, "ingest", "malformed-json", str(e))
    except RecursionError:
        return Rejected(ref, "ingest", "malformed-json", "not usable JSON: nested too deeply to parse")
    return record_to_item(rec, Origin(path, lineno), "jsonl")


# Python's csv refuses fields over 131,072 characters by default (a process-wide limit); an article body may be
# longer (ingest.max_text_chars, 200,000 by default; the file itself is capped by ingest.max_file_bytes)
_CSV_FIELD_LIMIT = 2**31 - 1


def parse_csv(text: str, path: str) -> Iterator[RawItem | Rejected]:
    """Records of a CSV with a header row. Strict quoting: a row with a malformed or unterminated quoted field is
    rejected (with the line it starts on) and reading goes on at the next line, so one bad quote never swallows
    the rest of the file into a single field."""
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    lines = io.StringIO(text, newline="").readlines()  # \n, \r\n, \r only (not \x1e, \u2028: field content)
    header: list[str] | None = None
    start = 0  # index into lines where the current reader starts
    while start < len(lines):
        reader = csv.reader(lines[start:], strict=True)
        done = start  # lines consumed by complete rows (the next row starts at line done + 1, 1-based)
        try:
            for row in reader:
                first_line, done = done + 1, start + reader.line_num
                if not row:
                    continue
                if header is None:
                    header = [h.strip() for h in row]
                    if header and header[0].startswith("\ufeff"):
                        header[0] = header[0][1:]
                    continue
                # the record number is the line where the row ends (a quoted field may span lines)
                origin = Origin(path, done)
                if len(row) > len(header):
                    hint = ("; the header is one field: is the file separated by ';' or tabs? storyline reads "
                            "comma-separated CSV" if len(header) == 1 else "")
                    yield Rejected(str(origin), "ingest", "malformed-csv",
                                   f"row has {len(row)} fields, more than the header's {len(header)} "
                                   f"(row starts on line {first_line}){hint}")
                    continue
                yield record_to_item(dict(zip(header, row)), origin, "csv")
            start = len(lines)
        except csv.Error as e:
            bad = done + 1  # the line the broken row starts on
            unterminated = reader.line_num + start >= len(lines) and "end of data" in str(e)
            detail = ("unterminated quoted field (no closing quote before the end of the file)" if unterminated
                      else f"{e} (row ends on line {start + reader.line_num})")
            yield Rejected(f"{path}:{bad}", "ingest", "malformed-csv", detail)
            # go on after the broken row: after its first line when its quote never closed, else after its end
            start = bad if unterminated else max(bad, start + reader.line_num)
    if header is None:
        yield Rejected(path, "ingest", "malformed-csv", "no header row")
