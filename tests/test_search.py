"""The seam between our hybrid retrieval and Chroma's Search API: a Chroma that refuses a sparse index (embedded and
single-node chromadb 1.5.9) is asked once, and the collection is searched our way (dense + local BM25, fused here).
The distributed path itself (Chroma ranking and fusing) cannot run here and is not tested; what is tested is which
path a collection takes and the Search our side would send."""

from __future__ import annotations

import pytest

from assistant.index import search as seam
from assistant.index.search import ChromaHybrid, sparse_key, sparse_schema
from assistant.index.store import Store
from assistant.settings import load_settings

from test_freshness import MODEL, put, vec


def test_a_chroma_without_sparse_indexes_is_asked_once_and_bm25_runs_here(data_dir, make_assistant, monkeypatch):
    store = Store(load_settings(data_dir=data_dir), MODEL)
    asked = []
    real = store.client.get_or_create_collection

    def spy(name, **kwargs):
        asked.append((name, "schema" in kwargs))
        return real(name, **kwargs)

    monkeypatch.setattr(store.client, "get_or_create_collection", spy)
    put(store, "harbour", ["The harbour ferry runs every twenty minutes."], 0)
    assert asked == [("news", True), ("news", False)]  # refused ("not enabled in local"), then made without
    assert sparse_key(store.collection()) is None
    other = Store(load_settings(data_dir=data_dir, collection="other"), MODEL)
    put(other, "orchard", ["Apple growers picked a record harvest."], 10)
    assert asked[2:] == [("other", False)]  # the refusal is remembered for this store's location
    a = make_assistant()
    assert a.retriever.hybrid() is None
    (passage,) = a.retrieve("harbour ferry", k=1)
    assert passage.doc_id == "harbour" and "bm25" in passage.metadata and "similarity" in passage.metadata


def test_a_refusal_other_than_the_known_one_still_makes_the_collection(data_dir, monkeypatch, caplog):
    store = Store(load_settings(data_dir=data_dir), MODEL)
    real = store.client.get_or_create_collection

    def refuse_schemas(name, **kwargs):
        if "schema" in kwargs:
            raise ValueError("schemas are not accepted here")
        return real(name, **kwargs)

    monkeypatch.setattr(store.client, "get_or_create_collection", refuse_schemas)
    put(store, "harbour", ["The harbour ferry runs every twenty minutes."], 0)
    assert store.count() == 1 and "schemas are not accepted here" in caplog.text
    assert store.collection().metadata["hnsw:space"] == "cosine"  # made the plain way, with its HNSW settings


class Collection:
    """A collection as a distributed Chroma describes one with a sparse index (its schema); nothing is searched."""

    def __init__(self, schema):
        self.schema = schema


def test_a_collection_with_a_sparse_index_takes_chromas_search(make_assistant, monkeypatch):
    a = make_assistant()
    put(a.store, "harbour", ["The harbour ferry runs every twenty minutes."], 0)
    assert sparse_key(Collection(sparse_schema())) == seam.SPARSE_KEY and sparse_key(Collection(None)) is None
    monkeypatch.setattr(a.store, "collection", lambda create=False: Collection(sparse_schema()))
    chosen = a.retriever.hybrid()
    assert isinstance(chosen, ChromaHybrid) and chosen.key == seam.SPARSE_KEY


def walk(node, key: str) -> list:
    """Every value under ``key`` in a nested dict/list."""
    if isinstance(node, dict):
        return ([node[key]] if key in node else []) + [v for x in node.values() for v in walk(x, key)]
    if isinstance(node, list):
        return [v for x in node for v in walk(x, key)]
    return []


def test_the_search_sent_to_chroma_fuses_dense_and_sparse_ranks_with_our_rrf_k():
    vector = vec(1)
    got = ChromaHybrid(None, "bm25", 60).search("harbour ferry", vector, 20, 4, {"source": "Valley Herald"}).to_dict()
    assert got["filter"] == {"source": {"$eq": "Valley Herald"}}
    assert got["limit"] == {"offset": 0, "limit": 4} and set(got["select"]["keys"]) == {
        "#document",
        "#score",
        "#metadata",
    }
    assert walk(got["rank"], "$knn") == [
        {"query": vector, "key": "#embedding", "limit": 20, "return_rank": True},
        {"query": "harbour ferry", "key": "bm25", "limit": 20, "return_rank": True},
    ]
    assert sorted(walk(got["rank"], "$val")) == [-1, 1.0, 1.0, 60, 60]  # -(1/(60 + rank) + 1/(60 + rank))


def test_the_known_refusal_is_what_embedded_chromadb_says(tmp_path):
    """The text the fallback recognises is the one embedded chromadb gives (a change of wording shows here)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(tmp_path / "c"), settings=ChromaSettings(anonymized_telemetry=False))
    with pytest.raises(Exception) as err:
        client.create_collection("x-news", embedding_function=None, schema=sparse_schema())
    assert seam.REFUSED in str(err.value)
