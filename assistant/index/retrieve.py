"""Retrieve: hybrid search. Dense (Chroma, cosine) and BM25 (bm25s, English stemming and stopwords) each rank
candidates; reciprocal rank fusion (Cormack et al., 2009) merges them; the top k become numbered Passages.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from collections.abc import Sequence
from pathlib import Path

from ..errors import NoMatchError
from ..text.dates import day_int
from ..types import Hit, Passage


@dataclass
class Filters:
    source: str | None = None  # matched case-insensitively (see resolve_filters)
    since: str | None = None  # YYYY-MM-DD, inclusive
    until: str | None = None
    # the spellings of `source` as stored ("reuters" → ["Reuters"]); set by resolve_filters, Chroma's `where` being
    # case-sensitive
    source_spellings: list[str] | None = field(default=None, repr=False)

    def active(self) -> bool:
        return bool(self.source or self.since or self.until)

    def describe(self) -> str:
        parts = [
            f"source '{self.source}'" if self.source else "",
            f"since {self.since}" if self.since else "",
            f"until {self.until}" if self.until else "",
        ]
        return ", ".join(p for p in parts if p)

    def where(self) -> dict | None:
        clauses: list[dict] = []
        if self.source:
            names = self.source_spellings or [self.source]
            clauses.append({"source": names[0]} if len(names) == 1 else {"source": {"$in": names}})
        if self.since:
            clauses.append({"published_day": {"$gte": day_int(self.since, "--since")}})
        if self.until:
            clauses.append({"published_day": {"$lte": day_int(self.until, "--until")}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def resolve_filters(store, filters: Filters, strict: bool = False) -> Filters:
    """The filters with `source` matched case-insensitively against the stored sources (works on any index: no
    extra metadata needed). When the filters match no chunk and ``strict`` is set, raises NoMatchError saying how many
    chunks there are and how many documents lack a date or a source (otherwise retrieval finds nothing, and the
    answer is a refusal)."""
    since = day_int(filters.since, "--since") if filters.since else None
    until = day_int(filters.until, "--until") if filters.until else None
    wanted = " ".join(filters.source.split()).casefold() if filters.source else None
    if not strict:  # the stored spellings only, from a list of sources kept while the store is unchanged
        spellings = sorted(
            {s for s in stored_sources(store) if wanted is not None and " ".join(s.split()).casefold() == wanted}
        )
        return replace(filters, source_spellings=spellings or None)
    metas = [m for got in store.pages(include_text=False) for m in got["metadatas"]]
    spellings = sorted(
        {
            m.get("source", "")
            for m in metas
            if wanted is not None and " ".join(str(m.get("source", "")).split()).casefold() == wanted
        }
    )
    matched = 0
    for m in metas:
        day = m.get("published_day")
        if wanted is not None and m.get("source", "") not in spellings:
            continue
        if since is not None and (day is None or day < since):
            continue
        if until is not None and (day is None or day > until):
            continue
        matched += 1
    if matched == 0 and strict:
        docs: dict[str, dict] = {}
        for m in metas:
            docs.setdefault(m["doc_id"], m)
        why = []
        if filters.source and not spellings:
            known = sorted({m.get("source", "") for m in docs.values()} - {""})
            why.append(
                f"no document has the source '{filters.source}'"
                + (f" (sources: {', '.join(known[:8])}{', …' if len(known) > 8 else ''})" if known else "")
            )
        no_source = sum(1 for m in docs.values() if not m.get("source"))
        no_date = sum(1 for m in docs.values() if m.get("published_day") is None)
        if filters.source and no_source:
            why.append(f"{no_source} of {len(docs)} documents have no source")
        if (since or until) and no_date:
            why.append(f"{no_date} of {len(docs)} documents have no date")
        raise NoMatchError(
            f"the filters ({filters.describe()}) matched 0 of {len(metas)} chunks"
            + (f"; {'; '.join(why)}" if why else "")
            + "; `assistant sources` lists each document's source and date"
        )
    return replace(filters, source_spellings=spellings or None)


def stored_sources(store) -> list[str]:
    """The distinct ``source`` values of the stored chunks, read once while the store's contents stay the same: in
    the process, and on disk beside an on-disk store (``<data_dir>/sources/<collection>/sources.json``, tied to the
    write token), so a fresh process's first filtered question does not read the metadata of every chunk (~40 s at
    100k chunks on a busy machine)."""
    stamp = store.stamp()
    token = stamp[2]
    cached = getattr(store, "_sources", None)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    folder = store.derived_dir("sources")
    path = folder / "sources.json" if folder is not None else None
    saved = None
    if path is not None and token:
        try:
            got = json.loads(path.read_text(encoding="utf-8"))
            if got.get("token") == token and got.get("count") == stamp[0]:
                saved = [str(x) for x in got["sources"]]
        except (OSError, ValueError, KeyError, TypeError):
            saved = None
    if saved is None:
        pages = store.pages(include_text=False)  # one read of every chunk fails past ~32k ("too many SQL variables")
        saved = sorted({str(m.get("source", "")) for got in pages for m in got["metadatas"]})
        if path is not None and token:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".sources-{os.getpid()}")
                tmp.write_text(json.dumps({"token": token, "count": stamp[0], "sources": saved}), encoding="utf-8")
                os.replace(tmp, path)
            except OSError:
                pass  # a read-only data dir: kept in this process only
    store._sources = (stamp, saved)
    return saved


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


BM25_FORMAT = 2  # bumped when what is saved changes, so older saved indexes are rebuilt (2: one Tokenizer vocabulary)
# from this many chunks on, filtered retrieval filters the unfiltered neighbours and masks the BM25 index of all chunks
# (see Retriever.dense / sparse); below it, Chroma's filtered query and a BM25 index per filter (exact, and fast there)
LARGE_STORE = 5000


def bm25_tokenizer(stemmer):
    """How chunks and queries become BM25 tokens: lower case, English stopwords out, Snowball stems. Its vocabulary
    grows with what it reads, so a store is tokenised a page at a time into one vocabulary."""
    from bm25s.tokenization import Tokenizer

    return Tokenizer(stopwords="en", stemmer=stemmer)


class BM25Index:
    """BM25 over chunk texts (ids in the store's order). Hits carry the chunk's text and metadata, read from the store
    for the few chunks a search returns, so an index loaded from disk needs no scan of the store."""

    def __init__(self, ids: list[str], texts: list[str], store=None, retriever=None):
        import Stemmer

        self.ids = ids
        self.store = store
        self.stemmer = Stemmer.Stemmer("english")
        self.retriever, self.empty = retriever, retriever is None  # not None: loaded from disk
        if texts:
            tokenizer = bm25_tokenizer(self.stemmer)
            self._build(tokenizer, list(tokenizer.streaming_tokenize(texts)))

    @classmethod
    def from_store(cls, store, where: dict | None = None) -> BM25Index:
        """The index of the chunks that pass ``where``, read and tokenised a page at a time (``Store.pages``): while
        it is built, every chunk's token ids are held (4 bytes each, in an array), never all their texts."""
        from array import array

        index = cls([], [], store)
        tokenizer = bm25_tokenizer(index.stemmer)
        tokens: list[Sequence[int]] = []
        for got in store.pages(where, include_meta=False):
            index.ids.extend(got["ids"])
            tokens.extend(array("i", ids) for ids in tokenizer.streaming_tokenize(got["documents"]))
        index._build(tokenizer, tokens)
        return index

    def _build(self, tokenizer, tokens: Sequence[Sequence[int]]) -> None:
        import bm25s

        vocab = tokenizer.get_vocab_dict()
        # bm25s cannot index an empty vocabulary (no chunks pass the filters, or only stopwords): nothing to search
        self.empty = not any(vocab)  # its only entry may be "", the token of a chunk without any
        if not self.empty:
            self.retriever = bm25s.BM25()
            self.retriever.index(bm25s.tokenization.Tokenized(ids=tokens, vocab=vocab), show_progress=False)

    # ---- on disk: <data_dir>/bm25/<collection>/<stamp digest>/, named by the file `current`
    def save(self, folder: Path, stamp: dict) -> None:
        """Write the index under ``folder``; ``stamp`` says which contents of the store it was built from. Written
        in a new subfolder, then named current (a reader never sees half an index); older ones are removed."""
        import hashlib
        import shutil

        name = hashlib.sha1(json.dumps(stamp, sort_keys=True).encode()).hexdigest()[:16]
        target = folder / name
        tmp = folder / f".tmp-{os.getpid()}-{name}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if not self.empty:
            self.retriever.save(str(tmp), show_progress=False)
        (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
        (tmp / "stamp.json").write_text(json.dumps(stamp | {"empty": self.empty}), encoding="utf-8")
        if target.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, target)
        pointer = folder / f".current-{os.getpid()}"
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, folder / "current")
        for old in folder.iterdir():
            if old.is_dir() and old.name != name and not old.name.startswith(".tmp-"):
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, stamp: dict, store) -> BM25Index | None:
        """The index saved under ``folder`` if it was built from exactly these contents (``stamp``), else None."""
        import bm25s

        try:
            target = folder / (folder / "current").read_text(encoding="utf-8").strip()
            saved = json.loads((target / "stamp.json").read_text(encoding="utf-8"))
            if {k: saved.get(k) for k in stamp} != stamp:
                return None
            ids = json.loads((target / "ids.json").read_text(encoding="utf-8"))
            if saved.get("empty"):
                index = cls(ids, [], store)
                return index
            retriever = bm25s.BM25.load(str(target), mmap=True, show_progress=False)
        except (OSError, ValueError, KeyError):
            return None
        if retriever.scores.get("num_docs") != len(ids):
            return None
        return cls(ids, [], store, retriever)

    def search(self, query: str, n: int, mask=None) -> list[Hit]:
        """The top ``n`` chunks by BM25; with ``mask`` (a 0/1 weight per indexed chunk), only those weighted 1."""
        import numpy as np

        if self.empty:
            return []
        tokenizer = bm25_tokenizer(self.stemmer)
        ids = next(tokenizer.streaming_tokenize([query], allow_empty=False))
        if not ids:
            return []
        words = {i: t for t, i in tokenizer.get_vocab_dict().items()}
        known = self.retriever.get_tokens_ids([words[i] for i in ids])
        if not known:
            return []
        scores = self.retriever.get_scores_from_ids(known, weight_mask=mask)
        # the top n among the chunks that score at all (bm25s's own selection partitions all the scores, mostly
        # zeros: ~20 ms at 100k chunks; this, ~1 ms); best first, ties in index order
        hits = np.flatnonzero(scores > 0)
        top = hits[np.argsort(-scores[hits], kind="stable")[:n]]
        found = [(self.ids[int(i)], float(scores[i])) for i in top]
        rows = self.store.get_ids([chunk_id for chunk_id, _ in found]) if found else {}
        return [Hit(c, rows[c][0], rows[c][1], score) for c, score in found if c in rows]


