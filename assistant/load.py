"""Load: files and directories → Documents.

Plain text and Markdown (first line or ``# heading`` is the title), HTML (markup stripped, <title> kept), and JSON / JSONL
news records ``{id?, title, body|text|content, source?, published_at?, url?, author?, category?}``, one article each;
PDF and Word .docx through ``load_office`` (registered by suffix in BINARY_LOADERS). A document without a date gets
one when it can be found: an HTML ``<meta property="article:published_time">`` (and the like), a JSON ``date`` /
``publishedAt`` key, a dateline at the start of the text. Every problem is an InputError with a one-line message naming the file (and line) and what to do.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import InputError
from .types import Document

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}


def _office_loader(name: str) -> Callable[[Path], list[Document]]:
    def load(path: Path) -> list[Document]:
        from . import load_office  # pypdf / python-docx only when such a file is ingested

        return getattr(load_office, name)(path)

    return load


# files read as bytes by their own library, by suffix
BINARY_LOADERS: dict[str, Callable[[Path], list[Document]]] = {".pdf": _office_loader("pdf_documents"),
                                                               ".docx": _office_loader("docx_documents")}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | set(BINARY_LOADERS)
BODY_KEYS = ("body", "text", "content")
DATE_KEYS = ("published_at", "date", "published", "publishedAt", "published_date", "datePublished", "pubDate")


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # files that loaded without error
    errors: list[str] = field(default_factory=list)  # one line each
    skipped: list[Path] = field(default_factory=list)  # files of unsupported types inside the given directories


def content_hash(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def expand(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Files to load, recursively, in a stable order; errors for paths that do not exist or hold nothing loadable."""
    files: list[Path] = []
    errors: list[str] = []
    for path in paths:
        if not path.exists():
            errors.append(f"{path}: no such file or directory; check the path")
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            if not found:
                errors.append(f"{path}: no {', '.join(sorted(SUPPORTED))} files in this directory")
            files.extend(found)
        else:
            files.append(path)
    return files, errors


