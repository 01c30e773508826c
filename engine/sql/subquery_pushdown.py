"""WHERE conjuncts into a subquery or view in FROM (PostgreSQL's set_subquery_pathlist / qual pushdown).

A FROM subquery or view is planned as a :class:`engine.sql.plan.SubqueryScan`; :func:`remember` keeps the query
it came from. When the planner filters such a scan (:func:`engine.sql.planner.pushdown`: the WHERE of a one-item
FROM, a comma-join item's own conjuncts, or what :mod:`engine.sql.join_pushdown` attaches to a join input that
keeps its rows), :func:`push` moves each safe conjunct inside: the column references become the subquery's output
expressions and the conjunct is ANDed to the inner WHERE, then the subquery is planned again (a table scan inside
gets its index access or columnar filter). The conjuncts left over filter the scan as before.

Safe (as PostgreSQL): the subquery is a plain ``SELECT … FROM … [WHERE] [GROUP BY] [HAVING] [ORDER BY]``,
``DISTINCT`` allowed, with no LIMIT/OFFSET, DISTINCT ON, window functions, set-returning functions in its target
list, row locks, or grouping sets; the conjunct references at least one of its columns and nothing else (no outer
query column — a name could be captured by the inner FROM), has no subquery, aggregate, window, volatile or
set-returning call; every output it references has a known type, no subquery and nothing volatile; in a grouped
subquery (GROUP BY, aggregates or HAVING) every referenced output is a GROUP BY expression (matched by text or
position) and there is a GROUP BY. A UNION [ALL] / INTERSECT without ORDER BY/LIMIT takes a conjunct into every
branch when each branch is safe and every column it uses has the set operation's output type in each branch (no
implicit cast in between); EXCEPT is not entered.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from engine import types as T
from engine.functions import lookup
from engine.sql import plan
from engine.sql.compiler import conjuncts, func_name, is_aggregate, walk_level
from engine.sql.dialect import DIALECT
from engine.sql.join_pushdown import volatile

# Select arguments a pushable subquery may carry (anything else — LIMIT, OFFSET, locks, windows … — blocks it)
_ALLOWED = {"expressions", "from", "from_", "joins", "where", "group", "having", "order", "distinct", "with",
            "with_", "kind"}


def remember(step: plan.SubqueryScan, query: exp.Expression | None, parent: Any, view: Any = None,
             key: tuple[Any, ...] | None = None) -> plan.SubqueryScan:
    """Mark ``step`` as planned from ``query`` under ``parent`` (``view``: the TableDef of a view, whose stored
    query is parsed when a conjunct may move; else None). ``key``: set on an unchanged plan of a view, which
    may be reused in the same statement once a pushdown replaced it (see :func:`_release`)."""
    step._rem_source = (query, parent, view, key)  # type: ignore[attr-defined]
    return step


def plan_subquery(planner: Any, query: exp.Expression, parent: Any, alias: str,
                  colnames: list[str]) -> plan.SubqueryScan:
    """A subquery in FROM, planned. (Its plan is not reused after a pushdown: a copy of its query would see other
    CTE plans; nested FROM subqueries are planned again per level, unlike views.)"""
    step = planner.query(query, parent)
    return remember(plan.SubqueryScan(step, alias, planner._rename(step.cols, alias, colnames)), query, parent)


def expand_view(planner: Any, view: Any, alias: str, colnames: list[str]) -> plan.SubqueryScan:
    """A view in FROM (:func:`engine.sql.views.expand_view`), reusing a plan of it that a pushdown replaced in this
    statement: nested views are planned O(depth²) times instead of O(2^depth)."""
    key = ("view", view.schema, view.name, view.view_sql)
    lst = _free(planner.env).get(key)
    step = lst.pop() if lst else None
    if step is None:
        from engine.sql.views import expand_view as expand

        return remember(expand(planner, view, alias, colnames), None, None, view, key)
    names = list(colnames) + [c.name for c in view.columns][len(colnames):]
    sq = plan.SubqueryScan(step, alias, planner._rename(step.cols, alias, names[:len(step.cols)]))
    return remember(sq, None, None, view, key)


def _free(env: Any) -> dict[tuple[Any, ...], list[plan.Step]]:
    """Plans discarded by a pushdown while planning this statement (the Env lives for one statement)."""
    free = getattr(env, "_rem_free_plans", None)
    if free is None:
        free = env._rem_free_plans = {}
    return free


def _release(env: Any, step: plan.Step) -> None:
    """Offer the unchanged view plans in ``step`` (no longer part of any plan) for reuse."""
    if isinstance(step, plan.SubqueryScan):
        src = getattr(step, "_rem_source", None)
        if src is not None and src[3] is not None:
            _free(env).setdefault(src[3], []).append(step.child)
    elif isinstance(step, (plan.Join, plan.Filter)):
        for child in step.children():
            _release(env, child)


def push(step: plan.SubqueryScan, where: exp.Expression, comp: Any) -> tuple[plan.Step, exp.Expression | None]:
    """Move the safe conjuncts of ``where`` (compiled by ``comp`` over ``step.cols``) into the subquery of ``step``.

    Returns (the scan, re-planned when something moved; the conjuncts left, or None when all moved)."""
    src = getattr(step, "_rem_source", None)
    if src is None:
        return step, where
    query, parent, view, _ = src
    if view is not None and query is None:
        from engine.sql.statements import parse_one

        query = parse_one(view.view_sql or "")
    if any(isinstance(n, (exp.Insert, exp.Update, exp.Delete)) for n in query.walk()):
        return step, where  # a data-modifying WITH is planned (and run) once
    leaves = _leaves(query, step.child)
    if leaves is None:
        return step, where
    planner = comp.planner
    if view is not None:
        planner = type(planner)(planner.env, planner.params)  # outer CTEs are invisible to a view
        parent = None
    shapes = []
    for sel, types in leaves:
        outputs = _outputs(sel, planner, parent)
        if outputs is None or len(outputs) != len(step.cols):
            return step, where
        grouped = _grouped(sel)
        shapes.append((outputs, types, grouped, _group_texts(sel) if grouped else set()))
    pushed: list[list[exp.Expression]] = []
    kept: list[exp.Expression] = []
    for c in conjuncts(where):
        moved = [_substitute(c, comp, *shape) for shape in shapes]
        if any(m is None for m in moved):
            kept.append(c)
        else:
            pushed.append(moved)  # type: ignore[arg-type]
    if not pushed:
        return step, where
    comp.predicate(where)  # errors (and parameter types) exactly as the filter above would report them
    new_q = query.copy()
    for k, (sel, _) in enumerate(_leaves(new_q, None) or []):
        old_where = sel.args.get("where")
        conds = ([exp.Paren(this=old_where.this.copy())] if old_where is not None else []) + [p[k] for p in pushed]
        sel.set("where", exp.Where(this=exp.and_(*conds, copy=False)))
    inner = planner.query(new_q, parent)
    if len(inner.cols) != len(step.cols):
        return step, where
    out = plan.SubqueryScan(inner, step.alias, step.cols)
    remember(out, new_q, parent, view)
    _release(planner.env, step)
    return out, (exp.and_(*kept, copy=False) if kept else None)


def _leaves(q: exp.Expression, planned: plan.Step | None) -> list[tuple[exp.Select, list[int]]] | None:
    """The SELECTs a conjunct goes into, each with its output types as the subquery's output types where they
    agree (else -1: a column whose value a set operation casts); None when the query is not pushable.
    ``planned``: the subquery's plan (types), or None when only the SELECT nodes are wanted."""
    if isinstance(q, exp.Subquery) and not any(q.args.get(k) for k in ("order", "limit", "offset")):
        return _leaves(q.this, planned)
    if isinstance(q, exp.Select):
        if not _plain(q):
            return None
        return [(q, [c.oid for c in planned.cols] if planned is not None else [])]
    if not isinstance(q, (exp.Union, exp.Intersect)) or any(
            q.args.get(k) for k in ("order", "limit", "offset", "with", "with_")):
        return None  # EXCEPT: a filter on the right would change which rows are removed
    if planned is not None and not isinstance(planned, plan.SetOp):
        return None
    lp = planned.left if isinstance(planned, plan.SetOp) else None
    rp = planned.right if isinstance(planned, plan.SetOp) else None
    left, right = _leaves(q.this, lp), _leaves(q.expression, rp)
    if left is None or right is None:
        return None
    if planned is not None:
        want = [c.oid for c in planned.cols]
        left = [(sel, [t if t == w else -1 for t, w in zip(ts, want, strict=False)]) for sel, ts in left]
        right = [(sel, [t if t == w else -1 for t, w in zip(ts, want, strict=False)]) for sel, ts in right]
    return left + right


