"""One writer, many readers: how a process learns that another one wrote to the store, and what it wrote.

Every write to a collection, by any process, goes through ``Store`` and is recorded in the collection's write log,
twice (before the write and after it) with the ids of the documents it touches, and changes the collection's write
token. A reader compares the token before a query (one small read) and, when it changed, asks the log which
documents changed since its views were built; the lexical view (``bm25.Lexical``) reads those documents again, the
rest of what it holds stays.

- On disk (``FileLog``): ``<data_dir>/writes/<collection>/token`` and ``.../log`` (JSON lines, appended).
- On a Chroma server (``ChromaLog``): records in the server's ``assistant-writes`` collection, so that readers on
  other machines see them too: one head record per collection (its token) and one per log entry.

The embedded Chroma (PersistentClient) keeps each collection's HNSW vector index in memory, loaded once per process
(chromadb 1.5.9, rust/frontend/src/executor/local.rs: a collection is "backfilled" once, then served from the cached
index): a process never sees vectors another process wrote later, and a process that then writes saves its stale
index over the other's. So for an on-disk store this process's client is reopened whenever the token moved since its
index was loaded (``LocalViews``), under ``StoreLock`` (flock: exclusive while a process writes, shared while one
loads the index), so that no process loads an index file another is halfway through saving.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Iterator

from ..errors import BackendError

WRITE_WAIT = 120.0  # seconds a writer waits for another writer's lock before a one-line error
LOAD_WAIT = 30.0  # seconds a process waits to load a collection's vector index for the first time
RELOAD_WAIT = 2.0  # seconds a reader waits to reload it after another's write; else it answers from the one it has
LOG_ROTATE = 4 * 1024 * 1024  # bytes: a longer log file is started afresh (readers behind it rebuild their views)
LOG_COLLECTION = "assistant-writes"  # on a Chroma server: the write logs of every collection
LOG_KEEP = 7 * 24 * 3600.0  # seconds a server log entry is kept; a reader further behind rebuilds its views
RETIRE_AFTER = 30.0  # seconds a client replaced by a reopen is kept for calls under way on it, then stopped
LOG_WINDOW = 120.0  # seconds a reader looks back for entries of writers whose clocks lag (several writers)


class StoreLock:
    """An flock on ``<folder>/lock``. Held exclusive while a process writes a collection, shared while one loads
    its vector index from disk; released by the kernel when the holder dies."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    @contextmanager
    def hold(self, exclusive: bool, wait: float) -> Iterator[bool | None]:
        """Yields True while held; False when it could not be had within ``wait`` seconds; None when there is no lock
        (a Chroma server, which orders writes itself; a read-only data dir without a lock file: nobody writes there)."""
        fd = self._open()
        if fd is None:
            yield None
            return
        try:
            deadline = time.monotonic() + wait
            mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
            while True:
                try:
                    fcntl.flock(fd, mode)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.02)
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _open(self) -> int | None:
        if self.folder is None:
            return None
        path = self.folder / "lock"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            try:
                return os.open(path, os.O_RDONLY)
            except OSError:
                return None


# ---- write logs: a position is where a reader's views stand; ``since`` returns the documents written after it
Position = Any  # FileLog: [log id, byte offset]; ChromaLog: [time, [entry ids seen at or after it]] (JSON-able)


