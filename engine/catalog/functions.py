"""Catalog functions: session identity, visibility, object definitions, descriptions, to_reg*, privileges,
sizes, advisory locks and the other ``pg_*`` functions clients call while introspecting."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from engine import types as T
from engine.catalog import _pg_data, deparse, names
from engine.catalog.objects import snapshot
from engine.catalog.pg_types import format_type, type_name
from engine.catalog.procs import _PG_BY_OID, proc_name, rem_procs
from engine.catalog.regcasts import bind, lookup_relation, reg_in
from engine.catalog.roles import role_name
from engine.functions import FunctionDef, register

_STARTED = dt.datetime.now(dt.UTC)
_TXIDS: dict[int, int] = {}
_NEXT_TXID = [1000]


def fn(name: str, ret: int, args: tuple[int, ...] | None, impl: Callable[..., Any], **kw: Any) -> None:
    """Register catalog function ``name(args) → ret`` whose impl takes the ExecContext first."""

    def call(ctx: Any, *a: Any) -> Any:
        bind(ctx)
        return impl(ctx, *a)

    register(FunctionDef(name=name, impl=call, return_oid=ret, arg_oids=args, needs_ctx=True, **kw))


# --- session ---------------------------------------------------------------------------------------------

def _path(ctx: Any, implicit: bool) -> list[str]:
    memo = snapshot(ctx).memo
    key = ("search_path", names.session_user(ctx), names.setting(ctx, "search_path"), implicit)
    if key not in memo:
        memo[key] = names.search_path(ctx, set(snapshot(ctx).schemas), implicit)
    return memo[key]  # type: ignore[no-any-return]


def current_schema(ctx: Any) -> str | None:
    path = _path(ctx, False)
    return path[0] if path else None


fn("current_schema", T.NAME, (), current_schema)
fn("current_schemas", T.array_of(T.NAME), (T.BOOL,), lambda ctx, implicit: _path(ctx, bool(implicit)))
fn("current_database", T.NAME, (), lambda ctx: names.session_database(ctx))
fn("pg_my_temp_schema", T.OID, (),  # the session's temporary schema (engine/sql/temp_relations.py), else 0
   lambda ctx: snapshot(ctx).schemas.get(getattr(ctx.session, "temp_schema", None) or "", 0))
fn("pg_is_other_temp_schema", T.BOOL, (T.OID,), lambda ctx, oid: any(
    o == oid and n.startswith("pg_temp_") and n != getattr(ctx.session, "temp_schema", None)
    for n, o in snapshot(ctx).schemas.items()))
fn("current_catalog", T.NAME, (), lambda ctx: names.session_database(ctx))
for _n in ("current_user", "session_user", "user", "current_role", "getpgusername"):
    fn(_n, T.NAME, (), lambda ctx: names.session_user(ctx))
fn("pg_get_userbyid", T.NAME, (T.OID,), lambda ctx, oid: role_name(ctx, oid) or f"unknown (OID={oid})")
fn("pg_backend_pid", T.INT4, (), lambda ctx: int(getattr(ctx.session, "process_id", 0) or os.getpid()))
fn("pg_postmaster_start_time", T.TIMESTAMPTZ, (), lambda ctx: _STARTED)
fn("pg_conf_load_time", T.TIMESTAMPTZ, (), lambda ctx: _STARTED)
fn("pg_is_in_recovery", T.BOOL, (), lambda ctx: False)
fn("pg_jit_available", T.BOOL, (), lambda ctx: False)


def txid_current(ctx: Any) -> int:
    """A transaction id, stable for the life of the transaction object."""
    txn = getattr(ctx, "txn", None)
    for attr in ("txid", "xid", "id", "seq"):
        v = getattr(txn, attr, None)
        if isinstance(v, int):
            return v
    key = id(txn)
    if key not in _TXIDS:
        if len(_TXIDS) > 10000:
            _TXIDS.clear()
        _NEXT_TXID[0] += 1
        _TXIDS[key] = _NEXT_TXID[0]
    return _TXIDS[key]


fn("txid_current", T.INT8, (), txid_current, volatile=True)
fn("txid_current_if_assigned", T.INT8, (), txid_current, volatile=True)

# --- visibility ------------------------------------------------------------------------------------------


def table_is_visible(ctx: Any, oid: int) -> bool | None:
    snap = snapshot(ctx)
    rel = snap.by_oid.get(oid)
    if rel is None:
        return None
    for schema in _path(ctx, True):
        hit = snap.by_name.get((schema, rel.name))
        if hit is not None:
            return hit.oid == oid
    return False


def type_is_visible(ctx: Any, oid: int) -> bool | None:
    if T.by_oid(oid) is not None:
        return oid not in (T.VECTOR, T.VECTOR_ARRAY) or "public" in _path(ctx, True)
    for rel in snapshot(ctx).rels:
        if oid in (rel.rowtype, rel.arraytype):
            return table_is_visible(ctx, rel.oid)
    return None


fn("pg_table_is_visible", T.BOOL, (T.OID,), table_is_visible)
fn("pg_type_is_visible", T.BOOL, (T.OID,), type_is_visible)
fn("pg_function_is_visible", T.BOOL, (T.OID,),
   lambda ctx, oid: None if not proc_name(oid) else oid in _PG_BY_OID or "public" in _path(ctx, True))
fn("pg_collation_is_visible", T.BOOL, (T.OID,),
   lambda ctx, oid: True if any(r[0] == oid for r in _pg_data.COLLATIONS) else None)
fn("pg_opclass_is_visible", T.BOOL, (T.OID,), lambda ctx, oid: True)
fn("pg_operator_is_visible", T.BOOL, (T.OID,), lambda ctx, oid: True)
fn("pg_conversion_is_visible", T.BOOL, (T.OID,), lambda ctx, oid: True)
fn("pg_statistics_obj_is_visible", T.BOOL, (T.OID,), lambda ctx, oid: None)

# --- definitions -----------------------------------------------------------------------------------------

fn("format_type", T.TEXT, (T.OID, T.INT4), format_type, strict=False)
fn("pg_get_expr", T.TEXT, (T.PG_NODE_TREE, T.OID), lambda ctx, e, rel: deparse.expr(e))
fn("pg_get_expr", T.TEXT, (T.PG_NODE_TREE, T.OID, T.BOOL), lambda ctx, e, rel, pretty: deparse.expr(e))
fn("pg_get_indexdef", T.TEXT, (T.OID,), lambda ctx, oid: deparse.indexdef(ctx, oid))
fn("pg_get_indexdef", T.TEXT, (T.OID, T.INT4, T.BOOL),
   lambda ctx, oid, col, pretty: deparse.indexdef(ctx, oid, col, pretty))
fn("pg_get_constraintdef", T.TEXT, (T.OID,), lambda ctx, oid: deparse.constraintdef(ctx, oid))
fn("pg_get_constraintdef", T.TEXT, (T.OID, T.BOOL),
   lambda ctx, oid, pretty: deparse.constraintdef(ctx, oid, pretty))
fn("pg_get_viewdef", T.TEXT, (T.OID,), lambda ctx, oid: deparse.viewdef(ctx, oid))
fn("pg_get_viewdef", T.TEXT, (T.OID, T.BOOL), lambda ctx, oid, pretty: deparse.viewdef(ctx, oid))
fn("pg_get_viewdef", T.TEXT, (T.OID, T.INT4), lambda ctx, oid, width: deparse.viewdef(ctx, oid))
fn("pg_get_viewdef", T.TEXT, (T.TEXT,),
   lambda ctx, name: deparse.viewdef(ctx, lookup_relation(ctx, name) or 0))
fn("pg_get_statisticsobjdef_columns", T.TEXT, (T.OID,), lambda ctx, oid: None)
fn("pg_get_partkeydef", T.TEXT, (T.OID,), lambda ctx, oid: None)
fn("pg_get_triggerdef", T.TEXT, (T.OID,), lambda ctx, oid: None)
fn("pg_get_triggerdef", T.TEXT, (T.OID, T.BOOL), lambda ctx, oid, pretty: None)
fn("pg_get_ruledef", T.TEXT, (T.OID,), lambda ctx, oid: None)
fn("pg_get_ruledef", T.TEXT, (T.OID, T.BOOL), lambda ctx, oid, pretty: None)


def _proc_row(oid: int) -> tuple | None:
    return _PG_BY_OID.get(oid) or next((r for r in rem_procs() if r[0] == oid), None)


def function_arguments(ctx: Any, oid: int) -> str | None:
    row = _proc_row(oid)
    return None if row is None else ", ".join(type_name(ctx, a) for a in row[5])


def function_result(ctx: Any, oid: int) -> str | None:
    row = _proc_row(oid)
    if row is None:
        return None
    return ("SETOF " if row[3] else "") + type_name(ctx, row[4])


fn("pg_get_function_arguments", T.TEXT, (T.OID,), function_arguments)
fn("pg_get_function_identity_arguments", T.TEXT, (T.OID,), function_arguments)
fn("pg_get_function_result", T.TEXT, (T.OID,), function_result)


def serial_sequence(ctx: Any, table: str, column: str) -> str | None:
    """pg_get_serial_sequence('t', 'col'): the owned sequence, schema-qualified."""
    relid = reg_in(ctx, T.REGCLASS, table)
    snap = snapshot(ctx)
    rel = snap.by_oid.get(int(relid)) if relid is not None else None
    if rel is None:
        return None
    att = next((a for a in rel.attrs if a.name == column), None)
    if att is None:
        from engine.errors import UndefinedColumn

        raise UndefinedColumn(f'column "{column}" of relation "{rel.name}" does not exist')
    seq = next((s for s in snap.sequences if s.relid == rel.oid and s.attnum == att.attnum), None)
    if seq is None:
        return None
    srel = snap.by_oid[seq.oid]
    own = srel.schema == getattr(ctx.session, "temp_schema", None)  # PostgreSQL names its own as pg_temp
    return f"{'pg_temp' if own else names.quote_ident(srel.schema)}.{names.quote_ident(srel.name)}"


fn("pg_get_serial_sequence", T.TEXT, (T.TEXT, T.TEXT), serial_sequence)

# --- descriptions ----------------------------------------------------------------------------------------


def col_description(ctx: Any, relid: int, attnum: int) -> str | None:
    rel = snapshot(ctx).by_oid.get(relid)
    if rel is None:
        return None
    return next((a.description for a in rel.attrs if a.attnum == attnum), None)


def obj_description(ctx: Any, oid: int, catalog: str | None = None) -> str | None:
    if catalog in (None, "pg_class"):
        rel = snapshot(ctx).by_oid.get(oid)
        if rel is not None:
            return rel.description
    if catalog in (None, "pg_constraint"):
        con = snapshot(ctx).constraint_by_oid.get(oid)
        if con is not None:
            return con.description
    if catalog in (None, "pg_proc"):
        name = proc_name(oid)
        if name:
            from engine.functions import lookup

            fns = lookup(name)
            return fns[0].description or None if fns else None
    return None


fn("col_description", T.TEXT, (T.OID, T.INT4), col_description)
fn("obj_description", T.TEXT, (T.OID,), obj_description)
fn("obj_description", T.TEXT, (T.OID, T.NAME), obj_description)
fn("shobj_description", T.TEXT, (T.OID, T.NAME), lambda ctx, oid, catalog: None)

# --- to_reg* ---------------------------------------------------------------------------------------------

for _name, _reg in (("to_regclass", T.REGCLASS), ("to_regtype", T.REGTYPE), ("to_regproc", T.REGPROC),
                    ("to_regprocedure", T.REGPROCEDURE), ("to_regnamespace", T.REGNAMESPACE),
                    ("to_regrole", T.REGROLE)):
    fn(_name, _reg, (T.TEXT,), lambda ctx, text, _r=_reg: reg_in(ctx, _r, text, missing_ok=True))

# --- privileges: REM has one role with every privilege ---------------------------------------------------

for _name in ("has_table_privilege", "has_column_privilege", "has_any_column_privilege", "has_schema_privilege",
              "has_database_privilege", "has_function_privilege", "has_sequence_privilege", "has_type_privilege",
              "has_language_privilege", "has_tablespace_privilege", "has_foreign_data_wrapper_privilege",
              "has_server_privilege", "has_parameter_privilege", "pg_has_role"):
    fn(_name, T.BOOL, None, lambda ctx, *args: True)

# --- keywords, encodings ---------------------------------------------------------------------------------

fn("pg_get_keywords", T.RECORD, (), lambda ctx: iter(_pg_data.KEYWORDS), set_returning=True,
   columns=(("word", T.TEXT), ("catcode", T.CHAR), ("barelabel", T.BOOL), ("catdesc", T.TEXT),
            ("baredesc", T.TEXT)))
_ENCODINGS = {0: "SQL_ASCII", 6: "UTF8"}
fn("pg_encoding_to_char", T.NAME, (T.INT4,), lambda ctx, enc: _ENCODINGS.get(enc, ""))
fn("pg_char_to_encoding", T.INT4, (T.NAME,),
   lambda ctx, name: {v: k for k, v in _ENCODINGS.items()}.get(str(name).upper().replace("-", ""), -1))

# --- sizes -----------------------------------------------------------------------------------------------

_UNITS = (("bytes", 10 * 1024, False, 0), ("kB", 20 * 1024 - 1, True, 10), ("MB", 20 * 1024 - 1, True, 20),
          ("GB", 20 * 1024 - 1, True, 30), ("TB", 20 * 1024 - 1, True, 40), ("PB", 20 * 1024 - 1, True, 50))


def _cdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def size_pretty(ctx: Any, size: int | Decimal) -> str:
    """PostgreSQL 15's pg_size_pretty (half-rounded units, PB as the largest)."""
    n = int(size)
    for k, (name, limit, rounded, bits) in enumerate(_UNITS):
        if k + 1 == len(_UNITS) or abs(n) < limit:
            if rounded:
                n = _cdiv(n + (-1 if n < 0 else 1), 2)
            return f"{n} {name}"
        nxt = _UNITS[k + 1]
        shift = nxt[3] - bits - (1 if nxt[2] else 0) + (1 if rounded else 0)
        n = _cdiv(n, 1 << shift)
    return f"{n} bytes"


