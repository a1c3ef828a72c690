"""Documents: title, text and metadata cleaned the same way for every format; the id; the date found in the text."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.ingest.documents import MAX_TITLE_CHARS, clean_title, content_hash, make_document

PATH = Path("/news/wire.jsonl")


def test_the_content_hash_is_the_sha256_of_the_parts_each_ended_by_a_nul():
    assert content_hash("Title", "Body", "") == hashlib.sha256(b"Title\x00Body\x00\x00").hexdigest()
    assert content_hash("ab", "c") != content_hash("a", "bc")
    long = "x" * (3 << 20)  # hashed a megabyte at a time: the same digest
    assert content_hash(long) == hashlib.sha256(long.encode() + b"\x00").hexdigest()


def test_a_title_is_one_unescaped_line_without_markers_and_bounded():
    assert clean_title("  Biden&#039;s\n call   [2] ") == "Biden's call (2)"
    cut = clean_title("word " * 100)
    assert len(cut) <= MAX_TITLE_CHARS and cut.endswith("…") and cut.startswith("word word")


def test_text_and_metadata_are_cleaned_and_the_id_is_given_or_hashed():
    record = {"id": " w-1 ", "source": "Coastal\u200b Times", "url": " https://e.com/a b ", "author": "A. Writer"}
    doc = make_document(PATH, "Ferry [1] times", "\ufeffBoats leave hourly [3].\r\n", record)
    assert (doc.doc_id, doc.title, doc.text) == ("w-1", "Ferry (1) times", "Boats leave hourly (3).")
    assert (doc.source, doc.url, doc.author, doc.path) == ("Coastal Times", "https://e.com/ab", "A. Writer", str(PATH))
    unnamed = make_document(PATH, "Ferry times", "Boats leave hourly.")
    assert unnamed.doc_id == unnamed.content_hash[:16]
    assert make_document(Path("/other.txt"), "Ferry times", "Boats leave hourly.").doc_id == unnamed.doc_id


def test_an_article_without_text_names_where_it_is():
    with pytest.raises(InputError, match=r"^records\[3\]: the article has no text; give it a body, text or content$"):
        make_document(PATH, "Title", " \u200b ", where="records[3]")


@pytest.mark.parametrize(
    "body, record, published, text",
    [
        # a snippet's date stamp is its date, and leaves the text
        ("Feb 7, 2021 ... The game was played.", {}, "2021-02-07", "The game was played."),
        # the same day as the record's date: still a stamp
        (
            "Feb 7, 2021 ... The game was played.",
            {"date": "2021-02-07T10:00"},
            "2021-02-07T10:00",
            "The game was played.",
        ),
        # another date given: not a stamp, the text stays whole
        ("Feb 7, 2021 ... The game.", {"published_at": "2022-01-05"}, "2022-01-05", "Feb 7, 2021 ... The game."),
        # no date given: a dateline opening the text
        ("KYIV, 18 November 2024 — Troops joined.", {}, "2024-11-18", "KYIV, 18 November 2024 — Troops joined."),
        # a date further on is about something else
        (
            "Troops joined.\nTalks began on 18 November 2024.",
            {},
            "",
            "Troops joined.\nTalks began on 18 November 2024.",
        ),
    ],
)
def test_the_date_is_given_or_found_at_the_start_of_the_text(body, record, published, text):
    doc = make_document(PATH, "Title", body, record)
    assert (doc.published_at, doc.text) == (published, text)


def test_a_dateline_is_read_after_a_title_that_opens_the_text():
    doc = make_document(PATH, "Troops mass", "Troops mass\nKYIV, 18 November 2024 — Over 10,000 joined.")
    assert doc.published_at == "2024-11-18"
