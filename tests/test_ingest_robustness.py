"""Hostile and broken input never crashes a run or loses the good records beside it (found in a review pass)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.eval.runner import with_profile
from storyline.ingest.files import read_jsonl_bytes, read_paths, sniff_reader
from storyline.ingest.structured import parse_csv
from storyline.normalize import clean_line, clean_text, normalize, parse_date
from storyline.pipeline import ingest
from storyline.records import Origin, RawItem, Rejected
from storyline.settings import Settings
from storyline.store import Store

LEXICAL = with_profile(Settings(), "lexical")
BODY = "The city council of Example Town voted on Tuesday to approve a new budget for road repairs and schools."


def _run(tmp_path: Path, *paths: Path):
    with Store(tmp_path / "t.db") as store:
        stats = ingest(store, read_paths([str(p) for p in paths], LEXICAL.ingest), LEXICAL)
        return stats, store.query("SELECT title, date, warnings FROM articles ORDER BY title"), store.list_rejects()


@pytest.mark.parametrize("date", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"])
def test_a_date_beyond_the_datetime_range_is_a_warning_not_a_crash(tmp_path: Path, date: str) -> None:
    assert parse_date(date) == (None, f"date out of range {date!r}")
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [
        {"id": "1", "title": "Far date", "text": BODY, "date": date, "source": "A"},
        {"id": "2", "title": "Good one", "text": BODY + " Later.", "date": "2021-10-09", "source": "B"},
    ]) + "\n", encoding="utf-8")
    stats, rows, rejects = _run(tmp_path, f)
    assert (stats.seen, stats.accepted, stats.rejected) == (2, 2, 0)
    far = next(r for r in rows if r[0] == "Far date")
    assert far[1] is None and "out of range" in far[2]


def test_a_bare_year_is_the_first_of_january_whatever_the_day_of_ingest() -> None:
    dt, warning = parse_date("2021")
    assert warning is None and (dt.year, dt.month, dt.day) == (2021, 1, 1)


def test_unpaired_surrogates_are_replaced_and_reported(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    # json.dumps writes "\ud800" as an escape: what a truncated emoji looks like in a JSON export
    f.write_text("\n".join(json.dumps(r) for r in [
        {"title": "Broken \ud83d emoji", "text": BODY + " \udc00", "lang": "en\ud800", "source": "A",
         "note": {"k\ud800": ["v\udfff"]}},
        {"title": "Bad record", "text": ["\ud800"]},
        {"title": "Fine", "text": BODY + " Fine.", "source": "B"},
    ]) + "\n", encoding="utf-8")
    stats, rows, rejects = _run(tmp_path, f)
    assert (stats.seen, stats.accepted, stats.rejected) == (3, 2, 1)
    broken = next(r for r in rows if r[0].startswith("Broken"))
    assert broken[0] == "Broken \ufffd emoji"
    assert "5 unpaired UTF-16 surrogate(s)" in broken[2]
    assert rejects[0]["reason"] == "malformed-record" and "\\ud800" in rejects[0]["detail"]


def test_control_characters_never_reach_the_store() -> None:
    raw = RawItem(Origin("x.txt"), text="Body \x1b[31mred\x1b[0m text\x07 with\x00 controls\x9b and more words.",
                  title="Title \x1b]0;owned\x07 here")
    art = normalize(raw)
    assert not isinstance(art, Rejected)
    for s in (art.title, art.text):
        assert not any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) < 0xA0 for c in s)
    assert art.title == "Title ]0;owned here"
    assert clean_line("\t a\x0bb ") == "ab"


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_cleaning_drops_every_control_character_and_is_idempotent(s: str) -> None:
    for f in (clean_line, clean_text):
        out = f(s)
        assert f(out) == out
        assert not any((ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0 for c in out)


def test_a_csv_field_longer_than_pythons_default_limit_is_read_and_the_next_row_kept(tmp_path: Path) -> None:
    f = tmp_path / "big.csv"
    big = "word " * 30_000  # 150,000 characters: over csv's 131,072 default, under ingest.max_text_chars
    f.write_text(f'title,text,source\nBig,"{big}",A\nSmall after,{BODY},B\n', encoding="utf-8")
    stats, rows, rejects = _run(tmp_path, f)
    assert (stats.seen, stats.accepted, stats.rejected) == (2, 2, 0)
    assert [r[0] for r in rows] == ["Big", "Small after"]


def test_an_unterminated_quote_rejects_its_row_and_keeps_the_rows_after_it(tmp_path: Path) -> None:
    f = tmp_path / "q.csv"
    f.write_text("title,text,source\n"
                 f"Row one,{BODY},A\n"
                 'Row two,"The storm hit the coast on Monday cutting power,B\n'
                 f"Row three,{BODY} Three.,C\n"
                 f"Row four,{BODY} Four.,D\n", encoding="utf-8")
    stats, rows, rejects = _run(tmp_path, f)
    assert (stats.seen, stats.accepted, stats.rejected) == (4, 3, 1)
    assert [r[0] for r in rows] == ["Row four", "Row one", "Row three"]
    assert rejects[0]["ref"].endswith("q.csv:3") and "unterminated" in rejects[0]["detail"]


def test_a_malformed_quote_mid_file_rejects_only_its_row() -> None:
    text = f'title,text\nA,"{BODY}"junk\nB,{BODY}\nC,"multi\nline {BODY}"\n'
    out = list(parse_csv(text, "m.csv"))
    assert [type(x).__name__ for x in out] == ["Rejected", "RawItem", "RawItem"]
    assert out[0].ref == "m.csv:2"
    assert [x.title for x in out[1:]] == ["B", "C"]
    assert out[2].origin.record == 5  # the line the multi-line row ends on


rows_strategy = st.lists(
    st.tuples(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
              st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200)),
    min_size=1, max_size=8)


@given(rows_strategy)
@settings(max_examples=150, deadline=None)
def test_csv_written_by_the_csv_module_reads_back_record_for_record(rows: list[tuple[str, str]]) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(["title", "text"])
    w.writerows(rows)
    out = list(parse_csv(buf.getvalue(), "p.csv"))
    assert len(out) == len(rows)
    for (title, text), item in zip(rows, out):
        if isinstance(item, Rejected):
            assert not text.strip() and item.reason == "no-text"
        else:
            assert (item.title or "", item.text) == (title, text)


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_parse_csv_never_raises_on_arbitrary_text(text: str) -> None:
    for item in parse_csv("title,text\n" + text, "any.csv"):
        assert isinstance(item, (RawItem, Rejected))


def test_stdin_csv_with_a_body_column_and_indented_jsonl_are_sniffed() -> None:
    csv_data = f'title,body,source\nFirst,"{BODY}",A\nSecond,"{BODY} Two.",B\n'.encode()
    items = list(sniff_reader(csv_data)(csv_data, "-"))
    assert [i.title for i in items] == ["First", "Second"]
    jsonl = (b'  {"title": "A", "text": "Alpha text about things."}\n'
             b'  {"title": "B", "text": "Beta text about things."}\n')
    assert sniff_reader(jsonl) is read_jsonl_bytes


def test_a_run_interrupted_by_an_error_is_closed_with_what_it_committed(tmp_path: Path) -> None:
    s = with_profile(Settings(), "lexical")
    s = Settings(**{**{f: getattr(s, f) for f in s.__dataclass_fields__},
                    "ingest": type(s.ingest)(**{**{f: getattr(s.ingest, f) for f in s.ingest.__dataclass_fields__},
                                               "batch_size": 2})})

    def items():
        for i in range(5):
            yield RawItem(Origin("gen", i + 1), text=f"{BODY} Number {i}.", title=f"T{i}", source=f"S{i}")
        raise OSError("the feed went away")

    with Store(tmp_path / "t.db") as store:
        with pytest.raises(OSError, match="went away"):
            ingest(store, items(), s)
        run = store.runs()[-1]
        assert run["finished_at"] is not None
        assert run["error"] == "OSError: the feed went away"
        assert (run["seen"], run["accepted"]) == (4, 4)  # two committed batches of 2; the 5th item never was
        assert store.query("SELECT COUNT(*) FROM articles")[0][0] == 4


def test_clock_times_fractions_and_url_paths_are_not_figures() -> None:
    from storyline.records import Article
    from storyline.sentences import split_sentences
    from storyline.stories.figures import extract_figures

    text = ("Police arrived at 14:27 and again at about 6:30 pm. A third, 1/3 of homes, lost power. Read more at "
            "https://example.test/2026/03/08/fire. Some 250 residents fled and $2.1 billion was lost, 40% of crops.")
    art = Article("a-fig", "Fire", text, "S", None)
    figures = extract_figures(art, split_sentences(text))
    found = [text[f.start:f.end] for f in figures]
    # no count is a piece of a clock time, a fraction or a URL path; a time of day is read whole, as a time
    assert found == ["about 6:30 pm", "Some 250 residents", "$2.1 billion", "40%"]
    assert figures[0].unit == "time" and figures[0].value is None


def test_nan_and_infinity_are_not_json_and_an_empty_array_is_reported() -> None:
    from storyline.ingest.structured import parse_json, parse_jsonl_line

    bad = parse_jsonl_line(b'{"title": NaN, "text": "Some text about the council meeting."}', "f.jsonl", 3)
    assert isinstance(bad, Rejected) and bad.reason == "malformed-json" and "NaN" in bad.detail
    [inf] = list(parse_json('{"title": Infinity, "text": "x"}', "f.json"))
    assert isinstance(inf, Rejected) and "Infinity" in inf.detail
    [empty] = list(parse_json("[]", "e.json"))
    assert (empty.reason, empty.ref) == ("empty", "e.json")


def test_a_semicolon_separated_csv_gets_a_hint() -> None:
    out = list(parse_csv("title;text\nA;Some text, with a comma inside it.\n", "s.csv"))
    assert isinstance(out[0], Rejected) and "separated by ';'" in out[0].detail


def test_an_id_reused_for_a_different_text_is_flagged(tmp_path: Path) -> None:
    f = tmp_path / "ids.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [
        {"id": "x1", "title": "Budget", "text": BODY, "source": "A"},
        {"id": "x1", "title": "Budget", "text": BODY + " Corrected figure.", "source": "A"},
        {"id": "x1", "title": "Other outlet", "text": BODY + " Elsewhere.", "source": "B"},  # another outlet's id
    ]) + "\n", encoding="utf-8")
    g = tmp_path / "later.jsonl"
    g.write_text(json.dumps({"id": "x1", "title": "Budget", "text": BODY + " Second correction.", "source": "A"})
                 + "\n", encoding="utf-8")
    with Store(tmp_path / "t.db") as store:
        ingest(store, read_paths([str(f)], LEXICAL.ingest), LEXICAL)
        ingest(store, read_paths([str(g)], LEXICAL.ingest), LEXICAL)
        rows = store.query("SELECT id, source, text, warnings FROM articles ORDER BY rowid")
    first = rows[0][0]
    warned = [json.loads(r[3]) for r in rows]
    assert warned[0] == [] and warned[2] == []
    assert warned[1] == [f"id 'x1' of A was used before for a different text: article {first}"]
    assert warned[3] == [f"id 'x1' of A was used before for a different text: article {first}"]
