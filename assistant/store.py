"""Store: chunks + vectors in Chroma. On disk under the data dir (PersistentClient), or a Chroma server
(HttpClient) when ``ASSISTANT_CHROMA_URL`` is set. We always supply our own vectors (embedding_function=None: Chroma's
default one downloads a model) and record the embedding model with the collection, refusing to mix models.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any
from urllib.parse import urlparse

from .errors import AssistantError, BackendError, ModelMismatchError
from .settings import Settings
from .types import Chunk, Document, Hit

COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")


def chroma_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
        try:
            return chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                       ssl=url.scheme == "https", settings=chroma_settings)
        except Exception as err:  # chromadb raises plain ValueError/ConnectError when the server is absent
            raise BackendError(f"cannot reach the Chroma server at {settings.chroma_url} ({err}); "
                               "start it with `chroma run --path DIR` or unset ASSISTANT_CHROMA_URL") from None
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


class Store:
    def __init__(self, settings: Settings, embed_model: str):
        if not COLLECTION_NAME.match(settings.collection):
            raise AssistantError(f"collection name '{settings.collection}' is invalid; use 3-512 characters of "
                                 "letters, digits, '.', '_' or '-', starting and ending with a letter or digit")
        self.settings = settings
        self.embed_model = embed_model
        self.client = chroma_client(settings)
        self.name = settings.collection
        self._collection = None
        self.generation = 0  # bumped on every write, so caches over the contents (BM25) know to rebuild

    @property
    def location(self) -> str:
        return self.settings.chroma_url or str(self.settings.chroma_path)

    def collection(self, create: bool = False):
        """The collection, created on first write; None when it does not exist yet and create is False."""
        if self._collection is None:
            try:
                if create:
                    self._collection = self.client.get_or_create_collection(
                        self.name, embedding_function=None,
                        metadata={"hnsw:space": "cosine", "embed_model": self.embed_model})
                else:
                    existing = {c if isinstance(c, str) else c.name for c in self.client.list_collections()}
                    if self.name not in existing:
                        return None
                    self._collection = self.client.get_collection(self.name, embedding_function=None)
            except AssistantError:
                raise
            except Exception as err:
                raise BackendError(f"Chroma store at {self.location} failed: {str(err).splitlines()[0]}") from None
            built_with = (self._collection.metadata or {}).get("embed_model")
            if built_with and built_with != self.embed_model:
                self._collection = None
                raise ModelMismatchError(
                    f"this index was built with the embedding model '{built_with}', not '{self.embed_model}'; "
                    f"set ASSISTANT_EMBED_MODEL={built_with} (and its backend) or use another --data-dir")
        return self._collection

    # ---- reads
    def count(self) -> int:
        col = self.collection()
        return col.count() if col is not None else 0

    def get(self, where: dict | None = None, include_text: bool = True) -> dict[str, list]:
        col = self.collection()
        if col is None:
            return {"ids": [], "documents": [], "metadatas": []}
        include = ["metadatas", "documents"] if include_text else ["metadatas"]
        return col.get(where=where or None, include=include)

    def content_hashes(self, doc_ids: list[str]) -> dict[str, str]:
        if not doc_ids:
            return {}
        got = self.get({"doc_id": {"$in": doc_ids}}, include_text=False)
        return {m["doc_id"]: m.get("content_hash", "") for m in got["metadatas"]}

    def doc_ids_for_path(self, path: str) -> set[str]:
        got = self.get({"path": path}, include_text=False)
        return {m["doc_id"] for m in got["metadatas"]}

    def documents(self) -> list[dict[str, Any]]:
        """One row per indexed document, in ingest order of their paths."""
        got = self.get(include_text=False)
        rows: dict[str, dict[str, Any]] = {}
        counts: dict[str, int] = defaultdict(int)
        for meta in got["metadatas"]:
            doc_id = meta["doc_id"]
            counts[doc_id] += 1
            rows.setdefault(doc_id, {k: meta.get(k, "") for k in
                                     ("doc_id", "title", "source", "published_at", "url", "path")})
        for doc_id, row in rows.items():
            row["chunks"] = counts[doc_id]
        return sorted(rows.values(), key=lambda r: (r["path"], r["title"], r["doc_id"]))

    def query(self, vector: list[float], n: int, where: dict | None = None) -> list[Hit]:
        col = self.collection()
        if col is None or n <= 0:
            return []
        res = col.query(query_embeddings=[vector], n_results=n, where=where or None,
                        include=["documents", "metadatas", "distances"])
        return [Hit(*row) for row in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])]

    # ---- writes
    def replace_document(self, doc: Document, chunks: list[Chunk], vectors: list[list[float]]) -> None:
        """Write a document's chunks, then drop any of its older chunks that the new version no longer has."""
        col = self.collection(create=True)
        old = set(col.get(where={"doc_id": doc.doc_id}, include=[])["ids"])
        batch = 1000
        for i in range(0, len(chunks), batch):
            part = chunks[i:i + batch]
            col.upsert(ids=[c.chunk_id for c in part], documents=[c.text for c in part],
                       metadatas=[c.metadata for c in part], embeddings=vectors[i:i + batch])
        stale = old - {c.chunk_id for c in chunks}
        if stale:
            col.delete(ids=sorted(stale))
        self.generation += 1

    def delete_document(self, doc_id: str) -> int:
        col = self.collection()
        if col is None:
            return 0
        ids = col.get(where={"doc_id": doc_id}, include=[])["ids"]
        if ids:
            col.delete(ids=ids)
            self.generation += 1
        return len(ids)
