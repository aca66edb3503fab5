"""Files, directories and standard input, dispatched to a reader by extension (or by sniffing stdin).

Every problem becomes a Rejected item with its location: an empty file, a binary file, undecodable bytes, a
file over ``ingest.max_file_bytes`` (never truncated), an unreadable file. Directories are walked recursively in
sorted order; files with unknown extensions are skipped and counted (see :class:`WalkReport`).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..guard import guarded
from ..records import Origin, RawItem, Rejected
from ..settings import IngestSettings
from .structured import ALIASES, parse_csv, parse_json, parse_jsonl_line
from .text import parse_text

Item = RawItem | Rejected
# a reader takes the file's bytes (already size-checked, non-empty) and its display path
BytesReader = Callable[[bytes, str], Iterator[Item]]

SNIFF_BYTES = 8192


# UTF-32 before UTF-16: the UTF-32-LE mark begins with the UTF-16-LE one
_UNICODE_BOMS = ((b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\xfe\xff", "utf-16"),
                 (b"\xff\xfe", "utf-16"))
# an XML document in UTF-16/32 without a byte order mark starts with "<" or "<?" in those encodings (XML 1.0 App. F)
_WIDE_XML = (b"\x00\x00\x00<", b"<\x00\x00\x00", b"\x00<\x00?", b"<\x00?\x00")


def _wide_codec(data: bytes) -> str | None:
    """``utf-16``/``utf-32`` when ``data`` starts with their byte order mark (Windows "Unicode" text files)."""
    return next((codec for bom, codec in _UNICODE_BOMS if data.startswith(bom)), None)


def _utf16_or_32(data: bytes) -> bool:
    """UTF-16/32 text (their NUL bytes do not make it binary): a byte order mark, or wide XML."""
    return _wide_codec(data) is not None or data.startswith(_WIDE_XML)


def _decode(data: bytes, path: str) -> str | Rejected:
    wide = _wide_codec(data)
    if wide:
        try:
            return data.decode(wide)
        except UnicodeDecodeError as e:
            return Rejected(path, "ingest", "undecodable",
                            f"invalid {wide.upper()} at byte {e.start} ({e.reason}); convert the file to UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return Rejected(f"{path}:{line}", "ingest", "undecodable",
                        f"invalid UTF-8 at byte {e.start} (0x{data[e.start]:02x}); convert the file to UTF-8")


def read_text_bytes(data: bytes, path: str) -> Iterator[Item]:
    text = _decode(data, path)
    if isinstance(text, Rejected):
        yield text
    else:
        yield parse_text(text, Origin(path))


def read_json_bytes(data: bytes, path: str) -> Iterator[Item]:
    text = _decode(data, path)
    if isinstance(text, Rejected):
        yield text
    else:
        yield from parse_json(text, path)


def read_jsonl_bytes(data: bytes, path: str) -> Iterator[Item]:
    if _wide_codec(data):  # lines are split on b"\n": UTF-16/32 is made UTF-8 first
        text = _decode(data, path)
        if isinstance(text, Rejected):
            yield text
            return
        data = text.encode("utf-8", "surrogatepass")
    for lineno, line in enumerate(data.split(b"\n"), 1):
        item = parse_jsonl_line(line.rstrip(b"\r"), path, lineno)
        if item is not None:
            yield item


def read_csv_bytes(data: bytes, path: str) -> Iterator[Item]:
    text = _decode(data, path)
    if isinstance(text, Rejected):
        yield text
    else:
        yield from parse_csv(text, path)


READERS: dict[str, BytesReader] = {
    ".txt": read_text_bytes,
    ".text": read_text_bytes,
    ".md": read_text_bytes,
    ".json": read_json_bytes,
    ".jsonl": read_jsonl_bytes,
    ".ndjson": read_jsonl_bytes,
    ".csv": read_csv_bytes,
}


def register_reader(extension: str, reader: BytesReader) -> None:
    """Add a reader for files ending in ``extension`` (e.g. ``.html``); web ingest registers HTML and feeds."""
    READERS[extension.lower()] = reader


def reader_for(path: Path) -> BytesReader | None:
    suffix = path.suffix.lower()
    if suffix in READERS:
        return READERS[suffix]
    if suffix == "" and path.name and not path.name.startswith("."):
        return read_text_bytes  # the seeds' shape has no extension in the wild
    return None


def _looks_like_csv_header(head: bytes) -> bool:
    """A first line like ``id,title,text,date``: comma-separated field names, one of them the text (``text`` or
    one of its aliases, ``body``/``content``)."""
    first = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r")
    try:
        fields = [f.strip().strip('"').lower() for f in first.decode("utf-8").split(",")]
    except UnicodeDecodeError:
        return False
    names_text = any(ALIASES.get(f, f) == "text" for f in fields)
    return len(fields) >= 2 and names_text and all(f and len(f) <= 40 and " " not in f for f in fields)


_NEXT_OBJECT_LINE = re.compile(rb"\n[ \t]*\{")


def sniff_reader(data: bytes) -> BytesReader:
    """Pick a reader for stdin from its first bytes (after a UTF-8 byte order mark). A JSON object is read as JSON
    (a record, or a JSON Feed: :func:`storyline.ingest.structured.parse_json` tells them apart) unless its lines are
    objects one by one (JSONL)."""
    body = data.removeprefix(b"\xef\xbb\xbf")
    head = body[:SNIFF_BYTES].lstrip()
    if head.startswith(b"["):
        return read_json_bytes
    if head.startswith(b"{"):
        first_line = body.lstrip().split(b"\n", 1)[0].strip()
        return (read_jsonl_bytes if first_line.endswith(b"}") and _NEXT_OBJECT_LINE.search(data.strip())
                else read_json_bytes)
    if _looks_like_csv_header(head):
        return read_csv_bytes
    for ext, reader in READERS.items():
        sniff = getattr(reader, "sniff", None)
        if sniff is not None and sniff(head):
            return reader
    return read_text_bytes


def read_bytes(data: bytes, path: str, reader: BytesReader, settings: IngestSettings) -> Iterator[Item]:
    if len(data) > settings.max_file_bytes:
        yield Rejected(path, "ingest", "too-large",
                       f"{len(data)} bytes, over ingest.max_file_bytes={settings.max_file_bytes}; "
                       f"split the file or raise the setting")
        return
    if not data.strip():
        yield Rejected(path, "ingest", "empty", "the file has no content")
        return
    if b"\x00" in data[:SNIFF_BYTES] and not _utf16_or_32(data):
        yield Rejected(path, "ingest", "binary", "the file contains NUL bytes: not a text, JSON or CSV file")
        return
    yield from guarded(reader(data, path), path)


@dataclass
class WalkReport:
    """Files a directory walk skipped (unknown extensions, hidden files) — reported, not silently lost."""

    skipped: list[str] = field(default_factory=list)


def display_path(path: str | os.PathLike[str]) -> str:
    """``path`` as text that can be stored: a name that is not UTF-8 (its bytes come back from the OS as surrogate
    escapes) shows them as ``\\udcff``, as the store shows a reject's ref."""
    shown = str(path)
    return shown.encode("utf-8", "backslashreplace").decode("utf-8") if not shown.isascii() else shown


