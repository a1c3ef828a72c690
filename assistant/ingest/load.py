"""Load: files and directories → Documents.

Plain text and Markdown (first line or ``# heading`` is the title), HTML (markup stripped, <title> kept), and
JSON / JSONL news records ``{id?, title, body|text|content, source?, published_at?, url?, author?, category?}``, one
article each.
Every problem is an InputError with a one-line message naming the file (and line) and what to do.

Untrusted input, read defensively:
- only regular files are opened (a named pipe or device would block or never end), non-blocking, checked with fstat
  on the open descriptor, and never past ``max_file_mb``;
- a directory is walked without leaving it: a symlink whose target lies outside the directory is skipped and
  reported (``follow_external_links`` follows file links anyway); directory links are never descended;
- one bad record in a JSON/JSONL file costs that record only: the good ones load, each bad one is reported as
  ``file:line: what is wrong; what to do`` (``RecordErrors``), and JSON nested too deeply is an error, not a crash;
- one id used for two different articles (in one file or in two) is refused by name, never silently overwritten;
- text is normalised (``sanitize.normalize_text``: NFKC, no zero-width/format/control characters) and citation-like
  markers in it become plain text ("[3]" → "(3)"); HTML loses what a reader does not see (hidden elements, comments,
  scripts, styles, templates) as well as its markup.

Also PDF and Word .docx through ``load_office`` (registered by suffix in BINARY_LOADERS). A document without a
date gets one when it can be found: an HTML ``<meta property="article:published_time">`` (and the like), a JSON
``date`` / ``publishedAt`` key, a dateline at the start of the text.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

from ..errors import InputError
from ..text.dates import dateline_date, split_date_stamp
from ..text.sanitize import defuse_citations, normalize_text
from ..types import Document

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}


def _office_loader(name: str) -> Callable[[Path], list[Document]]:
    def load(path: Path) -> list[Document]:
        from . import office as load_office  # pypdf / python-docx only when such a file is ingested

        return getattr(load_office, name)(path)

    return load


# files read as bytes by their own library, by suffix
BINARY_LOADERS: dict[str, Callable[[Path], list[Document]]] = {
    ".pdf": _office_loader("pdf_documents"),
    ".docx": _office_loader("docx_documents"),
}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | set(BINARY_LOADERS)
BODY_KEYS = ("body", "text", "content")
DATE_KEYS = ("published_at", "date", "published", "publishedAt", "published_date", "datePublished", "pubDate")
MAX_TITLE_CHARS = 300  # a title longer than this is cut (with "…"): a 52 KB "title" is an attack, not a headline
DEFAULT_MAX_FILE_MB = 100.0
HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])|"
    r"opacity\s*:\s*0(?![.\d]*[1-9])",
    re.I,
)


class RecordErrors(InputError):
    """Some records of a JSON/JSONL file are bad: ``documents`` holds the good ones, ``errors`` one line per bad one.
    ``str()`` is the first error, so a caller that only wants all-or-nothing can treat it as any InputError."""

    def __init__(self, documents: list[Document], errors: list[str]):
        super().__init__(errors[0])
        self.documents = documents
        self.errors = errors


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # files that loaded (wholly, or some of their records)
    errors: list[str] = field(default_factory=list)  # one line each
    partial: list[Path] = field(default_factory=list)  # files of `files` with bad records: what they held stays
    skipped: list[str] = field(default_factory=list)  # one line each: links out of a directory, non-regular files
    unsupported: list[Path] = field(default_factory=list)  # files of unsupported types inside the given directories


def content_hash(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        for i in range(0, len(part), 1 << 20):  # a MB at a time: a 200 MB text is never encoded whole
            h.update(part[i : i + (1 << 20)].encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def expand(paths: list[Path], follow_external_links: bool = False) -> tuple[list[Path], list[str], list[str]]:
    """Files to load, recursively, in a stable order; errors for paths that do not exist or hold nothing loadable;
    notes for what a directory walk skipped (links out of the directory, pipes and devices)."""
    files: list[Path] = []
    errors: list[str] = []
    skipped: list[str] = []
    for path in paths:
        if not path.exists():
            errors.append(f"{path}: no such file or directory; check the path")
        elif path.is_dir():
            found, notes = walk(path, follow_external_links)
            skipped.extend(notes)
            if not found:
                errors.append(f"{path}: no {', '.join(sorted(SUPPORTED))} files in this directory")
            files.extend(found)
        else:
            files.append(path)  # named explicitly: a link is followed, a non-regular file is refused by load_file
    return files, errors, skipped


def walk(root: Path, follow_external_links: bool) -> tuple[list[Path], list[str]]:
    """Supported regular files under root, not hidden, not reached through a link that leaves root."""
    real_root = root.resolve()
    found: list[Path] = []
    notes: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for d in dirnames:
            link = here / d
            if link.is_symlink() and not _inside(_target(link), real_root):
                notes.append(f"{link}: a link to a directory outside {root} ({_target(link)}); not followed")
        for name in sorted(filenames):
            p = here / name
            if name.startswith(".") or p.suffix.lower() not in SUPPORTED:
                continue
            if p.is_symlink():
                target = _target(p)
                if target is None:
                    notes.append(f"{p}: a link that loops back on itself; skipped")
                    continue
                if not _inside(target, real_root) and not follow_external_links:
                    notes.append(
                        f"{p}: a link to {target}, outside {root}; not followed (give the file itself, "
                        "or set follow_external_links)"
                    )
                    continue
            try:
                mode = p.stat().st_mode
            except OSError:  # a dangling link or a file gone meanwhile
                notes.append(f"{p}: cannot be read (a broken link?); skipped")
                continue
            if not stat.S_ISREG(mode):
                notes.append(f"{p}: not a regular file (a pipe, socket or device); skipped")
                continue
            found.append(p)
    return sorted(found), notes


def _target(link: Path) -> Path | None:
    """Where a link leads, or None for a loop."""
    try:
        return link.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
        return None


def _inside(path: Path | None, root: Path) -> bool:
    return path is not None and (path == root or root in path.parents)


def unsupported_in(paths: list[Path]) -> list[Path]:
    """Files inside the given directories that ingest does not read (listed in the report, never silently skipped);
    hidden files and folders are left out, as ``expand`` leaves them out."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.suffix.lower() not in SUPPORTED
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
    return out


