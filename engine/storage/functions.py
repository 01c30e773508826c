"""SQL functions of the storage engine: ``rem_vacuum(table)`` purges soft-deleted rows."""

from __future__ import annotations

from typing import Any

from engine import errors as E
from engine import types as T
from engine.functions import function


@function("rem_vacuum", T.INT8, arg_oids=(T.TEXT,), needs_ctx=True, volatile=True,
          description="Physically remove the soft-deleted rows of a table; returns how many")
def rem_vacuum(ctx: Any, table: str) -> int:
    """``SELECT rem_vacuum('t')``: purge rows whose deleted_at is set (and their embeddings)."""
    schema, _, name = table.rpartition(".")
    t = ctx.db.registry.get(name.strip('"'), (schema or "public").strip('"'))
    if t is None:
        raise E.UndefinedTable(f'relation "{table}" does not exist')
    return int(ctx.db.store.vacuum(t))
