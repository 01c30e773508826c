"""Print results: a table on a terminal (rich), JSON / JSON Lines / CSV for scripts.

The default format is ``table`` when stdout is a terminal and ``json`` otherwise. JSON output is an array of
objects (one per row); JSON values keep their structure, uuids and timestamps become strings.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import Any

from engine.coreschemas import jsonable
from engine.types import element_of

FORMATS = ("table", "json", "jsonl", "csv")
_HIDDEN = {"embedding", "embedding_alt"}  # vectors are noise in a terminal or a JSON dump


def resolve_format(fmt: str | None) -> str:
    """The format to use: the one asked for, else table on a terminal and JSON when piped."""
    if fmt:
        return fmt
    return "table" if sys.stdout.isatty() else "json"


def _text(v: Any, oid: int, *, human: bool = False) -> str:
    if v is None:
        return ""
    if human and isinstance(v, list) and not any(isinstance(x, dict | list) for x in v):
        return ", ".join("" if x is None else str(jsonable(x)) for x in v)
    if isinstance(v, dict | list) and not (isinstance(v, list) and element_of(oid)):
        return json.dumps(jsonable(v), ensure_ascii=False)
    try:
        from engine.textio import format_text

        return format_text(oid, v) if oid else str(jsonable(v))
    except Exception:  # noqa: BLE001 - display only: fall back to the plain form
        return str(jsonable(v))


def emit(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str | None = None,
         type_oids: Sequence[int] = (), *, title: str | None = None) -> None:
    """Print ``rows`` (tuples in ``columns`` order) in ``fmt``."""
    fmt = resolve_format(fmt)
    keep = [i for i, c in enumerate(columns) if c not in _HIDDEN] if len(columns) > 1 else list(range(len(columns)))
    cols = [columns[i] for i in keep]
    oids = [type_oids[i] if i < len(type_oids) else 0 for i in keep]
    out = sys.stdout
    if fmt == "json":
        data = [{c: jsonable(r[i]) for c, i in zip(cols, keep, strict=True)} for r in rows]
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "jsonl":
        for r in rows:
            out.write(json.dumps({c: jsonable(r[i]) for c, i in zip(cols, keep, strict=True)}, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([_text(r[i], o) for i, o in zip(keep, oids, strict=True)])
    else:
        _table(cols, [[_text(r[i], o, human=True) for i, o in zip(keep, oids, strict=True)] for r in rows], title)
    out.flush()


def _table(cols: list[str], rows: list[list[str]], title: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for c in cols:
        table.add_column(c, overflow="fold", max_width=80)
    for r in rows:
        table.add_row(*[v if len(v) <= 300 else v[:297] + "..." for v in r])
    console = Console()
    console.print(table)
    console.print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", style="dim")


def emit_document(doc: Any, fmt: str | None = None) -> None:
    """Print one JSON document (YAML with ``fmt='yaml'``), e.g. a schema."""
    if fmt == "yaml":
        import yaml

        sys.stdout.write(yaml.safe_dump(jsonable(doc), sort_keys=False, allow_unicode=True))
    else:
        sys.stdout.write(json.dumps(jsonable(doc), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def message(text: str) -> None:
    """A human note on stderr (never mixed into machine-readable stdout)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
