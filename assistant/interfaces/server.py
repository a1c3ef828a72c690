"""`assistant serve`: an OpenAI-compatible HTTP API over one warm ``Assistant`` (FastAPI + uvicorn + sse-starlette).

Any client written for the openai SDK gets verified, cited answers by changing only its base URL:

- ``POST /v1/chat/completions``: OpenAI's shapes, ``stream: true`` as server-sent events (chunks, then ``[DONE]``). The
  last user message is the question, earlier turns are the conversation. The content is the verified answer with its
  [n] markers and a short sources block; ``citations``, ``refused`` and ``unsupported`` ride along as extra fields
  (in the last chunk when streaming), which clients that do not know them ignore.
- ``GET /v1/models``, ``POST /v1/ask`` (exactly the ``ask --json`` object), ``POST /v1/search`` (passages, no LLM),
  ``POST /v1/ingest`` (JSON records or uploaded files), ``GET /v1/sources``, ``DELETE /v1/sources/{doc_id}``,
  ``GET /healthz``.

One model instance: generations go through a gate (one at a time for the local model), retrieval and search run
concurrently, ingests are serialised among themselves. A request that waits for the gate longer than
``queue_timeout`` gets 503 with Retry-After. Every error is one JSON object ``{"error": {"message", "type", "code"}}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import AssistantError, BackendError, EmptyIndexError, InputError, ModelMismatchError

log = logging.getLogger("assistant.server")

MODEL_ID = "assistant"  # what GET /v1/models lists; any model name in a request is accepted


@dataclass
class ServerConfig:
    api_key: str = ""  # empty: no authentication
    max_body_bytes: int = 16 * 1024 * 1024
    max_question_chars: int = 2000
    queue_timeout: float = 120.0  # seconds a request may wait for the generator before 503
    generation_slots: int = 0  # concurrent generations; 0 = 1 for the local model, 4 for the other backends
    warm: bool = True  # load the models (and run one tiny generation) before accepting requests


# ------------------------------------------------------------------------------------------------ request bodies


class FilterFields(BaseModel):
    k: int | None = Field(
        None,
        ge=1,
        le=50,
        description="Exactly this many passages (default: the server's k, plus short ones within the context budget).",
    )
    source: str | None = Field(None, description="Only passages from this source.")
    since: date | None = Field(None, description="Only articles published on or after this day (YYYY-MM-DD).")
    until: date | None = Field(None, description="Only articles published on or before this day (YYYY-MM-DD).")

    def filters(self):
        from ..index.retrieve import Filters

        return Filters(
            source=self.source,
            since=self.since.isoformat() if self.since else None,
            until=self.until.isoformat() if self.until else None,
        )


class TextPart(BaseModel):
    type: str = "text"
    text: str = ""


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content if part.type == "text")
        return self.content or ""


class ChatRequest(FilterFields):
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(
        ...,
        min_length=1,
        description="The last user message is the question.",
        json_schema_extra={
            "contains": {"type": "object", "required": ["role"], "properties": {"role": {"const": "user"}}}
        },
    )
    stream: bool = False
    # accepted for compatibility and ignored: the answer is grounded and deterministic by design
    temperature: float | None = None
    max_tokens: int | None = None
    user: str | None = None


class AskRequest(FilterFields):
    question: str = Field(..., min_length=1, pattern=r"\S")
    history: list[tuple[str, str]] = Field(
        default_factory=list, max_length=20, description="Earlier (question, answer) turns, oldest first."
    )


class SearchRequest(FilterFields):
    query: str = Field(..., min_length=1, pattern=r"\S")


INGEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["records"],
                "properties": {
                    "records": {
                        "type": "array",
                        "minItems": 1,
                        "description": "News records {id?, title, body|text|content, "
                        "source?, published_at?, url?, author?, category?}, as in a .jsonl file",
                        "items": {
                            "type": "object",
                            "anyOf": [
                                {"required": [key], "properties": {key: {"type": "string", "pattern": r"\S"}}}
                                for key in ("body", "text", "content")
                            ],
                        },
                    }
                },
            }
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["files"],
                "properties": {
                    "files": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "format": "binary"},
                        "description": ".txt .md .html .json .jsonl files",
                    }
                },
            }
        },
    },
}


# ------------------------------------------------------------------------------------------------ errors


class ErrorDetail(BaseModel):
    message: str = Field(..., description="One line: what is wrong and what to do.")
    type: str
    code: int


class ErrorBody(BaseModel):
    error: ErrorDetail


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    what = {
        400: "bad input",
        401: "missing or wrong API key",
        404: "no such document",
        409: "nothing is indexed, or the index holds another embedding model",
        413: "body over the limit",
        415: "neither JSON nor a multipart form",
        422: "invalid request, or a question over the limit",
        503: "the model is busy past the queue timeout (see Retry-After), or a backend is missing",
    }
    return {code: {"model": ErrorBody, "description": what[code]} for code in codes}


def error_body(message: str, kind: str, code: int) -> dict:
    return {"error": {"message": message, "type": kind, "code": code}}


def error_response(
    status: int, message: str, kind: str = "invalid_request_error", headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(message, kind, status), status_code=status, headers=headers)


def status_for(err: AssistantError) -> int:
    if isinstance(err, InputError):
        return 422
    if isinstance(err, (EmptyIndexError, ModelMismatchError)):
        return 409
    if isinstance(err, BackendError):  # the server's own model or store is missing or unreachable
        return 503
    return 400


class Busy(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


# ------------------------------------------------------------------------------------------------ the service


class Service:
    """The shared Assistant with its gates: generations through ``gate``, ingests one at a time."""

    def __init__(self, assistant, config: ServerConfig):
        self.a = assistant
        self.config = config
        slots = config.generation_slots or (1 if assistant.settings.llm == "local" else 4)
        self.slots = slots
        self.gate = asyncio.Semaphore(slots)
        self.waiting = 0
        self.ingest_lock = threading.Lock()
        self.generate_seconds = 1.0  # moving average, for Retry-After

    def warm(self) -> None:
        """Build every backend once, before requests arrive (the lazy properties are not built concurrently)."""
        from .warm import warm_up

        warm_up(self.a)

    def retry_after(self) -> int:
        return max(1, min(600, math.ceil(self.generate_seconds * (self.waiting + 1) / self.slots)))

    async def acquire(self) -> None:
        self.waiting += 1
        try:
            await asyncio.wait_for(self.gate.acquire(), timeout=self.config.queue_timeout)
        except TimeoutError:
            raise Busy(self.retry_after()) from None
        finally:
            self.waiting -= 1

    def release(self, seconds: float | None = None) -> None:
        if seconds is not None:
            self.generate_seconds = 0.8 * self.generate_seconds + 0.2 * seconds
        self.gate.release()

    def check_question(self, text: str, what: str = "question") -> str:
        text = text.strip()
        if not text:
            raise HTTPException(422, f"the {what} is empty; ask something")
        if len(text) > self.config.max_question_chars:
            raise HTTPException(
                422, f"the {what} is {len(text)} characters long; the limit is {self.config.max_question_chars}"
            )
        return text

    def passages(self, question: str, fields: FilterFields, history: list[tuple[str, str]]):
        """Retrieval, outside the generation gate: an explicit k means exactly k passages, as on the command line."""
        return self.a.passages_for(question, fields.k, fields.filters(), history)

    async def answer(self, question: str, fields: FilterFields, history: list[tuple[str, str]]):
        t0 = time.perf_counter()
        passages = await run_in_threadpool(self.passages, question, fields, history)
        await self.acquire()
        t1 = time.perf_counter()
        try:
            answer = await run_in_threadpool(self.a.answer, question, passages, history, t0)
        finally:
            self.release(time.perf_counter() - t1)
        return answer

    def ingest_records(self, records: list[Any]):
        from ..ingest.load import record_document

        docs: list = []
        errors: list = []
        seen: dict = {}
        for i, record in enumerate(records):
            try:
                doc = record_document(Path("api"), record, f"records[{i}]")
            except InputError as err:
                errors.append(str(err))
                continue
            if doc.doc_id in seen:  # as in a .jsonl file: the same article twice is kept once
                if seen[doc.doc_id][1] != doc.content_hash:
                    first = seen[doc.doc_id][0]
                    errors.append(
                        f"records[{i}]: duplicate id '{doc.doc_id}' (also at records[{first}]); ids must be unique"
                    )
                continue
            seen[doc.doc_id] = (i, doc.content_hash)
            docs.append(doc)
        with self.ingest_lock:
            report = self.a.add_documents(docs) if docs else None
        return report, errors, len(docs)

    def ingest_files(self, uploads: list[tuple[str, bytes]]):
        from ..ingest.load import load_paths

        with tempfile.TemporaryDirectory(prefix="assistant-upload-") as tmp:
            paths = []
            for i, (name, data) in enumerate(uploads):
                safe = Path(name or f"upload-{i}").name or f"upload-{i}"
                folder = Path(tmp) / str(i)  # one folder each: two uploads may share a name
                folder.mkdir()
                (folder / safe).write_bytes(data)
                paths.append(folder / safe)
            loaded = load_paths(paths)
            prefix = str(Path(tmp).resolve())
            errors = [e.replace(prefix + "/", "").split("/", 1)[-1] if prefix in e else e for e in loaded.errors]
            for doc in loaded.documents:
                doc.path = f"upload:{Path(doc.path).name}"
            with self.ingest_lock:
                report = self.a.add_documents(loaded.documents) if loaded.documents else None
        return report, errors, len(loaded.files)


# ------------------------------------------------------------------------------------------------ formatting


def sources_block(answer) -> str:
    """A short sources list under the answer: [n] title — source, date (url)."""
    if answer.refused and answer.unsupported:
        from .present import withheld_why

        return f"\n\n(The model's answer was withheld: {withheld_why(answer)}.)"
    if answer.refused or not answer.citations:
        return ""
    lines = ["", "", "Sources:"]
    for c in answer.citations:
        where = ", ".join(x for x in (c.source, c.published_at[:10]) if x)
        lines.append(
            f"[{c.n}] {c.title or 'Untitled'}" + (f" — {where}" if where else "") + (f" ({c.url})" if c.url else "")
        )
    if answer.unsupported:
        lines.append("Not supported by the cited passages: " + " ".join(answer.unsupported))
    return "\n".join(lines)


def extras(answer) -> dict:
    data = answer.to_json()
    return {"citations": data["citations"], "refused": data["refused"], "unsupported": data["unsupported"]}


def conversation(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The last user message is the question; earlier user → assistant pairs are the history (sources blocks cut)."""
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise HTTPException(422, "messages hold no user message; the last user message is the question")
    last = users[-1]
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for m in messages[:last]:
        if m.role == "user":
            pending = m.text().strip()
        elif m.role == "assistant" and pending:
            history.append((pending, m.text().split("\n\nSources:")[0].split("\n\n(The model's answer")[0].strip()))
            pending = None
    return messages[last].text(), history[-3:]


