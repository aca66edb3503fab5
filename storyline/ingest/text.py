"""The plain-text shapes of the seeds.

* optional first line ``date YYYY-MM-DD <headline>``;
* body paragraphs separated by blank lines;
* optional trailing desk/byline tag (short, like ``sct/dw`` or ``jsi/msh (AP, Reuters)`` or ``By Jane Doe``),
  stored as ``byline`` and never as body text.

A bare body has no date and no headline: the item keeps ``date=None`` and normalize derives a headline from its
first sentence, marked ``title_derived``. A file that is only one short line without a closing full stop (see
:func:`is_headline_line`), or only the date line with a headline, is a headline-only article (empty text).
"""

from __future__ import annotations

import re

from ..records import Origin, RawItem

DATE_HEADER = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})(?:\s+(.*\S))?\s*$", re.IGNORECASE)
# desk tags: initials joined by slashes, optionally followed by agencies in parentheses ("jsi/msh (AP, Reuters)")
DESK_TAG = re.compile(r"^[\w.-]{1,15}(?:/[\w.-]{1,15})+(?:\s*\([^()]{1,60}\))?$", re.UNICODE)
BY_LINE = re.compile(r"^(?:By|BY|by)\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von)){0,6}"
                     r"(?:\s*[,(][^.!?]{0,60}\)?)?$")
MAX_TAG_CHARS = 80  # a trailing line longer than this is body text, whatever its shape


def looks_like_byline(line: str) -> bool:
    s = line.strip()
    if not s or len(s) > MAX_TAG_CHARS or s[-1] in ".!?\"”’:;":
        return False
    return bool(DESK_TAG.match(s) or BY_LINE.match(s))


def parse_text(text: str, origin: Origin) -> RawItem:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    date = title = None
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None:
        m = DATE_HEADER.match(lines[first])
        if m:
            date, title = m.group(1), m.group(2)
            lines = lines[first + 1 :]
    byline = None
    last = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), None)
    if last is not None and looks_like_byline(lines[last]):
        # only a tag that stands in its own paragraph (blank line before it) or on its own last line
        before = lines[last - 1].strip() if last > 0 else ""
        if last > 0 and (not before or len(lines[last].strip()) <= 40):
            byline = lines[last].strip()
            lines = lines[:last]
    body = "\n".join(lines).strip()
    if title is None and is_headline_line(body):
        title, body = body, ""  # a file that is only a headline: a headline-only article
    return RawItem(origin=origin, text=body, title=title, date=date, byline=byline,
                   title_derived=False, format="text")


MAX_HEADLINE_CHARS = 200  # longer than any headline in the seeds and data sets; a longer line is a body


def is_headline_line(body: str) -> bool:
    """``body`` is one line of at most :data:`MAX_HEADLINE_CHARS` that does not end a sentence with a full stop or
    exclamation mark (headlines carry none; a one-sentence body does): a headline, not a body."""
    s = body.strip()
    if not s or "\n" in s or len(s) > MAX_HEADLINE_CHARS:
        return False
    return s.rstrip("\"”’')»").rstrip()[-1:] not in (".", "!", "…", ":", ";", ",")