class FileLog:
    """The write token and log of a collection in an on-disk store: ``<folder>/token`` (replaced on every write)
    and ``<folder>/log`` (a header line naming the log, then one JSON line per entry)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def token(self) -> str:
        try:
            return (self.folder / "token").read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def append(self, doc_ids: list[str]) -> None:
        """Log an entry naming these documents, then a new token (a view built before it never matches again)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / "log"
            size = path.stat().st_size if path.exists() else -1
            if size < 0 or size > LOG_ROTATE:
                n = 0
                if size >= 0:
                    with open(path, "rb") as f:
                        n = self._header(f).get("n", -1) + 1
                tmp = self.folder / f".log-{os.getpid()}"
                tmp.write_text(json.dumps({"log": uuid.uuid4().hex, "n": n}) + "\n", encoding="utf-8")
                os.replace(tmp, path)
            line = (json.dumps({"docs": doc_ids}) + "\n").encode("utf-8")
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
            tmp = self.folder / f".token-{os.getpid()}"
            tmp.write_text(uuid.uuid4().hex, encoding="utf-8")
            os.replace(tmp, self.folder / "token")
        except OSError:
            pass  # Chroma's own write will say what is wrong with the data dir

    @staticmethod
    def _header(f) -> dict:
        """The log's header (its id, its number: 0 for the first log kept) from its open file, and its length."""
        try:
            line = f.readline()
            header = json.loads(line)
            return {"log": str(header["log"]), "n": int(header["n"]), "size": len(line)}
        except (OSError, ValueError, KeyError, TypeError):
            return {}

    def position(self) -> Position:
        try:
            with open(self.folder / "log", "rb") as f:  # one open file: a log started afresh meanwhile is not mixed in
                header = self._header(f)
                return [header["log"], os.fstat(f.fileno()).st_size] if header else ["", 0]
        except OSError:
            return ["", 0]

    def since(self, position: Position) -> tuple[list[str], Position] | None:
        """The ids of the documents logged after ``position`` (in order, each once) and the new position; None when
        the log no longer reaches back to it (started afresh since)."""
        log_id, offset = position
        try:
            with open(self.folder / "log", "rb") as f:
                header = self._header(f)
                if header and header["log"] != log_id:
                    if log_id or header["n"] != 0:
                        return None
                    offset = header["size"]  # a view built before the store kept a log: all of the first log
                f.seek(offset)
                data = f.read()
        except OSError:
            header = {}
        if not header:
            return ([], position) if not log_id else None
        docs: dict[str, None] = {}
        used = 0
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # an entry being written: read next time
            used += len(line)
            try:
                docs.update(dict.fromkeys(str(d) for d in json.loads(line)["docs"]))
            except (ValueError, KeyError, TypeError):
                continue
        return list(docs), [header["log"], offset + used]


class ChromaLog:
    """The write token and log of a collection on a Chroma server, kept in the server (``LOG_COLLECTION``): the
    head record ``<collection>`` holds the token and how far back the entries go; each entry is a record
    ``<collection>@<uuid>`` with the time it was written and, as its document, the ids of the documents."""

    def __init__(self, client, name: str):
        self.client = client
        self.name = name
        self._col = None
        self._pruned = 0.0

    def _collection(self, create: bool):
        if self._col is None:
            if create:
                self._col = self.client.get_or_create_collection(LOG_COLLECTION, embedding_function=None)
            else:
                try:
                    self._col = self.client.get_collection(LOG_COLLECTION, embedding_function=None)
                except Exception as err:  # NotFoundError: nothing written yet; anything else is a real failure
                    if "does not exist" in str(err) or type(err).__name__ == "NotFoundError":
                        return None
                    raise
        return self._col

    def _head(self) -> dict:
        col = self._collection(create=False)
        if col is None:
            return {}
        got = col.get(ids=[self.name], include=["metadatas"])
        return dict(got["metadatas"][0] or {}) if got["ids"] else {}

    def token(self) -> str:
        return str(self._head().get("token", ""))

    def append(self, doc_ids: list[str]) -> None:
        col = self._collection(create=True)
        now = time.time()
        head = self._head()
        kept_since = float(head.get("kept_since", 0.0))
        if now - self._pruned > 600:  # drop entries older than LOG_KEEP, at most every 10 minutes per writer
            self._pruned = now
            cutoff = now - LOG_KEEP
            col.delete(where={"$and": [{"collection": self.name}, {"at": {"$lt": cutoff}}]})
            kept_since = max(kept_since, cutoff)
        col.add(
            ids=[f"{self.name}@{uuid.uuid4().hex}"],
            embeddings=[[1.0]],
            documents=[json.dumps(doc_ids)],
            metadatas=[{"collection": self.name, "at": now}],
        )
        col.upsert(
            ids=[self.name],
            embeddings=[[1.0]],
            metadatas=[{"collection": "", "token": uuid.uuid4().hex, "kept_since": kept_since}],
        )

    def _entries(self, after: float, documents: bool) -> dict[str, Any]:
        col = self._collection(create=False)
        if col is None:
            return {"ids": [], "metadatas": [], "documents": []}
        where = {"$and": [{"collection": self.name}, {"at": {"$gte": after}}]}
        return col.get(where=where, include=["metadatas", "documents"] if documents else ["metadatas"])

    def position(self) -> Position:
        return self._position(0.0, self._entries(0.0, documents=False))

    @staticmethod
    def _position(after: float, got: dict) -> Position:
        """After reading every entry from ``after`` on: look back LOG_WINDOW before the newest, remembering the
        entries there (read again next time, applied once)."""
        times = [float(m["at"]) for m in got["metadatas"]]
        start = max([after, *[t - LOG_WINDOW for t in times]])
        return [start, sorted(i for i, t in zip(got["ids"], times) if t >= start)]

    def since(self, position: Position) -> tuple[list[str], Position] | None:
        after, seen = float(position[0]), set(position[1])
        if after < float(self._head().get("kept_since", 0.0)):
            return None
        got = self._entries(after, documents=True)
        rows = sorted(zip(got["metadatas"], got["ids"], got["documents"]), key=lambda r: float(r[0]["at"]))
        docs: dict[str, None] = {}
        for _, entry, document in rows:
            if entry not in seen:
                docs.update(dict.fromkeys(str(d) for d in json.loads(document or "[]")))
        return list(docs), self._position(after, got)


