"""PostgreSQL operators on Python values, and their resolution from operand types.

``binary_op(op, left_oid, right_oid) -> (impl, result_oid)``: ``impl(left, right, timezone="UTC")`` is strict
(either operand None → None) and already casts operands to the chosen operator's argument types, so the executor
calls it with the values it has. ``unary_op(op, oid)`` likewise for prefix operators. Resolution follows
PostgreSQL: exact match, unknown literals take the other side's type, then implicit casts with the most exact
matches. No match → 42883 ``operator does not exist: integer + text``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np

from engine import types as T
from engine.errors import InvalidEscapeSequence, InvalidRegularExpression, RemError, UndefinedFunction
from engine.sql import datetime_ops as D
from engine.sql import json_ops as J
from engine.sql import numeric_ops as N
from engine.sql.casts import can_cast, cast, check_int, common_type, to_text
from engine.textio import type_display_name

Impl = Callable[..., Any]
ANYELEMENT, ANYARRAY, ANYNONARRAY = 2283, T.ANYARRAY, 2776
INTS = (T.INT2, T.INT4, T.INT8)
_RANK = {T.INT2: 0, T.INT4: 1, T.INT8: 2}
_OPS: dict[str, list[tuple[int, int, int | Callable[[int, int], int], Impl]]] = {}
_UNARY: dict[str, list[tuple[int, int, Impl]]] = {}
_ALIASES = {"!=": "<>", "like": "~~", "ilike": "~~*", "not like": "!~~", "not ilike": "!~~*"}


def _reg(op: str, left: int, right: int, result: int | Callable[[int, int], int], fn: Impl) -> None:
    _OPS.setdefault(op, []).append((left, right, result, fn))


def _ureg(op: str, arg: int, result: int, fn: Impl) -> None:
    _UNARY.setdefault(op, []).append((arg, result, fn))


# --------------------------------------------------------------------------- comparison
def _float_cmp(a: float, b: float) -> int:
    an, bn = math.isnan(a), math.isnan(b)
    if an or bn:
        return 0 if an and bn else (1 if an else -1)
    return (a > b) - (a < b)


def _numeric_cmp(a: Decimal, b: Decimal) -> int:
    an, bn = a.is_nan(), b.is_nan()
    if an or bn:
        return 0 if an and bn else (1 if an else -1)
    return (a > b) - (a < b)


def _plain_cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def _text_cmp(a: str, b: str) -> int:
    return (a > b) - (a < b)


def _bpchar_cmp(a: str, b: str) -> int:
    return _text_cmp(a.rstrip(" "), b.rstrip(" "))


def _interval_cmp(a: T.Interval, b: T.Interval) -> int:
    return _plain_cmp(D.interval_span(a), D.interval_span(b))


def comparator(oid: int) -> Callable[[Any, Any], int]:
    """A three-way comparison with PostgreSQL's semantics for values of type ``oid`` (NaN largest, C collation)."""
    if oid in (T.FLOAT4, T.FLOAT8):
        return _float_cmp
    if oid == T.NUMERIC:
        return _numeric_cmp
    if oid == T.BPCHAR:
        return _bpchar_cmp
    if oid == T.INTERVAL:
        return _interval_cmp
    if oid in (T.JSONB, T.JSON):
        return J.jsonb_cmp
    if oid == T.VECTOR:
        return lambda a, b: _plain_cmp(list(np.asarray(a)), list(np.asarray(b)))
    elem = T.element_of(oid)
    if elem:
        ec = comparator(elem)
        return lambda a, b: _array_cmp(a, b, ec)
    return _plain_cmp


def _flatten(v: Any) -> list:
    if isinstance(v, list):
        out: list = []
        for x in v:
            out.extend(_flatten(x)) if isinstance(x, list) else out.append(x)
        return out
    return [v]


def _array_cmp(a: list, b: list, ec: Callable[[Any, Any], int]) -> int:
    fa, fb = _flatten(a), _flatten(b)
    for x, y in zip(fa, fb, strict=False):
        if x is None or y is None:
            if x is None and y is None:
                continue
            return 1 if x is None else -1
        c = ec(x, y)
        if c:
            return c
    return _plain_cmp(len(fa), len(fb))


