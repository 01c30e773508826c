"""Mathematical functions of PostgreSQL 15, with numeric result scales as PostgreSQL computes them."""

from __future__ import annotations

import decimal
import math
import random as _random
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from engine import types as T
from engine.errors import (
    DivisionByZero,
    InvalidArgumentForLogarithm,
    InvalidArgumentForPowerFunction,
    InvalidArgumentForWidthBucketFunction,
    NumericValueOutOfRange,
)
from engine.functions import function
from engine.sql import numeric_ops as N
from engine.sql.casts import check_int

F8, NUM, I2, I4, I8 = T.FLOAT8, T.NUMERIC, T.INT2, T.INT4, T.INT8
MIN_SIG = 16


def _ctx(rscale: int, d: Decimal) -> decimal.Context:
    digits = max(d.adjusted(), 0) if d.is_finite() and not d.is_zero() else 0
    return decimal.Context(prec=rscale + digits + 20, rounding=ROUND_HALF_UP, Emax=10**6, Emin=-(10**6))


# --------------------------------------------------------------------------- abs, sign, rounding
for _t in (I2, I4, I8):
    function("abs", _t, arg_oids=(_t,))(lambda x, _o=_t: check_int(abs(x), _o))
function("abs", F8, arg_oids=(F8,))(abs)
function("abs", T.FLOAT4, arg_oids=(T.FLOAT4,))(abs)
function("abs", NUM, arg_oids=(NUM,))(lambda x: x.copy_abs() if not x.is_nan() else x)


@function("sign", F8, arg_oids=(F8,))
def sign_f(x: float) -> float:
    return float((x > 0) - (x < 0)) if not math.isnan(x) else x


@function("sign", NUM, arg_oids=(NUM,))
def sign_n(x: Decimal) -> Decimal:
    return x if x.is_nan() else Decimal((x > 0) - (x < 0))


@function("ceil", F8, arg_oids=(F8,))
@function("ceiling", F8, arg_oids=(F8,))
def ceil_f(x: float) -> float:
    return float(math.ceil(x)) if math.isfinite(x) else x


@function("ceil", NUM, arg_oids=(NUM,))
@function("ceiling", NUM, arg_oids=(NUM,))
def ceil_n(x: Decimal) -> Decimal:
    return x if not x.is_finite() else x.to_integral_value(decimal.ROUND_CEILING)


@function("floor", F8, arg_oids=(F8,))
def floor_f(x: float) -> float:
    return float(math.floor(x)) if math.isfinite(x) else x


@function("floor", NUM, arg_oids=(NUM,))
def floor_n(x: Decimal) -> Decimal:
    return x if not x.is_finite() else x.to_integral_value(decimal.ROUND_FLOOR)


@function("round", F8, arg_oids=(F8,))
def round_f(x: float) -> float:
    return float(round(x)) if math.isfinite(x) else x  # rint(): half to even


@function("round", NUM, arg_oids=(NUM,))
def round_n(x: Decimal) -> Decimal:
    return round_n2(x, 0)


@function("round", NUM, arg_oids=(NUM, I4))
def round_n2(x: Decimal, scale: int) -> Decimal:
    if not x.is_finite():
        return x
    if scale >= 0:
        return N.round_scale(x, scale)
    q = Decimal(1).scaleb(-scale)
    return N.CTX.multiply(N.CTX.divide(x, q).quantize(Decimal(1), rounding=ROUND_HALF_UP, context=N.CTX), q)


@function("trunc", F8, arg_oids=(F8,))
def trunc_f(x: float) -> float:
    return float(math.trunc(x)) if math.isfinite(x) else x


@function("trunc", NUM, arg_oids=(NUM,))
def trunc_n(x: Decimal) -> Decimal:
    return trunc_n2(x, 0)


@function("trunc", NUM, arg_oids=(NUM, I4))
def trunc_n2(x: Decimal, scale: int) -> Decimal:
    if not x.is_finite():
        return x
    if scale >= 0:
        return x.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_DOWN, context=N.CTX)
    q = Decimal(1).scaleb(-scale)
    return N.CTX.multiply(N.CTX.divide(x, q).quantize(Decimal(1), rounding=ROUND_DOWN, context=N.CTX), q)


# --------------------------------------------------------------------------- roots, powers, logs
@function("sqrt", F8, arg_oids=(F8,))
def sqrt_f(x: float) -> float:
    if x < 0:
        raise InvalidArgumentForPowerFunction("cannot take square root of a negative number")
    return math.sqrt(x)


