"""pg_type (built-in types, vector, row types of every relation), format_type, and type-name lookup."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from engine import types
from engine.catalog import _pg_data, names, oids
from engine.catalog._rows import register
from engine.catalog.objects import snapshot
from engine.catalog.procs import regproc, regproc_by_oid
from engine.errors import UndefinedObject

# oid → (typrelid, typsubscript, typmodin, typmodout, typanalyze, typcollation, typnotnull, typbasetype,
#        typtypmod, typndims, typalign, typstorage)
_EXTRA: dict[int, tuple] = {r[0]: r[1:] for r in _pg_data.TYPE_EXTRA}
_SQL_NAMES = {
    "bool": "boolean", "int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real",
    "float8": "double precision", "varchar": "character varying", "bpchar": "character",
    "timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone",
    "time": "time without time zone", "timetz": "time with time zone", "varbit": "bit varying",
    "char": '"char"',
}
_PUBLIC_TYPES = {types.VECTOR, types.VECTOR_ARRAY}
# information_schema's domains: oid → (name, base type, typmod, array oid, typlen, typbyval, category, collation,
# align, storage, output, send). Their columns are reported with the base type, as PostgreSQL's RowDescription does.
DOMAINS: dict[int, tuple] = {
    13221: ("cardinal_number", 23, -1, 13220, 4, True, "N", 0, "i", "p", "int4out", "int4send"),
    13224: ("character_data", 1043, -1, 13223, -1, False, "S", 950, "i", "x", "varcharout", "varcharsend"),
    13226: ("sql_identifier", 19, -1, 13225, 64, False, "S", 950, "c", "p", "nameout", "namesend"),
    13232: ("time_stamp", 1184, 2, 13231, 8, True, "D", 0, "d", "p", "timestamptz_out", "timestamptz_send"),
    13234: ("yes_or_no", 1043, 7, 13233, -1, False, "S", 950, "i", "x", "varcharout", "varcharsend"),
}


def _domain_rows() -> Iterator[dict[str, Any]]:
    for oid, (name, base, tm, arr, length, byval, cat, coll, align, storage, out, send) in DOMAINS.items():
        common = {"typnamespace": oids.INFORMATION_SCHEMA, "typowner": oids.BOOTSTRAP_SUPERUSER,
                  "typisdefined": True, "typdelim": ",", "typcollation": coll, "typmodin": regproc("-"),
                  "typmodout": regproc("-")}
        yield {**common, "oid": oid, "typname": name, "typlen": length, "typbyval": byval, "typtype": "d",
               "typcategory": cat, "typarray": arr, "typinput": regproc("domain_in"), "typoutput": regproc(out),
               "typreceive": regproc("domain_recv"), "typsend": regproc(send), "typalign": align,
               "typstorage": storage, "typbasetype": base, "typtypmod": tm, "typsubscript": regproc("-"),
               "typanalyze": regproc("-")}
        yield {**common, "oid": arr, "typname": "_" + name, "typlen": -1, "typbyval": False, "typtype": "b",
               "typcategory": "A", "typelem": oid, "typinput": regproc("array_in"), "typoutput": regproc("array_out"),
               "typreceive": regproc("array_recv"), "typsend": regproc("array_send"), "typalign": align,
               "typstorage": "x", "typtypmod": -1, "typsubscript": regproc("array_subscript_handler"),
               "typanalyze": regproc("array_typanalyze")}


def _builtin_row(t: types.PgType) -> dict[str, Any]:
    ex = _EXTRA.get(t.oid)
    public = t.oid in _PUBLIC_TYPES
    row = {
        "oid": t.oid, "typname": t.name, "typnamespace": oids.PUBLIC if public else oids.PG_CATALOG,
        "typowner": oids.BOOTSTRAP_SUPERUSER, "typlen": t.typlen, "typbyval": t.typbyval, "typtype": t.typtype,
        "typcategory": t.category, "typispreferred": t.preferred, "typisdefined": True, "typdelim": t.delim,
        "typelem": t.elem, "typarray": t.array, "typinput": regproc(t.typinput), "typoutput": regproc(t.typoutput),
        "typreceive": regproc(t.typreceive), "typsend": regproc(t.typsend), "typalign": t.typalign,
        "typstorage": t.typstorage, "typtypmod": -1,
        "typmodin": regproc("-"), "typmodout": regproc("-"), "typanalyze": regproc("-"), "typsubscript": regproc("-"),
    }
    if ex:
        row.update(typrelid=ex[0], typsubscript=regproc_by_oid(ex[1]), typmodin=regproc_by_oid(ex[2]),
                   typmodout=regproc_by_oid(ex[3]), typanalyze=regproc_by_oid(ex[4]), typcollation=ex[5],
                   typnotnull=ex[6], typbasetype=ex[7], typtypmod=ex[8], typndims=ex[9])
    elif t.oid == types.VECTOR:
        row.update(typmodin=regproc("vector_typmod_in"), typanalyze=regproc("-"))
    elif t.oid == types.VECTOR_ARRAY:
        row.update(typsubscript=regproc("array_subscript_handler"), typanalyze=regproc("array_typanalyze"))
    return row


def _row_types(ctx: Any) -> Iterator[dict[str, Any]]:
    for rel in snapshot(ctx).rels:
        if not rel.rowtype or rel.kind not in ("r", "v", "m", "p", "f", "c"):
            continue
        common = {"typnamespace": rel.nsp_oid, "typowner": oids.BOOTSTRAP_SUPERUSER, "typlen": -1,
                  "typbyval": False, "typisdefined": True, "typdelim": ",", "typalign": "d", "typstorage": "x",
                  "typtypmod": -1, "typmodin": regproc("-"), "typmodout": regproc("-")}
        yield {**common, "oid": rel.rowtype, "typname": rel.name, "typtype": "c", "typcategory": "C",
               "typrelid": rel.oid, "typarray": rel.arraytype, "typinput": regproc("record_in"),
               "typoutput": regproc("record_out"), "typreceive": regproc("record_recv"),
               "typsend": regproc("record_send"), "typsubscript": regproc("-"), "typanalyze": regproc("-")}
        if rel.arraytype:
            yield {**common, "oid": rel.arraytype, "typname": "_" + rel.name, "typtype": "b",
                   "typcategory": "A", "typelem": rel.rowtype, "typinput": regproc("array_in"),
                   "typoutput": regproc("array_out"), "typreceive": regproc("array_recv"),
                   "typsend": regproc("array_send"), "typsubscript": regproc("array_subscript_handler"),
                   "typanalyze": regproc("array_typanalyze")}


_BUILTIN_ROWS: list[dict[str, Any]] = []


def _pg_type(ctx: Any) -> Iterator[dict[str, Any]]:
    if not _BUILTIN_ROWS:
        _BUILTIN_ROWS.extend(_builtin_row(t) for t in types.all_types())
        _BUILTIN_ROWS.extend(_domain_rows())
    yield from _BUILTIN_ROWS
    yield from _row_types(ctx)
    yield from _enum_types(ctx)


def _enum_types(ctx: Any) -> Iterator[dict[str, Any]]:
    for e in snapshot(ctx).enums:
        common = {"typnamespace": oids.namespace_oid(e["schema"]), "typowner": oids.BOOTSTRAP_SUPERUSER,
                  "typisdefined": True, "typdelim": ",", "typtypmod": -1, "typmodin": regproc("-"),
                  "typmodout": regproc("-"), "typanalyze": regproc("-")}
        yield {**common, "oid": e["oid"], "typname": e["name"], "typlen": 4, "typbyval": True, "typtype": "e",
               "typcategory": "E", "typarray": e["array_oid"], "typinput": regproc("enum_in"),
               "typoutput": regproc("enum_out"), "typreceive": regproc("enum_recv"), "typsend": regproc("enum_send"),
               "typalign": "i", "typstorage": "p", "typsubscript": regproc("-")}
        yield {**common, "oid": e["array_oid"], "typname": "_" + e["name"], "typlen": -1, "typbyval": False,
               "typtype": "b", "typcategory": "A", "typelem": e["oid"], "typinput": regproc("array_in"),
               "typoutput": regproc("array_out"), "typreceive": regproc("array_recv"),
               "typsend": regproc("array_send"), "typalign": "i", "typstorage": "x",
               "typsubscript": regproc("array_subscript_handler")}


def _pg_enum(ctx: Any) -> Iterator[dict[str, Any]]:
    for e in snapshot(ctx).enums:
        for k, label in enumerate(e["labels"], 1):
            yield {"oid": oids.derived(oids.OTHER, e["oid"], k), "enumtypid": e["oid"], "enumsortorder": float(k),
                   "enumlabel": label}


register("pg_catalog", "pg_enum", _pg_enum, per_snapshot=True)


register("pg_catalog", "pg_type", _pg_type, per_snapshot=True)


# --- type names -------------------------------------------------------------------------------------------

def type_info(ctx: Any, oid: int) -> tuple[str, str, int, int] | None:
    """(schema, typname, elem oid, type category marker) of a type OID: built-in or a relation's row type."""
    if oid in DOMAINS:
        return ("information_schema", DOMAINS[oid][0], 0, 0)
    dom = next((k for k, v in DOMAINS.items() if v[3] == oid), None)
    if dom is not None:
        return ("information_schema", "_" + DOMAINS[dom][0], dom, 0)
    t = types.by_oid(oid)
    if t is not None:
        is_array = t.elem != 0 and t.typlen == -1 and t.typstorage != "p"
        return ("public" if oid in _PUBLIC_TYPES else "pg_catalog", t.name, t.elem if is_array else 0, 0)
    for e in snapshot(ctx).enums:
        if e["oid"] == oid:
            return (e["schema"], e["name"], 0, 1)
        if e["array_oid"] == oid:
            return (e["schema"], "_" + e["name"], e["oid"], 1)
    for rel in snapshot(ctx).rels:
        if rel.rowtype == oid:
            return (rel.schema, rel.name, 0, 1)
        if rel.arraytype == oid and oid:
            return (rel.schema, "_" + rel.name, rel.rowtype, 1)
    return None


