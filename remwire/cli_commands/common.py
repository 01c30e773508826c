"""Shared CLI plumbing: the connection options, error reporting without tracebacks, SQL quoting."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import click
import typer

from engine.errors import RemError
from remwire.cli_commands.client import Client, connect

PathOpt = Annotated[
    Path | None,
    typer.Option("--path", "--data", help="Data dir (default: $P8_DB_PATH, else $P8_HOME/db, else ~/.p8/db).",
                 show_default=False),
]
DsnOpt = Annotated[
    str | None,
    typer.Option("--dsn", help="Talk to this REM server (libpq DSN or URL; default $P8_DSN).", show_default=False),
]
FormatOpt = Annotated[
    Literal["table", "json", "jsonl", "csv"] | None,
    typer.Option("--format", "-f",
                 help="Output format (default: table on a terminal, json when piped).", show_default=False),
]

F = TypeVar("F", bound=Callable[..., Any])


class CliError(RemError):
    """A CLI-level failure that is not a SQL error (bad input line, unreadable argument …)."""

    sqlstate = "22023"


def report(e: RemError) -> None:
    """Print an error as psql does: ``ERROR:  message`` (+ DETAIL / HINT lines) on stderr."""
    sys.stderr.write(f"{e.severity or 'ERROR'}:  {e.message}\n")
    if e.detail:
        sys.stderr.write(f"DETAIL:  {e.detail}\n")
    if e.hint:
        sys.stderr.write(f"HINT:  {e.hint}\n")
    sys.stderr.flush()


def cli_errors(fn: F) -> F:
    """Turn every failure of a command into a one-line message and exit code 1 (never a traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise
        except RemError as e:
            report(e)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            sys.stderr.write("ERROR:  canceled by user\n")
            raise typer.Exit(130) from None
        except Exception as e:  # noqa: BLE001 - the CLI must never print a traceback
            report(RemError(f"internal error: {type(e).__name__}: {e}"))
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def database(path: Path | None, dsn: str | None) -> Iterator[Client]:
    """The client for the command's options, closed afterwards."""
    client = connect(path, dsn)
    try:
        yield client
    finally:
        client.close()


_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*")
_RESERVED = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast", "check",
    "collate", "column", "constraint", "create", "current_date", "current_role", "current_time",
    "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end",
    "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in", "initially",
    "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset",
    "on", "only", "or", "order", "placing", "primary", "references", "returning", "select", "session_user",
    "some", "symmetric", "table", "then", "to", "trailing", "true", "union", "unique", "user", "using",
    "variadic", "when", "where", "window", "with",
}


def ident(name: str) -> str:
    """``name`` as an SQL identifier: bare when it is a plain lower-case word, else double-quoted.

    >>> ident("content"), ident("Title"), ident("user")
    ('content', '"Title"', '"user"')
    """
    if _PLAIN.fullmatch(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def table_ident(name: str) -> str:
    """A table name as typed by the user: SQL's rules (unquoted → folded to lower case), quoted if needed."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name) and name.lower() not in _RESERVED:
        return name
    if "." in name and all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", p) for p in name.split(".")):
        return name
    return '"' + name.replace('"', '""') + '"'


def literal(s: str) -> str:
    """``s`` as an SQL string literal (standard_conforming_strings on).

    >>> literal("it's")
    "'it''s'"
    """
    return "'" + s.replace("'", "''") + "'"
