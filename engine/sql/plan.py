"""Logical plan steps and their execution: each step yields a list of row tuples for its ``cols``.

Steps: OneRow, Values, Scan (with key/index pushdown), VirtualScan, FunctionScan, CteScan, SubqueryScan,
Filter, Project, Join, Aggregate, Window, Sort, Distinct, Limit, SetOp, RecursiveCte. ``explain()`` renders
the tree for EXPLAIN.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from engine.errors import CardinalityViolation, FeatureNotSupported
from engine.sql import arrow_agg, columnar, columnar_join, columnar_sort
from engine.sql.compiler import Fn
from engine.sql.scope import ColInfo, ExecState

Row = tuple[Any, ...]


class Step:
    """A plan node."""

    cols: list[ColInfo]
    label = "Step"

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        raise NotImplementedError

    def children(self) -> list[Step]:
        return []

    def detail(self) -> str:
        return ""

    def explain(self, depth: int = 0) -> list[str]:
        pad = "  " * depth
        arrow = "->  " if depth else ""
        d = self.detail()
        lines = [f"{pad}{arrow}{self.label}{(' ' + d) if d else ''}"]
        for c in self.children():
            lines.extend(c.explain(depth + 1))
        return lines


class OneRow(Step):
    label = "Result"

    def __init__(self) -> None:
        self.cols = []

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        return [()]


class Values(Step):
    label = "Values Scan"

    def __init__(self, cols: list[ColInfo], rows: list[list[Fn]]) -> None:
        self.cols = cols
        self.rows = rows

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        outer: Row = st.outer[-1] if st.outer else ()
        del outer
        return [tuple(f((), st) for f in r) for r in self.rows]


class Scan(Step):
    """A table scan, or an index/key lookup when ``access`` is set."""


    def __init__(self, table: Any, alias: str, cols: list[ColInfo], names: list[str]) -> None:
        self.table = table
        self.alias = alias
        self.cols = cols
        self.names = names
        self.access: tuple[Any, ...] | None = None  # ('lookup', col, [fn]) | ('range', col, lo, hi, loinc, hiinc)
        self.filter_text = ""

    def detail(self) -> str:
        t = self.table.name + (f" {self.alias}" if self.alias != self.table.name else "")
        if self.access is None:
            return f"on {t}"
        return f"using {self.access_index()} on {t}\n        Index Cond: {self.access_text}"

    access_text = ""

    def access_index(self) -> str:
        assert self.access is not None
        col = self.access[1]
        if col == "id" or col in self.table.primary_key or col == self.table.key_field:
            return f"{self.table.name}_pkey"
        return f"{self.table.name}_{col}_idx"

    @property
    def label(self) -> str:  # type: ignore[override]
        return "Seq Scan" if self.access is None else "Index Scan"

    def lookup_ids(self, st: ExecState) -> list[Any]:
        """The ids of the visible rows an ``('lookup', col, [fn])`` access admits: the distinct non-NULL values
        of its expressions (a list value counts element by element) looked up in the field index."""
        assert self.access is not None
        vals: list[Any] = []
        for f in self.access[2]:
            v = f((), st)
            if isinstance(v, list):
                vals.extend(x for x in v if x is not None)
            elif v is not None:
                vals.append(v)
        return st.ctx.txn.lookup(self.table, self.access[1], list(dict.fromkeys(vals))) if vals else []

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        txn = st.ctx.txn
        names = self.names
        if self.access is None:
            tuples = getattr(txn, "scan_tuples", None)
            if tuples is not None:  # no per-row dict copies
                out = tuples(self.table, names)
                st.ctx.check_interrupts()
                return out
            rows = list(txn.scan(self.table))
        elif self.access[0] == "lookup":
            ids = self.lookup_ids(st)
            rows = [r for r in getattr(txn, "get_shared", txn.get)(self.table, ids) if r is not None]
        else:
            _, col, lo, hi, loinc, hiinc = self.access
            lov = lo((), st) if lo else None
            hiv = hi((), st) if hi else None
            if (lo and lov is None) or (hi and hiv is None):
                return []
            ids = txn.range(self.table, col, lov, hiv, loinc, hiinc)
            rows = [r for r in getattr(txn, "get_shared", txn.get)(self.table, ids) if r is not None]
        st.ctx.check_interrupts()
        get = itemgetter(*names) if len(names) > 1 else None
        out = []
        try:
            if get is not None:
                out = [get(r) for r in rows]
            else:
                out = [(r[names[0]],) for r in rows]
        except KeyError:  # a row written before a column existed
            out = [tuple(r.get(k) for k in names) for r in (rows if isinstance(rows, list) else [])] \
                if isinstance(rows, list) else self.run(st)
        st.ctx.check_interrupts()
        return out


class VirtualScan(Step):
    label = "Function Scan"

    def __init__(self, vt: Any, alias: str, cols: list[ColInfo]) -> None:
        self.vt = vt
        self.alias = alias
        self.cols = cols

    def detail(self) -> str:
        return f"on {self.vt.name}"

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        key = ("vt", self.vt.schema, self.vt.name)  # catalog rows are fixed within one statement
        rows = st.cache.get(key)  # type: ignore[call-overload]
        if rows is None:
            rows = [tuple(r) for r in self.vt.rows(st.ctx)]
            st.cache[key] = rows  # type: ignore[index]
        return rows


class FunctionScan(Step):
    """A set-returning function in FROM (generate_series, unnest, …)."""

    label = "Function Scan"

    def __init__(self, name: str, cols: list[ColInfo], gen: Callable[[ExecState], list[Row]],
                 batch: Callable[[ExecState], Any] | None = None) -> None:
        self.name = name
        self.cols = cols
        self.gen = gen
        self.batch = batch  # the function's own row sequence (may offer ``project``), when it returns one

    def detail(self) -> str:
        return f"on {self.name}"

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        return self.gen(st)


class CteScan(Step):
    label = "CTE Scan"

    def __init__(self, name: str, cte: Step, cols: list[ColInfo]) -> None:
        self.name = name
        self.cte = cte
        self.cols = cols

    def detail(self) -> str:
        return f"on {self.name}"

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        key = id(self.cte)
        if key not in st.ctes:
            st.ctes[key] = self.cte.run(st)
        return st.ctes[key]


class WorkTableScan(Step):
    """The recursive reference inside a recursive CTE: reads the current working table."""

    label = "WorkTable Scan"

    def __init__(self, name: str, cols: list[ColInfo]) -> None:
        self.name = name
        self.cols = cols
        self.key = id(self)

    def detail(self) -> str:
        return f"on {self.name}"

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        return st.ctes.get(self.key, [])


class RecursiveCte(Step):
    label = "Recursive Union"

    def __init__(self, base: Step, rec: Step, work: WorkTableScan, union_all: bool, cols: list[ColInfo]) -> None:
        self.base, self.rec, self.work, self.union_all, self.cols = base, rec, work, union_all, cols

    def children(self) -> list[Step]:
        return [self.base, self.rec]

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        seen: set[Row] = set()
        out: list[Row] = []

        def admit(rows: list[Row]) -> list[Row]:
            if self.union_all:
                return rows
            new = []
            for r in rows:
                k = _hashable(r)
                if k not in seen:
                    seen.add(k)
                    new.append(r)
            return new

        work = admit(self.base.run(st))
        out.extend(work)
        n = 0
        while work:
            st.ctx.check_interrupts()
            st.ctes[self.work.key] = work
            _clear_cte_caches(self.rec, st)
            work = admit(self.rec.run(st))
            out.extend(work)
            n += 1
            if len(out) > 50_000_000:
                raise FeatureNotSupported("recursive query produced too many rows")
        st.ctes.pop(self.work.key, None)
        return out


def col_fn(k: int) -> Fn:
    """``row[k]`` as a row function that steps recognise as a plain column (``_col``, as the compiler marks one)."""
    f: Fn = lambda r, st: r[k]
    f._col = k  # type: ignore[attr-defined]
    return f


def _clear_cte_caches(step: Step, st: ExecState) -> None:
    for k in [k for k in st.cache if not (isinstance(k, tuple) and k and k[0] in ("vt", "hash"))]:
        del st.cache[k]


def _pure(step: Step) -> bool:
    """True when a step's rows cannot depend on outer rows (plain scans of tables or catalogs)."""
    if isinstance(step, VirtualScan) or getattr(step, "_pure", False):
        return True
    return isinstance(step, Scan) and step.access is None


