"""Store: chunks + vectors in Chroma. On disk under the data dir (PersistentClient), or a Chroma server
(HttpClient) when ``ASSISTANT_CHROMA_URL`` is set. We always supply our own vectors (embedding_function=None: Chroma's
default one downloads a model) and record the embedding model with the collection, refusing to mix models.

A document is complete only when every chunk of its version is stored: each chunk carries the version's
``content_hash``, and ``n_chunks`` says how many chunks the version has — on every chunk of a document written at once,
on the last chunk only of a long document written a slice at a time as it is chunked (its count is known only at the
end; the others record 0, "not known yet"). ``document_states`` reports a document as complete only when exactly that
many chunks, all of one version, are there. A write cut short (a crash after the first slice of a long document, or
between writing a new version and deleting the old one's extra chunks) is therefore seen as incomplete and rewritten
by the next ingest, never taken for "unchanged".

Reads that can cover a whole document or the whole store (document states, the BM25 rebuild, the sources list) go
through ``Store.pages``, ``PAGE`` chunks at a time, so their memory does not grow with the store.

Several processes may use one store: every write is logged, and a reader brings its views up to date before a query
(``writes.py``: the write token and log, the lock, reopening the embedded client after another process's write).

Every Chroma failure (a data dir that is a file or unwritable, a damaged ``chroma.sqlite3``, a read-only store, a
server that does not answer within ``chroma_timeout``) becomes one BackendError line naming the store.
"""

from __future__ import annotations

import re
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Iterator

from ..errors import AssistantError, BackendError, ModelMismatchError
from ..settings import Settings
from ..types import Chunk, Document, Hit
from .clients import chroma_client, guarded
from .search import create_collection
from .writes import LOAD_WAIT, RELOAD_WAIT, WRITE_WAIT, ChromaLog, FileLog, LocalViews, StoreLock, lock_error

COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")
UPSERT_BATCH = 1000
PAGE = 1000  # chunks per read of ``Store.pages``: Chroma keeps much of what a read of 5000 allocated (+75 MB a page)


def upsert(col, chunks: list[Chunk], vectors: list[list[float]]) -> Iterator[list[Chunk]]:
    """Write chunks and their vectors in Chroma-sized batches, yielding each batch once it is written."""
    for i in range(0, len(chunks), UPSERT_BATCH):
        part = chunks[i : i + UPSERT_BATCH]
        col.upsert(
            ids=[c.chunk_id for c in part],
            documents=[c.text for c in part],
            metadatas=[c.metadata for c in part],
            embeddings=vectors[i : i + UPSERT_BATCH],
        )
        yield part


