"""Filters on source and date: Chroma ``where`` clauses, the source matched case-insensitively against the stored
sources (read once per contents of the store, kept beside an on-disk store)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace

from ..errors import NoMatchError
from ..text.dates import day_int


@dataclass
class Filters:
    source: str | None = None  # matched case-insensitively (see resolve_filters)
    since: str | None = None  # YYYY-MM-DD, inclusive
    until: str | None = None
    # the spellings of `source` as stored ("reuters" → ["Reuters"]); set by resolve_filters, Chroma's `where` being
    # case-sensitive
    source_spellings: list[str] | None = field(default=None, repr=False)

    def active(self) -> bool:
        return bool(self.source or self.since or self.until)

    def describe(self) -> str:
        parts = [
            f"source '{self.source}'" if self.source else "",
            f"since {self.since}" if self.since else "",
            f"until {self.until}" if self.until else "",
        ]
        return ", ".join(p for p in parts if p)

    def where(self) -> dict | None:
        clauses: list[dict] = []
        if self.source:
            names = self.source_spellings or [self.source]
            clauses.append({"source": names[0]} if len(names) == 1 else {"source": {"$in": names}})
        if self.since:
            clauses.append({"published_day": {"$gte": day_int(self.since, "--since")}})
        if self.until:
            clauses.append({"published_day": {"$lte": day_int(self.until, "--until")}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def resolve_filters(store, filters: Filters, strict: bool = False) -> Filters:
    """The filters with `source` matched case-insensitively against the stored sources (works on any index: no
    extra metadata needed). When the filters match no chunk and ``strict`` is set, raises NoMatchError saying how many
    chunks there are and how many documents lack a date or a source (otherwise retrieval finds nothing, and the
    answer is a refusal)."""
    since = day_int(filters.since, "--since") if filters.since else None
    until = day_int(filters.until, "--until") if filters.until else None
    wanted = " ".join(filters.source.split()).casefold() if filters.source else None
    if not strict:  # the stored spellings only, from a list of sources kept while the store is unchanged
        spellings = sorted(
            {s for s in stored_sources(store) if wanted is not None and " ".join(s.split()).casefold() == wanted}
        )
        return replace(filters, source_spellings=spellings or None)
    metas = [m for got in store.pages(include_text=False) for m in got["metadatas"]]
    spellings = sorted(
        {
            m.get("source", "")
            for m in metas
            if wanted is not None and " ".join(str(m.get("source", "")).split()).casefold() == wanted
        }
    )
    matched = 0
    for m in metas:
        day = m.get("published_day")
        if wanted is not None and m.get("source", "") not in spellings:
            continue
        if since is not None and (day is None or day < since):
            continue
        if until is not None and (day is None or day > until):
            continue
        matched += 1
    if matched == 0 and strict:
        docs: dict[str, dict] = {}
        for m in metas:
            docs.setdefault(m["doc_id"], m)
        why = []
        if filters.source and not spellings:
            known = sorted({m.get("source", "") for m in docs.values()} - {""})
            why.append(
                f"no document has the source '{filters.source}'"
                + (f" (sources: {', '.join(known[:8])}{', …' if len(known) > 8 else ''})" if known else "")
            )
        no_source = sum(1 for m in docs.values() if not m.get("source"))
        no_date = sum(1 for m in docs.values() if m.get("published_day") is None)
        if filters.source and no_source:
            why.append(f"{no_source} of {len(docs)} documents have no source")
        if (since or until) and no_date:
            why.append(f"{no_date} of {len(docs)} documents have no date")
        raise NoMatchError(
            f"the filters ({filters.describe()}) matched 0 of {len(metas)} chunks"
            + (f"; {'; '.join(why)}" if why else "")
            + "; `assistant sources` lists each document's source and date"
        )
    return replace(filters, source_spellings=spellings or None)


def stored_sources(store) -> list[str]:
    """The distinct ``source`` values of the stored chunks, read once while the store's contents stay the same: in
    the process, and on disk beside an on-disk store (``<data_dir>/sources/<collection>/sources.json``, tied to the
    write token), so a fresh process's first filtered question does not read the metadata of every chunk (~40 s at
    100k chunks on a busy machine)."""
    stamp = store.stamp()
    token = stamp[2]
    cached = getattr(store, "_sources", None)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    folder = store.derived_dir("sources")
    path = folder / "sources.json" if folder is not None else None
    saved = None
    if path is not None and token:
        try:
            got = json.loads(path.read_text(encoding="utf-8"))
            if got.get("token") == token and got.get("count") == stamp[0]:
                saved = [str(x) for x in got["sources"]]
        except (OSError, ValueError, KeyError, TypeError):
            saved = None
    if saved is None:
        pages = store.pages(include_text=False)  # one read of every chunk fails past ~32k ("too many SQL variables")
        saved = sorted({str(m.get("source", "")) for got in pages for m in got["metadatas"]})
        if path is not None and token:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".sources-{os.getpid()}")
                tmp.write_text(json.dumps({"token": token, "count": stamp[0], "sources": saved}), encoding="utf-8")
                os.replace(tmp, path)
            except OSError:
                pass  # a read-only data dir: kept in this process only
    store._sources = (stamp, saved)
    return saved
