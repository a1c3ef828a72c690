"""Write (index/writer.py), through the Assistant API: idempotent, changed files replace their chunks, bad input never
costs data, an id indexed from another file for another article is refused; the report of a write."""

from __future__ import annotations

import json

import pytest

from assistant.errors import AssistantError, EmptyIndexError, ModelMismatchError, NotFoundError
from assistant.index.writer import HTTP_FIELDS, MCP_FIELDS, IngestReport, refuse_foreign_ids
from assistant.types import Document

from conftest import write_jsonl
from fakes import StoredStates


def snapshot(a):
    """Everything indexed: chunk id → (text, doc_id)."""
    got = a.store.get()
    return {i: (t, m["doc_id"]) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"])}


def long_text(tag: str, n: int = 25) -> str:
    return "\n\n".join(
        f"{tag} paragraph {i}: the {tag} council met on day {i} and discussed the {tag} harbour budget "
        f"of {i * 37} thousand, with {i + 3} members voting in favour."
        for i in range(n)
    )


def test_ingest_seeds_lists_one_document_with_its_chunks(seeded, seed_file):
    rows = seeded.sources()
    assert len(rows) == 1
    row = rows[0]
    assert row["path"] == str(seed_file.resolve())
    assert row["chunks"] > 1 and row["chunks"] == seeded.store.count()
    assert set(row) >= {"doc_id", "title", "source", "published_at", "url", "path", "chunks"}
    info = seeded.info()
    assert info["documents"] == 1 and info["chunks"] == row["chunks"] and info["llm"] == "extractive"
    assert info["embedder"] == "local:all-MiniLM-L6-v2"


def test_report_counts(assistant, seeds_dir):
    progress = []
    report = assistant.ingest([seeds_dir], progress=lambda done, total: progress.append((done, total)))
    assert report.files == 1 and report.errors == [] and len(report.added) == 1
    assert report.chunks == assistant.store.count()
    assert progress and progress[-1] == (1, 1)


def test_reingest_unchanged_changes_nothing(seeded, seeds_dir, make_assistant):
    before = snapshot(seeded)
    report = seeded.ingest([seeds_dir])
    assert report.unchanged == [seeded.sources()[0]["doc_id"]]
    assert report.added == report.updated == report.removed == [] and report.chunks == 0
    assert snapshot(seeded) == before
    # and from a new Assistant (a new process would see the same on-disk index)
    again = make_assistant()
    assert again.ingest([seeds_dir]).chunks == 0
    assert snapshot(again) == before


def test_changed_text_file_replaces_its_old_chunks(assistant, tmp_path):
    p = tmp_path / "corpus" / "story.txt"
    p.parent.mkdir()
    p.write_text("Old headline\n\n" + long_text("oldtown"))
    first = assistant.ingest([p])
    old_id = first.added[0]
    assert assistant.store.count() > 2
    p.write_text("New headline\n\n" + long_text("newville", 8))
    second = assistant.ingest([p])
    assert second.removed == [old_id] and len(second.added) == 1 and second.added[0] != old_id
    rows = assistant.sources()
    assert [r["doc_id"] for r in rows] == second.added and rows[0]["title"] == "New headline"
    snap = snapshot(assistant)
    assert len(snap) == rows[0]["chunks"] == second.chunks
    texts = [t for t, _ in snap.values()]
    assert not any("oldtown" in t for t in texts)
    assert len(set(texts)) == len(texts)  # no duplicates
    # the question about the old text finds only new text now
    assert all("oldtown" not in p.text for p in assistant.retrieve("oldtown council budget"))


def test_changed_record_with_a_given_id_is_updated_in_place(assistant, tmp_path):
    p = write_jsonl(
        tmp_path / "feed.jsonl",
        [
            {"id": "r1", "title": "Long", "body": long_text("before")},
            {"id": "r2", "title": "Other", "body": "Unrelated short record."},
        ],
    )
    assistant.ingest([p])
    n_before = {r["doc_id"]: r["chunks"] for r in assistant.sources()}
    assert n_before["r1"] > 2
    write_jsonl(
        p,
        [
            {"id": "r1", "title": "Short now", "body": "After the edit, a single sentence."},
            {"id": "r2", "title": "Other", "body": "Unrelated short record."},
        ],
    )
    report = assistant.ingest([p])
    assert report.updated == ["r1"] and report.unchanged == ["r2"] and report.removed == []
    snap = snapshot(assistant)
    assert sorted(snap) == ["r1:0", "r2:0"]
    assert snap["r1:0"][0] == "After the edit, a single sentence."


def test_record_dropped_from_a_file_is_removed(assistant, tmp_path):
    p = write_jsonl(
        tmp_path / "feed.jsonl",
        [
            {"id": "keep", "title": "K", "body": "Kept record body."},
            {"id": "drop", "title": "D", "body": "Dropped record body."},
        ],
    )
    assistant.ingest([p])
    write_jsonl(p, [{"id": "keep", "title": "K", "body": "Kept record body."}])
    report = assistant.ingest([p])
    assert report.removed == ["drop"]
    assert [r["doc_id"] for r in assistant.sources()] == ["keep"]


def test_remove_drops_chunks_and_unknown_id_errors(seeded):
    doc_id = seeded.sources()[0]["doc_id"]
    n = seeded.store.count()
    assert seeded.remove(doc_id) == n
    assert seeded.sources() == [] and seeded.store.count() == 0
    with pytest.raises(AssistantError) as err:
        seeded.remove(doc_id)
    assert f"'{doc_id}'" in str(err.value) and "assistant sources" in str(err.value)
    with pytest.raises(EmptyIndexError):
        seeded.ask("What is the range of ATACMS?")


def test_directory_with_a_malformed_line_keeps_the_good_records_and_the_old(seeded, tmp_path):
    before_rows, before = seeded.sources(), snapshot(seeded)
    d = tmp_path / "incoming"
    write_jsonl(d / "good.jsonl", [{"id": "g1", "title": "Good", "body": "A good record about the harbour."}])
    (d / "bad.jsonl").write_text('{"id": "b1", "title": "B", "body": "fine line"}\n{"id": "b2", "title": \n')
    report = seeded.ingest([d])
    assert len(report.errors) == 1 and "bad.jsonl:2: invalid JSON" in report.errors[0]
    assert sorted(report.added) == ["b1", "g1"]  # the good line of the bad file is not lost to the bad one
    after = snapshot(seeded)
    assert {k: v for k, v in after.items() if v[1] not in ("g1", "b1")} == before  # old data untouched
    assert [r for r in seeded.sources() if r["doc_id"] not in ("g1", "b1")] == before_rows


def test_a_file_with_a_bad_line_keeps_what_it_held(assistant, tmp_path):
    """A record that became unreadable is not taken for a record removed from the file."""
    p = write_jsonl(
        tmp_path / "feed.jsonl",
        [
            {"id": "a", "title": "A", "body": "First record body."},
            {"id": "b", "title": "B", "body": "Second record body."},
        ],
    )
    assistant.ingest([p])
    p.write_text('{"id": "a", "title": "A", "body": "First record body."}\n{"id": "b", "title": "B", "body": \n')
    report = assistant.ingest([p])
    assert report.removed == [] and report.unchanged == ["a"] and len(report.errors) == 1
    assert sorted(r["doc_id"] for r in assistant.sources()) == ["a", "b"]


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda p: p.write_bytes(p.read_bytes() + b"\xff\xfe broken bytes"),  # now invalid UTF-8
        lambda p: p.write_text(""),  # now empty
        lambda p: p.write_bytes(b"\x00\x01\x02binary\x00"),  # now binary
    ],
)
def test_file_that_became_invalid_keeps_its_indexed_version(assistant, tmp_path, seed_text, corrupt):
    p = tmp_path / "article.txt"
    p.write_text(seed_text, encoding="utf-8")
    assistant.ingest([p])
    before_rows, before = assistant.sources(), snapshot(assistant)
    corrupt(p)
    report = assistant.ingest([p])
    assert len(report.errors) == 1 and str(p) in report.errors[0]
    assert report.removed == [] and report.added == [] and report.files == 0
    assert assistant.sources() == before_rows
    assert snapshot(assistant) == before


