"""Store: chunks + vectors in an on-disk Chroma collection that remembers its embedding model."""

from __future__ import annotations

import math

import pytest

from assistant.errors import AssistantError, ModelMismatchError
from assistant.settings import load_settings
from assistant.index.store import Store
from assistant.types import Chunk, Document

DIM = 384


def vec(i: int) -> list[float]:
    """A unit vector pointing mostly along axis i (so a query for vec(i) finds chunk i first)."""
    v = [0.01] * DIM
    v[i % DIM] = 1.0
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def make_doc(doc_id: str, texts: list[str], **meta) -> tuple[Document, list[Chunk]]:
    body = " ".join(texts)
    doc = Document(
        doc_id=doc_id,
        title=meta.pop("title", f"Title {doc_id}"),
        text=body,
        path=f"/corpus/{doc_id}.txt",
        content_hash=f"hash-{doc_id}-{len(texts)}",
        **meta,
    )
    chunks, pos = [], 0
    for i, t in enumerate(texts):
        chunks.append(
            Chunk(
                f"{doc_id}:{i}",
                doc_id,
                t,
                pos,
                pos + len(t),
                doc.metadata() | {"chunk": i, "start_char": pos, "end_char": pos + len(t)},
            )
        )
        pos += len(t) + 1
    return doc, chunks


@pytest.fixture
def settings(data_dir):
    return load_settings(data_dir=data_dir)


@pytest.fixture
def store(settings):
    return Store(settings, "all-MiniLM-L6-v2")


def test_empty_store_reads_without_creating(store):
    assert store.count() == 0
    assert store.documents() == []
    assert store.query(vec(0), 5) == []
    assert store.delete_document("nothing") == 0
    assert store.collection() is None


def test_write_list_query_and_delete(store):
    a, a_chunks = make_doc("a", ["alpha one", "alpha two", "alpha three"], source="Wire", published_at="2024-01-02")
    b, b_chunks = make_doc("b", ["beta one"])
    store.write_documents([(a, a_chunks, [vec(0), vec(1), vec(2)])])
    store.write_documents([(b, b_chunks, [vec(3)])])
    assert store.count() == 4
    rows = {r["doc_id"]: r for r in store.documents()}
    assert rows["a"]["chunks"] == 3 and rows["b"]["chunks"] == 1
    assert rows["a"]["source"] == "Wire" and rows["a"]["title"] == "Title a" and rows["a"]["path"] == a.path
    hits = store.query(vec(2), 2)
    assert hits[0][0] == "a:2" and hits[0][1] == "alpha three" and hits[0][2]["doc_id"] == "a"
    assert hits[0][3] < hits[1][3]  # cosine distance, nearest first
    assert [h[0] for h in store.query(vec(2), 4, where={"doc_id": "b"})] == ["b:0"]
    assert {d: st["hash"] for d, st in store.document_states(["a", "b", "zzz"]).items()} == {
        "a": a.content_hash,
        "b": b.content_hash,
    }
    assert store.doc_ids_for_path(a.path) == {"a"}
    assert store.delete_document("a") == 3
    assert store.count() == 1 and [r["doc_id"] for r in store.documents()] == ["b"]


def test_replacing_a_document_drops_its_stale_chunks(store):
    doc, chunks = make_doc("a", ["v1 first", "v1 second", "v1 third"])
    store.write_documents([(doc, chunks, [vec(0), vec(1), vec(2)])])
    doc2, chunks2 = make_doc("a", ["v2 only"])
    store.write_documents([(doc2, chunks2, [vec(5)])])
    got = store.get()
    assert got["ids"] == ["a:0"] and got["documents"] == ["v2 only"]
    assert store.document_states(["a"])["a"]["hash"] == doc2.content_hash


