"""A snapshot of every relation the catalogs describe: REM tables (from the registry) and virtual relations.

``snapshot(ctx)`` turns the registry's TableDef/ColumnDef/IndexDef/ConstraintDef into PostgreSQL-shaped objects
(relations, attributes, indexes, constraints, sequences, defaults) once per registry state; every pg_catalog
relation and catalog function reads from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine import types
from engine.catalog import _pg_data, oids
from engine.catalog.exprs import check_expr
from engine.virtual import VirtualTable, all_virtual

_NEXTVAL = re.compile(r"nextval\('([^']+)'(?:::regclass)?\)", re.I)
_PG_RELS = {(r[0], r[1]): r for r in _pg_data.RELATIONS}


@dataclass
class Attr:
    """One pg_attribute row."""

    relid: int
    name: str
    type_oid: int
    attnum: int
    typmod: int = -1
    not_null: bool = False
    default: str | None = None
    identity: str = ""
    generated: str = ""
    description: str | None = None


@dataclass
class Index:
    """One index (pg_index + its pg_class row)."""

    oid: int
    relid: int
    name: str
    attnums: list[int]
    colnames: list[str]
    unique: bool = False
    primary: bool = False
    method: str = "btree"
    desc: list[bool] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    opclass_names: list[str] = field(default_factory=list)


@dataclass
class Constraint:
    """One pg_constraint row."""

    oid: int
    relid: int
    name: str
    kind: str
    conkey: list[int]
    colnames: list[str]
    indid: int = 0
    expr: str | None = None
    raw: str | None = None  # CHECK: the stored expression text (pretty printing starts from it)
    types: dict[str, int] | None = None  # CHECK: column types of the table (casts shown as PostgreSQL does)
    confrelid: int = 0
    confkey: list[int] = field(default_factory=list)
    ref_colnames: list[str] = field(default_factory=list)
    on_update: str = "a"
    on_delete: str = "a"
    deferrable: bool = False
    deferred: bool = False
    description: str | None = None


@dataclass
class Sequence:
    """A sequence owned by a serial/identity column."""

    oid: int
    relid: int  # 0 for a standalone sequence
    attnum: int
    type_oid: int
    defn: Any = None  # the registry's SequenceDef (start, increment, bounds …) when it has one


@dataclass
class Rel:
    """One pg_class row with what the catalogs need to describe it."""

    oid: int
    schema: str
    name: str
    kind: str
    attrs: list[Attr] = field(default_factory=list)
    rowtype: int = 0
    arraytype: int = 0
    description: str | None = None
    table: Any = None  # TableDef for REM tables
    virtual: VirtualTable | None = None
    options: list[str] | None = None
    persistence: str = "p"  # pg_class.relpersistence

    @property
    def nsp_oid(self) -> int:
        return oids.namespace_oid(self.schema)

    @property
    def am(self) -> int:
        if self.kind in ("r", "m"):
            return oids.HEAP_AM
        return 0


@dataclass
class Snapshot:
    """Every relation and dependent object, indexed the ways catalog code looks them up."""

    rels: list[Rel] = field(default_factory=list)
    by_oid: dict[int, Rel] = field(default_factory=dict)
    by_name: dict[tuple[str, str], Rel] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    sequences: list[Sequence] = field(default_factory=list)
    attrdefs: list[tuple[int, int, int, str]] = field(default_factory=list)  # (oid, relid, attnum, expr)
    index_by_oid: dict[int, Index] = field(default_factory=dict)
    constraint_by_oid: dict[int, Constraint] = field(default_factory=dict)
    schemas: dict[str, int] = field(default_factory=dict)
    enums: list[dict[str, Any]] = field(default_factory=list)  # {schema, name, labels, oid, array_oid}
    enum_by_name: dict[str, int] = field(default_factory=dict)  # "schema.name" → type OID
    memo: dict[Any, Any] = field(default_factory=dict)  # rows of relations that depend on the snapshot only

    def add(self, rel: Rel) -> None:
        self.rels.append(rel)
        self.by_oid[rel.oid] = rel
        self.by_name[(rel.schema, rel.name)] = rel
        if rel.schema.startswith("pg_temp_"):  # a session's temporary schema (engine/sql/temp_relations.py)
            rel.persistence = "t"


def _virtual_rel(vt: VirtualTable) -> Rel:
    pg = _PG_RELS.get((vt.schema, vt.name))
    oid = vt.oid or (pg[2] if pg else oids.name_oid(oids.OTHER, f"{vt.schema}.{vt.name}"))
    kind = pg[3] if pg else ("r" if vt.kind == "r" else "v")
    rowtype = pg[4] if pg else oids.derived(oids.ROW_TYPE, oid)
    arraytype = pg[5] if pg else oids.derived(oids.ARRAY_TYPE, oid)
    rel = Rel(oid, vt.schema, vt.name, kind, rowtype=rowtype, arraytype=arraytype, virtual=vt)
    rel.attrs = [Attr(oid, n, t, i) for i, (n, t) in enumerate(vt.columns, 1)]
    return rel


def _static() -> list[Rel]:
    key = tuple(id(v) for v in all_virtual())
    if _STATIC_CACHE.get("key") != key:
        _STATIC_CACHE["key"] = key
        _STATIC_CACHE["rels"] = [_virtual_rel(vt) for vt in all_virtual()]
    return _STATIC_CACHE["rels"]  # type: ignore[return-value]


_STATIC_CACHE: dict[str, object] = {}


def _user_attrs(t: Any) -> list[Attr]:
    out = []
    enum_oids = _ENUM_OIDS
    for c in t.columns:
        if c.hidden and c.attnum >= 0:
            continue
        if c.attnum == 0:
            continue
        typ = enum_oids.get(getattr(c, "enum_type", None) or "", c.type_oid)
        out.append(Attr(
            t.oid, c.name, typ, c.attnum, c.typmod, bool(c.not_null) or c.name in t.primary_key,
            getattr(c, "generated", None) or c.default, c.identity or "", "s" if getattr(c, "generated", None) else "",
            c.description,
        ))
    out.sort(key=lambda a: (a.attnum < 0, abs(a.attnum)))
    return out


def _rem_options(t: Any) -> list[str] | None:
    """REM's table options as pg_class.reloptions (``key_field=uri``, ``embedding_fields=title,body`` …), the
    way psql's ``\\d+`` prints "Options:"; a key field implied by a one-column primary key is not repeated."""
    opts = []
    if t.key_field and list(t.primary_key) != [t.key_field]:
        opts.append(f"key_field={t.key_field}")
    if t.embedding_fields:
        opts.append("embedding_fields=" + ",".join(t.embedding_fields))
    if t.embedding_model and t.embedding_fields:
        opts.append(f"embedding_model={t.embedding_model}")
    return opts or None


