"""One id, one article: when a document whose id was seen before names another article (``names_other_article``),
and how each write path acts on it."""

from __future__ import annotations

import pytest

from assistant.ingest.ids import Seen, names_other_article


@pytest.mark.parametrize(
    "first, content_hash, where, other",
    [
        (None, "h1", "a.jsonl:1", False),  # the first use of the id
        (Seen("a.jsonl:1", "h1"), "h1", "a.jsonl:3", False),  # the same article again: kept once
        (Seen("a.jsonl:1", "h1"), "h2", "a.jsonl:3", True),  # another article, another line
        (Seen("/news/a.txt", "h1"), "h2", "/news/b.txt", True),  # another article, another file
        (Seen("/news/a.txt", "h1"), "h2", "/news/a.txt", False),  # the file's new version replaces the old
        (Seen("", "h1"), "h2", "/news/a.txt", False),  # stored from Python: where it came from is not known
        (Seen("/news/a.txt", "h1"), "h2", "", False),  # added from Python
        (Seen("/news/b.txt", ""), "h1", "/news/c.txt", True),  # an id known to name several articles
    ],
)
def test_another_article_is_other_content_from_another_place(first, content_hash, where, other):
    assert names_other_article(first, content_hash, where) is other


def test_within_a_file_neither_article_is_indexed_and_the_rest_is(tmp_path):
    from assistant.ingest.load import load_paths

    (tmp_path / "feed.jsonl").write_text(
        '{"id": "x", "body": "First article."}\n{"id": "y", "body": "Other."}\n{"id": "x", "body": "Second article."}\n'
    )
    loaded = load_paths([tmp_path / "feed.jsonl"])
    assert [d.doc_id for d in loaded.documents] == ["y"]
    assert loaded.errors == [
        f"{tmp_path / 'feed.jsonl'}:3: duplicate id 'x' (also at {tmp_path / 'feed.jsonl'}:1) for a different article; "
        "neither is indexed: ids must be unique"
    ]


def test_between_files_neither_is_indexed_and_a_third_is_refused_too(tmp_path):
    from assistant.ingest.load import load_paths

    for name, body in (("a.jsonl", "One."), ("b.jsonl", "Two."), ("c.jsonl", "Three.")):
        (tmp_path / name).write_text(f'{{"id": "x", "body": "{body}"}}\n')
    loaded = load_paths([tmp_path])
    assert loaded.documents == [] and len(loaded.errors) == 2
    assert "b.jsonl: id 'x' is also the id of a different article in" in loaded.errors[0]
    assert "c.jsonl: id 'x' is used by several different articles" in loaded.errors[1]
    assert sorted(p.name for p in loaded.partial) == ["a.jsonl", "b.jsonl", "c.jsonl"]
