"""Live news in: feeds and article pages by URL (``assistant ingest URL``) and kept fresh (``assistant watch``).

One round: each URL is fetched (``ingest.fetch``: limits, retries, conditional requests) and read (``ingest.web``:
a feed's items, or a page's article); a URL that fails is one error line and the others go on. The documents of the
round then take the same write path as files:

1. an id given by two of the round's URLs to different articles: neither is indexed (as for two files);
2. ``Assistant._refuse_foreign_ids``: an id already indexed from elsewhere (a file, another feed) for a different
   article is refused by name, never overwritten;
3. ``Assistant.add_documents``: only new or changed items (by content hash) are chunked and embedded; an unchanged one
   costs a metadata look-up; the lexical index is rebuilt once, when anything was written.

Feeds are windows: an item that drops off a feed stays indexed. What makes the next request conditional (ETag,
Last-Modified) and which ids a URL gave are kept per URL in ``<data dir>/feeds.json``, written only after the round's
write succeeded; a 304 is trusted only while all of those ids are still in the store (else the URL is fetched whole).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import AssistantError, InputError

if TYPE_CHECKING:
    from .api import Assistant
    from .ingest.fetch import Fetcher
    from .ingest.web import UrlLoad
    from .types import Document

STATE_FILE = "feeds.json"


@dataclass
class UrlResult:
    url: str
    kind: str = ""  # "feed" | "page" | "not modified" | "failed"
    title: str = ""
    error: str = ""  # why the URL failed (one line), when it did
    items: int = 0  # documents read from it this round
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # items not loaded or refused, one line each


@dataclass
class RoundReport:
    round: int = 1
    started: str = ""  # local time, ISO
    urls: list[UrlResult] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0
    write_error: str = ""  # the store refused the round's write (nothing of this round is recorded)

    def total(self, key: str) -> int:
        return sum(len(getattr(r, key)) for r in self.urls)

    def count(self, kind: str) -> int:
        return sum(r.kind == kind for r in self.urls)

    @property
    def added(self) -> list[str]:
        return [i for r in self.urls for i in r.added]

    @property
    def updated(self) -> list[str]:
        return [i for r in self.urls for i in r.updated]

    @property
    def unchanged(self) -> list[str]:
        return [i for r in self.urls for i in r.unchanged]

    @property
    def errors(self) -> list[str]:
        """Every problem, one line each: failed URLs, then items not loaded or refused, then a failed write."""
        lines = [r.error for r in self.urls if r.error] + [e for r in self.urls for e in r.errors]
        return lines + ([self.write_error] if self.write_error else [])

    def status_line(self) -> str:
        n = len(self.urls)
        parts = [
            f"{self.total('added')} new",
            f"{self.total('updated')} changed",
            f"{self.total('unchanged')} unchanged",
        ]
        if self.count("not modified"):
            parts.append(f"{self.count('not modified')} not modified (304)")
        if self.count("failed"):
            parts.append(f"{self.count('failed')} failed")
        skipped = self.total("errors")
        if skipped:
            parts.append(f"{skipped} item(s) not indexed")
        write = "; write FAILED" if self.write_error else ""
        return (
            f"round {self.round} at {self.started[11:19]}: {n} URL{'s' if n != 1 else ''}: {', '.join(parts)}; "
            f"{self.chunks} chunks embedded in {self.seconds:.1f}s{write}"
        )

    def to_json(self) -> dict:
        return {
            "round": self.round,
            "started": self.started,
            "urls": [asdict(r) for r in self.urls],
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "errors": self.errors,
        }


class FeedStates:
    """Per URL: its last ETag and Last-Modified and the ids it gave, in ``<data dir>/feeds.json``."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / STATE_FILE
        self.states: dict[str, dict] = {}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self.states = {k: v for k, v in loaded.items() if isinstance(v, dict)}
        except (OSError, ValueError):
            pass  # none yet, or unreadable: every URL is fetched whole, and the file is written afresh

    def get(self, url: str) -> dict:
        return self.states.get(url, {})

    def put(self, url: str, etag: str, last_modified: str, ids: list[str]) -> None:
        self.states[url] = {"etag": etag, "last_modified": last_modified, "ids": ids, "checked": _now()}

    def save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{STATE_FILE}.{os.getpid()}")
            tmp.write_text(json.dumps(self.states, indent=1, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # only conditional requests are lost: the next round fetches whole and embeds nothing unchanged


def ingest_urls(
    assistant: Assistant,
    urls: list[str],
    fetcher: Fetcher | None = None,
    states: FeedStates | None = None,
    conditional: bool = False,
    round_no: int = 1,
    stop: Callable[[], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RoundReport:
    """Fetch, read and index each URL (a feed or an article page); see the module's docstring. ``conditional``
    sends the last ETag / Last-Modified (``watch``); ``ingest URL`` fetches whole. ``stop()`` true: no further URL
    is fetched (what was read is still written). ``progress(url)`` is told each URL as it is fetched."""
    from .ingest.fetch import Fetcher

    started = time.perf_counter()
    report = RoundReport(round=round_no, started=_now())
    states = states if states is not None else FeedStates(assistant.settings.data_dir)
    own = fetcher is None
    fetcher = fetcher or Fetcher.from_settings(assistant.settings)
    loads: list[tuple[UrlResult, UrlLoad]] = []
    try:
        for url in dict.fromkeys(urls):
            if stop is not None and stop():
                break
            if progress is not None:
                progress(url)
            result = UrlResult(url)
            report.urls.append(result)
            try:
                load = _load(assistant, fetcher, url, states.get(url) if conditional else {})
            except InputError as err:
                result.kind, result.error = "failed", str(err)
                continue
            except Exception as err:  # a library's surprise on one URL must not stop the others
                first = (str(err).strip().splitlines() or [""])[0][:200]
                result.kind, result.error = "failed", f"{url}: unexpected {type(err).__name__}: {first}"
                continue
            result.kind, result.title, result.items = load.kind, load.title, len(load.documents)
            result.errors.extend(load.errors)
            loads.append((result, load))
    finally:
        if own:
            fetcher.close()
    _write(assistant, loads, report)
    if not report.write_error:
        for result, load in loads:
            ids = result.added + result.updated + result.unchanged
            etag, modified = load.etag, load.last_modified
            if load.kind == "not modified":  # a 304 need not repeat the validators: keep the last ones
                last = states.get(load.url)
                ids, etag, modified = (
                    last.get("ids", []),
                    etag or last.get("etag", ""),
                    modified or last.get("last_modified", ""),
                )
            states.put(load.url, etag, modified, ids)
        states.save()
    report.seconds = time.perf_counter() - started
    return report


def _load(assistant: Assistant, fetcher: Fetcher, url: str, state: dict) -> UrlLoad:
    from .ingest.web import documents_from

    etag, modified = state.get("etag", ""), state.get("last_modified", "")
    fetched = fetcher.fetch(url, etag, modified)
    if fetched.not_modified:
        ids = state.get("ids", [])
        stored = assistant.store.document_states(ids) if ids else {}
        if len(stored) < len(set(ids)) or not all(st["complete"] for st in stored.values()):
            fetched = fetcher.fetch(url)  # something the URL gave is gone from the store, or cut short: fetch whole
    return documents_from(fetched)


def _write(assistant: Assistant, loads: list[tuple[UrlResult, UrlLoad]], report: RoundReport) -> None:
    """The round's documents through the file loader's rules, then one ``add_documents``."""
    owner: dict[str, tuple[UrlResult, Document]] = {}
    conflicted: set[str] = set()
    for result, load in loads:
        for doc in load.documents:
            first = owner.get(doc.doc_id)
            if first is None:
                owner[doc.doc_id] = (result, doc)
            elif first[1].content_hash != doc.content_hash and first[0] is not result:
                result.errors.append(
                    f"{result.url}: id '{doc.doc_id}' is also the id of a different article from {first[0].url}; "
                    "neither is indexed now"
                )
                conflicted.add(doc.doc_id)
    docs = [doc for doc_id, (_, doc) in owner.items() if doc_id not in conflicted]
    if not docs:
        return
    by_url = {id(doc): result for result, doc in owner.values()}
    from .index.writer import refuse_foreign_ids

    kept, refused = refuse_foreign_ids(assistant.store, docs)
    for doc, line in _refusals(docs, kept, refused):
        by_url[id(doc)].errors.append(line)
    if not kept:
        return
    try:
        written = assistant.add_documents(kept, refresh=True)
    except AssistantError as err:
        report.write_error = f"writing to the store failed: {err}"
        return
    report.chunks = written.chunks
    result_of = {doc.doc_id: by_url[id(doc)] for doc in kept}
    for key in ("added", "updated", "unchanged"):
        for doc_id in getattr(written, key):
            getattr(result_of[doc_id], key).append(doc_id)


def _refusals(docs: list[Document], kept: list[Document], refused: list[str]):
    """Each refused document with its refusal line (``_refuse_foreign_ids`` keeps the order of what it is given)."""
    kept_ids = {id(d) for d in kept}
    return zip([d for d in docs if id(d) not in kept_ids], refused)


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