def _flat(k: tuple[Any, ...]) -> bool:
    for v in k:
        if v.__class__ in (list, dict):
            return False
    return True


def _hashable(r: Row) -> Any:
    try:
        hash(r)
        return r
    except TypeError:
        return tuple(repr(v) for v in r)


class SubqueryScan(Step):
    label = "Subquery Scan"

    def __init__(self, child: Step, alias: str, cols: list[ColInfo]) -> None:
        self.child = child
        self.alias = alias
        self.cols = cols

    def detail(self) -> str:
        return f"on {self.alias}"

    def children(self) -> list[Step]:
        return [self.child]

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        return self.child.run(st)


class Filter(Step):
    label = "Filter"

    def __init__(self, child: Step, pred: Fn, text: str, vec: columnar.VecPred | None = None) -> None:
        self.child = child
        self.pred = pred
        self.text = text
        self.cols = child.cols
        self.vec = vec  # the predicate on Arrow (engine.sql.columnar), when it has an exact columnar form

    def detail(self) -> str:
        return f"({self.text})"

    def children(self) -> list[Step]:
        return [self.child]

    def explain(self, depth: int = 0) -> list[str]:
        if isinstance(self.child, Scan):
            lines = self.child.explain(depth)
            if self.child.access is None or self.child.access_text != f"({self.text})":
                lines.append("  " * depth + f"        Filter: ({self.text})")
            return lines
        return super().explain(depth)

    def columnar_scan(self) -> Scan | None:
        """The plain table scan this filter can run on Arrow (``vec``: the WHERE's columnar form), else None."""
        c = self.child
        if self.vec is not None and isinstance(c, Scan) and c.access is None:
            return c
        return None

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        scan = self.columnar_scan()
        if getattr(self, "_pure", False):
            key = ("vt", "filter", id(self))
            got = st.cache.get(key)  # type: ignore[call-overload]
            if got is None:
                p = self.pred
                got = columnar.filter_rows(scan, self.vec, st) if scan is not None else None
                if got is None:
                    got = [r for r in self.child.run(st) if p(r, st)]
                st.cache[key] = got  # type: ignore[index]
            return got
        if scan is not None:
            got = columnar.filter_rows(scan, self.vec, st, limit)
            if got is not None:
                return got
        p = self.pred
        out = []
        for r in self.child.run(st):
            if p(r, st):
                out.append(r)
                if limit is not None and len(out) >= limit:
                    break
        return out


