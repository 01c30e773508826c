"""pg_class, pg_attribute, pg_index, pg_constraint, pg_attrdef, pg_description, pg_sequence, pg_depend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine import functions, types
from engine.catalog import _pg_data, oids
from engine.catalog._rows import register
from engine.catalog.objects import Index, Rel, snapshot

_TYPCOLL: dict[int, int] = {r[0]: r[6] for r in _pg_data.TYPE_EXTRA}
_AMS = {"btree": oids.BTREE_AM, "hash": oids.HASH_AM, "hnsw": oids.HNSW_AM, "ivfflat": oids.IVFFLAT_AM}
# default btree operator classes by input type (PostgreSQL's pg_opclass, opcdefault)
_BTREE_OPC: dict[int, int] = {r[6]: r[0] for r in _pg_data.OPCLASS if r[1] == oids.BTREE_AM and r[7]}
_OPC_BY_NAME: dict[str, int] = {r[2]: r[0] for r in _pg_data.OPCLASS}
_VECTOR_OPS = {"vector_l2_ops": 16390, "vector_ip_ops": 16391, "vector_cosine_ops": 16392}
_SHARED = {"pg_authid", "pg_database", "pg_auth_members", "pg_shdescription", "pg_tablespace", "pg_db_role_setting",
           "pg_shdepend", "pg_shseclabel", "pg_replication_origin", "pg_subscription", "pg_parameter_acl"}
SEQ_MAX = {types.INT2: 32767, types.INT4: 2147483647, types.INT8: 9223372036854775807}


def collation_of(type_oid: int) -> int:
    """The default collation of a type (0 when the type is not collatable)."""
    return _TYPCOLL.get(type_oid, 0)


def index_am(ix: Index) -> int:
    """The pg_am OID of an index's method."""
    return _AMS.get(ix.method, oids.BTREE_AM)


def index_opclasses(ix: Index, rel: Rel) -> list[int]:
    """The operator class OID of each index column."""
    out = []
    by_num = {a.attnum: a.type_oid for a in rel.attrs}
    for k, attnum in enumerate(ix.attnums):
        if ix.method in ("hnsw", "ivfflat"):
            name = ix.opclass_names[k] if k < len(ix.opclass_names) else "vector_l2_ops"
            out.append(_VECTOR_OPS.get(name, _VECTOR_OPS["vector_l2_ops"]))
            continue
        t = by_num.get(attnum, types.TEXT)
        if t not in _BTREE_OPC:
            t = {types.VARCHAR: types.TEXT, types.NAME: types.TEXT, types.JSON: types.JSONB}.get(t, t)
        if types.element_of(t):
            t = types.ANYARRAY
        out.append(_BTREE_OPC.get(t, 0))
    return out


