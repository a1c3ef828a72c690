"""BM25 (bm25s, English stemming and stopwords) over the stored chunks, saved beside the store."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..types import Hit

log = logging.getLogger("assistant.index")


# bumped when what is saved changes, so older saved indexes are rebuilt (2: one Tokenizer vocabulary; 3: the write log
# position it was built at, and its token count)
BM25_FORMAT = 3


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
        self.tokens = 0  # how many tokens the indexed chunks hold (their mean length is BM25's avgdl)
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
        self.tokens = sum(len(t) for t in tokens)
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
    def load(cls, folder: Path, store) -> tuple[BM25Index, dict] | None:
        """The index saved under ``folder`` and the stamp it was saved with; None when there is none (or it is
        damaged, or of another format)."""
        import bm25s

        try:
            target = folder / (folder / "current").read_text(encoding="utf-8").strip()
            saved = json.loads((target / "stamp.json").read_text(encoding="utf-8"))
            if saved.get("format") != BM25_FORMAT:
                return None
            ids = json.loads((target / "ids.json").read_text(encoding="utf-8"))
            if saved.get("empty"):
                index = cls(ids, [], store)
            else:
                index = cls(ids, [], store, bm25s.BM25.load(str(target), mmap=True, show_progress=False))
                if index.retriever.scores.get("num_docs") != len(ids):
                    return None
            index.tokens = int(saved["tokens"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return index, saved

    def words(self, query: str) -> list[str]:
        """The query's BM25 tokens (stems), as the chunks were tokenised; repeated words count again."""
        tokenizer = bm25_tokenizer(self.stemmer)
        ids = next(tokenizer.streaming_tokenize([query], allow_empty=False))
        vocab = {i: t for t, i in tokenizer.get_vocab_dict().items()}
        return [vocab[i] for i in ids]

    def scores(self, words: list[str], mask=None):
        """A BM25 score per indexed chunk (None when no word is in the index); ``mask``: a weight per chunk."""
        if self.empty:
            return None
        known = self.retriever.get_tokens_ids(words)
        return self.retriever.get_scores_from_ids(known, weight_mask=mask) if known else None

    def df(self, word: str) -> int:
        """How many indexed chunks hold the word."""
        i = None if self.empty else self.retriever.vocab_dict.get(word)
        if i is None:
            return 0
        indptr = self.retriever.scores["indptr"]
        return int(indptr[i + 1] - indptr[i])

    def search(self, query: str, n: int, mask=None) -> list[Hit]:
        """The top ``n`` chunks by BM25; with ``mask`` (a 0/1 weight per indexed chunk), only those weighted 1."""
        scores = self.scores(self.words(query), mask)
        if scores is None:
            return []
        return hits(self.store, top(scores, n, self.ids))


def top(scores, n: int, ids: list[str]) -> list[tuple[str, float]]:
    """The top n among the chunks that score at all (bm25s's own selection partitions all the scores, mostly zeros:
    ~20 ms at 100k chunks; this, ~1 ms); best first, ties in index order."""
    import numpy as np

    hit = np.flatnonzero(scores > 0)
    best = hit[np.argsort(-scores[hit], kind="stable")[:n]]
    return [(ids[int(i)], float(scores[i])) for i in best]


def hits(store, found: list[tuple[str, float]]) -> list[Hit]:
    """Hits for (chunk id, score) pairs, their texts and metadata read from the store (chunks gone are left out)."""
    rows = store.get_ids([chunk_id for chunk_id, _ in found]) if found else {}
    return [Hit(c, rows[c][0], rows[c][1], score) for c, score in found if c in rows]


# the base index is rebuilt when the documents read again since it was built hold more than this many chunks, or
# this share of it (until then a search scores them beside it: see Lexical)
DELTA_CHUNKS = 2000
DELTA_SHARE = 0.05
SETTLE, SETTLE_CHECKS = 0.5, 3  # seconds between, and how many, checks of a view that differs from the store


