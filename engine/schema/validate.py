"""Row validation and value coercion against a table's columns and JSON Schema, compiled once per version.

Every user column gets a coercer (Python API values such as ISO strings become the column's Python type, see
:mod:`engine.types`) and, when its JSON Schema carries constraints beyond the type (enum, pattern, minimum,
nested properties …), a jsonschema validator compiled once. Violations raise PostgreSQL-shaped errors:
NotNullViolation 23502, CheckViolation 23514 (naming the field path and the rule), 22P02/22003/22001 for
values that do not fit the column type.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from typing import Any

import jsonschema
import numpy as np

from engine import errors as E
from engine import types as T
from engine.schema import typemap
from engine.schema.model import ColumnDef, TableDef

_CONSTRAINT_KEYS = frozenset({
    "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "items", "prefixItems",
    "contains", "properties", "required", "additionalProperties", "patternProperties", "propertyNames",
    "minProperties", "maxProperties", "allOf", "anyOf", "oneOf", "not", "if", "$ref", "dependentRequired",
    "dependentSchemas",
})
_TYPED_FORMATS = frozenset({"date-time", "date", "time", "uuid", "duration", "binary", "base64", "vector",
                            "int32", "int64", "int16", "float", "double", "decimal", "numeric", "float32"})
_INT_RANGE = {T.INT2: (-(1 << 15), (1 << 15) - 1, "smallint"), T.INT4: (-(1 << 31), (1 << 31) - 1, "integer"),
              T.INT8: (-(1 << 63), (1 << 63) - 1, "bigint")}


def to_json(v: Any) -> Any:
    """A Python SQL value as plain JSON data (for jsonschema)."""
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if v is T.JSON_NULL:
        return None
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode()
    return str(v)


def _bad(type_name: str, v: Any) -> E.RemError:
    return E.InvalidTextRepresentation(f'invalid input syntax for type {type_name}: "{v}"')


def _coercer(table: TableDef, col: ColumnDef) -> Callable[[Any], Any]:
    """A function turning an accepted Python value into the column type's Python value (or raising)."""
    oid = col.type_oid
    tname = (T.by_oid(oid).name if T.by_oid(oid) else str(oid))
    if oid in _INT_RANGE:
        lo, hi, pgname = _INT_RANGE[oid]

        def c_int(v: Any) -> Any:
            if isinstance(v, bool):
                raise E.DatatypeMismatch(f'column "{col.name}" is of type {pgname} but expression is of type boolean')
            if not isinstance(v, int):
                try:
                    if isinstance(v, (float, decimal.Decimal)):
                        v = int(round(v))
                    else:
                        v = int(str(v).strip())
                except (ValueError, TypeError, OverflowError):
                    raise _bad(pgname, v) from None
            if v < lo or v > hi:
                raise E.NumericValueOutOfRange(f"{pgname} out of range")
            return v
        return c_int
    if oid in (T.FLOAT4, T.FLOAT8):
        def c_float(v: Any) -> Any:
            if isinstance(v, float):
                return v
            if isinstance(v, bool):
                raise E.DatatypeMismatch(f'column "{col.name}" is of type double precision but expression is of type boolean')
            try:
                return float(v)
            except (ValueError, TypeError):
                raise _bad("double precision", v) from None
        return c_float
    if oid == T.NUMERIC:
        def c_num(v: Any) -> Any:
            if isinstance(v, decimal.Decimal):
                return v
            try:
                return decimal.Decimal(str(v)) if not isinstance(v, bool) else _raise(_bad("numeric", v))
            except decimal.InvalidOperation:
                raise _bad("numeric", v) from None
        return c_num
    if oid == T.BOOL:
        def c_bool(v: Any) -> Any:
            if isinstance(v, bool):
                return v
            s = str(v).strip().lower()
            if s in ("t", "true", "yes", "on", "1", "y"):
                return True
            if s in ("f", "false", "no", "off", "0", "n"):
                return False
            raise _bad("boolean", v)
        return c_bool
    if oid in (T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME, T.CHAR):
        limit = col.typmod - 4 if col.typmod > 4 and oid in (T.VARCHAR, T.BPCHAR) else None
        label = "character varying" if oid == T.VARCHAR else "character"

        def c_text(v: Any) -> Any:
            if not isinstance(v, str):
                v = to_json(v) if not isinstance(v, (int, float)) else v
                v = v if isinstance(v, str) else str(v)
            if limit is not None and len(v) > limit:
                if v[limit:].strip(" ") == "":
                    v = v[:limit]
                else:
                    raise E.StringDataRightTruncation(f"value too long for type {label}({limit})")
            return v
        return c_text
    if oid == T.UUID:
        def c_uuid(v: Any) -> Any:
            if isinstance(v, uuid.UUID):
                return v
            try:
                return uuid.UUID(str(v))
            except ValueError:
                raise _bad("uuid", v) from None
        return c_uuid
    if oid in (T.TIMESTAMPTZ, T.TIMESTAMP):
        aware = oid == T.TIMESTAMPTZ
        name = "timestamp with time zone" if aware else "timestamp without time zone"

        def c_ts(v: Any) -> Any:
            if isinstance(v, str):
                try:
                    v = dt.datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
                except ValueError:
                    raise E.InvalidDatetimeFormat(f'invalid input syntax for type {name}: "{v}"') from None
            elif isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                v = dt.datetime(v.year, v.month, v.day)
            if not isinstance(v, dt.datetime):
                raise E.DatatypeMismatch(f'column "{col.name}" is of type {name} but expression is not')
            if aware:
                return v.replace(tzinfo=dt.UTC) if v.tzinfo is None else v.astimezone(dt.UTC)
            return v if v.tzinfo is None else v.astimezone(dt.UTC).replace(tzinfo=None)
        return c_ts
    if oid == T.DATE:
        def c_date(v: Any) -> Any:
            if isinstance(v, dt.datetime):
                return v.date()
            if isinstance(v, dt.date):
                return v
            try:
                return dt.date.fromisoformat(str(v).strip())
            except ValueError:
                raise E.InvalidDatetimeFormat(f'invalid input syntax for type date: "{v}"') from None
        return c_date
    if oid == T.TIME:
        def c_time(v: Any) -> Any:
            if isinstance(v, dt.time):
                return v
            try:
                return dt.time.fromisoformat(str(v).strip())
            except ValueError:
                raise E.InvalidDatetimeFormat(f'invalid input syntax for type time: "{v}"') from None
        return c_time
    if oid == T.VECTOR:
        dim = col.typmod if col.typmod > 0 else None

        def c_vec(v: Any) -> Any:
            a = np.asarray(v, dtype=np.float32).reshape(-1)
            if dim is not None and a.shape[0] != dim:
                raise E.DataException(f"expected {dim} dimensions, not {a.shape[0]}")
            return a
        return c_vec
    if oid == T.BYTEA:
        def c_bytes(v: Any) -> Any:
            if isinstance(v, (bytes, bytearray, memoryview)):
                return bytes(v)
            if isinstance(v, str):
                try:
                    return bytes.fromhex(v[2:]) if v.startswith("\\x") else base64.b64decode(v, validate=True)
                except ValueError:
                    return v.encode()
            raise _bad("bytea", v)
        return c_bytes
    if T.element_of(oid):
        elem = ColumnDef(name=col.name, type_oid=T.element_of(oid))
        ce = _coercer(table, elem)

        def c_arr(v: Any) -> Any:
            if not isinstance(v, (list, tuple)):
                raise E.InvalidTextRepresentation(f'malformed array literal: "{v}"')
            return [None if x is None else (c_arr(x) if isinstance(x, (list, tuple)) else ce(x)) for x in v]
        return c_arr
    del tname
    return lambda v: v


