"""The command line: a thin typer layer over ``assistant.Assistant``. Imports stay lazy so ``--help`` is fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup


class _Commands(TyperGroup):
    """Every command reports an AssistantError as one `error: ...` line on stderr and exits 1, however the app is
    invoked (the console script, ``python -m assistant.cli``, or typer's CliRunner in tests)."""

    def invoke(self, ctx):
        import os

        from .errors import AssistantError

        try:
            return super().invoke(ctx)
        except AssistantError as err:
            echo_err(f"error: {err}")
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as err:  # a bug or an unforeseen failure: still one line (ASSISTANT_DEBUG=1 shows it all)
            if os.environ.get("ASSISTANT_DEBUG"):
                raise
            first = (str(err).strip().splitlines() or [""])[0][:300]
            echo_err(f"error: unexpected {type(err).__name__}: {first}; please report it (run with "
                     "ASSISTANT_DEBUG=1 for the traceback)")
            raise typer.Exit(1) from None


app = typer.Typer(help="Grounded, cited answers over news articles — offline by default, every citation checked.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode=None, cls=_Commands)

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Where the index lives [env ASSISTANT_DATA_DIR].",
                                                 show_default=False)]
Llm = Annotated[Optional[str], typer.Option("--llm", help="Generator: local, openai or extractive [env ASSISTANT_LLM].")]
Model = Annotated[Optional[str], typer.Option("--model", help="local: qwen2.5-coder-1.5b | qwen2.5-coder-0.5b; "
                                                             "openai: the served model id [env ASSISTANT_LLM_MODEL].")]
K = Annotated[Optional[int], typer.Option("--k", "-k", help="Exactly this many passages [default: at least 4, more "
                                                          "short ones within the context budget].", min=1, max=50)]