class Project(Step):
    label = "Result"

    def __init__(self, child: Step, fns: list[Fn], cols: list[ColInfo]) -> None:
        self.child = child
        self.fns = fns
        self.cols = cols

    def children(self) -> list[Step]:
        return [self.child]

    def explain(self, depth: int = 0) -> list[str]:
        if isinstance(self.child, OneRow):
            return super().explain(depth)
        return self.child.explain(depth)

    def run_columns(self, st: ExecState) -> Any:
        """For the top of a statement: when this projection only picks columns of a function scan whose function
        returns a column batch (``project(positions)``), that batch projected (the wire layer may then encode it a
        whole column at a time, see engine.api.TextColumnRows); else None."""
        gen = getattr(self.child, "batch", None)
        if gen is None:
            return None
        picks = self.__dict__.get("_picks")  # the positions picked, found once per plan
        if picks is None:
            picks = self._picks = [getattr(f, "_col", None) for f in self.fns]
        if None in picks:
            return None
        rows = gen(st)
        project = getattr(rows, "project", None)
        if project is not None:
            return project(picks)
        return [tuple([r[i] for i in picks]) for r in rows]

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        fns = self.fns
        rows = self.child.run(st, limit)
        if len(fns) == 1:
            f = fns[0]
            return [(f(r, st),) for r in rows]
        return [tuple([f(r, st) for f in fns]) for r in rows]  # a list builds faster than a generator


