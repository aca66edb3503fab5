"""Shared fixtures. Everything is hermetic: temporary databases, files written by the tests themselves."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
DATA = SHARED / "data"
DEMO_CORPUS = REPO / "storyline" / "demo" / "corpus"  # articles only: every file in it is input


needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not present")
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not present")


@pytest.fixture
def server():
    """A local HTTP server on 127.0.0.1 for the web-ingest tests (tests/fixtures/web/server.py)."""
    from .fixtures.web.server import LocalServer

    with LocalServer() as srv:
        yield srv


from .pg_server import pg_server, pg_url  # noqa: E402,F401  (a real PostgreSQL server, tests/pg_server.py)


def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): run the test's `store` on each store backend named "
                                       "(sqlite, postgres)")


def pytest_generate_tests(metafunc):
    """A module or test marked ``@pytest.mark.backends("sqlite", "postgres")`` gets its ``store`` on each."""
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None and "store_backend" in metafunc.fixturenames:
        metafunc.parametrize("store_backend", marker.args)


@pytest.fixture
def store_backend():
    """The backend of the ``store`` fixture: SQLite unless the test is marked with ``backends``."""
    return "sqlite"


@pytest.fixture
def store(request, tmp_path, store_backend):
    from storyline.store import Store, open_store

    if store_backend == "postgres":
        s = open_store(request.getfixturevalue("pg_url"))
    elif store_backend == "sqlite":
        s = Store(tmp_path / "test.db")
    else:
        raise ValueError(f"store backend must be sqlite or postgres, got {store_backend!r}")
    yield s
    s.close()


def storyline_cli() -> list[str]:
    """The command line that runs the installed `storyline` console script (or the CLI module without it)."""
    exe = Path(sys.executable).with_name("storyline")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from storyline.cli import main; main()"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_db(src: Path, dst: Path) -> Path:
    """A private copy of a storyline database (its WAL checkpointed first), for tests that write."""
    from storyline.store import Store

    with Store(src) as s:
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(src, dst)
    return dst


def wait_until_serving(base: str, proc, timeout: float) -> bool:
    """Poll ``base``/api/health until it answers 200 (True), or ``proc`` exits or ``timeout`` passes (False)."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.2)
