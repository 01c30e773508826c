"""Query planner: a sqlglot SELECT/UNION/VALUES tree → plan steps (engine.sql.plan) with compiled expressions.

Name resolution follows PostgreSQL: CTEs, then pg_catalog, then the search path (``"$user", public``).
Equality/IN/range predicates on a table's key or indexed fields become index lookups (see :func:`pushdown`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from engine import types as T
from engine.errors import (
    DatatypeMismatch,
    FeatureNotSupported,
    GroupingError,
    InvalidColumnReference,
    SyntaxError_,
    UndefinedColumn,
    UndefinedTable,
)
from engine.sql import aggregates, join_pushdown, plan, subquery_pushdown
from engine.sql.compiler import (
    AGG_NODES,
    CE,
    Compiler,
    conjuncts,
    const,
    func_args,
    func_name,
    is_aggregate,
    walk_level,
)
from engine.sql.dialect import DIALECT
from engine.sql.scope import ColInfo, ExecState, QueryInfo, Scope
from engine.sql.sequences import sequence_relation
from engine.sql.sqltypes import INTS, common_type, family
from engine.sql.window import WinCall, WindowStep
from engine.virtual import lookup_virtual


class Env:
    """What the planner needs from the session: the registry and the search path."""

    def __init__(self, registry: Any, search_path: list[str], user: str = "rem") -> None:
        self.registry = registry
        self.search_path = search_path
        self.user = user


def table_cols(td: Any, alias: str) -> tuple[list[ColInfo], list[str]]:
    """Scope columns and row-dict keys of a registered table."""
    cols, names = [], []
    for c in td.columns:
        cols.append(ColInfo(alias, c.name, c.type_oid, c.typmod, hidden=bool(c.hidden), table_oid=td.oid,
                            attnum=c.attnum, system=c.system))
        names.append(c.name)
    return cols, names


class Planner:
    """Plans one statement; ``params`` maps $n → type OID (0 while unknown)."""

    def __init__(self, env: Env, params: dict[int, int]) -> None:
        self.env = env
        self.params = params
        self.ctes: list[dict[str, tuple[plan.Step, list[ColInfo]]]] = []
        self.qstack: list[QueryInfo] = [QueryInfo()]

    def qi(self) -> QueryInfo:
        """The QueryInfo of the (sub)query being planned (its scopes share it: correlation detection)."""
        return self.qstack[-1]

    # ---- entry points
    def query(self, node: exp.Expression, parent: Scope | None = None) -> plan.Step:
        """Plan a query expression (SELECT, set operation, VALUES, parenthesized query)."""
        if isinstance(node, exp.Subquery):
            inner = self.query(node.this, parent)
            return self._modifiers_outer(node, inner, parent)
        if isinstance(node, exp.Select):
            return self.select(node, parent)
        if isinstance(node, exp.SetOperation):
            return self.setop(node, parent)
        if isinstance(node, exp.Values):
            step = self.values(node, parent)
            if node.args.get("order") or node.args.get("limit") or node.args.get("offset"):
                step = self._order_limit_outer(node, step, parent)  # VALUES … ORDER BY … LIMIT …
            return step
        if isinstance(node, exp.Paren):
            return self.query(node.this, parent)
        raise FeatureNotSupported(f"statement not supported here: {type(node).__name__}")

    def subplan(self, node: exp.Expression, scope: Scope) -> tuple[plan.Step, bool]:
        """Plan a subquery under ``scope``; returns (plan, correlated)."""
        qi = QueryInfo()
        self.qstack.append(qi)
        try:
            step = self.query(node, scope)
        finally:
            self.qstack.pop()
        corr = qi.correlated
        step._correlated = corr  # type: ignore[attr-defined]
        return step, corr

    # ---- WITH
    def _with(self, node: exp.Expression, parent: Scope | None) -> bool:
        w = node.args.get("with_") or node.args.get("with")
        if not w:
            return False
        frame: dict[str, tuple[plan.Step, list[ColInfo]]] = {}
        self.ctes.append(frame)
        for cte in w.expressions:
            name = cte.alias_or_name
            colnames = [c.name for c in (cte.args["alias"].columns if cte.args.get("alias") else [])]
            body = cte.this
            if w.args.get("recursive") and isinstance(body, exp.Union) and _references(body.expression, name):
                base = self.query(body.this, parent)
                cols = self._rename(base.cols, name, colnames)
                work = plan.WorkTableScan(name, cols)
                frame[name] = (work, cols)
                rec = self.query(body.expression, parent)
                if len(rec.cols) != len(cols):
                    raise SyntaxError_("each UNION query must have the same number of columns")
                step: plan.Step = plan.RecursiveCte(base, rec, work, not body.args.get("distinct"), cols)
            else:
                if isinstance(body, (exp.Insert, exp.Update, exp.Delete)):
                    make = getattr(self, "dml_cte", None)  # set by prepare_query (engine/sql/dml_cte.py)
                    if make is None:
                        raise FeatureNotSupported("a data-modifying statement in WITH is supported only at the top level of a SELECT")
                    step = make(name, body)
                else:
                    step = self.query(body, parent)
                cols = self._rename(step.cols, name, colnames)
            frame[name] = (step, cols)
        return True

    def _rename(self, cols: list[ColInfo], alias: str, names: list[str]) -> list[ColInfo]:
        if len(names) > len(cols):
            raise SyntaxError_(f'table "{alias}" has {len(cols)} columns available but {len(names)} columns specified')
        out = []
        for i, c in enumerate(cols):
            out.append(ColInfo(alias, names[i] if i < len(names) else c.name, c.oid if c.oid != T.UNKNOWN else T.TEXT,
                               c.typmod, hidden=c.hidden, table_oid=c.table_oid, attnum=c.attnum, fields=c.fields))
        return out

    # ---- FROM
    def from_item(self, node: exp.Expression, parent: Scope | None) -> plan.Step:
        alias_node = node.args.get("alias")
        alias = alias_node.name if alias_node is not None and alias_node.name else None
        colnames = [c.name for c in alias_node.columns] if alias_node is not None and alias_node.columns else []
        if isinstance(node, exp.Table):
            inner = node.this
            if isinstance(inner, exp.Dot) and isinstance(inner.expression, exp.Func):
                inner = inner.expression  # pg_catalog.f(...)
            if isinstance(inner, exp.Func) or isinstance(inner, exp.Anonymous):
                if node.args.get("ordinality"):
                    fs = self.function_scan(inner, alias, colnames[:-1] if colnames else [], parent)
                    oc = ColInfo(fs.cols[0].qual if fs.cols else alias, colnames[-1] if colnames else "ordinality",
                                 T.INT8)
                    return _Ordinality(fs, fs.cols + [oc])
                return self.function_scan(inner, alias, colnames, parent)
            if node.args.get("sample"):
                raise FeatureNotSupported("TABLESAMPLE is not supported")
            name = node.name
            schema = node.db or None
            if schema is None:
                for frame in reversed(self.ctes):
                    if name in frame:
                        step, cols = frame[name]
                        a = alias or name
                        cols2 = self._rename(cols, a, colnames)
                        if isinstance(step, plan.WorkTableScan):
                            return plan.SubqueryScan(step, a, cols2)
                        return plan.CteScan(name, step, cols2)
            return self.table_scan(name, schema, alias, colnames)
        if isinstance(node, exp.Subquery):
            if node.args.get("lateral") or isinstance(node.this, exp.Lateral):
                raise FeatureNotSupported("LATERAL is not supported")
            a = alias or "unnamed_subquery"
            return subquery_pushdown.plan_subquery(self, node.this, parent, a, colnames)
        if isinstance(node, exp.Values):
            step = self.values(node, parent)
            a = alias or "*VALUES*"
            return plan.SubqueryScan(step, a, self._rename(step.cols, a, colnames))
        if isinstance(node, exp.Lateral):
            raise FeatureNotSupported("LATERAL is not supported")
        if isinstance(node, (exp.Unnest, exp.Explode)):
            return self.function_scan(node, alias, colnames, parent)
        raise FeatureNotSupported(f"FROM item not supported: {node.sql(dialect=DIALECT)[:60]}")

    def resolve_table(self, name: str, schema: str | None) -> tuple[str, Any]:
        """('table', TableDef) or ('virtual', VirtualTable); 42P01 when neither exists."""
        reg = self.env.registry
        if schema is not None:
            schemas = [schema]
        else:
            schemas = ["pg_catalog"] + [s if s != "$user" else self.env.user for s in self.env.search_path]
        for s in schemas:
            vt = lookup_virtual(s, name) or sequence_relation(reg, name, s)
            if vt is not None:
                return "virtual", vt
            if reg is not None and s not in ("pg_catalog", "information_schema"):
                td = reg.get(name, s)
                if td is not None:
                    return "table", td
                td = reg.get_view(name, s) if hasattr(reg, "get_view") else None
                if td is not None:
                    return "view", td
        shown = f"{schema}.{name}" if schema else name
        raise UndefinedTable(f'relation "{shown}" does not exist')

    def table_scan(self, name: str, schema: str | None, alias: str | None, colnames: list[str]) -> plan.Step:
        kind, obj = self.resolve_table(name, schema)
        a = alias or name
        if kind == "view":
            return subquery_pushdown.expand_view(self, obj, a, colnames)
        if kind == "virtual":
            cols = [ColInfo(a, n, o, table_oid=obj.oid, attnum=i + 1) for i, (n, o) in enumerate(obj.columns)]
            for i, n in enumerate(colnames):
                cols[i].name = n
            return plan.VirtualScan(obj, a, cols)
        cols, names = table_cols(obj, a)
        vis = [c for c in cols if not c.hidden]
        for i, n in enumerate(colnames):
            if i < len(vis):
                vis[i].name = n
        return plan.Scan(obj, a, cols, names)

    def function_scan(self, fn: exp.Expression, alias: str | None, colnames: list[str],
                      parent: Scope | None) -> plan.Step:
        from engine.functions import lookup as flookup

        name = func_name(fn) or ("unnest" if isinstance(fn, exp.Unnest) else None)
        if name is None:
            raise FeatureNotSupported(f"function in FROM not supported: {fn.sql(dialect=DIALECT)[:60]}")
        comp = Compiler(Scope([], parent=parent, query=self.qi()), self, self.params)
        args = func_args(fn) if not isinstance(fn, exp.Unnest) else list(fn.expressions)
        ces = [comp.compile(a) for a in args]
        a = alias or name
        if name == "generate_series":
            ces, cols, gen = _generate_series(ces, a)
        elif name == "unnest":
            ces = [comp.cast_ce(c, T.array_of(T.TEXT)) if c.oid == T.UNKNOWN else c for c in ces]
            cols = [ColInfo(a, a if len(ces) == 1 else "unnest", T.element_of(c.oid) or T.TEXT) for c in ces]

            def gen(vals: list[Any]) -> list[tuple[Any, ...]]:
                lists = [v or [] for v in vals]
                n = max((len(x) for x in lists), default=0)
                return [tuple(x[i] if i < len(x) else None for x in lists) for i in range(n)]
        else:
            fds = [f for f in flookup(name) if f.set_returning]
            if not fds:
                # a scalar function in FROM yields one row
                ce = comp._call_named(name, ces, fn)
                cols = [ColInfo(a, a, ce.oid)]
                f0 = ce.fn
                return plan.FunctionScan(name, self._rename(cols, a, colnames), lambda st: [(f0((), st),)])
            fd, ces = _srf_overload(comp, name, ces, fds)
            cols = [ColInfo(a, n, o) for n, o in (fd.columns or ((name, T.TEXT),))]
            if len(cols) == 1 and not colnames and (not fd.columns or fd.columns[0][0] == name):
                cols[0].name = a if alias else name  # no OUT parameter name: the alias or the function's name
            impl = fd.impl
            if fd.prunes_columns:  # the function builds only the columns the query reads
                from engine.sql.srf_columns import used_columns

                impl = functools.partial(impl, columns=used_columns(fn, a, [c.name for c in cols],
                                                                    [c.name for c in self._rename(cols, a, colnames)]))

            def gen(vals: list[Any]) -> list[tuple[Any, ...]]:
                return [tuple(r) if isinstance(r, (tuple, list)) else (r,) for r in impl(*vals)]
            if fd.needs_ctx:
                tuples = fd.prunes_columns  # such functions yield tuples already

                def run_ctx(st: ExecState) -> list[tuple[Any, ...]]:
                    vals = [c.fn((), st) for c in ces]
                    if tuples:
                        return list(impl(st.ctx, *vals))
                    return [tuple(r) if isinstance(r, (tuple, list)) else (r,) for r in impl(st.ctx, *vals)]

                def batch(st: ExecState) -> Any:  # the function's own row sequence (a column batch)
                    return impl(st.ctx, *[c.fn((), st) for c in ces])
                return plan.FunctionScan(name, self._rename(cols, a, colnames), run_ctx,
                                         batch if fd.prunes_columns else None)
        fns = [c.fn for c in ces]
        strict = name in ("generate_series",)

        def run(st: ExecState) -> list[tuple[Any, ...]]:
            vals = [f((), st) for f in fns]
            if strict and any(v is None for v in vals):
                return []
            return gen(vals)

        return plan.FunctionScan(name, self._rename(cols, a, colnames), run)

    def joins(self, sel: exp.Select, parent: Scope | None) -> plan.Step:
        frm = sel.args.get("from_") or sel.args.get("from")
        if frm is None:
            if sel.args.get("joins"):
                raise SyntaxError_("syntax error at or near \"JOIN\"")
            return plan.OneRow()
        items = [frm.this] + list(frm.expressions or [])
        aliases: set[str] = set()
        for it in items + [j.this for j in sel.args.get("joins") or []]:
            a = it.alias_or_name if isinstance(it, (exp.Table, exp.Subquery, exp.Values)) else ""
            if a:
                if a in aliases:
                    from engine.errors import error
                    raise error("42712", f'table name "{a}" specified more than once')
                aliases.add(a)
        joins = list(sel.args.get("joins") or [])
        # comma-separated FROM items (plain Join nodes without ON/USING/side/kind) are joined in a greedy order
        # that follows the WHERE clause's equalities, with single-item conjuncts pushed down to their item
        on_conds: list[exp.Expression] = []
        while joins:
            j = joins[0]
            if isinstance(j.this, exp.Lateral):
                break
            if not any(j.args.get(k) for k in ("on", "using", "side", "kind", "method")):
                items.append(joins.pop(0).this)
            elif (j.args.get("on") is not None and not j.args.get("using") and not j.args.get("side")
                  and str(j.args.get("kind") or "").upper() in ("", "INNER") and not j.args.get("method")
                  and not isinstance(j.this, exp.Lateral)):
                on_conds.append(j.args["on"])  # inner join: ON is a WHERE conjunct
                items.append(joins.pop(0).this)
            else:
                break
        where = sel.args.get("where")
        done: set[str] = set()
        if len(items) == 1:
            step = self.from_item(items[0], parent)
        else:
            # WHERE conjuncts may filter the group's items only when no later join null-extends the group
            keeps_left = not any(str(j.args.get("side") or "").lower() in ("right", "full") for j in joins)
            pool = ([where.this] if where is not None and keeps_left else []) + on_conds
            step = self._comma_join([self.from_item(it, parent) for it in items],
                                    _and_all(pool) if pool else None, parent)
            done = getattr(step, "_consumed", set())  # conjuncts the join already applied exactly
            rest = [c for oc in on_conds for c in conjuncts(oc) if c.sql(dialect=DIALECT) not in done]
            if rest:
                comp = Compiler(Scope(step.cols, parent=parent, query=self.qi()), self, self.params)
                cond = _and_all(rest)
                step = plan.Filter(step, comp.predicate(cond), cond.sql(dialect=DIALECT))
            if done and not joins:
                step._where_done = done  # type: ignore[attr-defined]  (_select skips these WHERE conjuncts)
        group = step
        for j in joins:
            if isinstance(j.this, exp.Lateral):
                step = self._lateral(step, j, parent)
                continue
            right = self.from_item(j.this, parent)
            side = (j.args.get("side") or "").lower()
            kind_ = (j.args.get("kind") or "").lower()
            if j.args.get("method") and str(j.args.get("method")).lower() == "natural" or kind_ == "natural":
                raise FeatureNotSupported("NATURAL JOIN is not supported")
            kind = side if side in ("left", "right", "full") else ("cross" if kind_ == "cross" else "inner")
            on = j.args.get("on")
            using = j.args.get("using")
            if kind_ == "lateral" or isinstance(j.this, exp.Lateral):
                raise FeatureNotSupported("LATERAL is not supported")
            scope = Scope(step.cols + right.cols, parent=parent, query=self.qi())
            if using:
                conds = []
                for u in using:
                    nm = u.name
                    lq = [c for c in step.cols if c.name == nm and c.hidden is not True]
                    rq = [c for c in right.cols if c.name == nm and c.hidden is not True]
                    if not lq or not rq:
                        raise UndefinedColumn(f'column "{nm}" specified in USING clause does not exist in '
                                              f'{"left" if not lq else "right"} table')
                    conds.append((step.cols.index(lq[0]), len(step.cols) + right.cols.index(rq[0])))
                lkeys = [plan.col_fn(i) for i, _ in conds]
                nl = len(step.cols)
                rkeys = [plan.col_fn(k - nl) for _, k in conds]
                new_cols = list(step.cols) + [
                    ColInfo(c.qual, c.name, c.oid, c.typmod, hidden=c.hidden, table_oid=c.table_oid, attnum=c.attnum)
                    for c in right.cols]
                for _, k in conds:
                    new_cols[k].hidden = "using"  # type: ignore[assignment]
                text = " AND ".join(f"{nm.name}" for nm in using)
                jn = plan.Join(step, right, kind, lkeys, rkeys, None, text)
                jn.cols = new_cols
                if kind in ("right", "full"):
                    # merged USING column: coalesce(left, right)
                    jn2 = _UsingCoalesce(jn, conds)
                    step = jn2
                else:
                    step = jn
                continue
            if on is None:
                if kind != "cross" and kind != "inner":
                    raise SyntaxError_("syntax error: JOIN requires ON or USING")
                step = plan.Join(step, right, "cross", [], [], None, "")
                continue
            comp = Compiler(scope, self, self.params)
            comp.clause = "JOIN conditions"  # type: ignore[attr-defined]
            lkeys, rkeys, residual = self._equi(on, comp, len(step.cols))
            kept = residual
            if kind != "full":
                step, right, kept = self._on_below(step, right, kind, on, residual, scope, group, parent)
            res_fn = comp.predicate(_and_all(kept)) if kept else None
            shown = [c for c in conjuncts(on) if not any(c is m for m in residual) or any(c is k for k in kept)]
            step = plan.Join(step, right, kind, lkeys, rkeys, res_fn,
                             _and_all(shown).sql(dialect=DIALECT) if shown else "")
        if joins and where is not None:
            step = self._where_through_joins(step, group, done, where.this, parent)
        return step

    def _where_through_joins(self, step: plan.Step, group: plan.Step, group_done: set[str], where: exp.Expression,
                             parent: Scope | None) -> plan.Step:
        """Outer-join reduction and pushdown of WHERE conjuncts into the explicit joins' inputs
        (:mod:`engine.sql.join_pushdown`); the conjuncts applied below are marked for _select to skip."""

        scope = Scope(step.cols, parent=parent, query=self.qi())
        done = join_pushdown.rewrite(step, group, conjuncts(where), scope,
                                     functools.partial(self._attach, parent=parent, clause="WHERE"), group_done)
        if done:
            step._where_done = done  # type: ignore[attr-defined]  (_select skips these WHERE conjuncts)
        return step

    def _attach(self, child: plan.Step, conj: list[exp.Expression], parent: Scope | None, clause: str) -> plan.Step:
        """``child`` filtered by ``conj`` (index access or a columnar filter when it is a table scan)."""
        comp = Compiler(Scope(child.cols, parent=parent, query=self.qi()), self, self.params)
        comp.clause = clause  # type: ignore[attr-defined]
        return pushdown(child, _and_all(conj), comp)

    def _on_below(self, left: plan.Step, right: plan.Step, kind: str, on: exp.Expression,
                  residual: list[exp.Expression], scope: Scope, group: plan.Step,
                  parent: Scope | None) -> tuple[plan.Step, plan.Step, list[exp.Expression]]:
        """ON conjuncts (not equi-keys) on one input that the join does not preserve filter that input before the
        join; strict ON conjuncts reduce the outer joins inside such an input. Returns (left, right, kept)."""
        nl = len(left.cols)
        strict = [join_pushdown.nonnull_columns(c, scope) for c in conjuncts(on)]
        lnn = [{i for i in nn if i < nl} for nn in strict] if kind in ("inner", "right") else []
        rnn = [{i - nl for i in nn if i >= nl} for nn in strict] if kind in ("inner", "left") else []
        while any([join_pushdown.reduce_below(left, group, nn) for nn in lnn]
                  + [join_pushdown.reduce_below(right, None, nn) for nn in rnn]):
            pass  # a reduced join lets the other conjuncts reach further
        to_left, to_right, kept = [], [], []
        for c in residual:
            cols = join_pushdown.movable_columns(c, scope)
            if cols and max(cols) < nl and kind in ("inner", "right"):
                to_left.append(c)
            elif cols and min(cols) >= nl and kind in ("inner", "left"):
                to_right.append(c)
            else:
                kept.append(c)
        attach = functools.partial(self._attach, parent=parent, clause="JOIN conditions")
        if to_right:
            right = attach(right, to_right)
        if to_left:
            lscope = Scope(left.cols, parent=parent, query=self.qi())
            done = join_pushdown.rewrite(left, group, to_left, lscope, attach, set())
            rest = [c for c in to_left if c.sql(dialect=DIALECT) not in done]
            if rest:
                left = attach(left, rest)
        return left, right, kept

    def _comma_join(self, steps: list[plan.Step], where: exp.Expression | None, parent: Scope | None) -> plan.Step:
        conj = [c for c in conjuncts(where)] if where is not None else []
        owner: list[int] = []
        for k, st_ in enumerate(steps):
            owner += [k] * len(st_.cols)
        full = Scope([c for st_ in steps for c in st_.cols], parent=parent, query=QueryInfo())

        def items_of(e: exp.Expression) -> set[int] | None:
            if any(isinstance(n, (exp.Subquery, exp.Select, exp.Exists, exp.Window)) or is_aggregate(n)
                   for n in e.walk()):
                return None
            out: set[int] = set()
            for c in e.find_all(exp.Column):
                if isinstance(c.this, exp.Star):
                    return None
                try:
                    d, i, _ = full.resolve(c.table or None, c.name)
                except Exception:  # noqa: BLE001 - unresolvable here: leave it to the WHERE filter
                    return None
                if d == 0:
                    out.add(owner[i])  # outer references are constants for one execution
            return out

        info = [(c, items_of(c)) for c in conj]
        consumed: set[str] = set()  # conjuncts applied exactly below (pushed to an item, or equal-type join keys)
        # push single-item conjuncts down (index access for table scans)
        def has_outer(e: exp.Expression) -> bool:
            for c in e.find_all(exp.Column):
                try:
                    if full.resolve(c.table or None, c.name)[0] > 0:
                        return True
                except Exception:  # noqa: BLE001
                    return True
            return False

        for k in range(len(steps)):
            # a conjunct without columns goes to the first item, unless volatile (evaluated per joined row)
            mine = [c for c, its in info if its == {k} or (its == set() and k == 0 and not join_pushdown.volatile(c))]
            if mine:
                comp = Compiler(Scope(steps[k].cols, parent=parent, query=self.qi()), self, self.params)
                pure = plan._pure(steps[k]) and not any(has_outer(c) for c in mine)
                steps[k] = pushdown(steps[k], _and_all(mine), comp)
                consumed.update(c.sql(dialect=DIALECT) for c in mine)
                if pure and isinstance(steps[k], plan.Filter) and plan._pure(steps[k].child):
                    steps[k]._pure = True  # type: ignore[attr-defined]
        equi = []
        for c, its in info:
            if isinstance(c, exp.EQ) and its is not None and len(its) == 2:
                a, b = items_of(c.this), items_of(c.expression)
                if a and b and len(a) == 1 and len(b) == 1 and a != b:
                    equi.append((c, next(iter(a)), next(iter(b))))
        done = [0]
        current = steps[0]
        remaining = list(range(1, len(steps)))
        while remaining:
            pick = next((k for k in remaining if any((x in done and y == k) or (y in done and x == k)
                                                     for _, x, y in equi)), remaining[0])
            remaining.remove(pick)
            right = steps[pick]
            lscope = Scope(current.cols, parent=parent, query=self.qi())
            rscope = Scope(right.cols, parent=parent, query=self.qi())
            lc, rc = Compiler(lscope, self, self.params), Compiler(rscope, self, self.params)
            lkeys, rkeys, texts = [], [], []
            for c, x, y in equi:
                if (x in done and y == pick) or (y in done and x == pick):
                    le, re_ = (c.this, c.expression) if x in done else (c.expression, c.this)
                    a, b = lc.compile(le), rc.compile(re_)
                    if family(a.oid) != family(b.oid) and T.UNKNOWN not in (a.oid, b.oid):
                        continue  # leave mismatched types to the WHERE filter (it reports the error)
                    if a.oid == T.UNKNOWN:
                        a = lc.cast_ce(a, b.oid)
                    if b.oid == T.UNKNOWN:
                        b = rc.cast_ce(b, a.oid)
                    lkeys.append(a.fn)
                    rkeys.append(b.fn)
                    texts.append(c.sql(dialect=DIALECT))
                    if a.oid == b.oid and a.oid in _EXACT_KEYS:  # hash equality is SQL's = for these
                        consumed.add(c.sql(dialect=DIALECT))
            current = plan.Join(current, right, "inner" if lkeys else "cross", lkeys, rkeys, None,
                                " AND ".join(texts))
            done.append(pick)
        current._consumed = consumed  # type: ignore[attr-defined]
        if done == sorted(done):
            return current
        # restore the FROM order of the columns
        offsets = {}
        pos = 0
        for k in done:
            offsets[k] = pos
            pos += len(steps[k].cols)
        perm = [offsets[k] + i for k in range(len(steps)) for i in range(len(steps[k].cols))]
        cols = [c for st_ in steps for c in st_.cols]
        out = _Permute(current, perm, cols)
        out._consumed = consumed  # type: ignore[attr-defined]
        return out

    def _lateral(self, left: plan.Step, j: exp.Join, parent: Scope | None) -> plan.Step:
        """``[CROSS|LEFT] JOIN LATERAL (subquery) alias [ON …]``: the subquery runs once per left row."""
        lat = j.this
        sub = lat.this
        if not isinstance(sub, exp.Subquery):
            raise FeatureNotSupported("LATERAL is only supported on subqueries")
        alias_node = lat.args.get("alias")
        alias = alias_node.name if alias_node is not None and alias_node.name else "unnamed_subquery"
        colnames = [c.name for c in alias_node.columns] if alias_node is not None and alias_node.columns else []
        lscope = Scope(left.cols, parent=parent, query=self.qi())
        qi = QueryInfo()
        self.qstack.append(qi)
        try:
            inner = self.query(sub.this, lscope)
        finally:
            self.qstack.pop()
        rcols = self._rename(inner.cols, alias, colnames)
        side = (j.args.get("side") or "").lower()
        kind = "left" if side == "left" else "inner"
        if side in ("right", "full"):
            raise FeatureNotSupported(f"{side.upper()} JOIN LATERAL is not supported")
        pred = None
        on = j.args.get("on")
        if on is not None:
            comp = Compiler(Scope(left.cols + rcols, parent=parent, query=self.qi()), self, self.params)
            pred = comp.predicate(on)
        return _LateralJoin(left, inner, kind, pred, left.cols + rcols)

    def _equi(self, on: exp.Expression, comp: Compiler, nleft: int) -> tuple[list[Any], list[Any], list[exp.Expression]]:
        lkeys: list[Any] = []
        rkeys: list[Any] = []
        residual: list[exp.Expression] = []
        for c in conjuncts(on):
            if isinstance(c, exp.EQ):
                a_side = _side(c.this, comp.scope, nleft)
                b_side = _side(c.expression, comp.scope, nleft)
                if a_side and b_side and a_side != b_side and "both" not in (a_side, b_side):
                    a, b = comp.coerce_pair(c.this, c.expression, "=")
                    l_ce, r_ce = (a, b) if a_side == "left" else (b, a)
                    lkeys.append(l_ce.fn)
                    rf = r_ce.fn
                    nl = nleft
                    rk = lambda r, st, rf=rf, nl=nl: rf((None,) * nl + r, st)
                    if getattr(rf, "_col", None) is not None:
                        rk._col = rf._col - nl  # type: ignore[attr-defined]  (a plain right column)
                    rkeys.append(rk)
                    continue
            residual.append(c)
        return lkeys, rkeys, residual

    # ---- VALUES
    def values(self, node: exp.Values, parent: Scope | None) -> plan.Step:
        comp = Compiler(Scope([], parent=parent, query=self.qi()), self, self.params)
        rows = [list(t.expressions) if isinstance(t, exp.Tuple) else [t] for t in node.expressions]
        width = len(rows[0])
        if any(len(r) != width for r in rows):
            raise SyntaxError_("VALUES lists must all be the same length")
        compiled = [[comp.compile(e) for e in r] for r in rows]
        cols = []
        for i in range(width):
            t = common_type([r[i].oid for r in compiled], "VALUES")
            if all(r[i].oid == T.UNKNOWN for r in compiled):
                t = T.TEXT
            for r in compiled:
                if r[i].oid != t and not (family(r[i].oid) == "num" and family(t) == "num" and False):
                    r[i] = comp.cast_ce(r[i], t)
            cols.append(ColInfo("*VALUES*", f"column{i + 1}", t))
        return plan.Values(cols, [[c.fn for c in r] for r in compiled])

    # ---- set operations
    def setop(self, node: exp.SetOperation, parent: Scope | None) -> plan.Step:
        pushed = self._with(node, parent)
        try:
            left = self.query(node.this, parent)
            right = self.query(node.expression, parent)
            op = {exp.Union: "union", exp.Intersect: "intersect", exp.Except: "except"}[type(node)]
            if len(left.cols) != len(right.cols):
                raise SyntaxError_(f"each {op.upper()} query must have the same number of columns")
            cols, lcast, rcast = [], [], []
            comp = Compiler(Scope([]), self, self.params)
            need_l = need_r = False
            for i, (a, b) in enumerate(zip(left.cols, right.cols, strict=True)):
                t = common_type([a.oid, b.oid], op.upper())
                cols.append(ColInfo(None, a.name, t, a.typmod if a.oid == t else -1))
                lce = comp.cast_ce(CE(lambda r, st, i=i: r[i], a.oid), t) if a.oid != t else CE(lambda r, st, i=i: r[i], t)
                rce = comp.cast_ce(CE(lambda r, st, i=i: r[i], b.oid), t) if b.oid != t else CE(lambda r, st, i=i: r[i], t)
                need_l |= a.oid != t
                need_r |= b.oid != t
                lcast.append(lce.fn)
                rcast.append(rce.fn)
            step: plan.Step = plan.SetOp(op, not node.args.get("distinct", True), left, right, cols,
                                         lcast if need_l else None, rcast if need_r else None)
            return self._order_limit_outer(node, step, parent)
        finally:
            if pushed:
                self.ctes.pop()

    def _modifiers_outer(self, node: exp.Expression, step: plan.Step, parent: Scope | None) -> plan.Step:
        return self._order_limit_outer(node, step, parent)

    def _order_limit_outer(self, node: exp.Expression, step: plan.Step, parent: Scope | None) -> plan.Step:
        order = node.args.get("order")
        scope = Scope([ColInfo(None, c.name, c.oid, c.typmod) for c in step.cols], parent=parent, query=self.qi())
        if order is not None:
            comp = Compiler(scope, self, self.params)
            keys = []
            for o in order.expressions:
                e = o.this
                if isinstance(e, exp.Literal) and not e.is_string:
                    k = int(e.this) - 1
                    if not 0 <= k < len(step.cols):
                        raise InvalidColumnReference(f"ORDER BY position {k + 1} is not in select list")
                    fn = lambda r, st, k=k: r[k]
                else:
                    fn = comp.compile(e).fn
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                keys.append((fn, desc, bool(nf) if nf is not None else desc))
            step = plan.Sort(step, keys, ", ".join(o.sql(dialect=DIALECT) for o in order.expressions))
        return self._limit(node, step, parent, [k[0] for k in keys] if order is not None else None)

    def _limit(self, node: exp.Expression, step: plan.Step, parent: Scope | None,
               order_keys: list[Any] | None = None) -> plan.Step:
        """LIMIT/OFFSET/FETCH; ``order_keys`` (the ORDER BY values of a row) serve FETCH … WITH TIES."""
        lim = node.args.get("limit")
        off = node.args.get("offset")
        if lim is None and off is None:
            return step
        comp = Compiler(Scope([], parent=parent, query=self.qi()), self, self.params)

        def count(e: exp.Expression | None) -> Any:
            if e is None:
                return None
            if isinstance(e, exp.Fetch):  # FETCH FIRST [n] ROW[S] ONLY
                opts = e.args.get("limit_options")
                if opts is not None and opts.args.get("percent"):
                    raise FeatureNotSupported("FETCH FIRST … PERCENT is not supported")
                x = e.args.get("count") or exp.Literal.number(1)
            else:
                x = e.args.get("expression") if isinstance(e, (exp.Limit, exp.Offset)) else e
            if x is None:
                x = e.this
            if isinstance(x, exp.Null) or (isinstance(x, exp.Var) and x.name.upper() == "ALL"):
                return None  # LIMIT ALL / LIMIT NULL
            ce = comp.compile(x, T.INT8)
            if ce.oid == T.UNKNOWN:
                ce = comp.cast_ce(ce, T.INT8)
            if family(ce.oid) != "num":
                raise DatatypeMismatch("argument of LIMIT must be type bigint")
            f = ce.fn
            if ce.oid not in INTS:
                from engine.sql.compiler import do_cast
                src = ce.oid
                return lambda r, st: None if (v := f(r, st)) is None else do_cast(v, src, T.INT8)
            return f

        opts = lim.args.get("limit_options") if isinstance(lim, exp.Fetch) else None
        if opts is not None and opts.args.get("with_ties"):
            if not order_keys:
                raise SyntaxError_("WITH TIES cannot be specified without ORDER BY clause")
            return _LimitTies(step, count(lim), count(off), order_keys)
        return plan.Limit(step, count(lim), count(off))

    # ---- SELECT
    def select(self, sel: exp.Select, parent: Scope | None) -> plan.Step:
        pushed = self._with(sel, parent)
        try:
            return self._select(sel, parent)
        finally:
            if pushed:
                self.ctes.pop()

    def _select(self, sel: exp.Select, parent: Scope | None) -> plan.Step:
        if sel.args.get("into"):
            raise FeatureNotSupported("SELECT INTO is not supported")
        step = self.joins(sel, parent)
        if sel.args.get("locks"):  # FOR UPDATE/SHARE: single-writer store, nothing to lock; PostgreSQL's 42809
            from engine.sql.wrong_object import check_locks

            check_locks(step)
        scope = Scope(step.cols, parent=parent, query=self.qi())
        comp = Compiler(scope, self, self.params)
        where = sel.args.get("where")
        if where is not None:
            comp.clause = "WHERE"  # type: ignore[attr-defined]
            _no_aggs(where.this, "WHERE")
            done = getattr(step, "_where_done", None)
            rest_w = [c for c in conjuncts(where.this) if c.sql(dialect=DIALECT) not in done] if done else None
            if rest_w is None:
                step = pushdown(step, where.this, comp)
            elif rest_w:
                step = pushdown(step, _and_all(rest_w), comp)
        # expand the select list
        items: list[tuple[exp.Expression, str | None]] = []
        for e in sel.expressions:
            if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)):
                q = e.table if isinstance(e, exp.Column) else None
                got = False
                for i, c in enumerate(scope.cols):
                    if c.hidden is True or (c.hidden in ("using", "qualonly") and q is None) or (q and c.qual != q):
                        continue
                    col = exp.Column(this=exp.to_identifier(c.name, quoted=True),
                                     table=exp.to_identifier(c.qual, quoted=True) if c.qual else None)
                    col._rem_index = i  # type: ignore[attr-defined]
                    items.append((col, None))
                    got = True
                if q and not got and q not in scope.quals():
                    raise UndefinedTable(f'missing FROM-clause entry for table "{q}"')
                continue
            if isinstance(e, exp.Alias):
                items.append((e.this, e.alias))
            else:
                items.append((e, None))
        if not sel.expressions:
            raise SyntaxError_("syntax error at end of input")
        group = sel.args.get("group")
        having = sel.args.get("having")
        order = sel.args.get("order")
        distinct = sel.args.get("distinct")
        windows_named = {w.name: w for w in (sel.args.get("windows") or [])}
        aggs_found = [n for e, _ in items for n in _find_aggs(e)]
        if having is not None:
            aggs_found += _find_aggs(having.this)
        if order is not None:
            aggs_found += [n for o in order.expressions for n in _find_aggs(o.this)]
        aliases = {a: i for i, (_, a) in enumerate(items) if a}
        grouped = group is not None or bool(aggs_found) or having is not None
        out_scope = scope
        if grouped:
            step, out_scope = self._aggregate(step, scope, comp, group, aggs_found, items, aliases)
        # windows
        wins = [n for e, _ in items for n in _find_windows(e)]
        if order is not None:
            wins += [n for o in order.expressions for n in _find_windows(o.this)]
        if wins:
            step, out_scope = self._windows(step, out_scope, wins, windows_named)
        srfs = [n for e, _ in items for n in _find_srfs(e)]
        if srfs:
            step, out_scope = self._project_set(step, out_scope, srfs)
        ocomp = Compiler(out_scope, self, self.params)
        ocomp.clause = "SELECT"  # type: ignore[attr-defined]
        if having is not None:
            step = plan.Filter(step, ocomp.predicate(having.this), having.this.sql(dialect=DIALECT))
        vector_ordered = False  # a VectorTopK below returns the rows in ORDER BY order: no Sort above it
        if order is not None and not grouped and not wins and not srfs and distinct is None:
            step = self._vector_topk(step, scope, order, sel, parent)
            vector_ordered = bool(getattr(step, "ordered", False))
        # project
        ces: list[CE] = []
        cols: list[ColInfo] = []
        for e, alias in items:
            idx = getattr(e, "_rem_index", None)
            if idx is not None and not out_scope.replacements:
                c = scope.cols[idx]
                ce = CE(plan.col_fn(idx), c.oid, c.typmod, c.name, 2)
            else:
                ce = ocomp.compile(e)
            name = alias if alias is not None else ce.name
            oid = ce.oid  # unknown literals stay unknown until a set operation or the client resolves them
            src = _source_col(e, scope) if not grouped or out_scope.replacements else None
            cols.append(ColInfo(None, name, oid, ce.typmod, table_oid=src.table_oid if src else 0,
                                attnum=src.attnum if src else 0, fields=ce.fields))
            ces.append(ce)
        # ORDER BY: output names/positions first, then input expressions (extra hidden columns)
        sort_keys: list[tuple[int, bool, bool]] = []
        extra: list[CE] = []
        if order is not None and not vector_ordered:
            for o in order.expressions:
                e = o.this
                k: int | None = None
                if isinstance(e, exp.Literal) and not e.is_string:
                    k = int(e.this) - 1
                    if not 0 <= k < len(items):
                        raise InvalidColumnReference(f"ORDER BY position {k + 1} is not in select list")
                elif isinstance(e, exp.Column) and not e.table and e.name in aliases:
                    k = aliases[e.name]
                else:
                    k = _match_item(e, items, scope)
                if k is None:
                    if distinct is not None and not distinct.args.get("on"):
                        raise InvalidColumnReference("for SELECT DISTINCT, ORDER BY expressions must appear in select list")
                    extra.append(ocomp.compile(e))
                    k = len(items) + len(extra) - 1
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                sort_keys.append((k, desc, bool(nf) if nf is not None else desc))
        order_keys_all = list(sort_keys)  # FETCH … WITH TIES compares rows on these
        fns = [c.fn for c in ces] + [c.fn for c in extra]
        all_cols = cols + [ColInfo(None, "?sort?", c.oid) for c in extra]
        step = plan.Project(step, fns, all_cols)
        if distinct is not None:
            on = distinct.args.get("on")
            if on is not None:
                on_exprs = on.expressions if isinstance(on, exp.Tuple) else [on]
                on_fns = []
                for oe in on_exprs:
                    k = None
                    if isinstance(oe, exp.Literal) and not oe.is_string:
                        k = int(oe.this) - 1
                    elif isinstance(oe, exp.Column) and not oe.table and oe.name in aliases:
                        k = aliases[oe.name]
                    else:
                        for i, (ie, _) in enumerate(items):
                            if ie.sql(dialect=DIALECT) == oe.sql(dialect=DIALECT):
                                k = i
                    if k is None and order is not None:  # an ORDER BY expression (computed as a hidden column)
                        for j, o in enumerate(order.expressions):
                            if o.this.sql(dialect=DIALECT) == oe.sql(dialect=DIALECT):
                                k = order_keys_all[j][0]
                                break
                    if k is None:
                        raise FeatureNotSupported("DISTINCT ON expressions must appear in the select list or "
                                                  "ORDER BY here")
                    on_fns.append(lambda r, st, k=k: r[k])
                if sort_keys:
                    step = plan.Sort(step, [(plan.col_fn(k), d, nf) for k, d, nf in sort_keys],
                                     ", ".join(o.sql(dialect=DIALECT) for o in order.expressions))
                    sort_keys = []
                step = plan.Distinct(step, on_fns)
            else:
                step = plan.Distinct(step)
        if sort_keys:
            assert order is not None
            step = plan.Sort(step, [(plan.col_fn(k), d, nf) for k, d, nf in sort_keys],
                             ", ".join(o.sql(dialect=DIALECT) for o in order.expressions))
        step = self._limit(sel, step, parent, [(lambda r, st, k=k: r[k]) for k, _, _ in order_keys_all])
        if extra:
            n = len(cols)
            step = _Strip(step, n, cols)
        else:
            step.cols = cols if not isinstance(step, plan.Project) else step.cols
            if not isinstance(step, plan.Project):
                step = _Relabel(step, cols)
        return step

    def _aggregate(self, step: plan.Step, scope: Scope, comp: Compiler, group: exp.Group | None,
                   aggs_found: list[exp.Expression], items: list[tuple[exp.Expression, str | None]],
                   aliases: dict[str, int]) -> tuple[plan.Step, Scope]:
        comp.clause = "GROUP BY"  # type: ignore[attr-defined]

        def resolve(g: exp.Expression) -> exp.Expression:
            if isinstance(g, exp.Literal) and not g.is_string:
                k = int(g.this) - 1
                if not 0 <= k < len(items):
                    raise InvalidColumnReference(f"GROUP BY position {k + 1} is not in select list")
                return items[k][0]
            if isinstance(g, exp.Column) and not g.table and g.name in aliases and not scope.lookup(None, g.name):
                return items[aliases[g.name]][0]
            return g

        gexprs: list[exp.Expression] = []
        sets: list[list[exp.Expression]] | None = None  # GROUPING SETS / ROLLUP / CUBE, expanded
        if group is not None:
            if any(isinstance(g, (exp.Rollup, exp.Cube, exp.GroupingSets)) for g in group.expressions):
                sets = [[resolve(e) for e in gs] for gs in _grouping_sets(group.expressions)]
                texts: dict[str, exp.Expression] = {}
                for gs in sets:
                    for e in gs:
                        texts.setdefault(e.sql(dialect=DIALECT), e)
                gexprs = list(texts.values())
            else:
                gexprs = [resolve(g) for g in group.expressions]
        gces = [comp.compile(g) for g in gexprs]
        out_cols: list[ColInfo] = []
        reps: dict[Any, tuple[int, int, int]] = {}
        for i, (g, ce) in enumerate(zip(gexprs, gces, strict=True)):
            oid = ce.oid if ce.oid != T.UNKNOWN else T.TEXT
            out_cols.append(ColInfo(None, ce.name, oid, ce.typmod))
            reps.setdefault(comp.expr_key(g), (i, oid, ce.typmod))
        calls: list[plan.AggCall] = []
        seen: dict[str, int] = {}
        for a in aggs_found:
            key = a.sql(dialect=DIALECT)
            if key in seen:
                continue
            call, rt = self._agg_call(a, comp)
            seen[key] = len(gexprs) + len(calls)
            calls.append(call)
            out_cols.append(ColInfo(None, func_name(a.this if isinstance(a, exp.Filter) else a) or "agg", rt))
            reps[("expr", key)] = (seen[key], rt, -1)
        # GROUPING(a, …): a bit per argument, set when the row's grouping set does not group by it
        sel = group.parent if group is not None else None
        gnodes: dict[str, exp.Expression] = {}
        for root in [e for e, _ in items] + ([sel.args["having"].this] if sel is not None and sel.args.get("having")
                                              else []) + ([o.this for o in sel.args["order"].expressions]
                                                          if sel is not None and sel.args.get("order") else []):
            for n in walk_level(root):
                if isinstance(n, exp.Grouping):
                    gnodes.setdefault(n.sql(dialect=DIALECT), n)
        nbase = len(out_cols)
        for key in gnodes:
            reps[("expr", key)] = (len(out_cols), T.INT4, -1)
            out_cols.append(ColInfo(None, "grouping", T.INT4))
        agg_scope = Scope(out_cols, parent=scope.parent, query=scope.query, replacements=reps, grouped=True,
                          input_scope=scope)
        key_text = ", ".join(g.sql(dialect=DIALECT) for g in gexprs)
        if sets is None and not gnodes:
            return plan.Aggregate(step, [c.fn for c in gces], calls, out_cols, group is not None, key_text), agg_scope
        gtexts = [g.sql(dialect=DIALECT) for g in gexprs]
        parts: list[plan.Step] = []
        ngk = len(gexprs)
        for gs in (sets if sets is not None else [gexprs]):
            in_set = {e.sql(dialect=DIALECT) for e in gs}
            pos = [i for i, t in enumerate(gtexts) if t in in_set]  # the keys this set groups by
            agg: plan.Step = plan.Aggregate(step, [gces[i].fn for i in pos], calls,
                                            [out_cols[i] for i in pos] + out_cols[ngk:nbase],
                                            bool(pos) or sets is None, ", ".join(gtexts[i] for i in pos))
            where = {i: k for k, i in enumerate(pos)}
            consts = []
            for n in gnodes.values():
                args = [resolve(a).sql(dialect=DIALECT) for a in n.expressions]
                if any(a not in gtexts for a in args):
                    from engine.errors import GroupingError as _GE
                    raise _GE("arguments to GROUPING must be grouping expressions of the associated query level")
                consts.append(sum(1 << (len(args) - 1 - j) for j, a in enumerate(args) if a not in in_set))
            fns: list[Any] = [(lambda r, st, k=where[i]: r[k]) if i in where else (lambda r, st: None)
                              for i in range(ngk)]
            fns += [(lambda r, st, k=k: r[k]) for k in range(len(pos), len(pos) + nbase - ngk)]
            fns += [(lambda r, st, v=v: v) for v in consts]
            parts.append(plan.Project(agg, fns, out_cols))
        return (parts[0] if len(parts) == 1 else _Concat(parts, out_cols)), agg_scope

    def _agg_call(self, node: exp.Expression, comp: Compiler) -> tuple[plan.AggCall, int]:
        filt = None
        if isinstance(node, exp.Filter):
            w = node.expression
            filt = comp.predicate(w.this if isinstance(w, exp.Where) else w)
            node = node.this
        if isinstance(node, exp.WithinGroup):
            return self._ordered_set_call(node, comp, filt)
        name = func_name(node) or ""
        if name == "every":
            name = "bool_and"
        star = False
        distinct = False
        order = None
        args: list[exp.Expression]
        this = node.args.get("this")
        if isinstance(node, exp.Count) and (this is None or isinstance(this, exp.Star)):
            star = True
            args = []
        elif isinstance(node, exp.GroupConcat):
            inner = node.this
            if isinstance(inner, exp.Order):
                order = inner
                inner = inner.this
            if isinstance(inner, exp.Distinct):
                distinct = True
                inner = inner.expressions[0]
            sep = node.args.get("separator")
            if isinstance(sep, exp.Order):
                order = sep
                sep = sep.this
            args = [inner, sep if sep is not None else exp.Literal.string("")]
        elif isinstance(node, exp.Anonymous):
            args = list(node.expressions)
            if args and isinstance(args[-1], exp.Order):  # f(x ORDER BY …)
                order = args[-1]
                args[-1] = order.this
            if args and isinstance(args[0], exp.Distinct):
                distinct = True
                args = list(args[0].expressions) + args[1:]
        else:
            if isinstance(this, exp.Order):
                order = this
                this = this.this
            if isinstance(this, exp.Distinct):
                distinct = True
                rest = list(this.expressions)
                args = rest
            else:
                args = [this] if this is not None else []
                args += [e for e in node.args.get("expressions") or [] if e is not None]
                if isinstance(node.args.get("expression"), exp.Expression):  # two-argument nodes (jsonb_object_agg)
                    args.append(node.args["expression"])
        for a in args:
            _no_aggs(a, "aggregate function calls", nested=True)
        ces = [comp.compile(a) for a in args]
        if name in ("sum", "avg") and ces and ces[0].oid == T.UNKNOWN:
            from engine.errors import AmbiguousFunction
            raise AmbiguousFunction(f"function {name}(unknown) is not unique",
                                    hint="Could not choose a best candidate function. You might need to add "
                                         "explicit type casts.")
        if name == "string_agg":
            ces = [comp.cast_ce(c, T.TEXT) if c.oid == T.UNKNOWN else c for c in ces]
        from engine.sql import stat_aggregates

        stat = stat_aggregates.make(name, [c.oid for c in ces])
        agg = stat if stat is not None else aggregates.make(name, [c.oid for c in ces], distinct)
        okeys = None
        if order is not None:
            okeys = []
            for o in order.expressions:
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                okeys.append((comp.compile(o.this).fn, desc, bool(nf) if nf is not None else desc))
        return plan.AggCall(agg, [c.fn for c in ces], distinct, filt, okeys, star), agg.rt

    def _ordered_set_call(self, node: exp.WithinGroup, comp: Compiler, filt: Any) -> tuple[plan.AggCall, int]:
        """``percentile_cont(f) / percentile_disc(f) / mode() WITHIN GROUP (ORDER BY x)`` (engine.sql.ordered_set)."""
        from engine.sql import ordered_set

        name = func_name(node) or ""
        order = node.expression
        if name not in ordered_set.NAMES or not isinstance(order, exp.Order) or len(order.expressions) != 1:
            raise FeatureNotSupported(f"ordered-set aggregate {name or node.sql(dialect=DIALECT)[:40]} is not supported")
        o = order.expressions[0]
        _no_aggs(o.this, "aggregate function calls", nested=True)
        ce = comp.compile(o.this)
        frac = None
        if name != "mode":
            fce = comp.compile(node.this.this, T.FLOAT8)
            if not fce.const:
                raise FeatureNotSupported(f"{name}() with a non-constant fraction is not supported")
            frac = fce.value
        agg = ordered_set.make(name, frac, ce.oid)
        desc = bool(o.args.get("desc"))
        nf = o.args.get("nulls_first")
        okeys = [(ce.fn, desc, bool(nf) if nf is not None else desc)]
        return plan.AggCall(agg, [ce.fn], False, filt, okeys, False), agg.rt

    def _vector_topk(self, step: plan.Step, scope: Scope, order: exp.Order, sel: exp.Select,
                     parent: Scope | None) -> plan.Step:
        """``ORDER BY vec <op> q LIMIT k`` on one table: nearest neighbours from the vector index (pgvector's
        index scan), restricted to the rows WHERE admits; the exact path remains when there is no index. With
        that one ORDER BY key, the step returns its rows ordered (``ordered``) and no Sort goes above it."""
        from engine.sql.dialect import CosineDistance, NegInnerProduct

        scan = step.child if isinstance(step, plan.Filter) else step
        if not isinstance(scan, plan.Scan) or not isinstance(sel.args.get("limit"), exp.Limit):
            return step
        first = order.expressions[0]
        e = first.this
        if isinstance(e, exp.Column) and not e.table:  # ORDER BY an output alias of the distance
            for item in sel.expressions:
                if isinstance(item, exp.Alias) and item.alias == e.name:
                    e = item.this
                    break
        metric = {CosineDistance: "cosine", NegInnerProduct: "ip", exp.Distance: "l2"}.get(type(e))
        if metric is None or first.args.get("desc") or first.args.get("nulls_first"):
            return step
        a, b = e.this, e.expression
        if not isinstance(a, exp.Column):
            a, b = b, a
        if not isinstance(a, exp.Column) or any(isinstance(n, exp.Column) for n in b.walk()):
            return step
        try:
            d, idx, ci = scope.resolve(a.table or None, a.name)
        except Exception:  # noqa: BLE001
            return step
        if d != 0 or ci.oid != T.VECTOR:
            return step
        comp = Compiler(Scope([], parent=parent, query=self.qi()), self, self.params)
        q = comp.compile(b, T.VECTOR)
        q = comp.cast_ce(q, T.VECTOR) if q.oid != T.VECTOR else q
        lim = sel.args["limit"]
        lim_e = lim.args.get("expression") or lim.this
        off = sel.args.get("offset")
        k_ce = comp.compile(lim_e, T.INT8)
        off_ce = comp.compile(off.args.get("expression") or off.this, T.INT8) if off is not None else None
        key = Compiler(scope, self, self.params).compile(e).fn if len(order.expressions) == 1 else None
        from engine.vector.sqlscan import VectorTopK

        return VectorTopK(step, scan, scan.names[idx], metric, q.fn, k_ce.fn,
                          off_ce.fn if off_ce is not None else None, key, sel)

    def _project_set(self, step: plan.Step, scope: Scope, srfs: list[exp.Expression]) -> tuple[plan.Step, Scope]:
        """Set-returning functions in the select list: one output row per element (PostgreSQL 10+ zipping)."""
        from engine.functions import lookup as flookup

        comp = Compiler(scope, self, self.params)
        reps = dict(scope.replacements or {})
        cols = list(scope.cols)
        gens: list[Any] = []
        seen: set[str] = set()
        for node in srfs:
            key = node.sql(dialect=DIALECT)
            if key in seen:
                continue
            seen.add(key)
            field = None
            if isinstance(node, exp.Dot):
                field = node.expression.name
                node = _unschema(node.this.this)
            name = func_name(node) or "unnest"
            args = list(node.expressions) if isinstance(node, (exp.Unnest,)) else func_args(node)
            ces = [comp.compile(a) for a in args]
            if name == "unnest":
                ce0 = ces[0] if ces[0].oid != T.UNKNOWN else comp.cast_ce(ces[0], T.array_of(T.TEXT))
                f0 = ce0.fn
                oid = T.element_of(ce0.oid) or T.TEXT

                def gen(r: Any, st: ExecState, f0: Any = f0) -> list[Any]:
                    v = f0(r, st)
                    if v is None:
                        return []
                    out: list[Any] = []
                    stack = [v]
                    while stack:  # multi-dimensional arrays unnest in row-major order
                        x = stack.pop(0)
                        if isinstance(x, list):
                            stack[0:0] = x
                        else:
                            out.append(x)
                    return out
            elif name == "generate_series":
                ces2, gcols, g = _generate_series(ces, name)
                fns = [c.fn for c in ces2]
                oid = gcols[0].oid

                def gen(r: Any, st: ExecState, fns: Any = fns, g: Any = g) -> list[Any]:
                    vals = [f(r, st) for f in fns]
                    if any(v is None for v in vals):
                        return []
                    return [t[0] for t in g(vals)]
            else:
                fds = [f for f in flookup(name) if f.set_returning]
                if not fds:
                    raise FeatureNotSupported(f"function {name}() is not a set-returning function")
                fd, ces = _srf_overload(comp, name, ces, fds)
                fns = [c.fn for c in ces]
                ocols = fd.columns or ((name, T.TEXT),)
                oid = ocols[0][1] if len(ocols) == 1 else T.RECORD
                pick = None
                if field is not None:
                    names_ = [c[0] for c in ocols]
                    if field not in names_:
                        raise UndefinedColumn(f'column "{field}" not found in data type record')
                    pick = names_.index(field)
                    oid = ocols[pick][1]
                impl, needs_ctx = fd.impl, fd.needs_ctx

                def gen(r: Any, st: ExecState, fns: Any = fns, impl: Any = impl, needs_ctx: bool = needs_ctx,
                        single: bool = len(ocols) == 1, strict: bool = fd.strict, pick: Any = pick) -> list[Any]:
                    vals = [f(r, st) for f in fns]
                    if strict and any(v is None for v in vals):
                        return []
                    res = impl(st.ctx, *vals) if needs_ctx else impl(*vals)
                    out = []
                    for x in res:
                        if pick is not None:
                            out.append(x[pick])
                            continue
                        t = tuple(x) if isinstance(x, (tuple, list)) and not single else x
                        out.append(t[0] if single and isinstance(t, tuple) else t)
                    return out
            reps[("expr", key)] = (len(cols), oid, -1)
            rec_fields = tuple(ocols) if name not in ("unnest", "generate_series") and oid == T.RECORD else None
            cols.append(ColInfo(None, field or name, oid, fields=rec_fields))
            gens.append(gen)
        new_scope = Scope(cols, parent=scope.parent, query=scope.query, replacements=reps,
                          grouped=scope.grouped, input_scope=scope.input_scope or scope)
        if not scope.grouped:
            new_scope.input_scope = scope
        return _ProjectSet(step, gens, cols), new_scope

    def _windows(self, step: plan.Step, scope: Scope, wins: list[exp.Window],
                 named: dict[str, exp.Window]) -> tuple[plan.Step, Scope]:
        comp = Compiler(scope, self, self.params)
        calls = []
        reps = dict(scope.replacements or {})
        cols = list(scope.cols)
        seen: set[str] = set()
        for w in wins:
            key = w.sql(dialect=DIALECT)
            if key in seen:
                continue
            seen.add(key)
            call = WinCall(comp, w, named)
            reps[("expr", key)] = (len(cols), call.rt, -1)
            cols.append(ColInfo(None, call.name, call.rt))
            calls.append(call)
        new_scope = Scope(cols, parent=scope.parent, query=scope.query, replacements=reps,
                          grouped=scope.grouped, input_scope=scope.input_scope or scope)
        if not scope.grouped:
            # bare columns still resolve to the input row (window output extends it)
            new_scope.input_scope = scope
            new_scope.grouped = False
        return WindowStep(step, calls, cols), new_scope


class _Strip(plan.Step):
    """Drops the trailing sort-only columns."""

    label = "Result"

    def __init__(self, child: plan.Step, n: int, cols: list[ColInfo]) -> None:
        self.child, self.n, self.cols = child, n, cols

    def explain(self, depth: int = 0) -> list[str]:
        return self.child.explain(depth)

    def run(self, st: ExecState, limit: int | None = None) -> list[plan.Row]:
        n = self.n
        return [r[:n] for r in self.child.run(st, limit)]


class _Concat(plan.Step):
    """The rows of several steps one after the other (one aggregate per grouping set)."""

    label = "Append"

    def __init__(self, parts: list[plan.Step], cols: list[ColInfo]) -> None:
        self.parts, self.cols = parts, cols

    def children(self) -> list[plan.Step]:
        return list(self.parts)

    def run(self, st: ExecState, limit: int | None = None) -> list[plan.Row]:
        return [r for p in self.parts for r in p.run(st)]


def _grouping_sets(exprs: list[exp.Expression]) -> list[list[exp.Expression]]:
    """GROUP BY items expanded to their grouping sets: the cross product of each item's alternatives."""
    def items_of(e: exp.Expression) -> list[exp.Expression]:
        if isinstance(e, exp.Tuple):
            return list(e.expressions)
        if isinstance(e, exp.Paren):
            return items_of(e.this)
        return [e]

    def alternatives(g: exp.Expression) -> list[list[exp.Expression]]:
        if isinstance(g, exp.Rollup):
            groups = [items_of(e) for e in g.expressions]
            return [[x for grp in groups[:k] for x in grp] for k in range(len(groups), -1, -1)]
        if isinstance(g, exp.Cube):
            groups = [items_of(e) for e in g.expressions]
            out = []
            for mask in range(2 ** len(groups) - 1, -1, -1):
                out.append([x for i, grp in enumerate(groups) if mask >> (len(groups) - 1 - i) & 1 for x in grp])
            return out
        if isinstance(g, exp.GroupingSets):
            out = []
            for e in g.expressions:
                if isinstance(e, (exp.Rollup, exp.Cube, exp.GroupingSets)):
                    out += alternatives(e)
                else:
                    out.append(items_of(e))
            return out
        return [[g]]

    sets: list[list[exp.Expression]] = [[]]
    for g in exprs:
        sets = [a + b for a in sets for b in alternatives(g)]
    if len(sets) > 4096:
        raise FeatureNotSupported("too many grouping sets (at most 4096)")
    return sets


