"""Virtual relations: tables computed on demand (pg_catalog, information_schema, rem_edges, rem_jobs …).

A module registers a :class:`VirtualTable` at import time; the planner resolves a table name through the
search path to a registered virtual table before looking in the registry, and the executor scans it by calling
``rows(ctx)``, which yields tuples in ``columns`` order. Virtual tables are read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class VirtualTable:
    """A read-only relation computed from the database state."""

    schema: str  # 'pg_catalog' (REM's own views live here too, like PostgreSQL's system views), 'information_schema'
    name: str
    columns: tuple[tuple[str, int], ...]  # (name, type OID)
    rows: Callable[[Any], Iterable[tuple[Any, ...]]]  # rows(ctx: ExecContext)
    oid: int = 0  # pg_class oid (catalog tables have PostgreSQL's fixed OIDs)
    kind: str = "v"  # pg_class.relkind as reported: 'r' for catalog tables, 'v' for views


_VIRTUAL: dict[tuple[str, str], VirtualTable] = {}


def register_virtual(vt: VirtualTable) -> VirtualTable:
    """Register (or replace) a virtual table."""
    _VIRTUAL[(vt.schema, vt.name)] = vt
    return vt


def lookup_virtual(schema: str, name: str) -> VirtualTable | None:
    """The virtual table ``schema.name``, or None."""
    return _VIRTUAL.get((schema, name))


def all_virtual() -> list[VirtualTable]:
    """Every registered virtual table."""
    return list(_VIRTUAL.values())
