"""Feeds: an RSS or Atom feed's bytes → one Document per item, through the loader's rules (``make_document``:
sanitised text and title, citation markers defused, a content hash, the item's id kept as the document's id).

Parsed by ``feedparser`` (RSS 0.9x/1.0/2.0, Atom 0.3/1.0; encodings, entities and dates as feeds really write them).
Its own fetching is never used: the bytes come from ``fetch.Fetcher`` and are handed over as a stream (a bytes
argument would be tried as a file name first). Per item:

- id: the entry's id (RSS ``guid``, Atom ``id``), else its link, else the content hash (as for a file's record);
- text: the entry's content, else its summary; HTML is reduced to its visible text (``html_page.drop_hidden``: hidden
  elements, comments, scripts and styles go first), so an item is read as a reader sees it;
- ``published_at``: the entry's published date, else its updated date, in ISO 8601 (UTC), as the feed gives it;
- ``source``: the feed's title; ``url``: the entry's link; ``author``; ``category``: its first tag;
- ``path``: the feed's URL (where it came from, as a file's path is for its records), so an item whose id is indexed
  from somewhere else for another article is refused by name (``index.writer.refuse_foreign_ids``).

An item that cannot be used (no text, a duplicate id for another article) is one error line; the other items load.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import InputError
from ..text.sanitize import normalize_text
from ..types import Document

MAX_ID_CHARS = 500
FEED_TYPES = ("rss", "atom", "rdf", "xml")


@dataclass
class FeedItems:
    title: str
    documents: list[Document] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line per item that was not loaded


def need(module: str):
    """Import a library of the ``feeds`` extra, or say in one line how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(
            f"reading feeds and web pages needs {module}, which is not installed: pip install 'newsqa-assistant[feeds]'"
        ) from None


def require_extra() -> None:
    """Both libraries of the ``feeds`` extra are there (checked before anything is fetched)."""
    need("feedparser")
    need("trafilatura")


def looks_like_feed(content: bytes, content_type: str) -> bool:
    """RSS/Atom by the document's first element, else by the declared type (an HTML page is not a feed)."""
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    while head.startswith((b"<?xml", b"<!--", b"<?xml-stylesheet")):  # the prolog, comments and stylesheets first
        end = head.find(b"?>" if head.startswith(b"<?") else b"-->")
        if end < 0:
            break
        head = head[end + (2 if head.startswith(b"<?") else 3) :].lstrip()
    if head.startswith((b"<rss", b"<feed", b"<rdf:rdf", b"<rdf")):
        return True
    if head.startswith((b"<!doctype html", b"<html")):
        return False
    kind = content_type.split(";")[0].strip().lower()
    return any(k in kind for k in FEED_TYPES) and "html" not in kind


def feed_documents(url: str, content: bytes, content_type: str = "") -> FeedItems:
    """The feed's items as Documents; an InputError when the bytes are not a feed at all."""
    feedparser = need("feedparser")
    parsed = feedparser.parse(io.BytesIO(content), response_headers={"content-type": content_type or "text/xml"})
    if not parsed.entries:
        if parsed.get("bozo") and not parsed.get("version"):
            raise InputError(f"{url}: not a readable feed ({_bozo(parsed)}); check that the URL is the feed's")
        if parsed.get("bozo"):
            raise InputError(f"{url}: the feed is malformed ({_bozo(parsed)}) and no item could be read")
        if not parsed.get("version"):
            raise InputError(f"{url}: not an RSS or Atom feed; give a feed's URL or an article page's")
    title = _one_line(parsed.feed.get("title", "")) or (url.split("//", 1)[-1].split("/", 1)[0])
    items = FeedItems(title=title)
    seen: dict[str, tuple[int, str]] = {}  # id → (item number, content hash)
    conflicted: set[str] = set()
    for n, entry in enumerate(parsed.entries, 1):
        where = f"{url} item {n}"
        try:
            doc = entry_document(url, title, entry, where)
        except InputError as err:
            items.errors.append(str(err))
            continue
        if doc.doc_id in seen:
            first, digest = seen[doc.doc_id]
            if digest != doc.content_hash:
                items.errors.append(
                    f"{where}: id '{doc.doc_id}' is also the id of item {first}, a different article; neither is "
                    "indexed: the feed repeats an id"
                )
                conflicted.add(doc.doc_id)
            continue
        seen[doc.doc_id] = (n, doc.content_hash)
        items.documents.append(doc)
    items.documents = [d for d in items.documents if d.doc_id not in conflicted]
    return items


def entry_document(url: str, feed_title: str, entry, where: str) -> Document:
    from .documents import make_document

    body = _entry_text(entry)
    title = entry.get("title", "") or ""
    if not body.strip():
        raise InputError(
            f"{where} ('{_one_line(title)[:80]}'): the feed gives no text for it; ingest the article's page URL"
        )
    tags = entry.get("tags") or []
    record = {
        "id": _entry_id(entry),
        "source": feed_title,
        "author": entry.get("author", ""),
        "url": entry.get("link", ""),
        "category": (tags[0].get("term") or "") if tags else "",
        "published_at": _entry_date(entry),
    }
    doc = make_document(Path(where), _one_line(title), body, record, where)
    return replace(doc, path=url)


def _entry_id(entry) -> str:
    for key in ("id", "link"):
        value = " ".join(normalize_text(str(entry.get(key) or "")).split())
        if value:
            return value[:MAX_ID_CHARS]
    return ""  # make_document uses the content hash


def _entry_date(entry) -> str:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", value)
    return ""


def _entry_text(entry) -> str:
    parts = entry.get("content") or []
    chosen = next((p for p in parts if "html" in (p.get("type") or "")), parts[0] if parts else None)
    if chosen is not None and (chosen.get("value") or "").strip():
        value, kind = chosen["value"], chosen.get("type") or ""
    else:
        detail = entry.get("summary_detail") or {}
        value, kind = entry.get("summary", "") or "", detail.get("type") or "text/html"
    return html_text(value) if "html" in kind or "<" in value else value


def html_text(fragment: str) -> str:
    """The visible text of an HTML fragment (an item's content), one block per line."""
    from selectolax.lexbor import LexborHTMLParser

    from .html_page import drop_hidden

    tree = LexborHTMLParser(f"<html><body>{fragment}</body></html>")
    drop_hidden(tree)
    root = tree.body
    if root is None:
        return ""
    blocks = [node.text(separator=" ", strip=True) for node in root.css("h1, h2, h3, h4, p, li, blockquote, pre")]
    return "\n".join(b for b in blocks if b) or root.text(separator=" ", strip=True)


def _bozo(parsed) -> str:
    err = parsed.get("bozo_exception")
    if hasattr(err, "getMessage") and hasattr(err, "getLineNumber"):  # the XML parser's: where it stopped
        return f"{err.getMessage()} at line {err.getLineNumber()}, column {err.getColumnNumber()}"
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:160]


def _one_line(text: str) -> str:
    return " ".join(normalize_text(str(text or "")).split())