_CMP_OPS: dict[str, Callable[[int], bool]] = {
    "=": lambda c: c == 0, "<>": lambda c: c != 0, "<": lambda c: c < 0,
    ">": lambda c: c > 0, "<=": lambda c: c <= 0, ">=": lambda c: c >= 0,
}


def _reg_cmp(left: int, right: int, cmp: Callable[[Any, Any], int], conv: Callable[[Any], Any] | None = None) -> None:
    for op, test in _CMP_OPS.items():
        if conv is None:
            _reg(op, left, right, T.BOOL, lambda a, b, _t=test, _c=cmp: _t(_c(a, b)))
        else:
            _reg(op, left, right, T.BOOL, lambda a, b, _t=test, _c=cmp, _v=conv: _t(_c(_v(a), _v(b))))


# --------------------------------------------------------------------------- arithmetic registrations
def _int_ops() -> None:
    for lo in INTS:
        for ro in INTS:
            res = lo if _RANK[lo] >= _RANK[ro] else ro
            _reg("+", lo, ro, res, lambda a, b, _r=res: N.int_add(a, b, _r))
            _reg("-", lo, ro, res, lambda a, b, _r=res: N.int_sub(a, b, _r))
            _reg("*", lo, ro, res, lambda a, b, _r=res: N.int_mul(a, b, _r))
            _reg("/", lo, ro, res, lambda a, b, _r=res: N.int_div(a, b, _r))
            _reg_cmp(lo, ro, _plain_cmp)
            if lo == ro:
                _reg("%", lo, ro, res, lambda a, b, _r=res: N.int_mod(a, b, _r))
                _reg("&", lo, ro, res, lambda a, b: a & b)
                _reg("|", lo, ro, res, lambda a, b: a | b)
                _reg("#", lo, ro, res, lambda a, b: a ^ b)
        _reg("<<", lo, T.INT4, lo, lambda a, b, _o=lo: _shift(a, b, _o, True))
        _reg(">>", lo, T.INT4, lo, lambda a, b, _o=lo: _shift(a, b, _o, False))
        _ureg("-", lo, lo, lambda a, _o=lo: check_int(-a, _o))
        _ureg("+", lo, lo, lambda a: a)
        _ureg("@", lo, lo, lambda a, _o=lo: check_int(abs(a), _o))
        _ureg("~", lo, lo, lambda a: ~a)


def _shift(a: int, b: int, oid: int, left: bool) -> int:
    bits = {T.INT2: 16, T.INT4: 32, T.INT8: 64}[oid]
    b %= bits
    if not left:
        return a >> b
    r = (a << b) & ((1 << bits) - 1)
    return r - (1 << bits) if r >= 1 << (bits - 1) else r


def _float_ops() -> None:
    for lo in (T.FLOAT4, T.FLOAT8):
        for ro in (T.FLOAT4, T.FLOAT8):
            res = T.FLOAT8 if T.FLOAT8 in (lo, ro) else T.FLOAT4
            _reg("+", lo, ro, res, lambda a, b, _r=res: N.float_add(a, b, _r))
            _reg("-", lo, ro, res, lambda a, b, _r=res: N.float_sub(a, b, _r))
            _reg("*", lo, ro, res, lambda a, b, _r=res: N.float_mul(a, b, _r))
            _reg("/", lo, ro, res, lambda a, b, _r=res: N.float_div(a, b, _r))
            _reg_cmp(lo, ro, _float_cmp)
        _ureg("-", lo, lo, lambda a: -a)
        _ureg("+", lo, lo, lambda a: a)
        _ureg("@", lo, lo, abs)
    _reg("^", T.FLOAT8, T.FLOAT8, T.FLOAT8, N.float_pow)
    _ureg("|/", T.FLOAT8, T.FLOAT8, _sqrt)
    _ureg("||/", T.FLOAT8, T.FLOAT8, math.cbrt)


def _sqrt(a: float) -> float:
    if a < 0:
        from engine.errors import InvalidArgumentForPowerFunction

        raise InvalidArgumentForPowerFunction("cannot take square root of a negative number")
    return math.sqrt(a)


