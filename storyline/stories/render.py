"""Render a story view: rich terminal, Markdown, standalone HTML (every piece of article text escaped)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any, Collection

from .model import StoryView


def _date(d: datetime | None, day_only: bool = False) -> str:
    if d is None:
        return "undated"
    return d.strftime("%Y-%m-%d") if day_only else d.strftime("%Y-%m-%d %H:%M")


def _cite(article_id: str, start: int, end: int) -> str:
    return f"{article_id}:{start}-{end}"


def _value_date(x: Any) -> str:
    """", <date>" for a conflict value that carries its report's date (figures of kind ``update``), else ""."""
    d = getattr(x, "date", None)
    return f", {_date(d)}" if isinstance(d, datetime) else ""


def provenance_lines(v: StoryView) -> list[str]:
    """Plain text lines: "Origin: <source> — carried by N outlets: …" per origin, then the independent count."""
    out = [f"Origin: {p.source} ({p.title}) — carried by {p.carried_by} outlet{'' if p.carried_by == 1 else 's'}"
           + (f": {', '.join(p.outlets)}" if p.outlets else "") for p in v.provenance]
    n = v.n_independent_sources
    out.append(f"Independent sources: {n} (copies and rewrites of an origin are not counted)")
    return out


_KIND = {"dispute": "the sources disagree", "update": "the figure changed as reports went on",
         "agree": "the sources agree"}


def _carried(x: Any) -> str:
    """ " (+ carried by A, B)" for a figure that copies of its article carry; "" otherwise."""
    outlets = sorted({c["source"] for c in getattr(x, "carried_by", ())})
    return f" (+ carried by {', '.join(outlets)})" if outlets else ""


