"""PostgreSQL data types known to REM: OIDs, names, and the Python value each type maps to.

Python representation of SQL values (used everywhere: engine rows, Session API params and results, wire codecs):

=================  ==========================================================
type               Python value
=================  ==========================================================
bool               bool
int2/int4/int8     int
float4/float8      float
numeric            decimal.Decimal
text/varchar/...   str
"char"             str (length 1)
bytea              bytes
uuid               uuid.UUID
date               datetime.date
time               datetime.time
timestamp          datetime.datetime (naive)
timestamptz        datetime.datetime (aware, UTC)
interval           engine.types.Interval
json/jsonb         parsed JSON (dict/list/str/int/float/bool); JSON ``null`` at top level is :data:`JSON_NULL`
arrays             list (nested for several dimensions), ``None`` for NULL elements
vector             numpy.ndarray of float32, 1-d
oid, reg*          int
=================  ==========================================================

SQL NULL is always ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine._pg_types import PG_TYPES

# OIDs used by name in code. The rest are in PG_TYPES (generated from PostgreSQL 15).
BOOL = 16
BYTEA = 17
CHAR = 18
NAME = 19
INT8 = 20
INT2 = 21
INT2VECTOR = 22
INT4 = 23
REGPROC = 24
TEXT = 25
OID = 26
OIDVECTOR = 30
JSON = 114
PG_NODE_TREE = 194
FLOAT4 = 700
FLOAT8 = 701
UNKNOWN = 705
ACLITEM = 1033
BPCHAR = 1042
VARCHAR = 1043
DATE = 1082
TIME = 1083
TIMESTAMP = 1114
TIMESTAMPTZ = 1184
INTERVAL = 1186
TIMETZ = 1266
NUMERIC = 1700
REGPROCEDURE = 2202
REGOPER = 2203
REGCLASS = 2205
REGTYPE = 2206
RECORD = 2249
CSTRING = 2275
ANY = 2276
ANYARRAY = 2277
VOID = 2278
UUID = 2950
JSONB = 3802
REGNAMESPACE = 4089
REGROLE = 4096
INT4RANGE = 3904

# pgvector's type is an extension type; REM gives it fixed OIDs in the first user range.
VECTOR = 16385
VECTOR_ARRAY = 16386
FIRST_USER_OID = 16400  # tables, columns' types, indexes and constraints are numbered from here


@dataclass(frozen=True)
class PgType:
    """One pg_type row (the columns REM uses)."""

    oid: int
    name: str
    typlen: int
    typbyval: bool
    typtype: str
    category: str
    delim: str
    elem: int
    array: int
    typinput: str
    typoutput: str
    typreceive: str
    typsend: str
    typalign: str
    typstorage: str
    preferred: bool

    @property
    def is_array(self) -> bool:
        return self.elem != 0 and self.category == "A"


_TYPES: dict[int, PgType] = {r[0]: PgType(*r) for r in PG_TYPES}
_TYPES[VECTOR] = PgType(
    VECTOR, "vector", -1, False, "b", "U", ",", 0, VECTOR_ARRAY,
    "vector_in", "vector_out", "vector_recv", "vector_send", "i", "x", False,
)
_TYPES[VECTOR_ARRAY] = PgType(
    VECTOR_ARRAY, "_vector", -1, False, "b", "A", ",", VECTOR, 0,
    "array_in", "array_out", "array_recv", "array_send", "i", "x", False,
)
_BY_NAME: dict[str, PgType] = {t.name: t for t in _TYPES.values()}

# SQL spellings → canonical pg_type names
ALIASES: dict[str, str] = {
    "boolean": "bool",
    "smallint": "int2",
    "integer": "int4",
    "int": "int4",
    "bigint": "int8",
    "real": "float4",
    "double precision": "float8",
    "double": "float8",
    "float": "float8",
    "decimal": "numeric",
    "character varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "string": "text",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
    "smallserial": "int2",
    "serial": "int4",
    "bigserial": "int8",
    "serial2": "int2",
    "serial4": "int4",
    "serial8": "int8",
}


def by_oid(oid: int) -> PgType | None:
    """The type with this OID, or None."""
    return _TYPES.get(oid)


def by_name(name: str) -> PgType | None:
    """The type with this SQL name (``integer``, ``int4``, ``_int4``, ``text[]``), or None."""
    n = name.strip().lower()
    if n.startswith("pg_catalog."):
        n = n[len("pg_catalog."):]
    if n.endswith("[]"):
        elem = by_name(n[:-2])
        return _TYPES.get(elem.array) if elem else None
    n = ALIASES.get(n, n)
    return _BY_NAME.get(n)


def array_of(oid: int) -> int:
    """The array type OID for element type ``oid`` (0 if none)."""
    t = _TYPES.get(oid)
    return t.array if t else 0


def element_of(oid: int) -> int:
    """The element type OID of array type ``oid`` (0 if not an array)."""
    t = _TYPES.get(oid)
    return t.elem if t and t.is_array else 0


def all_types() -> list[PgType]:
    """Every known type, by OID."""
    return [_TYPES[k] for k in sorted(_TYPES)]


@dataclass(frozen=True, order=True)
class Interval:
    """A PostgreSQL interval: months, days and microseconds kept apart, as PostgreSQL does."""

    months: int = 0
    days: int = 0
    microseconds: int = 0


class Row(tuple):  # type: ignore[type-arg]
    """A record value whose fields have names (a whole-row reference such as ``row_to_json(t)``)."""

    names: tuple[str, ...] = ()

    def __new__(cls, values: list[object], names: tuple[str, ...]) -> Row:
        r = super().__new__(cls, values)
        r.names = names
        return r


class _JsonNull:
    """The JSON value ``null`` (distinct from SQL NULL, which is None)."""

    _instance: _JsonNull | None = None

    def __new__(cls) -> _JsonNull:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "JSON_NULL"

    def __bool__(self) -> bool:
        return False


JSON_NULL = _JsonNull()