class Lexical:
    """BM25 over every chunk of the store, kept in step with it whoever writes. A base index (built from a scan of
    the store, or loaded from disk where a process saved it) stands at a position of the store's write log; the
    documents logged since are read again from the store: their chunks in the base are masked out and their current
    chunks (the "delta") are scored beside it, with the base's term statistics plus their own — a delta chunk scores
    as it would in an index rebuilt over base and delta. When the chunks read again and masked pass DELTA_CHUNKS (or
    DELTA_SHARE of the view), a new base is built in the background (and saved), searches going on meanwhile; past
    twice that, at once. A count check keeps it honest (``_check``)."""

    def __init__(self, store):
        self.store = store
        self.base: BM25Index | None = None
        self.at = None  # the write log position base + delta stand at
        self.base_at = None  # the position the base alone stands at
        self.stamp: tuple | None = None  # the store's stamp when last brought up to date
        self.removed = None  # a bool per base chunk: its document was read again since (so it lives in the delta)
        self.delta: dict[str, list[tuple[str, dict[str, int], int]]] = {}  # doc → [(chunk id, term counts, length)]
        self.delta_df: dict[str, int] = {}
        self._by_doc: dict[str, list[int]] | None = None
        self._masks: dict[str, tuple[tuple | None, object]] = {}
        self._lock = threading.RLock()
        self._last_docs: list[str] = []  # the documents read again last
        self._unsettled: tuple[list[str], float, int] | None = None  # (those documents, when, checks): see _check
        self._builder: threading.Thread | None = None  # a rebuild under way (see _start_rebuild)
        self._built: tuple[BM25Index, Any, int] | None = None  # its result: (base, log position, 1 if scanned)
        self.rebuilt = 0  # how many times the base was built from the store (for tests and benchmarks)

    # ---- what the view holds
    @property
    def ids(self) -> list[str]:
        """The ids of the chunks it holds: the base's not masked out, then the delta's."""
        kept = [] if self.base is None else [c for c, gone in zip(self.base.ids, self.removed) if not gone]
        return kept + [c for chunks in self.delta.values() for c, _, _ in chunks]

    def size(self) -> int:
        base = 0 if self.base is None else len(self.base.ids) - int(self.removed.sum())
        return base + sum(len(chunks) for chunks in self.delta.values())

    # ---- keeping it in step
    def current(self) -> Lexical:
        """Brought up to date with the store: nothing to do while its stamp is unchanged; else the documents logged
        since are read again; rebuilt when it cannot be (no log reaching back), or the delta grew too large."""
        with self._lock:
            stamp = self.store.stamp()
            if self._built is not None:
                self._swap()
            elif stamp == self.stamp:
                if self._unsettled is not None:
                    self._settle()
                return self
            if self.base is None:
                self._load()
            else:
                got = self.store.log.since(self.at)
                if got is None:
                    self._rebuild()  # the log does not reach back to this view
                else:
                    pending = self._unsettled[0] if self._unsettled is not None else []
                    self._apply(list(dict.fromkeys(got[0] + pending)), got[1])
            assert self.removed is not None
            changed = sum(len(chunks) for chunks in self.delta.values()) + int(self.removed.sum())
            if changed > max(DELTA_CHUNKS, DELTA_SHARE * self.size()) and self._builder is None:
                self._start_rebuild()
            self.stamp = stamp
            self._check()
            return self

    def _start_rebuild(self) -> None:
        """Build a new base in a thread while searches go on over the old one and its delta; the next ``current``
        swaps it in. A base another process saved meanwhile (a writer's) is loaded instead of scanning the store. The
        thread is not a daemon: a process that ends (a CLI ingest) finishes and saves it first."""
        import threading

        position = self.base_at

        def build() -> None:
            try:
                folder = self.store.derived_dir("bm25")
                loaded = BM25Index.load(folder, self.store) if folder is not None else None
                if loaded is not None and loaded[1]["at"] != position:
                    got = self.store.log.since(loaded[1]["at"])
                    if got is not None and len(got[0]) <= DELTA_CHUNKS:
                        self._built = (loaded[0], loaded[1]["at"], 0)
                        return
                at = self.store.log.position()
                base = BM25Index.from_store(self.store)
                self._save(base, at)
                self._built = (base, at, 1)
            except Exception as err:  # the view goes on as it is; the next write tries again
                log.warning("rebuilding the BM25 index failed (%s); searching the one there is", err)
                self._builder = None

        self._builder = threading.Thread(target=build, name="bm25-rebuild", daemon=False)
        self._builder.start()

    def _swap(self) -> None:
        assert self._built is not None
        base, at, scanned = self._built
        self._built, self._builder = None, None
        self._reset(base, at)
        self.rebuilt += scanned
        got = self.store.log.since(at)
        if got is None:
            self._rebuild()
        else:
            self._apply(*got)

    def wait(self) -> Lexical:
        """Until a rebuild under way is done (then swapped in at the next ``current``)."""
        builder = self._builder
        if builder is not None:
            builder.join()
        return self

    def _check(self) -> None:
        """Compare the chunks held with the store's count. A difference is often a write under way (its chunks
        landing after they were read again): the documents last read are read again at the next searches, SETTLE
        seconds apart; a difference that stays through SETTLE_CHECKS of them (a write that was not logged, a writer
        killed mid-write after this view read its documents) makes it rebuild."""
        if self.size() == self.store.count(cached=False):
            self._unsettled = None
            return
        checks = self._unsettled[2] + 1 if self._unsettled is not None else 0
        if checks >= SETTLE_CHECKS:
            self._unsettled = None
            self._rebuild()
        else:
            self._unsettled = (self._last_docs, time.monotonic(), checks)

    def _settle(self) -> None:
        assert self._unsettled is not None
        docs, at, _ = self._unsettled
        if time.monotonic() - at >= SETTLE:
            self._apply(docs, self.at)
            self._check()

    def _load(self) -> None:
        folder = self.store.derived_dir("bm25")
        loaded = BM25Index.load(folder, self.store) if folder is not None else None
        if loaded is None:
            self._rebuild()
            return
        self._reset(loaded[0], loaded[1]["at"])
        got = self.store.log.since(self.at)
        if got is None:
            self._rebuild()
        else:
            self._apply(*got)

    def _rebuild(self) -> None:
        """The base built from a scan of the store, at the log position read before the scan began (documents
        written during the scan are read again after it), and saved for other processes."""
        at = self.store.log.position()
        base = BM25Index.from_store(self.store)
        self._reset(base, at)
        self.rebuilt += 1
        self._save(base, at)
        got = self.store.log.since(at)
        if got is not None:
            self._apply(got[0], got[1], rebuild_if_large=False)

    def _save(self, base: BM25Index, at) -> None:
        folder = self.store.derived_dir("bm25")
        if folder is not None:
            try:
                base.save(folder, {"format": BM25_FORMAT, "at": at, "tokens": base.tokens})
            except OSError:
                pass  # a read-only data dir: this process keeps it in memory only

    def _reset(self, base: BM25Index, at) -> None:
        import numpy as np

        self.base, self.at, self.base_at = base, at, at
        self.removed = np.zeros(len(base.ids), dtype=bool)
        self.delta, self.delta_df, self._by_doc, self._masks = {}, {}, None, {}

    def _apply(self, docs: list[str], at, rebuild_if_large: bool = True) -> None:
        """Read these documents' chunks again: masked out of the base, their current chunks into the delta. Past
        twice the delta limit (a long document written, a bulk ingest) reading on costs about what a scan does, and
        holds more: the base is rebuilt at once instead."""
        self.at = at
        self._last_docs = docs
        if not docs:
            return
        base = self.base
        assert base is not None and self.removed is not None
        if self._by_doc is None:
            self._by_doc = {}
            for i, chunk_id in enumerate(base.ids):
                self._by_doc.setdefault(chunk_id.rsplit(":", 1)[0], []).append(i)
        tokenizer = bm25_tokenizer(base.stemmer)
        for doc in docs:
            self.removed[self._by_doc.get(doc, [])] = True
            self.delta.pop(doc, None)
        limit = 2 * max(DELTA_CHUNKS, DELTA_SHARE * len(base.ids))
        held = sum(len(chunks) for chunks in self.delta.values())
        for i in range(0, len(docs), 1000):
            for got in self.store.pages({"doc_id": {"$in": docs[i : i + 1000]}}, include_meta=False):
                held += len(got["ids"])
                if rebuild_if_large and held > limit:
                    self._rebuild()
                    return
                tokens = list(tokenizer.streaming_tokenize(got["documents"]))
                vocab = {j: t for t, j in tokenizer.get_vocab_dict().items()}
                for chunk_id, ids in zip(got["ids"], tokens):
                    counts: dict[str, int] = {}
                    for j in ids:
                        counts[vocab[j]] = counts.get(vocab[j], 0) + 1
                    counts.pop("", None)
                    self.delta.setdefault(chunk_id.rsplit(":", 1)[0], []).append((chunk_id, counts, len(ids)))
        self.delta_df = {}
        for chunks in self.delta.values():
            for _, counts, _ in chunks:
                for word in counts:
                    self.delta_df[word] = self.delta_df.get(word, 0) + 1
        self._masks = {}

    # ---- searching
    def search(self, query: str, n: int, allowed: set[str] | None = None, key: str = "") -> list[Hit]:
        """The top ``n`` chunks by BM25, among ``allowed`` (chunk ids; None: all); ``key`` names that set, so the
        base's 0/1 weights for it are made once per contents."""
        import math

        import numpy as np

        with self._lock:
            if self.base is None:
                self.current()
            base, removed = self.base, self.removed
            assert base is not None and removed is not None
            words = base.words(query)
            if not words:
                return []
            mask = None
            if allowed is not None or removed.any():
                name = key if allowed is not None else ""
                cached = self._masks.get(name)
                if cached is None or cached[0] != self.stamp:
                    keep = ~removed
                    if allowed is not None:
                        keep &= np.array([c in allowed for c in base.ids], dtype=bool)
                    cached = (self.stamp, keep.astype(np.float32))
                    self._masks[name] = cached
                mask = cached[1]
            scores = base.scores(words, mask)
            found = top(scores, n, base.ids) if scores is not None else []
            chunks = [c for doc in self.delta.values() for c in doc if allowed is None or c[0] in allowed]
            if chunks:
                k1, b = (1.5, 0.75) if base.empty else (base.retriever.k1, base.retriever.b)
                n_docs = len(base.ids) + sum(len(d) for d in self.delta.values())
                avgdl = max(1.0, (base.tokens + sum(x for d in self.delta.values() for _, _, x in d)) / n_docs)
                idf = {}
                for w in set(words):
                    df = base.df(w) + self.delta_df.get(w, 0)
                    idf[w] = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
                for chunk_id, counts, length in chunks:
                    norm = k1 * (1 - b + b * length / avgdl)
                    score = sum(idf[w] * counts[w] / (counts[w] + norm) for w in words if w in counts)
                    if score > 0:
                        found.append((chunk_id, float(score)))
                found = sorted(found, key=lambda f: -f[1])[:n]  # stable: the base's first among equals
            return hits(self.store, found)