class Store:
    """One collection. ``log`` is its write log (``writes.FileLog`` beside an on-disk store, ``writes.ChromaLog`` in
    a Chroma server): every write goes through ``writing``, which records it there."""

    def __init__(self, settings: Settings, embed_model: str):
        if not COLLECTION_NAME.match(settings.collection):
            raise AssistantError(
                f"collection name '{settings.collection}' is invalid; use 3-512 characters of "
                "letters, digits, '.', '_' or '-', starting and ending with a letter or digit"
            )
        self.settings = settings
        self.embed_model = embed_model
        self.name = settings.collection
        self.local = not settings.chroma_url
        self._client = None if self.local else chroma_client(settings)
        if self.local:
            LocalViews.get(settings.chroma_path, self._connect)  # opened now: a bad data dir says so at once
        folder = settings.data_dir / "writes" / self.name
        self.log: FileLog | ChromaLog = FileLog(folder) if self.local else ChromaLog(self._client, self.name)
        self.lock = StoreLock(folder if self.local else None)
        self._collection = None
        self._epoch = 0  # the LocalViews epoch _collection belongs to
        self.generation = 0  # bumped on every write, so caches over the contents (BM25) know to rebuild
        self._count: tuple[tuple[str, int], int] | None = None  # ((write token, generation), count)

    def _connect(self):
        return chroma_client(self.settings)

    @property
    def client(self):
        return LocalViews.get(self.settings.chroma_path, self._connect).client if self.local else self._client

    @property
    def location(self) -> str:
        return self.settings.chroma_url or str(self.settings.chroma_path)

    def collection(self, create: bool = False):
        """The collection, created on first write; None when it does not exist yet and create is False. On disk, its
        vector index is loaded (under the store's lock) the first time this process's client uses it."""
        opened = self._opened()
        if opened is not None and self._epoch != opened.epoch:
            self._collection, self._epoch = None, opened.epoch
        if self._collection is None:
            self._collection = self._open(create)
        if opened is not None and self._collection is not None and self.name not in opened.loaded:
            with self.lock.hold(exclusive=False, wait=LOAD_WAIT) as held:
                if held is False:
                    raise lock_error(self.location, LOAD_WAIT)
                if self.name not in opened.loaded:
                    self._load(opened)
        return self._collection

    def _opened(self):
        return LocalViews.get(self.settings.chroma_path, self._connect) if self.local else None

    def _load(self, opened) -> None:
        """Make Chroma load the vector index now (its first call on a collection does, replaying the writes it has
        not saved yet), remembering the token it was loaded at. The caller holds the lock."""
        token = self.log.token()
        assert self._collection is not None
        self._collection.count()
        opened.loaded[self.name] = token

    def fresh(self) -> None:
        """Before a query of an on-disk store: when another process wrote since this one's vector index was loaded,
        reopen the client, so the index is loaded again from disk. A reader that cannot have the lock within
        RELOAD_WAIT (a write is under way) answers from the index it has, and reloads at its next query."""
        opened = self._opened()
        if opened is None or opened.loaded.get(self.name, "") == self.log.token():
            return
        with opened.guard, self.lock.hold(exclusive=False, wait=RELOAD_WAIT) as held:
            if held is not False:
                self._reload(opened)

    def _reload(self, opened) -> None:
        """Reopen if the token moved since the index was loaded (the caller holds the lock)."""
        if self.name not in opened.loaded or opened.loaded[self.name] == self.log.token():
            return
        current = self._opened()
        if current is opened:
            current = LocalViews.reopen(self.settings.chroma_path, self._connect)
        self._collection, self._epoch = self._open(create=False), current.epoch
        if self._collection is not None and self.name not in current.loaded:
            self._load(current)

    def _open(self, create: bool):
        try:
            existing = {c if isinstance(c, str) else c.name for c in self.client.list_collections()}
            if create and self.name not in existing:
                # the HNSW index is saved every 100 writes (Chroma's default: 1000), so a fresh process replays at
                # most 99 logged vectors before its first query (measured: ~1.1-1.5 s → ~0.5-0.6 s at 10k and 30k
                # chunks; building took no longer); a sparse BM25 index too where Chroma offers one (search.py)
                hnsw = {"hnsw:space": "cosine", "hnsw:batch_size": 100, "hnsw:sync_threshold": 100}
                col = create_collection(self.client, self.location, self.name, {"embed_model": self.embed_model}, hnsw)
            elif self.name in existing:
                col = self.client.get_collection(self.name, embedding_function=None)
            else:
                return None
        except AssistantError:
            raise
        except Exception as err:
            raise BackendError(f"Chroma store at {self.location} failed: {str(err).splitlines()[0]}") from None
        built_with = (col.metadata or {}).get("embed_model")
        if built_with and built_with != self.embed_model:
            raise ModelMismatchError(
                f"this index was built with the embedding model '{built_with}', not '{self.embed_model}'; "
                f"set ASSISTANT_EMBED_MODEL={built_with} (and its backend) or use another --data-dir"
            )
        return col

    @contextmanager
    def writing(self, doc_ids: list[str]) -> Iterator[Any]:
        """Yields the collection to write these documents' chunks to: under the store's exclusive lock, with a
        vector index that holds every earlier write (reloaded if another process wrote since it was loaded: else
        Chroma would save this process's stale index over the other's), logged before and after."""
        with self.lock.hold(exclusive=True, wait=WRITE_WAIT) as held:
            if held is False:
                raise lock_error(self.location, WRITE_WAIT)
            opened = self._opened()
            if opened is not None:
                self._reload(opened)
                opened = self._opened()
                if self._epoch != opened.epoch:
                    self._collection, self._epoch = None, opened.epoch
            if self._collection is None:
                self._collection = self._open(create=True)
            if opened is not None and self.name not in opened.loaded:
                self._load(opened)
            self.log.append(doc_ids)
            try:
                yield self._collection
            finally:
                self.generation += 1
                self.log.append(doc_ids)
                if opened is not None:
                    opened.loaded[self.name] = self.log.token()

    # ---- reads
    @guarded
    def count(self, token: str | None = None, cached: bool = True) -> int:
        """How many chunks are stored. Asked of Chroma once per contents (a question asks it several times, ~3 ms
        each at 10k chunks): kept while the write token (``token``, if just read) and this process's writes say
        nothing changed; ``cached=False`` asks anyway."""
        token = self.write_token() if token is None else token
        stamp = (token, self.generation)
        if cached and token and self._count is not None and self._count[0] == stamp:
            return self._count[1]
        col = self.collection()
        n = col.count() if col is not None else 0
        self._count = (stamp, n)
        return n

    @guarded
    def get(
        self,
        where: dict | None = None,
        include_text: bool = True,
        include_meta: bool = True,
        limit: int | None = None,
        offset: int | None = None,
    ) -> dict[str, list]:
        col = self.collection()
        if col is None:
            return {"ids": [], "documents": [], "metadatas": []}
        include = (["metadatas"] if include_meta else []) + (["documents"] if include_text else [])
        if limit is None and offset is None:  # all of it, in pages: one read of ~32k+ chunks fails in Chroma's
            out: dict[str, list] = {"ids": [], "documents": [], "metadatas": []}  # SQLite ("too many SQL variables")
            for page in self.pages(where, include_text=include_text, include_meta=include_meta):
                out["ids"].extend(page["ids"])
                out["documents"].extend(page.get("documents") or [])
                out["metadatas"].extend(page.get("metadatas") or [])
            return out
        return col.get(where=where or None, include=include, limit=limit, offset=offset)

    def pages(
        self, where: dict | None = None, include_text: bool = True, include_meta: bool = True, size: int | None = None
    ) -> Iterator[dict[str, list]]:
        """``get`` a page of at most ``size`` (default ``PAGE``) chunks at a time, in the store's order (non-empty
        pages only)."""
        size = size or PAGE
        offset = 0
        while True:
            got = self.get(where, include_text=include_text, include_meta=include_meta, limit=size, offset=offset)
            if got["ids"]:
                yield got
            if len(got["ids"]) < size:
                return
            offset += size

    @guarded
    def get_ids(self, ids: list[str]) -> dict[str, tuple[str, dict]]:
        """chunk id → (text, metadata), for the ids that are stored."""
        col = self.collection()
        if col is None or not ids:
            return {}
        got = col.get(ids=ids, include=["documents", "metadatas"])
        return {i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}

    # ---- files derived from the contents (the BM25 index, the sources), kept on this machine
    def derived_dir(self, kind: str) -> Path | None:
        """``<data_dir>/<kind>/<collection>`` for an on-disk store; ``<data_dir>/servers/<host_port>/<kind>/
        <collection>`` for a Chroma server (tied to the server's write token, so another server later at the same
        address never matches)."""
        if self.local:
            return self.settings.data_dir / kind / self.name
        host = re.sub(r"[^A-Za-z0-9.-]+", "_", self.settings.chroma_url.split("://")[-1]).strip("_") or "server"
        return self.settings.data_dir / "servers" / host / kind / self.name

    @guarded
    def write_token(self) -> str:
        """A token that every write to the collection, by any process, changes ("" when there is none: a store not
        written since tokens were kept). On disk, a file read; on a Chroma server, one small read."""
        return self.log.token()

    def stamp(self) -> tuple[int, int, str]:
        """(chunk count, this process's write generation, write token): what caches over the contents (BM25, the
        sources, filter masks) compare to know the store is unchanged."""
        token = self.write_token()
        return (self.count(token), self.generation, token)

    def document_states(self, doc_ids: list[str]) -> dict[str, dict[str, Any]]:
        """doc id → {"hash": the version's content hash, or "" when chunks of several versions are mixed,
        "chunks": stored chunk count, "n_chunks": how many that version has (0 when no stored chunk says so
        consistently: a long document whose last slice was never written; None for a store written before this was
        recorded), "complete": all of them there, "path": the file it came from}, for the ids that are stored."""
        states: dict[str, dict[str, Any]] = {}
        ids = list(dict.fromkeys(doc_ids))
        for i in range(0, len(ids), PAGE):
            for got in self.pages({"doc_id": {"$in": ids[i : i + PAGE]}}, include_text=False):
                for meta in got["metadatas"]:
                    st = states.setdefault(
                        meta["doc_id"], {"hashes": set(), "chunks": 0, "n_chunks": set(), "path": meta.get("path", "")}
                    )
                    st["hashes"].add(meta.get("content_hash", ""))
                    st["n_chunks"].add(meta.get("n_chunks"))
                    st["chunks"] += 1
        out = {}
        for doc_id, st in states.items():
            recorded = st["n_chunks"]
            counts = recorded - {0}  # 0: "not known yet", on all but the last chunk of a document written in slices
            n = None if recorded == {None} else next(iter(counts)) if len(counts) == 1 and None not in counts else 0
            single = len(st["hashes"]) == 1
            out[doc_id] = {
                "hash": next(iter(st["hashes"])) if single else "",
                "chunks": st["chunks"],
                "n_chunks": n,
                "complete": single and bool(n) and n == st["chunks"],
                "path": st["path"],
            }
        return out

    @guarded
    def doc_ids_for_path(self, path: str) -> set[str]:
        return {m["doc_id"] for got in self.pages({"path": path}, include_text=False) for m in got["metadatas"]}

    @guarded
    def documents(self) -> list[dict[str, Any]]:
        """One row per indexed document, in ingest order of their paths."""
        rows: dict[str, dict[str, Any]] = {}
        counts: dict[str, int] = defaultdict(int)
        for got in self.pages(include_text=False):
            for meta in got["metadatas"]:
                doc_id = meta["doc_id"]
                counts[doc_id] += 1
                rows.setdefault(
                    doc_id, {k: meta.get(k, "") for k in ("doc_id", "title", "source", "published_at", "url", "path")}
                )
        for doc_id, row in rows.items():
            row["chunks"] = counts[doc_id]
        return sorted(rows.values(), key=lambda r: (r["path"], r["title"], r["doc_id"]))

    @guarded
    def query(self, vector: list[float], n: int, where: dict | None = None, text: bool = True) -> list[Hit]:
        """The n nearest chunks (that pass ``where``), nearest first; without ``text``, ids and distances only (texts
        and metadata empty: ``get_ids`` reads them for the few kept)."""
        self.fresh()
        col = self.collection()
        if col is None or n <= 0:
            return []
        include = ["documents", "metadatas", "distances"] if text else ["distances"]
        res = col.query(query_embeddings=[vector], n_results=n, where=where or None, include=include)
        ids = res["ids"][0]
        texts, metas = (res["documents"][0], res["metadatas"][0]) if text else ([""] * len(ids), [{}] * len(ids))
        return [Hit(*row) for row in zip(ids, texts, metas, res["distances"][0])]

    # ---- writes
    @guarded
    def write_documents(
        self, items: list[tuple[Document, list[Chunk], list[list[float]]]], stored: set[str] | None = None
    ) -> None:
        """Write (short) documents' chunks, then drop their older chunks that the new versions no longer have: one
        lookup of their stored chunks, one upsert, one delete for all. Chroma's cost is mostly per call, so ingesting
        many one-chunk articles this way costs a fraction of a write per document. A crash midway leaves documents that
        ``document_states`` reports incomplete, as with write_document. ``stored``: the ids among these that may
        have chunks in the store already (the caller has just read them); only those are looked up. None: all."""
        if not items:
            return
        all_ids = list(dict.fromkeys(doc.doc_id for doc, _, _ in items))
        doc_ids = [d for d in all_ids if d in stored] if stored is not None else all_ids
        for _, cs, _ in items:
            for c in cs:
                c.metadata["n_chunks"] = len(cs)
        chunks = [c for _, cs, _ in items for c in cs]
        vectors = [v for _, _, vs in items for v in vs]
        with self.writing(all_ids) as col:
            old: set[str] = set()
            for i in range(0, len(doc_ids), 5000):
                old.update(col.get(where={"doc_id": {"$in": doc_ids[i : i + 5000]}}, include=[])["ids"])
            for _ in upsert(col, chunks, vectors):
                self.generation += 1
            stale = old - {c.chunk_id for c in chunks}
            if stale:
                col.delete(ids=sorted(stale))

    @guarded
    def write_document(self, doc: Document, batches: Iterable[tuple[list[Chunk], list[list[float]]]]) -> int:
        """Like write_documents for one document, with the chunks (numbered from 0 in order) and their vectors arriving
        in batches: a long document is chunked, embedded and written a slice at a time, in memory bounded by the
        slice, and its chunk count is known only after the last one. So every chunk records n_chunks 0 ("not known
        yet") but the last, which records the count (one batch is held back until the next arrives, to know which is
        last); then the old version's chunks past the new count are deleted. Until both are done, ``document_states``
        reports the document incomplete. Returns the number of chunks written. Each slice is written under the store's
        lock, taken for that write only (not while the next slice is embedded)."""
        n = 0
        held: tuple[list[Chunk], list[list[float]]] | None = None
        for chunks, vectors in batches:
            if not chunks:
                continue
            if held is not None:
                with self.writing([doc.doc_id]) as col:
                    for _ in upsert(col, *held):
                        self.generation += 1
            for c in chunks:
                c.metadata["n_chunks"] = 0
            held, n = (chunks, vectors), n + len(chunks)
        if held is not None:
            held[0][-1].metadata["n_chunks"] = n
            with self.writing([doc.doc_id]) as col:
                for _ in upsert(col, *held):
                    self.generation += 1
                # chunk i's id is "<doc_id>:i": the new version overwrote the old one's first n; the rest are stale
                col.delete(where={"$and": [{"doc_id": doc.doc_id}, {"chunk": {"$gte": n}}]})
        return n

    @guarded
    def delete_document(self, doc_id: str) -> int:
        col = self.collection()
        if col is None or not col.get(where={"doc_id": doc_id}, include=[], limit=1)["ids"]:
            return 0
        with self.writing([doc_id]) as col:
            ids = col.get(where={"doc_id": doc_id}, include=[])["ids"]
            if ids:
                col.delete(ids=ids)
        return len(ids)