class _LimitTies(plan.Step):
    """``OFFSET m FETCH FIRST n ROWS WITH TIES``: the n rows plus the following peers of the last one."""

    label = "Limit"

    def __init__(self, child: plan.Step, count: Any, offset: Any, keys: list[Any]) -> None:
        self.child, self.count, self.offset, self.keys = child, count, offset, keys
        self.cols = child.cols

    def children(self) -> list[plan.Step]:
        return [self.child]

    def run(self, st: ExecState, limit: int | None = None) -> list[plan.Row]:
        from engine.errors import error

        n = self.count((), st) if self.count else None
        off = (self.offset((), st) if self.offset else 0) or 0
        if n is not None and n < 0:
            raise error("2201W", "FETCH FIRST must not be negative")
        if off < 0:
            raise error("2201X", "OFFSET must not be negative")
        rows = self.child.run(st)
        if n is None:
            return rows[off:]
        out = rows[off: off + n]
        if out and n > 0:
            def key(r: plan.Row) -> tuple[Any, ...]:
                return tuple(f(r, st) for f in self.keys)
            last = key(out[-1])
            j = off + n
            while j < len(rows) and key(rows[j]) == last:
                out.append(rows[j])
                j += 1
        return out


class _LateralJoin(plan.Step):
    label = "Nested Loop"

    def __init__(self, left: plan.Step, right: plan.Step, kind: str, pred: Any, cols: list[ColInfo]) -> None:
        self.left, self.right, self.kind, self.pred, self.cols = left, right, kind, pred, cols

    def children(self) -> list[plan.Step]:
        return [self.left, self.right]

    def run(self, st: ExecState, limit: int | None = None) -> list[plan.Row]:
        out = []
        rnull = (None,) * len(self.right.cols)
        for lrow in self.left.run(st):
            st.outer.append(lrow)
            try:
                rrows = self.right.run(st)
            finally:
                st.outer.pop()
            matched = False
            for rrow in rrows:
                row = lrow + rrow
                if self.pred is None or self.pred(row, st):
                    out.append(row)
                    matched = True
            if not matched and self.kind == "left":
                out.append(lrow + rnull)
        return out


