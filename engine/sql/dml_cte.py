"""Data-modifying WITH queries: ``WITH ins AS (INSERT … RETURNING …) SELECT … FROM ins``.

Each INSERT/UPDATE/DELETE of a top-level WITH is prepared as its own DML statement; at execution all of them
run once, in order, before the main query, and their RETURNING rows are what the main query reads under the
WITH name (an unreferenced one still runs, as in PostgreSQL). Difference from PostgreSQL: the main query runs
after the modifications in the same transaction, so a table both modified in WITH and read by the main query
shows the modified rows (PostgreSQL reads the statement's starting snapshot there).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from engine import types as T
from engine.errors import FeatureNotSupported
from engine.sql import plan
from engine.sql.scope import ColInfo, ExecState

_DML = (exp.Insert, exp.Update, exp.Delete)


def has_dml_cte(node: exp.Expression) -> bool:
    w = node.args.get("with_") or node.args.get("with")
    return bool(w) and any(isinstance(c.this, _DML) for c in w.expressions)


class DmlCte(plan.Step):
    """Runs one prepared DML statement once per execution; its rows are the statement's RETURNING rows."""

    label = "CTE DML"

    def __init__(self, name: str, stmt: Any, cols: list[ColInfo]) -> None:
        self.name = name
        self.stmt = stmt
        self.cols = cols
        self.rows: list[plan.Row] | None = None  # this execution's RETURNING rows (a later DML reads them
        # under its own ExecState, so they are kept here; a statement runs in one session at a time)

    def detail(self) -> str:
        return f"on {self.name}"

    def reset(self) -> None:
        self.rows = None

    def run(self, st: ExecState, limit: int | None = None) -> list[plan.Row]:
        if self.rows is None:
            res = self.stmt.run(st.ctx.session, st.ctx.txn, st.params)
            self.rows = list(res.rows) if res.rows is not None else []
        return self.rows


def install(planner: Any, session: Any, sql: str, top: exp.Expression, params: dict[int, int],
            given: list[int]) -> list[DmlCte]:
    """Let ``planner`` plan the DML queries of ``top``'s WITH; returns the steps the caller runs first."""
    from engine.sql import dml

    steps: list[DmlCte] = []

    def make(name: str, body: exp.Expression) -> plan.Step:
        cte = body.parent
        if cte is None or cte.parent is None or cte.parent.parent is not top:
            raise FeatureNotSupported("WITH clause containing a data-modifying statement must be at the top level")
        token = dml._CTE_FRAMES.set(list(planner.ctes))  # earlier WITH queries are visible to this one
        try:
            stmt = dml.prepare(session, sql, body, params, given)
        finally:
            dml._CTE_FRAMES.reset(token)
        cols = [ColInfo(name, c.name, c.type_oid if c.type_oid != T.UNKNOWN else T.TEXT, c.typmod)
                for c in (stmt.columns or [])]
        step = DmlCte(name, stmt, cols)
        steps.append(step)
        return step

    planner.dml_cte = make
    return steps
