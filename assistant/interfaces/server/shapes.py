"""What the HTTP API reads and writes: the server's config, the request bodies (pydantic, so the OpenAPI schema
documents them), and the one error shape ``{"error": {"message", "type", "code"}}`` with the status each error gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ...errors import AssistantError, BackendError, EmptyIndexError, InputError, ModelMismatchError

MODEL_ID = "assistant"  # what GET /v1/models lists; any model name in a request is accepted


@dataclass
class ServerConfig:
    api_key: str = ""  # empty: no authentication
    max_body_bytes: int = 16 * 1024 * 1024
    max_question_chars: int = 2000
    queue_timeout: float = 120.0  # seconds a request may wait for the generator before 503
    generation_slots: int = 0  # concurrent generations; 0 = 1 for the local model, 4 for the other backends
    warm: bool = True  # load the models (and run one tiny generation) before accepting requests
    # Host names (without port) requests may name ("*": any, for a server bound to every address, behind its key);
    # an Origin header must name one of them, a loopback name, or one of allowed_origins (DNS rebinding, cross-site)
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    allowed_origins: tuple[str, ...] = ()
    max_upload_files: int = 20  # files in one multipart ingest


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
        from ...index.retrieve import Filters

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
