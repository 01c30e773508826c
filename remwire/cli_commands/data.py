"""``rem init | insert | get | lookup | query | search | traverse``: each one SQL (or REM dialect) statement."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any, Literal

import typer

from engine.errors import InvalidParameterValue, RemError, UndefinedObject, error
from engine.settings import Settings
from remwire.cli_commands.client import Result
from remwire.cli_commands.common import (
    CliError,
    DsnOpt,
    FormatOpt,
    PathOpt,
    cli_errors,
    database,
    literal,
    table_ident,
)
from remwire.cli_commands.output import emit, message
from remwire.cli_commands.progress import Progress
from remwire.cli_commands.upsert import Upserter


def show(result: Result, fmt: str | None) -> None:
    """Print a statement's rows, or its command tag when it returns none."""
    if result.has_rows:
        emit(result.columns, result.rows, fmt, result.type_oids)
    else:
        emit(["command"], [(result.tag,)], fmt)


@cli_errors
def init(path: PathOpt = None, dsn: DsnOpt = None, fmt: FormatOpt = None) -> None:
    """Create the store (if needed) and register the core schemas. Idempotent.

    Example: rem init --path ./data
    """
    if path is not None:
        path.expanduser().mkdir(parents=True, exist_ok=True)
    with database(path, dsn) as db:
        show(db.run("SELECT name, version, status FROM rem_init()"), fmt)
        message(f"REM store ready ({db.where})")


def _parse_object(text: str, where: str) -> dict[str, Any] | list[Any]:
    try:
        value = json.loads(text)
    except ValueError as e:
        raise error("22P02", f"{where}: invalid JSON ({e})") from None
    if not isinstance(value, dict | list) or (isinstance(value, list) and not all(isinstance(v, dict) for v in value)):
        raise error("22P02", f"{where}: expected a JSON object (or an array of objects)")
    return value


@cli_errors
def insert(
    table: Annotated[str, typer.Argument(help="Table to write into.")],
    data: Annotated[str | None, typer.Argument(help="A JSON object (or array of objects).", show_default=False)] = None,
    batch: Annotated[bool, typer.Option("--batch", help="Read JSON Lines from stdin, one object per line.")] = False,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Rows per statement (default $P8_BATCH_SIZE).",
                                                   show_default=False)] = None,
    path: PathOpt = None, dsn: DsnOpt = None, fmt: FormatOpt = None,
) -> None:
    """Upsert rows (INSERT … ON CONFLICT DO UPDATE): same key → same row.

    Examples: rem insert articles '{"title": "Hello", "content": "..."}';
    cat articles.jsonl | rem insert articles --batch
    """
    if batch == (data is not None):
        raise CliError("give either a JSON argument or --batch (JSON Lines on stdin)")
    size = batch_size or Settings.from_env().batch_size
    if not batch:
        value = _parse_object(data or "", "argument")
        rows = value if isinstance(value, list) else [value]
        if not rows or not all(rows):
            raise error("22P02", "argument: expected a non-empty JSON object")
    with database(path, dsn) as db:
        if not batch:
            up = Upserter(db, table, size)
            ids: list[tuple[Any, ...]] = []
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for r in rows:
                groups.setdefault(tuple(r), []).append(r)
            for cols, part in groups.items():
                ids.extend(up.write(cols, part, returning="id").rows)
            emit(["id"], ids, fmt)
            return
        _insert_batch(db, table, size, fmt)


class _BadLine(RemError):
    """A JSONL line that is not a JSON object (22P02); the rows before it are already written."""

    sqlstate = "22P02"


def _rows(n: int) -> str:
    return "1 row" if n == 1 else f"{n} rows"


