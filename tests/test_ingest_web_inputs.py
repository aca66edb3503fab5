"""`read_inputs`: a URL with a scheme storyline does not fetch is rejected as such, not as a missing file."""

from __future__ import annotations

from storyline.ingest.web import read_inputs
from storyline.records import Rejected
from storyline.settings import Settings


def test_other_url_schemes_are_rejected_with_the_scheme_and_what_is_accepted(tmp_path):
    good = tmp_path / "a.txt"
    good.write_text("The bridge reopened on Monday after repairs, the city said.\n", "utf-8")
    out = list(read_inputs(["ftp://example.org/feed.rss", str(good), str(tmp_path / "missing.txt")], Settings()))
    ftp, kept, missing = out
    assert isinstance(ftp, Rejected) and ftp.ref == "ftp://example.org/feed.rss"
    assert ftp.reason == "unsupported-scheme" and "'ftp'" in ftp.detail and "https://" in ftp.detail
    assert not isinstance(kept, Rejected)
    assert isinstance(missing, Rejected) and missing.reason == "not-found"
