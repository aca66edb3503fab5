"""The import graph of storyline's packages (read with ``ast`` from the source files, so imports inside functions
count too): no circles, no arrow climbing back up. The faces (cli, web, api) sit on top: web is the HTML face of the
API (web → api, never api → web); nothing but the CLI imports the CLI; the readers in ingest/ neither orchestrate
(service, pipeline) nor touch the store (its type may be named for annotations, under ``TYPE_CHECKING``)."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "storyline"
UNITS = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()} | {
    p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"}
TOP = "storyline"  # the package's own __init__ (the public Python API)


def _module_name(path: Path) -> tuple[str, bool]:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _unit(module: str) -> str:
    """The package (or top-level module) of storyline that ``module`` belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in UNITS else TOP


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


@functools.cache
def imports() -> list[tuple[str, str, bool]]:
    """``(importing module, imported storyline module, only for type checking)`` for every import in the package."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        module, is_pkg = _module_name(path)
        tree = ast.parse(path.read_text("utf-8"), str(path))
        typing_only = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".") if is_pkg else module.split(".")[:-1]
                    base = base[:len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                names = [f"{target}.{a.name}" for a in node.names]
                # `from . import x` imports the module x when there is one, else a name of the package
                targets = [n for n in names if _unit(n) != TOP and n.split(".")[1] in UNITS] or [target]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for t in targets:
                if t == TOP or t.startswith(TOP + "."):
                    out.append((module, t, node.lineno in typing_only))
    return out


def unit_edges(*, typing: bool = True) -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for src, dst, typing_only in imports():
        a, b = _unit(src), _unit(dst)
        if a != b and (typing or not typing_only):
            edges.setdefault((a, b), []).append(f"{src} imports {dst}")
    return edges


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """The strongly connected components of more than one unit (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_reader_sees_the_imports_it_should() -> None:
    """The reader itself: relative, absolute, function-level and TYPE_CHECKING imports all land on their unit."""
    found = {(s, d, t) for s, d, t in imports()}
    assert ("storyline.web.pages", "storyline.api.data", False) in found  # from ..api import data
    assert ("storyline.ingest.html", "storyline.store.Store", True) in found  # under TYPE_CHECKING
    assert ("storyline.cli.serve", "storyline.web.create_app", False) in found  # inside a function
    assert ("storyline.api.app", TOP, False) in found  # from .. import __version__: a name of the package
    assert cycles({("a", "b"): [], ("b", "c"): [], ("c", "a"): [], ("c", "d"): []}) == [["a", "b", "c"]]


def test_no_circles_between_packages() -> None:
    edges = unit_edges()
    found = cycles(edges)
    detail = {tuple(c): [m for (a, b), ms in edges.items() if a in c and b in c for m in ms[:2]] for c in found}
    assert not found, f"packages that import each other (directly or round a circle): {detail}"


def test_the_api_does_not_import_its_html_face() -> None:
    bad = unit_edges().get(("api", "web"), [])
    assert not bad, f"the API imports the web pages (web builds on the API, not the reverse): {bad}"


def test_nothing_but_the_cli_imports_the_cli() -> None:
    bad = [m for (a, b), ms in unit_edges().items() if b == "cli" and a != "cli" for m in ms]
    assert not bad, f"the CLI is a face: move what these need below it (e.g. storyline/present/): {bad}"


@pytest.mark.parametrize("upper", ["store", "service", "pipeline", "cli", "api", "web"])
def test_the_readers_in_ingest_stay_readers(upper: str) -> None:
    """Bytes in, RawItem or Rejected out: no store (beyond naming its type), no orchestration, no face."""
    bad = unit_edges(typing=False).get(("ingest", upper), [])
    assert not bad, f"ingest/ holds the readers only; {upper} is above them: {bad}"