class Join(Step):
    """Hash join on equality keys (when there are some), nested loop otherwise; inner/left/right/full/cross."""

    def __init__(self, left: Step, right: Step, kind: str, lkeys: list[Fn], rkeys: list[Fn],
                 residual: Fn | None, text: str) -> None:
        self.left, self.right, self.kind = left, right, kind
        self.lkeys, self.rkeys, self.residual, self.text = lkeys, rkeys, residual, text
        self.cols = left.cols + right.cols

    @property
    def label(self) -> str:  # type: ignore[override]
        algo = "Hash Join" if self.lkeys else "Nested Loop"
        k = {"inner": "", "cross": "", "left": " Left", "right": " Right", "full": " Full"}[self.kind]
        return algo + (k if algo == "Hash Join" else (k + " Join" if k else ""))

    def detail(self) -> str:
        arrow = "\n        Columnar: pyarrow hash join (Acero)" if columnar_join.join_shape(self) else ""
        return (f"\n        {'Hash Cond' if self.lkeys else 'Join Filter'}: ({self.text})" if self.text else "") + arrow

    def children(self) -> list[Step]:
        return [self.left, self.right]

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        got = columnar_join.joined_rows(self, st)
        if got is not None:
            return got
        left = self.left.run(st)
        right = self.right.run(st)
        nl, nr = len(self.left.cols), len(self.right.cols)
        lnull, rnull = (None,) * nl, (None,) * nr
        res = self.residual
        out: list[Row] = []
        rmatched = [False] * len(right) if self.kind in ("right", "full") else None
        if self.lkeys and self.kind in ("inner", "cross") and len(left) > len(right) and _pure(self.left):
            # probe a per-statement hash of the (large, outer-independent) left side with the right rows
            key = ("hash", id(self))
            ltable = st.cache.get(key)  # type: ignore[call-overload]
            if ltable is None:
                ltable = {}
                lk = self.lkeys
                for lrow in left:
                    k = tuple(f(lrow, st) for f in lk)
                    if None not in k:
                        ltable.setdefault(_hashable(k), []).append(lrow)
                st.cache[key] = ltable  # type: ignore[index]
            nl = len(self.left.cols)
            rk = self.rkeys
            for rrow in right:
                k = tuple(f(rrow, st) for f in rk)
                if None in k:
                    continue
                for lrow in ltable.get(_hashable(k), ()):
                    row = lrow + rrow
                    if res is None or res(row, st):
                        out.append(row)
            del nl
            return out
        if self.lkeys:
            table: dict[Any, list[int]] = {}
            rk = self.rkeys
            for j, r in enumerate(right):
                k = tuple(f(r, st) for f in rk)
                if None in k:
                    continue
                table.setdefault(_hashable(k), []).append(j)
            lk = self.lkeys
            for lrow in left:
                k = tuple(f(lrow, st) for f in lk)
                matched = False
                if None not in k:
                    for j in table.get(_hashable(k), ()):
                        row = lrow + right[j]
                        if res is None or res(row, st):
                            out.append(row)
                            matched = True
                            if rmatched is not None:
                                rmatched[j] = True
                if not matched and self.kind in ("left", "full"):
                    out.append(lrow + rnull)
        else:
            check = st.ctx.check_interrupts
            for i, lrow in enumerate(left):
                if i & 255 == 0:
                    check()
                matched = False
                for j, rrow in enumerate(right):
                    row = lrow + rrow
                    if res is None or res(row, st):
                        out.append(row)
                        matched = True
                        if rmatched is not None:
                            rmatched[j] = True
                if not matched and self.kind in ("left", "full"):
                    out.append(lrow + rnull)
        if rmatched is not None:
            out.extend(lnull + right[j] for j, m in enumerate(rmatched) if not m)
        return out


