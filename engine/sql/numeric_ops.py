"""PostgreSQL-exact arithmetic on int2/int4/int8, float4/float8 and numeric values."""

from __future__ import annotations

import decimal
import math
from decimal import ROUND_HALF_UP, Decimal

from engine import types as T
from engine.errors import DivisionByZero, NumericValueOutOfRange
from engine.sql.casts import check_int, to_float4

CTX = decimal.Context(prec=3000, rounding=ROUND_HALF_UP, Emax=10**6, Emin=-(10**6), traps=[decimal.InvalidOperation])
MIN_SIG_DIGITS = 16


def dscale(d: Decimal) -> int:
    """Display scale (digits after the point) of a finite numeric."""
    e = d.as_tuple().exponent
    return max(0, -e) if isinstance(e, int) else 0


def _weight_first(d: Decimal) -> tuple[int, int]:
    if d.is_zero():
        return 0, 0
    a = d.copy_abs()
    weight = a.adjusted() // 4
    return weight, int(a.scaleb(-4 * weight, CTX))


def round_scale(d: Decimal, scale: int) -> Decimal:
    """Round to ``scale`` digits after the point, half away from zero."""
    return d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP, context=CTX)


def div_scale(a: Decimal, b: Decimal) -> int:
    """PostgreSQL's select_div_scale."""
    w1, f1 = _weight_first(a)
    w2, f2 = _weight_first(b)
    qweight = w1 - w2
    if f1 <= f2:
        qweight -= 1
    rscale = MIN_SIG_DIGITS - qweight * 4
    return min(max(rscale, dscale(a), dscale(b), 0), 1000)


def _special(a: Decimal, b: Decimal) -> bool:
    return not (a.is_finite() and b.is_finite())


def numeric_add(a: Decimal, b: Decimal) -> Decimal:
    if a.is_nan() or b.is_nan():
        return Decimal("NaN")
    if a.is_infinite() and b.is_infinite() and a != b:
        return Decimal("NaN")
    return CTX.add(a, b)


def numeric_sub(a: Decimal, b: Decimal) -> Decimal:
    return numeric_add(a, b.copy_negate() if not b.is_nan() else b)


def numeric_mul(a: Decimal, b: Decimal) -> Decimal:
    if a.is_nan() or b.is_nan():
        return Decimal("NaN")
    if _special(a, b):
        if a.is_zero() or b.is_zero():
            return Decimal("NaN")
        return Decimal("Infinity") if (a < 0) == (b < 0) else Decimal("-Infinity")
    return CTX.multiply(a, b)


def numeric_div(a: Decimal, b: Decimal) -> Decimal:
    """a / b with PostgreSQL's result scale (0.33333333333333333333 for 1/3)."""
    if a.is_nan() or b.is_nan():
        return Decimal("NaN")
    if b.is_zero():
        raise DivisionByZero("division by zero")
    if _special(a, b):
        if a.is_infinite() and b.is_infinite():
            return Decimal("NaN")
        if b.is_infinite():
            return Decimal(0)
        return Decimal("Infinity") if (a < 0) == (b < 0) else Decimal("-Infinity")
    rscale = div_scale(a, b)
    q = CTX.divide(a, b)
    return round_scale(q, rscale)


def numeric_div_trunc(a: Decimal, b: Decimal) -> Decimal:
    """div(a, b): the integral quotient truncated toward zero."""
    if b.is_zero():
        raise DivisionByZero("division by zero")
    return CTX.divide_int(a, b)


def numeric_mod(a: Decimal, b: Decimal) -> Decimal:
    if a.is_nan() or b.is_nan():
        return Decimal("NaN")
    if b.is_zero():
        raise DivisionByZero("division by zero")
    if a.is_infinite():
        return Decimal("NaN")
    if b.is_infinite():
        return a
    r = CTX.remainder(a, b)
    return round_scale(r, max(dscale(a), dscale(b)))