def _numeric_ops() -> None:
    n = T.NUMERIC
    _reg("+", n, n, n, N.numeric_add)
    _reg("-", n, n, n, N.numeric_sub)
    _reg("*", n, n, n, N.numeric_mul)
    _reg("/", n, n, n, N.numeric_div)
    _reg("%", n, n, n, N.numeric_mod)
    _reg("^", n, n, n, N.numeric_power)
    _reg_cmp(n, n, _numeric_cmp)
    _ureg("-", n, n, lambda a: a.copy_negate() if not a.is_nan() else a)
    _ureg("+", n, n, lambda a: a)
    _ureg("@", n, n, lambda a: a.copy_abs())


# --------------------------------------------------------------------------- strings and patterns
class _TrailingEscape(Exception):
    pass


@functools.lru_cache(maxsize=512)
def like_regex(pattern: str, escape: str | None = "\\", ci: bool = False) -> re.Pattern[str]:
    """LIKE/ILIKE pattern → compiled regex (use ``fullmatch``)."""
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if escape and c == escape:
            if i + 1 >= n:
                raise _TrailingEscape
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ci else 0))


def like(s: str, pattern: str, escape: str | None = "\\", ci: bool = False) -> bool:
    try:
        return like_regex(pattern, escape, ci).fullmatch(s) is not None
    except _TrailingEscape:
        # PostgreSQL only fails when matching reaches the dangling escape with text left to match
        head = like_regex(pattern[:-1], escape, ci)
        if any(head.fullmatch(s, 0, k) for k in range(len(s))):
            raise InvalidEscapeSequence("LIKE pattern must not end with escape character") from None
        return False


@functools.lru_cache(maxsize=256)
def similar_regex(pattern: str, escape: str | None = "\\") -> re.Pattern[str]:
    """SIMILAR TO pattern → compiled regex (use ``fullmatch``); the translation is :func:`ops.similar_regex`."""
    from engine.sql import ops

    try:
        return re.compile(ops.similar_regex(pattern, escape), re.DOTALL)
    except re.error as e:
        raise InvalidRegularExpression(f"invalid regular expression: {e}") from None


_POSIX_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": r"\s", "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"), "xdigit": "0-9A-Fa-f",
    "word": r"\w", "blank": r" \t", "cntrl": r"\x00-\x1f\x7f", "print": r"\x20-\x7e", "graph": r"\x21-\x7e",
}


@functools.lru_cache(maxsize=512)
def pg_regex(pattern: str, flags: str = "") -> re.Pattern[str]:
    """A POSIX (ARE) regular expression as Python ``re`` (classes [[:alpha:]], \\m \\M \\y translated)."""
    p = re.sub(r"\[:(\w+):\]", lambda m: _POSIX_CLASSES.get(m[1], m[0]), pattern)
    p = p.replace(r"\m", r"\b(?=\w)").replace(r"\M", r"\b(?<=\w)").replace(r"\y", r"\b")
    f = 0
    for ch in flags:
        if ch == "i":
            f |= re.IGNORECASE
        elif ch in "nmw":
            f |= re.MULTILINE
        elif ch == "s":
            f |= re.DOTALL
        elif ch == "x":
            f |= re.VERBOSE
        elif ch not in "gc":
            raise InvalidParameterValue_(f'invalid regular expression option: "{ch}"')
    try:
        return re.compile(p, f)
    except re.error as e:
        raise InvalidRegularExpression(f"invalid regular expression: {e}") from None


def InvalidParameterValue_(msg: str) -> Exception:  # noqa: N802 - error factory
    from engine.errors import InvalidParameterValue

    return InvalidParameterValue(msg)


def regex_match(s: str, pattern: str, ci: bool = False) -> bool:
    return pg_regex(pattern, "i" if ci else "").search(s) is not None


