"""Clustering evaluation: metrics (B-cubed, pairwise) and the runner behind `storyline eval`."""

from .metrics import PRF, bcubed, pairwise

__all__ = ["PRF", "bcubed", "pairwise"]
