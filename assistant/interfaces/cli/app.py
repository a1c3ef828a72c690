"""The typer app: every error, however the app is invoked, is one `error: ...` line on stderr and exit code 1."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from ..terminal import echo_err

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

        from ...errors import AssistantError

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


def _version(value: bool):
    if value:
        from ... import __version__

        typer.echo(f"assistant {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", help="Show the version and exit.", is_eager=True, callback=_version)
    ] = False,
):
    """Grounded, cited answers over news articles — offline by default, every citation checked."""


def main() -> None:
    from ...errors import AssistantError

    try:
        app()
    except AssistantError as err:
        echo_err(f"error: {err}")
        sys.exit(1)
    except KeyboardInterrupt:
        echo_err("interrupted")
        sys.exit(130)
