"""Columnar execution of a table scan's WHERE and GROUP BY on pyarrow.

:func:`vectorize` translates a WHERE clause over one table scan into a :class:`VecPred` when every part of it has
an exact pyarrow.compute image: comparisons of a column with a constant/parameter or with another column of the
same type, AND/OR/NOT (Kleene logic, as SQL), IN lists, BETWEEN, IS [NOT] NULL, LIKE, boolean columns. Anything
else (functions of columns, casts of columns, subqueries, outer references, ILIKE, bpchar, json…) leaves the WHERE
to the row path. Operand types come from the row compiler (:meth:`Compiler.coerce_pair`), so both paths compare
the same Python values; a runtime value without an exact Arrow image (a float against an integer column, a NaN)
raises :class:`Unavailable` and the statement takes the row path.

:func:`filter_rows` and :func:`aggregate` run a Filter/Aggregate over a plain table scan on the transaction's
:class:`engine.storage.columns.ColumnView`: the mask is computed in C++, only the matching rows are materialized
(rows for a Filter; groups for an Aggregate, through :mod:`engine.sql.arrow_agg`). Both return None when the
columnar path cannot serve the statement (table not in the row cache, small table, unavailable column); the caller
then runs the row path, which gives the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from operator import itemgetter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from engine import types as T
from engine.storage.columns import ColumnView, Unavailable, arrow_type

MIN_ROWS = 2000  # below this the row path is as fast
ENABLED = True  # tests switch the columnar path off to compare it with the row path
STATS = {"filter": 0, "aggregate": 0}  # statements served (tests check the path is taken)
Datum = Any  # a pyarrow Array or Scalar
Node = Callable[[dict[int, Datum], Any], Datum]

_CMP = {exp.EQ: "equal", exp.NEQ: "not_equal", exp.LT: "less", exp.LTE: "less_equal", exp.GT: "greater",
        exp.GTE: "greater_equal"}
_FLIP = {"equal": "equal", "not_equal": "not_equal", "less": "greater", "less_equal": "greater_equal",
         "greater": "less", "greater_equal": "less_equal"}
_CMP_SQL = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
# node types a constant side may contain: literals, parameters, casts, arithmetic, and the functions that are
# stable within a statement (a volatile one — random(), nextval(), clock_timestamp() — must run per row)
_CONST_NODES = tuple(getattr(exp, n) for n in (
    "Literal", "Null", "Boolean", "Parameter", "Placeholder", "Cast", "TryCast", "DataType", "DataTypeParam",
    "Neg", "Paren", "Add", "Sub", "Mul", "Div", "Interval", "Var", "Identifier", "CurrentDate",
    "CurrentTimestamp", "CurrentTime", "Localtimestamp", "Localtime", "DPipe") if hasattr(exp, n))
_NULL_BOOL = pa.scalar(None, pa.bool_())
_TEXT = (T.TEXT, T.VARCHAR, T.NAME)


class Skip(Exception):
    """Planning: this WHERE has no exact columnar form."""


class VecPred:
    """A WHERE clause as a tree of pyarrow.compute calls over the scan's columns."""

    def __init__(self, root: Node, cols: dict[int, tuple[str, int, int]]) -> None:
        self.root = root
        self.cols = cols  # scan column index → (row key, type oid, typmod)

    def mask(self, view: ColumnView, st: Any, arrays: dict[int, Datum] | None = None) -> pa.Array:
        """The boolean mask (NULL = not selected) over ``view``; :class:`Unavailable` when not servable."""
        if arrays is None:
            arrays = {}
        for i, (name, oid, typmod) in self.cols.items():
            if i not in arrays:
                arrays[i] = view.column(name, oid, typmod)
        try:
            m = self.root(arrays, st)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as e:
            raise Unavailable(str(e)) from None
        if isinstance(m, pa.Scalar):
            m = pa.repeat(m.as_py() if m.is_valid else None, view.n).cast(pa.bool_())
        if isinstance(m, pa.ChunkedArray):
            m = m.combine_chunks()
        return m


def _is_const(e: exp.Expression) -> bool:
    return all(type(n) in _CONST_NODES for n in e.walk())


def _strip(e: exp.Expression) -> exp.Expression:
    while isinstance(e, exp.Paren):
        e = e.this
    return e


