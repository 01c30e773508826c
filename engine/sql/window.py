"""Window functions: ranking (row_number, rank, dense_rank, percent_rank, cume_dist, ntile), offsets
(lag, lead, first_value, last_value, nth_value) and aggregates over ROWS/RANGE frames."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from sqlglot import exp

from engine import types as T
from engine.errors import FeatureNotSupported, UndefinedFunction, WindowingError
from engine.sql import aggregates
from engine.sql.compiler import CE, Compiler, Fn, func_args, func_name, is_aggregate
from engine.sql.plan import Row, Step, sort_rows
from engine.sql.scope import ColInfo, ExecState
from engine.sql.sqltypes import type_name

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
        order_oids: list[int] = []
        if order is not None:
            for o in order.expressions:
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                oce = comp.compile(o.this)
                order_oids.append(oce.oid)
                self.order.append((oce.fn, desc, bool(nf) if nf is not None else desc))
        self.frame = _frame(frame, bool(self.order), comp, order_oids)
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
        frames = self._frames(n, peer_start, peer_end, rows, okeys, st)
        if name in ("first_value", "last_value", "nth_value"):
            vf = self.args[0].fn
            for k, fr in enumerate(frames):
                if not fr:
                    continue
                if name == "first_value":
                    out[k] = vf(rows[fr[0]], st)
                elif name == "last_value":
                    out[k] = vf(rows[fr[-1]], st)
                else:
                    nth = self.args[1].fn(rows[k], st)
                    if nth is not None and nth <= 0:
                        from engine.errors import error
                        raise error("22016", "argument of nth_value must be greater than zero")
                    out[k] = vf(rows[fr[nth - 1]], st) if nth is not None and nth - 1 < len(fr) else None
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

        # incremental when every frame is a prefix of the partition and the prefixes grow monotonically
        if all(isinstance(fr, range) and (fr.start == 0 or not fr) for fr in frames) and \
                all(frames[k].stop <= frames[k + 1].stop for k in range(n - 1)):  # type: ignore[union-attr]
            state = agg.init()
            done = 0
            for k, fr in enumerate(frames):
                while done < fr.stop:  # type: ignore[union-attr]
                    state = feed(state, rows[done])
                    done += 1
                out[k] = agg.final(_copy(state))
            return out
        for k, fr in enumerate(frames):
            state = agg.init()
            for j in fr:
                state = feed(state, rows[j])
            out[k] = agg.final(state)
        return out

    def _frames(self, n: int, ps: list[int], pe: list[int], rows: list[Row], okeys: list[tuple[Any, ...]],
                st: ExecState) -> list[Any]:
        """Row positions in each row's frame: a range, or a list when EXCLUDE removes rows from the middle."""
        mode, start, end, exclude = self.frame
        # peer-group numbering (GROUPS mode)
        gid = [0] * n
        gstarts: list[int] = []
        for k in range(n):
            if ps[k] == k:
                gstarts.append(k)
            gid[k] = len(gstarts) - 1
        gends = [pe[s] for s in gstarts]

        def offset(b: tuple[str, Any], k: int, is_start: bool) -> Any:
            v = b[1].fn(rows[k], st)
            what = "starting" if is_start else "ending"
            if v is None:
                from engine.errors import NullValueNotAllowed
                raise NullValueNotAllowed(f"frame {what} offset must not be null")
            neg = v.months < 0 or v.days < 0 or v.microseconds < 0 if isinstance(v, T.Interval) else v < 0
            if neg:
                from engine.errors import error
                raise error("22013", f"frame {what} offset must not be negative")
            return v

        def range_pos(k: int, b: tuple[str, Any], is_start: bool) -> int:
            kind = b[0]
            if kind == "unbounded":
                return 0 if is_start else n
            if kind == "current":
                return ps[k] if is_start else pe[k]
            off = offset(b, k, is_start)
            cur = okeys[k][0]
            if cur is None:  # NULL keys: the offset frame is the peer group of nulls
                return ps[k] if is_start else pe[k]
            sub = self._range_sub
            desc = self.order[0][1]
            # the bound value, in the window order's direction
            forward = (kind == "following") != desc
            limit = self._range_add(cur, off) if forward else sub(cur, off)

            def inside(j: int) -> bool:
                x = okeys[j][0]
                if x is None:
                    return False
                if type(x) is _dt.date and isinstance(limit, _dt.datetime):
                    x = _dt.datetime(x.year, x.month, x.day, tzinfo=limit.tzinfo)
                if is_start:
                    return (x >= limit) if not desc else (x <= limit)
                return (x <= limit) if not desc else (x >= limit)

            if is_start:
                j = 0
                while j < n and not inside(j):
                    j += 1
                return j
            j = n
            while j > 0 and not inside(j - 1):
                j -= 1
            return j

        def pos(k: int, b: tuple[str, Any], is_start: bool) -> int:
            kind = b[0]
            if kind == "unbounded":
                return 0 if is_start else n
            if mode == "range":
                return range_pos(k, b, is_start)
            if mode == "groups":
                if kind == "current":
                    return ps[k] if is_start else pe[k]
                off = offset(b, k, is_start)
                g = gid[k] - off if kind == "preceding" else gid[k] + off
                if is_start:
                    return 0 if g < 0 else (n if g >= len(gstarts) else gstarts[g])
                return 0 if g < 0 else (n if g >= len(gstarts) else gends[g])
            if kind == "current":
                return k if is_start else k + 1
            off = offset(b, k, is_start)
            if kind == "preceding":
                return max(0, k - off) if is_start else max(0, k - off + 1)
            return min(n, k + off) if is_start else min(n, k + off + 1)

        out: list[Any] = []
        for k in range(n):
            s, e = pos(k, start, True), pos(k, end, False)
            fr: Any = range(s, max(s, e))
            if exclude and fr:
                if exclude == "current row":
                    drop = {k}
                elif exclude == "group":
                    drop = set(range(ps[k], pe[k]))
                else:  # ties
                    drop = set(range(ps[k], pe[k])) - {k}
                fr = [j for j in fr if j not in drop]
            out.append(fr)
        return out

    def _range_sub(self, v: Any, off: Any) -> Any:
        return self._range_arith(v, off, -1)

    def _range_add(self, v: Any, off: Any) -> Any:
        return self._range_arith(v, off, 1)

    def _range_arith(self, v: Any, off: Any, sign: int) -> Any:
        if isinstance(off, T.Interval):
            from engine.sql.compiler import Compiler as _C
            from engine.sql.scope import Scope as _S

            f = _C(_S([]), None, {})._builtin_datetime(T.TIMESTAMP, "+", T.INTERVAL)
            assert f is not None
            was_date = isinstance(v, _dt.date) and not isinstance(v, _dt.datetime)
            iv = off if sign > 0 else T.Interval(-off.months, -off.days, -off.microseconds)
            return f[0](v, iv) if not was_date else f[0](_dt.datetime(v.year, v.month, v.day), iv)
        return v + off if sign > 0 else v - off


