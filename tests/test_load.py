"""Load: files and directories → Documents; every bad input is one InputError line naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.ingest.chunk import metadata_of
from assistant.ingest.load import load_file, load_paths

from conftest import write_jsonl


def one(path: Path):
    docs = load_file(path)
    assert len(docs) == 1
    return docs[0]


# ---- text and markdown


def test_plain_text_title_is_first_line_and_stays_in_body(tmp_path):
    p = tmp_path / "story.txt"
    p.write_text("Floods close mountain pass\n\nHeavy rain closed the Brenner pass for six hours on Monday.\n")
    doc = one(p)
    assert doc.title == "Floods close mountain pass"
    assert doc.text.startswith("Floods close mountain pass")
    assert "closed the Brenner pass for six hours" in doc.text
    assert doc.path == str(p)


def test_long_first_line_gives_a_shortened_title(seed_file, seed_text):
    doc = one(seed_file)
    first_line = seed_text.splitlines()[0]
    assert len(first_line) > 200  # the seed opens with a long paragraph, not a headline
    assert len(doc.title) < 200
    assert first_line.startswith(doc.title.rstrip("…"))
    assert "190 miles" in doc.text and "50,000 Russian troops" in doc.text


def test_markdown_heading_is_title_and_leaves_body(tmp_path):
    p = tmp_path / "note.md"
    p.write_text("# Council approves budget\n\nThe council approved a 4.2 million budget.\n\nIt passed 7 to 2.\n")
    doc = one(p)
    assert doc.title == "Council approves budget"
    assert "# Council approves budget" not in doc.text
    assert "approved a 4.2 million budget" in doc.text and "passed 7 to 2" in doc.text


def test_markdown_heading_after_a_first_line(tmp_path):
    p = tmp_path / "note.markdown"
    p.write_text("Posted Tuesday\n# Wind farm opens offshore\nThe turbines deliver 600 megawatts.\n")
    doc = one(p)
    assert doc.title == "Wind farm opens offshore"
    assert "600 megawatts" in doc.text


def test_utf8_bom_is_not_part_of_the_title(tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes("\ufeffBOM headline\nBody text about the river.\n".encode("utf-8"))
    assert one(p).title == "BOM headline"


# ---- html


HTML = """<!doctype html>
<html><head><title>Kursk &amp; beyond: Biden&#039;s call</title>
<style>.headline { color: red }</style>
<script>var tracker = "SCRIPT_SECRET";</script></head>
<body><nav>Home | World | NAVLINK</nav>
<article><h1>Missiles approved</h1>
<p>Ukraine may use <b>ATACMS</b> with a range of about 190 miles.</p>
<p>North Korean troops joined Russian forces.</p>
<script>document.write("INLINE_SCRIPT")</script></article>
<footer>Copyright FOOTERTEXT</footer></body></html>
"""


def test_html_markup_stripped_title_kept_script_gone(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(HTML)
    doc = one(p)
    assert doc.title == "Kursk & beyond: Biden's call"
    assert "Ukraine may use ATACMS with a range of about 190 miles." in doc.text
    assert "North Korean troops joined Russian forces." in doc.text
    for gone in ("SCRIPT_SECRET", "INLINE_SCRIPT", "color: red", "<p>", "<b>", "NAVLINK", "FOOTERTEXT"):
        assert gone not in doc.text


def test_html_without_title_uses_h1_or_file_name(tmp_path):
    p = tmp_path / "plain.htm"
    p.write_text("<html><body><h1>Only a heading</h1><p>And a paragraph of text.</p></body></html>")
    assert one(p).title == "Only a heading"
    q = tmp_path / "bare-page.html"
    q.write_text("<html><body><div>Just some text in a div.</div></body></html>")
    doc = one(q)
    assert doc.title == "bare-page"
    assert doc.text == "Just some text in a div."


def test_html_with_no_readable_text_is_an_input_error(tmp_path):
    p = tmp_path / "empty.html"
    p.write_text("<html><head><script>var x = 1;</script></head><body></body></html>")
    with pytest.raises(InputError) as err:
        load_file(p)
    assert str(p) in str(err.value) and "\n" not in str(err.value)


# ---- json and jsonl records


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


# ---- directories


def test_directory_is_loaded_recursively_in_stable_order(tmp_path):
    root = tmp_path / "corpus"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "b.txt").write_text("B title\nB body text.")
    (root / "sub" / "a.md").write_text("# A title\nA body text.")
    (root / "sub" / "deeper" / "c.html").write_text("<title>C title</title><p>C body text.</p>")
    write_jsonl(root / "sub" / "d.jsonl", [{"title": "D1", "body": "d one"}, {"title": "D2", "body": "d two"}])
    (root / "ignored.png").write_bytes(b"\x89PNG")
    (root / ".hidden" / "secret.txt").write_text("Hidden\nnot loaded")
    result = load_paths([root])
    assert result.errors == []
    assert sorted(d.title for d in result.documents) == ["A title", "B title", "C title", "D1", "D2"]
    assert len(result.files) == 4
    assert load_paths([root]).documents == result.documents  # deterministic


def test_same_file_given_twice_loads_once(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("X\nbody")
    result = load_paths([p, tmp_path, p])
    assert len(result.documents) == 1 and result.files == [p.resolve()]


# ---- bad inputs: one InputError, one line, naming the file


BAD_FILES = {
    "empty": ("empty.txt", b"", "empty"),
    "whitespace": ("blank.md", b"  \n\n\t\n", "empty"),
    "binary": ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    "invalid_utf8": ("latin1.txt", "Caf\u00e9 au lait, na\u00efve r\u00e9sum\u00e9".encode("latin-1"), "UTF-8"),
    "unsupported": ("report.xyz", b"some text", "unsupported file type '.xyz'"),
    "no_suffix": ("README", b"some text", "unsupported file type"),
    "invalid_json": ("broken.json", b'{"title": "x", "body": ', "invalid JSON"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_one_line_input_error_naming_it(tmp_path, case):
    name, data, words = BAD_FILES[case]
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(InputError) as err:
        load_file(p)
    msg = str(err.value)
    assert str(p) in msg and words in msg
    assert "\n" not in msg and "Traceback" not in msg


def test_malformed_jsonl_line_is_named_by_number(tmp_path):
    p = tmp_path / "feed.jsonl"
    p.write_text('{"title": "a", "body": "one"}\n{"title": "b", "body": "two"}\n\n{"title": "c", body: three}\n')
    with pytest.raises(InputError) as err:
        load_file(p)
    msg = str(err.value)
    assert msg.startswith(f"{p}:4: invalid JSON") and "\n" not in msg


def test_missing_path_is_reported_not_raised(tmp_path):
    missing = tmp_path / "nope" / "gone.txt"
    result = load_paths([missing])
    assert result.documents == [] and len(result.errors) == 1
    assert str(missing) in result.errors[0] and "no such file" in result.errors[0]


def test_directory_without_loadable_files_is_reported(tmp_path):
    d = tmp_path / "images"
    d.mkdir()
    (d / "a.png").write_bytes(b"\x89PNG")
    result = load_paths([d])
    assert result.documents == [] and len(result.errors) == 1 and str(d) in result.errors[0]


def test_bad_files_are_skipped_whole_bad_lines_alone(tmp_path):
    d = tmp_path / "mixed"
    write_jsonl(d / "good.jsonl", [{"title": "Good", "body": "Good body."}])
    (d / "bad.jsonl").write_text('{"title": "First ok", "body": "would load"}\n{oops\n')
    (d / "empty.txt").write_text("")
    result = load_paths([d])
    assert [doc.title for doc in result.documents] == ["First ok", "Good"]  # the good line of bad.jsonl loads
    assert result.files == [(d / "bad.jsonl").resolve(), (d / "good.jsonl").resolve()]
    assert result.partial == [(d / "bad.jsonl").resolve()]
    assert len(result.errors) == 2
    assert any("bad.jsonl:2: invalid JSON" in e for e in result.errors) and any("empty.txt" in e for e in result.errors)
