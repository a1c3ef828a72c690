"""`assistant mcp`: a Model Context Protocol server on stdio (the official ``mcp`` SDK, its ``MCPServer``).

Tools: ``ask`` (question → verified answer with citations), ``search`` (query → passages with doc ids, no LLM),
``list_sources``, ``ingest`` (paths, or one article's text). Every indexed document is a resource,
``assistant://documents/{doc_id}``, listed as the index changes. stdout carries the protocol only: everything else
goes to stderr. A tool that fails returns one line (an MCP tool error), never a traceback.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import Resource as MCPResource

from ..errors import AssistantError
from ..text.dates import source_and_day

DOC_URI = "assistant://documents/{doc_id}"


def document_text(assistant, doc_id: str) -> str:
    """A document's text put back together from its chunks (each knows its character offsets)."""
    got = assistant.store.get({"doc_id": doc_id})
    parts = sorted(zip(got["metadatas"], got["documents"]), key=lambda item: item[0].get("chunk", 0))
    if not parts:
        raise ResourceNotFoundError(f"no document with id '{doc_id}'; list_sources lists the ids")
    meta = parts[0][0]
    text, end = "", 0
    for m, chunk in parts:
        start = int(m.get("start_char", end))
        if start >= end or not text:
            text += ("\n" if text else "") + chunk
        else:  # overlapping chunk: keep only what is new
            text += chunk[end - start :] if end - start < len(chunk) else ""
        end = max(end, int(m.get("end_char", start + len(chunk))))
    head = [meta.get("title") or "Untitled"]
    head += [f"{key}: {meta[key]}" for key in ("source", "published_at", "url", "author") if meta.get(key)]
    return "\n".join(head) + "\n\n" + text.strip()


def create_server(assistant) -> MCPServer:
    from .. import __version__

    lock = threading.RLock()  # tools run in worker threads; one model instance, one index writer

    class AssistantMCP(MCPServer):
        async def list_resources(self) -> list[MCPResource]:
            import anyio

            def rows():
                with lock:
                    return assistant.sources()

            return [
                MCPResource(
                    uri=DOC_URI.format(doc_id=r["doc_id"]),
                    name=r["doc_id"],
                    title=r["title"] or None,
                    description=source_and_day(r.get("source", ""), r.get("published_at") or "") or None,
                    mime_type="text/plain",
                )
                for r in await anyio.to_thread.run_sync(rows)
            ]

    server = AssistantMCP(
        name="assistant",
        version=__version__,
        log_level="WARNING",
        instructions="Answers questions from the indexed news articles with verified citations. Use `ask` for an "
        "answer (its citations were checked against the passages), `search` for raw passages, "
        "`list_sources` for what is indexed and `ingest` to add articles.",
    )

    def guarded(fn, *args, **kwargs):
        with lock:
            try:
                return fn(*args, **kwargs)
            except AssistantError as err:
                raise ToolError(str(err)) from None

    def filters(source, since, until):
        from ..index.retrieve import Filters

        return Filters(source=source, since=since, until=until)

    @server.tool()
    def ask(
        question: str,
        k: int | None = None,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, Any]:
        """Answer a question from the indexed news articles. The answer cites passages as [n]; every citation was
        verified against the passage text. `refused` is true when the passages do not hold an answer; `unsupported`
        lists sentences no passage supports. Optional: k passages exactly, a source, a date range (YYYY-MM-DD)."""
        answer = guarded(assistant.ask, question, k, filters(source, since, until)).to_json()
        answer.pop("passages")  # the cited ones are in citations; the rest would only fill the context
        return answer

    @server.tool()
    def search(
        query: str, k: int = 5, source: str | None = None, since: str | None = None, until: str | None = None
    ) -> dict[str, Any]:
        """Retrieve the passages that best match a query (hybrid dense + BM25), with doc ids, titles, sources and
        dates. No LLM: use it to read the evidence yourself."""
        passages = guarded(assistant.retrieve, query, max(1, min(k, 50)), filters(source, since, until))
        return {
            "query": query,
            "passages": [p.to_search_json() for p in passages],
        }

    @server.tool()
    def list_sources() -> dict[str, Any]:
        """The indexed documents: doc id, title, source, date, url, chunks."""
        return {"documents": guarded(assistant.sources)}

    @server.tool()
    def ingest(
        paths: list[str] | None = None,
        text: str | None = None,
        title: str | None = None,
        source: str | None = None,
        published_at: str | None = None,
        url: str | None = None,
    ) -> dict[str, Any]:
        """Index articles: `paths` (files or folders on this machine: .txt .md .html .json .jsonl), and/or one
        article given as `text` (with an optional title, source, published_at YYYY-MM-DD and url). Unchanged
        documents are not re-embedded; a bad file is reported in `errors` and skipped, the good ones are indexed."""
        if not paths and not (text and text.strip()):
            raise ToolError("give paths (files or folders) or the text of an article to ingest")
        from ..index.writer import MCP_FIELDS, IngestReport

        written = IngestReport()
        if paths:
            written.merge(guarded(assistant.ingest, [Path(p).expanduser() for p in paths]))
        if text and text.strip():
            from ..ingest.records import record_document

            record = {"title": title, "body": text, "source": source, "published_at": published_at, "url": url}
            doc = guarded(record_document, Path("mcp"), record, "text")
            doc.path = "mcp:text"
            written.merge(guarded(assistant.add_documents, [doc]))
        out = written.to_json(MCP_FIELDS)
        if out["errors"] and not (out["added"] or out["updated"] or out["unchanged"]):
            raise ToolError("; ".join(out["errors"]))
        return out

    @server.resource(
        DOC_URI,
        name="document",
        mime_type="text/plain",
        description="An indexed article's text (title and metadata first).",
    )
    def document(doc_id: str) -> str:
        with lock:
            return document_text(assistant, doc_id)

    return server


def run(assistant) -> None:
    create_server(assistant).run("stdio")