# ------------------------------------------------------------------ runtime values → Arrow scalars
def _scalar(v: Any, typ: pa.DataType) -> pa.Scalar:
    """A constant as a scalar comparable exactly with a column of ``typ`` (Python comparison semantics)."""
    if v is None:
        return pa.scalar(None, typ)
    cls = v.__class__
    if pa.types.is_integer(typ):
        if cls is int:
            return pa.scalar(v, typ)
        if cls is Decimal and v.is_finite():
            return pa.scalar(v)
    elif pa.types.is_floating(typ):
        if (cls is float and v == v) or (cls is int and abs(v) <= 2 ** 53):  # NaN: SQL order, not IEEE
            return pa.scalar(float(v), typ)
    elif pa.types.is_decimal(typ):
        if cls is int:
            return pa.scalar(Decimal(v))
        if cls is Decimal and v.is_finite():
            return pa.scalar(v)
    elif pa.types.is_string(typ):
        if cls is str:
            return pa.scalar(v, typ)
    elif pa.types.is_boolean(typ):
        if cls is bool:
            return pa.scalar(v, typ)
    elif pa.types.is_date(typ):
        if cls is dt.date:
            return pa.scalar(v, typ)
    elif pa.types.is_timestamp(typ):
        if cls is dt.datetime and (v.tzinfo is None) == (typ.tz is None):
            return pa.scalar(v, typ)
    raise Unavailable(f"constant {v!r} against {typ}")


def _set_value(v: Any, typ: pa.DataType) -> tuple[bool, Any]:
    """(can match, value of the column's Python type) for an IN-list element (Python ``in`` semantics)."""
    cls = v.__class__
    if pa.types.is_integer(typ):
        if cls is int:
            return True, v
        if cls in (Decimal, float):
            if cls is Decimal and not v.is_finite():
                raise Unavailable("non-finite IN value")
            return (True, int(v)) if v == int(v) else (False, None)
    elif pa.types.is_floating(typ):
        if (cls is float and v == v) or (cls is int and abs(v) <= 2 ** 53):
            return True, float(v)
    elif pa.types.is_decimal(typ):
        if cls is int:
            return True, Decimal(v)
        if cls is Decimal and v.is_finite():
            return True, v
    else:
        _scalar(v, typ)  # same exactness rules as comparisons
        return True, v
    raise Unavailable(f"IN value {v!r} against {typ}")