Source = Annotated[Optional[str], typer.Option("--source", help="Only passages from this source.")]
Since = Annotated[Optional[str], typer.Option("--since", help="Only articles published on or after YYYY-MM-DD.")]
Until = Annotated[Optional[str], typer.Option("--until", help="Only articles published on or before YYYY-MM-DD.")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def make_assistant(data_dir=None, llm=None, model=None, k=None):
    from .pipeline import Assistant
    from .retrieve import Budget

    return Assistant(data_dir=data_dir, llm=llm, llm_model=model, **Budget.exactly(k))


def echo_err(message: str) -> None:
    from .sanitize import for_terminal

    typer.echo(for_terminal(message), err=True)


def echo(text: str, nl: bool = True) -> None:
    """Print text that may hold article text (titles, passages, answers quoting them): without escape sequences."""
    from .sanitize import for_terminal

    typer.echo(for_terminal(text), nl=nl)


def echo_json(text: str) -> None:
    from .sanitize import for_json_output

    typer.echo(for_json_output(text))


@app.command()
def ingest(paths: Annotated[list[Path], typer.Argument(help="Files or directories (.txt .md .html .json .jsonl).")],
           data_dir: DataDir = None, as_json: Json = False):
    """Index articles. Re-ingesting unchanged files changes nothing; a changed file replaces its old chunks."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    a = make_assistant(data_dir)
    with Progress(TextColumn("embedding"), BarColumn(), TextColumn("{task.completed}/{task.total} docs"),
                  TimeRemainingColumn(), transient=True, console=_stderr_console(),
                  disable=as_json or not sys.stderr.isatty()) as bar:
        task = bar.add_task("embed", total=None)
        report = a.ingest(paths, progress=lambda done, total: bar.update(task, completed=done, total=total))
    for error in report.errors:
        echo_err(f"error: {error}")
    for note in report.skipped:
        echo_err(f"skipped: {note}")
    if as_json:
        echo_json(json.dumps({k: getattr(report, k) for k in
                              ("added", "updated", "unchanged", "removed", "chunks", "files", "errors", "seconds",
                               "repaired", "skipped")}))
    else:
        if report.repaired:
            echo(f"repaired {len(report.repaired)} document(s) an earlier ingest left incomplete: "
                 f"{', '.join(report.repaired[:5])}{' …' if len(report.repaired) > 5 else ''}")
        echo(f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
                   f"{len(report.removed)} replaced; {report.chunks} chunks embedded from {report.files} files "
                   f"in {report.seconds:.1f}s → {a.store.location}")
    if report.errors:
        raise typer.Exit(1)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


@app.command()
def ask(question: Annotated[str, typer.Argument(help="The question.")], data_dir: DataDir = None, k: K = None,
        source: Source = None, since: Since = None, until: Until = None, llm: Llm = None, model: Model = None,
        as_json: Json = False,
        stream: Annotated[bool, typer.Option("--stream", help="Print tokens as they come, sources after.")] = False,
        explain: Annotated[bool, typer.Option("--explain", help="Show how each sentence was checked: which check "
                                                               "failed, which citations moved.")] = False):
    """Answer a question from the indexed articles, citing passages as [n]; every citation is checked."""
    from .present import answer_json, answer_text, explain_text, sources_text
    from .retrieve import Filters
    from .types import Answer

    a = make_assistant(data_dir, llm, model, k)
    filters = Filters(source=source, since=since, until=until)
    if stream and not as_json:
        streamed = []
        for item in a.ask_stream(question, k, filters):
            if isinstance(item, Answer):
                final = item
            else:
                streamed.append(item)
                echo(item, nl=False)
        typer.echo()
        if final.answer.strip() != "".join(streamed).strip() and not final.refused:
            echo(f"\nChecked answer (citations verified): {final.answer}")
        echo(sources_text(final))
        if explain:
            echo(explain_text(final))
        return
    answer = a.ask(question, k, filters)
    if as_json:
        echo_json(answer_json(answer))
    else:
        echo(answer_text(answer) + (explain_text(answer) if explain else ""))


@app.command()
def chat(data_dir: DataDir = None, k: K = None, source: Source = None, since: Since = None, until: Until = None,
         llm: Llm = None, model: Model = None):
    """Interactive questions; follow-ups use the conversation. Empty line or Ctrl-D quits."""
    from .present import sources_text
    from .retrieve import Filters
    from .types import Answer

    a = make_assistant(data_dir, llm, model, k)
    filters = Filters(source=source, since=since, until=until)
    history: list[tuple[str, str]] = []
    typer.echo("Ask about the indexed articles. Empty line to quit.")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question or question in {"exit", "quit", ":q"}:
            break
        try:
            final = None
            for item in a.ask_stream(question, k, filters, history=history[-3:]):
                if isinstance(item, Answer):
                    final = item
                else:
                    echo(item, nl=False)
            typer.echo()
            echo(sources_text(final))
            history.append((question, final.answer))
        except _errors().AssistantError as err:
            echo_err(f"error: {err}")


def _errors():
    from . import errors

    return errors


@app.command()
def sources(data_dir: DataDir = None, as_json: Json = False):
    """List what is indexed: document id, title, source, date, chunks."""
    from .present import sources_table

    rows = make_assistant(data_dir).sources()
    if as_json:
        echo_json(json.dumps(rows, ensure_ascii=False))
    else:
        echo(sources_table(rows))


@app.command()
def remove(doc_id: Annotated[str, typer.Argument(help="A document id from `assistant sources`.")],
           data_dir: DataDir = None):
    """Drop one document and its chunks."""
    n = make_assistant(data_dir).remove(doc_id)
    echo(f"removed {doc_id} ({n} chunks)")


@app.command()
def info(data_dir: DataDir = None, as_json: Json = False):
    """Show the data dir, store, models and counts."""
    details = make_assistant(data_dir).info()
    if as_json:
        typer.echo(json.dumps(details))
    else:
        for key, value in details.items():
            echo(f"{key:>16}: {value}")


def parse_gates(flag: str, given: list[str] | None) -> dict[str, float]:
    from .errors import AssistantError

    gates: dict[str, float] = {}
    for gate in given or []:
        name, _, value = gate.partition("=")
        try:
            gates[name.strip()] = float(value)
        except ValueError:
            raise AssistantError(f"{flag} '{gate}' is not METRIC=NUMBER (e.g. answer_accuracy=0.8)") from None
    return gates


@app.command("eval")
def eval_(questions: Annotated[Path, typer.Argument(help="Question file (.jsonl): {id, question, answers, ...}.")],
          corpus: Annotated[Optional[list[Path]], typer.Option("--corpus", help="Files/dirs to index once for all "
                                                               "questions (anything `ingest` accepts).")] = None,
          out: Annotated[Optional[Path], typer.Option("--out", help="Run folder [runs/<questions>-<mode>]; re-running "
                                                      "with the same folder resumes.")] = None,
          mode: Annotated[Optional[str], typer.Option("--mode", help="Per-question passages (RGB): noise, rejection "
                                                      "or counterfactual.")] = None,
          limit: Annotated[Optional[int], typer.Option("--limit", help="Only the first N questions.", min=1)] = None,
          sample: Annotated[Optional[int], typer.Option("--sample", help="N evenly spaced questions (after --limit).",
                                                        min=1)] = None,
          judge: Annotated[str, typer.Option("--judge", help="Support judge: heuristic (offline verifier) or llm.")]
          = "heuristic",
          compare: Annotated[Optional[Path], typer.Option("--compare", help="A previous run folder: show deltas.")]
          = None,
          fail_under: Annotated[Optional[list[str]], typer.Option("--fail-under", help="METRIC=VALUE: exit 1 when "
                                                                  "the metric is below VALUE (repeatable).")] = None,
          fail_over: Annotated[Optional[list[str]], typer.Option("--fail-over", help="METRIC=VALUE: exit 1 when "
                                                                 "the metric is above VALUE, for lower-is-better "
                                                                 "ones such as false_refusal_rate or latency_ms_p50 "
                                                                 "(repeatable).")] = None,
          judge_pairs: Annotated[Optional[int], typer.Option("--judge-pairs", help="Measure the judge on at most N "
                                                             "labelled pairs [all; 60 with --judge llm].", min=1)]
          = None,
          data_dir: DataDir = None, k: K = None, llm: Llm = None, model: Model = None, as_json: Json = False):
    """Score answers, citations, refusals and retrieval on a question set; writes summary.json, results.jsonl,
    report.md and report.png. Never touches your own index."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .eval import EvalConfig, run_eval
    from .eval.metrics import METRICS, format_value

    out = out or Path("runs") / f"{questions.stem}-{mode or ('corpus' if corpus else 'noise')}"
    cfg = EvalConfig(questions=questions, out=out, corpus=list(corpus or []), mode=mode, limit=limit, sample=sample,
                     judge=judge, compare=compare, fail_under=parse_gates("--fail-under", fail_under),
                     fail_over=parse_gates("--fail-over", fail_over), judge_pairs=judge_pairs)
    a = make_assistant(data_dir, llm, model, k)
    with Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=_stderr_console(), transient=True, disable=as_json) as bar:
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
def serve(host: Annotated[str, typer.Option("--host", help="Address to bind; anything but loopback needs an API key "
                                            "to be safe.")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
          api_key: Annotated[Optional[str], typer.Option("--api-key", envvar="ASSISTANT_API_KEY", show_default=False,
                                                         help="Require Authorization: Bearer KEY on every route but "
                                                              "/healthz [env ASSISTANT_API_KEY].")] = None,
          queue_timeout: Annotated[float, typer.Option("--queue-timeout", help="Seconds a request may wait for the "
                                                       "model before it gets 503 + Retry-After.", min=0.1)] = 120.0,
          max_body_mb: Annotated[float, typer.Option("--max-body-mb", help="Largest request body (413 above).",
                                                     min=0.001)] = 16.0,
          max_question_chars: Annotated[int, typer.Option("--max-question-chars", help="Longest question (422 above).",
                                                          min=1)] = 2000,
          data_dir: DataDir = None, llm: Llm = None, model: Model = None):
    """Serve an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/ask, /v1/search, /v1/ingest, ...)."""
    from .server import ServerConfig, serve as run

    a = make_assistant(data_dir, llm, model)
    if host not in ("127.0.0.1", "localhost", "::1") and not api_key:
        echo_err(f"warning: serving on {host} without an API key: anyone who can reach it can read and change the "
                 "index; set --api-key or ASSISTANT_API_KEY")
    echo_err(f"assistant serve: http://{host}:{port}/v1 (llm {a.settings.llm}, data {a.settings.data_dir}, "
             f"{'API key required' if api_key else 'no API key'}); loading models...")
    run(a, host, port, ServerConfig(api_key=api_key or "", queue_timeout=queue_timeout,
                                    max_body_bytes=int(max_body_mb * 1024 * 1024),
                                    max_question_chars=max_question_chars))


@app.command()
def mcp(data_dir: DataDir = None, llm: Llm = None, model: Model = None):
    """Serve the Model Context Protocol on stdio (tools ask, search, list_sources, ingest; documents as resources)."""
    from .mcp_server import run

    run(make_assistant(data_dir, llm, model))


def main() -> None:
    from .errors import AssistantError

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