# -- Markdown ---------------------------------------------------------------------------------------------------
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\*_|[]`"} | {"<": "&lt;"})


def _md(s: str) -> str:
    """Source text as literal Markdown: no emphasis, code, table cell break, link (``[x](javascript:…)``) or HTML."""
    return s.translate(_MD_SPECIAL)


def to_markdown(v: StoryView, *, day_only: Collection[str] = ()) -> str:
    """The view as Markdown; ``day_only``: ids of articles dated by a day alone (shown as the day, not midnight)."""
    out = [f"# {_md(v.headline)}", "", f"Story `{v.id}` · {len(v.articles)} articles from {len(v.sources)} sources",
           ""]
    out += ["## Titles", ""] + [f"- **{_md(t.source)}**: {_md(t.title)}" + (" *(derived)*" if t.derived else "")
                                for t in v.titles] + [""]
    out += ["## What the sources report", ""]
    for s in v.summary:
        also = ", ".join(sorted({_md(e.source) for e in s.also_in}))
        out.append(f"- {_md(s.text)} — *{_md(s.citation.source)}* "
                   f"[`{_cite(s.citation.article_id, s.citation.start, s.citation.end)}`]"
                   + (f"; also in: {also}" if also else ""))
    if v.latest is not None:
        out += ["", f"## Latest ({_date(v.latest.date)})", ""]
        if v.latest.new_sources:
            out.append(f"New sources: {_md(', '.join(v.latest.new_sources))}")
            out.append("")
        for c in v.latest.updates:
            out.append(f"- **{_md(c.about)}**: " + " → ".join(
                f"{_md(x.value)} (*{_md(x.source)}*{_value_date(x)})" for x in c.values))
        out += [f"- {_md(x.text)} — *{_md(x.source)}*, {_date(x.date)} [`{_cite(x.article_id, x.start, x.end)}`]"
                for x in v.latest.statements]
    if v.agreements:
        out += ["", "## What independent sources agree on", ""]
        for g in v.agreements:
            out.append(f"- {_md(g.items[0].text)} — {len(g.sources)} independent sources: " + ", ".join(
                f"*{_md(i.source)}*" + (f" ({i.relation})" if i.relation != "independent" else "")
                + f" [`{_cite(i.article_id, i.start, i.end)}`]" for i in g.items))
    out += ["", "## Timeline", ""]
    for t in v.timeline:
        out.append(f"- {_date(t.date, t.article_id in day_only)} · {t.role} · **{_md(t.source)}**: {_md(t.title)} "
                   f"({t.new_sentences}/{t.sentences} new sentences)")
    out += ["", "## Sources", "", "| source | articles | independent | copies |", "|---|---|---|---|"]
    out += [f"| {_md(s.source)} | {s.articles} | {s.independent} | {s.copies} |" for s in v.sources]
    out += [""] + [f"- {_md(line)}" for line in provenance_lines(v)]
    differ = [c for c in v.conflicts if c.kind != "agree"]
    if differ:
        out += ["", "## Figures that differ", ""]
        for c in differ:
            out.append(f"**{_md(c.about)}** — {_KIND[c.kind]}")
            if c.kind == "update":
                out += ["", " → ".join(f"{_md(x.value)} ({_md(x.source)}, {_date(x.date)})" for x in c.values)]
            out += ["", "| source | date | figure | sentence | span |", "|---|---|---|---|---|"]
            out += [f"| {_md(x.source)}{_carried(x)} | {_date(x.date)} | {_md(x.value)} | {_md(x.text)} | "
                    f"`{_cite(x.article_id, x.start, x.end)}` |" for x in c.values]
            out.append("")
    agree = [c for c in v.conflicts if c.kind == "agree"]
    if agree:
        out += ["", "## Figures the sources agree on", ""]
        out += [f"- **{_md(c.about)}**: " + "; ".join(f"{_md(x.value)} ({_md(x.source)}{_carried(x)})"
                                                     for x in c.values) for c in agree]
    if v.quotes:
        out += ["", "## Quotes", ""]
        out += [f"- “{_md(q.text)}” — {_md(q.speaker or 'unattributed')} (*{_md(q.source)}*, {q.kind}"
                + (f"; carried by {_md(', '.join(sorted({c['source'] for c in q.carriers})))}" if q.carriers else "")
                + f") [`{_cite(q.article_id, q.start, q.end)}`]" for q in v.quotes]
    if v.unique:
        out += ["", "## Only one source reports", ""]
        out += [f"- *{_md(u.source)}*: {_md(u.text)} [`{_cite(u.article_id, u.start, u.end)}`]" for u in v.unique]
    if v.entities:
        out += ["", "## Entities", ""]
        out += [f"- {_md(e.text)} ({e.label}): {e.count} mentions in {len(e.by_source)} sources"
                for e in v.entities[:25]]
    out += ["", "---", "", "Methods: " + "; ".join(f"{k}: {_md(str(val))}" for k, val in v.methods.items()), ""]
    return "\n".join(out)


# -- HTML -------------------------------------------------------------------------------------------------------
_CSS = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top}"
        ".src{color:#555;font-size:.9em}.cite{font-family:monospace;font-size:.8em;color:#777}")


def to_html(v: StoryView, *, day_only: Collection[str] = ()) -> str:
    """The view as one HTML page; ``day_only`` as for :func:`to_markdown`."""
    e = html.escape
    p: list[str] = ["<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
                    f"<title>{e(v.headline)}</title><style>{_CSS}</style></head><body>",
                    f"<h1>{e(v.headline)}</h1>",
                    f"<p class=\"src\">Story {e(v.id)} · {len(v.articles)} articles from {len(v.sources)} sources</p>",
                    "<h2>What the sources report</h2><ul>"]
    for s in v.summary:
        also = ", ".join(sorted({x.source for x in s.also_in}))
        p.append(f"<li>{e(s.text)} <span class=\"src\">— {e(s.citation.source)}</span> "
                 f"<span class=\"cite\">{e(_cite(s.citation.article_id, s.citation.start, s.citation.end))}</span>"
                 + (f" <span class=\"src\">also in: {e(also)}</span>" if also else "") + "</li>")
    p.append("</ul>")
    if v.latest is not None:
        p.append(f"<h2>Latest ({e(_date(v.latest.date))})</h2>")
        if v.latest.new_sources:
            p.append(f"<p class=\"src\">New sources: {e(', '.join(v.latest.new_sources))}</p>")
        p.append("<ul>")
        p += [f"<li><b>{e(c.about)}</b>: " + " → ".join(f"{e(x.value)} <span class=\"src\">{e(x.source)}"
                                                       f"{e(_value_date(x))}</span>" for x in c.values) + "</li>"
              for c in v.latest.updates]
        p += [f"<li>{e(x.text)} <span class=\"src\">— {e(x.source)}, {e(_date(x.date))}</span> <span class=\"cite\">"
              f"{e(_cite(x.article_id, x.start, x.end))}</span></li>" for x in v.latest.statements]
        p.append("</ul>")
    if v.agreements:
        p.append("<h2>What independent sources agree on</h2><ul>")
        p += [f"<li>{e(g.items[0].text)} <span class=\"src\">— " + ", ".join(
            e(i.source) + (f" ({e(i.relation)})" if i.relation != "independent" else "") for i in g.items)
            + "</span></li>" for g in v.agreements]
        p.append("</ul>")
    p.append("<h2>Timeline</h2><ol>")
    p += [f"<li>{e(_date(t.date, t.article_id in day_only))} · {e(t.role)} · <b>{e(t.source)}</b>: {e(t.title)}</li>" for t in v.timeline]
    p.append("</ol><h2>Sources</h2><table><tr><th>source</th><th>articles</th><th>independent</th><th>copies</th></tr>")
    p += [f"<tr><td>{e(s.source)}</td><td>{s.articles}</td><td>{s.independent}</td><td>{s.copies}</td></tr>"
          for s in v.sources]
    p.append("</table><ul class=\"provenance\">")
    p += [f"<li>{e(line)}</li>" for line in provenance_lines(v)]
    p.append("</ul>")
    if v.conflicts:
        p.append("<h2>Figures across sources</h2>")
        for c in v.conflicts:
            p.append(f"<h3>{e(c.about)} <span class=\"src\">{e(_KIND[c.kind])}</span></h3>")
            if c.kind == "update":
                p.append("<p>" + " → ".join(f"<b>{e(x.value)}</b> <span class=\"src\">{e(x.source)}, "
                                            f"{e(_date(x.date))}</span>" for x in c.values) + "</p>")
            p.append("<table><tr><th>source</th><th>date</th><th>figure</th><th>sentence</th></tr>")
            p += [f"<tr><td>{e(x.source + _carried(x))}</td><td>{e(_date(x.date))}</td><td><b>{e(x.value)}</b></td>"
                  f"<td>{e(x.text)} <span class=\"cite\">{e(_cite(x.article_id, x.start, x.end))}</span></td></tr>"
                  for x in c.values]
            p.append("</table>")
    if v.quotes:
        p.append("<h2>Quotes</h2><ul>")
        p += [f"<li>“{e(q.text)}” — <b>{e(q.speaker or 'unattributed')}</b> <span class=\"src\">{e(q.source)}, "
              f"{e(q.kind)}</span></li>" for q in v.quotes]
        p.append("</ul>")
    if v.unique:
        p.append("<h2>Only one source reports</h2><ul>")
        p += [f"<li><span class=\"src\">{e(u.source)}:</span> {e(u.text)}</li>" for u in v.unique]
        p.append("</ul>")
    if v.entities:
        p.append("<h2>Entities</h2><ul>")
        p += [f"<li>{e(x.text)} <span class=\"src\">{e(x.label)}, {x.count} mentions, {len(x.by_source)} sources"
              f"</span></li>" for x in v.entities[:25]]
        p.append("</ul>")
    p.append("<p class=\"src\">" + e("; ".join(f"{k}: {val}" for k, val in v.methods.items())) + "</p></body></html>")
    return "\n".join(p)


# -- terminal (rich) --------------------------------------------------------------------------------------------
def to_rich(v: StoryView, *, notes: bool = True, day_only: Collection[str] = ()) -> list[Any]:
    """Rich renderables for the terminal (text is passed as Text objects, so markup in articles is not interpreted).
    ``notes``: end with how the view was built (``methods``); ``day_only``: ids of articles dated by a day alone."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    items: list[Any] = []
    head = Text(v.headline, style="bold")
    head.append(f"\n{v.id} · {len(v.articles)} articles · {len(v.sources)} sources", style="dim")
    items.append(Panel(head))
    t = Table(title="What the sources report", show_lines=True, expand=True)
    t.add_column("statement", ratio=4)
    t.add_column("source", ratio=1)
    t.add_column("also in", ratio=1)
    for s in v.summary:
        t.add_row(Text(s.text), Text(s.citation.source), Text(", ".join(sorted({e.source for e in s.also_in}))))
    if v.summary:
        items.append(t)
    else:  # e.g. a story of headline-only articles: there is no body sentence to cite
        body = any(x.sentences for x in v.timeline)
        items.append(Text("What the sources report: no cited summary"
                          + ("." if body else " (the articles are headlines only)."), style="dim"))
    if v.latest is not None:
        t = Table(title=f"Latest ({_date(v.latest.date)})"
                  + (f" · new sources: {', '.join(v.latest.new_sources)}" if v.latest.new_sources else ""),
                  expand=True)
        t.add_column("what the newest reports add", ratio=4)
        t.add_column("source", ratio=1)
        for c in v.latest.updates:
            t.add_row(Text(f"{c.about}: " + " → ".join(f"{x.value}{_value_date(x)}" for x in c.values)),
                      Text(", ".join(dict.fromkeys(x.source for x in c.values))))
        for x in v.latest.statements:
            t.add_row(Text(x.text), Text(f"{x.source}, {_date(x.date)}"))
        items.append(t)
    t = Table(title="Timeline", expand=True)
    for c in ("date", "role", "source", "title", "new"):
        t.add_column(c)
    for x in v.timeline:
        t.add_row(_date(x.date, x.article_id in day_only), x.role, Text(x.source), Text(x.title),
                  f"{x.new_sentences}/{x.sentences}")
    items.append(t)
    t = Table(title="Sources")
    for c in ("source", "articles", "independent", "copies"):
        t.add_column(c)
    for s in v.sources:
        t.add_row(Text(s.source), str(s.articles), str(s.independent), str(s.copies))
    items.append(t)
    items.append(Text("\n".join(provenance_lines(v))))
    for c in v.conflicts:
        if c.kind == "agree":
            continue
        t = Table(title=f"Figures that differ: {c.about} ({_KIND[c.kind]})", show_lines=True, expand=True)
        t.add_column("source")
        t.add_column("date")
        t.add_column("figure", style="bold")
        t.add_column("sentence", ratio=4)
        for x in c.values:
            t.add_row(Text(x.source + _carried(x)), _date(x.date), Text(x.value), Text(x.text))
        items.append(t)
    if v.quotes:
        t = Table(title="Quotes", expand=True)
        t.add_column("quote", ratio=4)
        t.add_column("speaker")
        t.add_column("source")
        for q in v.quotes:
            t.add_row(Text(q.text), Text(q.speaker or "—"), Text(q.source))
        items.append(t)
    if v.unique:
        t = Table(title="Only one source reports", expand=True)
        t.add_column("source")
        t.add_column("sentence", ratio=4)
        for u in v.unique:
            t.add_row(Text(u.source), Text(u.text))
        items.append(t)
    if v.entities:
        t = Table(title="Entities")
        for c in ("entity", "kind", "mentions", "sources"):
            t.add_column(c)
        for x in v.entities[:15]:
            t.add_row(Text(x.text), x.label, str(x.count), str(len(x.by_source)))
        items.append(t)
    if notes:
        items.append(Text("; ".join(f"{k}: {val}" for k, val in v.methods.items()), style="dim"))
    return items