def _add_table(snap: Snapshot, t: Any) -> None:
    rowtype = getattr(t, "rowtype_oid", 0) or oids.derived(oids.ROW_TYPE, t.oid)
    rel = Rel(t.oid, t.schema, t.name, t.kind or "r", _user_attrs(t), rowtype,
              oids.derived(oids.ARRAY_TYPE, t.oid), t.description, table=t)
    rel.options = _rem_options(t)
    if getattr(t, "temporary", False):
        rel.persistence = "t"
    snap.add(rel)
    attnum = {a.name: a.attnum for a in rel.attrs}
    for c in t.columns:
        attnum.setdefault(c.name, c.attnum)
    # defaults and owned sequences
    for a in rel.attrs:
        if a.attnum <= 0:
            continue
        m = _NEXTVAL.search(a.default or "")
        if a.identity or m:
            seq_name = m.group(1).split(".")[-1].strip('"') if m else f"{t.name}_{a.name}_seq"
            defn = _SEQDEFS.get((t.schema, seq_name))
            owned = defn.owner_table == t.name if defn is not None else seq_name == f"{t.name}_{a.name}_seq"
            if m and not a.identity and not owned:
                pass  # a default that calls a standalone sequence: not owned by this column
            else:
                seq = Sequence(defn.oid if defn is not None and defn.oid else
                               oids.derived(oids.SEQUENCE, t.oid, a.attnum), t.oid, a.attnum,
                               a.type_oid if a.type_oid in (types.INT2, types.INT4, types.INT8) else types.INT8,
                               defn)
                snap.sequences.append(seq)
                srel = Rel(seq.oid, t.schema, seq_name, "S", rowtype=0)
                srel.attrs = [Attr(seq.oid, "last_value", types.INT8, 1, not_null=True),
                              Attr(seq.oid, "log_cnt", types.INT8, 2, not_null=True),
                              Attr(seq.oid, "is_called", types.BOOL, 3, not_null=True)]
                snap.add(srel)
        if a.default is not None and not a.identity:
            from engine.catalog.exprs import default_expr

            expr = default_expr(a.default, a.type_oid)
            snap.attrdefs.append((oids.derived(oids.ATTRDEF, t.oid, a.attnum), t.oid, a.attnum, expr))
    # indexes
    idx_by_cols: dict[tuple[str, ...], Index] = {}
    for k, ix in enumerate(t.indexes):
        names, desc = [], []
        for col in ix.columns:
            parts = col.split()
            names.append(parts[0])
            desc.append(len(parts) > 1 and parts[-1].upper() == "DESC")
        oid = ix.oid or oids.derived(oids.INDEX, t.oid, k + 1)
        opcl = [ix.options.get("opclass")] if ix.options.get("opclass") else []
        index = Index(oid, t.oid, ix.name, [attnum.get(n, 0) for n in names], names, ix.unique or ix.primary,
                      ix.primary, ix.method, desc, dict(ix.options), [o for o in opcl if o])
        snap.indexes.append(index)
        idx_by_cols.setdefault(tuple(names), index)
    # constraints (and the unique indexes behind primary keys / unique constraints)
    cons = list(t.constraints)
    has_pk = any(c.kind == "p" for c in cons)
    pk_cols = list(t.primary_key)
    if not has_pk and not pk_cols:
        prim = next((i for i in snap.indexes if i.relid == t.oid and i.primary), None)
        if prim:
            pk_cols = prim.colnames
        else:
            idcol = next((c.name for c in t.columns if getattr(c, "role", None) == "id" and not c.hidden), None)
            if rel.kind == "r" and idcol is None and any(a.name == "id" and a.type_oid == types.UUID
                                                         for a in rel.attrs if a.attnum > 0):
                idcol = "id"
            if rel.kind == "r" and idcol:
                pk_cols = [idcol]
    if not has_pk and pk_cols:
        cons.insert(0, _Con(f"{t.name}_pkey", "p", pk_cols, oid=oids.derived(oids.CONSTRAINT, t.oid, 0)))
    coltypes = {c.name: c.type_oid for c in t.columns}
    for k, c in enumerate(cons):
        if c.kind == "n":
            continue
        coid = c.oid or oids.derived(oids.CONSTRAINT, t.oid, k + 1)
        con = Constraint(coid, t.oid, c.name, c.kind, [attnum.get(n, 0) for n in c.columns], list(c.columns),
                         expr=check_expr(c.expr, types=coltypes) if c.kind == "c" else c.expr, raw=c.expr,
                         description=getattr(c, "description", None), types=coltypes)
        if c.kind in ("p", "u"):
            index = idx_by_cols.get(tuple(c.columns))
            if index is None or (c.kind == "p" and not index.primary and index.name != c.name):
                index = Index(oids.derived(oids.INDEX, t.oid, 32 + k), t.oid, c.name, list(con.conkey),
                              list(c.columns), True, c.kind == "p", "btree", [False] * len(c.columns))
                snap.indexes.append(index)
                idx_by_cols[tuple(c.columns)] = index
            index.unique = True
            index.primary = index.primary or c.kind == "p"
            con.indid = index.oid
        elif c.kind == "f":
            con.ref_colnames = list(c.ref_columns)
            ref_schema, ref_name = getattr(c, "ref_schema", None), c.ref_table or ""
            if ref_schema is None:
                ref_schema, _, ref_name = ref_name.rpartition(".")
            con._ref = (ref_schema or t.schema, ref_name)  # type: ignore[attr-defined]
            con.on_update = _action(getattr(c, "on_update", None))
            con.on_delete = _action(getattr(c, "on_delete", None))
            con.deferrable = bool(getattr(c, "deferrable", False))
            con.deferred = bool(getattr(c, "deferred", False))
        snap.constraints.append(con)