class Aggregate(Step):
    """GROUP BY keys then aggregates; output rows are (keys…, aggregate values…)."""

    def __init__(self, child: Step, keys: list[Fn], aggs: list[Any], cols: list[ColInfo], grouped: bool,
                 key_text: str) -> None:
        self.child, self.keys, self.aggs, self.cols, self.grouped = child, keys, aggs, cols, grouped
        self.key_text = key_text

    @property
    def label(self) -> str:  # type: ignore[override]
        return "HashAggregate" if self.grouped else "Aggregate"

    def detail(self) -> str:
        return f"\n        Group Key: {self.key_text}" if self.grouped and self.key_text else ""

    def children(self) -> list[Step]:
        return [self.child]

    def _spec(self) -> Any:
        spec = getattr(self, "_arrow", False)
        if spec is False:
            spec = self._arrow = arrow_agg.plan_spec(self.keys, self.aggs, self.child.cols)
        return spec

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        keys = self.keys
        aggs = self.aggs
        child = self.child
        scan = child.columnar_scan() if isinstance(child, Filter) else (
            child if isinstance(child, Scan) and child.access is None else None)
        if scan is not None and self._spec() is not None:  # scan → filter → aggregate, all on Arrow
            got = columnar.aggregate(scan, child.vec if isinstance(child, Filter) else None, self._spec(),
                                     child.cols, self.grouped, st)
            if got is not None:
                return got
        if isinstance(child, Join) and self._spec() is not None:  # join → aggregate on Arrow
            got = columnar_join.aggregate(child, self._spec(), child.cols, self.grouped, st)
            if got is not None:
                return got
        rows = child.run(st)
        groups: dict[Any, tuple[Row, list[Any]]] = {}
        if len(rows) >= arrow_agg.MIN_ROWS and (self.grouped or rows):
            spec = self._spec()
            if spec is not None:
                return arrow_agg.aggregate(rows, spec, self.child.cols, aggs)
        cols = [getattr(f, "_col", None) for f in keys]
        if all(c is not None for c in cols):
            keyget: Callable[[Row], Any] = itemgetter(*cols) if len(cols) > 1 else (
                (lambda r, i=cols[0]: (r[i],)) if cols else (lambda r: ()))
        else:
            keyget = lambda r: tuple(f(r, st) for f in keys)
        feeds = [a.fast_feed(st) for a in aggs]
        pairs = list(enumerate(feeds))
        for r in rows:
            k = keyget(r)
            g = groups.get(k) if k.__class__ is tuple and _flat(k) else None
            if g is None:
                hk = _hashable(k)
                g = groups.get(hk)
                if g is None:
                    g = (k, [a.start() for a in aggs])
                    groups[hk] = g
            states = g[1]
            for i, f in pairs:
                states[i] = f(states[i], r)
        if not groups and not self.grouped:
            groups[()] = ((), [a.start() for a in aggs])
        return [k + tuple(a.finish(s, st) for a, s in zip(aggs, states, strict=True))
                for k, states in groups.values()]