def _pg_class(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    indexed = {i.relid for i in snap.indexes}
    checks: dict[int, int] = {}
    triggers: set[int] = set()  # PostgreSQL implements foreign keys with triggers on both tables
    for c in snap.constraints:
        if c.kind == "c":
            checks[c.relid] = checks.get(c.relid, 0) + 1
        elif c.kind == "f":
            triggers.update((c.relid, c.confrelid))
    for rel in snap.rels:
        am = rel.am
        options = rel.options
        if rel.kind == "i":
            ix = snap.index_by_oid.get(rel.oid)
            am = index_am(ix) if ix else oids.BTREE_AM
            if ix and ix.options:
                options = [f"{k}={v}" for k, v in ix.options.items() if k not in ("opclass",)] or None
        yield {
            "oid": rel.oid, "relname": rel.name, "relnamespace": rel.nsp_oid, "reltype": rel.rowtype,
            "relowner": oids.BOOTSTRAP_SUPERUSER, "relam": am,
            "relfilenode": rel.oid if rel.kind in ("r", "i", "S", "m") else 0, "reltuples": -1.0,
            "relhasindex": rel.oid in indexed, "relisshared": rel.virtual is not None and rel.name in _SHARED,
            "relpersistence": rel.persistence, "relkind": rel.kind, "relnatts": sum(1 for a in rel.attrs if a.attnum > 0),
            "relchecks": checks.get(rel.oid, 0), "relhasrules": rel.kind == "v", "relhastriggers": rel.oid in triggers,
            "relispopulated": True,
            "relreplident": "d" if rel.table is not None and rel.kind in ("r", "m") else "n", "relfrozenxid": 0, "relminmxid": 0,
            "reloptions": options,
        }


register("pg_catalog", "pg_class", _pg_class, per_snapshot=True)


def _pg_attribute(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    hasdef = {(relid, num) for _, relid, num, _ in snap.attrdefs}
    for rel in snap.rels:
        for a in rel.attrs:
            t = types.by_oid(a.type_oid)
            yield {
                "attrelid": rel.oid, "attname": a.name, "atttypid": a.type_oid, "attstattarget": -1,
                "attlen": t.typlen if t else -1, "attnum": a.attnum, "attndims": 1 if t and t.is_array else 0,
                "attcacheoff": -1, "atttypmod": a.typmod, "attbyval": t.typbyval if t else False,
                "attalign": t.typalign if t else "d", "attstorage": t.typstorage if t else "x",
                "attcompression": "", "attnotnull": a.not_null, "atthasdef": (rel.oid, a.attnum) in hasdef,
                "attidentity": a.identity, "attgenerated": a.generated, "attislocal": True,
                "attcollation": collation_of(a.type_oid),
            }


register("pg_catalog", "pg_attribute", _pg_attribute, per_snapshot=True)


def _pg_index(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    for ix in snap.indexes:
        rel = snap.by_oid[ix.relid]
        by_num = {a.attnum: a.type_oid for a in rel.attrs}
        n = len(ix.attnums)
        yield {
            "indexrelid": ix.oid, "indrelid": ix.relid, "indnatts": n, "indnkeyatts": n,
            "indisunique": ix.unique, "indisprimary": ix.primary, "indimmediate": True, "indisvalid": True,
            "indisready": True, "indislive": True, "indkey": list(ix.attnums),
            "indcollation": [collation_of(by_num.get(a, 0)) for a in ix.attnums],
            "indclass": index_opclasses(ix, rel),
            "indoption": [3 if (k < len(ix.desc) and ix.desc[k]) else 0 for k in range(n)],
        }


register("pg_catalog", "pg_index", _pg_index, per_snapshot=True)


def _pg_constraint(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    for c in snap.constraints:
        rel = snap.by_oid[c.relid]
        fk = c.kind == "f"
        yield {
            "oid": c.oid, "conname": c.name, "connamespace": rel.nsp_oid, "contype": c.kind,
            "condeferrable": c.deferrable, "condeferred": c.deferred, "convalidated": True, "conrelid": c.relid,
            "conindid": c.indid, "confrelid": c.confrelid, "confupdtype": c.on_update if fk else " ",
            "confdeltype": c.on_delete if fk else " ", "confmatchtype": "s" if fk else " ", "conislocal": True,
            "conkey": list(c.conkey) or None, "confkey": list(c.confkey) if fk else None,
            "conpfeqop": [96] * len(c.conkey) if fk else None, "conppeqop": [96] * len(c.conkey) if fk else None,
            "conffeqop": [96] * len(c.conkey) if fk else None, "conbin": c.expr if c.kind == "c" else None,
        }


register("pg_catalog", "pg_constraint", _pg_constraint, per_snapshot=True)


def _pg_attrdef(ctx: Any) -> Iterator[dict[str, Any]]:
    for oid, relid, num, expr in snapshot(ctx).attrdefs:
        yield {"oid": oid, "adrelid": relid, "adnum": num, "adbin": expr}


register("pg_catalog", "pg_attrdef", _pg_attrdef, per_snapshot=True)


def _pg_description(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    for rel in snap.rels:
        if rel.description:
            yield {"objoid": rel.oid, "classoid": oids.PG_CLASS, "objsubid": 0, "description": rel.description}
        for a in rel.attrs:
            if a.description:
                yield {"objoid": rel.oid, "classoid": oids.PG_CLASS, "objsubid": a.attnum,
                       "description": a.description}
    for c in snap.constraints:
        if c.description:
            yield {"objoid": c.oid, "classoid": oids.PG_CONSTRAINT, "objsubid": 0, "description": c.description}
    for ext, text in ((oids.EXT_PLPGSQL, "PL/pgSQL procedural language"),
                      (oids.EXT_VECTOR, "vector data type and ivfflat and hnsw access methods")):
        yield {"objoid": ext, "classoid": oids.PG_EXTENSION, "objsubid": 0, "description": text}
    from engine.catalog.procs import rem_procs

    described = {name: fns[0].description for name, fns in functions.all_functions().items()
                 if fns and fns[0].description}
    for row in rem_procs():
        if row[1] in described:
            yield {"objoid": row[0], "classoid": oids.PG_PROC, "objsubid": 0, "description": described[row[1]]}


register("pg_catalog", "pg_description", _pg_description)


def _pg_sequence(ctx: Any) -> Iterator[dict[str, Any]]:
    for s in snapshot(ctx).sequences:
        d = s.defn
        if d is not None:
            yield {"seqrelid": s.oid, "seqtypid": d.type_oid, "seqstart": d.start, "seqincrement": d.increment,
                   "seqmax": d.maxvalue, "seqmin": d.minvalue, "seqcache": d.cache, "seqcycle": d.cycle}
            continue
        yield {"seqrelid": s.oid, "seqtypid": s.type_oid, "seqstart": 1, "seqincrement": 1,
               "seqmax": SEQ_MAX.get(s.type_oid, SEQ_MAX[types.INT8]), "seqmin": 1, "seqcache": 1,
               "seqcycle": False}


register("pg_catalog", "pg_sequence", _pg_sequence, per_snapshot=True)


def _pg_depend(ctx: Any) -> Iterator[dict[str, Any]]:
    snap = snapshot(ctx)
    for s in snap.sequences:
        if not s.relid:
            continue
        rel = snap.by_oid[s.relid]
        ident = any(a.attnum == s.attnum and a.identity for a in rel.attrs)
        yield {"classid": oids.PG_CLASS, "objid": s.oid, "objsubid": 0, "refclassid": oids.PG_CLASS,
               "refobjid": s.relid, "refobjsubid": s.attnum, "deptype": "i" if ident else "a"}
    for ix in snap.indexes:
        con = next((c for c in snap.constraints if c.indid == ix.oid and c.relid == ix.relid), None)
        if con is not None:
            yield {"classid": oids.PG_CLASS, "objid": ix.oid, "objsubid": 0, "refclassid": oids.PG_CONSTRAINT,
                   "refobjid": con.oid, "refobjsubid": 0, "deptype": "i"}


register("pg_catalog", "pg_depend", _pg_depend, per_snapshot=True)
