"""Listing output shared by every command: ``--format table|json|jsonl|csv``. Data goes to stdout."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Iterable, Mapping, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

import os as _os

# piped output is not squeezed to 80 columns: tables stay readable in logs and files
stdout = Console(soft_wrap=False, width=None if sys.stdout.isatty() or "COLUMNS" in _os.environ else 200)
stderr = Console(stderr=True, soft_wrap=True)


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def day_or_time(value: datetime | str | None, date_only: bool) -> date | datetime | None:
    """An article's date as it should print: the day alone when its input gave no time of day (normalize's
    ``date_only`` flag), else the full time. Accepts the stored ISO string too."""
    if value is None or value == "":
        return None
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dt.date() if date_only else dt


def parse_when(value: str | None, option: str, end_of_day: bool = False) -> datetime | None:
    """A ``--since``/``--until`` value: an ISO 8601 day or time (no zone means UTC). A day given with
    ``end_of_day`` means the end of that day, so ``--until 2026-03-05`` includes the 5th."""
    if value is None:
        return None
    from datetime import time, timezone

    text = value.strip()
    try:
        if len(text) in (8, 10) and "T" not in text:  # 2026-03-05 or 20260305: a whole day
            day = date.fromisoformat(text)
            dt = datetime.combine(day, time.max if end_of_day else time.min)
        else:
            dt = datetime.fromisoformat(text)
    except ValueError:
        import typer

        raise typer.BadParameter(f"{value!r} is not an ISO 8601 day or time; give e.g. 2026-03-05, "
                                 "2026-03-05T14:30:00Z or 2026-03-05T16:30:00+02:00 (no zone means UTC)",
                                 param_hint=option) from None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


def _default(o: Any) -> Any:
    if isinstance(o, (datetime, date)):
        return o.isoformat()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(f"cannot serialise {type(o).__name__}")


def dumps(obj: Any, indent: int | None = 2) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=indent, default=_default)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):  # a day without a time reaches here as a date (day_or_time), never as midnight
        return v.strftime("%Y-%m-%d %H:%M UTC") if v.utcoffset() == timedelta(0) else v.isoformat(timespec="minutes")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return ", ".join(_cell(x) for x in v)
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def _csv_cell(v: Any) -> str:
    """Machine-readable: datetimes in full ISO 8601 and floats at full precision, like JSON (the table's short
    forms drop time, zone and digits)."""
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(_csv_cell(x) for x in v)
    return _cell(v)


def emit(rows: Sequence[Mapping[str, Any]], fmt: Format | str, columns: Sequence[str] | None = None,
         title: str | None = None) -> None:
    """Print ``rows`` in the chosen format. ``columns`` picks and orders table/csv columns."""
    fmt = Format(fmt)
    cols = list(columns) if columns else (list(rows[0].keys()) if rows else [])
    if fmt is Format.json:
        sys.stdout.write(dumps(list(rows)) + "\n")
    elif fmt is Format.jsonl:
        for r in rows:
            sys.stdout.write(dumps(r, indent=None) + "\n")
    elif fmt is Format.csv:
        w = csv.writer(sys.stdout)
        w.writerow(cols)
        for r in rows:
            # machine-readable: datetimes in full ISO 8601 like json (the table's short form drops time and zone)
            w.writerow([_csv_cell(r.get(c)) for c in cols])
    else:
        # cells and titles are data (article titles, sources, queries), never rich markup: "[/x]" in a title
        # must print as itself, not raise MarkupError or vanish
        table = Table(title=Text(title) if title is not None else None, show_lines=False)
        for c in cols:
            short = c in ("id", "story_id", "article_id", "date", "first_seen", "last_seen", "n_articles", "run_id")
            table.add_column(c, overflow="fold", no_wrap=short)
        for r in rows:
            table.add_row(*(Text(_cell(r.get(c))) for c in cols))
        stdout.print(table)


def emit_one(obj: Mapping[str, Any], fmt: Format | str) -> None:
    """Print one object as JSON (json/jsonl); table/csv callers render it themselves."""
    sys.stdout.write(dumps(obj, indent=None if Format(fmt) is Format.jsonl else 2) + "\n")


def rows_of(items: Iterable[Any]) -> list[dict[str, Any]]:
    return [dict(i) for i in items]
