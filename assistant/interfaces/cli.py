"""The command line: a thin typer layer over ``assistant.Assistant``. Imports stay lazy so ``--help`` is fast."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

try:  # typer >= 0.2x carries its own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # older typer: click itself
    from click.exceptions import UsageError  # type: ignore[assignment]


class _Commands(TyperGroup):
    """Every command reports an AssistantError, and a usage error (a bad option value, a missing argument), as one
    `error: ...` line on stderr and exits 1, however the app is invoked (the console script, ``python -m
    assistant.interfaces.cli``, or typer's CliRunner in tests)."""

    def invoke(self, ctx):
        import os

        from ..errors import AssistantError

        try:
            return super().invoke(ctx)
        except AssistantError as err:
            echo_err(f"error: {err}")
            raise typer.Exit(1) from None
        except UsageError as err:
            _usage_error(err)

        except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as err:  # a bug or an unforeseen failure: still one line (ASSISTANT_DEBUG=1 shows it all)
            if os.environ.get("ASSISTANT_DEBUG"):
                raise
            first = (str(err).strip().splitlines() or [""])[0][:300]
            echo_err(
                f"error: unexpected {type(err).__name__}: {first}; please report it (run with "
                "ASSISTANT_DEBUG=1 for the traceback)"
            )
            raise typer.Exit(1) from None

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except UsageError as err:
            _usage_error(err)


def _usage_error(err: UsageError):
    if type(err).__name__ == "NoArgsIsHelpError":  # `assistant` alone: click shows the help
        raise err
    names: list[str] = []
    ctx = err.ctx
    while ctx is not None and ctx.parent is not None:  # the subcommand path, however the program was started
        names.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    where = " ".join(["assistant", *names])
    message = " ".join(err.format_message().replace("Value error, ", "").split()).rstrip(".")
    echo_err(f"error: {message}; see `{where} --help`")
    raise typer.Exit(1) from None


app = typer.Typer(
    help="Grounded, cited answers over news articles — offline by default, every citation checked.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class LlmName(str, Enum):
    local = "local"
    openai = "openai"
    extractive = "extractive"


def _version(value: bool):
    if value:
        from .. import __version__

        typer.echo(f"assistant {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", help="Show the version and exit.", is_eager=True, callback=_version)
    ] = False,
):
    """Grounded, cited answers over news articles — offline by default, every citation checked."""


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
    from ..api import Assistant
    from ..index.retrieve import Budget
    from ..settings import config_file, unknown_config_keys

    for key, close in unknown_config_keys():
        echo_err(
            f"warning: {config_file()}: '{key}' is not a setting and is ignored"
            + (f"; did you mean '{close}'?" if close else "; the README's Settings table lists them")
        )
    return Assistant(
        data_dir=data_dir, llm=llm.value if isinstance(llm, Enum) else llm, llm_model=model, **Budget.exactly(k)
    )


def echo_err(message: str) -> None:
    from ..text.sanitize import for_terminal

    typer.echo(for_terminal(message), err=True)


def echo(text: str, nl: bool = True) -> None:
    """Print text that may hold article text (titles, passages, answers quoting them): without escape sequences."""
    from ..text.sanitize import for_terminal

    typer.echo(for_terminal(text), nl=nl)


def echo_json(text: str) -> None:
    from ..text.sanitize import for_json_output

    typer.echo(for_json_output(text))


def _examples(*lines: str) -> str:
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


