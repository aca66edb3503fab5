"""Copies, rewrites and origins: near-duplicate detection (MinHash LSH), pair relations and provenance."""

from .align import PairAlignment, align_pair
from .detector import CopyDetector, copies_for_story, provenance_summary, rebuild
from .minhash import BandIndex, LSHIndex, Signer
from .relation import PairJudge, PairJudgement

__all__ = [
    "BandIndex", "CopyDetector", "LSHIndex", "PairAlignment", "PairJudge", "PairJudgement", "Signer", "align_pair",
    "copies_for_story", "provenance_summary", "rebuild",
]