def _plain(sel: exp.Select) -> bool:
    """A subquery PostgreSQL pushes quals into: no LIMIT/OFFSET, DISTINCT ON, windows, SRFs, locks, grouping sets."""
    if any(v not in (None, [], False) for k, v in sel.args.items() if k not in _ALLOWED):
        return False
    d = sel.args.get("distinct")
    if d is not None and d.args.get("on") is not None:
        return False
    g = sel.args.get("group")
    if g is not None and any(g.args.get(k) for k in ("grouping_sets", "rollup", "cube", "totals", "all")):
        return False
    order = sel.args.get("order")
    for item in list(sel.expressions) + ([o.this for o in order.expressions] if order is not None else []):
        for n in walk_level(item):
            if isinstance(n, (exp.Window, exp.Unnest, exp.Explode)):
                return False
            if isinstance(n, exp.Func):
                name = func_name(n) or n.sql_name().lower()
                if any(f.set_returning for f in lookup(name)):
                    return False
    return True


def _grouped(sel: exp.Select) -> bool:
    if sel.args.get("group") is not None or sel.args.get("having") is not None:
        return True
    return any(is_aggregate(n) for item in sel.expressions for n in walk_level(item))


def _group_texts(sel: exp.Select) -> set[str]:
    """SQL texts of the GROUP BY expressions (positions resolved to the select list); empty without GROUP BY."""
    g = sel.args.get("group")
    if g is None:
        return set()
    items = [e.this if isinstance(e, exp.Alias) else e for e in sel.expressions]
    out: set[str] = set()
    for e in g.expressions:
        if isinstance(e, exp.Literal) and not e.is_string and e.this.isdigit() and 0 < int(e.this) <= len(items):
            e = items[int(e.this) - 1]
        out.add(e.sql(dialect=DIALECT))
    return out