# ------------------------------------------------------------------ planning
class _Translator:
    def __init__(self, scan: Any, comp: Any) -> None:
        self.scan = scan
        self.comp = comp
        self.cols: dict[int, tuple[str, int, int]] = {}

    def column(self, e: exp.Expression) -> tuple[int, pa.DataType] | None:
        """(scan column index, Arrow type) of a plain column reference of this scan, else None."""
        e = _strip(e)
        if not isinstance(e, exp.Column) or isinstance(e.this, exp.Star):
            return None
        try:
            depth, idx, ci = self.comp.scope.resolve(e.table or None, e.name)
        except Exception:  # noqa: BLE001 - the row compiler reports it
            raise Skip from None
        if depth != 0:
            raise Skip  # an outer reference (correlated subquery)
        typ = arrow_type(ci.oid, ci.typmod)
        if typ is None:
            raise Skip
        self.cols[idx] = (self.scan.names[idx], ci.oid, ci.typmod)
        return idx, typ

    def const(self, e: exp.Expression, hint: int | None = None) -> Any:
        """A compiled constant side: the row compiler's closure, evaluated once per execution."""
        if not _is_const(e):
            raise Skip
        return self.comp.compile(e, hint)

    def node(self, e: exp.Expression) -> Node:
        if e.args.get("negate") and isinstance(e, (exp.Like, exp.In, exp.Between)):
            inner = e.copy()
            inner.set("negate", None)
            return self._not(self.node(inner))
        if e.args.get("negate") and not isinstance(e, exp.Is):
            raise Skip
        e = _strip(e)
        if isinstance(e, exp.And):
            a, b = self.node(e.this), self.node(e.expression)
            return lambda c, st: pc.and_kleene(a(c, st), b(c, st))
        if isinstance(e, exp.Or):
            a, b = self.node(e.this), self.node(e.expression)
            return lambda c, st: pc.or_kleene(a(c, st), b(c, st))
        if isinstance(e, exp.Not):
            return self._not(self.node(e.this))
        if type(e) in _CMP:
            return self.compare(e)
        if isinstance(e, exp.Between):
            if e.args.get("symmetric"):
                raise Skip
            lo = self.compare(exp.GTE(this=e.this, expression=e.args["low"]))
            hi = self.compare(exp.LTE(this=e.this, expression=e.args["high"]))
            return lambda c, st: pc.and_kleene(lo(c, st), hi(c, st))
        if isinstance(e, exp.In):
            return self.in_list(e)
        if isinstance(e, exp.Is):
            if not isinstance(e.expression, exp.Null):
                raise Skip
            col = self.column(e.this)
            if col is None:
                raise Skip
            i = col[0]
            if e.args.get("negate"):
                return lambda c, st: pc.is_valid(c[i])
            return lambda c, st: pc.is_null(c[i])
        if isinstance(e, exp.Like) and not isinstance(e, exp.ILike):
            return self.like(e)
        if isinstance(e, exp.Column):
            col = self.column(e)
            if col is None or not pa.types.is_boolean(col[1]):
                raise Skip
            i = col[0]
            return lambda c, st: c[i]
        if _is_const(e):
            ce = self.comp.compile(e, T.BOOL)
            if ce.oid not in (T.BOOL, T.UNKNOWN):
                raise Skip
            f = self.comp.predicate(e)

            def constant(c: dict[int, Datum], st: Any) -> Datum:
                v = f((), st)
                if v is not None and v.__class__ is not bool:
                    raise Unavailable("non-boolean constant")
                return pa.scalar(v, pa.bool_())

            return constant
        raise Skip

    @staticmethod
    def _not(a: Node) -> Node:
        return lambda c, st: pc.invert(a(c, st))

    def compare(self, e: exp.Expression) -> Node:
        fn = _CMP[type(e)]
        left, right = _strip(e.this), _strip(e.expression)
        if isinstance(right, (exp.Any, exp.All)) or (
                isinstance(right, exp.Anonymous) and str(right.this).lower() in ("any", "some", "all")):
            raise Skip
        lc, rc = self.column(left), self.column(right)
        if lc is None and rc is None:
            raise Skip
        if lc is not None and rc is not None:  # column vs column of the same Arrow type
            if lc[1] != rc[1]:
                raise Skip
            a, b = self.comp.coerce_pair(left, right, _CMP_SQL[type(e)])
            if getattr(a.fn, "_col", None) != lc[0] or getattr(b.fn, "_col", None) != rc[0]:
                raise Skip
            f = getattr(pc, fn)
            i, j = lc[0], rc[0]
            return lambda c, st: f(c[i], c[j])
        if lc is None:  # constant op column → column flipped-op constant
            left, right, lc, fn = right, left, rc, _FLIP[fn]
        if not _is_const(right):
            raise Skip
        a, b = self.comp.coerce_pair(left, right, _CMP_SQL[type(e)])
        assert lc is not None
        if getattr(a.fn, "_col", None) != lc[0]:
            raise Skip  # the column was cast (int vs float, bpchar…): leave it to the row path
        i, typ = lc
        f = getattr(pc, fn)
        if b.const:
            if b.value is None:
                return lambda c, st: _NULL_BOOL
            sv = _scalar(b.value, typ)
            return lambda c, st: f(c[i], sv)
        g = b.fn

        def cmp(c: dict[int, Datum], st: Any) -> Datum:
            v = g((), st)
            if v is None:
                return _NULL_BOOL
            return f(c[i], _scalar(v, typ))

        return cmp

    def in_list(self, e: exp.In) -> Node:
        if e.args.get("query") or e.args.get("unnest") or e.args.get("field"):
            raise Skip
        col = self.column(e.this)
        if col is None or not e.expressions:
            raise Skip
        i, typ = col
        oid = self.cols[i][1]
        ces = [self.const(x, oid) for x in e.expressions]
        from engine.sql.sqltypes import common_type, family

        t = common_type([oid] + [c.oid for c in ces], "IN")  # as the row compiler (_values_in) resolves it
        if t != oid and family(oid) != "num" and not (oid in _TEXT and t in _TEXT):
            raise Skip  # the column itself would be cast
        ces = [self.comp.cast_ce(c, t) if c.oid != t and family(c.oid) != "num" else c for c in ces]
        fns = [c.fn for c in ces]

        def is_in(c: dict[int, Datum], st: Any) -> Datum:
            vals = [f((), st) for f in fns]
            has_null = any(v is None for v in vals)
            keep = []
            for v in vals:
                if v is not None:
                    ok, x = _set_value(v, typ)
                    if ok:
                        keep.append(x)
            arr = c[i]
            try:
                vs = pa.array(keep, type=typ)
            except (pa.ArrowException, TypeError, ValueError, OverflowError) as err:
                raise Unavailable(str(err)) from None
            m = pc.is_in(arr, value_set=vs)
            if has_null:
                m = pc.if_else(m, True, _NULL_BOOL)
            if arr.null_count:
                m = pc.if_else(pc.is_null(arr), _NULL_BOOL, m)
            return m

        return is_in

    def like(self, e: exp.Expression) -> Node:
        col = self.column(e.this)
        if col is None or not pa.types.is_string(col[1]):
            raise Skip
        pat = _strip(e.expression)
        if not _is_const(pat):
            raise Skip
        ce = self.comp.compile(pat, T.TEXT)
        if ce.oid not in (T.TEXT, T.VARCHAR, T.UNKNOWN, T.NAME):
            raise Skip
        g = ce.fn
        i = col[0]

        def like(c: dict[int, Datum], st: Any) -> Datum:
            p = g((), st)
            if p is None:
                return _NULL_BOOL
            if p.__class__ is not str or (len(p) - len(p.rstrip("\\"))) % 2:
                raise Unavailable("LIKE pattern")  # ends with the escape character: the row path raises
            return pc.match_like(c[i], p)

        return like