def test_writing_many_documents_at_once_replaces_each_one(store):
    """write_documents (one Chroma write for a batch of short documents) leaves what one write per document did."""
    old, old_chunks = make_doc("a", ["v1 first", "v1 second", "v1 third"])
    store.write_documents([(old, old_chunks, [vec(0), vec(1), vec(2)])])
    keep, keep_chunks = make_doc("k", ["kept as it was"])
    store.write_documents([(keep, keep_chunks, [vec(7)])])
    a, a_chunks = make_doc("a", ["v2 only"])
    b, b_chunks = make_doc("b", ["beta one", "beta two"])
    store.write_documents([(a, a_chunks, [vec(5)]), (b, b_chunks, [vec(3), vec(4)])])
    got = store.get()
    assert sorted(zip(got["ids"], got["documents"])) == [
        ("a:0", "v2 only"),
        ("b:0", "beta one"),
        ("b:1", "beta two"),
        ("k:0", "kept as it was"),
    ]
    states = store.document_states(["a", "b", "k"])
    assert [states[d]["chunks"] for d in "abk"] == [1, 2, 1]
    assert [states[d]["hash"] for d in "abk"] == [a.content_hash, b.content_hash, keep.content_hash]
    assert store.query(vec(4), 1)[0][0] == "b:1"


def test_the_store_persists_across_clients(settings, store):
    doc, chunks = make_doc("a", ["persisted text"])
    store.write_documents([(doc, chunks, [vec(0)])])
    again = Store(settings, "all-MiniLM-L6-v2")
    assert again.count() == 1 and again.get()["documents"] == ["persisted text"]


def test_model_mismatch_is_refused_with_a_clear_message(settings, store):
    doc, chunks = make_doc("a", ["some text"])
    store.write_documents([(doc, chunks, [vec(0)])])
    other = Store(settings, "other-model")
    with pytest.raises(ModelMismatchError) as err:
        other.count()
    msg = str(err.value)
    assert "'all-MiniLM-L6-v2'" in msg and "'other-model'" in msg
    assert "ASSISTANT_EMBED_MODEL=all-MiniLM-L6-v2" in msg and "--data-dir" in msg and "\n" not in msg
    # writing with the other model is refused too, and does not relabel the collection
    with pytest.raises(ModelMismatchError):
        other.write_documents([(doc, chunks, [vec(1)])])
    with pytest.raises(ModelMismatchError):
        Store(settings, "other-model").documents()
    fresh = Store(settings, "all-MiniLM-L6-v2")
    assert fresh.count() == 1 and fresh.get()["documents"] == ["some text"]


def test_another_collection_in_the_same_dir_is_independent(data_dir, store):
    doc, chunks = make_doc("a", ["text"])
    store.write_documents([(doc, chunks, [vec(0)])])
    other = Store(load_settings(data_dir=data_dir, collection="archive"), "other-model")
    assert other.count() == 0  # a different collection, so no mismatch


@pytest.mark.parametrize("name", ["x", "-bad", "has space", "a" * 600])
def test_invalid_collection_name(data_dir, name):
    with pytest.raises(AssistantError, match="collection name"):
        Store(load_settings(data_dir=data_dir, collection=name), "all-MiniLM-L6-v2")


def test_count_is_asked_of_chroma_once_per_contents_and_follows_another_writer(settings, store):
    """count() is read from Chroma again only after a write, by this process or by another one on the data dir."""
    a, a_chunks = make_doc("a", ["alpha one", "alpha two"])
    store.write_documents([(a, a_chunks, [vec(0), vec(1)])])
    reader = Store(settings, "all-MiniLM-L6-v2")
    assert reader.count() == 2
    col = reader.collection()
    asked = []
    real = col.count
    col.count = lambda: asked.append(1) or real()
    assert [reader.count() for _ in range(5)] == [2] * 5
    assert asked == []  # nothing changed: Chroma is not asked again
    b, b_chunks = make_doc("b", ["beta one"])
    store.write_documents([(b, b_chunks, [vec(3)])])  # another writer (its own client)
    assert reader.count() == 3 and asked == [1]
    reader.delete_document("a")  # this one's own write
    assert reader.count() == 1 and asked == [1, 1]


