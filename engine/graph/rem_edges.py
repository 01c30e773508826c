"""The read-only virtual table ``public.rem_edges(src, dst, rel_type, weight, properties, created_at)``.

Computed from the rows as the statement's transaction sees them (the entities' ``edges`` fields are the
source of truth): one row per edge whose source and target entities are both visible, so a recursive CTE
over it walks exactly the graph TRAVERSE walks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from engine import types as T
from engine.virtual import VirtualTable, register_virtual

COLUMNS: tuple[tuple[str, int], ...] = (
    ("src", T.UUID), ("dst", T.UUID), ("rel_type", T.TEXT), ("weight", T.FLOAT8), ("properties", T.JSONB),
    ("created_at", T.TIMESTAMPTZ),
)


def _uuid(v: Any) -> uuid.UUID | None:
    if isinstance(v, uuid.UUID):
        return v
    try:
        return uuid.UUID(str(v))
    except ValueError:
        return None


def rows(ctx: Any) -> Iterator[tuple[Any, ...]]:
    """Every edge between visible entities, in (table, row, declaration) order."""
    visible: set[uuid.UUID] = set()
    pending: list[tuple[Any, ...]] = []
    for t in ctx.db.registry.tables():
        if t.kind != "r":
            continue
        idc, ec = t.id_column, t.system_column("edges")
        for row in ctx.txn.scan(t):
            src = row.get(idc)
            visible.add(src)
            for e in row.get(ec) or ():
                if not isinstance(e, dict):
                    continue
                dst = _uuid(e.get("dst"))
                if dst is None:
                    continue
                w = e.get("weight")
                pending.append((src, dst, str(e.get("rel_type") or ""), 1.0 if w is None else float(w),
                                e.get("properties") or {}, e.get("created_at")))
        ctx.check_interrupts()
    return iter([r for r in pending if r[1] in visible])


REM_EDGES = register_virtual(VirtualTable("pg_catalog", "rem_edges", COLUMNS, rows))