def vectorize(where: exp.Expression, scan: Any, comp: Any) -> VecPred | None:
    """The columnar form of ``where`` over a plain table ``scan`` (compiled in ``comp``'s scope), or None."""
    tr = _Translator(scan, comp)
    try:
        root = tr.node(where)
    except Skip:
        return None
    except Exception:  # noqa: BLE001 - the row compiler owns the error reporting; never fail planning here
        return None
    if not tr.cols:
        return None
    return VecPred(root, tr.cols)


# ------------------------------------------------------------------ execution
def view_for(scan: Any, st: Any, min_rows: int | None = None) -> ColumnView | None:
    """The transaction's columnar view of ``scan``'s table, or None (no cache, fewer than ``min_rows`` rows,
    default MIN_ROWS)."""
    txn = st.ctx.txn
    f = getattr(txn, "column_view", None)
    if f is None or not ENABLED:
        return None
    view = f(scan.table)
    if view is None or view.n < (MIN_ROWS if min_rows is None else min_rows):
        return None
    return view


def filter_rows(scan: Any, pred: VecPred, st: Any, limit: int | None = None) -> list[tuple[Any, ...]] | None:
    """``scan`` filtered by ``pred`` as row tuples, or None when the columnar path cannot serve it."""
    view = view_for(scan, st)
    if view is None:
        return None
    try:
        mask = pred.mask(view, st)
    except Unavailable:
        return None
    st.ctx.check_interrupts()
    STATS["filter"] += 1
    rows = view.take(mask)
    if limit is not None:
        rows = rows[:limit]
    names = scan.names
    get = itemgetter(*names) if len(names) > 1 else (lambda r, n=names[0]: (r[n],))
    try:
        return [get(r) for r in rows]
    except KeyError:  # a row written before a column existed
        return [tuple(r.get(k) for k in names) for r in rows]


def aggregate(scan: Any, pred: VecPred | None, spec: Any, cols: list[Any], grouped: bool,
              st: Any) -> list[tuple[Any, ...]] | None:
    """GROUP BY over ``scan`` (optionally filtered by ``pred``) on Arrow, or None when not servable."""
    from engine.sql import arrow_agg

    view = view_for(scan, st)
    if view is None:
        return None
    arrays: dict[int, Datum] = {}
    try:
        for i in arrow_agg.spec_columns(spec):
            c = cols[i]
            arrays[i] = view.column(scan.names[i], c.oid, c.typmod)
        n = view.n
        if pred is not None:
            m = pred.mask(view, st, dict(arrays))
            arrays = {i: a.filter(m) for i, a in arrays.items()}
            n = int(pc.sum(m).as_py() or 0) if len(m) else 0
    except Unavailable:
        return None
    st.ctx.check_interrupts()
    try:
        out = arrow_agg.aggregate_arrays(arrays, n, spec, cols, grouped)
    except pa.ArrowException:  # e.g. a kernel Arrow lacks for this type: the row path answers
        return None
    STATS["aggregate"] += 1
    return out
