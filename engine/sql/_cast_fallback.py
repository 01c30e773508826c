"""A minimal cast table used only while engine.sql.casts (the types engineer's module) is not importable."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import orjson

from engine import types as T
from engine.errors import CannotCoerce, InvalidTextRepresentation, NumericValueOutOfRange
from engine.sql.sqltypes import INT_NAME, INTS, STRINGS, int_fits, type_name


def _to_text(v: Any, oid: int) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if oid in (T.JSON, T.JSONB):
        return orjson.dumps(None if v is T.JSON_NULL else v).decode()
    if isinstance(v, float):
        if v != v:
            return "NaN"
        if v in (float("inf"), float("-inf")):
            return "Infinity" if v > 0 else "-Infinity"
        r = repr(v)
        return r[:-2] if r.endswith(".0") else r
    if isinstance(v, dt.datetime):
        s = v.isoformat(sep=" ")
        return s.replace("+00:00", "+00")
    return str(v)


def _bad(oid: int, s: str) -> InvalidTextRepresentation:
    return InvalidTextRepresentation(f'invalid input syntax for type {type_name(oid)}: "{s}"')


def cast(v: Any, from_oid: int, to_oid: int, typmod: int = -1) -> Any:
    """Convert ``v`` from ``from_oid`` to ``to_oid`` (PostgreSQL semantics for the common types)."""
    if v is None:
        return None
    if from_oid == to_oid and typmod < 0:
        return v
    if to_oid in STRINGS:
        s = _to_text(v, from_oid)
        if typmod > 4 and to_oid in (T.VARCHAR, T.BPCHAR):
            s = s[: typmod - 4]
            if to_oid == T.BPCHAR:
                s = s.ljust(typmod - 4)
        return s
    if isinstance(v, str) and from_oid in STRINGS:
        s = v.strip()
        if to_oid in INTS:
            try:
                n = int(s)
            except ValueError:
                raise _bad(to_oid, v) from None
            if not int_fits(to_oid, n):
                raise NumericValueOutOfRange(f'value "{v}" is out of range for type {INT_NAME[to_oid]}')
            return n
        if to_oid == T.NUMERIC:
            try:
                d = Decimal(s)
            except InvalidOperation:
                raise _bad(to_oid, v) from None
            return _numeric_typmod(d, typmod)
        if to_oid in (T.FLOAT4, T.FLOAT8):
            try:
                return float(s)
            except ValueError:
                raise _bad(to_oid, v) from None
        if to_oid == T.BOOL:
            low = s.lower()
            if low in ("t", "true", "yes", "y", "on", "1"):
                return True
            if low in ("f", "false", "no", "n", "off", "0"):
                return False
            raise _bad(to_oid, v)
        if to_oid == T.DATE:
            try:
                return dt.date.fromisoformat(s)
            except ValueError:
                raise _bad(to_oid, v) from None
        if to_oid in (T.TIMESTAMP, T.TIMESTAMPTZ):
            try:
                d = dt.datetime.fromisoformat(s)
            except ValueError:
                raise _bad(to_oid, v) from None
            if to_oid == T.TIMESTAMPTZ:
                return d.replace(tzinfo=dt.UTC) if d.tzinfo is None else d.astimezone(dt.UTC)
            return d.replace(tzinfo=None)
        if to_oid == T.UUID:
            try:
                return uuid.UUID(s)
            except ValueError:
                raise _bad(to_oid, v) from None
        if to_oid in (T.JSON, T.JSONB):
            try:
                r = orjson.loads(v)
            except orjson.JSONDecodeError:
                raise InvalidTextRepresentation("invalid input syntax for type json") from None
            return T.JSON_NULL if r is None else r
        if to_oid == T.BYTEA:
            return bytes.fromhex(s[2:]) if s.startswith("\\x") else s.encode()
    if to_oid in INTS:
        if isinstance(v, bool):
            if to_oid != T.INT4:
                raise CannotCoerce(f"cannot cast type boolean to {type_name(to_oid)}")
            return int(v)
        if isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                raise NumericValueOutOfRange(f"{INT_NAME[to_oid]} out of range")
            n = round(v)
        elif isinstance(v, Decimal):
            n = int(v.to_integral_value(rounding=ROUND_HALF_UP))
        elif isinstance(v, int):
            n = v
        else:
            raise CannotCoerce(f"cannot cast type {type_name(from_oid)} to {type_name(to_oid)}")
        if not int_fits(to_oid, n):
            raise NumericValueOutOfRange(f"{INT_NAME[to_oid]} out of range")
        return n
    if to_oid == T.NUMERIC and isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        return _numeric_typmod(Decimal(repr(v)) if isinstance(v, float) else Decimal(v), typmod)
    if to_oid in (T.FLOAT4, T.FLOAT8) and isinstance(v, (int, Decimal, float)) and not isinstance(v, bool):
        return float(v)
    if to_oid == T.BOOL and isinstance(v, int):
        return v != 0
    if to_oid == T.TIMESTAMPTZ and isinstance(v, dt.datetime):
        return v.replace(tzinfo=dt.UTC) if v.tzinfo is None else v
    if to_oid == T.TIMESTAMP and isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    if to_oid == T.DATE and isinstance(v, dt.datetime):
        return v.date()
    if to_oid in (T.TIMESTAMP, T.TIMESTAMPTZ) and isinstance(v, dt.date):
        d = dt.datetime(v.year, v.month, v.day)
        return d.replace(tzinfo=dt.UTC) if to_oid == T.TIMESTAMPTZ else d
    if to_oid in (T.JSON, T.JSONB) and from_oid in (T.JSON, T.JSONB):
        return v
    if T.element_of(to_oid) and isinstance(v, list):
        e_to, e_from = T.element_of(to_oid), T.element_of(from_oid) or T.UNKNOWN
        return [cast(x, e_from, e_to) for x in v]
    if to_oid in (T.OID, T.REGCLASS, T.REGTYPE, T.REGPROC) and isinstance(v, int):
        return v
    raise CannotCoerce(f"cannot cast type {type_name(from_oid)} to {type_name(to_oid)}")


def _numeric_typmod(d: Decimal, typmod: int) -> Decimal:
    if typmod < 4:
        return d
    tm = typmod - 4
    prec, scale = tm >> 16, tm & 0xFFFF
    q = d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    if q != 0 and q.adjusted() >= prec - scale:
        raise NumericValueOutOfRange(
            "numeric field overflow",
            detail=f"A field with precision {prec}, scale {scale} must round to an absolute value less than "
                   f"{'10^' + str(prec - scale) if prec - scale != 1 else '10^1'}.")
    return q