def _text_ops() -> None:
    for t in (T.TEXT, T.NAME, T.BPCHAR):
        cmp = _bpchar_cmp if t == T.BPCHAR else _text_cmp
        _reg_cmp(t, t, cmp)
        _reg("~~", t, T.TEXT, T.BOOL, lambda a, b: like(a, b))
        _reg("!~~", t, T.TEXT, T.BOOL, lambda a, b: not like(a, b))
        _reg("~~*", t, T.TEXT, T.BOOL, lambda a, b: like(a, b, ci=True))
        _reg("!~~*", t, T.TEXT, T.BOOL, lambda a, b: not like(a, b, ci=True))
        _reg("~", t, T.TEXT, T.BOOL, lambda a, b: regex_match(a, b))
        _reg("!~", t, T.TEXT, T.BOOL, lambda a, b: not regex_match(a, b))
        _reg("~*", t, T.TEXT, T.BOOL, lambda a, b: regex_match(a, b, True))
        _reg("!~*", t, T.TEXT, T.BOOL, lambda a, b: not regex_match(a, b, True))
    _reg_cmp(T.NAME, T.TEXT, _text_cmp)
    _reg_cmp(T.TEXT, T.NAME, _text_cmp)
    _reg("^@", T.TEXT, T.TEXT, T.BOOL, lambda a, b: a.startswith(b))
    _reg("||", T.TEXT, T.TEXT, T.TEXT, lambda a, b: a + b)
    _reg("||", T.TEXT, ANYNONARRAY, T.TEXT, None)  # resolved specially (needs the operand's type)
    _reg("||", ANYNONARRAY, T.TEXT, T.TEXT, None)
    _reg("||", T.BYTEA, T.BYTEA, T.BYTEA, lambda a, b: bytes(a) + bytes(b))
    _reg_cmp(T.BYTEA, T.BYTEA, lambda a, b: _plain_cmp(bytes(a), bytes(b)))
    _reg_cmp(T.CHAR, T.CHAR, _text_cmp)


def _misc_ops() -> None:
    for t in (T.BOOL, T.UUID, T.OID, T.DATE, T.TIME, T.TIMETZ, T.TIMESTAMP, T.TIMESTAMPTZ):
        _reg_cmp(t, t, _plain_cmp)
    _reg_cmp(T.INTERVAL, T.INTERVAL, _interval_cmp)
    _reg_cmp(T.JSONB, T.JSONB, J.jsonb_cmp)
    _reg_cmp(T.VECTOR, T.VECTOR, comparator(T.VECTOR))


def _datetime_ops() -> None:
    iv, d, ts, tz, tm = T.INTERVAL, T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ, T.TIME
    _reg("+", d, T.INT4, d, D.date_plus_days)
    _reg("+", T.INT4, d, d, lambda a, b: D.date_plus_days(b, a))
    _reg("-", d, T.INT4, d, lambda a, b: D.date_plus_days(a, -b))
    _reg("-", d, d, T.INT4, D.date_diff)
    _reg("+", d, iv, ts, lambda a, b: D.timestamp_plus_interval(D.date_to_ts(a), b))
    _reg("+", iv, d, ts, lambda a, b: D.timestamp_plus_interval(D.date_to_ts(b), a))
    _reg("-", d, iv, ts, lambda a, b: D.timestamp_plus_interval(D.date_to_ts(a), D.neg_interval(b)))
    _reg("+", d, tm, ts, lambda a, b: D.date_to_ts(a).replace(hour=b.hour, minute=b.minute, second=b.second,
                                                               microsecond=b.microsecond))
    _reg("+", ts, iv, ts, D.timestamp_plus_interval)
    _reg("+", iv, ts, ts, lambda a, b: D.timestamp_plus_interval(b, a))
    _reg("-", ts, iv, ts, lambda a, b: D.timestamp_plus_interval(a, D.neg_interval(b)))
    _reg("+", tz, iv, tz, lambda a, b, tzn="UTC": D.timestamptz_plus_interval(a, b, tzn))
    _reg("+", iv, tz, tz, lambda a, b, tzn="UTC": D.timestamptz_plus_interval(b, a, tzn))
    _reg("-", tz, iv, tz, lambda a, b, tzn="UTC": D.timestamptz_plus_interval(a, D.neg_interval(b), tzn))
    _reg("-", ts, ts, iv, D.timestamp_diff)
    _reg("-", tz, tz, iv, D.timestamp_diff)
    _reg("+", tm, iv, tm, D.time_plus_interval)
    _reg("+", iv, tm, tm, lambda a, b: D.time_plus_interval(b, a))
    _reg("-", tm, iv, tm, lambda a, b: D.time_plus_interval(a, D.neg_interval(b)))
    _reg("-", tm, tm, iv, D.time_diff)
    _reg("+", iv, iv, iv, D.interval_add)
    _reg("-", iv, iv, iv, D.interval_sub)
    _reg("*", iv, T.FLOAT8, iv, D.interval_mul)
    _reg("*", T.FLOAT8, iv, iv, lambda a, b: D.interval_mul(b, a))
    _reg("/", iv, T.FLOAT8, iv, D.interval_div)
    _ureg("-", iv, iv, D.neg_interval)
    _ureg("+", iv, iv, lambda a: a)