def numeric_power(a: Decimal, b: Decimal) -> Decimal:
    if a.is_zero() and b < 0:
        from engine.errors import InvalidArgumentForPowerFunction

        raise InvalidArgumentForPowerFunction("zero raised to a negative power is undefined")
    if a < 0 and b != b.to_integral_value():
        from engine.errors import InvalidArgumentForPowerFunction

        raise InvalidArgumentForPowerFunction(
            "a negative number raised to a non-integer power yields a complex result")
    if a.is_zero():
        return round_scale(Decimal(1 if b.is_zero() else 0), max(MIN_SIG_DIGITS, dscale(a), dscale(b)))
    if b == b.to_integral_value() and abs(b) < 2**31:
        rscale = min(max(MIN_SIG_DIGITS, dscale(a), 0), 1000)
    else:
        val = float(b) * math.log10(abs(float(a))) if float(a) != 0 else 0.0
        rscale = min(max(MIN_SIG_DIGITS - int(val), dscale(a), dscale(b), 0), 1000)
    est = abs(float(b) * math.log10(abs(float(a)))) if float(a) not in (0.0, math.inf) else 0.0
    if est > 10**6:
        raise NumericValueOutOfRange("value overflows numeric format")
    ctx = decimal.Context(prec=min(rscale + int(est) + 40, 3000), rounding=ROUND_HALF_UP, Emax=10**6, Emin=-(10**6))
    if b == b.to_integral_value() and abs(b) < 10**6:
        r = ctx.power(a, int(b)) if b >= 0 else ctx.divide(1, ctx.power(a, -int(b)))
    else:
        r = ctx.power(a, b)
    return round_scale(r, rscale)


# --------------------------------------------------------------------------- integers
def int_add(a: int, b: int, oid: int) -> int:
    return check_int(a + b, oid)


def int_sub(a: int, b: int, oid: int) -> int:
    return check_int(a - b, oid)


def int_mul(a: int, b: int, oid: int) -> int:
    return check_int(a * b, oid)


def int_div(a: int, b: int, oid: int) -> int:
    """C division: truncates toward zero."""
    if b == 0:
        raise DivisionByZero("division by zero")
    q = abs(a) // abs(b)
    return check_int(q if (a < 0) == (b < 0) else -q, oid)


def int_mod(a: int, b: int, oid: int) -> int:
    """C remainder: takes the sign of the dividend."""
    if b == 0:
        raise DivisionByZero("division by zero")
    r = abs(a) % abs(b)
    return -r if a < 0 else r


# --------------------------------------------------------------------------- floats
def check_float(r: float, a: float, b: float, oid: int = T.FLOAT8, *, zero_ok: bool = False) -> float:
    """float_overflow/underflow checks of PostgreSQL's float operators."""
    if math.isinf(r) and not (math.isinf(a) or math.isinf(b)):
        raise NumericValueOutOfRange("value out of range: overflow")
    if r == 0 and not zero_ok and a != 0 and b != 0 and not (math.isinf(a) or math.isinf(b)):
        raise NumericValueOutOfRange("value out of range: underflow")
    return to_float4(r) if oid == T.FLOAT4 else r


def float_add(a: float, b: float, oid: int) -> float:
    return check_float(a + b, a, b, oid, zero_ok=True)


def float_sub(a: float, b: float, oid: int) -> float:
    return check_float(a - b, a, b, oid, zero_ok=True)


def float_mul(a: float, b: float, oid: int) -> float:
    return check_float(a * b, a, b, oid)


def float_div(a: float, b: float, oid: int) -> float:
    if b == 0:
        raise DivisionByZero("division by zero")
    if math.isinf(b):
        return 0.0 if not math.isinf(a) else math.nan
    return check_float(a / b, a, b, oid)


def float_pow(a: float, b: float) -> float:
    if a == 0 and b < 0:
        from engine.errors import InvalidArgumentForPowerFunction

        raise InvalidArgumentForPowerFunction("zero raised to a negative power is undefined")
    if a < 0 and b != math.floor(b) and not math.isinf(b):
        from engine.errors import InvalidArgumentForPowerFunction

        raise InvalidArgumentForPowerFunction(
            "a negative number raised to a non-integer power yields a complex result")
    try:
        r = math.pow(a, b)
    except OverflowError:
        raise NumericValueOutOfRange("value out of range: overflow") from None
    return r
