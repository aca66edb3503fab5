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


@pytest.fixture
def store(tmp_path):
    from storyline.store import Store

    s = Store(tmp_path / "test.db")
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
