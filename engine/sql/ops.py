"""Operator semantics on Python values, PostgreSQL-exact: integer overflow, division, numeric scales, LIKE."""

from __future__ import annotations

import decimal
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from engine import types as T
from engine.errors import DivisionByZero, InvalidEscapeSequence, NumericValueOutOfRange
from engine.sql.sqltypes import INT_NAME, INT_RANGE

CTX = decimal.Context(prec=2000, rounding=ROUND_HALF_UP, Emax=999999, Emin=-999999)
decimal.setcontext(CTX)


def check_int(oid: int, v: int) -> int:
    lo, hi = INT_RANGE[oid]
    if v < lo or v > hi:
        raise NumericValueOutOfRange(f"{INT_NAME[oid]} out of range")
    return v


def check_float(v: float, oid: int = T.FLOAT8, inputs: tuple[float, ...] = ()) -> float:
    """Overflow check of a float result (an infinite input may give an infinite result, as in PostgreSQL)."""
    if math.isinf(v) and not any(math.isinf(x) for x in inputs):
        raise NumericValueOutOfRange("value out of range: overflow")
    return v


def to_num(v: Any, oid: int) -> Any:
    """Coerce an operand to the Python type of result type ``oid``."""
    if oid in (T.FLOAT4, T.FLOAT8):
        return float(v)
    if oid == T.NUMERIC and not isinstance(v, Decimal):
        return Decimal(v) if not isinstance(v, float) else Decimal(repr(v))
    return v


def dscale(d: Decimal) -> int:
    e = d.as_tuple().exponent
    return max(0, -e) if isinstance(e, int) else 0


def _weight_first(d: Decimal) -> tuple[int, int]:
    """PostgreSQL's base-10000 weight and first digit of a nonzero numeric."""
    a = abs(d)
    adj = a.adjusted()  # position of the first significant decimal digit
    weight = adj // 4 if adj >= 0 else -((-adj - 1) // 4) - 1
    first = int(a.scaleb(-4 * weight)) if weight != 0 else int(a)
    return weight, first


def numeric_div(a: Decimal, b: Decimal) -> Decimal:
    """a / b with PostgreSQL's result scale (select_div_scale)."""
    if b == 0:
        raise DivisionByZero("division by zero")
    if a.is_nan() or b.is_nan():
        return Decimal("NaN")
    if a == 0:
        w1, f1 = 0, 0
    else:
        w1, f1 = _weight_first(a)
    w2, f2 = _weight_first(b)
    qweight = w1 - w2
    if f1 <= f2:
        qweight -= 1
    rscale = 16 - qweight * 4
    rscale = max(rscale, dscale(a), dscale(b), 0)
    rscale = min(rscale, 1000)
    q = CTX.divide(a, b)
    return q.quantize(Decimal(1).scaleb(-rscale), rounding=ROUND_HALF_UP, context=CTX)


def add(a: Any, b: Any, oid: int) -> Any:
    if oid in INT_RANGE:
        return check_int(oid, a + b)
    if oid in (T.FLOAT4, T.FLOAT8):
        fa, fb = float(a), float(b)
        return check_float(fa + fb, inputs=(fa, fb))
    return CTX.add(to_num(a, oid), to_num(b, oid))


def sub(a: Any, b: Any, oid: int) -> Any:
    if oid in INT_RANGE:
        return check_int(oid, a - b)
    if oid in (T.FLOAT4, T.FLOAT8):
        fa, fb = float(a), float(b)
        return check_float(fa - fb, inputs=(fa, fb))
    return CTX.subtract(to_num(a, oid), to_num(b, oid))


def mul(a: Any, b: Any, oid: int) -> Any:
    if oid in INT_RANGE:
        return check_int(oid, a * b)
    if oid in (T.FLOAT4, T.FLOAT8):
        fa, fb = float(a), float(b)
        return check_float(fa * fb, inputs=(fa, fb))
    return CTX.multiply(to_num(a, oid), to_num(b, oid))


def div(a: Any, b: Any, oid: int) -> Any:
    if oid in INT_RANGE:
        if b == 0:
            raise DivisionByZero("division by zero")
        q = abs(a) // abs(b)
        return check_int(oid, q if (a >= 0) == (b >= 0) else -q)
    if oid in (T.FLOAT4, T.FLOAT8):
        if float(b) == 0.0:
            raise DivisionByZero("division by zero")
        fa, fb = float(a), float(b)
        return check_float(fa / fb, inputs=(fa, fb))
    return numeric_div(to_num(a, oid), to_num(b, oid))


def mod(a: Any, b: Any, oid: int) -> Any:
    if b == 0:
        raise DivisionByZero("division by zero")
    if oid in INT_RANGE:
        r = abs(a) % abs(b)
        return r if a >= 0 else -r
    if oid in (T.FLOAT4, T.FLOAT8):
        return math.fmod(float(a), float(b))
    a, b = to_num(a, oid), to_num(b, oid)
    return CTX.remainder(a, b)


def neg(a: Any, oid: int) -> Any:
    if oid in INT_RANGE:
        return check_int(oid, -a)
    return -a


def power(a: Any, b: Any, oid: int) -> Any:
    if oid == T.NUMERIC:
        a, b = to_num(a, oid), to_num(b, oid)
        if a == 0 and b < 0:
            raise DivisionByZero("zero raised to a negative power is undefined")
        r = CTX.power(a, b)
        if b == b.to_integral_value() and b >= 0:
            return r
        return r.quantize(Decimal(1).scaleb(-16)) if r.adjusted() < 16 else r
    try:
        return check_float(math.pow(float(a), float(b)))
    except OverflowError:
        raise NumericValueOutOfRange("value out of range: overflow") from None


@lru_cache(maxsize=512)
def like_regex(pattern: str, ci: bool, escape: str | None = "\\") -> re.Pattern[str]:
    """The compiled regex of a LIKE/ILIKE pattern (``%`` any string, ``_`` one char, escape char)."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if escape and c == escape:
            if i + 1 >= len(pattern):
                raise InvalidEscapeSequence("LIKE pattern must not end with escape character")
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.S | (re.I if ci else 0))


def like(s: str, pattern: str, ci: bool = False, escape: str | None = "\\") -> bool:
    return like_regex(pattern, ci, escape).fullmatch(s) is not None


def sort_key_value(v: Any) -> Any:
    """A comparable key for a non-NULL value (JSON and mixed values fall back to a tuple form)."""
    if isinstance(v, bool) or isinstance(v, (int, float, Decimal, str)):
        return v
    if isinstance(v, (dict,)):
        import orjson

        return orjson.dumps(v, option=orjson.OPT_SORT_KEYS, default=str)
    if isinstance(v, list):
        return tuple((x is None, sort_key_value(x) if x is not None else 0) for x in v)
    return v


def similar_regex(pattern: str, escape: str | None = "\\") -> str:
    """A Python regular expression for a SQL ``SIMILAR TO`` pattern (PostgreSQL's similar_to_escape)."""
    import re

    out: list[str] = []
    i, n = 0, len(pattern)
    in_bracket = False
    while i < n:
        c = pattern[i]
        if escape and c == escape and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if in_bracket:
            out.append("\\" + c if c == "\\" else c)
            if c == "]":
                in_bracket = False
        elif c == "[":
            in_bracket = True
            out.append(c)
        elif c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        elif c in "|*+?{}()":
            out.append(c)
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)
