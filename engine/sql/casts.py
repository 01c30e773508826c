"""Casts between REM types with PostgreSQL 15 semantics, and PostgreSQL's type resolution rules.

``cast(value, from_oid, to_oid, typmod)`` converts a Python value; ``can_cast(from, to, context)`` says whether
pg_cast allows it in context ``'i'`` (implicit), ``'a'`` (assignment) or ``'e'`` (explicit);
``common_type(oids)`` is select_common_type (UNION/CASE/COALESCE/VALUES). Casts to and from catalog reg* types
are looked up in :data:`REG_CASTS`, which the catalog fills.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from engine import types as T
from engine.errors import (
    CannotCoerce,
    DatatypeMismatch,
    FeatureNotSupported,
    InvalidParameterValue,
    NumericValueOutOfRange,
)
from engine.textio import (
    _REG_TYPES,
    TEXT_LIKE,
    apply_numeric_typmod,
    apply_string_typmod,
    format_text,
    parse_text,
    round_timestamp,
    type_display_name,
)
from engine.textio_datetime import (
    DATE_NEG_INF,
    DATE_POS_INF,
    TS_NEG_INF,
    TS_POS_INF,
    USECS_PER_DAY,
    localize,
    to_local,
    tzinfo_for,
)
from engine.textio_json import format_json, normalize_jsonb

REG_CASTS: dict[tuple[int, int], Callable[[Any], Any]] = {}
"""(from_oid, to_oid) → converter, for casts involving reg* types (filled by the catalog engineer)."""

INTS = (T.INT2, T.INT4, T.INT8)
FLOATS = (T.FLOAT4, T.FLOAT8)
NUMBERS = (*INTS, T.NUMERIC, *FLOATS)
_INT_RANGE = {T.INT2: (-(2**15), 2**15 - 1), T.INT4: (-(2**31), 2**31 - 1), T.INT8: (-(2**63), 2**63 - 1)}
_INT_NAME = {T.INT2: "smallint", T.INT4: "integer", T.INT8: "bigint"}
_FLOAT4_MAX = float(np.finfo(np.float32).max)
_BIG = decimal.Context(prec=3000, rounding=ROUND_HALF_UP, Emax=10**6, Emin=-(10**6))


def check_int(v: int, oid: int) -> int:
    """Raise 22003 ``integer out of range`` unless ``v`` fits ``oid``."""
    lo, hi = _INT_RANGE[oid]
    if not lo <= v <= hi:
        raise NumericValueOutOfRange(f"{_INT_NAME[oid]} out of range")
    return v


def to_float4(v: float) -> float:
    """Round a double to single precision with PostgreSQL's overflow/underflow errors."""
    if math.isnan(v) or math.isinf(v):
        return v
    if abs(v) > _FLOAT4_MAX:
        raise NumericValueOutOfRange("value out of range: overflow")
    f = float(np.float32(v))
    if f == 0 and v != 0:
        raise NumericValueOutOfRange("value out of range: underflow")
    return f


def float_to_numeric(v: float, oid: int = T.FLOAT8) -> Decimal:
    if math.isnan(v):
        return Decimal("NaN")
    if math.isinf(v):
        return Decimal("Infinity") if v > 0 else Decimal("-Infinity")
    digits = 15 if oid == T.FLOAT8 else 6
    d = Decimal(f"{v:.{digits}g}")
    return d.quantize(Decimal(1), context=_BIG) if d.as_tuple().exponent > 0 else d  # type: ignore[operator]


def _to_int(value: Any, from_oid: int, to_oid: int) -> int:
    if from_oid in FLOATS:
        if math.isnan(value) or math.isinf(value):
            raise NumericValueOutOfRange(f"{_INT_NAME[to_oid]} out of range")
        return check_int(round(value), to_oid)  # round half to even, like rint()
    if from_oid == T.NUMERIC:
        if value.is_nan():
            raise FeatureNotSupported(f"cannot convert NaN to {_INT_NAME[to_oid]}")
        if value.is_infinite():
            raise FeatureNotSupported(f"cannot convert infinity to {_INT_NAME[to_oid]}")
        return check_int(int(value.to_integral_value(ROUND_HALF_UP)), to_oid)
    if from_oid == T.BOOL:
        return int(bool(value))
    return check_int(int(value), to_oid)


