"""Batched upsert of JSON rows: ``INSERT … VALUES (…), (…) ON CONFLICT (id) DO UPDATE`` (or a plain INSERT for
rows the caller knows to be new, e.g. chunks of a file that were not stored before).

Rows are sent ``batch_size`` per statement (one engine WriteBatch and one embedding call per statement).
Within a batch, rows with the same set of columns share a statement; the SQL text of a full batch repeats,
so the engine's statement cache applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from remwire.cli_commands.client import Client, Result
from remwire.cli_commands.common import ident, table_ident

MAX_PARAMS = 65535  # the protocol's limit on parameters per statement


def upsert_sql(table: str, columns: Sequence[str], nrows: int, returning: str | None = None,
               upsert: bool = True) -> str:
    """The upsert statement for ``nrows`` rows of ``columns`` (a plain INSERT when ``upsert`` is false)."""
    k = len(columns)
    values = ", ".join(
        "(" + ", ".join(f"${r * k + c + 1}" for c in range(k)) + ")" for r in range(nrows)
    )
    updates = [f"{ident(c)} = excluded.{ident(c)}" for c in columns if c != "id"]
    action = "DO UPDATE SET " + ", ".join(updates) if updates else "DO NOTHING"
    sql = f"INSERT INTO {table_ident(table)} ({', '.join(ident(c) for c in columns)}) VALUES {values}"
    if upsert:
        sql += f" ON CONFLICT (id) {action}"
    return sql + (f" RETURNING {returning}" if returning else "")


class Upserter:
    """Collects rows and writes them in batches; ``written`` counts rows the database acknowledged."""

    def __init__(self, client: Client, table: str, batch_size: int, progress: Any = None, *,
                 upsert: bool = True) -> None:
        self.client, self.table, self.upsert = client, table, upsert
        self.batch_size = max(1, batch_size)
        self.progress = progress
        self.pending: list[dict[str, Any]] = []
        self.written = 0

    def add(self, row: dict[str, Any]) -> None:
        self.pending.append(row)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write every pending row (one statement per column set)."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in self.pending:
            groups.setdefault(tuple(row), []).append(row)
        self.pending = []
        for cols, rows in groups.items():
            step = max(1, MAX_PARAMS // max(1, len(cols)))
            for i in range(0, len(rows), step):
                part = rows[i:i + step]
                self.write(cols, part)

    def write(self, cols: Sequence[str], rows: Sequence[dict[str, Any]], returning: str | None = None) -> Result:
        params = [r[c] for r in rows for c in cols]
        result = self.client.run(upsert_sql(self.table, cols, len(rows), returning, self.upsert), params)
        self.written += len(rows)
        if self.progress is not None:
            self.progress.advance(len(rows))
        return result
