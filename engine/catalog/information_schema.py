"""information_schema: schemata, tables, columns, table_constraints, key_column_usage, referential_constraints,
views, routines, sequences — over the same snapshot as pg_catalog. Domain-typed columns (sql_identifier, cardinal_number,
yes_or_no …) are reported with their base types (name, integer, varchar)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine import types
from engine.catalog import names
from engine.catalog._rows import register
from engine.catalog.deparse import viewdef
from engine.catalog.objects import snapshot
from engine.catalog.pg_types import format_type, type_info
from engine.catalog.procs import rem_procs

_TABLE_TYPES = {"r": "BASE TABLE", "p": "BASE TABLE", "v": "VIEW", "f": "FOREIGN"}
_BIN_PREC = {types.INT2: 16, types.INT4: 32, types.INT8: 64, types.FLOAT4: 24, types.FLOAT8: 53}
_DT_TYPES = {types.DATE, types.TIME, types.TIMETZ, types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL}
_CON_TYPES = {"p": "PRIMARY KEY", "u": "UNIQUE", "f": "FOREIGN KEY", "c": "CHECK"}
_RULES = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _yn(b: bool) -> str:
    return "YES" if b else "NO"


def _schemata(ctx: Any) -> Iterator[dict[str, Any]]:
    from engine.catalog.roles import role_names

    for name in snapshot(ctx).schemas:
        owner = "pg_database_owner" if name == "public" else role_names(ctx)[0]
        yield {"catalog_name": names.session_database(ctx), "schema_name": name, "schema_owner": owner}


def _tables(ctx: Any) -> Iterator[dict[str, Any]]:
    db = names.session_database(ctx)
    for rel in snapshot(ctx).rels:
        if rel.kind in _TABLE_TYPES:
            yield {"table_catalog": db, "table_schema": rel.schema, "table_name": rel.name,
                   "table_type": _TABLE_TYPES[rel.kind], "is_insertable_into": _yn(rel.kind in ("r", "p")),
                   "is_typed": "NO"}


def _data_type(ctx: Any, oid: int) -> str:
    t = types.by_oid(oid)
    if t is not None and t.is_array:
        return "ARRAY"
    info = type_info(ctx, oid)
    if info is None or info[0] != "pg_catalog":
        return "USER-DEFINED"
    return format_type(ctx, oid, None) or "USER-DEFINED"


def _columns(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    db = names.session_database(ctx)
    defaults = {(relid, num): e for _, relid, num, e in snap.attrdefs}
    for rel in snap.rels:
        if rel.kind not in _TABLE_TYPES:
            continue
        for a in rel.attrs:
            if a.attnum <= 0:
                continue
            info = type_info(ctx, a.type_oid)
            tm = a.typmod
            row: dict[str, Any] = {
                "table_catalog": db, "table_schema": rel.schema, "table_name": rel.name, "column_name": a.name,
                "ordinal_position": a.attnum, "column_default": defaults.get((rel.oid, a.attnum)),
                "is_nullable": _yn(not a.not_null), "data_type": _data_type(ctx, a.type_oid),
                "udt_catalog": db, "udt_schema": info[0] if info else "pg_catalog",
                "udt_name": info[1] if info else None, "dtd_identifier": str(a.attnum),
                "is_self_referencing": "NO", "is_identity": _yn(bool(a.identity)),
                "identity_generation": {"a": "ALWAYS", "d": "BY DEFAULT"}.get(a.identity),
                "identity_cycle": "NO", "is_generated": "NEVER", "is_updatable": _yn(rel.kind in ("r", "p")),
                "character_maximum_length": None, "character_octet_length": None, "numeric_precision": None,
                "numeric_precision_radix": None, "numeric_scale": None, "datetime_precision": None,
            }
            if a.type_oid in (types.VARCHAR, types.BPCHAR):
                n = tm - 4 if tm >= 4 else None
                row["character_maximum_length"] = n
                row["character_octet_length"] = n * 4 if n else 1073741824
            elif a.type_oid == types.TEXT:
                row["character_octet_length"] = 1073741824
            elif a.type_oid in _BIN_PREC:
                row.update(numeric_precision=_BIN_PREC[a.type_oid], numeric_precision_radix=2,
                           numeric_scale=0 if a.type_oid in (types.INT2, types.INT4, types.INT8) else None)
            elif a.type_oid == types.NUMERIC:
                row["numeric_precision_radix"] = 10
                if tm >= 4:
                    row.update(numeric_precision=((tm - 4) >> 16) & 0xFFFF, numeric_scale=(tm - 4) & 0xFFFF)
            elif a.type_oid in _DT_TYPES:
                row["datetime_precision"] = 0 if a.type_oid == types.DATE else (tm if tm >= 0 else 6)
            yield row


def _table_constraints(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    db = names.session_database(ctx)
    for c in snap.constraints:
        rel = snap.by_oid[c.relid]
        yield {"constraint_catalog": db, "constraint_schema": rel.schema, "constraint_name": c.name,
               "table_catalog": db, "table_schema": rel.schema, "table_name": rel.name,
               "constraint_type": _CON_TYPES.get(c.kind, c.kind), "is_deferrable": _yn(c.deferrable),
               "initially_deferred": _yn(c.deferred), "enforced": "YES",
               "nulls_distinct": "YES" if c.kind == "u" else None}


def _key_column_usage(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    db = names.session_database(ctx)
    for c in snap.constraints:
        if c.kind not in ("p", "u", "f"):
            continue
        rel = snap.by_oid[c.relid]
        ref = None
        if c.kind == "f":
            ref = next((k for k in snap.constraints if k.relid == c.confrelid and k.indid == c.indid
                        and k.kind in ("p", "u")), None)
        for pos, col in enumerate(c.colnames, 1):
            pin = None
            if ref is not None and pos <= len(c.ref_colnames) and c.ref_colnames[pos - 1] in ref.colnames:
                pin = ref.colnames.index(c.ref_colnames[pos - 1]) + 1
            yield {"constraint_catalog": db, "constraint_schema": rel.schema, "constraint_name": c.name,
                   "table_catalog": db, "table_schema": rel.schema, "table_name": rel.name, "column_name": col,
                   "ordinal_position": pos, "position_in_unique_constraint": pin}


def _referential_constraints(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    db = names.session_database(ctx)
    for c in snap.constraints:
        if c.kind != "f":
            continue
        rel = snap.by_oid[c.relid]
        ref = next((k for k in snap.constraints if k.relid == c.confrelid and k.indid == c.indid
                    and k.kind in ("p", "u")), None)
        target = snap.by_oid.get(c.confrelid)
        yield {"constraint_catalog": db, "constraint_schema": rel.schema, "constraint_name": c.name,
               "unique_constraint_catalog": db if ref else None,
               "unique_constraint_schema": target.schema if ref and target else None,
               "unique_constraint_name": ref.name if ref else None, "match_option": "NONE",
               "update_rule": _RULES[c.on_update], "delete_rule": _RULES[c.on_delete]}


def _views(ctx: Any) -> Iterator[dict[str, Any]]:
    db = names.session_database(ctx)
    for rel in snapshot(ctx).rels:
        if rel.kind == "v":
            yield {"table_catalog": db, "table_schema": rel.schema, "table_name": rel.name,
                   "view_definition": viewdef(ctx, rel.oid), "check_option": "NONE", "is_updatable": "NO",
                   "is_insertable_into": "NO", "is_trigger_updatable": "NO", "is_trigger_deletable": "NO",
                   "is_trigger_insertable_into": "NO"}


def _routines(ctx: Any) -> Iterator[dict[str, Any]]:
    db = names.session_database(ctx)
    for oid, name, kind, _retset, ret, *_ in rem_procs():
        if kind not in ("f", "p"):
            continue
        spec = f"{name}_{oid}"
        yield {"specific_catalog": db, "specific_schema": "pg_catalog", "specific_name": spec,
               "routine_catalog": db, "routine_schema": "pg_catalog", "routine_name": name,
               "routine_type": "FUNCTION" if kind == "f" else "PROCEDURE",
               "data_type": _data_type(ctx, ret), "type_udt_catalog": db, "type_udt_schema": "pg_catalog",
               "type_udt_name": (type_info(ctx, ret) or ("", None))[1], "routine_body": "EXTERNAL",
               "external_language": "INTERNAL", "parameter_style": "GENERAL", "is_deterministic": "NO",
               "sql_data_access": "MODIFIES", "is_null_call": "NO", "schema_level_routine": "YES",
               "max_dynamic_result_sets": 0, "is_user_defined_cast": "NO", "is_implicitly_invocable": "NO",
               "security_type": "INVOKER", "as_locator": "NO", "is_udt_dependent": "NO",
               "dtd_identifier": "0"}


def _sequences(ctx: Any) -> Iterator[dict[str, Any]]:
    """Sequences but identity columns' (PostgreSQL hides those), not other sessions' temporary ones; the values
    are texts, as PostgreSQL's character_data columns."""
    from engine.catalog.relations import SEQ_MAX
    from engine.sql.temp_relations import is_other

    snap = snapshot(ctx)
    db = names.session_database(ctx)
    for s in snap.sequences:
        rel = snap.by_oid[s.oid]
        if is_other(ctx.session, rel.schema):
            continue
        owner = snap.by_oid.get(s.relid) if s.relid else None
        if owner is not None and any(a.attnum == s.attnum and a.identity for a in owner.attrs):
            continue
        d = s.defn
        typ = d.type_oid if d is not None else s.type_oid
        vals = (d.start, d.minvalue, d.maxvalue, d.increment, d.cycle) if d is not None else \
            (1, 1, SEQ_MAX.get(typ, SEQ_MAX[types.INT8]), 1, False)
        yield {"sequence_catalog": db, "sequence_schema": rel.schema, "sequence_name": rel.name,
               "data_type": format_type(ctx, typ, None), "numeric_precision": _BIN_PREC.get(typ, 64),
               "numeric_precision_radix": 2, "numeric_scale": 0, "start_value": str(vals[0]),
               "minimum_value": str(vals[1]), "maximum_value": str(vals[2]), "increment": str(vals[3]),
               "cycle_option": _yn(bool(vals[4]))}


register("information_schema", "schemata", _schemata)
register("information_schema", "tables", _tables)
register("information_schema", "columns", _columns)
register("information_schema", "table_constraints", _table_constraints)
register("information_schema", "key_column_usage", _key_column_usage)
register("information_schema", "referential_constraints", _referential_constraints)
register("information_schema", "views", _views)
register("information_schema", "routines", _routines)
register("information_schema", "sequences", _sequences)
