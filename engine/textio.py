"""PostgreSQL 15 text input/output of every REM type: the text format of the wire and of casts to/from text.

``format_text(oid, value)`` prints a Python value (representation: engine.types) exactly as PostgreSQL's output
function does; ``parse_text(oid, text)`` is PostgreSQL's input function with its errors (22P02, 22003, 22007…).
Catalog types (regclass, regproc…) are resolved through the :data:`REG_FORMAT` / :data:`REG_PARSE` hooks that
the catalog fills; regtype has a built-in default.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import uuid
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np

from engine import types as T
from engine.errors import (
    DataException,
    InvalidParameterValue,
    InvalidTextRepresentation,
    NumericValueOutOfRange,
    StringDataRightTruncation,
)
from engine.textio_datetime import (
    format_date,
    format_datetime_styled,
    format_interval,
    format_time,
    format_timestamp,
    format_timestamptz,
    parse_date,
    parse_interval,
    parse_time,
    parse_timestamp,
)
from engine.textio_json import format_json, normalize_jsonb, parse_json

REG_FORMAT: dict[int, Callable[[int], str]] = {}
"""oid of a reg* type → function printing an object OID as its name (filled by the catalog)."""
REG_PARSE: dict[int, Callable[[str], int]] = {}
"""oid of a reg* type → function resolving a name to an object OID (filled by the catalog)."""

_REG_TYPES = {T.REGPROC, T.REGPROCEDURE, T.REGOPER, 2204, T.REGCLASS, T.REGTYPE, T.REGNAMESPACE, T.REGROLE, 4191, 3734, 3769}
TEXT_LIKE = {T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME, T.UNKNOWN, T.CSTRING, T.CHAR}

# --------------------------------------------------------------------------- type names (format_type)
_DISPLAY = {
    "bool": "boolean", "int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real",
    "float8": "double precision", "bpchar": "character", "varchar": "character varying",
    "timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone",
    "time": "time without time zone", "timetz": "time with time zone", "varbit": "bit varying", "char": '"char"',
}


def type_display_name(oid: int) -> str:
    """The type's name as ``format_type(oid, NULL)`` prints it (``integer``, ``text[]``)."""
    t = T.by_oid(oid)
    if t is None:
        return str(oid)
    if t.is_array and t.name.startswith("_"):
        return type_display_name(t.elem) + "[]"
    return _DISPLAY.get(t.name, t.name)


def type_error_name(oid: int) -> str:
    """The type name used in input error messages (``integer``, ``double precision``)."""
    return type_display_name(oid)


def _regtype_parse(text: str) -> int:
    s = text.strip().strip('"')
    t = T.by_name(s)
    if t is None:
        from engine.errors import UndefinedObject

        raise UndefinedObject(f'type "{text.strip()}" does not exist')
    return t.oid


REG_FORMAT.setdefault(T.REGTYPE, type_display_name)
REG_PARSE.setdefault(T.REGTYPE, _regtype_parse)


# --------------------------------------------------------------------------- numbers
def _shortest(digits: str, exp10: int, sci_threshold: int, neg: bool) -> str:
    """Format decimal digits d1.d2d3… × 10^exp10 like PostgreSQL's Ryu output."""
    digits = digits.rstrip("0") or "0"
    sign = "-" if neg else ""
    if -4 <= exp10 < sci_threshold:
        if exp10 < 0:
            return f"{sign}0.{'0' * (-exp10 - 1)}{digits}"
        ip = digits[: exp10 + 1].ljust(exp10 + 1, "0")
        fp = digits[exp10 + 1:]
        return f"{sign}{ip}.{fp}" if fp else f"{sign}{ip}"
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    es = "-" if exp10 < 0 else "+"
    return f"{sign}{mant}e{es}{abs(exp10):02d}"


def _special_float(x: float) -> str | None:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return None


def format_float8(x: float, extra_float_digits: int = 1) -> str:
    sp = _special_float(x)
    if sp:
        return sp
    if extra_float_digits <= 0:
        return _c_g(x, 15 + extra_float_digits)
    if x == 0:
        return "-0" if math.copysign(1, x) < 0 else "0"
    r = repr(x)  # Python's repr is the shortest round-trip form, like PostgreSQL's Ryu output
    if "e" not in r:
        ip, _, fp = r.partition(".")
        digits = len(ip.lstrip("-"))
        if fp == "0" and digits <= 15:
            return ip
        if ip.lstrip("-") != "0" and digits <= 15:
            return r
    return _from_sci(_sci_of_repr(r), 15)