# ------------------------------------------------------------------------------------------------ the app


class BodyLimit:
    """413 for a body over the limit: by Content-Length, or by counting a chunked body (buffered, then replayed)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        too_big = error_response(
            413,
            f"the request body is over the limit of {self.limit:,} bytes; send less (e.g. fewer files per ingest)",
            "request_too_large",
        )
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                return await error_response(400, "invalid Content-Length header")(scope, receive, send)
            if size > self.limit:
                return await too_big(scope, receive, send)
            return await self.app(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                return await too_big(scope, receive, send)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


def create_app(assistant, config: ServerConfig | None = None) -> FastAPI:
    """The FastAPI app over one Assistant (shared by all requests)."""
    from contextlib import asynccontextmanager

    config = config or ServerConfig()
    service = Service(assistant, config)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if config.warm:
            await run_in_threadpool(service.warm)
        yield

    app = FastAPI(
        title="assistant",
        version=_version(),
        lifespan=lifespan,
        description="Grounded, cited answers over news articles; every citation checked.",
    )
    app.state.service = service
    bearer = HTTPBearer(auto_error=False, description="Required when the server has an API key.")

    def authorised(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if not config.api_key:
            return
        given = credentials.credentials if credentials else ""
        if not secrets.compare_digest(given.encode(), config.api_key.encode()):
            raise HTTPException(
                401, "missing or wrong API key; send Authorization: Bearer KEY", headers={"WWW-Authenticate": "Bearer"}
            )

    @app.exception_handler(AssistantError)
    async def on_assistant_error(request: Request, err: AssistantError):
        return error_response(status_for(err), str(err).splitlines()[0] if str(err) else type(err).__name__)

    @app.exception_handler(Busy)
    async def on_busy(request: Request, err: Busy):
        return error_response(
            503,
            f"the model is busy ({service.waiting} waiting); retry in {err.retry_after}s",
            "server_busy",
            headers={"Retry-After": str(err.retry_after)},
        )

    @app.exception_handler(StarletteHTTPException)  # FastAPI's own (e.g. a body that is not JSON) and ours
    async def on_http(request: Request, err: StarletteHTTPException):
        kind = {401: "authentication_error", 404: "not_found_error"}.get(err.status_code, "invalid_request_error")
        return error_response(err.status_code, str(err.detail), kind, headers=getattr(err, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, err: RequestValidationError):
        first = err.errors()[0] if err.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        return error_response(422, f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, err: Exception):  # logged in full here; the client gets one line
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, f"internal error ({type(err).__name__}); see the server log", "server_error")

    guarded = [Depends(authorised)] if config.api_key else []  # the schema declares Bearer auth only when it applies
    auth = (401,) if config.api_key else ()
    answering = documented(400, 409, 413, 422, 503, *auth)

    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict:
        return {"status": "ok", "llm": assistant.settings.llm}

    @app.get("/v1/models", dependencies=guarded, tags=["openai"], responses=documented(*auth))
    async def models() -> dict:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "assistant"}]}

    @app.post("/v1/chat/completions", dependencies=guarded, tags=["openai"], responses=answering)
    async def chat_completions(body: ChatRequest):
        question, history = conversation(body.messages)
        question = service.check_question(question)
        if body.stream:
            return await stream_chat(question, body, history)
        answer = await service.answer(question, body, history)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.model or MODEL_ID,
            "system_fingerprint": answer.model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "logprobs": None,
                    "message": {"role": "assistant", "content": answer.answer + sources_block(answer)},
                }
            ],
            **extras(answer),
        }

    async def stream_chat(question: str, body: ChatRequest, history):
        from sse_starlette.sse import EventSourceResponse

        from ..types import Answer

        started = time.perf_counter()
        passages = await run_in_threadpool(service.passages, question, body, history)
        await service.acquire()
        t0 = time.perf_counter()
        items = assistant.answer_stream(question, passages, history, started)
        try:  # the first piece before the response starts: an error still gets its status code
            first = await run_in_threadpool(next, items)
        except BaseException:
            items.close()
            service.release()
            raise
        cid, created, model = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), body.model or MODEL_ID

        def chunk(delta: dict, finish: str | None = None, **extra) -> dict:
            return {
                "data": json.dumps(
                    {
                        "id": cid,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
                        **extra,
                    },
                    ensure_ascii=False,
                )
            }

        async def events():
            streamed: list[str] = []
            final = None
            try:
                yield chunk({"role": "assistant", "content": ""})
                item = first
                while True:
                    if isinstance(item, Answer):
                        final = item
                        break
                    streamed.append(item)
                    yield chunk({"content": item})
                    item = await run_in_threadpool(next, items, None)
                    if item is None:
                        break
                tail = ""
                if final is not None:
                    said = "".join(streamed).strip()
                    if final.refused and final.unsupported:
                        tail = f"\n\n{final.answer}"
                    elif final.answer.strip() != said:
                        tail = f"\n\nChecked answer (citations verified): {final.answer}"
                    tail += sources_block(final)
                yield chunk(
                    {"content": tail} if tail else {},
                    "stop",
                    **(extras(final) if final else {}),
                    system_fingerprint=final.model if final else None,
                )
                yield {"data": "[DONE]"}
            except AssistantError as err:  # headers are sent: the error goes in the stream, as OpenAI does
                yield {"data": json.dumps(error_body(str(err), "invalid_request_error", status_for(err)))}
            finally:
                items.close()
                service.release(time.perf_counter() - t0)

        return EventSourceResponse(events(), ping=15, sep="\n")  # OpenAI frames events with \n\n

    @app.post("/v1/ask", dependencies=guarded, tags=["assistant"], responses=answering)
    async def ask(body: AskRequest) -> dict:
        """Exactly the `assistant ask --json` object."""
        question = service.check_question(body.question)
        answer = await service.answer(question, body, [(turn[0], turn[1]) for turn in body.history][-3:])
        return answer.to_json()

    @app.post("/v1/search", dependencies=guarded, tags=["assistant"], responses=answering)
    async def search(body: SearchRequest) -> dict:
        """Retrieved passages with their doc ids and metadata; no LLM."""
        query = service.check_question(body.query, "query")
        passages = await run_in_threadpool(service.passages, query, body, [])
        return {
            "query": query,
            "passages": [p.to_search_json() for p in passages],
        }

    @app.post(
        "/v1/ingest",
        dependencies=guarded,
        tags=["assistant"],
        openapi_extra={"requestBody": INGEST_BODY},
        responses=documented(400, 409, 413, 415, 422, 503, *auth),
    )
    async def ingest(request: Request):
        """Index JSON news records or uploaded files, with the command line's rules: a bad record or file is reported
        and skipped whole, the good ones are indexed. 200 when something was indexed, 422 when nothing could be."""
        t0 = time.perf_counter()
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            form = await request.form()
            uploads = [
                (getattr(f, "filename", "") or "", await f.read())
                for f in form.getlist("files")
                if not isinstance(f, str)
            ]
            if not uploads:
                raise HTTPException(422, "no files in the form; send them as the 'files' field")
            report, errors, loaded = await run_in_threadpool(service.ingest_files, uploads)
        elif ctype.startswith("application/json"):
            try:
                payload = json.loads(await request.body())
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                raise HTTPException(422, f'the body is not valid JSON ({err}); send {{"records": [...]}}') from None
            records = payload.get("records") if isinstance(payload, dict) else None
            if not isinstance(records, list) or not records:
                raise HTTPException(422, 'send {"records": [...]}: a non-empty list of news records')
            report, errors, loaded = await run_in_threadpool(service.ingest_records, records)
        else:
            raise HTTPException(415, 'send application/json {"records": [...]} or multipart/form-data files')
        out = {"added": [], "updated": [], "unchanged": [], "removed": [], "chunks": 0}
        if report is not None:
            out = {k: getattr(report, k) for k in out}
        out.update(files=loaded, errors=errors, seconds=round(time.perf_counter() - t0, 3))
        if report is None:
            return JSONResponse(
                {**error_body(errors[0] if errors else "nothing to ingest", "invalid_request_error", 422), **out},
                status_code=422,
            )
        return out

    @app.get("/v1/sources", dependencies=guarded, tags=["assistant"], responses=documented(400, 503, *auth))
    async def sources() -> dict:
        return {"documents": await run_in_threadpool(assistant.sources)}

    @app.delete(
        "/v1/sources/{doc_id}",
        dependencies=guarded,
        tags=["assistant"],
        responses=documented(400, 404, 413, 422, 503, *auth),
    )
    async def remove(doc_id: str) -> dict:
        def drop() -> int:
            with service.ingest_lock:
                try:
                    return assistant.remove(doc_id)
                except AssistantError as err:
                    if type(err) is AssistantError and doc_id in str(err):
                        raise HTTPException(404, str(err)) from None
                    raise

        return {"removed": doc_id, "chunks": await run_in_threadpool(drop)}

    app.add_middleware(BodyLimit, limit=config.max_body_bytes)
    return app


def _version() -> str:
    from .. import __version__

    return __version__


def serve(assistant, host: str = "127.0.0.1", port: int = 8000, config: ServerConfig | None = None) -> None:
    """Warm the models (a missing model or an unreachable store is one AssistantError line here, before the port
    opens), then serve until interrupted."""
    from dataclasses import replace

    import uvicorn

    config = config or ServerConfig()
    app = create_app(assistant, replace(config, warm=False))
    if config.warm:
        app.state.service.warm()
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)
