import io
import json

from storyline.ingest import read_paths
from storyline.records import RawItem, Rejected


def _items(paths, **kw):
    return list(read_paths(paths, **kw))


def test_jsonl_keeps_good_lines_and_rejects_the_broken_one_with_its_line(tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_text('{"id": "1", "title": "T1", "text": "Body one."}\n{"id": 2, "title": \n\n'
                 '{"id": "3", "title": "T3", "text": "Body three.", "section": "world"}\n', encoding="utf-8")
    items = _items([f])
    good = [i for i in items if isinstance(i, RawItem)]
    bad = [i for i in items if isinstance(i, Rejected)]
    assert [g.external_id for g in good] == ["1", "3"]
    assert good[1].extra == {"section": "world"}
    assert good[1].origin.record == 4
    assert len(bad) == 1 and bad[0].ref.endswith("a.jsonl:2") and bad[0].reason == "malformed-json"


def test_json_object_and_array(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps({"title": "A", "text": "x y z", "source": "Daily"}))
    (tmp_path / "many.json").write_text(json.dumps([{"title": "B", "text": "b"}, {"title": "C", "body": "c"}, 5]))
    items = _items([tmp_path / "one.json", tmp_path / "many.json"])
    assert [type(i).__name__ for i in items] == ["RawItem", "RawItem", "RawItem", "Rejected"]
    assert items[0].source == "Daily" and items[2].text == "c"
    assert items[3].ref.endswith("many.json:3")


def test_csv_with_header_and_extra_columns(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text('id,title,text,date,source,topic\n1,Hello,"Line one,\nline two",2021-10-09,Wire,politics\n'
                 '2,Headline only,,2021-10-09,Wire,x\n3,,,2021-10-09,Wire,x\n', encoding="utf-8")
    items = _items([f])
    assert isinstance(items[0], RawItem) and items[0].text == "Line one,\nline two"
    assert items[0].extra == {"topic": "politics"} and items[0].date == "2021-10-09"
    assert isinstance(items[1], RawItem) and items[1].title == "Headline only" and items[1].text == ""
    assert isinstance(items[2], Rejected) and items[2].reason == "no-text"


def test_record_without_title_and_text_is_rejected(tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_text('{"title": " ", "source": "Wire"}\n')
    [r] = _items([f])
    assert isinstance(r, Rejected) and r.reason == "no-text" and r.ref.endswith(":1")


def test_directory_is_walked_recursively_in_order_and_unknown_files_reported(tmp_path):
    from storyline.ingest import WalkReport

    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("Zed body text here.")
    (tmp_path / "a.txt").write_text("Aye body text here.")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n")
    report = WalkReport()
    items = _items([tmp_path], report=report)
    assert [i.text for i in items] == ["Aye body text here.", "Zed body text here."]
    assert report.skipped == [str(tmp_path / "image.png")]


def test_stdin_jsonl_and_text_are_sniffed():
    data = b'{"title": "A", "text": "one"}\n{"title": "B", "text": "two"}\n'
    items = _items(["-"], stdin=io.BytesIO(data))
    assert [i.title for i in items] == ["A", "B"] and all(i.origin.path == "-" for i in items)
    [t] = _items(["-"], stdin=io.BytesIO(b"date 2021-01-02 Head\n\nBody."))
    assert t.title == "Head" and t.date == "2021-01-02"


def test_bad_files_become_rejects_with_reasons(tmp_path):
    from storyline.settings import IngestSettings

    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (tmp_path / "big.txt").write_text("word " * 400)
    items = _items([tmp_path], settings=IngestSettings(max_file_bytes=1000))
    reasons = {i.ref.split("/")[-1].split(":")[0]: i.reason for i in items}
    assert reasons == {"big.txt": "too-large", "blob.txt": "binary", "empty.txt": "empty", "latin.txt": "undecodable"}
    assert all(isinstance(i, Rejected) for i in items)


def test_missing_path_is_rejected_not_raised(tmp_path):
    [r] = _items([tmp_path / "nope.txt"])
    assert r.reason == "not-found"