def format_float4(x: float, extra_float_digits: int = 1) -> str:
    sp = _special_float(x)
    if sp:
        return sp
    if extra_float_digits <= 0:
        return _c_g(float(np.float32(x)), 6 + extra_float_digits)
    if x == 0:
        return "-0" if math.copysign(1, x) < 0 else "0"
    s = np.format_float_scientific(np.float32(x), unique=True, trim="-")
    return _from_sci(s, 6)


def _sci_of_repr(r: str) -> str:
    """'123.45' / '1.5e-07' / '0.0001' → 'd.ddde±x' with the same significant digits."""
    neg = r.startswith("-")
    r = r.lstrip("-")
    mant, _, exp = r.partition("e")
    e = int(exp) if exp else 0
    ip, _, fp = mant.partition(".")
    digits = (ip + fp).lstrip("0")
    lead_zeros = len(ip + fp) - len((ip + fp).lstrip("0"))
    e10 = len(ip) - 1 - lead_zeros + e
    digits = digits.rstrip("0") or "0"
    return f"{'-' if neg else ''}{digits[0]}.{digits[1:] or '0'}e{e10}"


def _c_g(x: float, prec: int) -> str:
    return f"{x:.{max(prec, 1)}g}"


def _from_sci(s: str, threshold: int) -> str:
    neg = s.startswith("-")
    mant, _, exp = s.lstrip("-").partition("e")
    digits = mant.replace(".", "")
    return _shortest(digits, int(exp), threshold, neg)


def format_numeric(d: Decimal) -> str:
    if d.is_nan():
        return "NaN"
    if d.is_infinite():
        return "Infinity" if d > 0 else "-Infinity"
    s = format(d, "f")
    return s[1:] if s.startswith("-") and d.is_zero() else s


_DEC = decimal.Context(prec=3000, rounding=ROUND_HALF_UP, Emax=10**6, Emin=-(10**6))
_INT_RX = re.compile(r"\s*[+-]?\d+\s*")
_FLOAT_RX = re.compile(
    r"\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)\s*", re.IGNORECASE
)
_NUMERIC_RX = re.compile(r"\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)\s*", re.IGNORECASE)
_INT_RANGE = {T.INT2: (-(2**15), 2**15 - 1), T.INT4: (-(2**31), 2**31 - 1), T.INT8: (-(2**63), 2**63 - 1),
              T.OID: (-(2**31), 2**32 - 1)}


def parse_int(text: str, oid: int = T.INT4) -> int:
    name = type_error_name(oid)
    if not _INT_RX.fullmatch(text):
        raise InvalidTextRepresentation(f'invalid input syntax for type {name}: "{text}"')
    v = int(text)
    lo, hi = _INT_RANGE[oid]
    if not lo <= v <= hi:
        raise NumericValueOutOfRange(f'value "{text}" is out of range for type {name}')
    if oid == T.OID and v < 0:
        v += 2**32
    return v


def parse_float(text: str, oid: int = T.FLOAT8) -> float:
    name = type_error_name(oid)
    if not _FLOAT_RX.fullmatch(text):
        raise InvalidTextRepresentation(f'invalid input syntax for type {name}: "{text}"')
    v = float(text)
    if oid == T.FLOAT4 and not math.isinf(v) and not math.isnan(v):
        with np.errstate(over="ignore", under="ignore"):
            f32 = np.float32(v)
        if math.isinf(f32) or (f32 == 0 and v != 0):
            raise NumericValueOutOfRange(f'"{text.strip()}" is out of range for type {name}')
        return float(f32)
    if (math.isinf(v) and "inf" not in text.lower()) or (v == 0 and re.search(r"[1-9]", text.split("e")[0].split("E")[0])):
        raise NumericValueOutOfRange(f'"{text.strip()}" is out of range for type {name}')
    return v


