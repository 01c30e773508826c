"""Which output columns of a set-returning function in FROM the query uses (projection push-down).

Conservative: every column reference anywhere in the enclosing SELECT (select list, WHERE, joins, ORDER BY,
subqueries, …) that could name the function's column counts; ``*``, ``alias.*``, a whole-row reference to the
alias, NATURAL joins, or an enclosing statement other than SELECT mean "all columns" (None).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp


def used_columns(fn: exp.Expression, alias: str, names: Sequence[str],
                 out_names: Sequence[str]) -> frozenset[str] | None:
    """The function's column ``names`` the query reads (``out_names``: the same columns as the query calls
    them, after ``AS alias(a, b)``), or None when it may read all of them."""
    sel = fn.parent
    while sel is not None and not isinstance(sel, exp.Select):
        if isinstance(sel, (exp.Query, exp.DML, exp.DDL)) and not isinstance(sel, exp.Select):
            return None
        sel = sel.parent
    if sel is None:
        return None
    for j in sel.args.get("joins") or []:
        if j.args.get("method") or str(j.args.get("kind") or "").upper() == "NATURAL":
            return None
    by_out = {o.lower(): n for n, o in zip(names, out_names, strict=False)}
    a = alias.lower()
    used: set[str] = set()
    for node in sel.walk():
        if isinstance(node, exp.Star) and not isinstance(node.parent, exp.Count):  # count(*) reads no column
            return None
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                return None
            q = node.table.lower()
            if q and q != a:
                continue
            n = node.name.lower()
            if n in by_out:
                used.add(by_out[n])
            elif not q and n == a:
                return None  # the whole row (row_to_json(t), t IS NULL, …)
        elif isinstance(node, exp.Identifier) and isinstance(node.parent, exp.Join):
            n = node.name.lower()  # JOIN … USING (col)
            if n in by_out:
                used.add(by_out[n])
    return frozenset(used)
