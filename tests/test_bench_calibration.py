"""bench/calibration.py's reliability arithmetic on hand-made predictions."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location("calibration", Path(__file__).resolve().parents[1] / "bench" /
                                              "calibration.py")
calibration = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(calibration)


def test_a_calibrated_model_has_no_calibration_error_and_an_overconfident_one_has():
    # P 0.25 for four pairs of which one joins, P 0.95 (and 1.0, the last bin's edge) for pairs that all join
    brier, ece, rows = calibration.reliability([0.25, 0.25, 0.25, 0.25, 0.95, 1.0], [1, 0, 0, 0, 1, 1])
    assert ece == pytest.approx(2 / 6 * 0.025)  # the top bin: mean P 0.975 against 1.0
    assert [(round(p, 3), y, n) for p, y, n in rows] == [(0.25, 0.25, 4), (0.975, 1.0, 2)]
    assert math.isclose(brier, (0.75 ** 2 + 3 * 0.25 ** 2 + 0.05 ** 2) / 6)
    _, ece, _ = calibration.reliability([0.9, 0.9, 0.9, 0.9], [0, 0, 0, 1])
    assert ece == pytest.approx(0.65)
    assert calibration.reliability([], []) == (0.0, 0.0, [])