def parse_numeric(text: str, typmod: int = -1) -> Decimal:
    if not _NUMERIC_RX.fullmatch(text):
        raise InvalidTextRepresentation(f'invalid input syntax for type numeric: "{text}"')
    s = text.strip().lower()
    if "inf" in s:
        d = Decimal("-Infinity") if s.startswith("-") else Decimal("Infinity")
    elif s.lstrip("+-") == "nan":
        d = Decimal("NaN")
    else:
        d = Decimal(s)
        if d.as_tuple().exponent > 0:  # type: ignore[operator]
            d = d.quantize(Decimal(1), context=_DEC)
    return apply_numeric_typmod(d, typmod)


def numeric_typmod_parts(typmod: int) -> tuple[int, int]:
    """(precision, scale) of a numeric typmod."""
    t = typmod - 4
    scale = t & 0x7FF
    if scale & 0x400:
        scale -= 0x800
    return (t >> 16) & 0xFFFF, scale


def apply_numeric_typmod(d: Decimal, typmod: int) -> Decimal:
    """Round ``d`` to the typmod's scale (half away from zero) and check its precision (22003)."""
    if typmod < 4 or not d.is_finite():
        if typmod >= 4 and d.is_infinite():
            p, s = numeric_typmod_parts(typmod)
            raise NumericValueOutOfRange(
                "numeric field overflow", detail=f"A field with precision {p}, scale {s} cannot hold an infinite value.")
        return d
    prec, scale = numeric_typmod_parts(typmod)
    try:
        q = d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP, context=_DEC)
    except InvalidOperation:
        q = None
    if q is None or (not q.is_zero() and q.adjusted() + 1 > prec - scale):
        maxd = prec - scale
        raise NumericValueOutOfRange(
            "numeric field overflow",
            detail=f"A field with precision {prec}, scale {scale} must round to an absolute value less than "
                   f"{'10^' + str(maxd) if maxd else '1'}.",
        )
    return q


# --------------------------------------------------------------------------- bool, bytea, uuid, strings
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def parse_bool(text: str) -> bool:
    s = text.strip().lower()
    if s:
        if s in ("t", "y", "1") or any(w.startswith(s) for w in ("true", "yes")) or s == "on":
            return True
        if s in ("f", "n", "0") or any(w.startswith(s) for w in ("false", "no")) or s in ("of", "off"):
            return False
    raise InvalidTextRepresentation(f'invalid input syntax for type boolean: "{text}"')


def parse_bytea(text: str) -> bytes:
    if text.startswith("\\x"):
        h = re.sub(r"\s", "", text[2:])
        bad = re.search(r"[^0-9a-fA-F]", h)
        if bad:
            raise InvalidParameterValue(f'invalid hexadecimal digit: "{bad.group()}"')
        if len(h) % 2:
            raise InvalidParameterValue("invalid hexadecimal data: odd number of digits")
        return bytes.fromhex(h)
    out = bytearray()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "\\":
            out += c.encode()
            i += 1
        elif text[i + 1: i + 2] == "\\":
            out.append(0x5C)
            i += 2
        elif re.fullmatch(r"[0-3][0-7][0-7]", text[i + 1: i + 4]):
            out.append(int(text[i + 1: i + 4], 8))
            i += 4
        else:
            raise InvalidTextRepresentation('invalid input syntax for type bytea')
    return bytes(out)


def format_bytea(b: bytes) -> str:
    return "\\x" + bytes(b).hex()


_UUID_RX = re.compile(r"\{?([0-9a-f]{4}-?){7}[0-9a-f]{4}\}?", re.IGNORECASE)


def parse_uuid(text: str) -> uuid.UUID:
    s = text.strip()
    if not _UUID_RX.fullmatch(s) or (s.startswith("{") != s.endswith("}")):
        raise InvalidTextRepresentation(f'invalid input syntax for type uuid: "{text}"')
    return uuid.UUID(s.strip("{}").replace("-", ""))


def char_length_limit(oid: int, typmod: int) -> int | None:
    """Declared length n of varchar(n)/char(n), or None."""
    if oid in (T.VARCHAR, T.BPCHAR) and typmod >= 4:
        return typmod - 4
    return None


