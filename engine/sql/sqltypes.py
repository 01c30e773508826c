"""Type facts the SQL layer needs: families, PostgreSQL type names, typmods, implicit coercion and result types."""

from __future__ import annotations

import re

from sqlglot import exp

from engine import types as T
from engine.errors import UndefinedObject

INTS = (T.INT2, T.INT4, T.INT8)
REGS = (T.OID, T.REGCLASS, T.REGTYPE, T.REGPROC, T.REGPROCEDURE, T.REGOPER, T.REGNAMESPACE, T.REGROLE, 2204, 3734,
        3769, 4191)
NUMERICS = (T.INT2, T.INT4, T.INT8, T.NUMERIC, T.FLOAT4, T.FLOAT8) + REGS
STRINGS = (T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME, T.UNKNOWN, T.CHAR)
DATETIMES = (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ)
JSONS = (T.JSON, T.JSONB)
INT_RANGE = {T.INT2: (-(2**15), 2**15 - 1), T.INT4: (-(2**31), 2**31 - 1), T.INT8: (-(2**63), 2**63 - 1)}
INT_NAME = {T.INT2: "smallint", T.INT4: "integer", T.INT8: "bigint"}

_NAMES = {
    T.BOOL: "boolean", T.INT2: "smallint", T.INT4: "integer", T.INT8: "bigint", T.FLOAT4: "real",
    T.FLOAT8: "double precision", T.NUMERIC: "numeric", T.VARCHAR: "character varying", T.BPCHAR: "character",
    T.TIMESTAMP: "timestamp without time zone", T.TIMESTAMPTZ: "timestamp with time zone",
    T.TIME: "time without time zone", T.TIMETZ: "time with time zone", T.CHAR: '"char"',
}


def type_name(oid: int) -> str:
    """PostgreSQL's format_type name (``integer``, ``text[]``)."""
    if oid in _NAMES:
        return _NAMES[oid]
    t = T.by_oid(oid)
    if t is None:
        return f"oid {oid}"
    if t.is_array:
        return type_name(t.elem) + "[]"
    return t.name


def family(oid: int) -> str:
    """A coarse family used for comparability: num, str, bool, time, json, uuid, bytea, interval, array, other."""
    if oid in NUMERICS:
        return "num"
    if oid in STRINGS:
        return "str"
    if oid == T.BOOL:
        return "bool"
    if oid in DATETIMES:
        return "time"
    if oid in JSONS:
        return "json"
    t = T.by_oid(oid)
    if t is not None and t.is_array:
        return "array"
    return {T.UUID: "uuid", T.BYTEA: "bytea", T.INTERVAL: "interval", T.TIME: "clock", T.TIMETZ: "clock",
            T.VECTOR: "vector"}.get(oid, f"o{oid}")


_NUM_RANK = {T.INT2: 0, T.INT4: 1, T.INT8: 2, T.NUMERIC: 3, T.FLOAT4: 4, T.FLOAT8: 5,
             **{o: 1 for o in (T.OID, T.REGCLASS, T.REGTYPE, T.REGPROC, T.REGPROCEDURE, T.REGOPER,
                               T.REGNAMESPACE, T.REGROLE)}}


def numeric_result(a: int, b: int) -> int:
    """Result type of arithmetic on two numeric types (int+int→int4 at least, numeric, float8…)."""
    if a == T.UNKNOWN:
        a = b
    if b == T.UNKNOWN:
        b = a
    if a in (T.FLOAT4, T.FLOAT8) or b in (T.FLOAT4, T.FLOAT8):
        return T.FLOAT4 if a == b == T.FLOAT4 else T.FLOAT8
    r = a if _NUM_RANK.get(a, 3) >= _NUM_RANK.get(b, 3) else b
    return T.INT8 if r in REGS else r


def common_type(oids: list[int], context: str = "UNION") -> int:
    """The type UNION/CASE/COALESCE/VALUES resolve their inputs to (PostgreSQL's select_common_type)."""
    known = [o for o in oids if o != T.UNKNOWN]
    if not known:
        return T.TEXT
    first = known[0]
    fams = {family(o) for o in known}
    if len(fams) > 1:
        a, b = known[0], next(o for o in known if family(o) != family(known[0]))
        from engine.errors import DatatypeMismatch

        raise DatatypeMismatch(f"{context} types {type_name(a)} and {type_name(b)} cannot be matched")
    fam = family(first)
    if fam == "num":
        r = known[0]
        for o in known[1:]:
            r = numeric_result(r, o) if r != o else r
        return r
    if fam == "str":
        if all(o == first for o in known):
            return first if first != T.NAME else T.NAME
        return T.TEXT
    if fam == "time":
        if T.TIMESTAMPTZ in known:
            return T.TIMESTAMPTZ
        if T.TIMESTAMP in known:
            return T.TIMESTAMP
    if fam == "json" and T.JSONB in known and T.JSON in known:
        return T.JSONB
    return first