def _to_number(value: Any, from_oid: int, to_oid: int, typmod: int) -> Any:
    if to_oid in INTS:
        return _to_int(value, from_oid, to_oid)
    if to_oid == T.NUMERIC:
        if from_oid in FLOATS:
            d = float_to_numeric(float(value), from_oid)
        else:
            d = value if isinstance(value, Decimal) else Decimal(int(value))
        return apply_numeric_typmod(d, typmod)
    f = float(value) if not isinstance(value, Decimal) else _decimal_to_float(value)
    return to_float4(f) if to_oid == T.FLOAT4 else f


def _decimal_to_float(d: Decimal) -> float:
    if d.is_nan():
        return math.nan
    f = float(d)
    if math.isinf(f) and not d.is_infinite():
        raise NumericValueOutOfRange(f'"{d}" is out of range for type double precision')
    return f


def _date_to_ts(d: dt.date) -> dt.datetime:
    if d == DATE_POS_INF:
        return TS_POS_INF
    if d == DATE_NEG_INF:
        return TS_NEG_INF
    return dt.datetime.combine(d, dt.time())


def _ts_to_date(ts: dt.datetime) -> dt.date:
    if ts == TS_POS_INF:
        return DATE_POS_INF
    if ts == TS_NEG_INF:
        return DATE_NEG_INF
    return ts.date()


