"""`storyline show STORY_ID`: the story view (``--format table|json|markdown|html``); `storyline show ARTICLE_ID`
(an ``a-`` id or prefix): one article with its versions (docs/versions.md)."""

from __future__ import annotations

import sys
from enum import Enum

import typer

from ..present import article_payload, story_payload
from .app import app, state
from .output import Format, day_or_time, emit_one, stdout


def _print_article(p: dict) -> None:
    from rich.text import Text  # article text is data, never rich markup

    from .output import _cell

    when = _cell(day_or_time(p["date"], p["date_only"])) or "undated"
    stdout.print(Text(p["title"], style="bold"))
    stdout.print(Text(" · ".join(str(x) for x in (p["source"], when, p["byline"]) if x)
                      + (f" · story {p['story_id']}" if p["story_id"] else "")))
    if p["credited"]:
        stdout.print(Text("Credited: " + ", ".join(p["credited"])))
    if p["origin"]:
        stdout.print(Text(f"Read from: {p['origin']}", style="dim"))
    if p["superseded_by"]:
        stdout.print(Text(f"Updated: superseded by {p['superseded_by']}; current version {p['current_version']}",
                          style="yellow"))
    if p["versions"]:
        stdout.print(Text("Versions (oldest first): " + ", ".join(
            v["id"] + (" (current)" if v["current"] else "") + (" (this)" if v["id"] == p["id"] else "")
            for v in p["versions"])))
    stdout.print(Text(""))
    stdout.print(Text(p["text"]))


def coverage_rich(coverage: dict | None) -> list:
    """The story's coverage by outlet kind and country, and the registered outlets that missed it while their peers
    covered it (storyline/stories/coverage.py), as rich renderables; nothing without coverage."""
    from rich.table import Table
    from rich.text import Text

    if not coverage:
        return []
    t = Table(title="Coverage by outlet attribute")
    t.add_column("attribute")
    t.add_column("value")
    t.add_column("outlets")
    for attr, groups in coverage["by"].items():
        if attr not in ("kind", "country") and coverage["registered"]:  # user attributes: --format json
            continue
        for g in groups:
            t.add_row(attr, Text(g["value"]), Text(", ".join(g["outlets"])))
        if not coverage["registered"]:
            break  # without a registry every outlet is "unregistered": one row says it
    out: list = [t]
    credited = [o["name"] for o in coverage["outlets"] if o["credited_only"]]
    lines = []
    if credited:
        lines.append("Credited in a desk tag only: " + ", ".join(credited))
    if coverage["unknown_articles"]:
        lines.append(f"{coverage['unknown_articles']} article(s) from an unknown outlet")
    for m in coverage["missing"]:
        lines.append(f"Did not cover: {m['outlet']} ({m['kind']}, {m['country']}): {len(m['peers_covering'])} of its "
                     f"{m['peers']} peers did ({', '.join(m['peers_covering'])})")
    if not coverage["registered"]:
        lines.append("No outlet registry: register outlets (kind, country, …) with `storyline outlets import FILE`")
    if lines:
        out.append(Text("\n".join(lines)))
    return out


class ViewFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


@app.command()
def show(
    story_id: str = typer.Argument(..., help="A story id (or an alias of a merged story, or a unique prefix); an "
                                             "article id (a-…) shows that article and its versions."),
    fmt: ViewFormat = typer.Option(ViewFormat.table, "--format", "-f",
                                   help="table (rich terminal view), json, markdown or html."),
    # "\\[" keeps rich (typer's help renderer) from reading "[dense]" as a markup tag and dropping it
    dense: bool = typer.Option(False, "--dense", help="Align sentences with the MiniLM encoder too (slower; needs "
                                                       "storyline\\[dense]). Default: lexical (TF-IDF) similarity."),
) -> None:
    """Show one story: cited summary, timeline, sources, entities, quotes, differing figures, unique content."""
    from ..stories import build_view
    from ..stories.render import to_html, to_markdown, to_rich

    if story_id.startswith("a-"):  # an article: current or an earlier version (json: the payload; else as text)
        with state.open_store() as store:
            art = article_payload(store, story_id)
        if fmt is ViewFormat.json:
            emit_one(art, Format.json)
        else:
            _print_article(art)
        return
    encoder = None
    if dense:
        from ..represent.dense import MiniLMEncoder

        encoder = MiniLMEncoder()
    with state.open_store() as store:
        payload = story_payload(store, story_id)
        view = build_view(store, payload["id"], encoder=encoder, settings=state.settings)
        day_only = store.date_only_ids(a["id"] for a in payload["articles"])
    if fmt is ViewFormat.json:
        out = dict(payload)
        out["source_names"] = payload["sources"]
        out.update(view.to_dict())
        out["aliases"] = payload["aliases"]
        emit_one(out, Format.json)
    elif fmt is ViewFormat.markdown:
        sys.stdout.write(to_markdown(view, day_only=day_only))
    elif fmt is ViewFormat.html:
        sys.stdout.write(to_html(view, day_only=day_only) + "\n")
    else:
        for item in [*to_rich(view, notes=False, day_only=day_only), *coverage_rich(view.coverage)]:
            stdout.print(item)
        if state.verbose:  # how the view was built (similarity, entities, stored alignments …): for -v only
            from rich.text import Text

            stdout.print(Text("; ".join(f"{k}: {val}" for k, val in view.methods.items()), style="dim"))
