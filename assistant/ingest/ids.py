"""One id, one article: what happens when two documents share an id.

An id names one article. A document whose id was used before is
- the same article again when its content (its content hash) is the same, or when it comes from the same place (a
  file's new version replaces the old one): kept once, nothing to report;
- another article when its content differs and it comes from somewhere else (another file, another line of the same
  file, another record of a request, a file other than the one the store holds it from): a conflict, refused by
  name, never a silent overwrite. A place that is not known ("": added from Python) decides nothing.

``names_other_article`` is the rule; each write path applies it with its own consequence:
- ``records.json_documents``, within one JSON/JSONL file: neither article is indexed;
- ``load.load_paths``, between the files of one ingest: neither is indexed;
- ``index.writer.refuse_foreign_ids``, against the store (``Assistant.ingest``): the new one is refused, the indexed
  one stays;
- ``interfaces.server.service``, within one request's records: the first is kept.
``ingest -`` (stdin), ``POST /v1/ingest`` and the MCP ``ingest`` tool write through ``Assistant.add_documents``, which
does not check against the store (yet).
"""

from __future__ import annotations

from typing import NamedTuple


class Seen(NamedTuple):
    """The first document seen with an id."""

    where: str  # the file, line or record it came from ("" when not known)
    content_hash: str  # "" once the id is known to name several different articles


def names_other_article(first: Seen | None, content_hash: str, where: str) -> bool:
    """Does a document (its ``content_hash``, from ``where``) name another article than ``first``, the first seen with
    its id?"""
    return (
        first is not None
        and bool(first.where)
        and bool(where)
        and first.where != where
        and first.content_hash != content_hash
    )