def apply_string_typmod(s: str, oid: int, typmod: int, *, explicit: bool) -> str:
    """varchar(n)/char(n) semantics: explicit casts truncate; otherwise extra non-spaces raise 22001; char pads."""
    n = char_length_limit(oid, typmod)
    if n is None:
        return s
    if len(s) > n:
        if not explicit and s[n:].strip(" "):
            kind = "character varying" if oid == T.VARCHAR else "character"
            raise StringDataRightTruncation(f"value too long for type {kind}({n})")
        s = s[:n]
    if oid == T.BPCHAR:
        s = s.ljust(n)
    return s


# --------------------------------------------------------------------------- arrays
_NEEDS_QUOTE = re.compile(r'[{}",\\\s]')


def _quote_array_elem(s: str, delim: str = ",") -> str:
    if s == "" or s.upper() == "NULL" or _NEEDS_QUOTE.search(s) or delim in s:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def format_array(elem_oid: int, value: list, **kw: Any) -> str:
    if elem_oid == T.UUID and all(type(x) is uuid.UUID for x in value):
        return "{" + ",".join(map(str, value)) + "}"  # a uuid's text never needs quoting
    t = T.by_oid(elem_oid)
    delim = t.delim if t else ","

    is_json = elem_oid in (T.JSON, T.JSONB)

    def emit(v: Any, top: bool) -> str:
        if isinstance(v, list) and (top or not is_json):
            return "{" + delim.join(emit(x, False) for x in v) + "}"
        if v is None:
            return "NULL"
        return _quote_array_elem(format_text(elem_oid, v, **kw), delim)

    return emit(value, True)


def _malformed(text: str, detail: str) -> InvalidTextRepresentation:
    return InvalidTextRepresentation(f'malformed array literal: "{text}"', detail=detail)


def parse_array_literal(text: str, delim: str = ",") -> list:
    """Split an array literal into nested lists of element strings (None for NULL)."""
    s = text.strip()
    if s.startswith("["):
        m = re.match(r"(\[[-+]?\d+:[-+]?\d+\])+\s*=\s*", s)
        if not m:
            raise _malformed(text, '"[" must introduce explicitly-specified array dimensions.')
        s = s[m.end():]
    if not s.startswith("{"):
        raise _malformed(text, 'Array value must start with "{" or dimension information.')
    pos = 0
    n = len(s)

    def skip_ws(p: int) -> int:
        while p < n and s[p].isspace():
            p += 1
        return p

    def parse_level(p: int) -> tuple[list, int]:
        assert s[p] == "{"
        p = skip_ws(p + 1)
        items: list = []
        if p < n and s[p] == "}":
            return items, p + 1
        while True:
            p = skip_ws(p)
            if p >= n:
                raise _malformed(text, "Unexpected end of input.")
            if s[p] == "{":
                sub, p = parse_level(p)
                items.append(sub)
            elif s[p] == '"':
                buf = []
                p += 1
                while p < n and s[p] != '"':
                    if s[p] == "\\" and p + 1 < n:
                        p += 1
                    buf.append(s[p])
                    p += 1
                if p >= n:
                    raise _malformed(text, "Unexpected end of input.")
                p += 1
                items.append("".join(buf))
            else:
                buf = []
                quoted_any = False
                while p < n and s[p] not in (delim, "}"):
                    if s[p] in '{"':
                        raise _malformed(text, f'Unexpected "{s[p]}" character.')
                    if s[p] == "\\" and p + 1 < n:
                        p += 1
                        quoted_any = True
                        buf.append("\x00" + s[p])
                    else:
                        buf.append(s[p])
                    p += 1
                raw = "".join(buf)
                stripped = raw.strip()
                val = stripped.replace("\x00", "")
                if not stripped:
                    raise _malformed(text, "Unexpected \"" + (s[p] if p < n else "") + "\" character.")
                items.append(None if (val.upper() == "NULL" and not quoted_any) else val)
            p = skip_ws(p)
            if p >= n:
                raise _malformed(text, "Unexpected end of input.")
            if s[p] == "}":
                return items, p + 1
            if s[p] != delim:
                raise _malformed(text, f'Unexpected "{s[p]}" character.')
            p += 1

    result, pos = parse_level(pos)
    if s[pos:].strip():
        raise _malformed(text, "Junk after closing right brace.")
    _check_rect(result, text)
    return result