def _json_ops() -> None:
    jb, js, tx, i4, ta = T.JSONB, T.JSON, T.TEXT, T.INT4, 1009
    for j in (jb, js):
        sort = j == jb
        _reg("->", j, tx, j, J.get_field)
        _reg("->", j, i4, j, J.get_field)
        _reg("->>", j, tx, tx, lambda a, b, _s=sort: J.get_text(a, b, _s))
        _reg("->>", j, i4, tx, lambda a, b, _s=sort: J.get_text(a, b, _s))
        _reg("#>", j, ta, j, J.get_path)
        _reg("#>>", j, ta, tx, lambda a, b, _s=sort: J.get_path_text(a, b, _s))
    _reg("@>", jb, jb, T.BOOL, J.contains)
    _reg("<@", jb, jb, T.BOOL, lambda a, b: J.contains(b, a))
    _reg("?", jb, tx, T.BOOL, J.exists)
    _reg("?|", jb, ta, T.BOOL, J.exists_any)
    _reg("?&", jb, ta, T.BOOL, J.exists_all)
    _reg("||", jb, jb, jb, J.concat)
    _reg("-", jb, tx, jb, J.delete)
    _reg("-", jb, i4, jb, J.delete)
    _reg("-", jb, ta, jb, J.delete)
    _reg("#-", jb, ta, jb, J.delete_path)


# --------------------------------------------------------------------------- arrays
def array_contains(a: list, b: list, cmp: Callable[[Any, Any], int] = _plain_cmp) -> bool:
    """``a @> b``: every non-null element of b equals some element of a (NULLs never match)."""
    fa = [x for x in _flatten(a) if x is not None]
    for y in _flatten(b):
        if y is None or not any(cmp(x, y) == 0 for x in fa):
            return False
    return True


def array_overlap(a: list, b: list, cmp: Callable[[Any, Any], int] = _plain_cmp) -> bool:
    fa = [x for x in _flatten(a) if x is not None]
    return any(y is not None and any(cmp(x, y) == 0 for x in fa) for y in _flatten(b))


def array_cat(a: list, b: list) -> list:
    if not a:
        return list(b)
    if not b:
        return list(a)
    da, db = _ndims(a), _ndims(b)
    if da == db:
        return list(a) + list(b)
    if da == db + 1:
        return list(a) + [b]
    if db == da + 1:
        return [a] + list(b)
    from engine.errors import ArraySubscriptError

    raise ArraySubscriptError("cannot concatenate incompatible arrays")


def _ndims(a: Any) -> int:
    n = 0
    while isinstance(a, list) and a:
        n += 1
        a = a[0]
    return n


def _array_ops() -> None:
    _reg("@>", ANYARRAY, ANYARRAY, T.BOOL, None)
    _reg("<@", ANYARRAY, ANYARRAY, T.BOOL, None)
    _reg("&&", ANYARRAY, ANYARRAY, T.BOOL, None)
    _reg("||", ANYARRAY, ANYARRAY, ANYARRAY, None)
    _reg("||", ANYARRAY, ANYELEMENT, ANYARRAY, None)
    _reg("||", ANYELEMENT, ANYARRAY, ANYARRAY, None)
    for op in _CMP_OPS:
        _reg(op, ANYARRAY, ANYARRAY, T.BOOL, None)


