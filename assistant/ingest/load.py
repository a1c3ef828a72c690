"""Load: every way in (files and directories, stdin, a request's records or uploaded files, one article's text) →
Documents, under one set of rules (``Loader``); each file by the reader its suffix names (``readers.READERS``).

Every problem is one line naming the file (and line, or record) and what to do; a bad file is reported and skipped
whole, a bad record alone, and a reader that fails in a way nobody foresaw costs its file only. One id used for two
different articles (in one file, or in two sources of one ingest) is refused by name, never silently overwritten
(``ids.names_other_article``); the check against what the store holds is the writer's (``refuse_foreign_ids``).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..text.sanitize import for_terminal
from ..types import Document
from .files import DEFAULT_MAX_FILE_MB, expand, link_target, open_regular, read_text, unsupported_in
from .ids import Seen, names_other_article
from .readers import reader_for
from .records import RecordErrors, request_documents, stdin_documents

DEFAULT_MAX_UNZIPPED_MB = 100.0


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # sources that loaded (wholly, or some of their records)
    errors: list[str] = field(default_factory=list)  # one line each
    partial: list[Path] = field(default_factory=list)  # files of `files` with bad records: what they held stays
    skipped: list[str] = field(default_factory=list)  # one line each: links out of a directory, non-regular files
    unsupported: list[Path] = field(default_factory=list)  # files of unsupported types inside the given directories
    # files whose new version replaces what they held before (a file given by path); records sent on stdin, in a
    # request or as uploads add to what is indexed and replace nothing
    replacing: set[str] = field(default_factory=set)


def printable_path(path: Path | str) -> str:
    """A path as text that can be printed and stored: bytes that are not UTF-8 (a file name from another system)
    shown as \\xNN."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def _utf8(text: str) -> str:
    """A message with any byte of a non-UTF-8 file name in it shown as \\xNN (it could not be printed otherwise)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="backslashreplace")


class Loader:
    """One ingest's sources, loaded under the same rules whatever they are; ``result`` is what they gave."""

    def __init__(
        self,
        max_file_mb: float = DEFAULT_MAX_FILE_MB,
        follow_external_links: bool = False,
        max_unzipped_mb: float = DEFAULT_MAX_UNZIPPED_MB,
    ):
        self.max_file_mb, self.follow_external_links = max_file_mb, follow_external_links
        self.max_unzipped_mb = max_unzipped_mb
        self.result = LoadResult()
        self._owners: dict[str, Seen] = {}  # doc id → the source and content hash of the first article with that id
        self._seen: set[Path] = set()

    @classmethod
    def for_settings(cls, settings) -> Loader:
        return cls(settings.max_file_mb, settings.follow_external_links, settings.max_unzipped_mb)

    def take(self) -> LoadResult:
        """What was loaded, handed over (the loader keeps nothing: a long file's text is held once)."""
        result, self.result = self.result, LoadResult()
        return result

    # ---- the ways in
    def paths(self, paths: list[Path]) -> Loader:
        """Files and directories (walked): a bad file is reported and skipped whole, a bad record alone."""
        paths = [Path(p) for p in paths]
        files, errors, skipped = expand(paths, self.follow_external_links)
        self.result.errors.extend(_utf8(e) for e in errors)
        self.result.skipped.extend(_utf8(s) for s in skipped)
        self.result.unsupported.extend(unsupported_in(paths))
        for path in files:
            path = link_target(path) or path
            if path in self._seen:
                continue
            self._seen.add(path)
            try:
                str(path).encode("utf-8")
            except UnicodeEncodeError:
                self.result.errors.append(
                    f"{printable_path(path)}: the file name is not valid UTF-8; rename the file, then ingest it"
                )
                continue
            docs = self._read(path, str(path))
            if docs is not None:
                self._admit(path, docs)
                self.result.replacing.add(str(path))
        return self

    def uploads(self, uploads: list[tuple[str, bytes]], prefix: str = "upload:") -> Loader:
        """Files sent in a request, as (name, content): each read as a file of its name's type would be, its
        documents named ``upload:NAME``, every message naming the upload, never a temporary path."""
        with tempfile.TemporaryDirectory(prefix="assistant-upload-") as tmp:
            for i, (name, data) in enumerate(uploads):
                shown = for_terminal(_utf8(Path(name or "").name)).strip()
                if len(shown) > 200:  # cut, keeping the suffix the reader goes by
                    shown = shown[:150] + "…" + Path(shown).suffix[:20]
                shown = shown if shown not in ("", ".", "..") else f"upload-{i}"
                folder = Path(tmp) / str(i)  # one folder each: two uploads may share a name
                folder.mkdir()
                # on disk under a plain name with the upload's suffix (the reader goes by it): the name as sent may
                # be "..", hold a NUL or be too long for the file system; messages use the name as sent
                suffix = Path(shown).suffix.lower()
                path = folder / ("upload" + (suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""))
                path.write_bytes(data)
                docs = self._read(path, shown)
                if docs is None:
                    continue
                for doc in docs:
                    doc.path = prefix + shown
                self._admit(Path(prefix + shown), docs)
        return self

    def stdin(self, data: bytes | str) -> Loader:
        """`ingest -`: JSONL news records (or one JSON array); a bad line (invalid JSON, a byte that is not UTF-8)
        costs itself only."""
        try:
            docs = stdin_documents(data)
        except RecordErrors as err:
            self.result.errors.extend(err.errors)
            self.result.partial.append(Path("<stdin>"))
            docs = err.documents
        except InputError as err:
            self.result.errors.append(str(err))
            return self
        self._admit(Path("<stdin>"), docs)
        return self

    def records(self, records: list, origin: str = "api", label: str = "records") -> Loader:
        """News records given as JSON values (an HTTP request's, one MCP article): ``label[i]`` in messages, ``origin``
        their documents' path."""
        try:
            docs = request_documents(records, origin, label)
        except RecordErrors as err:
            self.result.errors.extend(err.errors)
            self.result.partial.append(Path(origin))
            docs = err.documents
        except InputError as err:
            self.result.errors.append(str(err))
            return self
        self._admit(Path(origin), docs)
        return self

    # ---- the rules
    def _read(self, path: Path, shown: str) -> list[Document] | None:
        """The file's documents (a file with bad records: its good ones, the bad ones reported); None when the file
        is bad, reported in one line that names it as ``shown``."""

        def named(message: str) -> str:
            return _utf8(message.replace(str(path), shown) if shown != str(path) else message)

        try:
            return load_file(path, self.max_file_mb, self.max_unzipped_mb)
        except RecordErrors as err:
            self.result.errors.extend(named(e) for e in err.errors)
            self.result.partial.append(Path(shown))
            return err.documents
        except InputError as err:
            self.result.errors.append(named(str(err)))
        except RecursionError:
            self.result.errors.append(f"{shown}: nested too deeply to read; flatten the file")
        except MemoryError:
            self.result.errors.append(f"{shown}: too large to read in memory; split the file")
        except OSError as err:
            self.result.errors.append(
                named(f"{shown}: cannot be read ({err.strerror or err}); check the file and its permissions")
            )
        except Exception as err:  # a reader's library failing in a way nobody foresaw costs this file only
            detail = str(err).splitlines()[0][:200] if str(err) else ""
            self.result.errors.append(
                named(
                    f"{shown}: could not be read ({type(err).__name__}{': ' + detail if detail else ''}); "
                    "check the file opens in its own program"
                )
            )
        return None

    def _admit(self, path: Path, docs: list[Document]) -> None:
        """A source's documents, unless another source of this ingest gave their id to a different article."""
        where = str(path)
        kept = []
        for doc in docs:
            first = self._owners.get(doc.doc_id)
            if first is None:
                self._owners[doc.doc_id] = Seen(where, doc.content_hash)
                kept.append(doc)
            elif not names_other_article(first, doc.content_hash, where):
                continue  # the very same article again (same content): keep one
            elif first.content_hash == "":
                self.result.errors.append(
                    f"{where}: id '{doc.doc_id}' is used by several different articles; "
                    "not indexed: give each article its own id"
                )
                if path not in self.result.partial:
                    self.result.partial.append(path)
            else:
                self.result.errors.append(
                    f"{where}: id '{doc.doc_id}' is also the id of a different article in {first.where}; "
                    "neither is indexed now: give each article its own id"
                )
                self.result.documents = [d for d in self.result.documents if d.doc_id != doc.doc_id]
                kept = [d for d in kept if d.doc_id != doc.doc_id]
                self.result.partial.extend(p for p in (path, Path(first.where)) if p not in self.result.partial)
                self._owners[doc.doc_id] = Seen(where, "")  # any later article with this id conflicts too
        self.result.documents.extend(kept)
        self.result.files.append(path)


def load_paths(
    paths: list[Path],
    max_file_mb: float = DEFAULT_MAX_FILE_MB,
    follow_external_links: bool = False,
    max_unzipped_mb: float = DEFAULT_MAX_UNZIPPED_MB,
) -> LoadResult:
    """Load every file; a bad file is reported and skipped whole, a bad record is reported and skipped alone."""
    return Loader(max_file_mb, follow_external_links, max_unzipped_mb).paths(paths).result


def load_file(
    path: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB, max_unzipped_mb: float = DEFAULT_MAX_UNZIPPED_MB
) -> list[Document]:
    """The documents of one file, read by the reader of its type (``readers.READERS``)."""
    reader = reader_for(path)
    if reader.binary:
        open_regular(path, max_file_mb).close()  # a pipe or an oversized file is refused before its library reads it
        return reader.read(path, max_unzipped_mb)
    return reader.read(path, read_text(path, max_file_mb, records=reader.records))