def _typmod_suffix(name: str, typmod: int) -> str:
    if typmod < 0:
        return ""
    if name in ("varchar", "bpchar"):
        return f"({typmod - 4})" if typmod >= 4 else ""
    if name == "numeric":
        if typmod < 4:
            return ""
        tm = typmod - 4
        return f"({(tm >> 16) & 0xFFFF},{tm & 0xFFFF})"
    if name in ("timestamp", "timestamptz", "time", "timetz", "bit", "varbit", "vector"):
        return f"({typmod})"
    if name == "interval":
        prec = typmod & 0xFFFF
        return f"({prec})" if prec != 0xFFFF else ""
    return ""


def format_type(ctx: Any, oid: int | None, typmod: int | None) -> str | None:
    """PostgreSQL's format_type(): ``character varying(20)``, ``timestamp with time zone``, ``integer[]``."""
    if oid is None:
        return None
    info = type_info(ctx, oid)
    if info is None:
        return "???"
    schema, name, elem, _ = info
    if elem and name.startswith("_"):
        return (format_type(ctx, elem, typmod) or "???") + "[]"
    given = typmod is not None
    tm = -1 if typmod is None else typmod
    if name == "bpchar" and not given:
        return "character"
    if name == "bpchar" and tm < 0:
        return "bpchar"
    if name == "bit" and given and tm < 0:
        return '"bit"'
    base = _SQL_NAMES.get(name, name)
    suffix = _typmod_suffix(name, tm)
    if suffix and " " in base and name in ("timestamp", "timestamptz", "time", "timetz"):
        first, rest = base.split(" ", 1)
        return f"{first}{suffix} {rest}"
    if schema != "pg_catalog" and schema not in names.search_path(ctx, set(snapshot(ctx).schemas)):
        base = f"{names.quote_ident(schema)}.{names.quote_ident(name)}"
    elif base == name and name not in ("bit", "interval", "numeric"):
        base = names.quote_ident(name)
    return base + suffix


