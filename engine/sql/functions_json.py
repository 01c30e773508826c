"""JSON functions of PostgreSQL 15: to_json(b), *_build_object/array, jsonb_typeof, jsonb_each, jsonb_set, …"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import numpy as np

from engine import types as T
from engine.errors import InvalidParameterValue, NullValueNotAllowed
from engine.functions import function
from engine.sql import json_ops as J
from engine.textio import format_bytea, format_text, guess_oid
from engine.textio_datetime import format_interval, format_time, format_timestamp
from engine.textio_json import AggArray, BuildArray, BuildObject, CompactDict, CompactList, normalize_jsonb

JB, JS, TX, I4, B = T.JSONB, T.JSON, T.TEXT, T.INT4, T.BOOL
TEXT_ARRAY = 1009


def to_json_value(v: Any) -> Any:
    """A SQL value as a JSON value (to_json's rules: timestamps in ISO 8601 with 'T', numbers as numbers)."""
    if v is None or v is T.JSON_NULL:
        return None
    if isinstance(v, (bool, int, float, str, Decimal)):
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            return format_text(T.FLOAT8, v)
        return v
    if isinstance(v, (dict, BuildArray, AggArray, CompactList)):
        return v
    if isinstance(v, list):
        return CompactList(to_json_value(x) for x in v)
    if isinstance(v, tuple):
        names = getattr(v, "names", None) or [f"f{i + 1}" for i in range(len(v))]
        return CompactDict((n, to_json_value(x)) for n, x in zip(names, v, strict=False))
    if isinstance(v, dt.datetime):
        s = format_timestamp(v.replace(tzinfo=None)).replace(" ", "T")
        if v.tzinfo is not None and s[0].isdigit():
            off = int(v.utcoffset().total_seconds())  # type: ignore[union-attr]
            s += f"{'-' if off < 0 else '+'}{abs(off) // 3600:02d}:{abs(off) % 3600 // 60:02d}"
        return s
    if isinstance(v, dt.date):
        return format_text(T.DATE, v)
    if isinstance(v, dt.time):
        return format_time(v)
    if isinstance(v, T.Interval):
        return format_interval(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return format_bytea(bytes(v))
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, np.ndarray):
        return format_text(T.VECTOR, v)
    return format_text(guess_oid(v), v)


def _box(v: Any) -> Any:
    return T.JSON_NULL if v is None else v


@function("to_json", JS, strict=True)
def to_json(v: Any) -> Any:
    return _box(to_json_value(v))


@function("to_jsonb", JB, strict=True)
def to_jsonb(v: Any) -> Any:
    return _box(normalize_jsonb(to_json_value(v)))


def _build_object(args: tuple) -> BuildObject:
    if len(args) % 2:
        raise InvalidParameterValue("argument list must have even number of elements",
                                    hint="The arguments of json_build_object() must consist of alternating keys and values.")
    out = BuildObject()
    for i in range(0, len(args), 2):
        k = args[i]
        if k is None:
            raise InvalidParameterValue(f"argument {i + 1}: key must not be null")
        key = k if isinstance(k, str) else format_text(guess_oid(k), k)
        out[key] = to_json_value(args[i + 1])
    return out


@function("json_build_object", JS, strict=False, variadic=True)
def json_build_object(*args: Any) -> dict:
    return _build_object(args)


@function("jsonb_build_object", JB, strict=False, variadic=True)
def jsonb_build_object(*args: Any) -> dict:
    return normalize_jsonb(_build_object(args))


@function("json_build_array", JS, strict=False, variadic=True)
@function("jsonb_build_array", JB, strict=False, variadic=True)
def json_build_array(*args: Any) -> list:
    return BuildArray(to_json_value(a) for a in args)


@function("json_object", JS, arg_oids=(TEXT_ARRAY,))
@function("jsonb_object", JB, arg_oids=(TEXT_ARRAY,))
def json_object(arr: list) -> dict:
    flat = [x for row in arr for x in (row if isinstance(row, list) else [row])]
    if len(flat) % 2:
        raise InvalidParameterValue("array must have an even number of elements")
    return BuildObject((flat[i], flat[i + 1]) for i in range(0, len(flat), 2))


def _typeof(v: Any) -> str:
    if J.is_null(v):
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return "number"


function("jsonb_typeof", TX, arg_oids=(JB,))(_typeof)
function("json_typeof", TX, arg_oids=(JS,))(_typeof)


@function("jsonb_array_length", I4, arg_oids=(JB,))
@function("json_array_length", I4, arg_oids=(JS,))
def jsonb_array_length(v: Any) -> int:
    if isinstance(v, list):
        return len(v)
    raise InvalidParameterValue("cannot get array length of a scalar" if not isinstance(v, dict)
                                else "cannot get array length of a non-array")


@function("jsonb_object_keys", TX, arg_oids=(JB,), set_returning=True, columns=(("jsonb_object_keys", TX),))
@function("json_object_keys", TX, arg_oids=(JS,), set_returning=True, columns=(("json_object_keys", TX),))
def jsonb_object_keys(v: Any) -> list[tuple]:
    if not isinstance(v, dict):
        what = "a scalar" if not isinstance(v, list) else "an array"
        raise InvalidParameterValue(f"cannot call jsonb_object_keys on {what}")
    return [(k,) for k in v]


def _each(v: Any, text: bool, fname: str) -> list[tuple]:
    if not isinstance(v, dict):
        raise InvalidParameterValue(f"cannot call {fname} on a non-object")
    return [(k, J.as_text(_box(x)) if text else _box(x)) for k, x in v.items()]


function("jsonb_each", JB, arg_oids=(JB,), set_returning=True, columns=(("key", TX), ("value", JB)))(
    lambda v: _each(v, False, "jsonb_each"))
function("jsonb_each_text", TX, arg_oids=(JB,), set_returning=True, columns=(("key", TX), ("value", TX)))(
    lambda v: _each(v, True, "jsonb_each_text"))
function("json_each", JS, arg_oids=(JS,), set_returning=True, columns=(("key", TX), ("value", JS)))(
    lambda v: _each(v, False, "json_each"))
function("json_each_text", TX, arg_oids=(JS,), set_returning=True, columns=(("key", TX), ("value", TX)))(
    lambda v: _each(v, True, "json_each_text"))


def _elements(v: Any, text: bool, fname: str) -> list[tuple]:
    if not isinstance(v, list):
        raise InvalidParameterValue(f"cannot extract elements from {'an object' if isinstance(v, dict) else 'a scalar'}")
    return [(J.as_text(_box(x)) if text else _box(x),) for x in v]


function("jsonb_array_elements", JB, arg_oids=(JB,), set_returning=True, columns=(("value", JB),))(
    lambda v: _elements(v, False, "jsonb_array_elements"))
function("jsonb_array_elements_text", TX, arg_oids=(JB,), set_returning=True, columns=(("value", TX),))(
    lambda v: _elements(v, True, "jsonb_array_elements_text"))
function("json_array_elements", JS, arg_oids=(JS,), set_returning=True, columns=(("value", JS),))(
    lambda v: _elements(v, False, "json_array_elements"))
function("json_array_elements_text", TX, arg_oids=(JS,), set_returning=True, columns=(("value", TX),))(
    lambda v: _elements(v, True, "json_array_elements_text"))


@function("jsonb_extract_path", JB, arg_oids=(JB, TX), variadic=True)
@function("json_extract_path", JS, arg_oids=(JS, TX), variadic=True)
def jsonb_extract_path(v: Any, *path: Any) -> Any:
    if any(p is None for p in path):
        return None
    return J.get_path(v, list(path))


@function("jsonb_extract_path_text", TX, arg_oids=(JB, TX), variadic=True)
def jsonb_extract_path_text(v: Any, *path: Any) -> str | None:
    return J.as_text(jsonb_extract_path(v, *path))


@function("json_extract_path_text", TX, arg_oids=(JS, TX), variadic=True)
def json_extract_path_text(v: Any, *path: Any) -> str | None:
    return J.as_text(jsonb_extract_path(v, *path), jsonb=False)


def _set_path(v: Any, path: list, new: Any, create: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(v, dict):
        if head in v:
            return {**v, head: _set_path(v[head], rest, new, create) if rest else new}
        if create and not rest:
            return {**v, head: new}
        return v
    if isinstance(v, list):
        try:
            i = int(head)
        except (TypeError, ValueError):
            raise InvalidParameterValue(f'path element at position 1 is not an integer: "{head}"') from None
        n = len(v)
        idx = i + n if i < 0 else i
        if 0 <= idx < n:
            return v[:idx] + [_set_path(v[idx], rest, new, create) if rest else new] + v[idx + 1:]
        if create and not rest:
            return [new] + v if idx < 0 else v + [new]
        return v
    return v


@function("jsonb_set", JB, arg_oids=(JB, TEXT_ARRAY, JB))
def jsonb_set3(v: Any, path: list, new: Any) -> Any:
    return jsonb_set4(v, path, new, True)


@function("jsonb_set", JB, arg_oids=(JB, TEXT_ARRAY, JB, B))
def jsonb_set4(v: Any, path: list, new: Any, create: bool) -> Any:
    if not isinstance(v, (dict, list)):
        raise InvalidParameterValue("cannot set path in scalar")
    if any(p is None for p in path):
        raise NullValueNotAllowed("path element at position 1 is null")
    return normalize_jsonb(_set_path(v, list(path), None if new is T.JSON_NULL else new, create))


def _strip(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _strip(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_strip(x) for x in v]
    return v


function("jsonb_strip_nulls", JB, arg_oids=(JB,))(_strip)
function("json_strip_nulls", JS, arg_oids=(JS,))(_strip)


@function("jsonb_pretty", TX, arg_oids=(JB,))
def jsonb_pretty(v: Any) -> str:
    out: list[str] = []
    _pretty(v, 0, out)
    return "".join(out)


def _pretty(v: Any, level: int, out: list[str]) -> None:
    from engine.textio_json import format_json

    pad = "    "
    if isinstance(v, dict) and not v:
        out.append("{\n" + pad * level + "}")
    elif isinstance(v, list) and not v:
        out.append("[\n" + pad * level + "]")
    elif isinstance(v, dict):
        out.append("{\n")
        items = list(normalize_jsonb(v).items())
        for i, (k, x) in enumerate(items):
            out.append(pad * (level + 1) + format_json(k) + ": ")
            _pretty(x, level + 1, out)
            out.append(",\n" if i < len(items) - 1 else "\n")
        out.append(pad * level + "}")
    elif isinstance(v, list):
        out.append("[\n")
        for i, x in enumerate(v):
            out.append(pad * (level + 1))
            _pretty(x, level + 1, out)
            out.append(",\n" if i < len(v) - 1 else "\n")
        out.append(pad * level + "]")
    else:
        out.append(format_json(v))


@function("row_to_json", JS)
def row_to_json(row: Any) -> dict:
    """row_to_json of a row given as a dict (column → value) or a tuple (f1, f2, …)."""
    if isinstance(row, dict):
        return CompactDict((k, to_json_value(x)) for k, x in row.items())
    return to_json_value(row if isinstance(row, tuple) else tuple(row))


@function("json_agg", JS, aggregate=True, strict=False)
def json_agg(values: list) -> list | None:
    return AggArray(to_json_value(v) for v in values) if values else None


@function("jsonb_agg", JB, aggregate=True, strict=False)
def jsonb_agg(values: list) -> list | None:
    return [normalize_jsonb(to_json_value(v)) for v in values] if values else None