class _ProjectSet(plan.Step):
    label = "ProjectSet"

    def __init__(self, child: plan.Step, gens: list[Any], cols: list[ColInfo]) -> None:
        self.child, self.gens, self.cols = child, gens, cols

    def children(self) -> list[plan.Step]:
        return [self.child]

    def run(self, st: ExecState, limit: int | None = None) -> list[plan.Row]:
        out = []
        for r in self.child.run(st):
            lists = [g(r, st) for g in self.gens]
            n = max((len(x) for x in lists), default=0)
            for i in range(n):
                out.append(r + tuple(x[i] if i < len(x) else None for x in lists))
        return out


def _srf_overload(comp: Compiler, name: str, ces: list[CE], fds: list[Any]) -> tuple[Any, list[CE]]:
    """The overload of a set-returning function for its argument types, with the arguments cast to it
    (``jsonb_each('{"a":1}')``: the unknown literal becomes jsonb)."""
    from engine.errors import UndefinedFunction
    from engine.sql.compiler import resolve_function

    try:
        fd, want = resolve_function(name, [c.oid for c in ces])
    except UndefinedFunction:
        return fds[0], ces
    if not fd.set_returning:
        return fds[0], ces
    return fd, [comp.cast_ce(c, o) if o not in (0, c.oid) else c for c, o in zip(ces, want, strict=False)]