_MULTI = {
    "double precision": "float8", "character varying": "varchar", "bit varying": "varbit",
    "timestamp without time zone": "timestamp", "timestamp with time zone": "timestamptz",
    "time without time zone": "time", "time with time zone": "timetz", "character": "bpchar",
}


def lookup_type(ctx: Any, text: str) -> int | None:
    """The OID named by a type name as regtype accepts it (``integer``, ``varchar(20)``, ``int[]``,
    ``public.vector``, ``pg_catalog.pg_class``), or None."""
    s = text.strip()
    dims = 0
    while s.endswith("[]"):
        s, dims = s[:-2].rstrip(), dims + 1
    s = re.sub(r"\s*\([^)]*\)", "", s)
    s = re.sub(r"\s+", " ", s)
    parts = names.parse_name(s) if s else []
    if not parts:
        return None
    schema, name = (parts[0], parts[-1]) if len(parts) > 1 else (None, parts[0])
    if s.endswith('"'):
        oid = next((t.oid for t in types.all_types() if t.name == name), None)
    else:
        oid = _find_type(ctx, schema, _MULTI.get(name, name))
    if dims and oid is not None:
        arr = types.array_of(oid) or next((r.arraytype for r in snapshot(ctx).rels if r.rowtype == oid), 0)
        oid = arr or None
    return oid


def _find_type(ctx: Any, schema: str | None, name: str) -> int | None:
    t = types.by_name(name)
    if t is not None and (schema is None or schema == ("public" if t.oid in _PUBLIC_TYPES else "pg_catalog")):
        return t.oid
    snap = snapshot(ctx)
    path = [schema] if schema else names.search_path(ctx, set(snap.schemas))
    if "information_schema" in path:
        for oid, d in DOMAINS.items():
            if name in (d[0], "_" + d[0]):
                return oid if name == d[0] else int(d[3])
    for sch in path:
        if f"{sch}.{name}" in snap.enum_by_name:
            return snap.enum_by_name[f"{sch}.{name}"]
        rel = snap.by_name.get((sch, name))
        if rel is not None and rel.rowtype:
            return rel.rowtype
        if name.startswith("_"):
            rel = snap.by_name.get((sch, name[1:]))
            if rel is not None and rel.arraytype:
                return rel.arraytype
    return None


def type_name(ctx: Any, oid: int) -> str:
    """regtype's text form of ``oid`` (its OID as digits when unknown)."""
    if oid == 0:
        return "-"
    s = format_type(ctx, oid, None)
    return str(oid) if s in (None, "???") else s


def require_type(ctx: Any, text: str) -> int:
    """Like :func:`lookup_type` but raising PostgreSQL's error when the type does not exist."""
    oid = lookup_type(ctx, text)
    if oid is None:
        raise UndefinedObject(f'type "{text.strip()}" does not exist')
    return oid
