"""Retrieve: hybrid search. Dense (Chroma, cosine) and BM25 (bm25s, English stemming and stopwords) each rank
candidates; reciprocal rank fusion (Cormack et al., 2009) merges them; the top k become numbered Passages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from ..types import Hit, Passage
from .bm25 import BM25_FORMAT, BM25Index, Lexical, bm25_tokenizer
from .filters import Filters, day_int, resolve_filters, stored_sources
from .search import ChromaHybrid, sparse_key

__all__ = [  # the filters and BM25 live in filters.py and bm25.py; imported from here too
    "BM25_FORMAT",
    "BM25Index",
    "Budget",
    "Filters",
    "Lexical",
    "Retriever",
    "bm25_tokenizer",
    "day_int",
    "recency_rerank",
    "resolve_filters",
    "stored_sources",
]


@dataclass(frozen=True)
class Budget:
    """How many passages go in the prompt — the one place this rule lives. By default at least ``k`` (settings),
    then the next ones while the passage text stays within ``tokens`` MiniLM word pieces, up to ``k_max``; an
    explicit k (``--k N``, ``ask(k=N)``) means exactly N."""

    k: int
    k_max: int
    tokens: int
    order: str = "document"  # or "rank": see ``arrange``

    @classmethod
    def of(cls, settings, k: int | None = None) -> Budget:
        order = getattr(settings, "passage_order", "document")
        if k:
            return cls(k, k, 0, order)
        return cls(settings.k, max(settings.k, settings.k_max), settings.context_tokens, order)

    @staticmethod
    def exactly(k: int | None) -> dict:
        """The settings that make every question of a run (an eval, a chat) use exactly k passages."""
        return {"k": k, "context_tokens": 0} if k else {}

    def select(self, ranked: list[Passage]) -> list[Passage]:
        """The passages the prompt gets: a prefix of the ranking (at least k, then short ones within the token
        budget), arranged and numbered as the prompt shows them."""
        return self.arrange(self.choose(ranked))

    def arrange(self, chosen: list[Passage]) -> list[Passage]:
        """In document order (date, document, position in it), numbered 1.. in that order: questions that retrieve
        the same passages get the same prompt up to the question, whose evaluated prefix the local model reuses
        (kvcache.py); a reader sees an article's passages as they run. With ``order="rank"``, best first."""
        if self.order == "rank":
            return chosen

        def position(p: Passage) -> tuple:
            m = p.metadata
            chunk = m.get("chunk")
            return (
                str(m.get("published_at") or ""),
                p.doc_id,
                chunk if isinstance(chunk, int) else float("inf"),
                m.get("start_char") if isinstance(m.get("start_char"), int) else 0,
            )

        return [replace(p, n=i + 1) for i, p in enumerate(sorted(chosen, key=position))]

    def choose(self, ranked: list[Passage]) -> list[Passage]:
        """A prefix of the ranking. A merged ranking (``merge``) keeps at least the first passage of each sub-query
        (within k_max), so every named source is in the prompt."""
        if self.tokens <= 0 or len(ranked) <= self.k:
            return ranked[: self.k]
        from ..ingest.chunk import count_tokens

        floor = self.k
        groups = {v for p in ranked for v in p.metadata.get("via", []) if v >= 0}
        if groups:
            firsts = [next(i for i, p in enumerate(ranked) if g in p.metadata.get("via", [])) for g in groups]
            floor = min(self.k_max, max(self.k, max(firsts) + 1))
        chosen = ranked[:floor]
        used = sum(count_tokens(p.text) for p in chosen)
        for p in ranked[floor : self.k_max]:
            used += count_tokens(p.text)
            if used > self.tokens:
                break
            chosen.append(p)
        return chosen

    @staticmethod
    def merge(rankings: list[list[Passage]], n: int) -> list[Passage]:
        """Several rankings as one of at most ``n``, for ``select`` to cut: the sub-queries' (one per named source)
        first, then the question's own; round robin, so each ranking's best come first; each chunk once (its
        ``via`` metadata lists the rankings that brought it, by index; the question's own is -1); numbered from 1."""
        merged: dict[str, Passage] = {}
        depth = max((len(r) for r in rankings), default=0)
        for rank in range(depth):
            for r in rankings:
                if rank >= len(r):
                    continue
                p = r[rank]
                via = p.metadata.get("via", [])
                if p.chunk_id in merged:
                    merged[p.chunk_id].metadata["via"] = sorted(set(merged[p.chunk_id].metadata["via"]) | set(via))
                elif len(merged) < n:
                    merged[p.chunk_id] = replace(p, metadata={**p.metadata, "via": list(via)})
        return [replace(p, n=i + 1) for i, p in enumerate(merged.values())]


