"""Exceptions. Messages say what failed, the offending value, the valid options and a hint."""

from __future__ import annotations


class StorylineError(Exception):
    """Base class for errors a user can act on (the CLI prints them as one line)."""


class ConfigError(StorylineError):
    """A setting has an invalid name or value."""


class NotFound(StorylineError):
    """A story, article or other object does not exist."""


class NotInstalled(StorylineError):
    """An optional dependency is missing; the message names the install command."""

    def __init__(self, package: str, extra: str):
        super().__init__(
            f"this feature needs the '{package}' package, which is not installed; "
            f"install it with: pip install 'storyline[{extra}]'"
        )