def _find_srfs(e: exp.Expression) -> list[exp.Expression]:
    from engine.functions import lookup as flookup

    def is_srf(n: exp.Expression) -> bool:
        if isinstance(n, (exp.Explode, exp.Unnest, exp.ExplodingGenerateSeries, exp.GenerateSeries)):
            return True
        return isinstance(n, exp.Anonymous) and any(f.set_returning for f in flookup(str(n.this).lower()))

    out = []
    stack = [e]
    while stack:
        n = stack.pop()
        if isinstance(n, (exp.Subquery, exp.Select, exp.SetOperation)):
            continue
        if isinstance(n, exp.Dot) and isinstance(n.this, exp.Paren) and is_srf(_unschema(n.this.this)):
            out.append(n)  # (f(x)).field
            continue
        if is_srf(n):
            out.append(n)
            continue
        stack.extend(reversed(list(n.iter_expressions())))
    return out


def _unschema(n: exp.Expression) -> exp.Expression:
    if isinstance(n, exp.Dot) and isinstance(n.expression, exp.Func):
        return n.expression
    return n


class _Ordinality(plan.Step):
    """``f(...) WITH ORDINALITY``: a 1-based row number after the function's columns."""

    label = "Function Scan"

    def __init__(self, child: plan.Step, cols: list[ColInfo]) -> None:
        self.child, self.cols = child, cols

    def run(self, st: ExecState, limit: int | None = None) -> list[plan.Row]:
        return [r + (i,) for i, r in enumerate(self.child.run(st), 1)]


