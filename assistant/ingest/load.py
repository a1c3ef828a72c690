"""Load: files and directories → Documents, each file by the reader its suffix names (``readers.READERS``).

Every problem is an InputError with a one-line message naming the file (and line) and what to do; a bad file is
reported and skipped whole, a bad record alone. One id used for two different articles (in one file or in two) is
refused by name, never silently overwritten (``ids.names_other_article``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..types import Document
from .files import DEFAULT_MAX_FILE_MB, expand, link_target, open_regular, read_text, unsupported_in
from .ids import Seen, names_other_article
from .readers import reader_for
from .records import RecordErrors


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # files that loaded (wholly, or some of their records)
    errors: list[str] = field(default_factory=list)  # one line each
    partial: list[Path] = field(default_factory=list)  # files of `files` with bad records: what they held stays
    skipped: list[str] = field(default_factory=list)  # one line each: links out of a directory, non-regular files
    unsupported: list[Path] = field(default_factory=list)  # files of unsupported types inside the given directories


def load_paths(
    paths: list[Path], max_file_mb: float = DEFAULT_MAX_FILE_MB, follow_external_links: bool = False
) -> LoadResult:
    """Load every file; a bad file is reported and skipped whole, a bad record is reported and skipped alone."""
    files, errors, skipped = expand([Path(p) for p in paths], follow_external_links)
    result = LoadResult(errors=errors, skipped=skipped, unsupported=unsupported_in([Path(p) for p in paths]))
    seen: set[Path] = set()
    owners: dict[str, Seen] = {}  # doc id → the file and content hash of the first article with that id
    for path in files:
        path = link_target(path) or path
        if path in seen:
            continue
        seen.add(path)
        try:
            docs = load_file(path, max_file_mb=max_file_mb)
        except RecordErrors as err:
            docs = err.documents
            result.errors.extend(err.errors)
            result.partial.append(path)
        except InputError as err:
            result.errors.append(str(err))
            continue
        except RecursionError:
            result.errors.append(f"{path}: nested too deeply to read; flatten the file")
            continue
        except OSError as err:
            result.errors.append(f"{path}: cannot be read ({err.strerror or err}); check the file and its permissions")
            continue
        kept = []
        for doc in docs:
            first = owners.get(doc.doc_id)
            if first is None:
                owners[doc.doc_id] = Seen(str(path), doc.content_hash)
                kept.append(doc)
            elif not names_other_article(first, doc.content_hash, str(path)):
                continue  # the very same article again (same content): keep one
            elif first.content_hash == "":
                result.errors.append(
                    f"{path}: id '{doc.doc_id}' is used by several different articles; "
                    "not indexed: give each article its own id"
                )
                if path not in result.partial:
                    result.partial.append(path)
            else:
                result.errors.append(
                    f"{path}: id '{doc.doc_id}' is also the id of a different article in {first.where}; "
                    "neither is indexed now: give each article its own id"
                )
                result.documents = [d for d in result.documents if d.doc_id != doc.doc_id]
                kept = [d for d in kept if d.doc_id != doc.doc_id]
                result.partial.extend(p for p in (path, Path(first.where)) if p not in result.partial)
                owners[doc.doc_id] = Seen(str(path), "")  # any later article with this id conflicts too
        result.documents.extend(kept)
        result.files.append(path)
    return result


def load_file(path: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB) -> list[Document]:
    """The documents of one file, read by the reader of its type (``readers.READERS``)."""
    reader = reader_for(path)
    if reader.binary:
        open_regular(path, max_file_mb).close()  # a pipe or an oversized file is refused before its library reads it
        return reader.read(path)
    return reader.read(path, read_text(path, max_file_mb))
