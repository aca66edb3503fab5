"""All SQL lives in storyline/store/: no module outside it runs a statement (``.execute``, ``.executemany``,
``.executescript``, ``.query``), reaches for a database connection (``.conn``, ``_conn``) or spells a SQL statement
in a string. The layers above speak records through Store methods, which each backend implements."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "storyline"

# Modules that still run SQL of their own and are being moved behind Store methods. Shrink-only: a module leaves
# this list in the change that cleans it (the test below fails while a listed module no longer needs its entry),
# and no module is ever added to it.
NOT_YET_BEHIND_THE_STORE: frozenset[str] = frozenset()

SQL_CALLS = {"execute", "executemany", "executescript", "query"}
CONNECTION_NAMES = {"conn", "_conn"}
SQL_TEXT = re.compile(r"\b(SELECT\b[\s\S]+\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                      r"CREATE\s+(TABLE|INDEX)|DROP\s+TABLE|PRAGMA\s+\w+)\b")


def sql_sites(source: str) -> list[tuple[int, str]]:
    """``(line, what)`` of every place ``source`` runs SQL, touches a connection or writes a SQL statement."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            found.append((node.lineno, f".{node.func.attr}(…)"))
        elif isinstance(node, ast.Attribute) and node.attr in CONNECTION_NAMES:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Name) and node.id in CONNECTION_NAMES:
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.search(node.value):
            found.append((node.lineno, f"SQL text {node.value.strip()[:40]!r}"))
    return sorted(set(found))


def modules_outside_the_store() -> dict[str, list[tuple[int, str]]]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("store/"):
            continue
        out[rel] = sql_sites(path.read_text("utf-8"))
    return out


def test_no_sql_outside_the_store() -> None:
    offenders = {m: sites for m, sites in modules_outside_the_store().items()
                 if sites and m not in NOT_YET_BEHIND_THE_STORE}
    assert not offenders, (
        "SQL outside storyline/store/ (add a Store method in storyline/store/ and its PostgreSQL twin in "
        "storyline/store/postgres/ instead): "
        + "; ".join(f"storyline/{m}:{line} {what}" for m, sites in offenders.items() for line, what in sites))


def test_the_not_yet_list_only_names_modules_that_still_run_sql() -> None:
    sites = modules_outside_the_store()
    stale = sorted(m for m in NOT_YET_BEHIND_THE_STORE if not sites.get(m))
    assert not stale, f"{stale} no longer run SQL (or are gone): remove them from NOT_YET_BEHIND_THE_STORE"


def test_the_check_sees_each_kind_of_sql_site() -> None:
    """The detector itself: each way of reaching the database is caught, and prose or other calls are not."""
    caught = sql_sites('''
store.query("SELECT 1")
store.conn.executemany("x", [])
self._conn = None
cur.executescript(script)
sql = "INSERT OR REPLACE INTO copies(article_id) VALUES (?)"
q = """SELECT a.id
       FROM articles a"""
''')
    assert [line for line, _ in caught] == [2, 3, 3, 4, 5, 6, 7]
    assert sql_sites('index.query_many(x)\ntext = "Select the stories you want from the list"\n'
                     'msg = "update the feed settings"\nstore.list_articles()\n') == []