class _Permute(plan.Step):
    """Reorders the columns of joined rows back to the FROM clause's order."""

    def __init__(self, child: plan.Step, perm: list[int], cols: list[ColInfo]) -> None:
        self.child, self.perm, self.cols = child, perm, cols

    def explain(self, depth: int = 0) -> list[str]:
        return self.child.explain(depth)

    def run(self, st: ExecState, limit: int | None = None) -> list[plan.Row]:
        from operator import itemgetter

        get = itemgetter(*self.perm)
        return [get(r) for r in self.child.run(st)]


class _Relabel(plan.Step):
    def __init__(self, child: plan.Step, cols: list[ColInfo]) -> None:
        self.child, self.cols = child, cols

    def explain(self, depth: int = 0) -> list[str]:
        return self.child.explain(depth)

    def run(self, st: ExecState, limit: int | None = None) -> list[plan.Row]:
        return self.child.run(st, limit)


class _UsingCoalesce(plan.Step):
    """RIGHT/FULL JOIN … USING: the merged column (unqualified ``x``) is coalesce(left, right), inserted where the
    left column was; the left and right columns keep their own values for ``a.x`` / ``b.x``."""

    def __init__(self, child: plan.Join, conds: list[tuple[int, int]]) -> None:
        self.child = child
        self.conds = sorted(conds, reverse=True)  # insert from the right so earlier positions stay valid
        cols = list(child.cols)
        for li, _ in self.conds:
            c = cols[li]
            cols[li] = ColInfo(c.qual, c.name, c.oid, c.typmod, hidden="qualonly",  # type: ignore[arg-type]
                               table_oid=c.table_oid, attnum=c.attnum)
            cols.insert(li, ColInfo(None, c.name, c.oid, c.typmod))
        self.cols = cols

    def explain(self, depth: int = 0) -> list[str]:
        return self.child.explain(depth)

    def run(self, st: ExecState, limit: int | None = None) -> list[plan.Row]:
        out = []
        conds = self.conds
        for r in self.child.run(st):
            lst = list(r)
            for li, ri in conds:
                lst.insert(li, r[li] if r[li] is not None else r[ri])
            out.append(tuple(lst))
        return out


