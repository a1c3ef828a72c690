"""Feeds and pages: `assistant watch FEED... --every 10m` and `assistant ingest URL...` (the command-line side of
``assistant.live``).

Each round prints one error line per URL or item that failed (stderr) and one status line (stdout); Ctrl-C stops
after the URL being fetched (what was read is written), a second Ctrl-C at once.
"""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..terminal import echo, echo_err, echo_json
from .app import app
from .options import DataDir, Json, examples, make_assistant

INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h)?\s*$", re.I)
UNIT = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
MIN_INTERVAL = 1.0


def parse_interval(text: str) -> float:
    """'10m' → 600.0; '30s', '1h', '90' (seconds) too; at least a second."""
    from ...errors import AssistantError

    m = INTERVAL.match(text)
    if not m:
        raise AssistantError(f"--every '{text}' is not a duration; write it as 30s, 10m or 1h")
    seconds = float(m[1]) * UNIT[(m[2] or "s").lower()]
    if seconds < MIN_INTERVAL:
        raise AssistantError(f"--every '{text}' is under a second; poll at most once a second")
    return seconds


def check_urls(urls: list[str]) -> list[str]:
    from ...errors import AssistantError
    from ...ingest.feeds import require_extra
    from ...ingest.fetch import check_url, is_url

    for url in urls:
        if not is_url(url):
            raise AssistantError(f"'{url}' is not an http:// or https:// URL; watch follows feeds by their URL")
        check_url(url)
    require_extra()
    return list(dict.fromkeys(urls))


def ingest_urls_command(args: list[str], data_dir: Optional[Path], as_json: bool) -> None:
    """`assistant ingest URL...`: each URL fetched whole (no conditional request), read, and indexed."""
    from ...errors import AssistantError
    from ...ingest.fetch import is_url
    from ...live import ingest_urls

    others = [a for a in args if not is_url(a)]
    if others:
        raise AssistantError(
            f"'{others[0]}' is not a URL: give URLs and files (or -) in separate `assistant ingest` calls"
        )
    urls = check_urls(args)
    a = make_assistant(data_dir)
    say = (lambda url: echo_err(f"fetching {url}")) if sys.stderr.isatty() and not as_json else None
    report = ingest_urls(a, urls, progress=say)
    for line in report.errors:
        echo_err(f"error: {line}")
    if as_json:
        echo_json(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        for r in report.urls:
            if r.kind in ("feed", "page"):
                echo(f"{r.url}: {r.kind} '{r.title}', {r.items} article{'s' if r.items != 1 else ''} read")
        done = [r for r in report.urls if r.kind != "failed"]
        echo(
            f"{report.total('added')} added, {report.total('updated')} updated, {report.total('unchanged')} "
            f"unchanged; {report.chunks} chunks embedded from {len(done)} of {len(report.urls)} URLs in "
            f"{report.seconds:.1f}s → {a.store.location}"
        )
    if report.errors:
        raise typer.Exit(1)


@app.command(epilog=examples("assistant watch https://example.org/rss.xml --every 10m", "assistant watch FEED --once"))
def watch(
    feeds: Annotated[list[str], typer.Argument(help="Feed (or article page) URLs, http:// or https://.")],
    every: Annotated[str, typer.Option("--every", help="Time between rounds: 30s, 10m, 1h.")] = "10m",
    once: Annotated[bool, typer.Option("--once", help="One round, then exit (1 if any URL failed).")] = False,
    data_dir: DataDir = None,
    as_json: Json = False,
):
    """Keep feeds indexed: each round fetches every URL (conditionally: ETag / Last-Modified) and embeds only new or
    changed items. One line per failing URL, one status line per round; Ctrl-C stops."""
    from ...ingest.fetch import Fetcher
    from ...live import FeedStates, ingest_urls

    urls = check_urls(feeds)
    interval = parse_interval(every)
    a = make_assistant(data_dir)
    states = FeedStates(a.settings.data_dir)
    stop = threading.Event()

    def on_interrupt(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        echo_err("stopping after the current URL (Ctrl-C again to stop now)")

    main_thread = threading.current_thread() is threading.main_thread()  # only there can a handler be set
    previous = signal.signal(signal.SIGINT, on_interrupt) if main_thread else None
    rounds = 0
    failed = False
    try:
        with Fetcher.from_settings(a.settings) as fetcher:
            if not once:
                echo_err(f"watching {len(urls)} URL{'s' if len(urls) != 1 else ''} every {every}; Ctrl-C stops")
            while not stop.is_set():
                rounds += 1
                report = ingest_urls(
                    a, urls, fetcher=fetcher, states=states, conditional=True, round_no=rounds, stop=stop.is_set
                )
                for line in report.errors:
                    echo_err(f"error: {line}")
                if as_json:
                    echo_json(json.dumps(report.to_json(), ensure_ascii=False))
                else:
                    echo(report.status_line())
                failed = bool(report.errors)
                if once:
                    break
                end = time.monotonic() + interval
                while not stop.is_set() and time.monotonic() < end:
                    stop.wait(min(0.25, end - time.monotonic()))
    except KeyboardInterrupt:
        echo_err(f"watch stopped (interrupted) after {rounds} round{'s' if rounds != 1 else ''}")
        raise typer.Exit(130) from None
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
    if stop.is_set():
        echo_err(f"watch stopped after {rounds} round{'s' if rounds != 1 else ''}")
    if once and failed:
        raise typer.Exit(1)
