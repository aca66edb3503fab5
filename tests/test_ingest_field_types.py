"""JSON records with fields of the wrong type are rejected with the field, its type and value — never stored as a
Python repr like "['a', 'b']"; numbers still become strings and unknown object fields stay in ``extra``."""

from __future__ import annotations

import json

from storyline.ingest.structured import parse_json
from storyline.records import RawItem, Rejected

GOOD = "The harbor festival opens this weekend in town, organisers said."


def _one(rec):
    [item] = list(parse_json(json.dumps(rec), "f.json"))
    return item


def test_a_list_title_is_a_malformed_record():
    item = _one({"title": ["a", "b"], "text": GOOD})
    assert isinstance(item, Rejected) and item.reason == "malformed-record" and item.ref == "f.json:1"
    assert "'title'" in item.detail and "list" in item.detail and '["a", "b"]' in item.detail


def test_a_number_text_is_a_malformed_record_not_missing_text():
    item = _one({"title": "t", "text": 12345})
    assert isinstance(item, Rejected) and item.reason == "malformed-record" and "12345" in item.detail


def test_numbers_become_strings_and_unknown_objects_stay_in_extra():
    item = _one({"id": 7, "title": "t", "text": GOOD, "date": 1700000000, "meta": {"k": 1}})
    assert isinstance(item, RawItem)
    assert (item.external_id, item.date, item.extra["meta"]) == ("7", "1700000000", {"k": 1})
