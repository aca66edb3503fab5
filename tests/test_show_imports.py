"""`storyline show` does not import scikit-learn (the story view's TF-IDF and stop words need none of it) nor
datasketch (reading stored copies needs no MinHash)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from storyline.stories.align import tfidf
from storyline.terms import ENGLISH_STOP_WORDS, terms

from .conftest import DEMO_CORPUS


def test_stop_words_are_scikit_learns() -> None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as SKLEARN

    assert ENGLISH_STOP_WORDS == SKLEARN


@pytest.mark.parametrize("texts", [
    ["The talks start on Saturday in Doha.", "Talks will start in Doha on Saturday, talks said.", "It rained.",
     "", "the and of", "Prices rose 5% as 1,200 workers struck in Doha; talks talks talks."],
    ["the", "and"],
    [],
    # wire copies: identical texts are analysed once, their document frequencies still count every copy
    ["Talks start in Doha.", "Prices rose in Doha.", "Talks start in Doha.", "Talks start in Doha.", "It rained."],
])
def test_tfidf_equals_scikit_learns_tfidf_vectorizer(texts: list[str]) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    got = tfidf(texts)
    assert got.shape[0] == len(texts) and got.dtype == np.float32
    try:
        want = TfidfVectorizer(analyzer=terms, sublinear_tf=True, norm="l2", dtype=np.float32).fit_transform(texts)
    except ValueError:  # empty vocabulary: scikit-learn refuses, tfidf gives all-zero rows
        assert got.nnz == 0
        return
    assert got.shape == want.shape
    assert (got != want).nnz == 0  # the same float32 values, not just close
    assert ((got @ got.T) != (want @ want.T)).nnz == 0


def test_storyline_show_does_not_import_sklearn(tmp_path: Path) -> None:
    """scikit-learn's import costs about a second (scipy.stats among it); `storyline show` must not pay it."""
    from storyline.eval.runner import with_profile
    from storyline.ingest.files import read_paths
    from storyline.pipeline import ingest
    from storyline.settings import Settings
    from storyline.store import Store

    files = sorted(p for p in DEMO_CORPUS.iterdir() if p.is_file())[:6]
    db = tmp_path / "t.db"
    with Store(db) as store:
        ingest(store, read_paths([str(p) for p in files]), with_profile(Settings(), "lexical"))
        sid = store.query("SELECT story_id FROM memberships GROUP BY story_id ORDER BY COUNT(*) DESC LIMIT 1")[0][0]
    code = (
        "import json, sys\n"
        "from storyline.cli import main\n"
        f"sys.argv = ['storyline', '--db', {str(db)!r}, '--set', 'stories.entities=rules', 'show', {sid!r},"
        " '--format', 'json']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
        "heavy = lambda top: sorted(m for m in sys.modules if m.split('.')[0] == top)\n"
        "print(json.dumps({'code': code, 'sklearn': heavy('sklearn'), 'datasketch': heavy('datasketch')}),"
        " file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    report = json.loads(out.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), out.stderr
    view = json.loads(out.stdout)
    assert view["id"] == sid and view["summary"]
    assert report["sklearn"] == []
    assert report["datasketch"] == []  # reading stored copies needs no MinHash (its import costs ~0.6-1.2 s)
