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

Modules: ``shapes`` (the request and error bodies, the config), ``service`` (the shared Assistant and its gates),
``chat`` (the chat-completions shapes: the conversation in, the sources block and the streamed chunks out), ``app``
(the FastAPI app: routes, error handlers, the body limit, ``serve``).
"""

from __future__ import annotations

from .app import create_app, serve
from .shapes import MODEL_ID, ServerConfig

__all__ = ["MODEL_ID", "ServerConfig", "create_app", "serve"]