# ---- this process's clients of on-disk stores, reopened after another process's write
@dataclass
class _Opened:
    client: Any
    epoch: int
    loaded: dict[str, str] = field(default_factory=dict)  # collection → the token its vector index was loaded at
    guard: threading.RLock = field(default_factory=threading.RLock)


class LocalViews:
    """One chromadb PersistentClient per on-disk store path in this process (chromadb shares one system per path
    anyway). ``reopen`` replaces it with a fresh one, whose collections load their vector indexes from disk again;
    calls under way on the old client finish on it (it is dropped, not stopped)."""

    _opened: dict[str, _Opened] = {}
    _retired: list[tuple[float, Any]] = []  # (when, a chromadb system replaced by a reopen)
    _guard = threading.Lock()

    @classmethod
    def get(cls, path: Path, make) -> _Opened:
        key = str(path)
        with cls._guard:
            opened = cls._opened.get(key)
            if opened is None:
                opened = cls._opened[key] = _Opened(make(), 1)
            return opened

    @classmethod
    def reopen(cls, path: Path, make) -> _Opened:
        """A fresh client for the path. chromadb caches one system per path: it is forgotten, not stopped (calls on
        it may be under way in other threads), and stopped at a later reopen, RETIRE_AFTER seconds on (its vector
        indexes and threads are freed then: a dropped system is never collected by itself)."""
        from chromadb.api.shared_system_client import SharedSystemClient

        key = str(path)
        with cls._guard:
            old = cls._opened.get(key)
            now = time.monotonic()
            for retired in [r for r in cls._retired if now - r[0] > RETIRE_AFTER]:
                cls._retired.remove(retired)
                try:
                    retired[1].stop()
                except Exception:
                    pass
            system = SharedSystemClient._identifier_to_system.pop(key, None)
            SharedSystemClient._identifier_to_refcount.pop(key, None)
            if system is not None:
                cls._retired.append((now, system))
            fresh = cls._opened[key] = _Opened(make(), (old.epoch if old else 0) + 1)
            return fresh

    @classmethod
    def forget(cls, path: Path) -> None:
        with cls._guard:
            cls._opened.pop(str(path), None)


def lock_error(location: str, wait: float) -> BackendError:
    return BackendError(
        f"the store at {location} is being written by another process (its lock was held for {wait:.0f} s); "
        "try again when that ingest is done"
    )