@function("sqrt", NUM, arg_oids=(NUM,))
def sqrt_n(x: Decimal) -> Decimal:
    if x.is_nan() or x.is_infinite() and x > 0:
        return x
    if x < 0:
        raise InvalidArgumentForPowerFunction("cannot take square root of a negative number")
    weight = (x.adjusted() // 4) if not x.is_zero() else 0
    sweight = (weight + 1) * 4 // 2 - 1
    rscale = min(max(MIN_SIG - sweight, N.dscale(x), 0), 1000)
    return N.round_scale(x.sqrt(_ctx(rscale, x)), rscale)


@function("cbrt", F8, arg_oids=(F8,))
def cbrt(x: float) -> float:
    return math.cbrt(x)


@function("power", F8, arg_oids=(F8, F8))
@function("pow", F8, arg_oids=(F8, F8))
def power_f(a: float, b: float) -> float:
    return N.float_pow(a, b)


@function("power", NUM, arg_oids=(NUM, NUM))
@function("pow", NUM, arg_oids=(NUM, NUM))
def power_n(a: Decimal, b: Decimal) -> Decimal:
    return N.numeric_power(a, b)


@function("exp", F8, arg_oids=(F8,))
def exp_f(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise NumericValueOutOfRange("value out of range: overflow") from None


@function("exp", NUM, arg_oids=(NUM,))
def exp_n(x: Decimal) -> Decimal:
    if not x.is_finite():
        return x if x.is_nan() or x > 0 else Decimal(0)
    val = float(x)
    if val > 6000:
        raise NumericValueOutOfRange("value overflows numeric format")
    rscale = min(max(MIN_SIG - int(val * 0.434294481903252), N.dscale(x), 0), 1000)
    return N.round_scale(x.exp(_ctx(rscale + int(abs(val) * 0.44), x)), rscale)


def _ln_check(x: Any) -> None:
    if x == 0:
        raise InvalidArgumentForLogarithm("cannot take logarithm of zero")
    if x < 0:
        raise InvalidArgumentForLogarithm("cannot take logarithm of a negative number")


@function("ln", F8, arg_oids=(F8,))
def ln_f(x: float) -> float:
    _ln_check(x)
    return math.log(x)


@function("log10", F8, arg_oids=(F8,))
@function("log", F8, arg_oids=(F8,))
def log10_f(x: float) -> float:
    _ln_check(x)
    return math.log10(x)


def _ln_dweight(x: Decimal) -> int:
    v = abs(math.log(float(x))) if float(x) not in (0.0, math.inf) else abs(x.ln(decimal.Context(prec=30)))
    if v == 0:
        return 0
    return int(math.log10(float(v)))


@function("ln", NUM, arg_oids=(NUM,))
def ln_n(x: Decimal) -> Decimal:
    if x.is_nan() or (x.is_infinite() and x > 0):
        return x
    _ln_check(x)
    rscale = min(max(MIN_SIG - _ln_dweight(x), N.dscale(x), 0), 1000)
    return N.round_scale(x.ln(_ctx(rscale, x)), rscale)


def _log_scale(result_est: float, *ds: Decimal) -> int:
    dw = int(math.floor(math.log10(abs(result_est)))) if result_est != 0 else 0
    return min(max(MIN_SIG - dw, *(N.dscale(d) for d in ds), 0), 1000)


@function("log10", NUM, arg_oids=(NUM,))
@function("log", NUM, arg_oids=(NUM,))
def log10_n(x: Decimal) -> Decimal:
    if x.is_nan() or (x.is_infinite() and x > 0):
        return x
    _ln_check(x)
    rscale = min(max(MIN_SIG - _ln_dweight(x), N.dscale(x), 0), 1000)
    return N.round_scale(x.log10(_ctx(rscale, x)), rscale)


@function("log", NUM, arg_oids=(NUM, NUM))
def log_n(base: Decimal, x: Decimal) -> Decimal:
    _ln_check(base)
    _ln_check(x)
    if base == 1:
        raise DivisionByZero("division by zero")
    est = math.log(float(x)) / math.log(float(base))
    rscale = _log_scale(est, base, x)
    ctx = _ctx(rscale + 10, x)
    return N.round_scale(ctx.divide(x.ln(ctx), base.ln(ctx)), rscale)


# --------------------------------------------------------------------------- integer-ish
for _t in (I2, I4, I8):
    function("mod", _t, arg_oids=(_t, _t))(lambda a, b, _o=_t: N.int_mod(a, b, _o))
function("mod", NUM, arg_oids=(NUM, NUM))(N.numeric_mod)


@function("div", NUM, arg_oids=(NUM, NUM))
def div(a: Decimal, b: Decimal) -> Decimal:
    return N.numeric_div_trunc(a, b)


@function("gcd", I4, arg_oids=(I4, I4))
def gcd4(a: int, b: int) -> int:
    return check_int(math.gcd(a, b), I4)


@function("gcd", I8, arg_oids=(I8, I8))
def gcd8(a: int, b: int) -> int:
    return check_int(math.gcd(a, b), I8)


@function("gcd", NUM, arg_oids=(NUM, NUM))
def gcd_n(a: Decimal, b: Decimal) -> Decimal:
    return Decimal(math.gcd(int(a), int(b)))


@function("lcm", I4, arg_oids=(I4, I4))
def lcm4(a: int, b: int) -> int:
    return check_int(math.lcm(a, b), I4)


@function("lcm", I8, arg_oids=(I8, I8))
def lcm8(a: int, b: int) -> int:
    return check_int(math.lcm(a, b), I8)


@function("width_bucket", I4, arg_oids=(F8, F8, F8, I4))
def width_bucket(op: float, lo: float, hi: float, count: int) -> int:
    if count <= 0:
        raise InvalidArgumentForWidthBucketFunction("count must be greater than zero")
    if lo == hi:
        raise InvalidArgumentForWidthBucketFunction("lower bound cannot equal upper bound")
    if math.isnan(op) or math.isnan(lo) or math.isnan(hi):
        raise InvalidArgumentForWidthBucketFunction(
            "operand, lower bound, and upper bound cannot be NaN")
    if lo < hi:
        if op < lo:
            return 0
        if op >= hi:
            return check_int(count + 1, I4)
        return int((op - lo) / (hi - lo) * count) + 1
    if op > lo:
        return 0
    if op <= hi:
        return check_int(count + 1, I4)
    return int((lo - op) / (lo - hi) * count) + 1


@function("width_bucket", I4, arg_oids=(NUM, NUM, NUM, I4))
def width_bucket_n(op: Decimal, lo: Decimal, hi: Decimal, count: int) -> int:
    if count <= 0:
        raise InvalidArgumentForWidthBucketFunction("count must be greater than zero")
    if lo == hi:
        raise InvalidArgumentForWidthBucketFunction("lower bound cannot equal upper bound")
    ctx = decimal.Context(prec=100)
    if lo < hi:
        if op < lo:
            return 0
        if op >= hi:
            return count + 1
        return int(ctx.divide(ctx.multiply(op - lo, count), hi - lo)) + 1
    if op > lo:
        return 0
    if op <= hi:
        return count + 1
    return int(ctx.divide(ctx.multiply(lo - op, count), lo - hi)) + 1


@function("pi", F8, arg_oids=())
def pi() -> float:
    return math.pi


@function("random", F8, arg_oids=(), volatile=True)
def random() -> float:
    return _random.random()


@function("setseed", T.VOID, arg_oids=(F8,), volatile=True)
def setseed(x: float) -> None:
    _random.seed(x)


for _name, _fn in (("sin", math.sin), ("cos", math.cos), ("tan", math.tan), ("asin", math.asin), ("acos", math.acos),
                   ("atan", math.atan), ("degrees", math.degrees), ("radians", math.radians),
                   ("sinh", math.sinh), ("cosh", math.cosh), ("tanh", math.tanh)):
    def _wrap(x: float, _f: Any = _fn) -> float:
        try:
            return _f(x)
        except ValueError:
            raise NumericValueOutOfRange("input is out of range") from None

    function(_name, F8, arg_oids=(F8,))(_wrap)
function("atan2", F8, arg_oids=(F8, F8))(math.atan2)
function("cot", F8, arg_oids=(F8,))(lambda x: 1.0 / math.tan(x) if math.tan(x) != 0 else math.inf)


@function("factorial", NUM, arg_oids=(I8,))
def factorial(n: int) -> Decimal:
    if n < 0:
        raise NumericValueOutOfRange("factorial of a negative number is undefined")
    if n > 32177:
        raise NumericValueOutOfRange("value overflows numeric format")
    return Decimal(math.factorial(n))


@function("scale", I4, arg_oids=(NUM,))
def scale(x: Decimal) -> int | None:
    return N.dscale(x) if x.is_finite() else None


@function("min_scale", I4, arg_oids=(NUM,))
def min_scale(x: Decimal) -> int | None:
    return N.dscale(x.normalize()) if x.is_finite() else None


@function("trim_scale", NUM, arg_oids=(NUM,))
def trim_scale(x: Decimal) -> Decimal:
    if not x.is_finite():
        return x
    n = x.normalize(N.CTX)
    return n.quantize(Decimal(1), context=N.CTX) if n.as_tuple().exponent > 0 else n  # type: ignore[operator]
