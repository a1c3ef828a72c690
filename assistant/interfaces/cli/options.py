"""What the commands share: their options (typer ``Annotated`` types), how an Assistant is made from them, and the
examples under each command's help."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..terminal import echo_err


class LlmName(str, Enum):
    local = "local"
    openai = "openai"
    extractive = "extractive"


DataDir = Annotated[
    Optional[Path],
    typer.Option("--data-dir", help="Where the index lives [env ASSISTANT_DATA_DIR].", show_default=False),
]
Llm = Annotated[
    Optional[LlmName], typer.Option("--llm", help="Generator [env ASSISTANT_LLM; default local].", show_default=False)
]
Model = Annotated[
    Optional[str],
    typer.Option(
        "--model",
        help="local: qwen2.5-coder-1.5b | qwen2.5-coder-0.5b; "
        "openai: the served model id [env ASSISTANT_LLM_MODEL]; "
        "`assistant models` lists them.",
    ),
]
K = Annotated[
    Optional[int],
    typer.Option(
        "--k",
        "-k",
        help="Exactly this many passages [default: at least 4, more short ones within the context budget].",
        min=1,
        max=50,
    ),
]
Source = Annotated[Optional[str], typer.Option("--source", help="Only passages from this source (any case).")]
Since = Annotated[Optional[str], typer.Option("--since", help="Only articles published on or after YYYY-MM-DD.")]
Until = Annotated[Optional[str], typer.Option("--until", help="Only articles published on or before YYYY-MM-DD.")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
Stream = Annotated[
    Optional[bool],
    typer.Option(
        "--stream/--no-stream",
        help="Print the text as it is generated, then the checked answer [default: on a terminal].",
        show_default=False,
    ),
]
NoLog = Annotated[bool, typer.Option("--no-log", help="Do not record this in the log (`assistant logs`).")]


def make_assistant(data_dir=None, llm=None, model=None, k=None):
    from ...api import Assistant
    from ...index.retrieve import Budget
    from ...settings import config_file, unknown_config_keys

    for key, close in unknown_config_keys():
        echo_err(
            f"warning: {config_file()}: '{key}' is not a setting and is ignored"
            + (f"; did you mean '{close}'?" if close else "; the README's Settings table lists them")
        )
    return Assistant(
        data_dir=data_dir, llm=llm.value if isinstance(llm, Enum) else llm, llm_model=model, **Budget.exactly(k)
    )


def examples(*lines: str) -> str:
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def stderr_console():
    from rich.console import Console

    return Console(stderr=True)
