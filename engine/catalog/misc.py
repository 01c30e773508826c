"""The smaller catalogs: access methods, operator classes, collations, ranges, databases, tablespaces,
languages, extensions (plpgsql, vector), pg_tables / pg_views / pg_indexes / pg_sequences, statistics views.

Every other PostgreSQL 15 catalog relation exists and is empty (see engine.catalog._rows.register_all_empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine import types
from engine.catalog import _pg_data, names, oids
from engine.catalog._rows import register
from engine.catalog.deparse import indexdef, viewdef
from engine.catalog.objects import snapshot
from engine.catalog.procs import regproc, regproc_by_oid
from engine.catalog.regvalue import RegOid
from engine.catalog.relations import SEQ_MAX

_AM_EXTRA = ((oids.HNSW_AM, "hnsw", "hnswhandler", "i"), (oids.IVFFLAT_AM, "ivfflat", "ivfflathandler", "i"))
_VECTOR_OPCLASSES = ((16390, "vector_l2_ops"), (16391, "vector_ip_ops"), (16392, "vector_cosine_ops"))


def _pg_am(ctx: Any) -> Iterator[dict[str, Any]]:
    for oid, name, handler, kind in _pg_data.AM:
        yield {"oid": oid, "amname": name, "amhandler": regproc_by_oid(handler), "amtype": kind}
    for oid, name, handler, kind in _AM_EXTRA:
        yield {"oid": oid, "amname": name, "amhandler": regproc(handler), "amtype": kind}


def _pg_opclass(ctx: Any) -> Iterator[dict[str, Any]]:
    cols = ("oid", "opcmethod", "opcname", "opcnamespace", "opcowner", "opcfamily", "opcintype", "opcdefault",
            "opckeytype")
    for r in _pg_data.OPCLASS:
        yield dict(zip(cols, r, strict=False))
    for oid, name in _VECTOR_OPCLASSES:
        yield {"oid": oid, "opcmethod": oids.HNSW_AM, "opcname": name, "opcnamespace": oids.PUBLIC,
               "opcowner": oids.BOOTSTRAP_SUPERUSER, "opcfamily": oid, "opcintype": types.VECTOR,
               "opcdefault": name == "vector_l2_ops"}


def _pg_collation(ctx: Any) -> Iterator[dict[str, Any]]:
    cols = ("oid", "collname", "collnamespace", "collowner", "collprovider", "collisdeterministic",
            "collencoding", "collcollate", "collctype")
    for r in _pg_data.COLLATIONS:
        yield dict(zip(cols, r, strict=False))


def _pg_range(ctx: Any) -> Iterator[dict[str, Any]]:
    for typ, sub, multi, coll, opc, canon, diff in _pg_data.RANGES:
        yield {"rngtypid": typ, "rngsubtype": sub, "rngmultitypid": multi, "rngcollation": coll,
               "rngsubopc": opc, "rngcanonical": regproc_by_oid(canon), "rngsubdiff": regproc_by_oid(diff)}


def _pg_database(ctx: Any) -> Iterator[dict[str, Any]]:
    yield {"oid": oids.DATABASE, "datname": names.session_database(ctx), "datdba": oids.BOOTSTRAP_SUPERUSER,
           "encoding": 6, "datlocprovider": "c", "datistemplate": False, "datallowconn": True,
           "datconnlimit": -1, "datfrozenxid": 0, "datminmxid": 1, "dattablespace": oids.PG_DEFAULT_TABLESPACE,
           "datcollate": "C", "datctype": "C"}


def _pg_tablespace(ctx: Any) -> Iterator[dict[str, Any]]:
    for oid, name in ((oids.PG_DEFAULT_TABLESPACE, "pg_default"), (oids.PG_GLOBAL_TABLESPACE, "pg_global")):
        yield {"oid": oid, "spcname": name, "spcowner": oids.BOOTSTRAP_SUPERUSER}


def _pg_language(ctx: Any) -> Iterator[dict[str, Any]]:
    for oid, name, pl in ((oids.LANG_INTERNAL, "internal", False), (oids.LANG_C, "c", False),
                          (oids.LANG_SQL, "sql", False), (oids.LANG_PLPGSQL, "plpgsql", True)):
        yield {"oid": oid, "lanname": name, "lanowner": oids.BOOTSTRAP_SUPERUSER, "lanispl": pl,
               "lanpltrusted": name in ("sql", "plpgsql")}


def _pg_extension(ctx: Any) -> Iterator[dict[str, Any]]:
    yield {"oid": oids.EXT_PLPGSQL, "extname": "plpgsql", "extowner": oids.BOOTSTRAP_SUPERUSER,
           "extnamespace": oids.PG_CATALOG, "extrelocatable": False, "extversion": "1.0"}
    yield {"oid": oids.EXT_VECTOR, "extname": "vector", "extowner": oids.BOOTSTRAP_SUPERUSER,
           "extnamespace": oids.PUBLIC, "extrelocatable": True, "extversion": "0.8.0"}


def _owner(ctx: Any) -> str:
    from engine.catalog.roles import role_names

    return role_names(ctx)[0]


def _pg_tables(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    indexed = {i.relid for i in snap.indexes}
    for rel in snap.rels:
        if rel.kind in ("r", "p"):
            yield {"schemaname": rel.schema, "tablename": rel.name, "tableowner": _owner(ctx),
                   "hasindexes": rel.oid in indexed}


def _pg_views(ctx: Any) -> Iterator[dict[str, Any]]:
    for rel in snapshot(ctx).rels:
        if rel.kind == "v":
            yield {"schemaname": rel.schema, "viewname": rel.name, "viewowner": _owner(ctx),
                   "definition": viewdef(ctx, rel.oid)}


def _pg_matviews(ctx: Any) -> Iterator[dict[str, Any]]:
    for rel in snapshot(ctx).rels:
        if rel.kind == "m":
            yield {"schemaname": rel.schema, "matviewname": rel.name, "matviewowner": _owner(ctx),
                   "ispopulated": True, "definition": viewdef(ctx, rel.oid)}


def _pg_indexes(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    for ix in snap.indexes:
        rel = snap.by_oid[ix.relid]
        yield {"schemaname": rel.schema, "tablename": rel.name, "indexname": ix.name,
               "indexdef": indexdef(ctx, ix.oid)}


def _pg_sequences(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    for s in snap.sequences:
        rel = snap.by_oid[s.oid]
        if rel.schema.startswith("pg_temp_") and rel.schema != getattr(ctx.session, "temp_schema", None):
            continue  # another session's temporary sequence (NOT pg_is_other_temp_schema in PostgreSQL)
        d = s.defn
        typ = d.type_oid if d is not None else s.type_oid
        row = {"schemaname": rel.schema, "sequencename": rel.name, "sequenceowner": _owner(ctx),
               "data_type": RegOid(typ, {20: "bigint", 21: "smallint", 23: "integer"}.get(typ, "")),
               "start_value": 1, "min_value": 1, "max_value": SEQ_MAX.get(s.type_oid), "increment_by": 1,
               "cycle": False, "cache_size": 1, "last_value": None}
        if d is not None:
            reg = getattr(getattr(ctx, "db", None), "registry", None)
            row.update({"start_value": d.start, "min_value": d.minvalue, "max_value": d.maxvalue,
                        "increment_by": d.increment, "cycle": d.cycle, "cache_size": d.cache,
                        "last_value": reg.currval(d.key) if reg is not None else None})
        yield row


def _live_rows(ctx: Any, t: Any) -> int:
    txn = getattr(ctx, "txn", None)
    if txn is None:
        return 0
    try:
        return int(txn.count(t))
    except Exception:  # a table being dropped concurrently: report it empty
        return 0


def _stat_tables(ctx: Any, user_only: bool) -> Iterator[dict[str, Any]]:
    for rel in snapshot(ctx).rels:
        if rel.kind not in ("r", "m", "p") or (user_only and rel.table is None):
            continue
        live = _live_rows(ctx, rel.table) if rel.table is not None else 0
        yield {"relid": rel.oid, "schemaname": rel.schema, "relname": rel.name, "n_live_tup": live,
               "n_tup_ins": live}


def _pg_stat_activity(ctx: Any) -> Iterator[dict[str, Any]]:
    session = ctx.session
    yield {"datid": oids.DATABASE, "datname": names.session_database(ctx),
           "pid": int(getattr(session, "process_id", 0) or 0), "usesysid": oids.BOOTSTRAP_SUPERUSER,
           "usename": names.session_user(ctx), "application_name": names.setting(ctx, "application_name", ""),
           "state": "active", "backend_type": "client backend"}


register("pg_catalog", "pg_am", _pg_am)
register("pg_catalog", "pg_opclass", _pg_opclass)
register("pg_catalog", "pg_collation", _pg_collation)
register("pg_catalog", "pg_range", _pg_range)
register("pg_catalog", "pg_database", _pg_database)
register("pg_catalog", "pg_tablespace", _pg_tablespace)
register("pg_catalog", "pg_language", _pg_language)
register("pg_catalog", "pg_extension", _pg_extension)
register("pg_catalog", "pg_tables", _pg_tables)
register("pg_catalog", "pg_views", _pg_views)
register("pg_catalog", "pg_matviews", _pg_matviews)
register("pg_catalog", "pg_indexes", _pg_indexes)
register("pg_catalog", "pg_sequences", _pg_sequences)
register("pg_catalog", "pg_stat_user_tables", lambda ctx: _stat_tables(ctx, True))
register("pg_catalog", "pg_stat_all_tables", lambda ctx: _stat_tables(ctx, False))
register("pg_catalog", "pg_stat_activity", _pg_stat_activity)