def _check_rect(v: list, text: str) -> None:
    def shape(x: Any) -> Any:
        if not isinstance(x, list):
            return None
        subs = [shape(e) for e in x]
        kinds = {repr(sh) for sh in subs}
        if len(kinds) > 1:
            raise _malformed(text, "Multidimensional arrays must have sub-arrays with matching dimensions.")
        return (len(x), subs[0] if subs else None)

    shape(v)


def parse_array(text: str, elem_oid: int, typmod: int = -1, timezone: str = "UTC") -> list:
    t = T.by_oid(elem_oid)
    raw = parse_array_literal(text, t.delim if t else ",")

    def conv(x: Any) -> Any:
        if isinstance(x, list):
            return [conv(e) for e in x]
        return None if x is None else parse_text(elem_oid, x, typmod, timezone=timezone)

    return conv(raw)


# --------------------------------------------------------------------------- vector
def format_vector(v: Any) -> str:
    return "[" + ",".join(format_float4(float(x)) for x in np.asarray(v, dtype=np.float32)) + "]"


_VECTOR_PLAIN = str.maketrans("", "", "0123456789eE+-. \t\n\r,")  # characters of a plain decimal list


def parse_vector(text: str, typmod: int = -1) -> np.ndarray:
    s = text.strip()
    if not (s.startswith("[") and s.endswith("]")):
        raise InvalidTextRepresentation(f'invalid input syntax for type vector: "{text}"',
                                        detail='Vector contents must start with "[".')
    body = s[1:-1].strip()
    if not body:
        raise DataException("vector must have at least 1 dimension")
    if not body.translate(_VECTOR_PLAIN):  # plain decimals only: parse all at once (NaN/inf can't occur)
        try:
            arr64 = np.array(list(map(float, body.split(","))), dtype=np.float64)
        except ValueError:
            raise InvalidTextRepresentation(f'invalid input syntax for type vector: "{text}"') from None
        with np.errstate(over="ignore"):
            arr = arr64.astype(np.float32)
        if not np.isfinite(arr).all():
            raise DataException("infinite value not allowed in vector")
        if typmod > 0 and len(arr) != typmod:
            raise DataException(f"expected {typmod} dimensions, not {len(arr)}")
        return arr
    vals = []
    for part in body.split(","):
        p = part.strip()
        if not _FLOAT_RX.fullmatch(p) or not p:
            raise InvalidTextRepresentation(f'invalid input syntax for type vector: "{text}"')
        f = float(p)
        if math.isnan(f):
            raise DataException("NaN not allowed in vector")
        with np.errstate(over="ignore"):
            f32 = np.float32(f)
        if math.isinf(f32):
            raise DataException("infinite value not allowed in vector")
        vals.append(f32)
    arr = np.array(vals, dtype=np.float32)
    if typmod > 0 and len(arr) != typmod:
        raise DataException(f"expected {typmod} dimensions, not {len(arr)}")
    return arr


# --------------------------------------------------------------------------- records and fallback
def _quote_record_field(s: str) -> str:
    if s == "" or re.search(r'[",\\()\s]', s):
        return '"' + s.replace("\\", "\\\\").replace('"', '""') + '"'
    return s


def format_record(values: Any, **kw: Any) -> str:
    """A row value ``(1,"a b",)``; items are values (type guessed) or (oid, value) pairs."""
    out = []
    for item in values:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], int) and T.by_oid(item[0]):
            oid, v = item
        else:
            oid, v = guess_oid(item), item
        out.append("" if v is None else _quote_record_field(format_text(oid, v, **kw)))
    return "(" + ",".join(out) + ")"