class AggCall:
    """One aggregate call: argument closures, DISTINCT, FILTER, ORDER BY inside the call."""

    def __init__(self, agg: Any, args: list[Fn], distinct: bool, filt: Fn | None,
                 order: list[tuple[Fn, bool, bool]] | None, star: bool) -> None:
        self.agg, self.args, self.distinct, self.filt, self.order, self.star = agg, args, distinct, filt, order, star

    def start(self) -> Any:
        return [] if (self.distinct or self.order) else self.agg.init()

    def fast_feed(self, st: ExecState) -> Callable[[Any, Row], Any]:
        """``feed`` specialised for the common shapes (count(*), one plain column argument)."""
        if self.distinct or self.order or self.filt is not None:
            return lambda s, r: self.feed(s, r, st)
        step = self.agg.step
        if self.star:
            if self.agg.name == "count":
                return lambda s, r: s + 1
            return lambda s, r: step(s, [])
        if len(self.args) == 1 and self.agg.strict:
            col = getattr(self.args[0], "_col", None)
            if col is not None:
                return lambda s, r: s if (v := r[col]) is None else step(s, [v])
            f = self.args[0]
            return lambda s, r: s if (v := f(r, st)) is None else step(s, [v])
        return lambda s, r: self.feed(s, r, st)

    def feed(self, state: Any, r: Row, st: ExecState) -> Any:
        if self.filt is not None and not self.filt(r, st):
            return state
        vals = [f(r, st) for f in self.args]
        if not self.star and self.agg.strict and any(v is None for v in vals):
            return state
        if self.distinct or self.order:
            keys = [f(r, st) for f, _, _ in self.order] if self.order else []
            state.append((vals, keys))
            return state
        return self.agg.step(state, vals)

    def finish(self, state: Any, st: ExecState) -> Any:
        if self.distinct or self.order:
            items = state
            if self.order:
                items = sort_rows(items, [(lambda it, st, i=i: it[1][i], d, nf)
                                          for i, (_, d, nf) in enumerate(self.order)], st)
            elif self.distinct:  # PostgreSQL sorts a DISTINCT aggregate's input
                items = sort_rows(items, [(lambda it, st, i=i: it[0][i], False, False)
                                          for i in range(len(self.args))], st)
            if self.distinct:
                seen = set()
                uniq = []
                for vals, keys in items:
                    k = _hashable(tuple(vals))
                    if k not in seen:
                        seen.add(k)
                        uniq.append((vals, keys))
                items = uniq
            s = self.agg.init()
            for vals, _ in items:
                s = self.agg.step(s, vals)
            return self.agg.final(s)
        return self.agg.final(state)


def sort_rows(rows: list[Any], keys: list[tuple[Fn, bool, bool]], st: ExecState) -> list[Any]:
    """Stable multi-key sort; ``keys`` are (value fn, descending, nulls_first)."""
    from engine.sql.ops import sort_key_value

    out = list(rows)
    for f, desc, nulls_first in reversed(keys):
        null_high = nulls_first == desc  # reverse=desc flips the flag order

        def k(r: Any, f: Fn = f, null_high: bool = null_high) -> Any:
            v = f(r, st)
            if v is None:
                return (1,) if null_high else (0,)
            return (0, sort_key_value(v)) if null_high else (1, sort_key_value(v))

        out.sort(key=k, reverse=desc)
    return out


class Sort(Step):
    label = "Sort"

    def __init__(self, child: Step, keys: list[tuple[Fn, bool, bool]], text: str) -> None:
        self.child, self.keys, self.text = child, keys, text
        self.cols = child.cols

    def detail(self) -> str:
        arrow = "\n        Columnar: pyarrow sort_indices / select_k" if columnar_sort.sort_shape(self) else ""
        return (f"\n        Sort Key: {self.text}" if self.text else "") + arrow

    def children(self) -> list[Step]:
        return [self.child]

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        got = columnar_sort.sorted_rows(self, st, limit)  # ``limit``: only the first rows are needed (top-k)
        if got is not None:
            return got
        return sort_rows(self.child.run(st), self.keys, st)