def load_paths(
    paths: list[Path], max_file_mb: float = DEFAULT_MAX_FILE_MB, follow_external_links: bool = False
) -> LoadResult:
    """Load every file; a bad file is reported and skipped whole, a bad record is reported and skipped alone."""
    files, errors, skipped = expand([Path(p) for p in paths], follow_external_links)
    result = LoadResult(errors=errors, skipped=skipped, unsupported=unsupported_in([Path(p) for p in paths]))
    seen: set[Path] = set()
    owners: dict[str, tuple[Path, str]] = {}  # doc id → (file, content hash) of the first article with that id
    for path in files:
        path = _target(path) or path
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
                owners[doc.doc_id] = (path, doc.content_hash)
                kept.append(doc)
            elif first[1] == "":
                result.errors.append(
                    f"{path}: id '{doc.doc_id}' is used by several different articles; "
                    "not indexed: give each article its own id"
                )
                if path not in result.partial:
                    result.partial.append(path)
            elif first[1] != doc.content_hash and first[0] != path:
                result.errors.append(
                    f"{path}: id '{doc.doc_id}' is also the id of a different article in {first[0]}; "
                    "neither is indexed now: give each article its own id"
                )
                result.documents = [d for d in result.documents if d.doc_id != doc.doc_id]
                kept = [d for d in kept if d.doc_id != doc.doc_id]
                result.partial.extend(p for p in (path, first[0]) if p not in result.partial)
                owners[doc.doc_id] = (path, "")  # any later article with this id conflicts too
            # else: the very same article again (same content): keep one
        result.documents.extend(kept)
        result.files.append(path)
    return result