def guess_oid(v: Any) -> int:
    """The natural SQL type of a Python value (for records and untyped values)."""
    if isinstance(v, bool):
        return T.BOOL
    if isinstance(v, int):
        return T.INT8 if not -(2**31) <= v < 2**31 else T.INT4
    if isinstance(v, float):
        return T.FLOAT8
    if isinstance(v, Decimal):
        return T.NUMERIC
    if isinstance(v, (bytes, bytearray, memoryview)):
        return T.BYTEA
    if isinstance(v, uuid.UUID):
        return T.UUID
    if isinstance(v, dt.datetime):
        return T.TIMESTAMPTZ if v.tzinfo else T.TIMESTAMP
    if isinstance(v, dt.date):
        return T.DATE
    if isinstance(v, dt.time):
        return T.TIMETZ if v.tzinfo else T.TIME
    if isinstance(v, T.Interval):
        return T.INTERVAL
    if isinstance(v, np.ndarray):
        return T.VECTOR
    if isinstance(v, dict) or v is T.JSON_NULL:
        return T.JSONB
    if isinstance(v, list):
        inner = next((x for x in v if x is not None and not isinstance(x, list)), "")
        return T.array_of(guess_oid(inner)) or 1009
    if isinstance(v, tuple):
        return T.RECORD
    return T.TEXT


# --------------------------------------------------------------------------- public entry points
def format_text(
    oid: int,
    value: Any,
    typmod: int = -1,
    *,
    datestyle: str = "ISO, MDY",
    timezone: str = "UTC",
    intervalstyle: str = "postgres",
    extra_float_digits: int = 1,
) -> str:
    """PostgreSQL 15's text output of ``value`` of type ``oid`` (``value`` must not be None)."""
    if oid in (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ) and datestyle[:3].upper() != "ISO":
        return format_datetime_styled(value, datestyle, timezone if oid == T.TIMESTAMPTZ else None)
    simple = _SIMPLE.get(oid)
    if simple is not None:
        return simple(value)
    if oid == T.TIMESTAMPTZ:
        return format_timestamptz(value, timezone)
    if oid == T.FLOAT8:
        return format_float8(float(value), extra_float_digits)
    if oid == T.FLOAT4:
        return format_float4(float(value), extra_float_digits)
    if oid == T.INTERVAL:
        return format_interval(value, intervalstyle)
    kw = {"datestyle": datestyle, "timezone": timezone, "intervalstyle": intervalstyle,
          "extra_float_digits": extra_float_digits}
    if oid in _REG_TYPES:
        f = REG_FORMAT.get(oid)
        return f(int(value)) if f else str(int(value))
    if oid in (T.INT2VECTOR, T.OIDVECTOR):
        return " ".join(str(int(x)) for x in value)
    if oid == T.RECORD or isinstance(value, tuple):
        return format_record(value, **kw)
    elem = T.element_of(oid)
    if elem:
        return format_array(elem, value, **kw)
    if isinstance(value, (list, dict)) or value is T.JSON_NULL:
        if isinstance(value, list) and not any(isinstance(x, dict) for x in value):
            return format_text(guess_oid(value), value, **kw)
        return format_json(value)
    gv = guess_oid(value)
    if gv != T.TEXT:
        return format_text(gv, value, **kw)
    return str(value)


class JsonText(str):
    """Verbatim json text (PostgreSQL keeps json input as written); format_text(JSON) prints it unchanged."""


def _fmt_int(v: Any) -> str:
    return str(int(v))


_SIMPLE: dict[int, Callable[[Any], str]] = {
    T.BOOL: lambda v: "t" if v else "f",
    **{o: _fmt_int for o in (T.INT2, T.INT4, T.INT8, T.OID, 28, 29, 5069)},
    **{o: str for o in TEXT_LIKE},
    T.NUMERIC: lambda v: format_numeric(v if isinstance(v, Decimal) else Decimal(str(v))),
    T.BYTEA: format_bytea,
    T.UUID: str,
    T.DATE: format_date,
    T.TIME: format_time,
    T.TIMETZ: format_time,
    T.TIMESTAMP: format_timestamp,
    T.JSONB: lambda v: format_json(v, sort=True),
    T.JSON: lambda v: v if isinstance(v, JsonText) else format_json(v, sort=False, compact=True),
    T.VECTOR: format_vector,
}


_DT_OIDS = {T.DATE: "date", T.TIME: "time", T.TIMETZ: "time with time zone", T.TIMESTAMP: "timestamp",
            T.TIMESTAMPTZ: "timestamp with time zone", T.INTERVAL: "interval"}


