"""Name resolution: the columns visible to an expression, nested for correlated subqueries, and runtime state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from engine.errors import AmbiguousColumn, UndefinedColumn, UndefinedTable
from engine.textio_datetime import DATE_ORDER


@dataclass
class ColInfo:
    """One column of a relation in scope."""

    qual: str | None  # table alias it is reachable through
    name: str
    oid: int
    typmod: int = -1
    hidden: bool = False  # not expanded by *
    table_oid: int = 0
    attnum: int = 0
    system: bool = False
    fields: tuple[tuple[str, int], ...] | None = None  # (name, type OID) of a record column's fields


@dataclass
class QueryInfo:
    """Facts about one (sub)query being planned."""

    correlated: bool = False


@dataclass
class Scope:
    """Columns an expression can reference; ``parent`` is the enclosing query's scope (correlation)."""

    cols: list[ColInfo]
    parent: Scope | None = None
    query: QueryInfo = field(default_factory=QueryInfo)
    replacements: dict[Any, tuple[int, int, int]] | None = None  # expr key → (index, oid, typmod)
    grouped: bool = False  # after aggregation: bare columns must be grouped
    input_scope: Scope | None = None  # pre-aggregation scope, for grouped-column checks
    aliases: dict[str, int] | None = None  # output aliases usable by ORDER BY

    def quals(self) -> set[str]:
        return {c.qual for c in self.cols if c.qual}

    def lookup(self, qual: str | None, name: str) -> list[int]:
        """Indexes of columns matching ``qual.name`` in this scope (no parents)."""
        return [i for i, c in enumerate(self.cols)
                if c.name == name and (qual is None or c.qual == qual)
                and not (qual is None and c.hidden in ("using", "qualonly"))]

    def resolve(self, qual: str | None, name: str) -> tuple[int, int, ColInfo]:
        """(depth, index, column) of a column reference; raises 42703/42702/42P01."""
        s: Scope | None = self
        depth = 0
        crossed: list[Scope] = []
        while s is not None:
            hits = s.lookup(qual, name)
            if len(hits) > 1:
                raise AmbiguousColumn(f'column reference "{name}" is ambiguous')
            if hits:
                for c in crossed:
                    c.query.correlated = True
                return depth, hits[0], s.cols[hits[0]]
            crossed.append(s)
            s = s.parent
            depth += 1
        if qual is not None:
            s = self
            while s is not None:
                if qual in s.quals():
                    raise UndefinedColumn(f"column {qual}.{name} does not exist")
                s = s.parent
            raise UndefinedTable(f'missing FROM-clause entry for table "{qual}"')
        raise UndefinedColumn(f'column "{name}" does not exist')


class ExecState:
    """Per-execution runtime state shared by compiled expressions and plan steps."""

    __slots__ = ("params", "outer", "ctx", "cache", "ctes", "now", "stmt_now")

    def __init__(self, params: list[Any], ctx: Any) -> None:
        self.params = params
        self.outer: list[tuple[Any, ...]] = []
        self.ctx = ctx
        self.cache: dict[int, Any] = {}
        self.ctes: dict[int, list[tuple[Any, ...]]] = {}
        self.now = getattr(ctx, "txn_start", None) or dt.datetime.now(dt.UTC)
        self.stmt_now = dt.datetime.now(dt.UTC)
        sess = getattr(ctx, "session", None)
        if sess is not None:
            from engine.sql.casts import set_session_datestyle, set_session_timezone

            settings = getattr(sess, "cast_settings", None)
            if settings is not None:  # RemSession: derived once per SET, not per statement
                tz, order = settings()
                set_session_timezone(tz)
                DATE_ORDER.set(order)
                return
            try:
                set_session_timezone(sess.get_setting("TimeZone"))
                set_session_datestyle(sess.get_setting("DateStyle"))
            except Exception:  # noqa: BLE001 - a session without settings casts in UTC, MDY
                set_session_timezone("UTC")
                set_session_datestyle(None)