def _insert_batch(db: Any, table: str, size: int, fmt: str | None) -> None:
    with Progress(f"insert {table}") as bar:
        up = Upserter(db, table, size, bar)
        first_line = 0
        try:
            for lineno, line in enumerate(sys.stdin, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as e:
                    problem = f"invalid JSON ({e})"
                else:
                    if isinstance(row, dict) and row:
                        if not up.pending:
                            first_line = lineno
                        up.add(row)
                        continue
                    problem = "expected a non-empty JSON object"
                up.flush()
                raise _BadLine(f"line {lineno}: {problem}; {_rows(up.written)} before it were written")
            up.flush()
        except _BadLine:
            raise
        except RemError as e:
            raise error(e.sqlstate, f"{e.message} (in the batch starting at line {first_line}); "
                        f"{_rows(up.written)} before it were written", hint=e.hint) from None
    emit(["table", "written"], [(table, up.written)], fmt)


@cli_errors
def get(
    ident: Annotated[str, typer.Argument(metavar="ID", help="Entity id (uuid).")],
    path: PathOpt = None, dsn: DsnOpt = None, fmt: FormatOpt = None,
) -> None:
    """Get an entity by id, whatever its table.

    Example: rem get 550e8400-e29b-41d4-a716-446655440000
    """
    with database(path, dsn) as db:
        r = db.run("SELECT id, entity_type, data FROM rem_get($1)", [ident])
        if not r.rows:
            raise UndefinedObject(f'no entity with id "{ident}"')
        show(r, fmt)


@cli_errors
def lookup(
    keys: Annotated[list[str], typer.Argument(metavar="KEY...", help="Keys (uri, key field, key or name).")],
    path: PathOpt = None, dsn: DsnOpt = None, fmt: FormatOpt = None,
) -> None:
    """Find entities by key across every table (rem_lookup, the function form of LOOKUP; no scan).

    Example: rem lookup "Python Guide" file:///docs/guide.md
    """
    with database(path, dsn) as db:
        show(db.run("SELECT * FROM rem_lookup(" + ", ".join(literal(k) for k in keys) + ")"), fmt)


@cli_errors
def query(
    sql: Annotated[str, typer.Argument(metavar="SQL", help="SQL or REM dialect (LOOKUP/SEARCH/TRAVERSE/FUZZY).")],
    path: PathOpt = None, dsn: DsnOpt = None, fmt: FormatOpt = None,
) -> None:
    """Run SQL or a REM dialect statement; prints the last statement's result.

    Examples: rem query "SELECT * FROM articles WHERE category = 'tutorial'";
    rem query "SEARCH 'vector databases' IN resources LIMIT 3"
    """
    with database(path, dsn) as db:
        results = db.run_script(sql)
        if not results:
            raise InvalidParameterValue("empty query")
        show(results[-1], fmt)


@cli_errors
def search(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="What to look for, in plain language.")],
    schema: Annotated[str, typer.Option("--schema", "-s", help="Table to search.")] = "resources",
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, help="Number of results.")] = 10,
    path: PathOpt = None, dsn: DsnOpt = None, fmt: FormatOpt = None,
) -> None:
    """Semantic search over a table's embedding fields (SEARCH … IN … LIMIT k).

    Example: rem search "async programming" --schema articles --top-k 5
    """
    with database(path, dsn) as db:
        show(db.run(f"SEARCH {literal(text)} IN {table_ident(schema)} LIMIT {int(top_k)}"), fmt)


@cli_errors
def traverse(
    start: Annotated[str, typer.Argument(metavar="ID_OR_KEY", help="Start entity (uuid or key).")],
    depth: Annotated[int, typer.Option("--depth", "-d", min=1, help="Hops to follow.")] = 1,
    direction: Annotated[Literal["out", "in", "both"], typer.Option("--direction", help="Edge direction.")] = "out",
    rel_type: Annotated[list[str] | None, typer.Option("--type", "-t", help="Only these relation types (repeat).",
                                                       show_default=False)] = None,
    path: PathOpt = None, dsn: DsnOpt = None, fmt: FormatOpt = None,
) -> None:
    """Walk the graph breadth-first from an entity (rem_traverse, the function form of TRAVERSE).

    Example: rem traverse "Alice" --depth 2 --direction out --type knows
    """
    types = "ARRAY[" + ", ".join(literal(t) for t in rel_type) + "]" if rel_type else "NULL"
    sql = f"SELECT * FROM rem_traverse({literal(start)}, {int(depth)}, {literal(direction)}, {types})"
    with database(path, dsn) as db:
        show(db.run(sql), fmt)


def register(app: typer.Typer) -> None:
    """Add the data commands to ``app``."""
    for fn in (init, insert, get, lookup, query, search, traverse):
        app.command(fn.__name__)(fn)