fn("pg_size_pretty", T.TEXT, (T.INT8,), size_pretty)
fn("pg_size_pretty", T.TEXT, (T.NUMERIC,), size_pretty)


def relation_size(ctx: Any, oid: int, *_: Any) -> int | None:
    """Bytes of a REM table: the store's figure when it reports one, else rows × the mean encoded size of a
    sample of up to 64 rows (0 for virtual relations)."""
    rel = snapshot(ctx).by_oid.get(int(oid))
    if rel is None:
        return None
    if rel.table is None:
        return 0
    store = getattr(getattr(ctx, "db", None), "store", None)
    sizer = getattr(store, "relation_size", None)
    if callable(sizer):
        return int(sizer(rel.table))
    txn = getattr(ctx, "txn", None)
    if txn is None:
        return 0
    try:
        from engine.storage.codec import encode_row

        sample = [len(encode_row(r)) for r in itertools.islice(txn.scan(rel.table), 64)]
        return int(txn.count(rel.table) * sum(sample) / len(sample)) if sample else 0
    except Exception:  # rows not encodable by this build's codec: report no size rather than fail \dt+
        return 0


def database_size(ctx: Any, _db: Any) -> int:
    """Bytes used on disk by the data directory."""
    settings = getattr(getattr(ctx, "db", None), "settings", None)
    root = getattr(settings, "data_dir", None)
    total = 0
    if root and os.path.isdir(root):
        for d, _dirs, files in os.walk(root):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(d, f))
                except OSError:
                    continue
    return total


