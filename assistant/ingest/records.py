"""News records: JSON / JSONL ``{id?, title, body|text|content, source?, published_at?, url?, author?, category?}``,
one article each, from a file, from stdin (``ingest -``) or from a request.

One bad record costs that record only: the good ones load, each bad one is reported as ``file:line: what is wrong;
what to do`` (``RecordErrors``); JSON nested too deeply is an error, not a crash; one id given to two different
articles in a file is refused by name (``ids.names_other_article``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import InputError
from ..types import Document
from .documents import make_document
from .ids import Seen, names_other_article

BODY_KEYS = ("body", "text", "content")
# a byte that is not UTF-8, as ``bytes.decode(errors="surrogateescape")`` keeps it: records are decoded that way, so one
# bad byte costs its record (its line) only, never the file's other records
BAD_BYTE = re.compile("[\udc80-\udcff]")


def decode_records(data: bytes) -> str:
    """Record text from bytes: UTF-8 (a BOM dropped), a byte that is not UTF-8 kept as a marker its record is refused
    for (``BAD_BYTE``)."""
    return data.decode("utf-8-sig", errors="surrogateescape")


def _bad_byte(value: object) -> bool:
    if isinstance(value, str):
        return BAD_BYTE.search(value) is not None
    if isinstance(value, dict):
        return any(_bad_byte(k) or _bad_byte(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_bad_byte(v) for v in value)
    return False


class RecordErrors(InputError):
    """Some records of a JSON/JSONL file are bad: ``documents`` holds the good ones, ``errors`` one line per bad one.
    ``str()`` is the first error, so a caller that only wants all-or-nothing can treat it as any InputError."""

    def __init__(self, documents: list[Document], errors: list[str]):
        super().__init__(errors[0])
        self.documents = documents
        self.errors = errors


def record_document(path: Path, record: object, where: str) -> Document:
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object (a news record), got {type(record).__name__}")
    if _bad_byte(record):
        raise InputError(f"{where}: the record holds a byte that is not UTF-8; re-save it as UTF-8")
    body = next((record[k] for k in BODY_KEYS if isinstance(record.get(k), str) and record[k].strip()), None)
    if body is None:
        raise InputError(f"{where}: the record has no 'body', 'text' or 'content' string; add one")
    title = record.get("title") or body.strip().splitlines()[0][:120]
    return make_document(path, str(title), body, record, where)


def json_documents(path: Path, text: str) -> list[Document]:
    """The file's records as Documents. Bad records (invalid JSON, not an object, no body, nested too deeply, an id
    shared by two different records) are each reported and skipped: RecordErrors carries the good ones."""
    records: list[tuple[object, str, int]] = []
    errors: list[tuple[int, str]] = []  # (position, message)
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" and stripped[:1] in "[{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"{path}:{err.lineno}: invalid JSON ({err.msg}); fix the file") from None
        except RecursionError:
            raise InputError(f"{path}: JSON nested too deeply to read; a news record is one flat object") from None
        items = data if isinstance(data, list) else [data]
        records = [(item, f"{path}[{i}]", i) for i, item in enumerate(items)]
    else:
        # records are separated by "\n" only: str.splitlines() would also cut at U+2028, \x1c... inside a string
        for lineno, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            bad = BAD_BYTE.search(line)
            if bad is not None:
                errors.append(
                    (
                        lineno,
                        f"{where}: a byte that is not UTF-8 (column {bad.start() + 1}); re-save that line as UTF-8",
                    )
                )
                continue
            try:
                records.append((json.loads(line), where, lineno))
            except json.JSONDecodeError as err:
                errors.append(
                    (lineno, f"{where}: invalid JSON ({err.msg}, column {err.colno}); fix or remove that line")
                )
            except RecursionError:
                errors.append((lineno, f"{where}: JSON nested too deeply to read; a news record is one flat object"))
    if not records and not errors:
        raise InputError(f"{path}: no records in the file; add one JSON object per line")
    docs, messages = _documents(path, records, errors)
    if messages:
        raise RecordErrors(docs, messages)
    return docs


def _documents(
    path: Path, records: list[tuple[object, str, int]], errors: list[tuple[int, str]]
) -> tuple[list[Document], list[str]]:
    """The good records' Documents, and one line per bad record (with ``errors``, in the records' order)."""
    docs: list[Document] = []
    seen: dict[str, Seen] = {}
    conflicted: set[str] = set()
    for record, where, position in records:
        try:
            doc = record_document(path, record, where)
        except InputError as err:
            errors.append((position, str(err)))
            continue
        except RecursionError:
            errors.append(
                (position, f"{where}: the record is nested too deeply to read; a news record is one flat object")
            )
            continue
        first = seen.get(doc.doc_id)
        if first is not None:
            if not names_other_article(first, doc.content_hash, where):
                continue  # the same article twice: keep one
            errors.append(
                (
                    position,
                    f"{where}: duplicate id '{doc.doc_id}' (also at {first.where}) for a different "
                    "article; neither is indexed: ids must be unique",
                )
            )
            conflicted.add(doc.doc_id)
            continue
        seen[doc.doc_id] = Seen(where, doc.content_hash)
        docs.append(doc)
    docs = [d for d in docs if d.doc_id not in conflicted]
    return docs, [message for _, message in sorted(errors, key=lambda e: e[0])]


STDIN = "<stdin>"


def stdin_documents(text: str | bytes) -> list[Document]:
    """`ingest -`: news records on stdin, one JSON object per line (or one JSON array); named <stdin> in messages and
    as the documents' path (one place, however the records were laid out)."""
    if isinstance(text, bytes):
        if b"\x00" in text[:8192]:
            raise InputError("<stdin>: looks like binary data, not JSONL records; pipe one JSON object per line")
        text = decode_records(text)
    if not text.strip():
        raise InputError("<stdin>: nothing on stdin; pipe JSONL records into `assistant ingest -`")
    path = Path(STDIN)
    if text.lstrip().startswith("["):
        try:
            json.loads(text)
            path = Path(STDIN + ".json")  # one JSON array
        except ValueError:
            pass  # not one array: one record per line, and a line that is no record costs itself only
    try:
        docs = json_documents(path, text)
    except RecordErrors as err:
        for doc in err.documents:
            doc.path = STDIN
        raise
    for doc in docs:
        doc.path = STDIN
    return docs


def request_documents(records: list, origin: str, label: str = "records") -> list[Document]:
    """Records given as JSON values (an HTTP request's ``records``, one MCP article): ``label[i]`` in messages, the
    same rules as a file's records (a bad record costs itself only: ``RecordErrors``; one id for two different
    articles: neither); every document's path is ``origin``."""
    if not records:
        raise InputError(f"{label}: no records; send at least one news record")
    docs, errors = _documents(Path(origin), [(r, f"{label}[{i}]", i) for i, r in enumerate(records)], [])
    for doc in docs:
        doc.path = origin
    if errors:
        raise RecordErrors(docs, errors)
    return docs
