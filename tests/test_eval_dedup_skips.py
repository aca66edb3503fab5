"""`storyline eval-dedup`: records with an empty or missing text are counted as skipped, not scored."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from storyline.copies.evaluate import evaluate_records, has_text
from storyline.copies.generate import GeneratorConfig, generate

from .conftest import storyline_cli

BODY = ("The regional council approved the new flood barrier on Tuesday after a three-hour debate. Engineers said "
        "the barrier would protect about 4,000 homes along the river. Construction is due to start in the spring "
        "and last two years, the council said. Opponents argued that the cost had doubled since the plan was first "
        "presented to residents last autumn.")
OTHER = ("Officials from the council said on Tuesday that a barrier against floods had won approval. About 4,000 "
         "homes near the river would be protected, according to engineers, and building begins in spring. Critics "
         "pointed to costs that have risen sharply since residents first saw the plan.")


def corpus() -> list[dict]:
    return [
        {"id": "a", "cluster": "c1", "source": "A", "title": "Barrier approved", "text": BODY},
        {"id": "b", "cluster": "c1", "source": "B", "title": "Council backs barrier", "text": OTHER},
        {"id": "e1", "cluster": "c1", "source": "C", "title": "Barrier", "text": ""},
        {"id": "e2", "cluster": "c1", "source": "D", "title": "Barrier"},
        {"id": "e3", "cluster": "c1", "source": "E", "title": "Barrier", "text": "  \n\t "},
        {"id": "e4", "cluster": "c1", "source": "F", "title": "Barrier", "text": None},
        {"id": "e5", "cluster": "c1", "source": "G", "title": "Barrier", "text": 42},
    ]


def test_has_text() -> None:
    assert [r["id"] for r in corpus() if has_text(r)] == ["a", "b"]


def test_records_without_text_are_skipped_and_counted_not_scored() -> None:
    records = list(generate(corpus(), GeneratorConfig(seed=1, copy_rate=1.0, rewrite_rate=1.0)))
    report = evaluate_records(records)
    with_text = [r for r in records if has_text(r)]
    assert report.n_skipped == 5 and report.skipped == ("e1", "e2", "e3", "e4", "e5")
    assert report.n_records == len(with_text)
    # the same scores as a file that never had the empty records
    clean = evaluate_records(with_text)
    assert (report.n_pairs, report.confusion, report.independent_pairs) == \
        (clean.n_pairs, clean.confusion, clean.independent_pairs)
    # only "a" and "b" are same-story originals with text: one independent pair, not the 21 pairs of 7 originals
    assert report.independent_pairs == 1
    d = report.as_dict()
    assert d["n_skipped"] == 5 and d["skipped"] == ["e1", "e2", "e3", "e4", "e5"]


def test_cli_reports_skipped_records(tmp_path: Path) -> None:
    f = tmp_path / "c.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in corpus()), "utf-8")
    out = subprocess.run(storyline_cli() + ["eval-dedup", str(f), "--format", "json"], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["n_skipped"] == 5 and report["skipped"] == ["e1", "e2", "e3", "e4", "e5"]
    table = subprocess.run(storyline_cli() + ["eval-dedup", str(f)], capture_output=True, text=True, timeout=300)
    assert table.returncode == 0, table.stderr
    assert "5 skipped (no text)" in table.stdout
    assert "5 record(s) without text skipped, not scored: 'e1', 'e2', 'e3', 'e4', 'e5'" in table.stderr
