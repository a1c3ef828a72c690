"""News records (JSON, JSONL, stdin): keys, metadata and ids; a bad record is named by file and line, the good ones
load; one id for two different articles in a file is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.ingest.chunk import metadata_of
from assistant.ingest.load import load_file
from assistant.ingest.records import RecordErrors, record_document, stdin_documents

from conftest import write_jsonl


def one(path):
    (doc,) = load_file(path)
    return doc


def test_jsonl_records_keys_metadata_and_ids(tmp_path):
    p = write_jsonl(
        tmp_path / "news.jsonl",
        [
            {
                "id": "given-1",
                "title": "Biden&#039;s decision &amp; Kursk",
                "body": "Body one about Kursk.",
                "source": "Wire",
                "published_at": "2024-11-18T10:00:00+00:00",
                "url": "https://example.com/1",
                "author": "A. Writer",
                "category": "world",
            },
            {"title": "Second", "text": "Body two uses the text key."},
            {"title": "Third", "content": "Body three uses the content key.", "date": "2024-11-19"},
        ],
    )
    docs = load_file(p)
    assert [d.text for d in docs] == [
        "Body one about Kursk.",
        "Body two uses the text key.",
        "Body three uses the content key.",
    ]
    first, second, third = docs
    assert first.doc_id == "given-1"
    assert first.title == "Biden's decision & Kursk"
    assert (first.source, first.published_at, first.url, first.author, first.category) == (
        "Wire",
        "2024-11-18T10:00:00+00:00",
        "https://example.com/1",
        "A. Writer",
        "world",
    )
    meta = metadata_of(first)
    assert meta["source"] == "Wire" and meta["url"] == "https://example.com/1" and meta["published_day"] == 20241118
    assert third.published_at == "2024-11-19"
    # no id: a content-hash id, 16 hex characters, stable, and different for different content
    assert len(second.doc_id) == 16 and int(second.doc_id, 16) >= 0
    assert second.doc_id == second.content_hash[:16]
    assert second.doc_id != third.doc_id
    assert load_file(p)[1].doc_id == second.doc_id


def test_hash_id_changes_when_the_body_changes(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [{"title": "T", "body": "The first version."}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"title": "T", "body": "The second version."}])
    c = write_jsonl(tmp_path / "c.jsonl", [{"title": "T", "body": "The first version."}])
    ida, idb, idc = (load_file(x)[0].doc_id for x in (a, b, c))
    assert ida != idb
    assert ida == idc  # the id depends on the content, not on the file


def test_json_file_with_a_list_or_one_object(tmp_path):
    lst = tmp_path / "list.json"
    lst.write_text(
        json.dumps(
            [{"id": 7, "title": "Seven", "body": "Body seven."}, {"id": "8", "title": "Eight", "body": "Body eight."}]
        )
    )
    assert [(d.doc_id, d.title) for d in load_file(lst)] == [("7", "Seven"), ("8", "Eight")]
    obj = tmp_path / "obj.json"
    obj.write_text(json.dumps({"title": "Single", "content": "Just one record."}, indent=2))
    assert one(obj).title == "Single"


def test_record_without_title_takes_first_body_line(tmp_path):
    p = write_jsonl(tmp_path / "untitled.jsonl", [{"body": "Opening line here\nMore text follows."}])
    assert one(p).title == "Opening line here"


def test_same_record_twice_is_kept_once_but_conflicting_ids_fail(tmp_path):
    rec = {"id": "x", "title": "T", "body": "Same body."}
    assert len(load_file(write_jsonl(tmp_path / "dup.jsonl", [rec, rec]))) == 1
    bad = write_jsonl(tmp_path / "conflict.jsonl", [rec, {**rec, "body": "Other body."}])
    with pytest.raises(InputError, match=r"conflict\.jsonl:2: duplicate id 'x'"):
        load_file(bad)


@pytest.mark.parametrize(
    "line,problem",
    [
        ('["not", "an", "object"]', "expected a JSON object"),
        ('{"title": "no body"}', "no 'body', 'text' or 'content'"),
        ('{"title": "blank body", "body": "   "}', "no 'body', 'text' or 'content'"),
    ],
)
def test_bad_records_name_file_and_line(tmp_path, line, problem):
    p = tmp_path / "records.jsonl"
    p.write_text('{"title": "ok", "body": "fine"}\n\n' + line + "\n")
    with pytest.raises(InputError) as err:
        load_file(p)
    msg = str(err.value)
    assert msg.startswith(f"{p}:3") and problem in msg and "\n" not in msg


def test_malformed_jsonl_line_is_named_by_number(tmp_path):
    p = tmp_path / "feed.jsonl"
    p.write_text('{"title": "a", "body": "one"}\n{"title": "b", "body": "two"}\n\n{"title": "c", body: three}\n')
    with pytest.raises(InputError) as err:
        load_file(p)
    msg = str(err.value)
    assert msg.startswith(f"{p}:4: invalid JSON") and "\n" not in msg


@pytest.mark.parametrize("key", ["date", "publishedAt", "pubDate"])
def test_json_date_keys(tmp_path, key):
    p = tmp_path / "r.jsonl"
    p.write_text(json.dumps({"title": "T", "body": "Body.", key: "2024-06-15"}) + "\n")
    assert load_file(p)[0].published_at == "2024-06-15"


def test_the_good_records_of_a_file_with_bad_ones_ride_on_the_error(tmp_path):
    p = tmp_path / "feed.jsonl"
    p.write_text('{"title": "Ferry", "body": "Boats leave hourly."}\n{"title": "no body"}\n[1]\n')
    with pytest.raises(RecordErrors) as err:
        load_file(p)
    assert [d.title for d in err.value.documents] == ["Ferry"]
    assert [e.split(": ", 1)[0] for e in err.value.errors] == [f"{p}:2", f"{p}:3"]
    assert str(err.value) == err.value.errors[0]  # as any InputError: its first line


def test_a_record_is_read_wherever_it_comes_from(tmp_path):
    doc = record_document(Path("api"), {"title": "Ferry", "content": "Boats leave hourly.", "id": 7}, "records[0]")
    assert (doc.doc_id, doc.title, doc.text, doc.path) == ("7", "Ferry", "Boats leave hourly.", "api")
    with pytest.raises(InputError, match=r"^records\[1\]: expected a JSON object \(a news record\), got list$"):
        record_document(Path("api"), ["Ferry"], "records[1]")


def test_stdin_holds_jsonl_lines_or_one_array_and_is_named_stdin():
    lines = '{"title": "A", "body": "One."}\n{"title": "B", "body": "Two."}\n'
    assert [d.title for d in stdin_documents(lines)] == ["A", "B"]
    array = json.dumps([{"title": "A", "body": "One."}, {"title": "B", "body": "Two."}])
    assert [d.title for d in stdin_documents(array)] == ["A", "B"]
    with pytest.raises(InputError, match=r"^<stdin>: nothing on stdin; pipe JSONL records into `assistant ingest -`$"):
        stdin_documents("  \n")
    with pytest.raises(InputError, match=r"^<stdin>:2: invalid JSON"):
        stdin_documents('{"title": "A", "body": "One."}\n{oops\n')


def test_stdin_whose_first_line_opens_a_bracket_but_is_no_array_keeps_its_good_lines():
    from assistant.ingest.records import RecordErrors, stdin_documents

    text = '[not a record\n{"id": "harbor-1", "title": "Harbor", "body": "The harbor reopened on Monday."}\n'
    with pytest.raises(RecordErrors) as err:
        stdin_documents(text)
    assert [d.doc_id for d in err.value.documents] == ["harbor-1"] and len(err.value.errors) == 1