def test_missing_path_reports_and_changes_nothing(seeded, tmp_path):
    before = snapshot(seeded)
    report = seeded.ingest([tmp_path / "missing.txt"])
    assert len(report.errors) == 1 and "missing.txt" in report.errors[0]
    assert snapshot(seeded) == before


def test_other_embedding_model_is_refused_and_index_kept(seeded, make_assistant, seeds_dir, tmp_path):
    before = snapshot(seeded)
    other = make_assistant(embed_model="other-model")
    with pytest.raises(ModelMismatchError, match="all-MiniLM-L6-v2"):
        other.sources()
    extra = write_jsonl(tmp_path / "extra.jsonl", [{"title": "X", "body": "Extra record."}])
    with pytest.raises(ModelMismatchError):
        other.ingest([extra])
    with pytest.raises(ModelMismatchError):
        other.ask("What is the range of ATACMS?")
    assert snapshot(make_assistant()) == before


def test_metadata_from_records_is_stored_with_chunks(assistant, news_jsonl):
    assistant.ingest([news_jsonl])
    got = assistant.store.get()
    metas = {m["doc_id"]: m for m in got["metadatas"]}
    records = {r["id"]: r for r in map(json.loads, news_jsonl.read_text().splitlines())}
    assert set(metas) == set(records)
    for doc_id, rec in records.items():
        assert metas[doc_id]["source"] == rec["source"]
        assert metas[doc_id]["published_at"] == rec["published_at"]
        assert metas[doc_id]["title"] == rec["title"]
        assert metas[doc_id]["path"] == str(news_jsonl.resolve())


