"""Files: what a walk of the given paths finds, and how a file is opened and read (the input is untrusted)."""

from __future__ import annotations

import pytest

from assistant.errors import InputError
from assistant.ingest.load import load_paths

from conftest import write_jsonl


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


def test_a_walk_takes_supported_files_in_order_and_lists_the_others(tmp_path):
    from assistant.ingest.files import unsupported_in, walk

    root = tmp_path / "corpus"
    (root / "b").mkdir(parents=True)
    (root / ".git").mkdir()
    for name in ("b/z.txt", "a.md", "notes.odt", ".draft.txt", ".git/config.txt", ".git/packed.bin"):
        (root / name).write_text("Title\nbody")
    found, notes = walk(root, follow_external_links=False)
    assert found == [root / "a.md", root / "b" / "z.txt"] and notes == []
    # what ingest does not read is listed, never dropped silently; hidden files and folders are left out of both
    assert unsupported_in([root]) == [root / "notes.odt"]
    assert unsupported_in([root / "a.md"]) == []  # a file given by name is not a directory to list


def test_a_link_leaving_the_directory_is_a_note_and_a_link_inside_it_is_followed(tmp_path):
    from assistant.ingest.files import walk

    outside = tmp_path / "outside.txt"
    outside.write_text("Outside\nbody")
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "inside.txt").write_text("Inside\nbody")
    (root / "to-inside.txt").symlink_to(root / "inside.txt")
    (root / "to-outside.txt").symlink_to(outside)
    (root / "loop.txt").symlink_to(root / "loop.txt")
    found, notes = walk(root, follow_external_links=False)
    assert found == [root / "inside.txt", root / "to-inside.txt"]
    assert any("to-outside.txt" in n and "not followed" in n for n in notes)
    assert any("loop.txt" in n and "loops back" in n for n in notes)
    assert walk(root, follow_external_links=True)[0] == [
        root / "inside.txt",
        root / "to-inside.txt",
        root / "to-outside.txt",
    ]


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "the file is empty"),
        (b"plain\x00bytes", "looks like a binary file"),
        ("na\u00efve".encode("latin-1"), "not valid UTF-8 (byte 2)"),
    ],
)
def test_text_that_cannot_be_read_is_one_line_naming_the_file(tmp_path, data, words):
    from assistant.ingest.files import read_text

    p = tmp_path / "f.txt"
    p.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_text(p)
    assert str(err.value).startswith(f"{p}: ") and words in str(err.value) and "\n" not in str(err.value)


def test_read_text_drops_the_byte_order_mark_and_keeps_the_rest(tmp_path):
    from assistant.ingest.files import read_text

    p = tmp_path / "bom.txt"
    p.write_bytes("\ufeffTitle\r\nbody".encode())
    assert read_text(p) == "Title\r\nbody"


def test_a_directory_opened_as_a_file_is_refused(tmp_path):
    from assistant.ingest.files import open_regular

    with pytest.raises(InputError, match="not a regular file"):
        open_regular(tmp_path)
