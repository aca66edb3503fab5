"""What a stored story or article looks like as plain data, shared by the faces that show it: the CLI's
``show --format json``, the JSON API and the web pages. Reads the store through its methods; renders nothing."""

from .payloads import article_payload, story_payload

__all__ = ["article_payload", "story_payload"]
