"""`assistant mcp`: a Model Context Protocol server on stdio (the official ``mcp`` SDK, its ``MCPServer``).

Tools: ``ask`` (question → verified answer with citations), ``search`` (query → passages with doc ids, no LLM),
``list_sources``, ``ingest`` (paths, or one article's text). Every indexed document is a resource,
``assistant://documents/{doc_id}``, listed as the index changes. stdout carries the protocol only: everything else
goes to stderr. A tool that fails returns one line (an MCP tool error), never a traceback.

The models load at start, in a thread (interfaces/warm.py), while the server already answers the handshake; a tool
called before they are loaded waits for them. A tool call that waits says what it waits for, as MCP progress
notifications (when the client asked for progress): "loading the models", then each stage of the answer
("retrieving", "generating", "checking citations"), repeated every 2 s while a stage lasts; as the checked answer is
released (``Answerer.stream``, the stream the CLI and the HTTP server show), "answer so far: ..." with its text.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import Resource as MCPResource

from ..errors import AssistantError
from ..text.dates import source_and_day
from .present import DOCUMENT_URI as DOC_URI

LOADING = "loading the models (once, at start)"
ANSWER_SO_FAR = "answer so far: "  # a progress message carrying the checked text released so far
HEARTBEAT_S = 2.0  # a stage that lasts is reported again this often


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


def checked_answer(assistant, question: str, k, filters, status: Callable[[str], None]):
    """The Answer, through the one streaming path (``Answerer.stream``): each time more checked text is released, the
    client is told the answer so far ("answer so far: ..."), so a client showing progress shows only checked text."""
    from ..types import Answer

    shown = ""
    for item in assistant.ask_stream(question, k, filters, status=status):
        if isinstance(item, Answer):
            return item
        shown += item
        status(f"{ANSWER_SO_FAR}{shown}")
    raise AssistantError("the pipeline ended without an answer")


def allowed_paths(paths: list[str], roots: list[Path]) -> list[Path]:
    """The paths an MCP client may have read: each resolved (links followed, ``..`` gone; a relative one from the
    first root) and inside one of ``roots``. Any other is refused whole, naming the roots; none are allowed without
    roots (``assistant mcp --allow-root DIR``)."""
    if not roots:
        raise ToolError(
            "ingest of paths is off: start the server with `assistant mcp --allow-root DIR` to allow the files "
            "under DIR, or send the article as `text`"
        )
    out = []
    for given in paths:
        try:
            path = (roots[0] / Path(given).expanduser()).resolve()
        except (OSError, RuntimeError, ValueError):
            raise ToolError(f"{given}: cannot be resolved (a link loop?); give a path under an allowed root") from None
        if not any(path == root or root in path.parents for root in roots):
            raise ToolError(f"{given}: outside the allowed roots ({', '.join(map(str, roots))}); nothing was read")
        out.append(path)
    return out


def create_server(
    assistant, lock: Any = None, loading: threading.Event | None = None, roots: list[Path] | None = None
) -> MCPServer:
    """The server. ``lock`` (tools run in worker threads: one model instance, one index writer) is the one the start-up
    load holds while it runs; ``loading`` is set when that load is over (None: nothing is loading). ``roots``: the
    folders whose files the ``ingest`` tool may read (resolved; none: paths are refused)."""
    from .. import __version__

    roots = [Path(r).expanduser().resolve() for r in roots or []]

    lock = lock or threading.RLock()

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

    async def waiting(ctx: Context, stage: str, fn: Callable[[Callable[[str], None]], Any]) -> Any:
        """``fn(status)`` in a worker thread, under the lock; meanwhile the client is told (progress notifications)
        what the call waits for: the start-up load or the call before it, then each stage ``fn`` reports through
        ``status``, each in turn, the current one again every HEARTBEAT_S."""
        import anyio

        said: list[str] = [LOADING if loading is not None and not loading.is_set() else stage]  # appended by work()
        sent: dict[str, float] = {"count": 0, "told": 0, "at": 0.0}  # notifications, messages of `said` told, when
        outcome: list[Any] = []

        def status(message: str) -> None:
            if said[-1] != message:
                said.append(message)

        def work() -> None:
            if not lock.acquire(blocking=False):  # the start-up load, or the call before this one
                if said[-1] != LOADING:
                    status("waiting for the call before this one")
                lock.acquire()
            try:
                status(stage)
                outcome.append((True, guarded(fn, status)))
            except Exception as err:  # raised below, outside the task group (which would group it)
                outcome.append((False, err))
            finally:
                lock.release()

        async def send(message: str) -> None:
            sent["count"] += 1
            sent["at"] = time.monotonic()
            await ctx.report_progress(sent["count"], None, message)

        async def tell(repeat: bool) -> None:
            """The messages not told yet, in order; with none, the current one again once HEARTBEAT_S has passed."""
            while sent["told"] < len(said):
                sent["told"] += 1
                await send(said[int(sent["told"]) - 1])
            if repeat and time.monotonic() - sent["at"] >= HEARTBEAT_S:
                await send(said[-1])

        async def keep_telling() -> None:
            while True:
                await tell(repeat=True)
                await anyio.sleep(0.1)

        async with anyio.create_task_group() as tg:
            tg.start_soon(keep_telling)
            await anyio.to_thread.run_sync(work)
            tg.cancel_scope.cancel()
        await tell(repeat=False)  # the stages the work went through since the last look
        ok, value = outcome[0]
        if not ok:
            raise value
        return value

    def filters(source, since, until):
        from ..index.retrieve import Filters

        return Filters(source=source, since=since, until=until)

    @server.tool()
    async def ask(
        question: str,
        ctx: Context,
        k: int | None = None,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, Any]:
        """Answer a question from the indexed news articles. The answer cites passages as [n]; every citation was
        verified against the passage text. `refused` is true when the passages do not hold an answer; `unsupported`
        lists sentences no passage supports. Optional: k passages exactly, a source, a date range (YYYY-MM-DD)."""
        got = await waiting(
            ctx,
            "retrieving",
            lambda status: checked_answer(assistant, question, k, filters(source, since, until), status),
        )
        answer = got.to_json()
        answer.pop("passages")  # the cited ones are in citations; the rest would only fill the context
        return answer

    @server.tool()
    async def search(
        query: str,
        ctx: Context,
        k: int = 5,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, Any]:
        """Retrieve the passages that best match a query (hybrid dense + BM25), with doc ids, titles, sources and
        dates. No LLM: use it to read the evidence yourself."""
        passages = await waiting(
            ctx, "searching", lambda _: assistant.retrieve(query, max(1, min(k, 50)), filters(source, since, until))
        )
        return {
            "query": query,
            "passages": [p.to_search_json() for p in passages],
        }

    @server.tool()
    async def list_sources(ctx: Context) -> dict[str, Any]:
        """The indexed documents: doc id, title, source, date, url, chunks."""
        return {"documents": await waiting(ctx, "listing", lambda _: assistant.sources())}

    @server.tool()
    async def ingest(
        ctx: Context,
        paths: list[str] | None = None,
        text: str | None = None,
        title: str | None = None,
        source: str | None = None,
        published_at: str | None = None,
        url: str | None = None,
    ) -> dict[str, Any]:
        """Index articles: one article given as `text` (with an optional title, source, published_at YYYY-MM-DD and
        url), and/or `paths` (files or folders: .txt .md .html .json .jsonl .pdf .docx) when the server was started
        with --allow-root: only paths inside those folders. Unchanged documents are not re-embedded; a bad file or
        record is reported in `errors` and skipped, the good ones are indexed."""
        if not paths and not (text and text.strip()):
            raise ToolError("give paths (files or folders) or the text of an article to ingest")
        from ..index.writer import MCP_FIELDS

        allowed = allowed_paths(paths, roots) if paths else []
        record = {"title": title, "body": text, "source": source, "published_at": published_at, "url": url}

        def write(_):
            loader = assistant.loader()
            loader.follow_external_links = False  # never out of an allowed root through a link
            if allowed:
                loader.paths(allowed)
            if text and text.strip():
                loader.records([{k: v for k, v in record.items() if v is not None}], "mcp:text", "text")
            return assistant.write(loader)

        out = (await waiting(ctx, "indexing", write)).to_json(MCP_FIELDS)
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


def run(assistant, roots: list[Path] | None = None) -> None:
    """Serve on stdio; the models load at start, in a thread, while the handshake is answered (stderr says so).
    ``roots``: the folders the ``ingest`` tool may read files from."""
    from .warm import Warmup

    def say(line: str) -> None:
        print(f"assistant mcp: {line}", file=sys.stderr, flush=True)

    lock = threading.RLock()
    warm = Warmup(assistant, lock, say).start()
    create_server(assistant, lock, warm.done, roots).run("stdio")