class Retriever:
    def __init__(self, store, embedder, settings):
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._bm25: dict[str, tuple[tuple, BM25Index]] = {}
        # filter → (store stamp, (ids that pass, 0/1 weights over the BM25 index of all chunks))
        self._allowed: dict[str, tuple[tuple, tuple[set[str], object]]] = {}

    def bm25(self, where: dict | None) -> BM25Index:
        """BM25 over the chunks that pass the filters, rebuilt only when the store's contents change. The index of
        all chunks is also kept on disk beside the store (``Store.derived_dir``), so a fresh process loads it instead
        of scanning the store; it is rebuilt after any write to the store, by this process or another."""
        key = json.dumps(where, sort_keys=True)
        # the count alone misses a write that keeps it (remove one doc, add another of the same size; an update);
        # the write token changes with every write by any process on this data dir
        stamp = self.store.stamp()
        count, token = stamp[0], stamp[2]
        cached = self._bm25.get(key)
        if cached is None or cached[0] != stamp:
            folder = self.store.derived_dir("bm25") if where is None else None
            disk_stamp = {"format": BM25_FORMAT, "count": count, "token": token}
            index = BM25Index.load(folder, disk_stamp, self.store) if folder is not None and token else None
            if index is None:
                index = BM25Index.from_store(self.store, where)
                if folder is not None and token and len(index.ids) == count:
                    try:
                        index.save(folder, disk_stamp)
                    except OSError:
                        pass  # a read-only data dir: this process keeps it in memory only
            cached = (stamp, index)
            self._bm25[key] = cached
        return cached[1]

    def allowed(self, where: dict) -> tuple[set[str], object]:
        """The ids of the chunks that pass the filters, and a 0/1 weight per chunk of the BM25 index of all chunks
        (1 for those): read from the store once per filter while its contents stay the same."""
        import numpy as np

        key = json.dumps(where, sort_keys=True)
        stamp = self.store.stamp()
        cached = self._allowed.get(key)
        if cached is None or cached[0] != stamp:
            ids = set(self.store.get(where, include_text=False, include_meta=False)["ids"])
            order = self.bm25(None).ids
            weights = np.fromiter((i in ids for i in order), dtype=np.float32, count=len(order))
            cached = (stamp, (ids, weights))
            self._allowed[key] = cached
        return cached[1]

    def dense(self, vector: list[float], n: int, where: dict | None) -> list[Hit]:
        """The top n chunks by cosine that pass the filters. In a large store (``LARGE_STORE`` chunks), Chroma's
        filtered query costs ~50 ms at 10k chunks and grows with the store: the unfiltered neighbours (10 × n, ids
        only) are filtered here instead, and Chroma's filtered query is asked only when too few of them pass."""
        if where is not None and self.store.count() >= LARGE_STORE:
            ids, _ = self.allowed(where)
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
        """The top n chunks by BM25 that pass the filters. In a large store the index of all chunks is searched with
        a mask (a BM25 index per filter would be rebuilt for every new filter: seconds at 100k chunks); in a smaller
        one, an index of the chunks that pass (their own term statistics)."""
        if where is not None and self.store.count() >= LARGE_STORE:
            return self.bm25(None).search(query, n, mask=self.allowed(where)[1])
        return self.bm25(where).search(query, n)

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Passage]:
        """The top k chunks by reciprocal rank fusion of the dense and BM25 rankings, numbered from 1."""
        filters = filters or Filters()
        where = filters.where()
        n = max(self.settings.candidates, k)
        vector = self.embedder.embed([query])[0]
        dense = self.dense(vector, n, where)
        sparse = self.sparse(query, n, where)
        fused: dict[str, dict] = {}
        for ranking, key in ((dense, "similarity"), (sparse, "bm25")):
            for rank, hit in enumerate(ranking):
                entry = fused.setdefault(hit.chunk_id, {"text": hit.text, "meta": dict(hit.metadata), "score": 0.0})
                entry["score"] += 1.0 / (self.settings.rrf_k + rank + 1)
                entry["meta"][key] = round(1.0 - hit.value, 6) if key == "similarity" else round(hit.value, 4)
        ranked = sorted(fused.items(), key=lambda item: (-item[1]["score"], item[0]))[:k]
        return [
            Passage(
                n=i + 1,
                chunk_id=chunk_id,
                doc_id=entry["meta"]["doc_id"],
                text=entry["text"],
                score=entry["score"],
                metadata=entry["meta"],
            )
            for i, (chunk_id, entry) in enumerate(ranked)
        ]
