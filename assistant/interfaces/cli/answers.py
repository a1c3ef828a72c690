"""Questions: `assistant ask`, `chat`, `search`, `logs`, and `models` (the generators that answer)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..terminal import echo, echo_err, echo_json
from .app import app
from .options import (
    K,
    DataDir,
    Json,
    Llm,
    Model,
    NoLog,
    Since,
    Source,
    Stream,
    Until,
    examples,
    make_assistant,
)


def _read_question(question: Optional[str]) -> str:
    from ...errors import AssistantError

    if question in (None, "-"):
        if question is None and sys.stdin.isatty():
            raise AssistantError('no question given; `assistant ask "..."`, or `-` to read it from stdin')
        question = sys.stdin.read()
    question = " ".join(question.split())
    if not question:
        raise AssistantError("the question is empty; ask something")
    return question


def _say_standalone(a, asked: str, history) -> None:
    """Show how a follow-up will be asked, when it is rewritten (stderr: not part of the answer)."""
    question = a.standalone(asked, history)
    if question != asked:
        echo_err(f"(asking: {question})")


def _log(a, answer, asked: str) -> None:
    from ...errors import AssistantError
    from ..logs import log_for

    try:
        log_for(a.settings).add(answer, asked)
    except AssistantError as err:
        echo_err(f"warning: {err}")


@app.command(
    epilog=examples(
        'assistant ask "What is the range of the ATACMS?"',
        'assistant ask "..." --json | jq .citations',
        "cat question.txt | assistant ask -",
        'assistant ask -c "and how many Russian troops?"   # follows up on the last answer',
        'assistant ask "What was announced?" --source "the verge" --since 2023-10-01',
    )
)
def ask(
    question: Annotated[
        Optional[str], typer.Argument(help="The question; - (or a pipe) reads it from stdin.", show_default=False)
    ] = None,
    data_dir: DataDir = None,
    k: K = None,
    source: Source = None,
    since: Since = None,
    until: Until = None,
    llm: Llm = None,
    model: Model = None,
    as_json: Json = False,
    stream: Stream = None,
    cont: Annotated[bool, typer.Option("--continue", "-c", help="A follow-up to the last logged answer.")] = False,
    no_log: NoLog = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Show how the question was read (a sub-question per named source, the passages each brought, how the "
            "answer was made) and how each sentence was checked: which check failed, which citations moved.",
        ),
    ] = False,
):
    """Answer a question from the indexed articles, citing passages as [n]; every citation is checked."""
    from ...errors import AssistantError
    from ...index.retrieve import Filters
    from ..terminal import Status, show_answer

    asked = _read_question(question)
    a = make_assistant(data_dir, llm, model, k)
    filters = Filters(source=source, since=since, until=until)
    history = None
    if cont:
        from ..logs import log_for

        last = log_for(a.settings).last()
        if last is None:
            raise AssistantError("nothing in the log to continue; ask a question without -c first")
        history = [(last["question"], last["answer"])]
        _say_standalone(a, asked, history)
    a.check_filters(filters)
    stream = (sys.stdout.isatty() and not as_json) if stream is None else stream and not as_json
    answer = show_answer(
        a, asked, k, filters, stream=stream, as_json=as_json, status=Status(), history=history, explain=explain
    )
    if not no_log and answer.model != "housekeeping":  # small talk or a UI's task: not an answer to log
        _log(a, answer, asked)


@app.command(
    epilog=examples(
        "assistant chat",
        "assistant chat --source reuters --llm extractive",
        "> How many North Korean troops joined Russian forces in Kursk?",
        "> and how many Russian troops?        (asked as: How many Russian troops joined ...)",
    )
)
def chat(
    data_dir: DataDir = None,
    k: K = None,
    source: Source = None,
    since: Since = None,
    until: Until = None,
    llm: Llm = None,
    model: Model = None,
    stream: Stream = None,
    no_log: NoLog = False,
):
    """Interactive questions. A follow-up ("and X?", "what about X?", it/they/he/she) is rewritten into a question
    that stands on its own before it is searched; arrow keys edit and recall earlier questions (kept across sessions).
    Empty line, `exit` or Ctrl-D quits."""
    from ...errors import AssistantError
    from ...index.retrieve import Filters
    from ..terminal import Status, line_editing, show_answer

    a = make_assistant(data_dir, llm, model, k)
    filters = Filters(source=source, since=since, until=until)
    a.check_filters(filters)
    stream = sys.stdout.isatty() if stream is None else stream
    previous: tuple[str, str] | None = None
    typer.echo("Ask about the indexed articles. Empty line to quit.")
    with line_editing(Path(a.settings.data_dir) / "chat_history"):
        while True:
            try:
                asked = input("> ").strip()
            except EOFError:
                typer.echo()
                break
            if not asked or asked in {"exit", "quit", ":q"}:
                break
            history = [previous] if previous else None
            try:
                aside = a.housekeeping(asked, history)  # hi, thanks, a title: a short reply, not a question
            except AssistantError as err:
                echo_err(f"error: {err}")
                continue
            if aside is not None:
                echo(aside.answer)
                continue
            _say_standalone(a, asked, history)
            try:
                answer = show_answer(
                    a, asked, k, filters, stream=stream, as_json=False, status=Status(), history=history
                )
            except AssistantError as err:
                echo_err(f"error: {err}")
                continue
            previous = (answer.question, answer.answer)
            if not no_log:
                _log(a, answer, asked)


@app.command(
    epilog=examples(
        'assistant search "ATACMS range"',
        'assistant search "harbour" -k 8 --json',
        'assistant search "election" --source "the verge" --since 2023-10-01',
    )
)
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    data_dir: DataDir = None,
    k: K = None,
    source: Source = None,
    since: Since = None,
    until: Until = None,
    as_json: Json = False,
):
    """The passages a question would retrieve (dense + BM25), best first — no LLM."""
    from ..present import passages_text
    from ..terminal import waiting
    from ...index.retrieve import Filters

    a = make_assistant(data_dir, k=k)
    filters = Filters(source=source, since=since, until=until)
    with waiting("searching"):
        a.check_filters(filters)
        passages = a.retrieve(query, k or a.settings.k, filters)
    if as_json:
        echo_json(
            json.dumps(
                [
                    {**p.to_json(), **{key: p.metadata.get(key, "") for key in ("source", "published_at", "url")}}
                    for p in passages
                ],
                ensure_ascii=False,
            )
        )
    else:
        echo(passages_text(passages))  # article text and ids: no escape sequences reach the terminal


@app.command(epilog=examples("assistant logs", "assistant logs -n 10", "assistant logs -n 0 --json   # all"))
def logs(
    data_dir: DataDir = None,
    n: Annotated[int, typer.Option("-n", "--count", help="How many of the latest (0: all).", min=0)] = 3,
    as_json: Json = False,
):
    """Earlier questions and their checked answers with citations, oldest first (from <data dir>/logs.db)."""
    from ..logs import log_for
    from ..present import log_text
    from ...settings import load_settings

    rows = log_for(load_settings(data_dir=data_dir)).recent(n)
    if as_json:
        echo_json(json.dumps(rows, ensure_ascii=False))
    else:
        echo(log_text(rows))


@app.command(epilog=examples("assistant models", "assistant models --json", "assistant models --prepare"))
def models(
    llm: Llm = None,
    model: Model = None,
    as_json: Json = False,
    prepare: Annotated[
        bool,
        typer.Option(
            "--prepare",
            help="Make the embedding model's ONNX form in the cache now (a few seconds, done once; on first use "
            "otherwise).",
        ),
    ] = False,
):
    """The generators --llm/--model can name, whether each is installed or configured, and the default (*)."""
    from ...answer.models import models_report
    from ...settings import load_settings

    settings = load_settings(llm=llm.value if llm else None, llm_model=model)
    if prepare:
        from ...index.embed import make_embedder
        from ..terminal import waiting

        embedder = make_embedder(settings)
        with waiting("writing the embedding model's ONNX form (once)"):
            path = embedder.prepare() if hasattr(embedder, "prepare") else None
        if path is not None:
            typer.echo(f"embedding model ready: {path}", err=True)
    rows = models_report(settings)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for r in rows:
        name = f"{r['llm']}:{r['model']}" if r["llm"] != "extractive" else "extractive"
        typer.echo(f"{'*' if r['default'] else ' '} {name:<34} {'yes' if r['installed'] else 'no ':<4} {r['detail']}")
    typer.echo(f"  embeddings: {settings.embed_backend}:{settings.embed_model_name}")