def parse_text(oid: int, text: str, typmod: int = -1, *, timezone: str = "UTC") -> Any:
    """PostgreSQL's input function for type ``oid``: text → Python value, with PostgreSQL's errors."""
    try:
        return _parse_text(oid, text, typmod, timezone)
    except (OverflowError, ValueError, ArithmeticError, IndexError, RecursionError):
        elem = T.element_of(oid) if T.element_of(oid) and oid not in (T.INT2VECTOR, T.OIDVECTOR) else oid
        if elem in _DT_OIDS:
            from engine.errors import DatetimeFieldOverflow

            what = "date" if elem == T.DATE else "interval field value" if elem == T.INTERVAL else _DT_OIDS[elem]
            raise DatetimeFieldOverflow(f'{what} out of range: "{text}"') from None
        raise InvalidTextRepresentation(f'invalid input syntax for type {type_display_name(oid)}: "{text}"') from None


def _parse_text(oid: int, text: str, typmod: int, timezone: str) -> Any:
    if oid == T.BOOL:
        return parse_bool(text)
    if oid in _INT_RANGE:
        return parse_int(text, oid)
    if oid in (T.TEXT, T.UNKNOWN, T.CSTRING):
        return text
    if oid in (T.VARCHAR, T.BPCHAR):
        return apply_string_typmod(text, oid, typmod, explicit=False)
    if oid == T.NAME:
        b = text.encode()
        return b[:63].decode(errors="ignore") if len(b) > 63 else text
    if oid == T.CHAR:
        return text.encode()[:1].decode(errors="ignore") if text else ""
    if oid in (T.FLOAT4, T.FLOAT8):
        return parse_float(text, oid)
    if oid == T.NUMERIC:
        return parse_numeric(text, typmod)
    if oid == T.BYTEA:
        return parse_bytea(text)
    if oid == T.UUID:
        return parse_uuid(text)
    if oid == T.DATE:
        return parse_date(text, timezone)
    if oid == T.TIME:
        return parse_time(text)
    if oid == T.TIMETZ:
        return parse_time(text, with_tz=True)
    if oid == T.TIMESTAMP:
        return round_timestamp(parse_timestamp(text, False, timezone), typmod)
    if oid == T.TIMESTAMPTZ:
        return round_timestamp(parse_timestamp(text, True, timezone), typmod)
    if oid == T.INTERVAL:
        return parse_interval(text)
    if oid == T.JSON:
        return parse_json(text, "json")
    if oid == T.JSONB:
        if "\\u0000" in text:
            _reject_nul(parse_json(text, "json"))
        return normalize_jsonb(parse_json(text, "json"))
    if oid == T.VECTOR:
        return parse_vector(text, typmod)
    if oid in _REG_TYPES:
        s = text.strip()
        if re.fullmatch(r"\d+", s):
            return int(s)
        f = REG_PARSE.get(oid)
        if f is None:
            raise InvalidTextRepresentation(f'invalid input syntax for type {type_display_name(oid)}: "{text}"')
        return f(text)
    if oid in (T.INT2VECTOR, T.OIDVECTOR):
        return [parse_int(x, T.INT2 if oid == T.INT2VECTOR else T.OID) for x in text.split()]
    elem = T.element_of(oid)
    if elem:
        return parse_array(text, elem, typmod, timezone)
    return text


def _reject_nul(v: Any) -> None:
    """jsonb cannot hold U+0000 (PostgreSQL: 22P05)."""
    if isinstance(v, str) and "\x00" in v:
        from engine.errors import InvalidJsonText

        raise InvalidJsonText("unsupported Unicode escape sequence", detail="\\u0000 cannot be converted to text.")
    if isinstance(v, dict):
        for k, x in v.items():
            _reject_nul(k)
            _reject_nul(x)
    elif isinstance(v, list):
        for x in v:
            _reject_nul(x)


def round_timestamp(ts: dt.datetime, typmod: int) -> dt.datetime:
    """Apply timestamp(p): round microseconds to p digits (half away from zero, like rint)."""
    if typmod < 0 or typmod >= 6 or ts.replace(tzinfo=None) in (dt.datetime.max, dt.datetime.min):
        return ts
    unit = 10 ** (6 - typmod)
    us = ts.microsecond
    r = (us + unit // 2) // unit * unit
    return ts.replace(microsecond=0) + dt.timedelta(microseconds=r)
