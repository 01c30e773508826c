"""JSON Schema type ↔ PostgreSQL type mapping, both ways.

>>> pg_type_of({"type": "string", "format": "date-time"})
(1184, -1)
>>> json_schema_of(23, -1)
{'type': 'integer', 'format': 'int32'}
"""

from __future__ import annotations

from typing import Any

from engine import types as T

_STRING_FORMATS = {
    "date-time": T.TIMESTAMPTZ,
    "date": T.DATE,
    "time": T.TIME,
    "uuid": T.UUID,
    "duration": T.INTERVAL,
    "binary": T.BYTEA,
    "base64": T.BYTEA,
}

def _non_null_schema(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema without its ``null`` alternative (Optional[X] in Pydantic), and whether null is allowed."""
    t = schema.get("type")
    if isinstance(t, list):
        rest = [x for x in t if x != "null"]
        s = dict(schema, type=rest[0] if len(rest) == 1 else rest)
        return s, "null" in t
    for key in ("anyOf", "oneOf"):
        alts = schema.get(key)
        if isinstance(alts, list):
            rest = [a for a in alts if a.get("type") != "null"]
            nullable = len(rest) < len(alts)
            if len(rest) == 1:
                merged = {**{k: v for k, v in schema.items() if k != key}, **rest[0]}
                return merged, nullable
            return schema, nullable
    return schema, False


def non_null_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its ``null`` alternative removed (values checked against it are never null)."""
    return _non_null_schema(schema)[0]


def nullable(schema: dict[str, Any]) -> bool:
    """True when the schema admits JSON null."""
    return _non_null_schema(schema)[1]


def pg_type_of(schema: dict[str, Any]) -> tuple[int, int]:
    """(type OID, typmod) for a property's JSON Schema."""
    s, _ = _non_null_schema(schema)
    pg = s.get("pg_type") or s.get("x-pg-type")
    if isinstance(pg, str):
        t = T.by_name(pg.split("(")[0])
        if t is not None:
            typmod = -1
            if "(" in pg:
                n = int(pg.split("(")[1].rstrip(")").split(",")[0])
                typmod = n if t.oid == T.VECTOR else n + 4
            return t.oid, typmod
    t = s.get("type")
    if t == "string":
        fmt = s.get("format")
        if s.get("contentEncoding") == "base64":
            return T.BYTEA, -1
        if fmt in _STRING_FORMATS:
            return _STRING_FORMATS[fmt], -1
        if isinstance(s.get("maxLength"), int) and s.get("x-varchar"):
            return T.VARCHAR, s["maxLength"] + 4
        return T.TEXT, -1
    if t == "integer":
        return T.INT8 if s.get("format") == "int64" else (T.INT4 if s.get("format") == "int32" else T.INT8), -1
    if t == "number":
        if s.get("format") in ("decimal", "numeric"):
            return T.NUMERIC, -1
        return (T.FLOAT4 if s.get("format") == "float" else T.FLOAT8), -1
    if t == "boolean":
        return T.BOOL, -1
    if t == "array":
        items = s.get("items")
        if isinstance(items, dict):
            if s.get("format") == "vector" or items.get("format") == "float32" and "maxItems" in s:
                n = s.get("maxItems") or s.get("minItems") or -1
                return T.VECTOR, n
            it, _ = _non_null_schema(items)
            if it.get("type") in ("string", "integer", "number", "boolean") and "properties" not in it:
                elem, _ = pg_type_of(it)
                arr = T.array_of(elem)
                if arr:
                    return arr, -1
        return T.JSONB, -1
    return T.JSONB, -1


_TO_JSON: dict[int, dict[str, Any]] = {
    T.BOOL: {"type": "boolean"},
    T.INT2: {"type": "integer", "format": "int16"},
    T.INT4: {"type": "integer", "format": "int32"},
    T.INT8: {"type": "integer"},
    T.FLOAT4: {"type": "number", "format": "float"},
    T.FLOAT8: {"type": "number"},
    T.NUMERIC: {"type": "number", "format": "decimal"},
    T.TEXT: {"type": "string"},
    T.VARCHAR: {"type": "string"},
    T.BPCHAR: {"type": "string"},
    T.NAME: {"type": "string"},
    T.CHAR: {"type": "string"},
    T.UUID: {"type": "string", "format": "uuid"},
    T.DATE: {"type": "string", "format": "date"},
    T.TIME: {"type": "string", "format": "time"},
    T.TIMESTAMP: {"type": "string", "format": "date-time", "pg_type": "timestamp"},
    T.TIMESTAMPTZ: {"type": "string", "format": "date-time"},
    T.INTERVAL: {"type": "string", "format": "duration"},
    T.BYTEA: {"type": "string", "contentEncoding": "base64"},
    T.JSON: {"pg_type": "json"},
    T.JSONB: {},
}


def json_schema_of(type_oid: int, typmod: int = -1) -> dict[str, Any]:
    """A property JSON Schema for a PostgreSQL column type (round-trips through :func:`pg_type_of`)."""
    if type_oid == T.INT8:
        return {"type": "integer"}
    if type_oid == T.INT4:
        return {"type": "integer", "format": "int32"}
    if type_oid == T.INT2:
        return {"type": "integer", "format": "int32", "pg_type": "int2"}
    if type_oid == T.VARCHAR and typmod > 4:
        return {"type": "string", "maxLength": typmod - 4, "x-varchar": True}
    if type_oid == T.BPCHAR and typmod > 4:
        return {"type": "string", "maxLength": typmod - 4, "pg_type": f"bpchar({typmod - 4})"}
    if type_oid == T.VECTOR:
        s: dict[str, Any] = {"type": "array", "items": {"type": "number", "format": "float32"}, "format": "vector"}
        if typmod > 0:
            s["minItems"] = s["maxItems"] = typmod
        return s
    elem = T.element_of(type_oid)
    if elem:
        return {"type": "array", "items": json_schema_of(elem)}
    if type_oid in _TO_JSON:
        return dict(_TO_JSON[type_oid])
    t = T.by_oid(type_oid)
    return {"pg_type": t.name} if t else {}
