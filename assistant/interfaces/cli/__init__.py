"""The command line: a thin typer layer over ``assistant.Assistant``. Imports stay lazy so ``--help`` is fast.

``app.py`` is the typer app and how any error becomes one line; ``options.py`` the options the commands share;
then one module per group of commands: ``documents`` (ingest, sources, remove, info), ``feeds`` (ingest URL,
watch), ``answers`` (ask, chat,
search, logs, models), ``evaluate`` (eval), ``serving`` (serve, mcp).
"""

from __future__ import annotations

from . import answers, documents, evaluate, feeds, serving  # noqa: F401 - each adds its commands to `app`
from .app import app, main

# `assistant --help` lists the commands in this order; a command not named here comes last
HELP_ORDER = (
    "ingest",
    "watch",
    "ask",
    "chat",
    "search",
    "logs",
    "models",
    "sources",
    "remove",
    "info",
    "eval",
    "serve",
    "mcp",
)


def _help_position(command) -> int:
    name = command.name or getattr(command.callback, "__name__", "")
    return HELP_ORDER.index(name) if name in HELP_ORDER else len(HELP_ORDER)


app.registered_commands.sort(key=_help_position)

__all__ = ["app", "main"]