@dataclass
class _Con:
    name: str
    kind: str
    columns: list[str]
    expr: str | None = None
    ref_table: str | None = None
    ref_columns: list[str] = field(default_factory=list)
    oid: int = 0


_ACTIONS = {"no action": "a", "restrict": "r", "cascade": "c", "set null": "n", "set default": "d"}


def _action(v: str | None) -> str:
    if not v:
        return "a"
    v = v.strip().lower()
    return v if v in ("a", "r", "c", "n", "d") else _ACTIONS.get(v, "a")


def _resolve_fks(snap: Snapshot) -> None:
    for con in snap.constraints:
        ref = getattr(con, "_ref", None)
        if con.kind != "f" or ref is None:
            continue
        target = snap.by_name.get(ref) or next((r for r in snap.rels if r.name == ref[1] and r.table), None)
        if target is None:
            continue
        con.confrelid = target.oid
        refcols = con.ref_colnames or [c for c in (target.table.primary_key or ["id"])]
        con.ref_colnames = refcols
        num = {a.name: a.attnum for a in target.attrs}
        con.confkey = [num.get(n, 0) for n in refcols]
        ix = next((i for i in snap.indexes if i.relid == target.oid and i.unique and i.colnames == refcols), None)
        con.indid = ix.oid if ix else 0