def _generate_series(ces: list[CE], alias: str) -> tuple[list[CE], list[ColInfo], Callable[[list[Any]], list[Any]]]:
    from engine.errors import InvalidParameterValue
    from engine.sql.sqltypes import numeric_result

    if len(ces) not in (2, 3):
        from engine.errors import UndefinedFunction
        raise UndefinedFunction("function generate_series() does not exist")
    oids = [c.oid for c in ces]
    if any(o in (T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE) for o in oids) or (oids[0] == T.UNKNOWN and len(ces) == 3
                                                                           and oids[2] in (T.INTERVAL, T.UNKNOWN)
                                                                           and oids[1] == T.UNKNOWN and False):
        comp = Compiler(Scope([]), None, {})
        t = T.TIMESTAMPTZ if T.TIMESTAMPTZ in oids or T.DATE in oids else T.TIMESTAMP
        ces = [comp.cast_ce(ces[0], t), comp.cast_ce(ces[1], t)] + ([comp.cast_ce(ces[2], T.INTERVAL)] if len(ces) == 3 else [])
        add = comp._builtin_datetime(t, "+", T.INTERVAL)
        assert add is not None
        addf = add[0]

        def gen_ts(vals: list[Any]) -> list[Any]:
            a, b, step = vals[0], vals[1], vals[2] if len(vals) > 2 else None
            if step is None:
                raise InvalidParameterValue("step size cannot equal zero")
            out, cur = [], a
            pos = (step.months, step.days, step.microseconds) > (0, 0, 0)
            while (cur <= b) if pos else (cur >= b):
                out.append((cur,))
                cur = addf(cur, step)
                if len(out) > 10_000_000:
                    break
            return out
        return ces, [ColInfo(alias, alias, t)], gen_ts
    comp = Compiler(Scope([]), None, {})
    t = T.INT4
    for o in oids:
        t = numeric_result(t, o if o != T.UNKNOWN else T.INT4)
    ces = [comp.cast_ce(c, t) if c.oid != t else c for c in ces]

    def gen(vals: list[Any]) -> list[Any]:
        a, b = vals[0], vals[1]
        step = vals[2] if len(vals) > 2 else 1
        if step == 0:
            raise InvalidParameterValue("step size cannot equal zero")
        if t in INTS:
            return [(i,) for i in range(a, b + (1 if step > 0 else -1), step)]
        out, cur = [], a
        while (cur <= b) if step > 0 else (cur >= b):
            out.append((cur,))
            cur += step
        return out

    return ces, [ColInfo(alias, alias, t)], gen


