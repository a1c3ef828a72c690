"""The FastAPI app over one Assistant: its routes, its error handlers (every error is one JSON object), the body
limit, and ``serve`` (warm the models, then run uvicorn)."""

from __future__ import annotations

import json
import logging
import secrets
import time

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ...errors import AssistantError, NotFoundError
from ...index.writer import HTTP_FIELDS, IngestReport
from .chat import chat_reply
from .service import Service
from .shapes import (
    INGEST_BODY,
    MODEL_ID,
    AskRequest,
    Busy,
    ChatRequest,
    SearchRequest,
    ServerConfig,
    documented,
    error_body,
    error_response,
    status_for,
)

log = logging.getLogger("assistant.server")


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


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def host_name(value: str) -> str:
    """'127.0.0.1:8000' → '127.0.0.1', '[::1]:80' → '::1', 'Example.org.' → 'example.org'."""
    value = value.strip().lower()
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else value[1:]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def is_loopback(host: str) -> bool:
    import ipaddress

    name = host_name(host) if not host.count(":") > 1 else host.strip("[]")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class OriginGuard:
    """403 for a request whose Host is not a name this server answers to (DNS rebinding: a web page whose name now
    points at 127.0.0.1) or whose Origin is a foreign web page (a cross-site form post needs no preflight)."""

    def __init__(self, app, allowed_hosts: tuple[str, ...], allowed_origins: tuple[str, ...]):
        self.app = app
        self.hosts = {host_name(h) for h in allowed_hosts}
        self.origins = {o.rstrip("/").lower() for o in allowed_origins}

    def refusal(self, headers: dict[bytes, bytes]) -> str | None:
        from urllib.parse import urlsplit

        host = headers.get(b"host", b"").decode("latin-1")
        if "*" not in self.hosts and host_name(host) not in self.hosts:
            return (
                f"Host '{host[:100]}' is not a name this server answers to ({', '.join(sorted(self.hosts))}); "
                "use one of them, or start the server with --allow-host NAME"
            )
        origin = headers.get(b"origin")
        if origin is None:
            return None
        text = origin.decode("latin-1").strip()
        try:
            name = urlsplit(text).hostname or ""
        except ValueError:
            name = ""
        if text.rstrip("/").lower() in self.origins or (name and (is_loopback(name) or name in self.hosts)):
            return None
        return (
            f"requests from web pages at {text[:100]!r} are refused (cross-site); "
            "start the server with --allow-origin ORIGIN to allow one"
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        why = self.refusal(dict(scope.get("headers") or []))
        if why is not None:
            return await error_response(403, why, "permission_error")(scope, receive, send)
        return await self.app(scope, receive, send)


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
        return await chat_reply(service, body)

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
            try:
                form = await request.form(max_files=config.max_upload_files, max_fields=config.max_upload_files)
            except StarletteHTTPException as err:
                raise HTTPException(
                    413 if "Too many" in str(err.detail) else 400,
                    f"{err.detail}: send at most {config.max_upload_files} files per request",
                ) from None
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
            except RecursionError:
                raise HTTPException(
                    422, "the body is nested too deeply to read; a news record is one flat object"
                ) from None
            records = payload.get("records") if isinstance(payload, dict) else None
            if not isinstance(records, list) or not records:
                raise HTTPException(422, 'send {"records": [...]}: a non-empty list of news records')
            report, errors, loaded = await run_in_threadpool(service.ingest_records, records)
        else:
            raise HTTPException(415, 'send application/json {"records": [...]} or multipart/form-data files')
        written = report or IngestReport()
        written.files, written.errors, written.seconds = loaded, errors, round(time.perf_counter() - t0, 3)
        out = written.to_json(HTTP_FIELDS)
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
                except NotFoundError as err:
                    raise HTTPException(404, str(err)) from None

        return {"removed": doc_id, "chunks": await run_in_threadpool(drop)}

    app.add_middleware(BodyLimit, limit=config.max_body_bytes)
    app.add_middleware(OriginGuard, allowed_hosts=config.allowed_hosts, allowed_origins=config.allowed_origins)
    return app


def _version() -> str:
    from ... import __version__

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