def _registry_tables(ctx: Any) -> list[Any]:
    """Tables and views of the registry (views are TableDefs of kind 'v')."""
    db = getattr(ctx, "db", None)
    reg = getattr(db, "registry", None)
    if reg is None:
        return []
    views = reg.views() if hasattr(reg, "views") else []
    return list(reg.tables()) + list(views)


def _registry_extras(ctx: Any) -> tuple[dict[str, int], list[Any], int]:
    """(user schemas, sequence definitions, generation) of the registry, empty when it has none."""
    reg = getattr(getattr(ctx, "db", None), "registry", None)
    if reg is None or not hasattr(reg, "schemas"):
        return {}, [], 0
    return dict(reg.schemas()), list(reg.sequence_defs()), int(getattr(reg, "generation", 0))


_SEQDEFS: dict[tuple[str, str], Any] = {}  # (schema, name) → SequenceDef while a snapshot is being built
_ENUM_OIDS: dict[str, int] = {}  # "schema.name" → enum type OID while a snapshot is being built


def _registry_enums(ctx: Any) -> list[dict[str, Any]]:
    reg = getattr(getattr(ctx, "db", None), "registry", None)
    return list(reg.enums()) if reg is not None and hasattr(reg, "enums") else []


_CACHE: dict[tuple[Any, ...], Snapshot] = {}


def snapshot(ctx: Any) -> Snapshot:
    """The catalog snapshot for the registry state ``ctx`` sees (memoized on that state, and on the per-statement
    ``ctx`` itself so that per-row catalog functions do not recompute the key)."""
    snap = getattr(ctx, "_rem_catalog_snapshot", None)
    if snap is not None:
        return snap  # type: ignore[no-any-return]
    snap = _snapshot(ctx)
    try:
        ctx._rem_catalog_snapshot = snap
    except AttributeError:  # a context that takes no attributes: the registry-state memo still applies
        pass
    return snap


def _snapshot(ctx: Any) -> Snapshot:
    tables = _registry_tables(ctx)
    if tables:
        from engine.catalog.regcasts import _LAST

        _LAST["db"] = ctx.db
    user_schemas, seqdefs, gen = _registry_extras(ctx)
    key = (tuple(id(v) for v in all_virtual()),
           tuple((t.schema, t.name, t.oid, t.version, id(t), len(t.columns), len(t.indexes)) for t in tables),
           gen, tuple(user_schemas), tuple(id(d) for d in seqdefs))
    snap = _CACHE.get(key)
    if snap is not None:
        return snap
    snap = Snapshot()
    for rel in _static():
        snap.add(rel)
    _SEQDEFS.clear()
    _SEQDEFS.update({(d.schema, d.name): d for d in seqdefs})
    snap.enums = _registry_enums(ctx)
    snap.enum_by_name = {f"{e['schema']}.{e['name']}": e["oid"] for e in snap.enums}
    _ENUM_OIDS.clear()
    _ENUM_OIDS.update(snap.enum_by_name)
    for t in tables:
        _add_table(snap, t)
    for d in seqdefs:
        if d.owner_table is None and (d.schema, d.name) not in snap.by_name:
            seq = Sequence(d.oid, 0, 0, d.type_oid, d)
            snap.sequences.append(seq)
            srel = Rel(seq.oid, d.schema, d.name, "S", rowtype=0)
            srel.attrs = [Attr(seq.oid, "last_value", types.INT8, 1, not_null=True),
                          Attr(seq.oid, "log_cnt", types.INT8, 2, not_null=True),
                          Attr(seq.oid, "is_called", types.BOOL, 3, not_null=True)]
            snap.add(srel)
    _resolve_fks(snap)
    for i in snap.indexes:
        snap.index_by_oid[i.oid] = i
        table = snap.by_oid[i.relid]
        irel = Rel(i.oid, table.schema, i.name, "i")
        types_of = {a.attnum: a for a in table.attrs}
        irel.attrs = [Attr(i.oid, n, types_of[a].type_oid if a in types_of else types.INT4, k, types_of[a].typmod
                           if a in types_of else -1) for k, (n, a) in enumerate(zip(i.colnames, i.attnums, strict=False), 1)]
        snap.add(irel)
    for c in snap.constraints:
        snap.constraint_by_oid[c.oid] = c
    names = ["pg_catalog", "pg_toast", "information_schema", "public"]
    names += sorted(({r.schema for r in snap.rels} | set(user_schemas) | {e["schema"] for e in snap.enums})
                    - set(names))
    snap.schemas = {n: oids.namespace_oid(n) for n in names}
    if len(_CACHE) > 8:
        _CACHE.clear()
    _CACHE[key] = snap
    return snap
