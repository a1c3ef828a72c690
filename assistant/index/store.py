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

Every Chroma failure (a data dir that is a file or unwritable, a damaged ``chroma.sqlite3``, a read-only store, a
server that does not answer within ``chroma_timeout``) becomes one BackendError line naming the store.
"""

from __future__ import annotations

import functools
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Iterator
from urllib.parse import urlparse

from ..errors import AssistantError, BackendError, ModelMismatchError
from ..settings import Settings
from ..types import Chunk, Document, Hit

COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")
UPSERT_BATCH = 1000
PAGE = 1000  # chunks per read of ``Store.pages``: Chroma keeps much of what a read of 5000 allocated (+75 MB a page)


def store_error(location: str, err: BaseException) -> BackendError:
    """One line for a Chroma failure: what happened to which store, and what to do."""
    text = (str(err).strip().splitlines() or [type(err).__name__])[0]
    low = text.lower()
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return BackendError(f"the store at {location} is damaged ({text}); move {location} away and ingest again")
    if "readonly" in low or "read-only" in low or "read only" in low:
        return BackendError(
            f"the store at {location} is read-only and Chroma must write to it even to read it "
            f"({text}); make it writable, or copy it somewhere writable and use that --data-dir"
        )
    if "timed out" in low or "timeout" in low:
        return BackendError(
            f"the Chroma server at {location} did not answer in time ({text}); check the server, or "
            "raise ASSISTANT_CHROMA_TIMEOUT"
        )
    if isinstance(err, PermissionError):
        return BackendError(f"the store at {location} cannot be written ({text}); use a writable --data-dir")
    return BackendError(f"Chroma store at {location} failed: {text}")


def guarded(method):
    """Store methods raise BackendError (one line), never Chroma's or SQLite's own exceptions."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except AssistantError:
            raise
        except Exception as err:
            raise store_error(self.location, err) from None

    return wrapper


def _local_dir(path: Path) -> None:
    """The on-disk store's folder, created if needed; a one-line error when it cannot be."""
    for parent in (path.parent, path):
        if parent.exists() and not parent.is_dir():
            raise BackendError(
                f"--data-dir {path.parent} is not a directory (it is a file); give a directory, "
                "e.g. --data-dir ~/news-index"
            )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BackendError(
            f"cannot create the store at {path} ({err.strerror or err}); choose a writable --data-dir"
        ) from None


def chroma_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
        try:
            return http_client(chromadb, url, chroma_settings, settings.chroma_timeout)
        except Exception as err:  # chromadb raises plain ValueError/ConnectError when the server is absent
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise BackendError(
                f"cannot reach the Chroma server at {settings.chroma_url} ({first}); "
                "start it with `chroma run --path DIR` or unset ASSISTANT_CHROMA_URL"
            ) from None
    _local_dir(settings.chroma_path)
    try:
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except Exception as err:
        # chromadb caches a half-built system per path; forget it, so a retry in this process opens afresh
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(settings.chroma_path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(settings.chroma_path), None)
        raise store_error(str(settings.chroma_path), err) from None