def _match_item(e: exp.Expression, items: list[tuple[exp.Expression, str | None]], scope: Scope) -> int | None:
    """The select-list position computing the same value as ``e`` (same SQL, or the same resolved column)."""
    key = e.sql(dialect=DIALECT)
    for i, (ie, _) in enumerate(items):
        if ie.sql(dialect=DIALECT) == key:
            return i
    if isinstance(e, exp.Column) and not isinstance(e.this, exp.Star):
        try:
            target = scope.resolve(e.table or None, e.name)[:2]
        except Exception:  # noqa: BLE001
            return None
        for i, (ie, _) in enumerate(items):
            if isinstance(ie, exp.Column) and not isinstance(ie.this, exp.Star):
                idx = getattr(ie, "_rem_index", None)
                got = (0, idx) if idx is not None else None
                if got is None:
                    try:
                        got = scope.resolve(ie.table or None, ie.name)[:2]
                    except Exception:  # noqa: BLE001
                        continue
                if got == target:
                    return i
    return None


def _source_col(e: exp.Expression, scope: Scope) -> ColInfo | None:
    if isinstance(e, exp.Column) and not isinstance(e.this, exp.Star):
        try:
            d, i, c = scope.resolve(e.table or None, e.name)
        except Exception:  # noqa: BLE001
            return None
        return c if d == 0 else None
    return None


