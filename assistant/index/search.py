"""The seam between two ways of hybrid retrieval: ours (Chroma's dense neighbours and this process's BM25 view,
fused here by reciprocal rank fusion: ``retrieve.Retriever``) and Chroma's own (its ``Search`` API ranks by dense
and sparse BM25 vectors and fuses them in the server: ``ChromaHybrid``).

Chroma's sparse (BM25) index lives in its distributed deployment. Embedded and single-node Chroma (chromadb 1.5.9,
``chroma run``) refuse a collection whose schema has one ("Sparse vector indexing is not enabled in local") and
their ``Search`` is not implemented. So a collection is created with a sparse index when the Chroma it lives in
accepts one — asked once per store location and process, at the first creation; a refusal is remembered — and
``sparse_key`` tells from an existing collection's schema which way it is searched. A collection created without one
is searched our way; the distributed path is written to Chroma's documented API but has not been run here.
"""

from __future__ import annotations

import logging
from typing import Any

from ..types import Hit

log = logging.getLogger("assistant.index")

SPARSE_KEY = "bm25"  # the metadata key of the sparse BM25 vectors Chroma computes from each chunk's text
REFUSED = "Sparse vector indexing is not enabled"
_refused: set[str] = set()  # store locations whose Chroma refused a sparse index (asked once per process)


def sparse_schema():
    """A schema whose ``bm25`` key holds a sparse BM25 vector of each chunk's text (Chroma's own BM25 function),
    beside the dense vectors compared by cosine."""
    from chromadb.api.types import Schema, SparseVectorIndexConfig, VectorIndexConfig
    from chromadb.execution.expression import K
    from chromadb.utils.embedding_functions.chroma_bm25_embedding_function import ChromaBm25EmbeddingFunction

    config = SparseVectorIndexConfig(embedding_function=ChromaBm25EmbeddingFunction(), source_key=K.DOCUMENT, bm25=True)
    return Schema().create_index(config=VectorIndexConfig(space="cosine")).create_index(config=config, key=SPARSE_KEY)


def create_collection(client, location: str, name: str, metadata: dict, config: dict):
    """The collection, created with a sparse BM25 index where the Chroma at ``location`` offers one, else without
    (the refusal remembered, so it is asked once). ``config``: the HNSW settings, as metadata, for the collection
    made without (Chroma takes them in the schema or the metadata, not both)."""
    if location not in _refused:
        try:
            return client.get_or_create_collection(
                name, embedding_function=None, metadata=metadata, schema=sparse_schema()
            )
        except Exception as err:
            _refused.add(location)
            if REFUSED not in str(err):  # another refusal: still created the plain way, but say why in the log
                log.warning("Chroma at %s refused a sparse BM25 index (%s); BM25 runs locally", location, err)
    return client.get_or_create_collection(name, embedding_function=None, metadata=metadata | config)


def sparse_key(col) -> str | None:
    """``SPARSE_KEY`` when the collection has an enabled sparse index there (so Chroma's Search can rank by it)."""
    try:
        schema = col.schema
        index = schema.keys[SPARSE_KEY].sparse_vector.sparse_vector_index if schema is not None else None
    except (AttributeError, KeyError, TypeError):
        return None
    return SPARSE_KEY if index is not None and index.enabled else None


class ChromaHybrid:
    """Hybrid retrieval by Chroma's Search API: the dense neighbours of the query vector and the sparse BM25
    neighbours of its text, each cut to ``n``, fused by Chroma's reciprocal rank fusion (k = ``rrf_k``, as ours),
    filtered by ``where``, best first."""

    def __init__(self, col, key: str, rrf_k: int):
        self.col, self.key, self.rrf_k = col, key, rrf_k

    def search(self, query: str, vector: list[float], n: int, k: int, where: dict | None) -> Any:
        from chromadb.execution.expression import Knn, K, Rrf, Search

        rank = Rrf(
            [Knn(query=vector, return_rank=True, limit=n), Knn(query=query, key=self.key, return_rank=True, limit=n)],
            k=self.rrf_k,
        )
        return Search(where=where).rank(rank).limit(k).select(K.DOCUMENT, K.SCORE, K.METADATA)

    def rank(self, query: str, vector: list[float], n: int, k: int, where: dict | None) -> list[tuple[Hit, float]]:
        """The top k as (hit, fused score: higher is better) pairs, best first."""
        got = self.col.search(self.search(query, vector, n, k, where))
        ids = got["ids"][0]
        docs = (got.get("documents") or [None])[0] or [""] * len(ids)
        metas = (got.get("metadatas") or [None])[0] or [{}] * len(ids)
        scores = (got.get("scores") or [None])[0] or [0.0] * len(ids)
        # Chroma orders by ascending score (its RRF is negated): the fused score is its negation
        return [(Hit(c, d or "", dict(m or {}), 0.0), -float(s or 0.0)) for c, d, m, s in zip(ids, docs, metas, scores)]