# PostgreSQL declares these on regclass and lets an oid column coerce implicitly; the oid overloads make that
# resolution independent of the planner's implicit-cast table.
for _name in ("pg_relation_size", "pg_total_relation_size", "pg_table_size", "pg_indexes_size"):
    fn(_name, T.INT8, (T.REGCLASS,), relation_size)
    fn(_name, T.INT8, (T.OID,), relation_size)
fn("pg_relation_size", T.INT8, (T.REGCLASS, T.TEXT), relation_size)
fn("pg_database_size", T.INT8, (T.NAME,), database_size)
fn("pg_database_size", T.INT8, (T.OID,), database_size)
fn("pg_tablespace_location", T.TEXT, (T.OID,), lambda ctx, oid: "")


def is_publishable(ctx: Any, oid: int) -> bool:
    rel = snapshot(ctx).by_oid.get(int(oid))
    return rel is not None and rel.table is not None and rel.kind == "r"


fn("pg_relation_is_publishable", T.BOOL, (T.REGCLASS,), is_publishable)
fn("pg_relation_is_publishable", T.BOOL, (T.OID,), is_publishable)

# --- advisory locks: accepted, always granted (REM serializes writes in one writer) ----------------------

for _name in ("pg_advisory_lock", "pg_advisory_lock_shared", "pg_advisory_xact_lock",
              "pg_advisory_xact_lock_shared"):
    fn(_name, T.VOID, (T.INT8,), lambda ctx, key: None)
    fn(_name, T.VOID, (T.INT4, T.INT4), lambda ctx, a, b: None)
