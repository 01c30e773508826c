"""Window functions: ranking (row_number, rank, dense_rank, percent_rank, cume_dist, ntile), offsets
(lag, lead, first_value, last_value, nth_value) and aggregates over ROWS/RANGE frames."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from engine import types as T
from engine.errors import FeatureNotSupported, UndefinedFunction
from engine.sql import aggregates
from engine.sql.compiler import CE, Compiler, Fn, func_args, func_name, is_aggregate
from engine.sql.plan import Row, Step, sort_rows
from engine.sql.scope import ColInfo, ExecState

RANKING = {"row_number": T.INT8, "rank": T.INT8, "dense_rank": T.INT8, "percent_rank": T.FLOAT8,
           "cume_dist": T.FLOAT8, "ntile": T.INT4}
VALUE_FNS = {"lag", "lead", "first_value", "last_value", "nth_value"}


class WinCall:
    """One window function call, compiled against the input scope."""

    def __init__(self, comp: Compiler, node: exp.Window, named: dict[str, exp.Window]) -> None:
        spec = node
        base = node.args.get("alias")
        if base is not None and base.name in named:
            spec = named[base.name]
        partition = node.args.get("partition_by") or (spec.args.get("partition_by") or [])
        order = node.args.get("order") or spec.args.get("order")
        frame = node.args.get("spec") or spec.args.get("spec")
        fn = node.this
        filt = None
        if isinstance(fn, exp.Filter):
            filt = comp.predicate(fn.expression.this)
            fn = fn.this
        self.name = func_name(fn) or ""
        self.part: list[Fn] = [comp.compile(p).fn for p in partition]
        self.order: list[tuple[Fn, bool, bool]] = []
        if order is not None:
            for o in order.expressions:
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                self.order.append((comp.compile(o.this).fn, desc, bool(nf) if nf is not None else desc))
        self.frame = _frame(frame, bool(self.order))
        self.filt = filt
        args = func_args(fn) if not isinstance(fn, exp.Count) or not isinstance(fn.this, exp.Star) else []
        self.args: list[CE] = [comp.compile(a) for a in args]
        self.agg = None
        if self.name in RANKING:
            self.rt = RANKING[self.name]
        elif self.name in VALUE_FNS:
            self.rt = self.args[0].oid if self.args else T.UNKNOWN
            if len(self.args) > 2:
                self.args[2] = comp.cast_ce(self.args[2], self.rt)
            if self.rt == T.UNKNOWN:
                self.rt = T.TEXT
        elif is_aggregate(fn):
            self.star = isinstance(fn, exp.Count) and isinstance(fn.this, exp.Star)
            if isinstance(fn, exp.Count) and isinstance(fn.this, exp.Distinct) or \
                    isinstance(getattr(fn, "this", None), exp.Distinct):
                raise FeatureNotSupported("DISTINCT is not implemented for window functions")
            self.agg = aggregates.make(self.name, [a.oid for a in self.args])
            self.rt = self.agg.rt
        else:
            raise UndefinedFunction(f"function {self.name}() is not a window function")

    def compute(self, rows: list[Row], st: ExecState) -> list[Any]:
        """Values for ``rows`` of one partition, already sorted by the window order."""
        n = len(rows)
        out: list[Any] = [None] * n
        okeys = [tuple(f(r, st) for f, _, _ in self.order) for r in rows]
        # peer groups
        peer_start = [0] * n
        peer_end = [0] * n
        i = 0
        while i < n:
            j = i
            while j + 1 < n and okeys[j + 1] == okeys[i]:
                j += 1
            for k in range(i, j + 1):
                peer_start[k], peer_end[k] = i, j + 1
            i = j + 1
        name = self.name
        if name == "row_number":
            return list(range(1, n + 1))
        if name == "rank":
            return [peer_start[k] + 1 for k in range(n)]
        if name == "dense_rank":
            out2, d = [], 0
            for k in range(n):
                if k == 0 or peer_start[k] == k:
                    d += 1
                out2.append(d)
            return out2
        if name == "percent_rank":
            return [0.0 if n <= 1 else peer_start[k] / (n - 1) for k in range(n)]
        if name == "cume_dist":
            return [peer_end[k] / n for k in range(n)]
        if name == "ntile":
            buckets = self.args[0].fn(rows[0], st) if rows else 1
            if buckets is None:
                return [None] * n
            if buckets <= 0:
                from engine.errors import error
                raise error("22014", "argument of ntile must be greater than zero")
            base, extra = divmod(n, buckets)
            res, b, k = [], 1, 0
            while k < n:
                size = base + (1 if b <= extra else 0)
                res.extend([b] * size)
                k += size
                b += 1
            return res[:n]
        if name in ("lag", "lead"):
            vf = self.args[0].fn
            off_f = self.args[1].fn if len(self.args) > 1 else None
            dflt_f = self.args[2].fn if len(self.args) > 2 else None
            for k in range(n):
                off = off_f(rows[k], st) if off_f else 1
                if off is None:
                    out[k] = None
                    continue
                j = k - off if name == "lag" else k + off
                if 0 <= j < n:
                    out[k] = vf(rows[j], st)
                else:
                    out[k] = dflt_f(rows[k], st) if dflt_f else None
            return out
        frames = [self._bounds(k, n, peer_start, peer_end, rows, st) for k in range(n)]
        if name in ("first_value", "last_value", "nth_value"):
            vf = self.args[0].fn
            for k, (s, e) in enumerate(frames):
                if s >= e:
                    continue
                if name == "first_value":
                    out[k] = vf(rows[s], st)
                elif name == "last_value":
                    out[k] = vf(rows[e - 1], st)
                else:
                    nth = self.args[1].fn(rows[k], st)
                    out[k] = vf(rows[s + nth - 1], st) if nth is not None and s + nth - 1 < e else None
            return out
        agg = self.agg
        assert agg is not None
        argf = [a.fn for a in self.args]
        filt = self.filt
        star = getattr(self, "star", False)

        def feed(state: Any, r: Row) -> Any:
            if filt is not None and not filt(r, st):
                return state
            vals = [f(r, st) for f in argf]
            if not star and agg.strict and any(v is None for v in vals):
                return state
            return agg.step(state, vals)

        # incremental when every frame starts at the partition start and ends grow monotonically
        if all(s == 0 for s, _ in frames) and all(frames[k][1] <= frames[k + 1][1] for k in range(n - 1)):
            state = agg.init()
            done = 0
            for k, (_, e) in enumerate(frames):
                while done < e:
                    state = feed(state, rows[done])
                    done += 1
                out[k] = agg.final(_copy(state))
            return out
        for k, (s, e) in enumerate(frames):
            state = agg.init()
            for j in range(s, e):
                state = feed(state, rows[j])
            out[k] = agg.final(state)
        return out

    def _bounds(self, k: int, n: int, ps: list[int], pe: list[int], rows: list[Row], st: ExecState) -> tuple[int, int]:
        mode, start, end = self.frame
        if mode == "range":
            s = 0 if start[0] == "unbounded" else ps[k]
            e = n if end[0] == "unbounded" else pe[k]
            if start[0] == "offset" or end[0] == "offset":
                raise FeatureNotSupported("RANGE with offset is not supported")
            return s, e

        def pos(b: tuple[str, Any], is_start: bool) -> int:
            kind, off = b
            if kind == "unbounded":
                return 0 if is_start else n
            if kind == "current":
                return k if is_start else k + 1
            v = off.fn(rows[k], st)
            if kind == "preceding":
                return max(0, k - v) if is_start else max(0, k - v + 1)
            return min(n, k + v) if is_start else min(n, k + v + 1)

        if mode == "groups":
            raise FeatureNotSupported("GROUPS frames are not supported")
        return pos(start, True), pos(end, False)


def _copy(state: Any) -> Any:
    if isinstance(state, list):
        return list(state)
    return state


def _frame(spec: exp.Expression | None, ordered: bool) -> tuple[str, tuple[str, Any], tuple[str, Any]]:
    if spec is None:
        if ordered:
            return ("range", ("unbounded", None), ("current", None))
        return ("range", ("unbounded", None), ("unbounded", None))
    mode = str(spec.args.get("kind") or "range").lower()

    def bound(v: Any, side: Any) -> tuple[str, Any]:
        s = str(v).upper() if not isinstance(v, exp.Expression) else None
        sd = str(side or "").upper()
        if s == "UNBOUNDED":
            return ("unbounded", None)
        if s == "CURRENT ROW":
            return ("current", None)
        from engine.sql.compiler import const

        if isinstance(v, exp.Literal):
            return ("preceding" if sd == "PRECEDING" else "following", const(int(v.this), T.INT8))
        raise FeatureNotSupported("window frame bound is not supported")

    start = bound(spec.args.get("start"), spec.args.get("start_side"))
    end_v = spec.args.get("end")
    end = bound(end_v, spec.args.get("end_side")) if end_v is not None else ("current", None)
    if spec.args.get("exclude"):
        raise FeatureNotSupported("frame EXCLUDE is not supported")
    return (mode, start, end)


class WindowStep(Step):
    """Appends one column per window call to every input row (input order is not preserved)."""

    label = "WindowAgg"

    def __init__(self, child: Step, calls: list[WinCall], cols: list[ColInfo]) -> None:
        self.child, self.calls, self.cols = child, calls, cols

    def children(self) -> list[Step]:
        return [self.child]

    def run(self, st: ExecState, limit: int | None = None) -> list[Row]:
        rows = self.child.run(st)
        extra: list[list[Any]] = [[None] * len(self.calls) for _ in rows]
        idx_rows = list(enumerate(rows))
        for ci, call in enumerate(self.calls):
            parts: dict[Any, list[tuple[int, Row]]] = {}
            for i, r in idx_rows:
                k = tuple(f(r, st) for f in call.part)
                try:
                    hash(k)
                except TypeError:
                    k = tuple(repr(v) for v in k)
                parts.setdefault(k, []).append((i, r))
            for members in parts.values():
                if call.order:
                    members = sort_rows(members, [(lambda ir, st, f=f: f(ir[1], st), d, nf)
                                                  for f, d, nf in call.order], st)
                vals = call.compute([r for _, r in members], st)
                for (i, _), v in zip(members, vals, strict=True):
                    extra[i][ci] = v
        return [r + tuple(e) for r, e in zip(rows, extra, strict=True)]