def recency_rerank(ranked: list[tuple[Hit, float]], weight: float) -> list[tuple[Hit, float]]:
    """For a question about the newest state of things ("the latest", "currently", "still"): newer passages first
    among the relevant ones, not a date filter. Each candidate's fused score is scaled by 1 + ``weight`` × its
    recency, from 1 (the newest day among the candidates) down to 0 (the oldest), by the rank of its day: a passage
    both retrievers rank high keeps its place over a newer one neither does, and of two about as relevant the newer
    one wins. Passages of one day share a rank; an undated passage counts as the oldest. Each dated hit's metadata
    records its ``recency`` rank (1 = the newest day)."""
    from ..types import published_day

    days = {h.chunk_id: published_day(str(h.metadata.get("published_at") or "")) for h, _ in ranked}
    newest_first = sorted({d for d in days.values() if d is not None}, reverse=True)
    order = {d: i for i, d in enumerate(newest_first)}
    span = max(len(newest_first) - 1, 1)
    out = []
    for hit, score in ranked:
        day = days[hit.chunk_id]
        if day is not None and weight > 0:
            score *= 1 + weight * (1 - order[day] / span)
            hit = hit._replace(metadata={**hit.metadata, "recency": order[day] + 1})
        out.append((hit, score))
    return sorted(out, key=lambda pair: (-pair[1], pair[0].chunk_id))


# from this many chunks on, filtered retrieval filters the unfiltered neighbours and masks the BM25 index of all chunks
# (see Retriever.dense / sparse); below it, Chroma's filtered query and a BM25 index per filter (exact, and fast there)
LARGE_STORE = 5000


