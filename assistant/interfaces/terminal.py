"""What a person at a terminal sees: text printed without escape sequences (``echo``), stage lines on stderr while an
answer is made (a transient spinner, only when stderr is a terminal), the streamed text, and then the checked answer
with what the check changed."""

from __future__ import annotations

import sys
import threading
from typing import Any

import typer

from ..text.sanitize import for_json_output, for_terminal
from ..types import Answer


def echo(text: str, nl: bool = True) -> None:
    """Print text that may hold article text (titles, passages, answers quoting them): without escape sequences."""
    typer.echo(for_terminal(text), nl=nl)


def echo_err(message: str) -> None:
    typer.echo(for_terminal(message), err=True)


def echo_json(text: str) -> None:
    typer.echo(for_json_output(text))


class Status:
    """Called with each stage ("retrieving", "generating", ...): shows it as a spinner on stderr when that is a
    terminal, and nothing otherwise (pipes and files get no control characters)."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._status: Any = None
        self.streaming = False  # text has gone to stdout on the current line: end it before drawing again

    def __call__(self, stage: str) -> None:
        if not self.enabled:
            return
        if self.streaming:
            sys.stdout.write("\n")
            sys.stdout.flush()
            self.streaming = False
        if self._status is None:
            from rich.console import Console

            self._status = Console(stderr=True).status(f"{stage}…", spinner="dots")
            self._status.start()
        else:
            self._status.update(f"{stage}…")

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def text(self, piece: str) -> None:
        """A piece of the streamed answer: the spinner gives way to it."""
        self.stop()
        sys.stdout.write(piece)
        sys.stdout.flush()
        self.streaming = True


class waiting:
    """``with waiting("searching"):`` — a spinner on stderr naming what a command waits for (loading the index or a
    model), shown only when stderr is a terminal and only once the wait has lasted ``after`` seconds (a quick command
    draws nothing); it is gone when the block ends, before the command prints its result."""

    def __init__(self, message: str, after: float = 0.3, enabled: bool | None = None):
        self.message, self.after = message, after
        self.status = Status(enabled)
        self._timer: threading.Timer | None = None

    def __enter__(self) -> waiting:
        if self.status.enabled:
            self._timer = threading.Timer(self.after, self.status, args=(self.message,))
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer.join()  # a spinner being drawn right now is drawn, then stopped
        self.status.stop()


def citation_changes(raw: str, answer: Answer) -> list[str]:
    """What the check changed between the model's text and the verified answer, one line each: a citation moved to the
    passage that holds the fact ("[3] → [1]"), a citation of a passage that does not exist dropped. Unsupported
    sentences are listed with the sources (present.sources_text)."""
    from ..text import cited_numbers, split_sentences, strip_citations

    if answer.refused:
        return []
    exists = {p.n for p in answer.passages}
    lines: list[str] = []
    raw_cites = {" ".join(strip_citations(s).split()): cited_numbers(s) for s in split_sentences(raw)}
    for sentence in split_sentences(answer.answer):
        key = " ".join(strip_citations(sentence).split())
        before = [n for n in raw_cites.get(key, []) if n in exists]
        after = cited_numbers(sentence)
        if key in raw_cites and before and sorted(set(before)) != sorted(set(after)):
            short = key if len(key) <= 60 else key[:57].rsplit(" ", 1)[0] + " …"
            lines.append(
                f"{''.join(f'[{n}]' for n in dict.fromkeys(before))} → "
                f"{''.join(f'[{n}]' for n in after)}: moved to the passage that holds “{short}”"
            )
    for n in sorted({n for nums in raw_cites.values() for n in nums} - exists):
        lines.append(f"[{n}] dropped: there is no passage [{n}]")
    return lines


def checked_ending(raw: str, answer: Answer) -> str:
    """After a streamed answer: the verified answer when the check changed it, with what changed; "" when the stream
    was the checked answer already."""
    said, checked = " ".join(raw.split()), " ".join(answer.answer.split())
    if said == checked:
        return ""
    if said and checked.startswith(said + " "):  # the stream stands; the steps only added sentences (its date)
        return checked[len(said) :].strip()
    lines = ["", f"Checked answer: {answer.answer}"]
    lines += [f"  {line}" for line in citation_changes(raw, answer)]
    return "\n".join(lines)


def show_answer(
    assistant,
    question: str,
    k,
    filters,
    *,
    stream: bool,
    as_json: bool,
    status: Status,
    history: list[tuple[str, str]] | None = None,
    explain: bool = False,
) -> Answer:
    """Answer and print: JSON; or the streamed text, then the checked answer (when the check changed anything) and
    the sources; or the checked answer and its sources. Returns the Answer."""
    from .present import answer_json, answer_text, explain_text, sources_text

    def more(a: Answer) -> str:
        return explain_text(a) if explain else ""

    try:
        if not stream or as_json:
            answer = assistant.ask(question, k, filters, history=history, status=status)
            status.stop()
            if as_json:
                echo_json(answer_json(answer))
            else:
                echo(answer_text(answer) + more(answer))
            return answer
        pieces: list[str] = []
        answer = None
        for item in assistant.ask_stream(question, k, filters, history=history, status=status):
            if isinstance(item, Answer):
                answer = item
            else:
                pieces.append(item)
                status.text(for_terminal(item))
    finally:
        status.stop()
    if status.streaming:
        echo("")
        status.streaming = False
    ending = checked_ending("".join(pieces), answer)
    if ending:
        echo(ending)
    echo(sources_text(answer) + more(answer))
    return answer


class line_editing:
    """readline editing and history for input() (arrow keys, Ctrl-R), kept in a file across sessions; nothing when
    stdin is not a terminal or the platform has no readline."""

    def __init__(self, history_file, length: int = 1000):
        self.path = history_file
        self.length = length
        self.readline = None

    def __enter__(self):
        if not sys.stdin.isatty():
            return self
        try:
            import readline
        except ImportError:
            return self
        self.readline = readline
        readline.set_history_length(self.length)
        try:
            readline.read_history_file(self.path)
        except OSError:  # no history yet
            pass
        return self

    def __exit__(self, *exc):
        if self.readline is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.readline.write_history_file(self.path)
            except OSError:
                pass
        return False
