"""Write: Documents → chunks → vectors → the store, and what a write did (``IngestReport``).

``IndexWriter.write`` takes what a ``Loader`` loaded — from files (``ingest``), stdin, a request's records or uploads,
an MCP article: one write path — refuses an id the store holds from another source for another article
(``refuse_foreign_ids``), writes the rest (``add_documents``), drops what a changed file no longer holds and
then has the BM25 index rebuilt. ``add_documents`` writes Documents as they are: a document stored whole with the same
content is left alone, one stored partly (a write cut short) or in another version is rewritten.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

from ..ingest.ids import Seen, names_other_article
from ..settings import Settings
from ..types import Document

INGEST_BATCH_CHUNKS = 512  # chunks embedded and written together (see add_documents)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)  # doc ids
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # older versions replaced by a changed file
    chunks: int = 0
    files: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    repaired: list[str] = field(default_factory=list)  # doc ids (also in added/updated) found incomplete and rewritten
    skipped: list[str] = field(default_factory=list)  # one line each: links out of a directory, pipes, devices
    unsupported: list[str] = field(default_factory=list)  # files of unsupported types found inside directories

    def to_json(self, fields: Sequence[str] | None = None) -> dict[str, Any]:
        """The report as one JSON object (``ingest --json``); ``fields``: only these, in this order (the HTTP API's
        ``HTTP_FIELDS``, the MCP tool's ``MCP_FIELDS``)."""
        data = asdict(self)
        return data if fields is None else {k: data[k] for k in fields}

    def merge(self, other: IngestReport) -> IngestReport:
        """This report with another write's added to it (ids, errors, chunks, files, seconds); returns self."""
        for key in ("added", "updated", "unchanged", "removed", "errors"):
            getattr(self, key).extend(getattr(other, key))
        self.chunks += other.chunks
        self.files += other.files
        self.seconds += other.seconds
        return self


HTTP_FIELDS = ("added", "updated", "unchanged", "removed", "chunks", "files", "errors", "seconds")
MCP_FIELDS = HTTP_FIELDS[:-1]


def refuse_foreign_ids(store, docs: list[Document]) -> tuple[list[Document], list[str]]:
    """Documents whose id the store holds from another file, for another article (``ids.names_other_article``), are
    refused by name: (the others, one error line per refused one). The one check of a write against the store."""
    states = store.document_states([d.doc_id for d in docs if d.path])
    kept, errors = [], []
    for doc in docs:
        st = states.get(doc.doc_id)
        first = Seen(st["path"], st["hash"]) if st else None
        if first is not None and names_other_article(first, doc.content_hash, doc.path):
            errors.append(
                f"{doc.path}: id '{doc.doc_id}' is already indexed from {first.where} for a different "
                f"article; not replaced: give it its own id, or `assistant remove {doc.doc_id}` first"
            )
        else:
            kept.append(doc)
    return kept, errors


class IndexWriter:
    """Writes into one store: ``embed`` turns texts into vectors (called only for what is written), ``refresh``
    rebuilds the BM25 index after a write."""

    def __init__(
        self,
        store,
        embed: Callable[[list[str]], list[list[float]]],
        settings: Settings,
        refresh: Callable[[], None],
    ):
        self.store, self.embed, self.settings, self.refresh = store, embed, settings, refresh

    def loader(self):
        """A ``Loader`` with this store's limits: every source of one write goes through it."""
        from ..ingest.load import Loader

        return Loader.for_settings(self.settings)

    def ingest(self, paths: list[str | Path], progress: Callable[[float, int], None] | None = None) -> IngestReport:
        """Index files and directories. Bad files and bad records are reported and skipped; nothing already indexed
        is lost: a file with a bad record keeps what it held, and an id that is indexed from another file with
        different content is refused (naming both files), never overwritten."""
        start = time.perf_counter()
        report = self.write(self.loader().paths([Path(p) for p in paths]), progress)
        report.seconds = time.perf_counter() - start
        return report

    def write(self, loader, progress: Callable[[float, int], None] | None = None) -> IngestReport:
        """Write what a ``Loader`` loaded (its result is taken from it): the one write path. Ids the store holds from
        another source for another article are refused by name; a file given by path replaces what it held before."""
        start = time.perf_counter()
        loaded = loader.take()
        docs, errors = refuse_foreign_ids(self.store, loaded.documents)
        accepted = {id(d) for d in docs}
        report = self.add_documents(docs, progress=progress, refresh=False)
        report.errors = loaded.errors + errors
        report.skipped = loaded.skipped
        report.unsupported = [str(p) for p in loaded.unsupported]
        report.files = len(loaded.files)
        # a changed file replaces its old documents: drop what a file held before and no longer holds (not for a
        # file with bad records or refused ids: what it held may be what the bad line was meant to update)
        keep = {str(p) for p in loaded.partial} | {d.path for d in loaded.documents if id(d) not in accepted}
        fresh: dict[str, set[str]] = {}
        for path, doc_id in [(d.path, d.doc_id) for d in loaded.documents]:
            if path in loaded.replacing:  # records from stdin or a request add; they replace nothing
                fresh.setdefault(path, set()).add(doc_id)
        del docs, loaded  # their texts (a long file's is hundreds of MB) are not held beside the BM25 rebuild's
        for path, ids in fresh.items():
            if path in keep:
                continue
            for old_id in sorted(self.store.doc_ids_for_path(path) - ids):
                self.store.delete_document(old_id)
                report.removed.append(old_id)
        if report.chunks or report.removed:
            self.refresh()
        report.seconds = time.perf_counter() - start
        return report

    def add_documents(
        self,
        docs: list[Document],
        progress: Callable[[float, int], None] | None = None,
        batch_chunks: int | None = None,
        refresh: bool = True,
    ) -> IngestReport:
        """Chunk, embed and store documents; a document stored whole with the same content is left alone, one
        stored partly (a write cut short) or in another version is rewritten. Then (``refresh``) the BM25 index
        is rebuilt and saved. ``progress(done, total)`` counts documents; within a long one, ``done`` moves by the
        share of its text written. Chunks are embedded ``batch_chunks`` at a time: the embedder sorts a batch by
        length, and MultiHop's chunks (20 to 166 word pieces) embed at 71 chunks/s in batches of 64 against 120 in
        batches of 512 (padding)."""
        from ..ingest.chunk import Chunker

        batch_chunks = batch_chunks or INGEST_BATCH_CHUNKS
        report = IngestReport()
        chunker = Chunker(self.settings.chunk_tokens, self.settings.chunk_overlap)
        states = self.store.document_states([d.doc_id for d in docs])
        todo: list[Document] = []
        for doc in docs:
            st = states.get(doc.doc_id)
            if st and st["hash"] == doc.content_hash:
                # complete; or written before n_chunks was recorded, with as many chunks as the chunker makes
                if st["complete"] or (st["n_chunks"] is None and st["chunks"] == sum(1 for _ in chunker.chunks(doc))):
                    report.unchanged.append(doc.doc_id)
                    continue
                report.repaired.append(doc.doc_id)
            elif st and st["hash"] == "":
                report.repaired.append(doc.doc_id)
            todo.append(doc)
        pending: list[tuple[Document, list]] = []
        pending_ids: set[str] = set()  # the documents in ``pending``, and their chunks, counted as they are added
        pending_chunks = 0
        done = 0
        if progress:  # the real total from the start, before the first (slow) embedding batch
            progress(0, len(todo))

        written: set[str] = set()  # ids written by this call (a path can repeat an id): they have chunks now

        def record(doc, n):
            (report.updated if doc.doc_id in states or doc.doc_id in written else report.added).append(doc.doc_id)
            written.add(doc.doc_id)
            report.chunks += n

        def flush():
            nonlocal done, pending_chunks
            chunks = [c for _, cs in pending for c in cs]
            vectors = self.embed([c.text for c in chunks])
            items, offset = [], 0
            for doc, cs in pending:
                items.append((doc, cs, vectors[offset : offset + len(cs)]))
                offset += len(cs)
            # one Chroma write for the batch (its cost is mostly per call); only documents stored before have old chunks
            self.store.write_documents(items, stored=states.keys() | written)
            for doc, cs in pending:
                record(doc, len(cs))
            done += len(pending)
            pending.clear()
            pending_ids.clear()
            pending_chunks = 0
            if progress:
                progress(done, len(todo))

        def slices(doc, chunks):
            """A long document's chunks with their vectors, ``batch_chunks`` at a time, as the chunker makes them."""
            while part := list(islice(chunks, batch_chunks)):
                yield part, self.embed([c.text for c in part])
                if progress:
                    progress(done + min(part[-1].end_char / len(doc.text), 1.0), len(todo))

        for doc in todo:
            stream = chunker.chunks(doc)
            head = list(islice(stream, batch_chunks + 1))
            if len(head) > batch_chunks:  # a long document: embedded and written a slice at a time, never held whole
                if pending:
                    flush()
                record(doc, self.store.write_document(doc, slices(doc, chain(head, stream))))
                done += 1
                if progress:
                    progress(done, len(todo))
                continue
            if doc.doc_id in pending_ids:  # one write holds each document once
                flush()
            pending.append((doc, head))
            pending_ids.add(doc.doc_id)
            pending_chunks += len(head)
            if pending_chunks >= batch_chunks:
                flush()
        if pending:
            flush()
        if refresh and report.chunks:
            self.refresh()
        return report
