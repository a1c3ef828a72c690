"""Servers over one Assistant: `assistant serve` (HTTP, OpenAI-compatible) and `assistant mcp` (Model Context
Protocol on stdio)."""

from __future__ import annotations

from pathlib import Path
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
    allow_host: Annotated[
        Optional[list[str]],
        typer.Option(
            "--allow-host",
            help="Another name clients use for this server in the Host header (repeatable); others get 403.",
            show_default=False,
        ),
    ] = None,
    allow_origin: Annotated[
        Optional[list[str]],
        typer.Option(
            "--allow-origin",
            help="A web origin (https://app.example) whose pages may call the API (repeatable); others get 403.",
            show_default=False,
        ),
    ] = None,
    no_key_ok: Annotated[
        bool,
        typer.Option(
            "--insecure-no-key",
            help="Serve on a non-loopback address without an API key (anyone who reaches it can change the index).",
        ),
    ] = False,
    data_dir: DataDir = None,
    llm: Llm = None,
    model: Model = None,
):
    """Serve an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/ask, /v1/search, /v1/ingest, ...)."""
    from ...errors import InputError
    from ..server import ServerConfig, serve as run
    from ..server.app import LOOPBACK_NAMES, host_name, is_loopback

    loopback = is_loopback(host)
    if not loopback and not api_key:
        if not no_key_ok:
            raise InputError(
                f"refusing to serve on {host} without an API key: anyone who can reach it could read and change "
                "the index; set --api-key (or ASSISTANT_API_KEY), or pass --insecure-no-key"
            )
        echo_err(f"warning: serving on {host} without an API key (--insecure-no-key)")
    name = host_name(host)
    wildcard = name in ("0.0.0.0", "::", "")
    hosts = ("*",) if wildcard else (*LOOPBACK_NAMES, name, *(host_name(h) for h in allow_host or []))
    a = make_assistant(data_dir, llm, model)
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
            allowed_hosts=hosts,
            allowed_origins=tuple(allow_origin or []),
        ),
    )


@app.command()
def mcp(
    allow_root: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--allow-root",
            help="A folder whose files the ingest tool may read (repeatable); without one, ingest takes text only.",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
    llm: Llm = None,
    model: Model = None,
):
    """Serve the Model Context Protocol on stdio (tools ask, search, list_sources, ingest; documents as resources)."""
    from ...errors import InputError
    from ..mcp import run

    roots = list(allow_root or [])
    for root in roots:
        if not root.is_dir():
            raise InputError(f"--allow-root {root}: not a folder; give an existing folder")
    run(make_assistant(data_dir, llm, model), roots)