def _outputs(sel: exp.Select, planner: Any, parent: Any) -> list[exp.Expression | None] | None:
    """The output expressions of ``sel`` in order (``*`` expanded over its FROM); None marks an output that must
    not be referenced by a pushed conjunct; None overall when the list cannot be built."""
    out: list[exp.Expression | None] = []
    from_cols = None
    for e in sel.expressions:
        star = isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
        if not star:
            out.append(e.this if isinstance(e, exp.Alias) else e)
            continue
        if sel.args.get("joins") and any(j.args.get("using") for j in sel.args["joins"]):
            return None  # merged USING columns: no plain reference names them
        if from_cols is None:
            from_cols = _from_cols(sel, planner, parent)
        q = e.table if isinstance(e, exp.Column) else None
        for c in from_cols:
            if c.hidden is True or (c.hidden in ("using", "qualonly") and q is None) or (q and c.qual != q):
                continue
            if not c.qual or c.system:
                return None
            out.append(exp.Column(this=_ident(c.name), table=_ident(c.qual)))
    return out


def _from_cols(sel: exp.Select, planner: Any, parent: Any) -> list[Any]:
    """The FROM columns of ``sel`` (planned without its WHERE), for ``*``."""
    bare = sel.copy()
    bare.set("where", None)
    pushed = planner._with(bare, parent)
    try:
        step = planner.joins(bare, parent)
        _release(planner.env, step)
        return list(step.cols)
    finally:
        if pushed:
            planner.ctes.pop()


def _ident(name: str) -> exp.Identifier:
    """An identifier for ``name``, quoted only when it has to be."""
    plain = name.isidentifier() and name == name.lower() and name.isascii()
    return exp.to_identifier(name, quoted=not plain)


def _substitute(c: exp.Expression, comp: Any, outputs: list[exp.Expression | None], types: list[int],
                grouped: bool, group_texts: set[str]) -> exp.Expression | None:
    """``c`` with its column references replaced by the subquery's outputs, or None when it must stay outside."""
    if volatile(c) or any(isinstance(n, (exp.Subquery, exp.Select, exp.Exists, exp.Window, exp.Star))
                          or is_aggregate(n) for n in c.walk()):
        return None
    cols = list(c.find_all(exp.Column))
    if not cols:
        return None
    targets: dict[int, exp.Expression] = {}
    for col in cols:
        if isinstance(col.this, exp.Star) or col.args.get("db") or col.args.get("catalog"):
            return None
        try:
            depth, i, info = comp.scope.resolve(col.table or None, col.name)
        except Exception:  # noqa: BLE001 - unresolvable: the filter above reports it
            return None
        if depth != 0 or info.name != col.name or i >= len(outputs):
            return None  # an outer reference (could be captured inside) or not a plain output column
        out = outputs[i]
        if out is None or types[i] in (T.UNKNOWN, -1):
            return None
        if volatile(out) or any(isinstance(n, (exp.Subquery, exp.Select, exp.Exists, exp.Window))
                                or is_aggregate(n) for n in out.walk()):
            return None
        if grouped and out.sql(dialect=DIALECT) not in group_texts:
            return None
        targets[id(col)] = out
    new = c.copy()  # find_all visits the copy's columns in the same order
    for old, copied in zip(cols, list(new.find_all(exp.Column)), strict=True):
        t = targets[id(old)]
        repl = t.copy() if isinstance(t, (exp.Column, exp.Literal, exp.Parameter, exp.Placeholder)) \
            else exp.Paren(this=t.copy())
        if copied is new:
            new = repl
        else:
            copied.replace(repl)
    return new


__all__ = ["push", "remember"]
