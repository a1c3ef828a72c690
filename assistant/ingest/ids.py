"""One id, one article: what happens when two documents share an id.

An id names one article. A document whose id was used before is
- the same article again when its content (its content hash) is the same, or when it comes from the same place (a
  file's new version replaces the old one): kept once, nothing to report;
- another article when its content differs and it comes from somewhere else (another file, another line of the same
  file, another record of a request, a file other than the one the store holds it from): a conflict, refused by
  name, never a silent overwrite. A place that is not known ("": added from Python) decides nothing.

``names_other_article`` is the rule; each write path applies it with its own consequence:
- ``records.json_documents``, within one JSON/JSONL file, stdin or a request's records: neither article is indexed;
- ``load.Loader``, between the sources of one ingest (files, stdin, uploads): neither is indexed;
- ``index.writer.refuse_foreign_ids``, against the store (``Assistant.write``): the new one is refused, the indexed
  one stays.
Every way in (files, ``ingest -``, ``POST /v1/ingest`` records and uploads, the MCP ``ingest`` tool, feeds) goes through
them; the places are a file's path, ``<stdin>``, ``api``, ``upload:NAME``, ``mcp:text``, a feed's URL. Only
``Assistant.add_documents`` (from Python) writes Documents as they are.
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
