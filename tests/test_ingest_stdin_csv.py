"""Standard input is sniffed: a CSV with a header naming a ``text`` column is read as CSV, not as one plain text."""

from __future__ import annotations

import pytest

from storyline.ingest.files import read_csv_bytes, read_text_bytes, sniff_reader


@pytest.mark.parametrize("data", [
    b"id,title,text\n1,Trains halted,Signal workers walked out on Monday.\n",
    b"\xef\xbb\xbftitle,text,date\r\nTrains halted,Signal workers walked out.,2024-05-01\r\n",
    b'"id","text"\n"1","Signal workers walked out on Monday."\n',
])
def test_csv_on_stdin_is_read_as_csv(data):
    reader = sniff_reader(data)
    assert reader is read_csv_bytes
    [item] = list(reader(data, "-"))
    assert "Signal workers walked out" in item.text and item.text != data.decode("utf-8-sig")


@pytest.mark.parametrize("data", [
    b"date 2021-10-09 Talks in Doha\n\nThe text, with commas, and the word text, in it.\n",
    b"Officials said the text of the deal, signed on Monday, was final.\n",
])
def test_prose_with_commas_stays_plain_text(data):
    assert sniff_reader(data) is read_text_bytes
