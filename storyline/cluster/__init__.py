"""Story clustering: each arriving article joins the best existing story or starts a new one."""

from .base import Clusterer, make_clusterer

__all__ = ["Clusterer", "make_clusterer"]
