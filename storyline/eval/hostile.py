"""Generated hostile inputs for every reader: the fuzz harness (``bench/fuzz.py``) and the hostile-input property
test (``tests/test_ingest_hostile_property.py``) draw from the same generators.

Each generator takes a :class:`random.Random` and returns ``(bytes, extension)`` for one input file of its kind:
random bytes; a valid document; the valid document truncated, garbled (bytes flipped, inserted, deleted,
duplicated) or with hostile values (wrong JSON types, unpaired surrogates, control characters, huge numbers, odd
dates and URLs); declared encodings taken from Python's codec list (:mod:`encodings.aliases`) and made-up ones;
huge fields; deep nesting. Generation is deterministic for a seeded ``Random``, so a crash is reproduced by its seed.
"""

from __future__ import annotations

import encodings.aliases
import json
import random
import re
from typing import Callable
from xml.sax.saxutils import escape

KINDS = ("text", "json", "jsonl", "csv", "html", "rss", "atom", "jsonfeed")
EXTENSIONS = {"text": ".txt", "json": ".json", "jsonl": ".jsonl", "csv": ".csv", "html": ".html", "rss": ".rss",
              "atom": ".atom", "jsonfeed": ".json"}

# every codec name Python knows (aliases and canonical names), and names it does not
CODEC_NAMES = sorted(set(encodings.aliases.aliases) | set(encodings.aliases.aliases.values()))
MADE_UP_CODECS = ("x-bogus", "utf-9", "shift-jis-2004x", "", " ", "utf-8\x00", "ü-8", "a" * 300, "UTF-8 ", "latin-99",
                  "x-mac-klingon", "utf_8_sig", "unicode-1-1-utf-7", "cp65001", "mbcs", "oem", "tis-620")

WORDS = ("talks", "Doha", "ceasefire", "minister", "said", "the", "dam", "harbour", "reopened", "on", "Saturday",
         "police", "3.2", "million", "votes", "Orvin", "“quoted”", "café", "東京", "Москва", "سلام", "🙂", "&amp;",
         "<b>", "'", '"', "\\", "\t", "\u200b", "\u00ad", "\ufeff", "\x1b[31m")
ODD_STRINGS = ("", " ", "\x00", "\ud800", "\udfff", "\u2028", "\x1b]0;x\x07", "9" * 5000, "-1e999", "NaN",
               "http://[::1", "http://[", "https://exa mple.com/ x", "javascript:alert(1)", "//", "file:///etc/passwd",
               "0000-00-00", "9999-12-31T23:59:59-05:00", "31/31/31 99:99", "Sat, 99 Foo 2021 99:99:99 +9999",
               "yesterday", "-9999999999", "1e308", "2021-10-09T10:00:00Z" * 50, "\u202e" + "evil", "%s%n%x",
               "{{7*7}}", "<script>alert(1)</script>", "a" * 70_000)
DATES = ("2021-10-09", "2021-10-09T10:00:00Z", "Sat, 09 Oct 2021 10:00:00 +0200", "October 9, 2021", "", "never",
         "2021-13-45", "0", "-1", "1e10", "2021-10-09T25:61:61", "9" * 40, "\x00", "\ud800")


def words(rng: random.Random, lo: int = 1, hi: int = 40) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def sentence(rng: random.Random) -> str:
    return words(rng, 3, 20).capitalize() + "."


def body(rng: random.Random) -> str:
    return "\n\n".join(" ".join(sentence(rng) for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 4)))


def odd(rng: random.Random) -> str:
    """A hostile string: an odd value, random words, random Unicode, or a huge run."""
    r = rng.random()
    if r < 0.4:
        return rng.choice(ODD_STRINGS)
    if r < 0.6:
        return "".join(chr(rng.choice((rng.randint(0, 0x7F), rng.randint(0x80, 0xFFFF), rng.randint(0x10000, 0x10FFFF))))
                       for _ in range(rng.randint(0, 60)))
    if r < 0.65:
        return rng.choice(WORDS) * rng.randint(1000, 60_000)  # a huge field
    return words(rng)


