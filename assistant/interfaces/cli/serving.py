"""Servers over one Assistant: `assistant serve` (HTTP, OpenAI-compatible) and `assistant mcp` (Model Context
Protocol on stdio)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..terminal import echo_err
from .app import app
from .options import DataDir, Llm, Model, make_assistant


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; anything but loopback needs an API key to be safe.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
    api_key: Annotated[
        Optional[str],
        typer.Option(
            "--api-key",
            envvar="ASSISTANT_API_KEY",
            show_default=False,
            help="Require Authorization: Bearer KEY on every route but /healthz [env ASSISTANT_API_KEY].",
        ),
    ] = None,
    queue_timeout: Annotated[
        float,
        typer.Option(
            "--queue-timeout",
            help="Seconds a request may wait for the model before it gets 503 + Retry-After.",
            min=0.1,
        ),
    ] = 120.0,
    max_body_mb: Annotated[
        float, typer.Option("--max-body-mb", help="Largest request body (413 above).", min=0.001)
    ] = 16.0,
    max_question_chars: Annotated[
        int, typer.Option("--max-question-chars", help="Longest question (422 above).", min=1)
    ] = 2000,
    data_dir: DataDir = None,
    llm: Llm = None,
    model: Model = None,
):
    """Serve an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/ask, /v1/search, /v1/ingest, ...)."""
    from ..server import ServerConfig, serve as run

    a = make_assistant(data_dir, llm, model)
    if host not in ("127.0.0.1", "localhost", "::1") and not api_key:
        echo_err(
            f"warning: serving on {host} without an API key: anyone who can reach it can read and change the "
            "index; set --api-key or ASSISTANT_API_KEY"
        )
    echo_err(
        f"assistant serve: http://{host}:{port}/v1 (llm {a.settings.llm}, data {a.settings.data_dir}, "
        f"{'API key required' if api_key else 'no API key'}); loading models..."
    )
    run(
        a,
        host,
        port,
        ServerConfig(
            api_key=api_key or "",
            queue_timeout=queue_timeout,
            max_body_bytes=int(max_body_mb * 1024 * 1024),
            max_question_chars=max_question_chars,
        ),
    )


@app.command()
def mcp(data_dir: DataDir = None, llm: Llm = None, model: Model = None):
    """Serve the Model Context Protocol on stdio (tools ask, search, list_sources, ingest; documents as resources)."""
    from ..mcp import run

    run(make_assistant(data_dir, llm, model))