@app.command(
    epilog=_examples(
        "assistant ingest seeds/ more-news/ feed.jsonl",
        "assistant ingest report.pdf notes.docx saved-page.html",
        "cat records.jsonl | assistant ingest -",
        "assistant ingest https://example.org/news/rss.xml https://example.org/news/some-article",
    )
)
def ingest(
    args: Annotated[
        list[str],
        typer.Argument(
            help="Files or directories (.txt .md .html .json .jsonl .pdf .docx); - reads JSONL records from stdin; "
            "http(s) URLs of RSS/Atom feeds or article pages.",
            metavar="paths",
        ),
    ],
    data_dir: DataDir = None,
    as_json: Json = False,
):
    """Index articles. Re-ingesting unchanged files changes nothing; a changed file replaces its old chunks."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..ingest.fetch import is_url

    if any(is_url(arg) for arg in args):  # feeds and pages: assistant/interfaces/watch.py
        return ingest_urls_command(args, data_dir, as_json)
    paths = [Path(arg) for arg in args]
    a = make_assistant(data_dir)
    stdin_docs = None
    if Path("-") in paths:
        from ..ingest.load import stdin_documents

        stdin_docs = stdin_documents(sys.stdin.read())
        paths = [p for p in paths if p != Path("-")]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("docs"),
        TimeRemainingColumn(),
        transient=True,
        console=_stderr_console(),
        disable=as_json or not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("reading files", total=None)

        def progress(done, total):
            bar.update(task, description="embedding", completed=done, total=total)

        report = a.ingest(paths, progress=progress) if paths else None
        if stdin_docs is not None:
            bar.reset(task, description="embedding")
            extra = a.add_documents(stdin_docs, progress=progress)
            report = _merge(report, extra)
    assert report is not None  # paths or stdin: typer requires one
    for error in report.errors:
        echo_err(f"error: {error}")
    for note in report.skipped:
        echo_err(f"skipped: {note}")
    if as_json:
        echo_json(
            json.dumps(
                {
                    k: getattr(report, k)
                    for k in (
                        "added",
                        "updated",
                        "unchanged",
                        "removed",
                        "chunks",
                        "files",
                        "errors",
                        "seconds",
                        "repaired",
                        "skipped",
                        "unsupported",
                    )
                }
            )
        )
    else:
        if report.repaired:
            echo(
                f"repaired {len(report.repaired)} document(s) an earlier ingest left incomplete: "
                f"{', '.join(report.repaired[:5])}{' …' if len(report.repaired) > 5 else ''}"
            )
        echo(
            f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
            f"{len(report.removed)} replaced; {report.chunks} chunks embedded from {report.files} files "
            f"in {report.seconds:.1f}s → {a.store.location}"
        )
        if report.unsupported:
            shown = ", ".join(report.unsupported[:5]) + (
                f", … ({len(report.unsupported) - 5} more)" if len(report.unsupported) > 5 else ""
            )
            echo(f"skipped {len(report.unsupported)} file(s) of unsupported types: {shown}")
    if report.errors:
        raise typer.Exit(1)


def _merge(report, extra):
    if report is None:
        extra.files = 1
        return extra
    for key in ("added", "updated", "unchanged", "removed", "errors"):
        getattr(report, key).extend(getattr(extra, key))
    report.chunks += extra.chunks
    report.files += 1
    report.seconds += extra.seconds
    return report


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _read_question(question: Optional[str]) -> str:
    from ..errors import AssistantError

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
    from ..errors import AssistantError
    from .logs import log_for

    try:
        log_for(a.settings).add(answer, asked)
    except AssistantError as err:
        echo_err(f"warning: {err}")


@app.command(
    epilog=_examples(
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
    from ..errors import AssistantError
    from ..index.retrieve import Filters
    from .terminal import Status, show_answer

    asked = _read_question(question)
    a = make_assistant(data_dir, llm, model, k)
    filters = Filters(source=source, since=since, until=until)
    history = None
    if cont:
        from .logs import log_for

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
    if not no_log:
        _log(a, answer, asked)


@app.command(
    epilog=_examples(
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
    from ..errors import AssistantError
    from ..index.retrieve import Filters
    from .terminal import Status, line_editing, show_answer

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
    epilog=_examples(
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
    from .present import passages_text
    from ..index.retrieve import Filters

    a = make_assistant(data_dir, k=k)
    filters = Filters(source=source, since=since, until=until)
    a.check_filters(filters)
    passages = a.retrieve(query, k or a.settings.k, filters)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {**p.to_json(), **{key: p.metadata.get(key, "") for key in ("source", "published_at", "url")}}
                    for p in passages
                ],
                ensure_ascii=False,
            )
        )
    else:
        typer.echo(passages_text(passages))


@app.command(epilog=_examples("assistant logs", "assistant logs -n 10", "assistant logs -n 0 --json   # all"))
def logs(
    data_dir: DataDir = None,
    n: Annotated[int, typer.Option("-n", "--count", help="How many of the latest (0: all).", min=0)] = 3,
    as_json: Json = False,
):
    """Earlier questions and their checked answers with citations, oldest first (from <data dir>/logs.db)."""
    from .logs import log_for
    from .present import log_text
    from ..settings import load_settings

    rows = log_for(load_settings(data_dir=data_dir)).recent(n)
    typer.echo(json.dumps(rows, ensure_ascii=False) if as_json else log_text(rows))


@app.command(epilog=_examples("assistant models", "assistant models --json", "assistant models --prepare"))
def models(
    llm: Llm = None,
    model: Model = None,
    as_json: Json = False,
    prepare: Annotated[
        bool,
        typer.Option(
            "--prepare",
            help="Make the embedding model's ONNX form in the cache now (done once, on first use otherwise; needs "
            "torch then).",
        ),
    ] = False,
):
    """The generators --llm/--model can name, whether each is installed or configured, and the default (*)."""
    from ..answer.models import models_report
    from ..settings import load_settings

    settings = load_settings(llm=llm.value if llm else None, llm_model=model)
    if prepare:
        from ..index.embed import make_embedder

        embedder = make_embedder(settings)
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


@app.command(epilog=_examples("assistant sources", "assistant sources --json | jq '.[].title'"))
def sources(
    data_dir: DataDir = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON list: [{doc_id, title, source, published_at, url, path, chunks}]."),
    ] = False,
):
    """List what is indexed: document id, title, source, date, chunks."""
    from .present import sources_table

    rows = make_assistant(data_dir).sources()
    if as_json:
        echo_json(json.dumps(rows, ensure_ascii=False))
    else:
        echo(sources_table(rows))


@app.command(
    epilog=_examples("assistant remove 602e25fabba7d252", "assistant remove --path seeds/", "assistant remove --all")
)
def remove(
    doc_id: Annotated[
        Optional[str], typer.Argument(help="A document id from `assistant sources`.", show_default=False)
    ] = None,
    path: Annotated[
        Optional[Path],
        typer.Option("--path", help="Every document ingested from this file, or from files under this directory."),
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every document.")] = False,
    data_dir: DataDir = None,
):
    """Drop documents and their chunks: one by id, those from a path, or all."""
    from ..errors import AssistantError

    if sum(x is not None and x is not False for x in (doc_id, path, everything or None)) != 1:
        raise AssistantError("give one of: a document id, --path PATH or --all")
    a = make_assistant(data_dir)
    if doc_id is not None:
        n = a.remove(doc_id)
        echo(f"removed {doc_id} ({n} chunks)")
        return
    rows = a.sources()
    if path is not None:
        target = path.resolve()
        rows = [r for r in rows if r["path"] and (Path(r["path"]) == target or target in Path(r["path"]).parents)]
        if not rows:
            raise AssistantError(f"no document was ingested from {path}; `assistant sources --json` shows the paths")
    chunks = sum(a.remove(r["doc_id"]) for r in rows)
    echo(f"removed {len(rows)} documents ({chunks} chunks)")


@app.command(epilog=_examples("assistant info", "assistant info --json"))
def info(data_dir: DataDir = None, as_json: Json = False):
    """Show the data dir, store, models and counts."""
    details = make_assistant(data_dir).info()
    if as_json:
        typer.echo(json.dumps(details))
    else:
        for key, value in details.items():
            echo(f"{key:>16}: {value}")


def parse_gates(flag: str, given: list[str] | None) -> dict[str, float]:
    from ..errors import AssistantError

    gates: dict[str, float] = {}
    for gate in given or []:
        name, _, value = gate.partition("=")
        try:
            gates[name.strip()] = float(value)
        except ValueError:
            raise AssistantError(f"{flag} '{gate}' is not METRIC=NUMBER (e.g. answer_accuracy=0.8)") from None
    return gates


class EvalMode(str, Enum):
    corpus = "corpus"
    noise = "noise"
    rejection = "rejection"
    counterfactual = "counterfactual"


class JudgeName(str, Enum):
    heuristic = "heuristic"
    llm = "llm"


@app.command(
    "eval",
    epilog=_examples(
        "assistant eval evals/seed.jsonl --corpus seeds/ --out runs/seed",
        "assistant eval ../shared/datasets/rgb_en_fact/questions.dev.jsonl --mode rejection --limit 50",
        "assistant eval QUESTIONS.jsonl --corpus CORPUS --judge llm --compare runs/previous",
        "assistant eval evals/seed.jsonl --corpus seeds/ --fail-under answer_accuracy=0.7 "
        "--fail-over false_refusal_rate=0.05",
    ),
)
def eval_(
    questions: Annotated[Path, typer.Argument(help="Question file (.jsonl): {id, question, answers, ...}.")],
    corpus: Annotated[
        Optional[list[Path]],
        typer.Option("--corpus", help="Files/dirs to index once for all questions (anything `ingest` accepts)."),
    ] = None,
    out: Annotated[
        Optional[Path],
        typer.Option("--out", help="Run folder [runs/<questions>-<mode>]; re-running with the same folder resumes."),
    ] = None,
    mode: Annotated[
        Optional[EvalMode], typer.Option("--mode", help="Per-question passages (RGB).", show_default=False)
    ] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", help="Only the first N questions.", min=1)] = None,
    sample: Annotated[
        Optional[int], typer.Option("--sample", help="N evenly spaced questions (after --limit).", min=1)
    ] = None,
    judge: Annotated[
        JudgeName, typer.Option("--judge", help="Support judge: heuristic (the offline verifier) or llm.")
    ] = JudgeName.heuristic,
    compare: Annotated[Optional[Path], typer.Option("--compare", help="A previous run folder: show deltas.")] = None,
    fail_under: Annotated[
        Optional[list[str]],
        typer.Option("--fail-under", help="METRIC=VALUE: exit 1 when the metric is below VALUE (repeatable)."),
    ] = None,
    fail_over: Annotated[
        Optional[list[str]],
        typer.Option(
            "--fail-over",
            help="METRIC=VALUE: exit 1 when "
            "the metric is above VALUE, for lower-is-better "
            "ones such as false_refusal_rate or latency_ms_p50 "
            "(repeatable).",
        ),
    ] = None,
    judge_pairs: Annotated[
        Optional[int],
        typer.Option(
            "--judge-pairs", help="Measure the judge on at most N labelled pairs [all; 60 with --judge llm].", min=1
        ),
    ] = None,
    data_dir: DataDir = None,
    k: K = None,
    llm: Llm = None,
    model: Model = None,
    as_json: Json = False,
):
    """Score answers, citations, refusals and retrieval on a question set; writes summary.json, results.jsonl,
    report.md and report.png. Never touches your own index."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..eval import EvalConfig, run_eval
    from ..eval.metrics import METRICS, format_value

    mode_name = mode.value if mode else None
    judge_name = judge.value
    out = out or Path("runs") / f"{questions.stem}-{mode_name or ('corpus' if corpus else 'noise')}"
    cfg = EvalConfig(
        questions=questions,
        out=out,
        corpus=list(corpus or []),
        mode=mode_name,
        limit=limit,
        sample=sample,
        judge=judge_name,
        compare=compare,
        fail_under=parse_gates("--fail-under", fail_under),
        fail_over=parse_gates("--fail-over", fail_over),
        judge_pairs=judge_pairs,
    )
    a = make_assistant(data_dir, llm, model, k)
    with Progress(
        TextColumn("eval"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_stderr_console(),
        transient=True,
        disable=as_json,
    ) as bar:
        task = bar.add_task("eval", total=None)
        result = run_eval(a, cfg, progress=lambda done, total: bar.update(task, completed=done, total=total))
    summary, previous = result.summary, result.previous
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(f"{summary['n']} questions → {out}/report.md")
        for m in METRICS:
            if m.name in summary:
                delta = ""
                if previous and isinstance(previous.get(m.name), (int, float)):
                    delta = f"  ({summary[m.name] - previous[m.name]:+.3f})"
                typer.echo(f"{m.name:>20}: {format_value(summary[m.name])}{delta}")
    for line in result.failed_gates:
        echo_err(f"gate failed: {line}")
    if result.failed_gates:
        raise typer.Exit(1)


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
    from .server import ServerConfig, serve as run

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
    from .mcp import run

    run(make_assistant(data_dir, llm, model))


from .watch import ingest_urls_command, watch  # noqa: E402  (feeds and pages in: assistant/interfaces/watch.py)

app.command(epilog=_examples("assistant watch https://example.org/rss.xml --every 10m", "assistant watch FEED --once"))(
    watch
)


def main() -> None:
    from ..errors import AssistantError

    try:
        app()
    except AssistantError as err:
        echo_err(f"error: {err}")
        sys.exit(1)
    except KeyboardInterrupt:
        echo_err("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
