"""The ``netatlas`` command: a thin adapter over the library (no logic of its own).

Errors: every deliberate failure is a :class:`~netatlas.errors.NetatlasError`; the
CLI prints it as one ``error: …`` line and exits non-zero (1 for bad input, 2 for
usage). ``--debug`` re-raises to show the traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from netatlas._version import __version__

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Map every network, pool, interface and name on this machine, and explain them.",
    pretty_exceptions_enable=False,
)

_state = {"debug": False}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


class UsageFailure(Exception):
    """A user mistake the CLI reports with exit status 2."""


def _emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netatlas {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def parse(
    kind: Annotated[str, typer.Argument(help="Parser kind, or 'auto' to recognise the format.")],
    file: Annotated[str, typer.Argument(help="Input file, or '-' for standard input.")],
    as_json: JsonOpt = False,
) -> None:
    """Print the facts of one file (ipconfig, ip addr, hosts, route print ...)."""
    from netatlas.parsers import get_parser
    from netatlas.parsers import parse as run_parse

    if kind != "auto":
        get_parser(kind)  # unknown kind: exit 2 before reading anything
    if file == "-":
        data = sys.stdin.buffer.read()
        source = "<stdin>"
    else:
        path = Path(file)
        if not path.is_file():
            raise UsageFailure(f"{file}: no such file")
        data = path.read_bytes()
        source = file
    facts = run_parse(kind, data, source=source)
    if as_json:
        _emit_json(facts.to_dict())
        return
    from netatlas.render.facts_text import lines

    for line in lines(facts):
        typer.echo(line)


def _fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, turning our errors into one line."""
    from netatlas.errors import NetatlasError, UnknownKindError

    try:
        app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        _fail("aborted", 130)
    except Exception as exc:  # one line per failure; --debug shows the rest
        import click

        if _state["debug"]:
            raise
        if isinstance(exc, click.ClickException):
            exc.show()
            raise SystemExit(exc.exit_code) from None
        if isinstance(exc, (UnknownKindError, UsageFailure)):
            _fail(str(exc), 2)
        if isinstance(exc, NetatlasError):
            _fail(str(exc), 1)
        if isinstance(exc, OSError):
            _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "), 1)
        _fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", 70)


if __name__ == "__main__":  # pragma: no cover
    main()