def _copy(state: Any) -> Any:
    if isinstance(state, list):
        return list(state)
    return state


def _frame(spec: exp.Expression | None, ordered: bool, comp: Compiler, order_oids: list[int]
           ) -> tuple[str, tuple[str, Any], tuple[str, Any], str | None]:
    if spec is None:
        if ordered:
            return ("range", ("unbounded", None), ("current", None), None)
        return ("range", ("unbounded", None), ("unbounded", None), None)
    mode = str(spec.args.get("kind") or "range").lower()
    if mode not in ("rows", "range", "groups"):
        raise FeatureNotSupported(f"{mode.upper()} frames are not supported")

    def bound(v: Any, side: Any, is_start: bool) -> tuple[str, Any]:
        s = str(v).upper() if not isinstance(v, exp.Expression) else None
        sd = str(side or "").upper()
        if s == "UNBOUNDED":
            if is_start and sd == "FOLLOWING":
                raise WindowingError("frame start cannot be UNBOUNDED FOLLOWING")
            if not is_start and sd == "PRECEDING":
                raise WindowingError("frame end cannot be UNBOUNDED PRECEDING")
            return ("unbounded", None)
        if s == "CURRENT ROW":
            return ("current", None)
        if not isinstance(v, exp.Expression):
            raise FeatureNotSupported("window frame bound is not supported")
        kind = "preceding" if sd == "PRECEDING" else "following"
        if mode == "range":
            if len(order_oids) != 1:
                raise WindowingError("RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
            ot = order_oids[0]
            want = T.INTERVAL if ot in (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ, T.TIME, T.TIMETZ, T.INTERVAL) else ot
            if want not in (T.INT2, T.INT4, T.INT8, T.NUMERIC, T.FLOAT4, T.FLOAT8, T.INTERVAL):
                raise UndefinedFunction(f"RANGE with offset PRECEDING/FOLLOWING is not supported for column type "
                                        f"{type_name(ot)}")
            ce = comp.compile(v, want)
            if ce.oid != want and not (ce.oid in (T.INT2, T.INT4, T.INT8) and want in (T.INT2, T.INT4, T.INT8)
                                       and ce.oid != T.UNKNOWN):
                ce = comp.cast_ce(ce, want)
        else:
            ce = comp.compile(v, T.INT8)
            if ce.oid not in (T.INT2, T.INT4, T.INT8):
                ce = comp.cast_ce(ce, T.INT8)
        return (kind, ce)

    start = bound(spec.args.get("start"), spec.args.get("start_side"), True)
    end_v = spec.args.get("end")
    end = bound(end_v, spec.args.get("end_side"), False) if end_v is not None else ("current", None)
    order = ["preceding", "current", "following"]
    if start[0] in order and end[0] in order and order.index(start[0]) > order.index(end[0]):
        what = "current row" if start[0] == "current" else "following row"
        raise WindowingError(f"frame starting from {what} cannot have preceding rows")
    ex = spec.args.get("exclude")
    exclude = None
    if ex is not None:
        exclude = (ex.name if isinstance(ex, exp.Expression) else str(ex)).lower()
        if exclude == "no others":
            exclude = None
    return (mode, start, end, exclude)


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
        if self.calls and (self.calls[0].part or self.calls[0].order):
            # rows leave in the first window's (PARTITION BY, ORDER BY) order, as PostgreSQL's sorted WindowAgg
            first = self.calls[0]
            keys = [(lambda ir, st, f=f: f(ir[1], st), False, False) for f in first.part]
            keys += [(lambda ir, st, f=f: f(ir[1], st), d, nf) for f, d, nf in first.order]
            idx_rows = sort_rows(idx_rows, keys, st)
            rows = [r for _, r in idx_rows]
            extra = [[None] * len(self.calls) for _ in rows]
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
