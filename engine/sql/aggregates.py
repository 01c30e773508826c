"""Aggregate functions (count/sum/avg/min/max/array_agg/string_agg/bool_and/bool_or/json_agg/stddev/variance)
with PostgreSQL's result types and NULL rules."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from engine import types as T
from engine.errors import NumericValueOutOfRange, UndefinedFunction
from engine.sql import ops
from engine.sql.sqltypes import INTS, family, type_name


class Agg:
    """One aggregate: ``init()`` state, ``step(state, args)`` → state, ``final(state)`` → value."""

    def __init__(self, name: str, rt: int, init: Callable[[], Any], step: Callable[[Any, list[Any]], Any],
                 final: Callable[[Any], Any], strict: bool = True) -> None:
        self.name, self.rt, self.init, self.step, self.final, self.strict = name, rt, init, step, final, strict


def _sum_type(oid: int) -> int:
    if oid in (T.INT2, T.INT4):
        return T.INT8
    if oid == T.INT8:
        return T.NUMERIC
    if oid == T.UNKNOWN:
        return T.FLOAT8
    return oid


def _avg_final(s: Any, oid: int) -> Any:
    if s is None:
        return None
    total, n = s
    if oid in (T.FLOAT4, T.FLOAT8):
        return total / n
    return ops.numeric_div(Decimal(total), Decimal(n))


def _variance(s: Any, sample: bool, sqrt: bool, oid: int) -> Any:
    if s is None:
        return None
    vals = s
    n = len(vals)
    if n == 0 or (sample and n == 1):
        return None
    if oid in (T.FLOAT4, T.FLOAT8):
        mean = math.fsum(vals) / n
        var = math.fsum((v - mean) ** 2 for v in vals) / (n - 1 if sample else n)
        return math.sqrt(var) if sqrt else var
    d = [Decimal(v) for v in vals]
    sx = sum(d, Decimal(0))
    sxx = sum((x * x for x in d), Decimal(0))
    num = n * sxx - sx * sx
    den = Decimal(n * (n - 1 if sample else n))
    var = ops.numeric_div(num, den)
    if sqrt:
        r = var.sqrt(ops.CTX)
        return r.quantize(Decimal(1).scaleb(-max(ops.dscale(var), 16)))
    return var


def make(name: str, oids: list[int], distinct: bool = False) -> Agg:
    """The aggregate ``name`` for argument types ``oids``; 42883 when there is none."""
    a0 = oids[0] if oids else T.UNKNOWN
    if name == "count":
        return Agg(name, T.INT8, lambda: 0, lambda s, a: s + 1, lambda s: s)
    if name == "sum":
        if family(a0) not in ("num", "interval") and a0 != T.UNKNOWN:
            raise _nofn(name, oids)
        rt = _sum_type(a0)

        def step_sum(s: Any, a: list[Any]) -> Any:
            v = a[0]
            if s is None:
                return Decimal(v) if rt == T.NUMERIC and not isinstance(v, Decimal) else v
            if rt == T.INTERVAL:
                return T.Interval(s.months + v.months, s.days + v.days, s.microseconds + v.microseconds)
            return s + v

        def fin_sum(s: Any) -> Any:
            if s is not None and rt == T.INT8:
                ops.check_int(T.INT8, s)
            if s is not None and rt in (T.FLOAT4, T.FLOAT8) and math.isinf(s):
                raise NumericValueOutOfRange("value out of range: overflow")
            return s
        return Agg(name, rt, lambda: None, step_sum, fin_sum)
    if name == "avg":
        if family(a0) != "num" and a0 != T.UNKNOWN:
            raise _nofn(name, oids)
        rt = T.FLOAT8 if a0 in (T.FLOAT4, T.FLOAT8) else T.NUMERIC

        def step_avg(s: Any, a: list[Any]) -> Any:
            v = a[0]
            if s is None:
                return (v, 1)
            return (s[0] + v, s[1] + 1)
        return Agg(name, rt, lambda: None, step_avg, lambda s: _avg_final(s, a0))
    if name in ("min", "max"):
        pick = min if name == "min" else max
        # PostgreSQL has min/max(text) but none for varchar/name: those arguments are coerced to text
        rt = T.TEXT if a0 in (T.UNKNOWN, T.VARCHAR, T.NAME) else a0
        if family(rt) in ("json",) and rt == T.JSON:
            raise _nofn(name, oids)

        def step_mm(s: Any, a: list[Any]) -> Any:
            return a[0] if s is None else pick(s, a[0])
        return Agg(name, rt, lambda: None, step_mm, lambda s: s)
    if name == "array_agg":
        et = T.TEXT if a0 == T.UNKNOWN else a0
        rt = T.array_of(et) or et
        return Agg(name, rt, lambda: None, lambda s, a: [a[0]] if s is None else s + [a[0]], lambda s: s,
                   strict=False)
    if name == "string_agg":
        if a0 not in (T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME, T.UNKNOWN, T.BYTEA):
            raise _nofn(name, oids)

        def step_sa(s: Any, a: list[Any]) -> Any:
            if a[0] is None:
                return s
            if s is None:
                return [a[0]]
            s.append(a[1] if a[1] is not None else "")
            s.append(a[0])
            return s
        return Agg(name, T.BYTEA if a0 == T.BYTEA else T.TEXT, lambda: None, step_sa,
                   lambda s: None if s is None else ("".join(s) if a0 != T.BYTEA else b"".join(s)), strict=False)
    if name in ("bool_and", "every", "bool_or"):
        if a0 not in (T.BOOL, T.UNKNOWN):
            raise _nofn(name, oids)
        if name == "bool_or":
            return Agg(name, T.BOOL, lambda: None, lambda s, a: a[0] if s is None else (s or a[0]), lambda s: s)
        return Agg(name, T.BOOL, lambda: None, lambda s, a: a[0] if s is None else (s and a[0]), lambda s: s)
    if name in ("json_agg", "jsonb_agg"):
        rt = T.JSON if name == "json_agg" else T.JSONB
        from engine.sql.functions_json import to_json_value

        return Agg(name, rt, lambda: None,  # rows (json_agg(t)), timestamps … as to_json renders them
                   lambda s, a: ([] if s is None else s) + [T.JSON_NULL if a[0] is None else to_json_value(a[0])],
                   lambda s: s, strict=False)
    if name in ("json_object_agg", "jsonb_object_agg"):
        rt = T.JSON if name == "json_object_agg" else T.JSONB

        def step_oa(s: Any, a: list[Any]) -> Any:
            d = {} if s is None else s
            d[str(a[0])] = T.JSON_NULL if a[1] is None else a[1]
            return d
        return Agg(name, rt, lambda: None, step_oa, lambda s: s, strict=False)
    if name in ("stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop"):
        if family(a0) != "num":
            raise _nofn(name, oids)
        sample = not name.endswith("_pop")
        sq = name.startswith("stddev")
        rt = T.FLOAT8 if a0 in (T.FLOAT4, T.FLOAT8) else T.NUMERIC
        return Agg(name, rt, lambda: None, lambda s, a: ([] if s is None else s) + [a[0]],
                   lambda s: _variance(s, sample, sq, a0))
    if name in ("bit_and", "bit_or"):
        if a0 not in INTS:
            raise _nofn(name, oids)
        op = (lambda x, y: x & y) if name == "bit_and" else (lambda x, y: x | y)
        return Agg(name, a0, lambda: None, lambda s, a: a[0] if s is None else op(s, a[0]), lambda s: s)
    raise _nofn(name, oids)


def _nofn(name: str, oids: list[int]) -> UndefinedFunction:
    sig = ", ".join(type_name(o) if o != T.UNKNOWN else "unknown" for o in oids)
    return UndefinedFunction(f"function {name}({sig}) does not exist",
                             hint="No function matches the given name and argument types. "
                                  "You might need to add explicit type casts.")