class Retriever:
    """Hybrid retrieval over one store: ``hybrid`` says whose (ours, or Chroma's Search where the collection has a
    sparse index: see ``search.py``)."""

    def __init__(self, store, embedder, settings):
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.lexical = Lexical(store)
        self._bm25: dict[str, tuple[tuple, BM25Index]] = {}
        self._allowed: dict[str, tuple[tuple, set[str]]] = {}  # filter → (store stamp, ids of the chunks that pass)

    def bm25(self, where: dict | None) -> Lexical | BM25Index:
        """BM25 over the chunks that pass the filters. Of all chunks (``where`` None): the Lexical view, kept in step
        with every write by any process (see ``bm25.Lexical``). Of the chunks that pass a filter (a small store
        only): an index of its own, rebuilt when the store's contents change."""
        if where is None:
            return self.lexical.current()
        key = json.dumps(where, sort_keys=True)
        stamp = self.store.stamp()
        cached = self._bm25.get(key)
        if cached is None or cached[0] != stamp:
            cached = (stamp, BM25Index.from_store(self.store, where))
            self._bm25[key] = cached
        return cached[1]

    def allowed(self, where: dict) -> set[str]:
        """The ids of the chunks that pass the filters: read from the store once per filter while its contents stay
        the same."""
        key = json.dumps(where, sort_keys=True)
        stamp = self.store.stamp()
        cached = self._allowed.get(key)
        if cached is None or cached[0] != stamp:
            cached = (stamp, set(self.store.get(where, include_text=False, include_meta=False)["ids"]))
            self._allowed[key] = cached
        return cached[1]

    def dense(self, vector: list[float], n: int, where: dict | None) -> list[Hit]:
        """The top n chunks by cosine that pass the filters. In a large store (``LARGE_STORE`` chunks), Chroma's
        filtered query costs ~50 ms at 10k chunks and grows with the store: the unfiltered neighbours (10 × n, ids
        only) are filtered here instead, and Chroma's filtered query is asked only when too few of them pass."""
        if where is not None and self.store.count() >= LARGE_STORE:
            ids = self.allowed(where)
            kept = [h for h in self.store.query(vector, n * 10, None, text=False) if h.chunk_id in ids][:n]
            if len(kept) == n:
                rows = self.store.get_ids([h.chunk_id for h in kept])
                return [
                    h._replace(text=rows[h.chunk_id][0], metadata=rows[h.chunk_id][1])
                    for h in kept
                    if h.chunk_id in rows
                ]
        return self.store.query(vector, n, where)

    def sparse(self, query: str, n: int, where: dict | None) -> list[Hit]:
        """The top n chunks by BM25 that pass the filters. In a large store the view of all chunks is searched among
        those that pass (a BM25 index per filter would be rebuilt for every new filter: seconds at 100k chunks); in a
        smaller one, an index of the chunks that pass (their own term statistics)."""
        if where is None:
            return self.bm25(None).search(query, n)
        if self.store.count() >= LARGE_STORE:
            view = self.lexical.current()
            return view.search(query, n, allowed=self.allowed(where), key=json.dumps(where, sort_keys=True))
        return self.bm25(where).search(query, n)

    def hybrid(self) -> ChromaHybrid | None:
        """Chroma's own hybrid search, when the collection has a sparse BM25 index (a distributed Chroma); None:
        ours."""
        col = self.store.collection()
        key = sparse_key(col) if col is not None else None
        return ChromaHybrid(col, key, self.settings.rrf_k) if key else None

    def ranked(self, query: str, k: int, where: dict | None, recent: bool = False) -> list[tuple[Hit, float]]:
        """The top k chunks as (hit, fused score) pairs, best first; a hit's metadata carries ``similarity`` and
        ``bm25`` where our fusion knows them. ``recent``: a question about the newest state of things, whose
        candidates are re-ranked with their dates (``recency_rerank``) before the cut to k."""
        n = max(self.settings.candidates, k)
        vector = self.embedder.embed([query])[0]
        weight = float(getattr(self.settings, "recency_weight", 0.0)) if recent else 0.0
        chroma = self.hybrid()
        if chroma is not None:
            if weight > 0:
                return recency_rerank(chroma.rank(query, vector, n, n, where), weight)[:k]
            return chroma.rank(query, vector, n, k, where)
        dense = self.dense(vector, n, where)
        sparse = self.sparse(query, n, where)
        fused: dict[str, dict] = {}
        for ranking, key in ((dense, "similarity"), (sparse, "bm25")):
            for rank, hit in enumerate(ranking):
                entry = fused.setdefault(hit.chunk_id, {"hit": hit, "meta": dict(hit.metadata), "score": 0.0})
                entry["score"] += 1.0 / (self.settings.rrf_k + rank + 1)
                entry["meta"][key] = round(1.0 - hit.value, 6) if key == "similarity" else round(hit.value, 4)
        ranked = sorted(fused.items(), key=lambda item: (-item[1]["score"], item[0]))
        pairs = [(e["hit"]._replace(metadata=e["meta"]), e["score"]) for _, e in ranked]
        if weight > 0:
            pairs = recency_rerank(pairs, weight)
        return pairs[:k]

    def retrieve(self, query: str, k: int, filters: Filters | None = None, recent: bool = False) -> list[Passage]:
        """The top k chunks by reciprocal rank fusion of the dense and BM25 rankings, numbered from 1; ``recent``:
        newer first among the relevant (``recency_rerank``)."""
        where = (filters or Filters()).where()
        return [
            Passage(
                n=i + 1,
                chunk_id=hit.chunk_id,
                doc_id=hit.metadata["doc_id"],
                text=hit.text,
                score=score,
                metadata=hit.metadata,
            )
            for i, (hit, score) in enumerate(self.ranked(query, k, where, recent))
        ]