def _datetime_cast(value: Any, f: int, t: int, typmod: int, tz: str) -> Any:
    if f == T.DATE:
        ts = _date_to_ts(value)
        if t == T.TIMESTAMP:
            return ts
        if t == T.TIMESTAMPTZ:
            return localize(ts, tz)
    if f == T.TIMESTAMP:
        if t == T.DATE:
            return _ts_to_date(value)
        if t == T.TIMESTAMPTZ:
            return round_timestamp(localize(value, tz), typmod)
        if t == T.TIME:
            return value.time()
        if t == T.TIMESTAMP:
            return round_timestamp(value, typmod)
    if f == T.TIMESTAMPTZ:
        local = to_local(value, tz)
        if t == T.DATE:
            return _ts_to_date(local)
        if t == T.TIMESTAMP:
            return round_timestamp(local, typmod)
        if t == T.TIME:
            return local.time()
        if t == T.TIMETZ:
            aware = value.astimezone(tzinfo_for(tz))
            return aware.timetz().replace(tzinfo=dt.timezone(aware.utcoffset() or dt.timedelta(0)))
    if f == T.TIME and t == T.INTERVAL:
        us = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
        return T.Interval(0, 0, us)
    if f == T.INTERVAL and t == T.TIME:
        us = value.microseconds % USECS_PER_DAY
        s, us = divmod(us, 1_000_000)
        return dt.time(s // 3600, s // 60 % 60, s % 60, us)
    if f == T.TIMETZ and t == T.TIME:
        return value.replace(tzinfo=None)
    if f == T.TIME and t == T.TIMETZ:
        return value.replace(tzinfo=dt.UTC)
    return _NO_CAST


_NO_CAST = object()
_JSONB_SCALAR_NAMES = {str: "string", bool: "boolean", dict: "object", list: "array"}


def _jsonb_to_scalar(value: Any, to_oid: int, typmod: int) -> Any:
    want = "boolean" if to_oid == T.BOOL else "number"
    got = "null" if value is T.JSON_NULL or value is None else _JSONB_SCALAR_NAMES.get(type(value), "number")
    if got != want:
        raise InvalidParameterValue(f"cannot cast jsonb {got} to type {type_display_name(to_oid)}")
    if to_oid == T.BOOL:
        return value
    src = T.NUMERIC if not isinstance(value, float) else T.FLOAT8
    return _to_number(value if isinstance(value, (Decimal, float)) else Decimal(value), src, to_oid, typmod)


def to_text(value: Any, from_oid: int, timezone: str = "UTC") -> str:
    """The text a cast to text produces (like the output function, except bool prints true/false)."""
    if from_oid == T.BOOL:
        return "true" if value else "false"
    if from_oid == T.BPCHAR:
        return str(value).rstrip(" ")
    return format_text(from_oid, value, timezone=timezone)


_SESSION_TZ: ContextVar[str] = ContextVar("rem_session_timezone", default="UTC")

# casts whose result depends on the session's TimeZone (input without a zone, output, local time)
_TZ_SENSITIVE_TO = (T.TIMESTAMPTZ, T.TIMETZ)
_TZ_SENSITIVE_FROM = (T.TIMESTAMPTZ,)


def set_session_timezone(name: str | None) -> None:
    """Make ``name`` the TimeZone of casts run by the current statement (ExecState sets it per execution)."""
    _SESSION_TZ.set(name or "UTC")


def date_order(datestyle: str | None) -> str:
    """The date field order (MDY, DMY or YMD) of a DateStyle value such as ``ISO, DMY``."""
    order = (datestyle or "ISO, MDY").split(",")[-1].strip().upper()
    return order if order in ("MDY", "DMY", "YMD") else "MDY"


def set_session_datestyle(value: str | None) -> None:
    """Make the field order of DateStyle ``value`` (e.g. ``ISO, DMY``) the one date input uses."""
    from engine.textio_datetime import DATE_ORDER

    DATE_ORDER.set(date_order(value))


def session_timezone() -> str:
    return _SESSION_TZ.get()


def session_zone() -> dt.tzinfo:
    """The tzinfo of the current session's TimeZone."""
    return tzinfo_for(_SESSION_TZ.get())


def timezone_sensitive(from_oid: int, to_oid: int) -> bool:
    """True when ``from_oid → to_oid`` reads the session TimeZone (it must not be folded at plan time)."""
    if from_oid == to_oid:
        return False
    fe, te = T.element_of(from_oid), T.element_of(to_oid)
    if fe and te:
        from_oid, to_oid = fe, te
    if to_oid in _TZ_SENSITIVE_TO and from_oid not in _TZ_SENSITIVE_TO:
        return True
    return from_oid in _TZ_SENSITIVE_FROM and to_oid not in _TZ_SENSITIVE_TO


def cast(
    value: Any,
    from_oid: int,
    to_oid: int,
    typmod: int = -1,
    *,
    explicit: bool = True,
    timezone: str | None = None,
) -> Any:
    """``value::to_oid(typmod)``; ``explicit=False`` is an assignment cast (varchar overflow raises 22001).

    ``timezone`` defaults to the session's TimeZone (:func:`set_session_timezone`)."""
    if value is None:
        return None
    if timezone is None:
        timezone = _SESSION_TZ.get()
    try:
        return _cast(value, from_oid, to_oid, typmod, explicit, timezone)
    except (OverflowError, ValueError, ArithmeticError):
        from engine.errors import DatetimeFieldOverflow

        if to_oid in (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ, T.INTERVAL, T.TIME, T.TIMETZ):
            what = {T.DATE: "date", T.INTERVAL: "interval"}.get(to_oid, "timestamp")
            raise DatetimeFieldOverflow(f"{what} out of range") from None
        raise NumericValueOutOfRange("value out of range: overflow") from None


def _cast(value: Any, from_oid: int, to_oid: int, typmod: int, explicit: bool, timezone: str) -> Any:
    reg = REG_CASTS.get((from_oid, to_oid))
    if reg is not None:
        return reg(value)
    if from_oid == to_oid:
        return apply_typmod(value, to_oid, typmod, explicit=explicit)
    if to_oid in (T.ANY, 2283, T.ANYARRAY, 2776, 5077):
        return value
    fe, te = T.element_of(from_oid), T.element_of(to_oid)
    if fe and te and from_oid not in (T.INT2VECTOR, T.OIDVECTOR):
        return _map_array(value, lambda x: cast(x, fe, te, typmod, explicit=explicit, timezone=timezone))
    if from_oid in TEXT_LIKE:
        s = str(value).rstrip(" ") if from_oid == T.BPCHAR else str(value)
        if to_oid in TEXT_LIKE:
            if to_oid == T.CHAR:
                return s.encode()[:1].decode(errors="ignore")
            if to_oid == T.NAME:
                return parse_text(T.NAME, s)
            return apply_string_typmod(s, to_oid, typmod, explicit=explicit)
        if to_oid == T.INTERVAL and typmod >= 0:
            from engine.sql import interval_typmod

            return interval_typmod.parse(s, typmod)
        return parse_text(to_oid, s, typmod, timezone=timezone)
    if to_oid in TEXT_LIKE:
        s = to_text(value, from_oid, timezone)
        if to_oid == T.CHAR:
            return s.encode()[:1].decode(errors="ignore")
        return apply_string_typmod(s, to_oid, typmod, explicit=explicit)
    if from_oid in NUMBERS and to_oid in NUMBERS:
        return _to_number(value, from_oid, to_oid, typmod)
    if from_oid == T.BOOL and to_oid in INTS:
        return int(bool(value))
    if from_oid in INTS and to_oid == T.BOOL:
        return value != 0
    if (from_oid in INTS or from_oid == T.OID) and (to_oid == T.OID or to_oid in _REG_TYPES):
        if value < 0 and from_oid == T.INT8 or value >= 2**32:
            raise NumericValueOutOfRange("OID out of range")
        return value % 2**32
    if (from_oid == T.OID or from_oid in _REG_TYPES) and (to_oid in INTS or to_oid == T.OID or to_oid in _REG_TYPES):
        if to_oid == T.INT4 and value >= 2**31:
            return value - 2**32
        return value
    if from_oid in (T.JSON, T.JSONB) and to_oid in (T.JSON, T.JSONB):
        return normalize_jsonb(value) if to_oid == T.JSONB else value
    if from_oid == T.JSONB and (to_oid in NUMBERS or to_oid == T.BOOL):
        return _jsonb_to_scalar(value, to_oid, typmod)
    if to_oid == T.VECTOR and fe in (*NUMBERS,):
        if any(x is None for x in value):
            raise InvalidParameterValue("array must not contain nulls")
        from engine.textio import format_vector, parse_vector

        return parse_vector(format_vector(np.array([float(x) for x in value], dtype=np.float32)), typmod)
    if from_oid == T.VECTOR and te == T.FLOAT4:
        return [float(x) for x in np.asarray(value, dtype=np.float32)]
    r = _datetime_cast(value, from_oid, to_oid, typmod, timezone)
    if r is not _NO_CAST:
        return r
    if from_oid == T.JSON and to_oid in (T.BOOL, *NUMBERS):
        return _jsonb_to_scalar(value, to_oid, typmod)
    raise CannotCoerce(f"cannot cast type {type_display_name(from_oid)} to {type_display_name(to_oid)}")


def apply_typmod(value: Any, oid: int, typmod: int, *, explicit: bool = True) -> Any:
    """Coerce a value already of type ``oid`` to the declared ``typmod`` (varchar(n), numeric(p,s), …)."""
    if typmod < 0 or value is None:
        return value
    if oid in (T.VARCHAR, T.BPCHAR):
        return apply_string_typmod(value, oid, typmod, explicit=explicit)
    if oid == T.NUMERIC:
        return apply_numeric_typmod(value, typmod)
    if oid == T.INTERVAL:
        from engine.sql import interval_typmod

        return interval_typmod.apply(value, typmod)
    if oid in (T.TIMESTAMP, T.TIMESTAMPTZ):
        return round_timestamp(value, typmod)
    if oid == T.VECTOR:
        if len(value) != typmod:
            from engine.errors import DataException

            raise DataException(f"expected {typmod} dimensions, not {len(value)}")
        return value
    te = T.element_of(oid)
    if te:
        return _map_array(value, lambda x: apply_typmod(x, te, typmod, explicit=explicit))
    return value


def _map_array(v: Any, f: Callable[[Any], Any]) -> Any:
    if isinstance(v, list):
        return [_map_array(x, f) for x in v]
    return None if v is None else f(v)


# --------------------------------------------------------------------------- pg_cast rules
_UP = {T.INT2: 0, T.INT4: 1, T.INT8: 2, T.NUMERIC: 3, T.FLOAT4: 4, T.FLOAT8: 5}
_IMPLICIT_PAIRS = {
    (T.DATE, T.TIMESTAMP), (T.DATE, T.TIMESTAMPTZ), (T.TIMESTAMP, T.TIMESTAMPTZ), (T.TIME, T.INTERVAL),
    (T.TIME, T.TIMETZ), (T.TEXT, T.VARCHAR), (T.VARCHAR, T.TEXT), (T.BPCHAR, T.TEXT), (T.BPCHAR, T.VARCHAR),
    (T.NAME, T.TEXT), (T.TEXT, T.NAME), (T.VARCHAR, T.NAME), (T.BPCHAR, T.NAME), (T.CHAR, T.TEXT),
    (T.VECTOR, 1021),
}
_ASSIGN_PAIRS = {
    (T.TIMESTAMPTZ, T.TIMESTAMP), (T.TIMESTAMP, T.DATE), (T.TIMESTAMPTZ, T.DATE), (T.TIMESTAMP, T.TIME),
    (T.TIMESTAMPTZ, T.TIME), (T.TIMESTAMPTZ, T.TIMETZ), (T.INTERVAL, T.TIME), (T.TIMETZ, T.TIME),
    (T.JSON, T.JSONB), (T.JSONB, T.JSON), (T.TEXT, T.BPCHAR), (T.VARCHAR, T.BPCHAR), (T.NAME, T.VARCHAR),
    (T.NAME, T.BPCHAR), (T.OID, T.INT4), (T.OID, T.INT8), (T.TEXT, T.CHAR), (T.CHAR, T.VARCHAR), (T.CHAR, T.BPCHAR),
    (1021, T.VECTOR), (1022, T.VECTOR), (1007, T.VECTOR), (1231, T.VECTOR),
}
_EXPLICIT_PAIRS = {
    (T.INT4, T.BOOL), (T.BOOL, T.INT4), (T.JSONB, T.BOOL), (T.INT4, T.CHAR), (T.CHAR, T.INT4),
    *((T.JSONB, n) for n in NUMBERS),
}


def can_cast(from_oid: int, to_oid: int, context: str = "i") -> bool:
    """Whether PostgreSQL casts ``from_oid`` to ``to_oid`` in context ``i``/``a``/``e`` (implicit ⊂ assignment ⊂ explicit)."""
    ctx = {"implicit": "i", "assignment": "a", "explicit": "e"}.get(context, context)
    if from_oid == to_oid or from_oid == T.UNKNOWN or to_oid in (T.ANY, 2283, 2776):
        return True
    if to_oid == T.ANYARRAY:
        return bool(T.element_of(from_oid))
    if (from_oid, to_oid) in REG_CASTS:
        return True
    fu, tu = _UP.get(from_oid), _UP.get(to_oid)
    if fu is not None and tu is not None:
        return fu < tu or ctx in "ae"
    if (from_oid, to_oid) in _IMPLICIT_PAIRS:
        return True
    if (from_oid in (*INTS, T.OID) and (to_oid == T.OID or to_oid in _REG_TYPES)) or (
        from_oid in _REG_TYPES and to_oid == T.OID) or (from_oid == T.OID and to_oid in _REG_TYPES):
        return True
    if ctx == "i":
        return False
    if (from_oid, to_oid) in _ASSIGN_PAIRS:
        return True
    fe, te = T.element_of(from_oid), T.element_of(to_oid)
    if fe and te:
        return can_cast(fe, te, ctx)
    if to_oid in (T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME):  # I/O conversion to strings is an assignment cast
        return True
    if ctx == "a":
        return False
    if (from_oid, to_oid) in _EXPLICIT_PAIRS or from_oid in (T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME):
        return True
    if from_oid in (*INTS, T.OID) and to_oid in (*INTS, T.OID) or from_oid in _REG_TYPES and to_oid in INTS:
        return True
    return False


def implicit_cast_allowed(from_oid: int, to_oid: int) -> bool:
    """Whether ``from_oid`` coerces to ``to_oid`` implicitly (function/operator argument matching)."""
    return can_cast(from_oid, to_oid, "i")


def category(oid: int) -> str:
    t = T.by_oid(oid)
    return t.category if t else "U"


def is_preferred(oid: int) -> bool:
    t = T.by_oid(oid)
    return bool(t and t.preferred)


def common_type(oids: list[int] | tuple[int, ...], context: str = "UNION") -> int:
    """PostgreSQL's select_common_type: the type UNION/CASE/COALESCE/ARRAY[] resolve ``oids`` to (42804 if none)."""
    known = [o for o in oids if o not in (T.UNKNOWN, 0)]
    if not known:
        return T.TEXT
    ptype = known[0]
    if all(o == ptype for o in known):
        return ptype
    pcat, ppref = category(ptype), is_preferred(ptype)
    for ntype in known[1:]:
        if ntype == ptype:
            continue
        ncat = category(ntype)
        if ncat != pcat:
            raise DatatypeMismatch(
                f"{context} types {type_display_name(ptype)} and {type_display_name(ntype)} cannot be matched")
        if not ppref and can_cast(ptype, ntype, "i") and not can_cast(ntype, ptype, "i"):
            ptype, ppref = ntype, is_preferred(ntype)
    for o in known:
        if not can_cast(o, ptype, "i"):
            raise DatatypeMismatch(
                f"{context} could not convert type {type_display_name(o)} to {type_display_name(ptype)}")
    return ptype


def json_text(value: Any, oid: int) -> str:
    """The text of a json/jsonb value (json keeps key order, jsonb sorts)."""
    return format_json(value, sort=oid == T.JSONB)
