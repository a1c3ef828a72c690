"""llama-index ``Document``s (any reader's output) into the index, by the rules ``assistant ingest`` applies.

Each becomes a ``Document`` through ``ingest.documents.make_document`` (text normalised, citation-like markers
defused, a title, a date from the metadata or the text, an id), within the size limit for a file; then the write
path of ``ingest``: an id the store holds from another file for another article is refused
(``index.writer.refuse_foreign_ids``), and ``Assistant.add_documents`` writes the rest (an unchanged document is
left alone). What is wrong with one document costs that document only, reported in the ``IngestReport``'s errors.

The id: the metadata's ``id`` (or ``doc_id``), else the llama-index id when it was given (a reader's random UUID
is not an id: the same file read twice would index twice), else the content hash, as for a file. The metadata's
``title``, ``source``, ``published_at`` (or ``date``, ...), ``url``, ``author`` and ``category`` are read;
``file_path`` (SimpleDirectoryReader's) is the path.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..ingest.documents import DATE_KEYS, make_document
from ..ingest.ids import Seen, names_other_article
from ..types import Document

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
URL_KEYS = ("url", "source_url", "link")


def _text(doc: Any) -> str:
    text = getattr(doc, "text", None)
    if isinstance(text, str):
        return text
    return doc.get_content()


def to_document(doc: Any, where: str, max_chars: int | None = None) -> Document:
    from llama_index.core.schema import BaseNode

    if not isinstance(doc, BaseNode):
        raise InputError(
            f"{where}: a {type(doc).__name__} is not a llama-index Document; give a reader's output, or "
            "Document(text=..., metadata={...})"
        )
    text = _text(doc)
    if max_chars and len(text) > max_chars:
        raise InputError(f"{where}: {len(text):,} characters is over the size limit for a file (max_file_mb)")
    meta = doc.metadata or {}
    given_id = meta.get("id") or meta.get("doc_id")
    if given_id in (None, "") and doc.id_ and not UUID.match(str(doc.id_)):
        given_id = doc.id_
    record = {
        "id": given_id,
        "source": meta.get("source") or meta.get("publisher") or "",
        "url": next((meta[k] for k in URL_KEYS if isinstance(meta.get(k), str)), ""),
        "author": meta.get("author") or "",
        "category": meta.get("category") or "",
        **{k: meta[k] for k in DATE_KEYS if isinstance(meta.get(k), str)},
    }
    lines = text.strip().splitlines()
    title = str(meta.get("title") or (lines[0][:120] if lines else ""))
    path = str(meta["file_path"]) if isinstance(meta.get("file_path"), str) else ""
    # a document from Python has no file ("": its place decides nothing in the one-id-one-article rule)
    return replace(make_document(Path(path), title, text, record, where), path=path)


def to_documents(docs, max_chars: int | None = None) -> tuple[list[Document], list[str]]:
    """(the Documents, one error line per document refused); within the batch, an id given to two different
    articles from different places keeps the first (``ids.names_other_article``)."""
    if not isinstance(docs, (list, tuple)):
        docs = [docs]
    out: list[Document] = []
    errors: list[str] = []
    seen: dict[str, Seen] = {}
    for i, doc in enumerate(docs):
        where = f"document {i}"
        try:
            converted = to_document(doc, where, max_chars)
        except InputError as err:
            errors.append(str(err))
            continue
        place = converted.path or where
        first = seen.get(converted.doc_id)
        if first is not None:
            if names_other_article(first, converted.content_hash, place):
                errors.append(
                    f"{where}: id '{converted.doc_id}' is given to another article ({first.where}) in this batch; "
                    "give each article its own id"
                )
            continue
        seen[converted.doc_id] = Seen(place, converted.content_hash)
        out.append(converted)
    return out, errors


def ingest_documents(assistant, docs) -> Any:
    """Index llama-index Documents; returns the ``IngestReport`` (added, updated, unchanged, errors, ...)."""
    from ..index.writer import refuse_foreign_ids

    s = assistant.settings
    max_chars = int(s.max_file_mb * 2**20) if s.max_file_mb else None
    converted, errors = to_documents(docs, max_chars)
    kept, refused = refuse_foreign_ids(assistant.store, converted)
    report = assistant.add_documents(kept) if kept else None
    if report is None:
        from ..index.writer import IngestReport

        report = IngestReport()
    report.errors = errors + refused + report.errors
    return report
