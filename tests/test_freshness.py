"""One writer, many readers on one store: the write log and token, the lock, a reader's vector index reloaded after
another process's write, and the lexical (BM25) view kept in step by reading again only what the log names.

The vectors here are made by hand (``vec(i)``, a random vector seeded by i), so a query's nearest chunk is known
without a model; other processes are real Python processes writing through ``Store``.
"""

from __future__ import annotations

import fcntl
import math
import os
import subprocess
import sys
import textwrap
import time

import pytest

from assistant.errors import BackendError
from assistant.index import bm25 as bm25_module
from assistant.index import writes
from assistant.index.bm25 import BM25Index, Lexical
from assistant.index.store import Store
from assistant.index.writes import ChromaLog, FileLog
from assistant.settings import load_settings
from assistant.types import Chunk, Document

from conftest import ROOT

DIM = 384
MODEL = "all-MiniLM-L6-v2"


def vec(i: int) -> list[float]:
    """A random unit vector, the same for the same i (so a query for vec(i) finds the chunk written with it first;
    random, not one axis each: HNSW cannot navigate a graph of equidistant points)."""
    import random

    rng = random.Random(i)
    v = [rng.gauss(0, 1) for _ in range(DIM)]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def make_doc(doc_id: str, texts: list[str]) -> tuple[Document, list[Chunk]]:
    doc = Document(
        doc_id=doc_id,
        title=doc_id,
        text=" ".join(texts),
        path=f"/corpus/{doc_id}.txt",
        content_hash=f"hash-{doc_id}-{'|'.join(texts)}",
    )
    chunks = [
        Chunk(f"{doc_id}:{i}", doc_id, t, 0, len(t), doc.metadata() | {"chunk": i, "start_char": 0})
        for i, t in enumerate(texts)
    ]
    return doc, chunks


def put(store: Store, doc_id: str, texts: list[str], axis: int) -> None:
    doc, chunks = make_doc(doc_id, texts)
    store.write_documents([(doc, chunks, [vec(axis + i) for i in range(len(texts))])])


WRITER = textwrap.dedent(
    """
    import json, math, sys
    sys.path.insert(0, sys.argv[1])
    sys.path.insert(0, sys.argv[1] + "/tests")
    from test_freshness import put, Store, load_settings, MODEL
    store = Store(load_settings(data_dir=sys.argv[2]), MODEL)
    for doc_id, texts, axis in json.loads(sys.argv[3]):
        if texts is None:
            store.delete_document(doc_id)
        else:
            put(store, doc_id, texts, axis)
    """
)


def other_process(data_dir, *writes_: tuple[str, list[str] | None, int]) -> None:
    """Another process writes (texts None: removes) through its own Store on the data dir."""
    import json

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [sys.executable, "-c", WRITER, str(ROOT), str(data_dir), json.dumps(writes_)], check=True, env=env, timeout=120
    )


@pytest.fixture
def settings(data_dir):
    return load_settings(data_dir=data_dir)


# ---- the vector index: another process's writes are seen by a warm reader, and never lost by a later writer
def test_a_warm_reader_finds_vectors_another_process_wrote(settings):
    """Before: a process's embedded Chroma kept the vector index it loaded first; another process's new chunks were
    listed and found by BM25 but never by vector search until a restart."""
    reader = Store(settings, MODEL)
    put(reader, "a", ["alpha"], 0)
    assert [h.chunk_id for h in reader.query(vec(7), 1)] == ["a:0"]  # loaded now
    other_process(settings.data_dir, ("b", ["beta"], 7))
    assert [h.chunk_id for h in reader.query(vec(7), 2)] == ["b:0", "a:0"]
    other_process(settings.data_dir, ("b", None, 0))  # removed by the other process
    assert [h.chunk_id for h in reader.query(vec(7), 2)] == ["a:0"]


