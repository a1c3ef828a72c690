"""What is indexed: `assistant ingest`, `sources`, `remove`, `info`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..terminal import echo, echo_err, echo_json
from .app import app
from .options import DataDir, Json, examples, make_assistant, stderr_console


@app.command(
    epilog=examples(
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

    from ...ingest.fetch import is_url

    if any(is_url(arg) for arg in args):  # feeds and pages: cli/feeds.py
        from .feeds import ingest_urls_command

        return ingest_urls_command(args, data_dir, as_json)
    paths = [Path(arg) for arg in args]
    a = make_assistant(data_dir)
    loader = a.loader()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("docs"),
        TimeRemainingColumn(),
        transient=True,
        console=stderr_console(),
        disable=as_json or not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("reading files", total=None)

        def progress(done, total):
            bar.update(task, description="embedding", completed=done, total=total)

        files = [p for p in paths if p != Path("-")]
        if files:
            loader.paths(files)
        if Path("-") in paths:  # JSONL records on stdin: the same rules as a file's records
            loader.stdin(sys.stdin.buffer.read())
        report = a.write(loader, progress=progress)
    for error in report.errors:
        echo_err(f"error: {error}")
    for note in report.skipped:
        echo_err(f"skipped: {note}")
    if as_json:
        echo_json(json.dumps(report.to_json()))
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


@app.command(epilog=examples("assistant sources", "assistant sources --json | jq '.[].title'"))
def sources(
    data_dir: DataDir = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON list: [{doc_id, title, source, published_at, url, path, chunks}]."),
    ] = False,
):
    """List what is indexed: document id, title, source, date, chunks."""
    from ..present import sources_table
    from ..terminal import waiting

    with waiting("reading the index"):
        rows = make_assistant(data_dir).sources()
    if as_json:
        echo_json(json.dumps(rows, ensure_ascii=False))
    else:
        echo(sources_table(rows))


@app.command(
    epilog=examples("assistant remove 602e25fabba7d252", "assistant remove --path seeds/", "assistant remove --all")
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
    from ...errors import AssistantError

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


@app.command(epilog=examples("assistant info", "assistant info --json"))
def info(data_dir: DataDir = None, as_json: Json = False):
    """Show the data dir, store, models and counts."""
    details = make_assistant(data_dir).info()
    if as_json:
        typer.echo(json.dumps(details))
    else:
        for key, value in details.items():
            echo(f"{key:>16}: {value}")