def _raise(e: Exception) -> Any:
    raise e


def _needs_schema_check(schema: dict[str, Any] | None, oid: int) -> bool:
    if not schema:
        return False
    if any(k in schema for k in _CONSTRAINT_KEYS):
        if set(schema) & _CONSTRAINT_KEYS == {"items"} and T.element_of(oid) and not any(
                k in schema["items"] for k in _CONSTRAINT_KEYS):
            return False
        if set(schema) & _CONSTRAINT_KEYS <= {"maxLength"} and oid == T.VARCHAR:
            return False
        if set(schema) & _CONSTRAINT_KEYS <= {"anyOf"} and _is_optional(schema):
            return _needs_schema_check(typemap.non_null_schema(schema), oid)
        if oid == T.VECTOR and set(schema) & _CONSTRAINT_KEYS <= {"items", "minItems", "maxItems"}:
            return False
        return True
    fmt = schema.get("format")
    return isinstance(fmt, str) and fmt not in _TYPED_FORMATS


def _is_optional(schema: dict[str, Any]) -> bool:
    alts = schema.get("anyOf") or []
    return len([a for a in alts if a.get("type") != "null"]) == 1


_SIMPLE = frozenset({"enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
                     "minLength", "maxLength", "pattern"})
_SCALAR_OIDS = frozenset({T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME, T.CHAR, T.INT2, T.INT4, T.INT8, T.FLOAT4, T.FLOAT8,
                          T.NUMERIC, T.BOOL})
Check = Callable[[Any], "tuple[str, str] | None"]  # value → (rule, message) of the first violation, or None