def test_a_writer_after_another_keeps_both_writes(settings):
    """A process that writes after another one did reloads first: else Chroma saves its stale vector index over the
    other's (its chunks listed, their vectors lost for every process)."""
    serve = Store(settings, MODEL)
    put(serve, "a", ["alpha"], 0)
    serve.query(vec(0), 1)
    other_process(settings.data_dir, *[(f"c{i}", [f"chunk {i}"], 10 + i) for i in range(120)])  # past a save (100)
    for i in range(120):  # this process writes again, past another save of its index
        put(serve, f"s{i}", [f"own {i}"], 200 + i)
    fresh = Store(settings, MODEL)  # as a new process would see the store (another client, loaded from disk)
    from assistant.index.writes import LocalViews

    LocalViews.reopen(settings.chroma_path, fresh._connect)
    assert fresh.count() == 241
    found = [fresh.query(vec(axis), 1)[0].chunk_id for axis in (0, 10, 129, 200, 319)]
    assert found == ["a:0", "c0:0", "c119:0", "s0:0", "s119:0"]


def test_a_reader_answers_from_its_index_while_a_write_holds_the_lock(settings, monkeypatch):
    """While another process writes (holding the store's lock), a reader does not wait more than RELOAD_WAIT: it
    answers from the index it has, then reloads at the next query once the write is done."""
    reader = Store(settings, MODEL)
    put(reader, "a", ["alpha"], 0)
    reader.query(vec(0), 1)
    other_process(settings.data_dir, ("b", ["beta"], 7))
    monkeypatch.setattr(writes, "RELOAD_WAIT", 0.3)
    import assistant.index.store as store_module

    monkeypatch.setattr(store_module, "RELOAD_WAIT", 0.3)
    fd = os.open(settings.data_dir / "writes" / "news" / "lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a writer at work (another open file: flock excludes it like another process)
    try:
        t = time.monotonic()
        assert [h.chunk_id for h in reader.query(vec(7), 2)] == ["a:0"]  # the index it had
        assert time.monotonic() - t < 2.0
    finally:
        os.close(fd)
    assert [h.chunk_id for h in reader.query(vec(7), 2)] == ["b:0", "a:0"]


def test_a_writer_that_cannot_have_the_lock_says_so_in_one_line(settings, monkeypatch):
    store = Store(settings, MODEL)
    put(store, "a", ["alpha"], 0)
    import assistant.index.store as store_module

    monkeypatch.setattr(store_module, "WRITE_WAIT", 0.2)
    fd = os.open(settings.data_dir / "writes" / "news" / "lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_SH)  # a reader loading the index, stuck
    try:
        with pytest.raises(BackendError) as err:
            put(store, "b", ["beta"], 1)
    finally:
        os.close(fd)
    message = str(err.value)
    assert "\n" not in message and "another process" in message and str(settings.chroma_path) in message
    put(store, "b", ["beta"], 1)  # and once it is free, the write goes through
    assert store.count() == 2


def test_clients_replaced_by_reloads_are_stopped_so_memory_stays_bounded(settings, monkeypatch):
    """A dropped chromadb system is never collected by itself (each kept its vector index and threads: +43 MB per
    reload at 20k vectors, measured); a reload stops those replaced more than RETIRE_AFTER seconds before."""
    from chromadb.api import ServerAPI

    from assistant.index.writes import LocalViews

    monkeypatch.setattr(writes, "RETIRE_AFTER", 0.0)
    reader = Store(settings, MODEL)
    put(reader, "a", ["alpha"], 0)
    reader.query(vec(0), 1)
    replaced = []
    for _ in range(3):
        replaced.append(reader.client._system)
        reader.log.append([])  # the token moves, as another process's write moves it
        assert [h.chunk_id for h in reader.query(vec(0), 1)] == ["a:0"]  # reloaded, and answering
    mine = [s for _, s in LocalViews._retired if s in replaced]
    assert len(mine) == 1 and mine[0] is replaced[-1]  # the last one waits for calls under way; the others stopped
    stopped = [not hasattr(system.instance(ServerAPI), "bindings") for system in replaced]
    assert stopped == [True, True, False]


# ---- the write log
def test_the_file_log_names_what_was_written_since_a_position(tmp_path):
    log = FileLog(tmp_path / "w")
    assert log.token() == "" and log.position() == ["", 0] and log.since(["", 0]) == ([], ["", 0])
    log.append(["a", "b"])
    first = log.token()
    at = log.position()
    log.append(["b", "c"])
    log.append(["d"])
    assert log.token() not in ("", first)
    docs, now = log.since(at)
    assert docs == ["b", "c", "d"] and now == log.position()
    assert log.since(now) == ([], now)
    assert log.since(["", 0])[0] == ["a", "b", "c", "d"]  # a view from before any log: all of the first log
    with open(tmp_path / "w" / "log", "ab") as f:
        f.write(b'{"docs": ["e"]')  # an entry being written: not read until its line is whole
    assert log.since(now) == ([], now)


def test_a_reader_behind_a_restarted_log_is_told_to_rebuild(tmp_path, monkeypatch):
    log = FileLog(tmp_path / "w")
    log.append(["a"])
    at = log.position()
    monkeypatch.setattr(writes, "LOG_ROTATE", 10)
    log.append(["b"])  # the log was longer than LOG_ROTATE: started afresh
    assert log.since(at) is None and log.since(["", 0]) is None
    assert log.since(log.position()) == ([], log.position())


def test_the_chroma_log_keeps_entries_in_the_server(tmp_path, monkeypatch):
    """The log a Chroma server store keeps in Chroma (here an on-disk client: the same API)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(tmp_path / "c"), settings=ChromaSettings(anonymized_telemetry=False))
    log, other = ChromaLog(client, "news"), ChromaLog(client, "other")
    assert log.token() == "" and log.since(log.position()) == ([], [0.0, []])
    log.append(["a"])
    other.append(["x"])  # another collection's log: not this one's
    at = log.position()
    token = log.token()
    log.append(["b", "c"])
    log.append(["c"])
    assert log.token() != token and other.token()
    docs, now = log.since(at)
    assert docs == ["b", "c"] and log.since(now)[0] == []  # each entry read once, though looked back at again
    monkeypatch.setattr(writes, "LOG_KEEP", 0.0)  # every entry older than "now": pruned at the next write
    monkeypatch.setattr(writes, "LOG_WINDOW", 0.0)
    log._pruned = 0.0
    log.append(["d"])
    assert log.since(now) is None  # the reader is behind what the log keeps: it rebuilds
    assert log.since(log.position()) == ([], log.position())
    assert len(client.get_collection("assistant-writes").get(where={"collection": "news"})["ids"]) == 1


# ---- the lexical view
@pytest.fixture
def store(settings):
    s = Store(settings, MODEL)
    put(s, "harbour", ["The harbour ferry runs every twenty minutes.", "Night crossings end at midnight."], 0)
    put(s, "orchard", ["Apple growers picked a record harvest in the valley."], 10)
    put(s, "library", ["The city library received a rare atlas."], 20)
    return s


def ranking(view, query: str) -> list[tuple[str, float]]:
    return [(h.chunk_id, round(h.value, 5)) for h in view.search(query, 10)]


def test_a_document_written_later_scores_as_in_an_index_rebuilt_with_it(store, settings):
    view = Lexical(store).current()
    assert view.rebuilt == 1
    put(Store(settings, MODEL), "gazette", ["The zorbulite cargo reached the harbour quay at noon."], 30)
    view.current()
    assert view.rebuilt == 1 and list(view.delta) == ["gazette"]  # read again, not rebuilt
    rebuilt = Lexical(store)
    rebuilt._rebuild()
    assert sorted(view.ids) == sorted(rebuilt.ids) == sorted(store.get(include_text=False)["ids"])
    # a word only the new document holds: the same scores as an index built over everything
    assert ranking(view, "zorbulite cargo") == ranking(rebuilt, "zorbulite cargo")
    assert ranking(view, "zorbulite")[0][0] == "gazette:0"
    assert "gazette:0" in [c for c, _ in ranking(view, "harbour")]


def test_a_document_changed_or_removed_elsewhere_leaves_no_stale_chunk(store, settings):
    view = Lexical(store).current()
    assert [c for c, _ in ranking(view, "atlas")] == ["library:0"]
    other = Store(settings, MODEL)
    put(other, "harbour", ["The harbour ferry now runs hourly."], 0)  # one chunk instead of two
    other.delete_document("library")
    view.current()
    assert view.rebuilt == 1
    assert ranking(view, "atlas") == [] and ranking(view, "midnight") == []
    assert [c for c, _ in ranking(view, "hourly ferry")] == ["harbour:0"]
    assert sorted(view.ids) == sorted(store.get(include_text=False)["ids"]) == ["harbour:0", "orchard:0"]


def test_a_write_that_was_not_logged_makes_the_view_rebuild(store, monkeypatch):
    """A difference from the store's count is first taken for a write under way (read again at the next searches);
    one that stays through SETTLE_CHECKS of them makes the view rebuild."""
    monkeypatch.setattr(bm25_module, "SETTLE", 0.0)
    view = Lexical(store).current()
    doc, chunks = make_doc("raw", ["A quokka walked in."])
    store.collection().add(  # straight into Chroma, as a tool that knows nothing of the log would
        ids=[chunks[0].chunk_id], documents=[chunks[0].text], metadatas=[chunks[0].metadata], embeddings=[vec(40)]
    )
    store.log.append([])  # the token moved, the log names nothing
    for _ in range(bm25_module.SETTLE_CHECKS):
        view.current()
        assert view.rebuilt == 1 and ranking(view, "quokka") == []
    view.current()
    assert view.rebuilt == 2 and [c for c, _ in ranking(view, "quokka")] == ["raw:0"]


def test_a_write_under_way_while_the_view_read_it_is_read_again_not_rebuilt(store, monkeypatch):
    """The log names a document before its chunks land: a view that read it just before they did holds fewer
    chunks than the store's count says; it reads that document again at its next search instead of rebuilding."""
    monkeypatch.setattr(bm25_module, "SETTLE", 0.0)
    view = Lexical(store).current()
    doc, chunks = make_doc("gazette", ["The zorbulite cargo."])
    store.log.append(["gazette"])  # the writer's entry before its write
    real = store.pages

    def read_then_land(where=None, **kw):
        yield from real(where, **kw)  # the view reads gazette: nothing yet; then the writer's chunks land
        store.collection().add(
            ids=[chunks[0].chunk_id], documents=[chunks[0].text], metadatas=[chunks[0].metadata], embeddings=[vec(30)]
        )
        store.pages = real

    store.pages = read_then_land
    view.current()
    assert ranking(view, "zorbulite") == [] and view._unsettled is not None
    view.current()  # the next search: the store unchanged since (the writer's second entry still to come)
    assert view.rebuilt == 1 and view._unsettled is None
    assert [c for c, _ in ranking(view, "zorbulite")] == ["gazette:0"]


def test_a_large_delta_is_folded_into_a_base_rebuilt_beside_searches_and_saved(store, settings, monkeypatch):
    """Past DELTA_CHUNKS a new base is built in a thread, the view searched meanwhile; the next look swaps it in."""
    monkeypatch.setattr(bm25_module, "DELTA_CHUNKS", 2)
    monkeypatch.setattr(bm25_module, "DELTA_SHARE", 0.0)
    view = Lexical(store).current()
    put(store, "gazette", ["The zorbulite cargo."], 30)
    view.current()
    assert view.rebuilt == 1 and view.delta and view._builder is None
    put(store, "herald", ["A quokka.", "Another quokka.", "A third quokka."], 40)
    view.current()
    assert view._builder is not None  # building; meanwhile the delta answers
    assert [c for c, _ in ranking(view, "zorbulite")] == ["gazette:0"]
    view.wait().current()
    assert view.rebuilt == 2 and not view.delta and view._builder is None
    assert sorted(view.ids) == sorted(store.get(include_text=False)["ids"])
    fresh = Lexical(Store(settings, MODEL)).current()  # another process: loads what this one saved
    assert fresh.rebuilt == 0 and sorted(fresh.ids) == sorted(view.ids)


def test_a_write_past_twice_the_delta_limit_is_not_read_again_but_rebuilt_at_once(store, monkeypatch):
    """A long document or a bulk ingest: reading its chunks again would cost about a scan and hold more."""
    monkeypatch.setattr(bm25_module, "DELTA_CHUNKS", 1)
    monkeypatch.setattr(bm25_module, "DELTA_SHARE", 0.0)
    view = Lexical(store).current()
    put(store, "herald", ["A quokka.", "Another quokka.", "A third quokka."], 40)
    view.current()
    assert view.rebuilt == 2 and not view.delta and view._builder is None
    assert [c for c, _ in ranking(view, "third quokka")][0] == "herald:2"


def test_removals_count_toward_the_rebuild_too(store, monkeypatch):
    monkeypatch.setattr(bm25_module, "DELTA_CHUNKS", 1)
    monkeypatch.setattr(bm25_module, "DELTA_SHARE", 0.0)
    view = Lexical(store).current()
    store.delete_document("harbour")  # two chunks masked, nothing read again
    view.current()
    view.wait().current()
    assert view.rebuilt == 2 and not view.removed.any()
    assert sorted(view.ids) == sorted(store.get(include_text=False)["ids"]) == ["library:0", "orchard:0"]


def test_a_reader_past_the_delta_limit_loads_the_base_a_writer_saved(store, settings, monkeypatch):
    monkeypatch.setattr(bm25_module, "DELTA_CHUNKS", 2)
    monkeypatch.setattr(bm25_module, "DELTA_SHARE", 0.0)
    reader = Lexical(store).current()
    writer_store = Store(settings, MODEL)
    writer = Lexical(writer_store).current()
    put(writer_store, "herald", ["A quokka.", "Another quokka.", "A third quokka."], 40)
    writer.current()
    writer.wait().current()  # the writer's rebuild (its first base was loaded from disk), saved
    assert writer.rebuilt == 1
    reader.current()
    reader.wait().current()
    assert reader.rebuilt == 1 and not reader.delta  # loaded, not scanned
    assert [c for c, _ in ranking(reader, "quokka")] == [c for c, _ in ranking(writer, "quokka")]
    assert sorted(reader.ids) == sorted(store.get(include_text=False)["ids"])


def test_a_fresh_process_loads_the_saved_base_and_reads_only_what_was_written_since(store, settings):
    Lexical(store).current()  # built and saved
    put(store, "gazette", ["The zorbulite cargo."], 30)
    fresh_store = Store(settings, MODEL)
    read = []
    real = fresh_store.pages
    fresh_store.pages = lambda where=None, **kw: read.append(where) or real(where, **kw)
    view = Lexical(fresh_store).current()
    assert view.rebuilt == 0 and read == [{"doc_id": {"$in": ["gazette"]}}]
    assert [c for c, _ in ranking(view, "zorbulite")] == ["gazette:0"]


def test_filtered_search_of_a_view_keeps_only_allowed_chunks_of_base_and_delta(store):
    view = Lexical(store).current()
    put(store, "gazette", ["The harbour quay was rebuilt."], 30)
    view.current()
    allowed = {"gazette:0", "harbour:1"}
    assert {c for c, _ in ranking(view, "harbour")} >= {"gazette:0", "harbour:0"}
    got = [h.chunk_id for h in view.search("harbour quay midnight", 10, allowed=allowed, key="k")]
    assert set(got) == allowed


def test_with_nothing_written_since_the_view_scores_as_one_index_over_the_same_texts(store):
    got = store.get(include_meta=False)
    whole = BM25Index(got["ids"], got["documents"], store)
    view = Lexical(store).current()
    for q in ("harbour ferry", "record harvest", "atlas"):
        assert [(h.chunk_id, round(h.value, 5)) for h in whole.search(q, 10)] == ranking(view, q)
