"""Documents: an article's title, text and metadata → a ``Document``, cleaned the same way whatever format it came in.

Text and title are normalised (``sanitize.normalize_text``: NFKC, no zero-width/format/control characters) and
citation-like markers in them become plain text ("[3]" → "(3)"); a title is one line, at most ``MAX_TITLE_CHARS``.
A document without a date gets one when the text gives it: a search snippet's date stamp, else a dateline at its start.
Its id is the record's ``id``, else the first 16 hex digits of its content hash.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

from ..errors import InputError
from ..text.dates import dateline_date, split_date_stamp
from ..text.sanitize import defuse_citations, for_terminal, normalize_text
from ..types import Document

DATE_KEYS = ("published_at", "date", "published", "publishedAt", "published_date", "datePublished", "pubDate")
MAX_TITLE_CHARS = 300  # a title longer than this is cut (with "…"): a 52 KB "title" is an attack, not a headline


def content_hash(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        for i in range(0, len(part), 1 << 20):  # a MB at a time: a 200 MB text is never encoded whole
            h.update(part[i : i + (1 << 20)].encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def clean_title(title: str) -> str:
    title = " ".join(defuse_citations(normalize_text(html.unescape(title))).split())
    if len(title) > MAX_TITLE_CHARS:
        title = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0][: MAX_TITLE_CHARS - 1] + "…"
    return title


def make_document(path: Path, title: str, body: str, record: dict | None = None, where: str = "") -> Document:
    record = record or {}
    body = defuse_citations(normalize_text(body)).strip()
    title = clean_title(str(title or ""))
    if not body:
        raise InputError(f"{where or path}: the article has no text; give it a body, text or content")
    meta = {key: clean_title(str(record.get(key) or "")) for key in ("source", "author", "category")}
    meta["url"] = "".join(normalize_text(str(record.get("url") or "")).split())[:2000]
    given = next((normalize_text(str(record[k])).strip() for k in DATE_KEYS if record.get(k)), "")
    # a search snippet's date stamp ("Oct 2, 2021 ... <text>") is when the snippet was published, not a fact in it:
    # it becomes the date and leaves the text (kept when the record gives another date: then it is not a stamp)
    stamped, rest = split_date_stamp(body)
    if stamped and (not given or given[:10] == stamped) and rest:
        body, given = rest, given or stamped
    # no date given: a dateline opening the text (after the title, when the text starts with it)
    published = given or dateline_date(body, start=len(title) if title and body.startswith(title) else 0)
    digest = content_hash(title, body, meta["source"], published, meta["url"])
    # an id is printed (sources, search, errors): escape sequences and control characters in it are dropped
    record_id = for_terminal(str(record.get("id") or "")).strip() if record.get("id") not in (None, "") else ""
    doc_id = record_id or digest[:16]
    return Document(
        doc_id=doc_id, title=title, text=body, path=str(path), content_hash=digest, published_at=published, **meta
    )
