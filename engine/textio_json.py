"""JSON text input and PostgreSQL-style output of json/jsonb values (see engine.types for the representation)."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

import orjson

from engine.errors import InvalidTextRepresentation
from engine.types import JSON_NULL

_ESC = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote_json_string(s: str) -> str:
    """A JSON string literal escaped the way PostgreSQL's escape_json does."""
    out = ['"']
    for ch in s:
        e = _ESC.get(ch)
        if e is not None:
            out.append(e)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Token \"{name}\" is invalid.")


_LONG_NUMBER = re.compile(r"[0-9][0-9.]{15,}")  # a number that may not survive a float64 round trip
_EXPONENT = re.compile(r"[0-9][eE][-+]?[0-9]")  # 1e2: a numeric 100 in jsonb, printed without a fraction
_TRAILING_ZERO = re.compile(r"[0-9]\.[0-9]*0(?![0-9])")  # 1.50: jsonb numerics keep their scale


def parse_json(text: str, typ: str = "json") -> Any:
    """Parse and validate JSON text (22P02 on bad input); top-level null → JSON_NULL, nested null → None.

    Numbers are Python ints and floats, except that a document holding a fraction with more digits than a
    float64 keeps its fractions as Decimal (jsonb numbers are PostgreSQL numerics: no precision is lost)."""
    try:
        v = orjson.loads(text)
        if _LONG_NUMBER.search(text) is not None or _EXPONENT.search(text) is not None \
                or _TRAILING_ZERO.search(text) is not None:
            v = json.loads(text, parse_float=_exact_float)
    except orjson.JSONDecodeError:
        try:
            v = json.loads(text, parse_constant=_reject_constant, parse_float=_exact_float)
        except (ValueError, RecursionError) as e:
            detail = e.msg if isinstance(e, json.JSONDecodeError) else str(e)
            raise InvalidTextRepresentation(f"invalid input syntax for type {typ}", detail=detail) from None
    return JSON_NULL if v is None else v


def _exact_float(s: str) -> float | Decimal:
    """A JSON fraction as float when that is exact to its digits, else as Decimal."""
    f = float(s)
    if "e" in s or "E" in s:
        return Decimal(s)  # numeric's scale: 1.5e1 is 15 (and 1e400 is a number, not infinity)
    if s.endswith("0") and "." in s and s != repr(f):
        return Decimal(s)  # 1.50 keeps its scale (1.0 prints the same either way)
    if len(s) <= 15 or not math.isfinite(f) or Decimal(repr(f)) == Decimal(s):
        return f
    return Decimal(s)


def sort_key(k: str) -> tuple[int, bytes]:
    """jsonb's key order: shorter keys first, then bytewise."""
    b = k.encode()
    return (len(b), b)


def format_json_number(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Decimal):
        return "0" if v.is_zero() and v.as_tuple().exponent >= 0 else format(v, "f")
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
        return format(Decimal(repr(v)), "f")
    return str(v)


class CompactDict(dict):
    """A json object PostgreSQL prints without spaces (row_to_json, to_json of a row)."""


class CompactList(list):
    """A json array PostgreSQL prints without spaces (to_json of an SQL array)."""


class BuildObject(dict):
    """json_build_object's result: printed ``{"a" : 1, "b" : 2}``."""


class BuildArray(list):
    """json_build_array's result: printed ``[1, 2]``."""


class AggArray(list):
    """json_agg's result: ``[1, 2]``, or rows/arrays separated by ``", \n "``."""


_FLAT_TYPES = frozenset({str, int, bool, type(None)})


def _flat_jsonb(v: dict[Any, Any]) -> str | None:
    """jsonb text of a flat object of strings, integers, booleans, nulls and plain floats through the C json
    encoder (its escapes and ", "/": " separators are PostgreSQL's); None when ``v`` needs the general path."""
    flat = _FLAT_TYPES
    for k, x in v.items():
        tx = type(x)
        if tx not in flat and (tx is not float or not math.isfinite(x) or "e" in repr(x)) or type(k) is not str:
            return None
    return _dumps({k: v[k] for k in sorted(v, key=sort_key)} if len(v) > 1 else v)


_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


def format_json(v: Any, *, sort: bool = True, compact: bool = False) -> str:
    """JSON text as PostgreSQL prints jsonb (``{"a": 1, "b": [1, 2]}``); ``sort`` orders keys like jsonb;
    ``compact`` prints without spaces, like json built by row_to_json/to_json (``{"a":1,"b":[1,2]}``)."""
    if sort and not compact and type(v) is dict:
        fast = _flat_jsonb(v)
        if fast is not None:
            return fast
    parts: list[str] = []
    _emit(v, parts, sort, (",", ":") if compact else (", ", ": "))
    return "".join(parts)


def _emit(v: Any, out: list[str], sort: bool, seps: tuple[str, str] = (", ", ": ")) -> None:
    if v is None or v is JSON_NULL:
        out.append("null")
    elif isinstance(v, str):
        out.append(quote_json_string(v))
    elif isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: sort_key(str(kv[0]))) if sort else list(v.items())
        own = seps
        if not sort:
            own = (", ", " : ") if isinstance(v, BuildObject) else (",", ":") if isinstance(v, CompactDict) else seps
        out.append("{")
        for i, (k, x) in enumerate(items):
            if i:
                out.append(own[0])
            out.append(quote_json_string(str(k)))
            out.append(own[1])
            _emit(x, out, sort, seps)
        out.append("}")
    elif isinstance(v, (list, tuple)):
        own_sep = seps[0]
        if not sort:
            own_sep = ", " if isinstance(v, (BuildArray, AggArray)) else "," if isinstance(v, CompactList) else seps[0]
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(own_sep)
                if isinstance(v, AggArray) and not sort and isinstance(x, (CompactDict, CompactList)):
                    out.append("\n ")
            _emit(x, out, sort, seps)
        out.append("]")
    else:
        out.append(format_json_number(v))


def normalize_jsonb(v: Any) -> Any:
    """A jsonb value with keys in jsonb order (duplicates already resolved by the parser: last wins)."""
    if isinstance(v, dict):
        return {k: normalize_jsonb(v[k]) for k in sorted(v, key=sort_key)}
    if isinstance(v, list):
        return [normalize_jsonb(x) for x in v]
    return v