_DT_RE = re.compile(r"^\s*([A-Za-z_ .\"][A-Za-z0-9_ .\"]*?)\s*(?:\(([^)]*)\))?\s*((?:\[\d*\])*)\s*$")
_ALIASES = {
    "int": "int4", "integer": "int4", "smallint": "int2", "bigint": "int8", "double precision": "float8",
    "double": "float8", "real": "float4", "float": "float8", "decimal": "numeric", "boolean": "bool",
    "timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp", "character varying": "varchar", "char": "bpchar",
    "character": "bpchar", "time with time zone": "timetz", "time without time zone": "time",
    "serial": "int4", "bigserial": "int8", "smallserial": "int2", "string": "text", "tinyint": "int2",
    "datetime": "timestamp", "binary": "bytea", "varbinary": "bytea", "blob": "bytea", "name": "name",
}


def parse_type_text(text: str) -> tuple[int, int]:
    """(oid, typmod) of a SQL type spelling such as ``varchar(10)``, ``numeric(10,2)``, ``int[]``."""
    m = _DT_RE.match(text)
    if not m:
        raise UndefinedObject(f'type "{text}" does not exist')
    base = m.group(1).strip().strip('"').lower()
    if base.startswith("pg_catalog."):
        base = base[len("pg_catalog."):]
    base = _ALIASES.get(base, base)
    args = [a.strip() for a in (m.group(2) or "").split(",") if a.strip()]
    t = T.by_name(base)
    if t is None:
        raise UndefinedObject(f'type "{text.strip().lower()}" does not exist')
    oid, typmod = t.oid, -1
    if args:
        try:
            nums = [int(a) for a in args]
        except ValueError:
            nums = []
        if oid in (T.VARCHAR, T.BPCHAR) and nums:
            typmod = nums[0] + 4
        elif oid == T.NUMERIC and nums:
            typmod = ((nums[0] << 16) | (nums[1] if len(nums) > 1 else 0)) + 4
        elif oid == T.VECTOR and nums:
            typmod = nums[0]
        elif oid in (T.TIMESTAMP, T.TIMESTAMPTZ, T.TIME, T.TIMETZ) and nums:
            typmod = nums[0]
        elif oid == T.INTERVAL and nums:
            from engine.sql.interval_typmod import check_precision, with_precision

            typmod = with_precision(check_precision(nums[0]))
    elif oid == T.BPCHAR and base in ("bpchar",) and "char" in text.lower() and "(" not in text:
        typmod = 5  # char without length = char(1)
    if m.group(3):
        for _ in range(m.group(3).count("[")):
            oid = T.array_of(oid) or oid
    return oid, typmod


def datatype_oid(dt: exp.DataType) -> tuple[int, int]:
    """(oid, typmod) of a sqlglot DataType node."""
    if dt.this == exp.DataType.Type.USERDEFINED:
        kind = dt.args.get("kind")
        name = kind.name if isinstance(kind, exp.Identifier) else None
        if name and name.startswith("rem.interval "):  # engine.sql.pgsyntax: interval with fields/precision
            return T.INTERVAL, int(name.split()[1])
        if name == "char" and isinstance(kind, exp.Identifier) and kind.quoted:
            return T.CHAR, -1  # "char": the one-byte internal type, not character(1)
    if isinstance(dt.this, exp.Interval):
        return T.INTERVAL, _interval_unit_typmod(dt.this)
    if dt.this == exp.DataType.Type.INTERVAL and dt.expressions:
        from engine.sql.interval_typmod import check_precision, with_precision

        try:
            return T.INTERVAL, with_precision(check_precision(int(dt.expressions[0].name)))
        except ValueError:
            pass
    text = dt.sql(dialect="postgres")
    if dt.this == exp.DataType.Type.USERDEFINED:
        kind = dt.args.get("kind")
        text = (kind.sql(dialect="postgres") if isinstance(kind, exp.Expression) else str(kind)) if kind else text
    text = text.replace("TIMESTAMPTZ", "timestamptz")
    return parse_type_text(text)


def _interval_unit_typmod(node: exp.Interval) -> int:
    """The typmod of sqlglot's ``interval <field> [to <field>]`` type node."""
    from engine.sql.pgsyntax import interval_typmod

    unit = node.args.get("unit")
    if isinstance(unit, exp.IntervalSpan):
        first, last = unit.this.name.lower(), unit.expression.name.lower()
    elif unit is not None:
        first, last = unit.name.lower(), None
    else:
        return -1
    try:
        return interval_typmod(first.rstrip("s"), last.rstrip("s") if last else None, None)
    except ValueError:
        return -1


def int_fits(oid: int, v: int) -> bool:
    lo, hi = INT_RANGE.get(oid, (None, None))
    return lo is None or lo <= v <= hi