def test_the_loaded_texts_are_released_before_the_bm25_rebuild(assistant, tmp_path, monkeypatch):
    """A long file's text (hundreds of MB) must not be held while the BM25 index is rebuilt beside it."""
    import gc

    from assistant.api import Assistant
    from assistant.types import Document

    article = tmp_path / "council.txt"
    article.write_text("Council minutes\n\n" + long_text("release", 40))
    held = []
    rebuild = Assistant.refresh_index

    def spied(self):
        gc.collect()
        held.extend(o for o in gc.get_objects() if isinstance(o, Document) and o.path == str(article.resolve()))
        return rebuild(self)

    monkeypatch.setattr(Assistant, "refresh_index", spied)
    report = assistant.ingest([article])
    assert report.chunks > 1 and held == []


def test_a_document_stored_before_chunk_counts_were_recorded_is_unchanged_when_whole(assistant, tmp_path):
    """An index written before chunks recorded their count: a document is taken as whole when it has as many chunks
    as the chunker makes of it, and rewritten when it has fewer."""
    article = tmp_path / "council.txt"
    article.write_text("Council minutes\n\n" + long_text("legacy", 40))
    added = assistant.ingest([article]).added
    col = assistant.store.collection()
    got = col.get(include=["metadatas"])
    col.update(ids=got["ids"], metadatas=[{"n_chunks": None} for _ in got["ids"]])  # as an older version wrote it
    assert all("n_chunks" not in m for m in col.get(include=["metadatas"])["metadatas"])
    before = snapshot(assistant)
    again = assistant.ingest([article])
    assert again.unchanged == added and again.chunks == 0 and snapshot(assistant) == before
    col.delete(ids=[sorted(got["ids"])[-1]])
    repaired = assistant.ingest([article])
    assert repaired.repaired == added and repaired.chunks == len(got["ids"]) and snapshot(assistant) == before


# ---- the report


def test_the_report_as_json_keeps_its_field_order_and_the_interfaces_take_a_prefix():
    report = IngestReport(added=["a"], chunks=3, files=1, errors=["bad"], seconds=0.5, repaired=["a"])
    data = report.to_json()
    assert list(data) == [
        "added",
        "updated",
        "unchanged",
        "removed",
        "chunks",
        "files",
        "errors",
        "seconds",
        "repaired",
        "skipped",
        "unsupported",
    ]
    assert data["added"] == ["a"] and data["repaired"] == ["a"] and json.loads(json.dumps(data)) == data
    assert report.to_json(HTTP_FIELDS) == {k: data[k] for k in list(data)[:8]}
    assert list(report.to_json(MCP_FIELDS)) == list(data)[:7]
    data["added"].append("b")  # a copy: the report is not changed through its JSON
    assert report.added == ["a"]


def test_merging_adds_the_ids_errors_chunks_files_and_seconds():
    paths = IngestReport(added=["a"], unchanged=["b"], chunks=2, files=2, errors=["x.txt: empty"], seconds=1.0)
    stdin = IngestReport(added=["c"], updated=["d"], removed=["e"], chunks=3, files=1, seconds=0.5, repaired=["d"])
    assert paths.merge(stdin) is paths
    assert (paths.added, paths.updated, paths.unchanged, paths.removed) == (["a", "c"], ["d"], ["b"], ["e"])
    assert (paths.chunks, paths.files, paths.errors, paths.seconds) == (5, 3, ["x.txt: empty"], 1.5)


def doc(doc_id, path, content_hash):
    return Document(doc_id=doc_id, title="T", text="Body.", path=path, content_hash=content_hash)


def test_an_id_stored_from_another_file_for_another_article_is_refused_by_name():
    store = StoredStates({"x": {"path": "/n/a.jsonl", "hash": "h1"}, "y": {"path": "/n/a.jsonl", "hash": "h1"}})
    docs = [doc("x", "/n/b.jsonl", "h2"), doc("x", "/n/a.jsonl", "h2"), doc("y", "/n/b.jsonl", "h1"), doc("z", "", "h")]
    kept, errors = refuse_foreign_ids(store, docs)
    assert kept == docs[1:]  # the file's own new version, the same article from elsewhere, a new id
    assert errors == [
        "/n/b.jsonl: id 'x' is already indexed from /n/a.jsonl for a different article; not replaced: give it its "
        "own id, or `assistant remove x` first"
    ]
    assert store.asked == [["x", "x", "y"]]  # documents added from Python (no path) are not looked up


def test_removing_an_unknown_id_is_a_not_found_error(assistant):
    with pytest.raises(NotFoundError, match=r"^no document with id 'nope'; `assistant sources` lists the ids$"):
        assistant.remove("nope")
