"""Web: a URL the user gave → Documents. A feed (RSS/Atom, see ``feeds``) gives one per item; an article page gives
one, its main text found by ``trafilatura`` (navigation, ads, comments and boilerplate left out) with its title,
author, date, site name and canonical URL.

The page goes through the loader's rules: what a reader does not see is dropped first (``html_page.drop_hidden``), then
``make_document`` sanitises the text and title and computes the content hash. The id is the canonical URL (the
page's ``<link rel="canonical">`` / ``og:url``, else the address it was fetched from after redirects), so the same
article fetched again keeps its id; the document's ``path`` is the URL as given.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import InputError
from ..text.sanitize import normalize_text
from ..types import Document
from .feeds import feed_documents, looks_like_feed, need
from .fetch import Fetched


@dataclass
class UrlLoad:
    url: str
    kind: str  # "feed" | "page" | "not modified"
    title: str = ""  # the feed's title, or the page's
    documents: list[Document] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line per item that did not load
    etag: str = ""
    last_modified: str = ""


def documents_from(fetched: Fetched) -> UrlLoad:
    """What a fetched response holds; an InputError (one line) when it is neither a feed nor an article page."""
    url, etag, modified = fetched.url, fetched.etag, fetched.last_modified
    if fetched.not_modified:
        return UrlLoad(url, "not modified", etag=etag, last_modified=modified)
    if looks_like_feed(fetched.content, fetched.content_type):
        items = feed_documents(url, fetched.content, fetched.content_type)
        return UrlLoad(url, "feed", items.title, items.documents, items.errors, etag, modified)
    kind = fetched.content_type.split(";")[0].strip().lower()
    if kind and "html" not in kind and not fetched.content[:512].lstrip().lower().startswith((b"<!doctype", b"<html")):
        raise InputError(
            f"{url}: the response ({kind}) is neither an RSS/Atom feed nor an HTML page; "
            "give a feed's or an article's URL"
        )
    doc = page_document(url, fetched.final_url, fetched.content)
    return UrlLoad(url, "page", doc.title, [doc], etag=etag, last_modified=modified)


def page_document(url: str, final_url: str, content: bytes) -> Document:
    """The article on an HTML page: main text and metadata by trafilatura, after hidden elements are dropped."""
    trafilatura = need("trafilatura")
    from selectolax.lexbor import LexborHTMLParser

    from .documents import make_document
    from .html_page import drop_hidden

    from trafilatura.utils import decode_file  # the page's charset: HTTP header, <meta>, else detected

    tree = LexborHTMLParser(decode_file(content))
    drop_hidden(tree)
    cleaned = tree.html or ""
    found = trafilatura.bare_extraction(
        cleaned,
        config=_config(),
        url=final_url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
    )
    text = (getattr(found, "text", "") or "") if found is not None else ""
    if not text.strip():
        raise InputError(f"{url}: no article text found on the page; give an article's URL (or its feed's)")
    title = getattr(found, "title", "") or ""
    if title and text.startswith(title):  # trafilatura repeats the headline as the text's first line
        text = text[len(title) :].lstrip("\n")
    canonical = " ".join(normalize_text(getattr(found, "url", "") or "").split()) or final_url
    record = {
        "id": canonical[:500],
        "url": canonical,
        "author": getattr(found, "author", "") or "",
        "source": getattr(found, "sitename", "") or getattr(found, "hostname", "") or "",
        "category": ", ".join(getattr(found, "categories", None) or [])[:200],
        "published_at": getattr(found, "date", "") or "",
    }
    doc = make_document(Path(url), title, text or title, record, where=url)
    return replace(doc, path=url)


MIN_ARTICLE_CHARS = 40  # less main text than this is a menu or a stub, not an article


def _config():
    """trafilatura's defaults, but a page needs MIN_ARTICLE_CHARS of main text (its default is 1)."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", str(MIN_ARTICLE_CHARS))
    return config
