"""Load: files and directories → Documents; every bad input is one InputError line naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.ingest.load import load_file, load_paths

from conftest import write_jsonl


def one(path: Path):
    docs = load_file(path)
    assert len(docs) == 1
    return docs[0]


def test_same_file_given_twice_loads_once(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("X\nbody")
    result = load_paths([p, tmp_path, p])
    assert len(result.documents) == 1 and result.files == [p.resolve()]


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
