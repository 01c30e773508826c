"""Array functions and set-returning generators of PostgreSQL 15 (array_length, unnest, generate_series, …).

Polymorphic functions take ``arg_oids=None`` and compute their result type from the argument types; set-returning
ones declare their column with the pseudo-type anyelement (2283) when the element type depends on the arguments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from engine import types as T
from engine.errors import InvalidParameterValue, RemError
from engine.functions import function
from engine.sql import datetime_ops as D
from engine.sql import numeric_ops as N
from engine.sql.operators import _flatten, _ndims, array_cat, comparator
from engine.textio import format_text, guess_oid

I4, I8, TX, NUM = T.INT4, T.INT8, T.TEXT, T.NUMERIC
ANYELEMENT = 2283


def _first(oids: list[int]) -> int:
    return oids[0] if oids else T.ANYARRAY


def _elem_of_first(oids: list[int]) -> int:
    return T.element_of(oids[0]) if oids else ANYELEMENT


def _dims(a: list) -> list[int]:
    out = []
    while isinstance(a, list):
        out.append(len(a))
        if not a:
            break
        a = a[0]
    return out


@function("array_length", I4, arg_oids=(T.ANYARRAY, I4))
def array_length(a: list, dim: int) -> int | None:
    d = _dims(a)
    return d[dim - 1] if 1 <= dim <= len(d) and d[dim - 1] else None


@function("array_upper", I4, arg_oids=(T.ANYARRAY, I4))
def array_upper(a: list, dim: int) -> int | None:
    return array_length(a, dim)


@function("array_lower", I4, arg_oids=(T.ANYARRAY, I4))
def array_lower(a: list, dim: int) -> int | None:
    return 1 if array_length(a, dim) else None


@function("array_ndims", I4, arg_oids=(T.ANYARRAY,))
def array_ndims(a: list) -> int | None:
    return _ndims(a) or None


@function("array_dims", TX, arg_oids=(T.ANYARRAY,))
def array_dims(a: list) -> str | None:
    d = _dims(a)
    return "".join(f"[1:{n}]" for n in d) if d and d[0] else None


@function("cardinality", I4, arg_oids=(T.ANYARRAY,))
def cardinality(a: list) -> int:
    return len(_flatten(a)) if a else 0


@function("array_append", _first, strict=False, arg_oids=(T.ANYARRAY, ANYELEMENT))
def array_append(a: list | None, x: Any) -> list:
    return (list(a) if a else []) + [x]


@function("array_prepend", lambda oids: oids[1] if len(oids) > 1 else T.ANYARRAY, strict=False,
          arg_oids=(ANYELEMENT, T.ANYARRAY))
def array_prepend(x: Any, a: list | None) -> list:
    return [x] + (list(a) if a else [])


@function("array_cat", _first, strict=False, arg_oids=(T.ANYARRAY, T.ANYARRAY))
def array_cat_fn(a: list | None, b: list | None) -> list | None:
    if a is None:
        return b
    if b is None:
        return a
    return array_cat(a, b)


def _eq(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return comparator(guess_oid(a))(a, b) == 0


@function("array_position", I4, strict=False, arg_oids=(T.ANYARRAY, ANYELEMENT))
@function("array_position", I4, strict=False, arg_oids=(T.ANYARRAY, ANYELEMENT, I4))
def array_position(a: list | None, x: Any, start: int | None = 1) -> int | None:
    if a is None:
        return None
    if _ndims(a) > 1:
        raise InvalidParameterValue("searching for elements in multidimensional arrays is not supported")
    for i in range(max((start or 1) - 1, 0), len(a)):
        if _eq(a[i], x):
            return i + 1
    return None


@function("array_positions", 1007, strict=False, arg_oids=(T.ANYARRAY, ANYELEMENT))
def array_positions(a: list | None, x: Any) -> list | None:
    if a is None:
        return None
    return [i + 1 for i, v in enumerate(a) if _eq(v, x)]


@function("array_remove", _first, strict=False, arg_oids=(T.ANYARRAY, ANYELEMENT))
def array_remove(a: list | None, x: Any) -> list | None:
    if a is None:
        return None
    if _ndims(a) > 1:
        raise InvalidParameterValue("removing elements from multidimensional arrays is not supported")
    return [v for v in a if not _eq(v, x)]


@function("array_replace", _first, strict=False, arg_oids=(T.ANYARRAY, ANYELEMENT, ANYELEMENT))
def array_replace(a: list | None, x: Any, y: Any) -> list | None:
    if a is None:
        return None
    return [y if _eq(v, x) else v for v in a]


@function("array_to_string", TX, strict=False, arg_oids=(T.ANYARRAY, TX))
@function("array_to_string", TX, strict=False, arg_oids=(T.ANYARRAY, TX, TX))
def array_to_string(a: list | None, delim: str | None, null_str: str | None = None) -> str | None:
    if a is None or delim is None:
        return None
    parts = []
    for v in _flatten(a):
        if v is None:
            if null_str is not None:
                parts.append(null_str)
        else:
            parts.append(v if isinstance(v, str) else format_text(guess_oid(v), v))
    return delim.join(parts)


@function("unnest", _elem_of_first, set_returning=True, columns=(("unnest", ANYELEMENT),), arg_oids=(T.ANYARRAY,))
def unnest(a: list) -> list[tuple]:
    return [(v,) for v in _flatten(a)] if a else []


@function("generate_subscripts", I4, set_returning=True, columns=(("generate_subscripts", I4),),
          arg_oids=(T.ANYARRAY, I4))
@function("generate_subscripts", I4, set_returning=True, columns=(("generate_subscripts", I4),),
          arg_oids=(T.ANYARRAY, I4, T.BOOL))
def generate_subscripts(a: list, dim: int, reverse: bool = False) -> list[tuple]:
    n = array_length(a, dim) or 0
    rng = range(n, 0, -1) if reverse else range(1, n + 1)
    return [(i,) for i in rng]


def _series_type(oids: list[int]) -> int:
    if not oids:
        return I4
    if oids[0] in (T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE):
        return T.TIMESTAMPTZ if T.TIMESTAMPTZ in oids[:2] or oids[0] == T.DATE else T.TIMESTAMP
    if T.NUMERIC in oids or T.FLOAT8 in oids or T.FLOAT4 in oids:
        return NUM
    return I8 if I8 in oids else I4


def generate_series_values(start: Any, stop: Any, step: Any = None, timezone: str = "UTC") -> Iterator[tuple]:
    """generate_series over ints, numerics, or timestamps with an interval step (lazily, like PostgreSQL)."""
    if isinstance(start, dt.datetime) or isinstance(start, dt.date):
        if step is None:
            raise InvalidParameterValue("step size cannot be NULL")
        if D.interval_span(step) == 0:
            raise InvalidParameterValue("step size cannot equal zero")
        return _ts_series(start, stop, step, timezone)
    if step is None:
        step = 1
    if step == 0:
        raise InvalidParameterValue("step size cannot equal zero")
    if isinstance(start, Decimal) or isinstance(stop, Decimal) or isinstance(step, Decimal):
        s, e, st = (x if isinstance(x, Decimal) else Decimal(repr(x) if isinstance(x, float) else x)
                    for x in (start, stop, step))
        for x, what in ((s, "start value"), (e, "stop value"), (st, "step size")):
            if x.is_nan():
                raise InvalidParameterValue(f"{what} cannot be NaN")
            if x.is_infinite():
                raise InvalidParameterValue(f"{what} cannot be infinity")
        return _num_series(s, e, st)
    rng = range(start, stop + 1, step) if step > 0 else range(start, stop - 1, step)
    return ((i,) for i in rng)


def _num_series(s: Decimal, e: Decimal, st: Decimal) -> Iterator[tuple]:
    cur = s
    while (cur <= e) if st > 0 else (cur >= e):
        yield (cur,)
        cur = N.numeric_add(cur, st)


def _ts_series(start: Any, stop: Any, step: T.Interval, timezone: str) -> Iterator[tuple]:
    aware = isinstance(start, dt.datetime) and start.tzinfo is not None
    cur = start if isinstance(start, dt.datetime) else D.date_to_ts(start)
    end = stop if isinstance(stop, dt.datetime) else D.date_to_ts(stop)
    if aware and end.tzinfo is None:
        end = end.replace(tzinfo=dt.UTC)
    fwd = D.interval_span(step) > 0
    while (cur <= end) if fwd else (cur >= end):
        yield (cur,)
        try:
            cur = D.timestamptz_plus_interval(cur, step, timezone) if aware else D.timestamp_plus_interval(cur, step)
        except RemError:
            return


@function("generate_series", _series_type, set_returning=True, columns=(("generate_series", ANYELEMENT),),
          needs_ctx=True)
def generate_series(ctx: Any, start: Any, stop: Any, step: Any = None) -> Iterator[tuple]:
    from engine.sql.functions_datetime import session_tz

    return generate_series_values(start, stop, step, session_tz(ctx))


@function("array_fill", lambda oids: T.array_of(oids[0]) if oids else T.ANYARRAY, strict=False)
def array_fill(value: Any, dims: list, lbounds: list | None = None) -> list:
    def build(ds: list) -> list:
        return [value] * ds[0] if len(ds) == 1 else [build(ds[1:]) for _ in range(ds[0])]

    return build(list(dims)) if dims else []
