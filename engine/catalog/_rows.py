"""Registering a catalog relation with PostgreSQL 15's exact columns and turning dict rows into tuples."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from engine import types
from engine.catalog import _pg_data
from engine.virtual import VirtualTable, register_virtual

_REL = {(r[0], r[1]): r for r in _pg_data.RELATIONS}
_ZERO_OIDS = {types.OID, types.REGPROC, 28, 29, types.REGCLASS, types.REGTYPE, types.REGNAMESPACE,
              types.REGROLE, types.REGPROCEDURE, types.REGOPER}
_ZERO_NUM = {types.INT2, types.INT4, types.INT8, types.FLOAT4, types.FLOAT8}

RowsFn = Callable[[Any], Iterable[dict[str, Any]]]


def pg_columns(schema: str, name: str) -> tuple[tuple[str, int], ...]:
    """PostgreSQL 15's (column name, type OID) list of ``schema.name``."""
    return _REL[(schema, name)][6]


def _default(type_oid: int) -> Any:
    if type_oid in _ZERO_OIDS or type_oid in _ZERO_NUM:
        return 0
    if type_oid == types.BOOL:
        return False
    return None


def register(schema: str, name: str, rows: RowsFn | None = None, *, per_snapshot: bool = False) -> VirtualTable:
    """Register ``schema.name`` with PostgreSQL's columns, OID and relkind; ``rows(ctx)`` yields dicts by column
    name (absent columns get 0 / false / NULL by type). Without ``rows`` the relation is empty.

    ``per_snapshot``: the rows depend only on the catalog snapshot (not on the session), so they are built once
    per registry state and reused by every scan."""
    rec = _REL[(schema, name)]
    cols = rec[6]
    names = [c for c, _ in cols]
    defaults = [_default(t) for _, t in cols]

    def build(ctx: Any) -> list[tuple[Any, ...]]:
        assert rows is not None
        return [tuple(d.get(n, dv) for n, dv in zip(names, defaults, strict=False)) for d in rows(ctx)]

    def scan(ctx: Any) -> Iterable[tuple[Any, ...]]:
        if rows is None:
            return []
        from engine.catalog.regcasts import bind

        bind(ctx)
        if not per_snapshot:
            return build(ctx)
        from engine.catalog.objects import snapshot

        memo = snapshot(ctx).memo
        key = (schema, name)
        if key not in memo:
            memo[key] = build(ctx)
        return memo[key]

    return register_virtual(VirtualTable(schema, name, cols, scan, oid=rec[2], kind="r" if rec[3] == "r" else "v"))


def register_all_empty() -> None:
    """Register every PostgreSQL 15 catalog relation as empty; modules then replace the ones REM fills."""
    for schema, name, *_ in _pg_data.RELATIONS:
        register(schema, name)