def http_client(chromadb, url, chroma_settings, timeout: float):
    """chromadb.HttpClient whose requests give up after ``timeout`` seconds. chromadb 1.x builds its httpx client
    with ``timeout=None`` (wait forever on a server that accepts and never replies) and has no setting for it, so
    while the client is built, its module sees an httpx whose Client defaults to our timeout."""
    import chromadb.api.fastapi as fastapi_module
    import httpx

    class TimedHttpx:
        def __getattr__(self, name):
            return getattr(httpx, name)

        @staticmethod
        def Client(*args, **kwargs):  # noqa: N802 (httpx's name)
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = httpx.Timeout(timeout)
            return httpx.Client(*args, **kwargs)

    fastapi_module.httpx = TimedHttpx()  # type: ignore[assignment]
    try:
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1", port=url.port or 8000, ssl=url.scheme == "https", settings=chroma_settings
        )
    finally:
        fastapi_module.httpx = httpx


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
    def __init__(self, settings: Settings, embed_model: str):
        if not COLLECTION_NAME.match(settings.collection):
            raise AssistantError(
                f"collection name '{settings.collection}' is invalid; use 3-512 characters of "
                "letters, digits, '.', '_' or '-', starting and ending with a letter or digit"
            )
        self.settings = settings
        self.embed_model = embed_model
        self.client = chroma_client(settings)
        self.name = settings.collection
        self._collection = None
        self.generation = 0  # bumped on every write, so caches over the contents (BM25) know to rebuild
        self._count: tuple[tuple[str, int], int] | None = None  # ((write token, generation), count)

    @property
    def location(self) -> str:
        return self.settings.chroma_url or str(self.settings.chroma_path)

    def collection(self, create: bool = False):
        """The collection, created on first write; None when it does not exist yet and create is False."""
        if self._collection is None:
            try:
                if create:
                    self._collection = self.client.get_or_create_collection(
                        self.name,
                        embedding_function=None,
                        # the HNSW index is saved every 100 writes (Chroma's default: 1000), so a fresh process
                        # replays at most 99 logged vectors before its first query (measured: ~1.1-1.5 s → ~0.5-0.6 s
                        # at 10k and 30k chunks; building took no longer)
                        metadata={
                            "hnsw:space": "cosine",
                            "hnsw:batch_size": 100,
                            "hnsw:sync_threshold": 100,
                            "embed_model": self.embed_model,
                        },
                    )
                else:
                    existing = {c if isinstance(c, str) else c.name for c in self.client.list_collections()}
                    if self.name not in existing:
                        return None
                    self._collection = self.client.get_collection(self.name, embedding_function=None)
            except AssistantError:
                raise
            except Exception as err:
                raise BackendError(f"Chroma store at {self.location} failed: {str(err).splitlines()[0]}") from None
            assert self._collection is not None
            built_with = (self._collection.metadata or {}).get("embed_model")
            if built_with and built_with != self.embed_model:
                self._collection = None
                raise ModelMismatchError(
                    f"this index was built with the embedding model '{built_with}', not '{self.embed_model}'; "
                    f"set ASSISTANT_EMBED_MODEL={built_with} (and its backend) or use another --data-dir"
                )
        return self._collection

    # ---- reads
    @guarded
    def count(self) -> int:
        """How many chunks are stored. Asked of Chroma once per contents (a question asks it several times, ~3 ms
        each at 10k chunks): kept while the write token and this process's writes say nothing changed."""
        token = self.write_token()
        stamp = (token, self.generation)
        if token and self._count is not None and self._count[0] == stamp:
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

    # ---- files derived from the contents (the BM25 index), kept beside an on-disk store
    def derived_dir(self, kind: str) -> Path | None:
        """``<data_dir>/<kind>/<collection>``; None for a Chroma server (others may write to it unseen)."""
        if self.settings.chroma_url:
            return None
        return self.settings.data_dir / kind / self.name

    def write_token(self) -> str:
        """A token that every write to the collection, by any process on this data dir, changes ("" when there is
        none: a Chroma server, or a store not written since tokens were kept)."""
        folder = self.derived_dir("writes")
        if folder is None:
            return ""
        try:
            return (folder / "token").read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def stamp(self) -> tuple[int, int, str]:
        """(chunk count, this process's write generation, write token): what caches over the contents (BM25, the
        sources, filter masks) compare to know the store is unchanged."""
        return (self.count(), self.generation, self.write_token())

    def _new_write_token(self) -> None:
        """Called before and after each write: an index built from contents that a write then changes (or that a
        crash left half-written, then repaired) never matches the token again."""
        folder = self.derived_dir("writes")
        if folder is None:
            return
        import uuid

        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".token-{os.getpid()}"
            tmp.write_text(uuid.uuid4().hex, encoding="utf-8")
            os.replace(tmp, folder / "token")
        except OSError:
            pass  # Chroma's own write will say what is wrong with the data dir

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
        col = self.collection(create=True)
        doc_ids = list(dict.fromkeys(doc.doc_id for doc, _, _ in items))
        if stored is not None:
            doc_ids = [d for d in doc_ids if d in stored]
        old: set[str] = set()
        for i in range(0, len(doc_ids), 5000):
            old.update(col.get(where={"doc_id": {"$in": doc_ids[i : i + 5000]}}, include=[])["ids"])
        for _, cs, _ in items:
            for c in cs:
                c.metadata["n_chunks"] = len(cs)
        chunks = [c for _, cs, _ in items for c in cs]
        vectors = [v for _, _, vs in items for v in vs]
        self._new_write_token()
        for _ in upsert(col, chunks, vectors):
            self.generation += 1
        stale = old - {c.chunk_id for c in chunks}
        if stale:
            col.delete(ids=sorted(stale))
        self.generation += 1
        self._new_write_token()

    @guarded
    def write_document(self, doc: Document, batches: Iterable[tuple[list[Chunk], list[list[float]]]]) -> int:
        """Like write_documents for one document, with the chunks (numbered from 0 in order) and their vectors arriving
        in batches: a long document is chunked, embedded and written a slice at a time, in memory bounded by the
        slice, and its chunk count is known only after the last one. So every chunk records n_chunks 0 ("not known
        yet") but the last, which records the count (one batch is held back until the next arrives, to know which is
        last); then the old version's chunks past the new count are deleted. Until both are done, ``document_states``
        reports the document incomplete. Returns the number of chunks written."""
        col = self.collection(create=True)
        self._new_write_token()
        n = 0
        held: tuple[list[Chunk], list[list[float]]] | None = None
        for chunks, vectors in batches:
            if not chunks:
                continue
            if held is not None:
                for _ in upsert(col, *held):
                    self.generation += 1
            for c in chunks:
                c.metadata["n_chunks"] = 0
            held, n = (chunks, vectors), n + len(chunks)
        if held is not None:
            held[0][-1].metadata["n_chunks"] = n
            for _ in upsert(col, *held):
                self.generation += 1
            # chunk i's id is "<doc_id>:i": the new version overwrote the old one's first n; the rest are stale
            col.delete(where={"$and": [{"doc_id": doc.doc_id}, {"chunk": {"$gte": n}}]})
        self.generation += 1
        self._new_write_token()
        return n

    @guarded
    def delete_document(self, doc_id: str) -> int:
        col = self.collection()
        if col is None:
            return 0
        ids = col.get(where={"doc_id": doc_id}, include=[])["ids"]
        if ids:
            self._new_write_token()
            col.delete(ids=ids)
            self.generation += 1
            self._new_write_token()
        return len(ids)