# --------------------------------------------------------------------------- vectors
def _vec_ops() -> None:
    v = T.VECTOR

    def _same(a: np.ndarray, b: np.ndarray) -> None:
        if len(a) != len(b):
            from engine.errors import DataException

            raise DataException(f"different vector dimensions {len(a)} and {len(b)}")

    def l2(a: Any, b: Any) -> float:
        _same(a, b)
        d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
        return float(math.sqrt(float(np.dot(d, d))))

    def cosine(a: Any, b: Any) -> float:
        _same(a, b)
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        nx, ny = float(np.dot(x, x)), float(np.dot(y, y))
        if nx == 0 or ny == 0:
            return math.nan
        sim = float(np.dot(x, y)) / math.sqrt(nx * ny)
        return 1.0 - max(-1.0, min(1.0, sim))

    def neg_ip(a: Any, b: Any) -> float:
        _same(a, b)
        return -float(np.dot(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)))

    _reg("<->", v, v, T.FLOAT8, l2)
    _reg("<=>", v, v, T.FLOAT8, cosine)
    _reg("<#>", v, v, T.FLOAT8, neg_ip)
    _reg("+", v, v, v, lambda a, b: (_same(a, b), (np.asarray(a) + np.asarray(b)).astype(np.float32))[1])
    _reg("-", v, v, v, lambda a, b: (_same(a, b), (np.asarray(a) - np.asarray(b)).astype(np.float32))[1])
    _reg("*", v, v, v, lambda a, b: (_same(a, b), (np.asarray(a) * np.asarray(b)).astype(np.float32))[1])


_int_ops()
_float_ops()
_numeric_ops()
_text_ops()
_misc_ops()
_datetime_ops()
_json_ops()
_array_ops()
_vec_ops()


# --------------------------------------------------------------------------- resolution
def _strict(fn: Impl, lcast: tuple[int, int] | None, rcast: tuple[int, int] | None, result: int = 0) -> Impl:
    takes_tz = "tzn" in getattr(fn, "__code__", compile("0", "", "eval")).co_varnames

    def impl(a: Any, b: Any, timezone: str = "UTC") -> Any:
        if a is None or b is None:
            return None
        if lcast:
            a = cast(a, lcast[0], lcast[1], timezone=timezone)
        if rcast:
            b = cast(b, rcast[0], rcast[1], timezone=timezone)
        try:
            return fn(a, b, timezone) if takes_tz else fn(a, b)
        except (OverflowError, ValueError, ArithmeticError) as e:
            raise out_of_range(result) from e

    return impl


def out_of_range(result_oid: int) -> RemError:
    """The PostgreSQL error for a result that Python cannot represent."""
    from engine.errors import DatetimeFieldOverflow, NumericValueOutOfRange

    if result_oid == T.INTERVAL:
        return DatetimeFieldOverflow("interval out of range")
    if result_oid in (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ, T.TIME, T.TIMETZ):
        return DatetimeFieldOverflow(f"{'date' if result_oid == T.DATE else 'timestamp'} out of range")
    return NumericValueOutOfRange("value out of range: overflow")


def _poly(op: str, lo: int, ro: int, ctype_l: int, ctype_r: int) -> tuple[Impl, int] | None:
    """Polymorphic operators: text || any, array ops."""
    if op == "||" and ctype_l == T.TEXT and ctype_r == ANYNONARRAY:
        return _strict(lambda a, b: a + to_text(b, ro), (lo, T.TEXT) if lo != T.TEXT else None, None), T.TEXT
    if op == "||" and ctype_l == ANYNONARRAY and ctype_r == T.TEXT:
        return _strict(lambda a, b: to_text(a, lo) + b, None, (ro, T.TEXT) if ro != T.TEXT else None), T.TEXT
    le, re_ = T.element_of(lo), T.element_of(ro)
    if ctype_l == ANYARRAY and ctype_r == ANYARRAY:
        arr = lo if lo != T.UNKNOWN else ro
        elem = T.element_of(arr)
        lcast = (lo, arr) if lo != arr else None
        rcast = (ro, arr) if ro != arr else None
        cmp = comparator(elem)
        if op == "@>":
            return _strict(lambda a, b: array_contains(a, b, cmp), lcast, rcast), T.BOOL
        if op == "<@":
            return _strict(lambda a, b: array_contains(b, a, cmp), lcast, rcast), T.BOOL
        if op == "&&":
            return _strict(lambda a, b: array_overlap(a, b, cmp), lcast, rcast), T.BOOL
        if op == "||":
            return _array_concat_impl(array_cat, lcast, rcast), arr
        test = _CMP_OPS[op]
        acmp = comparator(arr)
        return _strict(lambda a, b: test(acmp(a, b)), lcast, rcast), T.BOOL
    if op == "||" and ctype_l == ANYARRAY:
        rcast = (ro, le) if ro != le else None
        return _array_concat_impl(lambda a, b: list(a) + [b], None, rcast), lo
    if op == "||" and ctype_r == ANYARRAY:
        lcast = (lo, re_) if lo != re_ else None
        return _array_concat_impl(lambda a, b: [a] + list(b), lcast, None), ro
    return None