def unsupported_in(paths: list[Path]) -> list[Path]:
    """Files inside the given directories that ingest does not read (listed in the report, never silently skipped);
    hidden files and folders are left out, as ``expand`` leaves them out."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() not in SUPPORTED
                              and not any(part.startswith(".") for part in p.relative_to(path).parts)))
    return out


def load_paths(paths: list[Path]) -> LoadResult:
    """Load every file; a bad file is reported and skipped whole (never half-loaded)."""
    files, errors = expand([Path(p) for p in paths])
    result = LoadResult(errors=errors, skipped=unsupported_in([Path(p) for p in paths]))
    seen: set[Path] = set()
    for path in files:
        path = path.resolve()
        if path in seen:
            continue
        seen.add(path)
        try:
            docs = load_file(path)
        except InputError as err:
            result.errors.append(str(err))
            continue
        result.documents.extend(docs)
        result.files.append(path)
    return result


def read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: looks like a binary file, not text; ingest .txt .md .html .json or .jsonl files")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not valid UTF-8 (byte {err.start}); re-save the file as UTF-8") from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty; add text or remove it from the input")
    return text


def load_file(path: Path) -> list[Document]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise InputError(f"{path}: unsupported file type '{suffix or '(none)'}'; use {', '.join(sorted(SUPPORTED))}")
    if suffix in BINARY_LOADERS:
        return BINARY_LOADERS[suffix](path)
    text = read_text(path)
    if suffix in TEXT_SUFFIXES:
        return [text_document(path, text)]
    if suffix in HTML_SUFFIXES:
        return [html_document(path, text)]
    return json_documents(path, text)


def make_document(path: Path, title: str, body: str, record: dict | None = None, where: str = "") -> Document:
    record = record or {}
    body = body.strip()
    title = html.unescape(str(title or "")).strip()
    if not body:
        raise InputError(f"{where or path}: the article has no text; give it a body, text or content")
    meta = {key: str(record.get(key) or "").strip() for key in ("source", "url", "author", "category")}
    # no date given: a dateline opening the text (after the title, when the text starts with it)
    published = next((str(record[k]).strip() for k in DATE_KEYS if record.get(k)), "") or \
        dateline_date(body[len(title):] if title and body.startswith(title) else body)
    digest = content_hash(title, body, meta["source"], published, meta["url"])
    record_id = record.get("id")
    doc_id = str(record_id).strip() if record_id not in (None, "") else digest[:16]
    return Document(doc_id=doc_id, title=title, text=body, path=str(path), content_hash=digest,
                    published_at=published, **meta)


def text_document(path: Path, text: str) -> Document:
    lines = text.strip().splitlines()
    first = lines[0].strip()
    if first.startswith("#"):
        return make_document(path, first.lstrip("#").strip(), "\n".join(lines[1:]))
    heading = next((ln.lstrip("#").strip() for ln in lines if ln.startswith("# ")), "")
    if heading:
        return make_document(path, heading, text)
    # plain text: the first line is the title when it reads like one, and it stays in the body either way
    title = first if len(first) <= 200 else first[:120].rsplit(" ", 1)[0] + "…"
    return make_document(path, title, text)


def html_document(path: Path, text: str) -> Document:
    from selectolax.lexbor import LexborHTMLParser  # selectolax>=1.0 removed the old (Modest) HTMLParser

    tree = LexborHTMLParser(text)
    title_node = tree.css_first("title") or tree.css_first("h1")
    title = title_node.text(strip=True) if title_node else path.stem
    meta = html_metadata(tree)
    for selector in ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template"):
        for node in tree.css(selector):
            node.decompose()
    root = tree.css_first("article") or tree.body or tree.root
    blocks = [node.text(separator=" ", strip=True) for node in root.css("h1, h2, h3, h4, p, li, blockquote, pre")]
    body = "\n".join(b for b in blocks if b) or (root.text(separator="\n", strip=True) if root else "")
    if not body.strip():
        raise InputError(f"{path}: the HTML page has no readable text; check it is an article page")
    return make_document(path, meta.pop("title", "") or title, body, meta)


def record_document(path: Path, record: object, where: str) -> Document:
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object (a news record), got {type(record).__name__}")
    body = next((record[k] for k in BODY_KEYS if isinstance(record.get(k), str) and record[k].strip()), None)
    if body is None:
        raise InputError(f"{where}: the record has no 'body', 'text' or 'content' string; add one")
    title = record.get("title") or body.strip().splitlines()[0][:120]
    return make_document(path, str(title), body, record, where)


def json_documents(path: Path, text: str) -> list[Document]:
    records: list[tuple[object, str]] = []
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" and stripped[:1] in "[{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"{path}:{err.lineno}: invalid JSON ({err.msg}); fix the file") from None
        items = data if isinstance(data, list) else [data]
        records = [(item, f"{path}[{i}]") for i, item in enumerate(items)]
    else:
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append((json.loads(line), f"{path}:{lineno}"))
            except json.JSONDecodeError as err:
                raise InputError(f"{path}:{lineno}: invalid JSON ({err.msg}); fix or remove that line") from None
    if not records:
        raise InputError(f"{path}: no records in the file; add one JSON object per line")
    docs: list[Document] = []
    seen: dict[str, tuple[str, str]] = {}
    for record, where in records:
        doc = record_document(path, record, where)
        if doc.doc_id in seen:
            first_where, first_hash = seen[doc.doc_id]
            if first_hash == doc.content_hash:
                continue  # the same article twice: keep one
            raise InputError(f"{where}: duplicate id '{doc.doc_id}' (also at {first_where}); ids must be unique")
        seen[doc.doc_id] = (where, doc.content_hash)
        docs.append(doc)
    return docs


# ---- dates and metadata found in the documents themselves

HTML_META = {  # our key: the <meta> property/name/itemprop values that hold it, first found wins
    "published_at": ("article:published_time", "og:published_time", "datePublished", "date", "pubdate",
                     "publish-date", "dc.date", "dcterms.created", "sailthru.date", "parsely-pub-date"),
    "source": ("og:site_name", "application-name"),
    "author": ("author", "article:author"),
    "url": ("og:url",),
    "title": ("og:title",),
}


def html_metadata(tree) -> dict[str, str]:
    """Date, source, author, url and title from a saved article page's <meta> tags (Open Graph, schema.org, Dublin
    Core), a <time datetime> element and the canonical link; only keys that were found."""
    found: dict[str, str] = {}
    tags = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").strip().lower()
        content = (attrs.get("content") or "").strip()
        if key and content:
            tags.setdefault(key, content)
    for ours, names in HTML_META.items():
        value = next((tags[n.lower()] for n in names if n.lower() in tags), "")
        if value:
            found[ours] = html.unescape(value)
    if "published_at" not in found:
        node = tree.css_first("time[datetime]")
        if node is not None and (node.attributes.get("datetime") or "").strip():
            found["published_at"] = node.attributes["datetime"].strip()
    if "url" not in found:
        node = tree.css_first('link[rel="canonical"]')
        if node is not None and (node.attributes.get("href") or "").startswith("http"):
            found["url"] = node.attributes["href"].strip()
    return found


MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                      "dec"), 1)}
_MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
DATELINE = [
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)\b"),
    re.compile(_MONTH + r"\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b", re.I),
    re.compile(r"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>(?:19|20)\d\d)\b", re.I),
]


def dateline_date(text: str, window: int = 160) -> str:
    """An ISO date from a dateline at the very start of an article ("WASHINGTON, Nov. 18, 2024 (Reuters) -",
    "18 November 2024 —", "2024-11-18:"), else "". Only the first line, up to ``window`` characters, is read: a date
    further on is about something else."""
    from datetime import date

    head = text.lstrip()[:window].split("\n", 1)[0]
    for pattern in DATELINE:
        m = pattern.search(head)
        if not m:
            continue
        month = int(m["mnum"]) if "mnum" in m.groupdict() and m["mnum"] else MONTHS[m["month"][:3].lower()]
        try:
            return date(int(m["year"]), month, int(m["day"])).isoformat()
        except ValueError:
            continue
    return ""


def stdin_documents(text: str) -> list[Document]:
    """`ingest -`: news records on stdin, one JSON object per line (or one JSON array); named <stdin> in messages."""
    if not text.strip():
        raise InputError("<stdin>: nothing on stdin; pipe JSONL records into `assistant ingest -`")
    return json_documents(Path("<stdin>.json" if text.lstrip().startswith("[") else "<stdin>"), text)