# join key types whose Python equality (the hash join's) is exactly SQL's = (no NaN, padding or collation cases)
_EXACT_KEYS = frozenset((T.INT2, T.INT4, T.INT8, T.TEXT, T.VARCHAR, T.NAME, T.NUMERIC, T.DATE, T.TIMESTAMP,
                         T.TIMESTAMPTZ, T.BOOL, T.UUID))


def _and_all(es: list[exp.Expression]) -> exp.Expression:
    out = es[0]
    for e in es[1:]:
        out = exp.And(this=out, expression=e)
    return out


def _side(e: exp.Expression, scope: Scope, nleft: int) -> str | None:
    """'left', 'right', 'both' or None (outer refs / constants) for the columns an expression uses."""
    sides = set()
    for c in e.find_all(exp.Column):
        if isinstance(c.this, exp.Star):
            return "both"
        try:
            d, i, _ = scope.resolve(c.table or None, c.name)
        except Exception:  # noqa: BLE001
            return "both"
        if d > 0:
            return "both"
        sides.add("left" if i < nleft else "right")
    if any(isinstance(n, (exp.Subquery, exp.Select, exp.Exists)) for n in e.walk()):
        return "both"
    if len(sides) == 1:
        return sides.pop()
    return "both" if sides else None


def _find_aggs(e: exp.Expression) -> list[exp.Expression]:
    out = []
    stack = [e]
    while stack:
        n = stack.pop()
        if isinstance(n, (exp.Subquery, exp.Select, exp.SetOperation)):
            continue
        if isinstance(n, exp.Window):
            # the window function itself is not an aggregate of this level, but its arguments may be
            for a in n.this.iter_expressions() if not isinstance(n.this, exp.Filter) else n.this.this.iter_expressions():
                stack.append(a)
            for p in n.args.get("partition_by") or []:
                stack.append(p)
            if n.args.get("order"):
                stack.append(n.args["order"])
            continue
        if is_aggregate(n):
            out.append(n)
            continue
        stack.extend(n.iter_expressions())
    out.reverse()
    return out


def _find_windows(e: exp.Expression) -> list[exp.Window]:
    return [n for n in walk_level(e) if isinstance(n, exp.Window)]


def _no_aggs(e: exp.Expression, where: str, nested: bool = False) -> None:
    for n in walk_level(e):
        if isinstance(n, exp.Window):
            from engine.errors import WindowingError
            raise WindowingError(f"window functions are not allowed in {where}")
        if is_aggregate(n):
            if nested:
                raise GroupingError("aggregate function calls cannot be nested")
            raise GroupingError(f"aggregate functions are not allowed in {where}")


def _references(e: exp.Expression, name: str) -> bool:
    return any(t.name == name and not t.db for t in e.find_all(exp.Table))


def _any_outer(step: plan.Step) -> bool:
    return bool(getattr(step, "_correlated", False))


def pushdown(step: plan.Step, where: exp.Expression, comp: Compiler) -> plan.Step:
    """WHERE on a plain table scan: equality/IN/range conjuncts on key or indexed columns become index access."""
    if isinstance(step, plan.SubqueryScan):  # safe conjuncts move into a FROM subquery/view (subquery_pushdown)
        step, rest = subquery_pushdown.push(step, where, comp)
        if rest is None:
            return step
        where = rest
    pred = comp.predicate(where)
    text = where.sql(dialect=DIALECT)
    if isinstance(step, plan.Scan):
        td = step.table
        indexed = _indexed_columns(td)
        best: tuple[Any, ...] | None = None
        best_text = ""
        lo_hi: dict[str, dict[str, Any]] = {}
        conj: list[exp.Expression] = []
        for c in conjuncts(where):
            if isinstance(c, exp.Between) and not c.args.get("symmetric") and not c.args.get("negate"):
                conj.append(exp.GTE(this=c.this, expression=c.args["low"]))
                conj.append(exp.LTE(this=c.this, expression=c.args["high"]))
            else:
                conj.append(c)
        for c in conj:
            col, other, op = _col_vs_const(c, step)
            if col is None or col not in indexed:
                continue
            if op == "=":
                ce = comp.compile(other, _col_oid(step, col))
                ce = comp.cast_ce(ce, _col_oid(step, col)) if ce.oid != _col_oid(step, col) and family(ce.oid) != "num" else ce
                cand = ("lookup", col, [ce.fn])
                if best is None or best[0] != "lookup" or col == "id":
                    best, best_text = cand, c.sql(dialect=DIALECT)
            elif op == "in":
                assert isinstance(other, list)
                fns = []
                for o in other:
                    ce = comp.compile(o, _col_oid(step, col))
                    if ce.oid != _col_oid(step, col) and family(ce.oid) != "num":
                        ce = comp.cast_ce(ce, _col_oid(step, col))
                    fns.append(ce.fn)
                if best is None or best[0] != "lookup":
                    best, best_text = ("lookup", col, fns), c.sql(dialect=DIALECT)
            elif op in ("<", "<=", ">", ">="):
                ce = comp.compile(other, _col_oid(step, col))
                if ce.oid != _col_oid(step, col) and family(ce.oid) != "num":
                    ce = comp.cast_ce(ce, _col_oid(step, col))
                d = lo_hi.setdefault(col, {})
                if op in (">", ">="):
                    d["lo"], d["loinc"] = ce.fn, op == ">="
                else:
                    d["hi"], d["hiinc"] = ce.fn, op == "<="
                d.setdefault("text", []).append(c.sql(dialect=DIALECT))
        if best is None and lo_hi:
            col, d = next(iter(lo_hi.items()))
            best = ("range", col, d.get("lo"), d.get("hi"), d.get("loinc", True), d.get("hiinc", True))
            best_text = " AND ".join(d["text"])
        if best is not None:
            step.access = best
            step.access_text = f"({best_text})"
            return plan.Filter(step, pred, text)
        step.filter_text = text
        from engine.sql.columnar import vectorize
        return plan.Filter(step, pred, text, vectorize(where, step, comp))  # WHERE on Arrow when exact
    return plan.Filter(step, pred, text)


def _indexed_columns(td: Any) -> set[str]:
    cols = {"id"}
    if td.key_field:
        cols.add(td.key_field)
    if len(td.primary_key) == 1:
        cols.add(td.primary_key[0])
    for c in td.columns:
        if c.indexed:
            cols.add(c.name)
    for ix in td.indexes:
        if len(ix.columns) == 1 and ix.method == "btree":
            cols.add(ix.columns[0])
    return cols


def _col_oid(step: plan.Scan, col: str) -> int:
    for c in step.cols:
        if c.name == col:
            return c.oid
    return T.UNKNOWN


def _is_const(e: exp.Expression) -> bool:
    return not any(isinstance(n, (exp.Column, exp.Subquery, exp.Select, exp.Window)) or is_aggregate(n)
                   or isinstance(n, (exp.Rand, exp.Uuid)) for n in e.walk()) and not join_pushdown.volatile(e)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}
_OPS = {exp.EQ: "=", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}


def _col_vs_const(c: exp.Expression, step: plan.Scan) -> tuple[str | None, Any, str]:
    def colname(e: exp.Expression) -> str | None:
        if isinstance(e, exp.Column) and (not e.table or e.table == step.alias):
            for ci in step.cols:
                if ci.name == e.name:
                    return e.name
        return None

    if type(c) in _OPS:
        op = _OPS[type(c)]
        a, b = c.this, c.expression
        if isinstance(b, (exp.Any, exp.All)):
            return None, None, ""
        ca, cb = colname(a), colname(b)
        if ca and _is_const(b):
            return ca, b, op
        if cb and _is_const(a):
            return cb, a, _FLIP[op]
    if isinstance(c, exp.In) and not c.args.get("query") and not c.args.get("unnest"):
        ca = colname(c.this)
        if ca and all(_is_const(e) for e in c.expressions):
            return ca, list(c.expressions), "in"
    if isinstance(c, exp.Between):
        return None, None, ""
    return None, None, ""


__all__ = ["Env", "Planner", "pushdown", "table_cols", "const", "AGG_NODES"]