def _array_concat_impl(fn: Impl, lcast: tuple[int, int] | None, rcast: tuple[int, int] | None) -> Impl:
    """Array concatenation is not strict on NULL arrays: NULL || arr = arr (element NULLs are kept)."""

    def impl(a: Any, b: Any, timezone: str = "UTC") -> Any:
        if lcast and a is not None:
            a = cast(a, lcast[0], lcast[1], timezone=timezone)
        if rcast and b is not None:
            b = cast(b, rcast[0], rcast[1], timezone=timezone)
        return fn(a if a is not None else [], b) if not (a is None and b is None) else None

    return impl


def _matches_poly(ctype: int, oid: int) -> bool:
    if ctype == ANYARRAY:
        return bool(T.element_of(oid)) or oid == T.UNKNOWN
    if ctype in (ANYELEMENT, ANYNONARRAY):
        return not (ctype == ANYNONARRAY and T.element_of(oid)) and oid != T.UNKNOWN
    return False


def _array_op(key: str, lo: int, ro: int) -> tuple[Impl, int] | None:
    """Array operators: an unknown operand is an array of the other side's type; element types unify."""
    if key not in ("||", "@>", "<@", "&&", *_CMP_OPS):
        return None
    le, re_ = T.element_of(lo), T.element_of(ro)
    if not le and not re_:
        return None
    lo_eff = ro if lo == T.UNKNOWN else lo
    ro_eff = lo if ro == T.UNKNOWN else ro
    le, re_ = T.element_of(lo_eff), T.element_of(ro_eff)
    if le in (T.INT2VECTOR, T.OIDVECTOR) or lo_eff in (T.INT2VECTOR, T.OIDVECTOR):
        return None
    if key != "||" and not (le and re_ and le == re_):
        return None
    try:
        elem = common_type([le or lo_eff, re_ or ro_eff], "ARRAY")
    except RemError:
        return None
    for src in (le or lo_eff, re_ or ro_eff):
        if not can_cast(src, elem, "i"):
            return None
    arr = T.array_of(elem)
    if not arr:
        return None
    lt = arr if le else elem
    rt = arr if re_ else elem
    fn = _poly(key, lt, rt, ANYARRAY if le else ANYELEMENT, ANYARRAY if re_ else ANYELEMENT)
    if fn is None:
        return None
    return _casting(fn, lo, ro, lt, rt)


@functools.lru_cache(maxsize=4096)
def binary_op(op: str, left_oid: int, right_oid: int) -> tuple[Impl, int]:
    """Resolve ``left op right`` to (impl(a, b, timezone="UTC"), result type OID), or raise 42883."""
    key = _ALIASES.get(op.lower(), op)
    cands = _OPS.get(key, [])
    lo, ro = left_oid, right_oid
    if lo == T.UNKNOWN and ro == T.UNKNOWN:
        lo = ro = T.TEXT
    elif lo == T.UNKNOWN and not T.element_of(ro):
        lo = ro if any(c[0] == ro and c[1] == ro for c in cands) else lo
    elif ro == T.UNKNOWN and not T.element_of(lo):
        ro = lo if any(c[0] == lo and c[1] == lo for c in cands) else ro
    for cl, cr, res, fn in cands:
        if cl == lo and cr == ro and fn is not None:
            return _strict(fn, _c(left_oid, cl), _c(right_oid, cr), res), res  # type: ignore[arg-type]
    # polymorphic candidates (arrays, text || anynonarray)
    arr = _array_op(key, left_oid, right_oid)
    if arr is not None:
        return arr
    if key == "||":
        for cl, cr, _res, fn in cands:
            if fn is None and ((cl == T.TEXT and cr == ANYNONARRAY and _is_textish(lo) and not _is_textish(ro)
                                and ro != T.UNKNOWN and not T.element_of(ro))
                               or (cr == T.TEXT and cl == ANYNONARRAY and _is_textish(ro) and not _is_textish(lo)
                                   and lo != T.UNKNOWN and not T.element_of(lo))):
                r = _poly(key, lo, ro, cl, cr)
                if r:
                    return r
    # implicit-cast candidates: most exact matches, then preferred types
    best: list[tuple[int, int, int, int, Impl]] = []
    for cl, cr, res, fn in cands:
        if fn is None:
            continue
        if _coercible(lo, cl) and _coercible(ro, cr):
            exact = (cl == lo) + (cr == ro)
            pref = sum(1 for c in (cl, cr) if T.by_oid(c) and T.by_oid(c).preferred)  # type: ignore[union-attr]
            best.append((exact, pref, cl, cr, fn))
            _RES[(cl, cr, key)] = res
    if best:
        best.sort(key=lambda x: (x[0], x[1]), reverse=True)
        exact, pref, cl, cr, fn = best[0]
        res = _RES[(cl, cr, key)]
        return _strict(fn, _c(left_oid, cl), _c(right_oid, cr), res), res  # type: ignore[arg-type]
    raise UndefinedFunction(
        f"operator does not exist: {type_display_name(left_oid)} {op} {type_display_name(right_oid)}",
        hint="No operator matches the given name and argument types. You might need to add explicit type casts.",
    )