def open_regular(path: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB):
    """The file, opened for reading only when it is a regular file within the size limit (a named pipe is never
    waited on: it is opened non-blocking and refused by fstat)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror}); check the file and its permissions") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise InputError(f"{path}: not a regular file (a named pipe, socket or device); ingest regular files only")
    if max_file_mb and info.st_size > max_file_mb * 1024 * 1024:
        os.close(fd)
        raise InputError(
            f"{path}: {info.st_size / 1024 / 1024:.1f} MB is over the {max_file_mb:g} MB limit; split "
            "the file, or raise the limit (ASSISTANT_MAX_FILE_MB)"
        )
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_text(path: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB) -> str:
    with open_regular(path, max_file_mb) as f:
        data = f.read()
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: looks like a binary file, not text; ingest .txt .md .html .json or .jsonl files")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not valid UTF-8 (byte {err.start}); re-save the file as UTF-8") from None
    del data
    if not text or text.isspace():
        raise InputError(f"{path}: the file is empty; add text or remove it from the input")
    return text


def load_file(path: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB) -> list[Document]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise InputError(f"{path}: unsupported file type '{suffix or '(none)'}'; use {', '.join(sorted(SUPPORTED))}")
    if suffix in BINARY_LOADERS:
        open_regular(path, max_file_mb).close()  # a pipe or an oversized file is refused before its library reads it
        return BINARY_LOADERS[suffix](path)
    text = read_text(path, max_file_mb)
    if suffix in TEXT_SUFFIXES:
        return [text_document(path, text)]
    if suffix in HTML_SUFFIXES:
        return [html_document(path, text)]
    return json_documents(path, text)


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
    record_id = record.get("id")
    doc_id = str(record_id).strip() if record_id not in (None, "") else digest[:16]
    return Document(
        doc_id=doc_id, title=title, text=body, path=str(path), content_hash=digest, published_at=published, **meta
    )


# where str.splitlines() breaks lines, and what a line holds
LINE_BREAK = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
LINE = re.compile(f"[^{LINE_BREAK}]*")
HEADING = re.compile(f"(?<=[{LINE_BREAK}])# [^{LINE_BREAK}]*")
RARE_BREAK = re.compile(f"[{LINE_BREAK[1:]}]")  # any but "\n"
SPACE = re.compile(r"\s*")  # what str.strip() strips


def text_document(path: Path, text: str) -> Document:
    """The first line (or the first ``# heading``) is the title. Read as ``text.strip().splitlines()`` would give
    it, without making that list or a stripped copy (each as big as the text)."""
    start = SPACE.match(text).end()  # type: ignore[union-attr]  # \s* always matches
    end = len(text)
    while end > start and text[end - 1].isspace():
        end -= 1
    line = LINE.match(text, start, end)
    assert line is not None  # [^...]* always matches
    first = line.group().strip()
    if first.startswith("#"):
        after = line.end() + (2 if text.startswith("\r\n", line.end()) else 1)
        rest = text[after:end] if after < end else ""
        return make_document(
            path, first.lstrip("#").strip(), "\n".join(rest.splitlines()) if RARE_BREAK.search(rest) else rest
        )
    found = HEADING.search(text, line.end(), end)
    heading = found.group().lstrip("#").strip() if found else ""
    if heading:
        return make_document(path, heading, text)
    # plain text: the first line is the title when it reads like one, and it stays in the body either way
    title = first if len(first) <= 200 else first[:120].rsplit(" ", 1)[0] + "…"
    return make_document(path, title, text)


def html_document(path: Path, text: str) -> Document:
    from selectolax.lexbor import LexborHTMLParser  # selectolax>=1.0 removed the old (Modest) HTMLParser

    tree = LexborHTMLParser(text)
    drop_hidden(tree)
    title_node = tree.css_first("title") or tree.css_first("h1")
    title = title_node.text(strip=True) if title_node else path.stem
    meta = html_metadata(tree)
    for selector in ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template"):
        for node in tree.css(selector):
            node.decompose()
    root = tree.css_first("article") or tree.body or tree.root
    if root is None:
        raise InputError(f"{path}: the HTML page has no readable text; check it is an article page")
    blocks = [node.text(separator=" ", strip=True) for node in root.css("h1, h2, h3, h4, p, li, blockquote, pre")]
    body = "\n".join(b for b in blocks if b) or (root.text(separator="\n", strip=True) if root else "")
    if not body.strip():
        raise InputError(f"{path}: the HTML page has no readable text; check it is an article page")
    return make_document(path, meta.pop("title", "") or title, body, meta)


def drop_hidden(tree) -> None:
    """Remove what a browser does not show: comments, hidden elements (``hidden``, ``aria-hidden="true"``, inline
    ``display:none`` / ``visibility:hidden`` / zero size or opacity), scripts, styles and templates."""
    for node in tree.css("script, style, template, noscript, [hidden], [aria-hidden]"):
        if (
            node.tag in ("script", "style", "template", "noscript")
            or "hidden" in node.attributes
            or (node.attributes.get("aria-hidden") or "").strip().lower() == "true"
        ):
            node.decompose()
    for node in tree.css("[style]"):
        if HIDDEN_STYLE.search(node.attributes.get("style") or ""):
            node.decompose()
    root = tree.root
    if root is not None:
        comments = [node for node in root.traverse(include_text=False) if node.tag == "_comment"]
        for node in comments:
            node.decompose()


def record_document(path: Path, record: object, where: str) -> Document:
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object (a news record), got {type(record).__name__}")
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
    docs: list[Document] = []
    seen: dict[str, tuple[str, str]] = {}
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
        if doc.doc_id in seen:
            first_where, first_hash = seen[doc.doc_id]
            if first_hash == doc.content_hash:
                continue  # the same article twice: keep one
            errors.append(
                (
                    position,
                    f"{where}: duplicate id '{doc.doc_id}' (also at {first_where}) for a different "
                    "article; neither is indexed: ids must be unique",
                )
            )
            conflicted.add(doc.doc_id)
            continue
        seen[doc.doc_id] = (where, doc.content_hash)
        docs.append(doc)
    docs = [d for d in docs if d.doc_id not in conflicted]
    if errors:
        raise RecordErrors(docs, [message for _, message in sorted(errors, key=lambda e: e[0])])
    return docs


# ---- dates and metadata found in the documents themselves

HTML_META = {  # our key: the <meta> property/name/itemprop values that hold it, first found wins
    "published_at": (
        "article:published_time",
        "og:published_time",
        "datePublished",
        "date",
        "pubdate",
        "publish-date",
        "dc.date",
        "dcterms.created",
        "sailthru.date",
        "parsely-pub-date",
    ),
    "source": ("og:site_name", "application-name"),
    "author": ("author", "article:author"),
    "url": ("og:url",),
    "title": ("og:title",),
}


def html_metadata(tree) -> dict[str, str]:
    """Date, source, author, url and title from a saved article page's <meta> tags (Open Graph, schema.org, Dublin
    Core), a <time datetime> element and the canonical link; only keys that were found."""
    found: dict[str, str] = {}
    tags: dict[str, str] = {}
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


def stdin_documents(text: str) -> list[Document]:
    """`ingest -`: news records on stdin, one JSON object per line (or one JSON array); named <stdin> in messages."""
    if not text.strip():
        raise InputError("<stdin>: nothing on stdin; pipe JSONL records into `assistant ingest -`")
    return json_documents(Path("<stdin>.json" if text.lstrip().startswith("[") else "<stdin>"), text)