def _simple_checks(schema: dict[str, Any], oid: int) -> list[Check] | None:
    """Closures for the simple keywords of a scalar column (same messages as jsonschema), or None when the
    schema needs the full validator. Several times faster than jsonschema per value."""
    if oid not in _SCALAR_OIDS:
        return None
    keys = set(schema) & _CONSTRAINT_KEYS
    fmt = schema.get("format")
    if not keys <= _SIMPLE or (isinstance(fmt, str) and fmt not in _TYPED_FORMATS):
        return None
    import re
    checks: list[Check] = []
    num = oid not in (T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME, T.CHAR, T.BOOL)
    for k in keys:
        a = schema[k]
        if k == "enum":
            allowed = list(a)
            checks.append(lambda v, a=allowed: None if any(v == x and type(v) is not bool or v is x for x in a)
                          else ("enum", f"{to_json(v)!r} is not one of {a!r}"))
        elif k == "const":
            checks.append(lambda v, a=a: None if v == a else ("const", f"{a!r} was expected"))
        elif k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf") and num:
            lim = a
            if k == "minimum":
                checks.append(lambda v, m=lim: None if v >= m else ("minimum", f"{to_json(v)!r} is less than the minimum of {m!r}"))
            elif k == "maximum":
                checks.append(lambda v, m=lim: None if v <= m else ("maximum", f"{to_json(v)!r} is greater than the maximum of {m!r}"))
            elif k == "exclusiveMinimum":
                checks.append(lambda v, m=lim: None if v > m else (
                    "exclusiveMinimum", f"{to_json(v)!r} is less than or equal to the minimum of {m!r}"))
            elif k == "exclusiveMaximum":
                checks.append(lambda v, m=lim: None if v < m else (
                    "exclusiveMaximum", f"{to_json(v)!r} is greater than or equal to the maximum of {m!r}"))
            else:
                checks.append(lambda v, m=lim: None if (float(v) / m) == int(float(v) / m) else (
                    "multipleOf", f"{to_json(v)!r} is not a multiple of {m!r}"))
        elif k in ("minLength", "maxLength", "pattern") and not num and oid != T.BOOL:
            if k == "minLength":
                checks.append(lambda v, m=a: None if len(v) >= m else ("minLength", f"{v!r} is too short"))
            elif k == "maxLength":
                checks.append(lambda v, m=a: None if len(v) <= m else ("maxLength", f"{v!r} is too long"))
            else:
                rx = re.compile(a)
                checks.append(lambda v, rx=rx, a=a: None if rx.search(v) else ("pattern", f"{v!r} does not match {a!r}"))
        elif k not in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
                       "minLength", "maxLength", "pattern"):
            return None
    return checks


class RowValidator:
    """Coerces and validates user columns of rows for one table version."""

    def __init__(self, table: TableDef) -> None:
        self.table = table
        defs = table.json_schema.get("$defs") or table.json_schema.get("definitions")
        self.cols: list[tuple[str, bool, Callable[[Any], Any], Any, list[Check] | None]] = []
        for col in table.columns:
            if col.system:
                continue
            v = None
            simple = None
            if _needs_schema_check(col.json_schema, col.type_oid):
                sch = dict(typemap.non_null_schema(col.json_schema or {}))  # NULL is checked apart
                simple = _simple_checks(sch, col.type_oid)
                if simple is None:
                    if defs:
                        sch["$defs"] = defs
                    cls = jsonschema.validators.validator_for(sch, default=jsonschema.Draft202012Validator)
                    v = cls(sch, format_checker=cls.FORMAT_CHECKER)
            self.cols.append((col.name, col.not_null, _coercer(table, col), v, simple))

    def check(self, row: dict[str, Any]) -> dict[str, Any]:
        """A new dict with every user column coerced (absent → None); raises on a violation."""
        out = dict(row)
        t = self.table.name
        for name, not_null, coerce, validator, simple in self.cols:
            v = row.get(name)
            if v is None:
                if not_null:
                    raise E.NotNullViolation(
                        f'null value in column "{name}" of relation "{t}" violates not-null constraint',
                        detail=f'Failing row contains ({name} = null).')
                out[name] = None
                continue
            v = coerce(v)
            out[name] = v
            if simple:
                for chk in simple:
                    bad = chk(v)
                    if bad is not None:
                        raise E.CheckViolation(
                            f'new row for relation "{t}" violates JSON Schema rule "{bad[0]}" at "{name}": {bad[1]}',
                            detail=f'Failing value at "{name}": {to_json(v)!r}.')
            elif validator is not None:
                err = next(iter(validator.iter_errors(to_json(v))), None)
                if err is not None:
                    path = ".".join([name, *(str(p) for p in err.absolute_path)])
                    raise E.CheckViolation(
                        f'new row for relation "{t}" violates JSON Schema rule "{err.validator}" at "{path}": '
                        f"{err.message}",
                        detail=f'Failing value at "{path}": {to_json(err.instance)!r}.')
        return out


_CACHE: dict[tuple[int, int, int], RowValidator] = {}


def validator_for(table: TableDef) -> RowValidator:
    """The compiled validator of this table version (cached by OID, version and object identity)."""
    key = (table.oid, table.version, id(table))
    v = _CACHE.get(key)
    if v is None or v.table is not table:
        if len(_CACHE) > 4096:
            _CACHE.clear()
        v = _CACHE[key] = RowValidator(table)
    return v
