"""Ordered-set aggregates: ``percentile_cont(f)``, ``percentile_disc(f)`` and ``mode()`` ``WITHIN GROUP (ORDER BY x)``.

The planner feeds the ORDER BY values in sorted order (NULLs are skipped, as PostgreSQL does); the fraction is a
direct argument evaluated once. ``percentile_cont`` interpolates linearly (float8, or interval for interval
input); ``percentile_disc`` returns the first value whose cumulative share reaches the fraction; ``mode`` the most
frequent value (the first one in sort order on ties).
"""

from __future__ import annotations

import math
from typing import Any

from engine import types as T
from engine.errors import UndefinedFunction, error
from engine.sql.aggregates import Agg
from engine.sql.sqltypes import type_name

NAMES = ("percentile_cont", "percentile_disc", "mode")


def make(name: str, fraction: Any, oid: int) -> Agg:
    """The aggregate ``name`` over values of type ``oid`` (``fraction`` for the percentiles)."""
    if name != "mode":
        if fraction is None:
            return Agg(name, _rt(name, oid), lambda: [], lambda s, a: s, lambda s: None, strict=True)
        f = float(fraction)
        if not 0 <= f <= 1 or math.isnan(f):
            raise error("22003", f"percentile value {fraction} is not between 0 and 1")
    rt = _rt(name, oid)

    def step(s: list[Any], a: list[Any]) -> list[Any]:
        s.append(a[0])
        return s

    if name == "percentile_disc":
        def final(s: list[Any]) -> Any:
            if not s:
                return None
            k = max(0, math.ceil(f * len(s)) - 1)
            return s[k]
    elif name == "percentile_cont":
        def final(s: list[Any]) -> Any:
            if not s:
                return None
            pos = f * (len(s) - 1)
            lo, hi = math.floor(pos), math.ceil(pos)
            a, b = s[lo], s[hi]
            if rt == T.INTERVAL:  # a + (b - a) * frac, with interval_mul's cascade of fractions
                frac = pos - lo
                m = (b.months - a.months) * frac
                mi = int(m)
                d = (b.days - a.days) * frac + (m - mi) * 30
                di = int(d)
                us = (b.microseconds - a.microseconds) * frac + (d - di) * 86_400_000_000
                return T.Interval(a.months + mi, a.days + di, a.microseconds + round(us))
            a, b = float(a), float(b)
            return a if lo == hi else a + (b - a) * (pos - lo)
    else:
        def final(s: list[Any]) -> Any:
            best, best_n, cur, n = None, 0, None, 0
            for v in s:
                if n and v == cur:
                    n += 1
                else:
                    cur, n = v, 1
                if n > best_n:
                    best, best_n = cur, n
            return best

    return Agg(name, rt, lambda: [], step, final, strict=True)


def _rt(name: str, oid: int) -> int:
    if name == "percentile_cont":
        if oid == T.INTERVAL:
            return T.INTERVAL
        if oid not in (T.INT2, T.INT4, T.INT8, T.NUMERIC, T.FLOAT4, T.FLOAT8, T.UNKNOWN):
            raise UndefinedFunction(f"function percentile_cont(numeric, {type_name(oid)}) does not exist")
        return T.FLOAT8
    return T.TEXT if oid == T.UNKNOWN else oid
