"""storyline: group news reports from many outlets into stories; show what sources agree on and where they differ.

The public Python API::

    from storyline import Store, ingest, read_paths
    store = Store("storyline.db")
    stats = ingest(store, read_paths(["reports/"]))
    for story in store.list_stories():
        print(story.id, story.headline, story.sources)
"""

from .errors import ConfigError, NotFound, NotInstalled, StorylineError
from .ingest import read_paths
from .normalize import clean_text, normalize, parse_date
from .pipeline import Pipeline, ingest, open_pipeline
from .records import Article, Assignment, Origin, RawItem, Rejected, RunStats, Story
from .settings import Settings, load_settings
from .store import Store

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Assignment",
    "ConfigError",
    "NotFound",
    "NotInstalled",
    "Origin",
    "Pipeline",
    "RawItem",
    "Rejected",
    "RunStats",
    "Settings",
    "Store",
    "Story",
    "StorylineError",
    "clean_text",
    "ingest",
    "load_settings",
    "normalize",
    "open_pipeline",
    "parse_date",
    "read_paths",
]
