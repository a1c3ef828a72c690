"""Readers: which reader reads a file, by its suffix — the one table of supported formats.

A text reader is given the file's text (read by ``files.read_text``: UTF-8, size-limited, regular files only); a
binary reader (PDF, Word) reads the file with its own library, after the same checks on the open file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..types import Document
from . import html_page, office, plain, records


@dataclass(frozen=True)
class Reader:
    name: str
    suffixes: tuple[str, ...]
    read: Callable[..., list[Document]]  # (path, text) for a text reader; (path) for a binary one
    binary: bool = False
    records: bool = False  # news records: a byte that is not UTF-8 costs its record only (``files.read_text``)


READERS = (
    Reader("text", (".txt", ".md", ".markdown"), lambda path, text: [plain.text_document(path, text)]),
    Reader("html", (".html", ".htm"), lambda path, text: [html_page.html_document(path, text)]),
    Reader("records", (".json", ".jsonl", ".ndjson"), records.json_documents, records=True),
    Reader("pdf", (".pdf",), office.pdf_documents, binary=True),
    Reader("docx", (".docx",), office.docx_documents, binary=True),
)
BY_SUFFIX = {suffix: reader for reader in READERS for suffix in reader.suffixes}
SUPPORTED = set(BY_SUFFIX)


def reader_for(path: Path) -> Reader:
    """The reader of the file's type; an InputError naming the supported types when there is none."""
    suffix = path.suffix.lower()
    if suffix not in BY_SUFFIX:
        raise InputError(f"{path}: unsupported file type '{suffix or '(none)'}'; use {', '.join(sorted(SUPPORTED))}")
    return BY_SUFFIX[suffix]