for _name in ("pg_try_advisory_lock", "pg_try_advisory_lock_shared", "pg_try_advisory_xact_lock",
              "pg_try_advisory_xact_lock_shared", "pg_advisory_unlock", "pg_advisory_unlock_shared"):
    fn(_name, T.BOOL, (T.INT8,), lambda ctx, key: True)
    fn(_name, T.BOOL, (T.INT4, T.INT4), lambda ctx, a, b: True)
fn("pg_advisory_unlock_all", T.VOID, (), lambda ctx: None)

# --- partitions: REM has none, so a relation has no ancestors and no partition tree ------------------------

fn("pg_partition_ancestors", T.RECORD, (T.REGCLASS,), lambda ctx, rel: iter(()), set_returning=True,
   columns=(("relid", T.REGCLASS),))
fn("pg_partition_root", T.REGCLASS, (T.REGCLASS,), lambda ctx, rel: None)
fn("pg_partition_tree", T.RECORD, (T.REGCLASS,), lambda ctx, rel: iter(()), set_returning=True,
   columns=(("relid", T.REGCLASS), ("parentrelid", T.REGCLASS), ("isleaf", T.BOOL), ("level", T.INT4)))

# --- information_schema._pg_expandarray (pgjdbc getPrimaryKeys / getIndexInfo) ---------------------------


def expandarray(ctx: Any, arr: list[Any]) -> Iterator[tuple[Any, int]]:
    """Rows (element, 1-based position) of an array."""
    return ((x, i) for i, x in enumerate(arr or [], 1))


fn("_pg_expandarray", T.RECORD, (T.ANYARRAY,), expandarray, set_returning=True,
   columns=(("x", T.INT2), ("n", T.INT4)))