class Distinct(Step):
    label = "Unique"

    def __init__(self, child: Step, on: list[Fn] | None = None) -> None:
        self.child = child
        self.on = on
        self.cols = child.cols

    def children(self) -> list[Step]:
        return [self.child]

    def detail(self) -> str:
        return "\n        Columnar: pyarrow group_by" if columnar_sort.distinct_shape(self) else ""

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        got = columnar_sort.distinct_rows(self, st)
        if got is not None:
            return got
        seen: set[Any] = set()
        out = []
        for r in self.child.run(st):
            k = _hashable(r if self.on is None else tuple(f(r, st) for f in self.on))
            if k not in seen:
                seen.add(k)
                out.append(r)
        return out


class Limit(Step):
    label = "Limit"

    def __init__(self, child: Step, limit: Fn | None, offset: Fn | None) -> None:
        self.child, self.limit, self.offset = child, limit, offset
        self.cols = child.cols

    def children(self) -> list[Step]:
        return [self.child]

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        from engine.errors import error

        n = self.limit((), st) if self.limit else None
        off = self.offset((), st) if self.offset else 0
        off = off or 0
        if n is not None and n < 0:
            raise error("2201W", "LIMIT must not be negative")
        if off < 0:
            raise error("2201X", "OFFSET must not be negative")
        need = None if n is None else off + n
        rows = self.child.run(st, need if need is not None and isinstance(self.child, (Filter, Project, Sort)) else None)
        return rows[off: None if n is None else off + n]


class SetOp(Step):
    """UNION / INTERSECT / EXCEPT [ALL]."""

    def __init__(self, op: str, all_: bool, left: Step, right: Step, cols: list[ColInfo],
                 lcast: list[Fn] | None, rcast: list[Fn] | None) -> None:
        self.op, self.all, self.left, self.right, self.cols = op, all_, left, right, cols
        self.lcast, self.rcast = lcast, rcast

    @property
    def label(self) -> str:  # type: ignore[override]
        return {"union": "Append" if self.all else "HashAggregate", "intersect": "HashSetOp Intersect",
                "except": "HashSetOp Except"}[self.op] + (" All" if self.all and self.op != "union" else "")

    def children(self) -> list[Step]:
        return [self.left, self.right]

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        a = self.left.run(st)
        b = self.right.run(st)
        if self.lcast:
            a = [tuple(f(r, st) for f in self.lcast) for r in a]
        if self.rcast:
            b = [tuple(f(r, st) for f in self.rcast) for r in b]
        if self.op == "union":
            if self.all:
                return a + b
            seen: set[Any] = set()
            out = []
            for r in a + b:
                k = _hashable(r)
                if k not in seen:
                    seen.add(k)
                    out.append(r)
            return out
        from collections import Counter

        cb = Counter(_hashable(r) for r in b)
        out = []
        if self.op == "intersect":
            if self.all:
                for r in a:
                    k = _hashable(r)
                    if cb[k] > 0:
                        cb[k] -= 1
                        out.append(r)
                return out
            seen = set()
            for r in a:
                k = _hashable(r)
                if cb[k] > 0 and k not in seen:
                    seen.add(k)
                    out.append(r)
            return out
        if self.all:
            for r in a:
                k = _hashable(r)
                if cb[k] > 0:
                    cb[k] -= 1
                else:
                    out.append(r)
            return out
        seen = set()
        for r in a:
            k = _hashable(r)
            if cb[k] == 0 and k not in seen:
                seen.add(k)
                out.append(r)
        return out


class Materialized(Step):
    """Rows computed by someone else (RETURNING, FETCH)."""

    label = "Result"

    def __init__(self, cols: list[ColInfo], rows: list[Row]) -> None:
        self.cols = cols
        self.rows = rows

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        return self.rows


def one_value(rows: list[Row]) -> Any:
    if len(rows) > 1:
        raise CardinalityViolation("more than one row returned by a subquery used as an expression")
    return rows[0][0] if rows else None
