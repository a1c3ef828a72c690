"""`assistant eval`: a question set scored against its answers (the harness is ``assistant.eval``)."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..terminal import echo_err
from .app import app
from .options import K, DataDir, Json, Llm, Model, examples, make_assistant, stderr_console


def parse_gates(flag: str, given: list[str] | None) -> dict[str, float]:
    from ...errors import AssistantError

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
    epilog=examples(
        "assistant eval evals/seed.jsonl --corpus seeds/ --out runs/seed",
        "assistant eval ../shared/datasets/rgb_en_fact/questions.dev.jsonl --mode rejection --limit 50",
        "assistant eval QUESTIONS.jsonl --corpus CORPUS --judge llm --compare runs/previous",
        "assistant eval evals/seed.jsonl --corpus seeds/ --fail-under answer_accuracy=0.7 "
        "--fail-over false_refusal_rate=0.05",
        "assistant eval evals/seed.jsonl --corpus seeds/ --folds evals/folds/seed.json --compare runs/before",
        "assistant eval --answers ragas.jsonl --out runs/theirs",
        "assistant eval evals/seed.jsonl --answers theirs.jsonl --compare runs/seed",
        "assistant eval evals/seed.jsonl --corpus seeds/ --query-engine my_rag.py:make_engine --compare runs/seed",
    ),
)
def eval_(
    questions: Annotated[
        Optional[Path],
        typer.Argument(help="Question file (.jsonl): {id, question, answers, ...}; optional with --answers."),
    ] = None,
    answers: Annotated[
        Optional[Path],
        typer.Option(
            "--answers",
            help="Score these answers, made by any system, instead of running the pipeline: .jsonl, one "
            "{user_input, response, retrieved_contexts, reference} (RAGAS) or {id, question, answer, contexts, gold} "
            "a line; the gold comes from QUESTIONS when given.",
        ),
    ] = None,
    query_engine: Annotated[
        Optional[str],
        typer.Option(
            "--query-engine",
            help="Run a llama-index query engine instead of this pipeline: module:factory or file.py:factory; "
            "factory(documents) gets the corpus as llama-index Documents and returns the engine.",
        ),
    ] = None,
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
    folds: Annotated[
        Optional[Path],
        typer.Option("--folds", help="Fold file (evals/folds/*.json): every metric in fold (seen) and held out."),
    ] = None,
    seen: Annotated[
        Optional[str], typer.Option("--seen", help="The seen folds, e.g. 0,1 [the fold file's].", show_default=False)
    ] = None,
    only_folds: Annotated[
        Optional[str], typer.Option("--only-folds", help="Run only these folds, e.g. 2-4.", show_default=False)
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

    from ...eval import EvalConfig, run_eval
    from ...eval.answers import run_answers
    from ...eval.engines import run_engine
    from ...eval.compare import console_lines as compare_lines
    from ...eval.folds import console_lines, parse_fold_list
    from ...eval.metrics import METRICS, format_value

    from ...errors import AssistantError

    mode_name = mode.value if mode else None
    judge_name = judge.value
    if questions is None and answers is None:
        raise AssistantError("give a question set (QUESTIONS.jsonl), or --answers FILE to score answers already made")
    if answers is not None and query_engine is not None:
        raise AssistantError("--answers scores answers already made; --query-engine makes them: give one")
    if answers is not None:
        out = out or Path("runs") / f"{answers.stem}-answers"
    elif query_engine is not None:
        assert questions is not None
        out = out or Path("runs") / f"{questions.stem}-{query_engine.rpartition(':')[2]}"
    else:
        assert questions is not None
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
        folds=folds,
        seen=parse_fold_list(seen, "--seen"),
        only_folds=parse_fold_list(only_folds, "--only-folds"),
        answers=answers,
        engine=query_engine,
    )
    a = make_assistant(data_dir, llm, model, k)
    with Progress(
        TextColumn("eval"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr_console(),
        transient=True,
        disable=as_json,
    ) as bar:
        task = bar.add_task("eval", total=None)
        runner = run_answers if answers is not None else run_engine if query_engine is not None else run_eval
        result = runner(a, cfg, progress=lambda done, total: bar.update(task, completed=done, total=total))
    summary = result.summary
    block = summary.get("compare")
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(f"{summary['n']} questions → {out}/report.md")
        deltas = block["deltas"] if block else {}
        for m in METRICS:
            if m.name in summary:
                delta = f"  ({deltas[m.name]:+.3f})" if m.name in deltas else ""
                typer.echo(f"{m.name:>20}: {format_value(summary[m.name])}{delta}")
        for name, why in (summary.get("left_out") or {}).items():
            typer.echo(f"{name:>20}: – ({why})")
        for line in console_lines(summary):
            typer.echo(line)
    for line in compare_lines(block):
        echo_err(line)
    for line in result.failed_gates:
        echo_err(f"gate failed: {line}")
    if result.failed_gates:
        raise typer.Exit(1)