def read_file(path: Path, settings: IngestSettings, reader: BytesReader | None = None) -> Iterator[Item]:
    shown = display_path(path)
    reader = reader or reader_for(path) or read_text_bytes
    try:
        size = path.stat().st_size
        if size > settings.max_file_bytes:
            yield Rejected(shown, "ingest", "too-large",
                           f"{size} bytes, over ingest.max_file_bytes={settings.max_file_bytes}; "
                           f"split the file or raise the setting")
            return
        data = path.read_bytes()
    except OSError as e:
        yield Rejected(shown, "ingest", "unreadable", f"{e.strerror or e}")
        return
    yield from read_bytes(data, shown, reader, settings)


def read_paths(paths: Iterable[str | os.PathLike[str]], settings: IngestSettings | None = None,
               report: WalkReport | None = None, stdin: "object | None" = None) -> Iterator[Item]:
    """Yield raw items (and rejects) from files, directories (recursive) and ``-`` (standard input)."""
    settings = settings or IngestSettings()
    report = report if report is not None else WalkReport()
    for p in paths:
        if str(p) == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = stream.read()  # type: ignore[attr-defined]
            yield from read_bytes(data, "-", sniff_reader(data), settings)
            continue
        path = Path(p)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if not child.is_file():
                    continue
                rel = child.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    report.skipped.append(display_path(child))
                    continue
                reader = reader_for(child)
                if reader is None:
                    report.skipped.append(display_path(child))
                    continue
                yield from read_file(child, settings, reader)
        elif path.exists():
            yield from read_file(path, settings)
        else:
            yield Rejected(display_path(path), "ingest", "not-found", "no such file or directory")