_RES: dict[tuple[int, int, str], Any] = {}


def _is_textish(oid: int) -> bool:
    return oid in (T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME, T.UNKNOWN)


def _coercible(src: int, dst: int) -> bool:
    return src == dst or src == T.UNKNOWN or can_cast(src, dst, "i")


def _c(src: int, dst: int) -> tuple[int, int] | None:
    return None if src == dst else (src, dst)


def _casting(r: tuple[Impl, int], lo: int, ro: int, cl: int, cr: int) -> tuple[Impl, int]:
    fn, res = r
    lcast, rcast = _c(lo, cl), _c(ro, cr)

    def impl(a: Any, b: Any, timezone: str = "UTC") -> Any:
        if lcast and a is not None:
            a = cast(a, lcast[0], lcast[1], timezone=timezone)
        if rcast and b is not None:
            b = cast(b, rcast[0], rcast[1], timezone=timezone)
        return fn(a, b, timezone)

    return impl, res


@functools.lru_cache(maxsize=1024)
def unary_op(op: str, oid: int) -> tuple[Impl, int]:
    """Resolve a prefix operator (``-``, ``+``, ``@``, ``~``, ``|/``, ``||/``) on type ``oid``."""
    cands = _UNARY.get(op, [])
    arg = T.FLOAT8 if oid == T.UNKNOWN else oid
    for ca, res, fn in cands:
        if ca == arg:
            return _unary_impl(fn, None, res), res
    for ca, res, fn in sorted(cands, key=lambda c: not (T.by_oid(c[0]) and T.by_oid(c[0]).preferred)):  # type: ignore[union-attr]
        if can_cast(arg, ca, "i"):
            return _unary_impl(fn, (oid, ca), res), res
    raise UndefinedFunction(
        f"operator does not exist: {op} {type_display_name(oid)}",
        hint="No operator matches the given name and argument type. You might need to add an explicit type cast.",
    )


def _unary_impl(fn: Impl, conv: tuple[int, int] | None, res: int) -> Impl:
    def impl(a: Any, timezone: str = "UTC") -> Any:
        if a is None:
            return None
        if conv:
            a = cast(a, conv[0], conv[1], timezone=timezone)
        try:
            return fn(a)
        except (OverflowError, ValueError, ArithmeticError) as e:
            raise out_of_range(res) from e

    return impl


def compare_any(impl: Impl, value: Any, array: list | None, *, all_: bool = False, timezone: str = "UTC") -> bool | None:
    """``value op ANY(array)`` / ``ALL(array)`` with SQL's three-valued logic (impl from :func:`binary_op`)."""
    if array is None:
        return None
    saw_null = False
    for x in _flatten(array):
        r = impl(value, x, timezone)
        if r is None:
            saw_null = True
        elif r and not all_:
            return True
        elif not r and all_:
            return False
    return None if saw_null else all_