def test_the_vector_index_is_saved_often_so_a_fresh_process_replays_little(settings, store):
    """Chroma keeps the writes since the HNSW index was last saved in a log that every fresh process replays before
    its first query (~1 s per 700 vectors here); a store saves the index every 100 writes, so fewer than 100 wait."""
    import sqlite3

    for d in range(5):
        doc, chunks = make_doc(f"d{d}", [f"text {d} {i}" for i in range(50)])
        store.write_documents([(doc, chunks, [vec(d * 50 + i) for i in range(50)])])
    assert store.count() == 250
    db = sqlite3.connect(settings.chroma_path / "chroma.sqlite3")
    logged = db.execute("SELECT MAX(seq_id) FROM embeddings_queue").fetchone()[0]
    saved = db.execute(  # the last write the saved HNSW index holds (no row: never saved)
        "SELECT COALESCE(MAX(m.seq_id), 0) FROM max_seq_id m JOIN segments s ON s.id = m.segment_id "
        "WHERE s.scope = 'VECTOR'"
    ).fetchone()[0]
    db.close()
    assert logged >= 250 and logged - saved < 100


def test_a_document_written_in_slices_is_complete_only_when_its_last_chunk_is(store):
    """write_document learns the chunk count at the end: every chunk records 0 ("not known yet") but the last."""
    doc, chunks = make_doc("a", [f"part {i}" for i in range(5)])

    def slices(stop: int | None = None):
        for i in range(5):
            if i == stop:
                raise KeyboardInterrupt  # the process dying mid-write
            yield [chunks[i]], [vec(i)]

    with pytest.raises(KeyboardInterrupt):
        store.write_document(doc, slices(stop=3))
    state = store.document_states(["a"])["a"]
    assert state["chunks"] == 2 and state["n_chunks"] == 0 and not state["complete"]  # the first slices only
    assert store.write_document(doc, slices()) == 5
    assert store.document_states(["a"])["a"] | {"path": ""} == {
        "hash": doc.content_hash,
        "chunks": 5,
        "n_chunks": 5,
        "complete": True,
        "path": "",
    }
    assert [m["n_chunks"] for m in sorted(store.get()["metadatas"], key=lambda m: m["chunk"])] == [0, 0, 0, 0, 5]


def test_a_store_written_before_chunk_counts_were_recorded_is_not_taken_for_complete(store):
    doc, chunks = make_doc("a", ["old one", "old two"])
    store.collection(create=True).upsert(
        ids=[c.chunk_id for c in chunks],
        documents=[c.text for c in chunks],
        metadatas=[c.metadata for c in chunks],
        embeddings=[vec(0), vec(1)],
    )
    state = store.document_states(["a"])["a"]
    assert state["n_chunks"] is None and state["chunks"] == 2 and not state["complete"]


def test_reads_of_many_chunks_go_a_page_at_a_time(store, monkeypatch):
    import assistant.index.store as store_module

    for d in "abc":
        doc, chunks = make_doc(d, [f"{d} part {i}" for i in range(4)])
        store.write_documents([(doc, chunks, [vec(i) for i in range(4)])])
    whole = (store.document_states(list("abcz")), store.documents(), store.doc_ids_for_path("/corpus/b.txt"))
    monkeypatch.setattr(store_module, "PAGE", 3)
    limits = []
    get = store.get

    def spied(*args, **kwargs):
        limits.append(kwargs.get("limit"))
        return get(*args, **kwargs)

    monkeypatch.setattr(store, "get", spied)
    assert (store.document_states(list("abcz")), store.documents(), store.doc_ids_for_path("/corpus/b.txt")) == whole
    assert whole[0]["b"]["complete"] and whole[2] == {"b"} and sum(r["chunks"] for r in whole[1]) == 12
    assert len(limits) > 5 and set(limits) == {3}
