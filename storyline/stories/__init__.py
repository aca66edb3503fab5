"""The story view: what the sources agree on, where they differ, who said what — every statement cited.

>>> from storyline.stories import build_view_from_articles  # pure, no store
"""

from .align import AlignedPair, Alignment, SentenceRef, align_sentences
from .model import StoryView
from .view import build_view, build_view_from_articles

__all__ = ["AlignedPair", "Alignment", "SentenceRef", "StoryView", "align_sentences", "build_view",
           "build_view_from_articles"]
