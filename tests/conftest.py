"""Shared fixtures. Everything is hermetic: temporary databases, files written by the tests themselves."""

from __future__ import annotations

import os
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
def store(tmp_path):
    from storyline.store import Store

    s = Store(tmp_path / "test.db")
    yield s
    s.close()