def odd_value(rng: random.Random, depth: int = 0) -> object:
    """A JSON value of any type, sometimes nested."""
    r = rng.random()
    if r < 0.35:
        return odd(rng)
    if r < 0.45:
        return rng.choice((None, True, False, 0, -1, 1.5, 10**30, -(10**30), 1e308))
    if r < 0.55 and depth < 4:
        return [odd_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if r < 0.65 and depth < 4:
        return {odd(rng)[:20]: odd_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return words(rng)


# -- valid documents ------------------------------------------------------------------------------------------------
def good_record(rng: random.Random, ident: str | None = None) -> dict[str, object]:
    rec: dict[str, object] = {"id": ident or f"r{rng.randrange(10**9)}", "title": words(rng, 3, 10),
                              "text": body(rng), "source": rng.choice(("Wire A", "Wire B", "Daily", "Post")),
                              "date": rng.choice(DATES[:4])}
    if rng.random() < 0.3:
        rec["url"] = f"https://news.test/{rng.randrange(10**6)}"
    if rng.random() < 0.15:
        del rec["text"]  # a headline-only record
    return rec


def hostile_record(rng: random.Random) -> object:
    rec: dict[str, object] = good_record(rng)
    for _ in range(rng.randint(1, 4)):
        key = rng.choice(("id", "title", "text", "body", "content", "headline", "date", "source", "url", "lang",
                          "byline", "author", "published", "extra", odd(rng)[:30]))
        rec[key] = odd_value(rng)
    if rng.random() < 0.1:
        return odd_value(rng)  # not an object at all
    return rec


def _json_dumps(obj: object, rng: random.Random) -> str:
    text = json.dumps(obj, ensure_ascii=rng.random() < 0.5, allow_nan=True)
    return text


def deep_json(rng: random.Random) -> str:
    n = rng.choice((100, 1000, 5000, 100_000))
    return "[" * n + "]" * n if rng.random() < 0.5 else '{"a":' * n + "1" + "}" * n


def gen_json(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.1:
        return deep_json(rng)
    if r < 0.5:
        return _json_dumps([rng.choice((good_record, hostile_record))(rng) for _ in range(rng.randint(0, 6))], rng)
    return _json_dumps(rng.choice((good_record, hostile_record))(rng), rng)


def gen_jsonl(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(0, 8)):
        r = rng.random()
        if r < 0.4:
            lines.append(_json_dumps(good_record(rng), rng))
        elif r < 0.8:
            lines.append(_json_dumps(hostile_record(rng), rng))
        elif r < 0.85:
            lines.append(deep_json(rng))
        else:
            lines.append(odd(rng))
    return rng.choice(("\n", "\r\n")).join(lines)


def gen_csv(rng: random.Random) -> str:
    import csv
    import io

    header = ["id", "title", "text", "date", "source"]
    if rng.random() < 0.3:
        header = [rng.choice(("id", "title", "text", "body", "", "text", "date", odd(rng)[:20]))
                  for _ in range(rng.randint(1, 8))]
    buf = io.StringIO()
    w = csv.writer(buf, quoting=rng.choice((csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC)))
    w.writerow(header)
    for _ in range(rng.randint(0, 6)):
        rec = good_record(rng) if rng.random() < 0.5 else {}
        row = [str(rec.get(h, odd(rng) if rng.random() < 0.5 else "")) for h in header]
        row = row[: rng.randint(0, len(row) + 2)] + [odd(rng) for _ in range(rng.randint(0, 2))]
        w.writerow([c.replace("\x00", "") if rng.random() < 0.5 else c for c in row])
    text = buf.getvalue()
    if rng.random() < 0.2:
        text += '"unterminated,' + words(rng)
    return text


def gen_text(rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.4:
        parts.append(f"date {rng.choice(DATES)} {words(rng, 0, 12)}")
    if rng.random() < 0.8:
        parts.append(body(rng))
    if rng.random() < 0.3:
        parts.append(odd(rng))
    if rng.random() < 0.2:
        parts.append(rng.choice(("sct/dw", "jsi/msh (AP, Reuters)", "By Jane Doe", "x/" * 40)))
    return "\n\n".join(parts) if parts else words(rng, 1, 8)


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(s: str) -> str:
    """Text escaped for XML, without the characters XML 1.0 forbids (``garble`` puts bytes of every kind back)."""
    return escape(_XML_INVALID.sub("", s))


def _xml_decl(rng: random.Random) -> tuple[str, str | None]:
    """An XML declaration and the codec to encode the document with (None: UTF-8 bytes whatever it says)."""
    r = rng.random()
    if r < 0.4:
        return '<?xml version="1.0" encoding="utf-8"?>', None
    if r < 0.5:
        return "", None
    if r < 0.85:
        name = rng.choice(CODEC_NAMES)
        return f'<?xml version="1.0" encoding="{name}"?>', name if rng.random() < 0.7 else None
    return f'<?xml version="1.0" encoding="{rng.choice(MADE_UP_CODECS)}"?>', None


def _encode(doc: str, codec: str | None, rng: random.Random) -> bytes:
    if codec:
        try:
            return doc.encode(codec, errors=rng.choice(("strict", "replace", "xmlcharrefreplace")))
        except Exception:  # noqa: BLE001 - a codec that cannot encode this text (or at all): send UTF-8 bytes
            pass
    return doc.encode("utf-8", "surrogatepass" if rng.random() < 0.2 else "replace")


def _html_fragment(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.1:
        n = rng.choice((50, 500, 5000))
        return "<div>" * n + words(rng) + "</div>" * (n if rng.random() < 0.5 else 0)
    if r < 0.2:
        return odd(rng)
    return "".join(f"<p>{_x(sentence(rng))}</p>" for _ in range(rng.randint(0, 5)))


def gen_rss(rng: random.Random) -> tuple[str, str | None]:
    decl, codec = _xml_decl(rng)
    items = []
    for i in range(rng.randint(0, 6)):
        fields = []
        if rng.random() < 0.9:
            fields.append(f"<title>{_x(words(rng, 2, 10) if rng.random() < 0.8 else odd(rng))}</title>")
        if rng.random() < 0.7:
            fields.append(f"<description>{_x(_html_fragment(rng))}</description>")
        if rng.random() < 0.2:
            fields.append(f"<content:encoded><![CDATA[{_html_fragment(rng)}]]></content:encoded>")
        if rng.random() < 0.6:
            fields.append(f"<link>{_x(rng.choice(('https://news.test/a' + str(i), odd(rng))))}</link>")
        if rng.random() < 0.6:
            fields.append(f"<guid>{_x(rng.choice((f'g{i}', odd(rng))))}</guid>")
        if rng.random() < 0.6:
            fields.append(f"<pubDate>{_x(rng.choice(DATES + (odd(rng),)))}</pubDate>")
        if rng.random() < 0.2:
            fields.append(f'<source url="{_x(odd(rng)[:50])}">{_x(odd(rng)[:50])}</source>')
        items.append("<item>" + "".join(fields) + "</item>")
    ns = ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    doc = (f'{decl}<rss version="2.0"{ns}><channel><title>{_x(words(rng, 1, 4))}</title>'
           f"<link>https://news.test/</link>{''.join(items)}</channel></rss>")
    if rng.random() < 0.05:
        n = rng.choice((1000, 10_000, 100_000))
        doc = f'{decl}<rss version="2.0"><channel>' + "<x>" * n + "</x>" * n + "</channel></rss>"
    return doc, codec


def gen_atom(rng: random.Random) -> tuple[str, str | None]:
    decl, codec = _xml_decl(rng)
    entries = []
    for i in range(rng.randint(0, 6)):
        fields = [f"<id>{_x(rng.choice((f'urn:e:{i}', odd(rng))))}</id>"] if rng.random() < 0.8 else []
        if rng.random() < 0.9:
            fields.append(f"<title>{_x(words(rng, 2, 10) if rng.random() < 0.8 else odd(rng))}</title>")
        if rng.random() < 0.6:
            fields.append(f'<content type="{rng.choice(("html", "text", "xhtml", "odd"))}">'
                          f"{_x(_html_fragment(rng))}</content>")
        if rng.random() < 0.5:
            fields.append(f"<summary>{_x(_html_fragment(rng))}</summary>")
        if rng.random() < 0.6:
            fields.append(f"<updated>{_x(rng.choice(DATES + (odd(rng),)))}</updated>")
        if rng.random() < 0.5:
            fields.append(f'<link href="{_x(rng.choice(("https://news.test/e", odd(rng)[:80])))}"/>')
        if rng.random() < 0.3:
            fields.append(f"<author><name>{_x(odd(rng)[:80])}</name></author>")
        entries.append("<entry>" + "".join(fields) + "</entry>")
    doc = (f'{decl}<feed xmlns="http://www.w3.org/2005/Atom"><title>{_x(words(rng, 1, 4))}</title>'
           f"<id>urn:feed</id><updated>2021-10-09T10:00:00Z</updated>{''.join(entries)}</feed>")
    return doc, codec


def gen_jsonfeed(rng: random.Random) -> str:
    items: list[object] = []
    for i in range(rng.randint(0, 6)):
        if rng.random() < 0.5:
            item: dict[str, object] = {"id": f"i{i}", "title": words(rng, 2, 8)}
            r = rng.random()
            if r < 0.3:
                item["content_html"] = _html_fragment(rng)
            elif r < 0.6:
                item["content_text"] = body(rng)
            elif r < 0.8:
                item["summary"] = sentence(rng)
            if rng.random() < 0.5:
                item["url"] = rng.choice(("https://news.test/x", "/relative", odd(rng)[:60]))
            if rng.random() < 0.5:
                item["date_published"] = rng.choice(DATES)
        else:
            item = {k: odd_value(rng) for k in rng.sample(
                ("id", "url", "title", "content_html", "content_text", "summary", "date_published", "date_modified",
                 "authors", "author", "external_url", "tags"), rng.randint(0, 6))}
        items.append(item if rng.random() < 0.95 else odd_value(rng))
    doc: dict[str, object] = {"version": rng.choice(("https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/1",
                                                      "https://jsonfeed.org/version/9", "https://jsonfeed.org/version/"))
                              if rng.random() < 0.95 else odd_value(rng),
                              "title": words(rng, 1, 4) if rng.random() < 0.9 else odd_value(rng),
                              "items": items if rng.random() < 0.95 else odd_value(rng)}
    for key in ("home_page_url", "feed_url", "authors", "author"):
        if rng.random() < 0.2:
            doc[key] = odd_value(rng) if rng.random() < 0.5 else "https://news.test/feed.json"
    return _json_dumps(doc, rng)


def gen_html(rng: random.Random) -> str:
    meta = []
    if rng.random() < 0.5:
        meta.append(f'<meta property="og:type" content="{_x(rng.choice(("article", "website", odd(rng)[:30])))}">')
    if rng.random() < 0.5:
        meta.append(f'<meta property="og:title" content="{_x(odd(rng)[:200] if rng.random() < 0.3 else words(rng))}">')
    if rng.random() < 0.4:
        meta.append(f'<meta property="article:published_time" content="{_x(rng.choice(DATES))}">')
    if rng.random() < 0.2:
        meta.append(f'<link rel="canonical" href="{_x(odd(rng)[:100])}">')
    if rng.random() < 0.2:
        ld = _json_dumps({"@type": rng.choice(("NewsArticle", "WebPage", odd_value(rng))), "headline": odd_value(rng),
                          "datePublished": odd_value(rng), "author": odd_value(rng)}, rng)
        meta.append(f'<script type="application/ld+json">{ld}</script>')
    lang = f' lang="{_x(rng.choice(("en", "en-GB", "", odd(rng)[:20])))}"' if rng.random() < 0.5 else ""
    title = f"<title>{_x(words(rng, 1, 10))}</title>" if rng.random() < 0.8 else ""
    content = "".join(f"<p>{_x(sentence(rng))}</p>" for _ in range(rng.randint(0, 12)))
    if rng.random() < 0.3:
        content += _html_fragment(rng)
    if rng.random() < 0.2:
        content = "<nav>" + "".join(f'<a href="/{i}">{_x(words(rng, 1, 5))}</a>' for i in range(20)) + "</nav>"
    return (f"<!doctype html><html{lang}><head><meta charset=\"{rng.choice(('utf-8', 'x-bogus', 'shift_jis'))}\">"
            f"{title}{''.join(meta)}</head><body><article><h1>{_x(words(rng))}</h1>{content}</article></body></html>")


def _valid(kind: str, rng: random.Random) -> bytes:
    if kind in ("rss", "atom"):
        doc, codec = (gen_rss if kind == "rss" else gen_atom)(rng)
        return _encode(doc, codec, rng)
    gen: Callable[[random.Random], str] = {"text": gen_text, "json": gen_json, "jsonl": gen_jsonl, "csv": gen_csv,
                                           "html": gen_html, "jsonfeed": gen_jsonfeed}[kind]
    # mostly valid UTF-8 (unpaired surrogates become "?"), sometimes with the surrogates' invalid bytes
    return gen(rng).encode("utf-8", "surrogatepass" if rng.random() < 0.2 else "replace")


def garble(data: bytes, rng: random.Random) -> bytes:
    """``data`` with a few random edits: bytes flipped, inserted, deleted, or a span duplicated."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        pos = rng.randint(0, len(buf))
        if op < 0.3 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif op < 0.55:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op < 0.8:
            del buf[pos:pos + rng.randint(1, 64)]
        else:
            end = min(len(buf), pos + rng.randint(1, 200))
            buf[pos:pos] = buf[pos:end] * rng.randint(1, 20)
    return bytes(buf)


def generate(kind: str, rng: random.Random) -> tuple[bytes, str]:
    """One hostile (or valid) input of ``kind`` and its file extension."""
    r = rng.random()
    if r < 0.08:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 2000)))
    elif r < 0.12:
        data = rng.choice((b"", b" \n", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff\x00<", b"{", b"[", b"<", b"<?xml",
                           b"\x00" * 10, b'"', b"\r\n\r\n"))
    else:
        data = _valid(kind, rng)
        r = rng.random()
        if r < 0.25:
            data = data[: rng.randint(0, len(data))]  # truncated
        elif r < 0.5:
            data = garble(data, rng)
        elif r < 0.55:
            data = rng.choice((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"")) + data
    return data, EXTENSIONS[kind]


def good_input(rng: random.Random, ident: str) -> tuple[bytes, str, str]:
    """A valid JSONL file of one article, its extension and the article's title (to find it in the store)."""
    rec = good_record(rng, ident)
    rec["text"] = f"{body(rng)} Marker {ident}."
    rec["title"] = f"Good article {ident}"
    return (json.dumps(rec) + "\n").encode(), ".jsonl", str(rec["title"])
