"""DDL: CREATE TABLE / CREATE INDEX / DROP TABLE / DROP INDEX / ALTER TABLE / TRUNCATE → TableDefs handed to the
registry (which versions them, assigns OIDs and system columns, backfills and purges indexes)."""

from __future__ import annotations

import copy
from typing import Any

from sqlglot import exp

from engine import types as T
from engine.api import Notice, Result
from engine.errors import (
    DuplicateColumn,
    DuplicateObject,
    FeatureNotSupported,
    InvalidParameterValue,
    UndefinedColumn,
    UndefinedObject,
    UndefinedTable,
    WrongObjectType,
)
from engine.schema import journal
from engine.schema.model import ColumnDef, ConstraintDef, IndexDef, TableDef
from engine.sql.ddl_constraints import check_def, choose_name, fk_def, table_constraint
from engine.sql.dialect import DIALECT
from engine.sql.sqltypes import datatype_oid
from engine.sql.statements import Statement

_SERIALS = {"SERIAL": T.INT4, "BIGSERIAL": T.INT8, "SMALLSERIAL": T.INT2}


def _registry(session: Any) -> Any:
    reg = getattr(session.db, "registry", None)
    if reg is None:
        raise FeatureNotSupported("this database has no table storage")
    return reg


def _vectors(s: Any, method: str, table: Any) -> None:
    """Tell the vector service about a table whose vector indexes may have changed (docs/vectors.md)."""
    svc = getattr(s.db, "vectors", None)
    f = getattr(svc, method, None) if svc is not None else None
    if f is not None and table is not None:
        f(table)


def _ddl(sql: str, tag: str, fn: Any) -> Statement:
    def run(s: Any, txn: Any, params: list[Any]) -> Result:
        with journal.active(s):
            notices = fn(s, txn) or []
        bump = getattr(s.db, "bump_schema", None)
        if bump:
            bump()
        if isinstance(notices, Result):
            return notices
        return Result(tag=tag, notices=notices)
    return Statement(sql, [], None, run, kind="ddl", cacheable=False, replannable=False,
                     needs_txn=tag in ("TRUNCATE TABLE",), writes=tag == "TRUNCATE TABLE")


def prepare(session: Any, sql: str, node: exp.Expression, params: dict[int, int], given: list[int]) -> Statement:
    from engine.sql import schemas, views

    if isinstance(node, exp.Create):
        kind = str(node.args.get("kind") or "").upper()
        if kind == "TABLE":
            if node.args.get("expression") is not None:
                return _create_table_as(session, sql, node)
            return _create_table(sql, node, session)
        if kind == "INDEX":
            return _create_index(sql, node)
        if kind == "VIEW":
            if node.args.get("materialized") or any(
                    isinstance(p, exp.MaterializedProperty)
                    for p in (node.args.get("properties").expressions if node.args.get("properties") else [])):
                return _create_table_as(session, sql, node, materialized=True)
            return views.create_view(session, sql, node)
        if kind == "SCHEMA":
            return schemas.create_schema(sql, node)
        if kind == "TYPE":
            from engine.sql.enums import create_type

            return create_type(sql, node)
        raise FeatureNotSupported(f"CREATE {kind} is not supported")
    if isinstance(node, exp.Drop):
        kind = str(node.args.get("kind") or "").upper()
        if kind == "TABLE":
            return _drop_tables(sql, node)
        if kind == "INDEX":
            return _drop_index(sql, node)
        if kind == "VIEW":
            if node.args.get("materialized"):
                return _drop_tables(sql, node, "m")
            return views.drop_view(sql, node)
        if kind == "SCHEMA":
            return schemas.drop_schema(sql, node)
        if kind == "TYPE":
            from engine.sql.enums import drop_type

            return drop_type(sql, node)
        raise FeatureNotSupported(f"DROP {kind} is not supported")
    if isinstance(node, exp.Alter):
        if str(node.args.get("kind") or "").upper() != "TABLE":
            raise FeatureNotSupported(f"ALTER {node.args.get('kind')} is not supported")
        return _alter_table(sql, node)
    if isinstance(node, exp.TruncateTable):
        return _truncate(sql, node)
    raise FeatureNotSupported(f"statement not supported: {type(node).__name__}")


# ------------------------------------------------------------------ CREATE TABLE
def column_def(cd: exp.ColumnDef, table: str, constraints: list[ConstraintDef], pk: list[str],
               taken: set[str] | None = None, session: Any = None) -> ColumnDef:
    """A ColumnDef (plus table-level constraints it implies) from a sqlglot column definition."""
    taken = taken if taken is not None else {c.name for c in constraints}
    name = cd.name
    kind = cd.args.get("kind")
    if kind is None:
        raise FeatureNotSupported(f'column "{name}" needs a type')
    tname = kind.sql(dialect="postgres").upper()
    serial = _SERIALS.get(tname) or _SERIALS.get(str(kind.this).split(".")[-1].upper())
    from engine.sql.enums import enum_column

    enum_col = enum_column(session, name, kind) if isinstance(kind, exp.DataType) else None
    if enum_col is not None:
        col = enum_col
    else:
        if serial:
            oid, typmod = serial, -1
        else:
            oid, typmod = datatype_oid(kind)
        col = ColumnDef(name=name, type_oid=oid, typmod=typmod)
    if serial:
        col.default = f"nextval('{table}_{name}_seq'::regclass)"
        col.not_null = True
    for cc in cd.args.get("constraints") or []:
        k = cc.args.get("kind")
        cname = cc.name or None
        if isinstance(k, exp.NotNullColumnConstraint):
            col.not_null = not k.args.get("allow_null")
        elif isinstance(k, exp.PrimaryKeyColumnConstraint):
            pk.append(name)
            col.not_null = True
            if cname:
                constraints.append(ConstraintDef(name=cname, kind="p", columns=[name]))
        elif isinstance(k, exp.UniqueColumnConstraint):
            constraints.append(ConstraintDef(name=cname or choose_name(table, [name], "key", taken), kind="u",
                                             columns=[name]))
        elif isinstance(k, exp.DefaultColumnConstraint):
            d = k.this
            col.default = None if isinstance(d, exp.Null) else d.sql(dialect=DIALECT)
        elif isinstance(k, exp.CheckColumnConstraint):
            constraints.append(check_def(cname, k.this, table, taken))
        elif isinstance(k, exp.GeneratedAsIdentityColumnConstraint):
            if k.args.get("expression") is not None:
                raise FeatureNotSupported("generated columns are not supported")
            col.identity = "a" if k.this else "d"
            col.not_null = True
            col.default = f"nextval('{table}_{name}_seq'::regclass)"
            col.json_schema = None
            _identity_options(k, col)
        elif isinstance(k, exp.Reference):
            constraints.append(fk_def(cname, [name], k, table, taken))
        elif type(k).__name__ == "ComputedColumnConstraint":
            col.generated = k.this.sql(dialect=DIALECT)
        elif isinstance(k, exp.CollateColumnConstraint) or k is None:
            pass
        else:
            raise FeatureNotSupported(f"column constraint not supported: {cc.sql(dialect=DIALECT)}")
    if cd.args.get("constraints") and any(c.name for c in constraints):
        taken.update(c.name for c in constraints)
    return col


def _identity_options(k: exp.Expression, col: ColumnDef) -> None:
    """GENERATED … AS IDENTITY (START WITH … INCREMENT BY … MINVALUE … MAXVALUE … CACHE … CYCLE)."""
    from engine.sql.sequences import identity_options

    identity_options(k, col)


def _rem_options(node: exp.Create) -> dict[str, str]:
    props = node.args.get("properties")
    out: dict[str, str] = {}
    if props is None:
        return out
    for p in props.expressions:
        if isinstance(p, exp.TemporaryProperty):
            out["__temp__"] = "1"
        elif isinstance(p, exp.Property):
            k = p.name.lower() if p.this is not None else ""
            v = p.args.get("value")
            out[k] = v.name if isinstance(v, (exp.Literal, exp.Identifier, exp.Var)) else (v.sql() if v else "")
        elif isinstance(p, exp.TemporaryProperty):
            out["__temp__"] = "1"
        elif isinstance(p, (exp.OnCommitProperty,)):
            pass
        else:
            raise FeatureNotSupported(f"table option not supported: {p.sql(dialect=DIALECT)}")
    return out


def _explicit_names(items: list[exp.Expression]) -> set[str]:
    """Constraint names given in the statement (generated names avoid them)."""
    out = {e.name for e in items if isinstance(e, exp.Constraint)}
    for e in items:
        if isinstance(e, exp.ColumnDef):
            out.update(cc.name for cc in e.args.get("constraints") or [] if cc.name)
    return out


def build_table(node: exp.Create, session: Any = None) -> TableDef:
    schema_node = node.this
    tbl = schema_node.this if isinstance(schema_node, exp.Schema) else schema_node
    name = tbl.name
    schema = tbl.db or ""  # "": the creation schema, decided when the statement runs
    cols: list[ColumnDef] = []
    constraints: list[ConstraintDef] = []
    pk: list[str] = []
    seen: set[str] = set()
    items = list(schema_node.expressions) if isinstance(schema_node, exp.Schema) else []
    taken = {f"{name}_pkey"} | _explicit_names(items)
    for e in items:
        if isinstance(e, exp.ColumnDef):
            if e.name in seen:
                raise DuplicateColumn(f'column "{e.name}" specified more than once')
            seen.add(e.name)
            cols.append(column_def(e, name, constraints, pk, taken, session))
    for e in items:
        if not isinstance(e, exp.ColumnDef):
            table_constraint(e, name, constraints, pk, taken)
    if len(pk) != len(set(pk)):
        raise InvalidParameterValue("multiple primary keys for table are not allowed", sqlstate="42P16")
    for c in pk:
        if c not in seen:
            raise UndefinedColumn(f'column "{c}" named in key does not exist')
    opts = _rem_options(node)
    td = TableDef(name=name, columns=cols, schema=schema, primary_key=pk, constraints=constraints)
    if opts.get("key_field"):
        td.key_field = opts["key_field"]
        if td.key_field not in seen:
            raise UndefinedColumn(f'key_field "{td.key_field}" is not a column of "{name}"')
    if opts.get("embedding_fields"):
        td.embedding_fields = [f.strip() for f in opts["embedding_fields"].split(",") if f.strip()]
    if opts.get("indexed_fields"):
        fields = [f.strip() for f in opts["indexed_fields"].split(",") if f.strip()]
        for f in fields:
            c = td.column(f)
            if c is None:
                raise UndefinedColumn(f'indexed field "{f}" is not a column of "{name}"')
            c.indexed = True
        td.indexed_fields = fields
    if opts.get("__temp__"):
        td.temporary = True
    if opts.get("description"):
        td.description = opts["description"]
    if opts.get("embedding_model") or opts.get("embedding_provider"):
        td.embedding_model = opts.get("embedding_model") or opts.get("embedding_provider")
    for k in opts:
        if k not in ("key_field", "embedding_fields", "indexed_fields", "description", "embedding_model",
                     "embedding_provider", "__temp__", "fillfactor"):
            raise InvalidParameterValue(f'unrecognized parameter "{k}"')
    return td


def _create_table(sql: str, node: exp.Create, session: Any = None) -> Statement:
    td = build_table(node, session)
    if_not_exists = bool(node.args.get("exists"))

    def fn(s: Any, txn: Any) -> list[Notice]:
        from engine.sql.ddl_constraints import resolve_foreign_keys
        from engine.sql.schemas import creation_schema, find_table

        reg = _registry(s)
        t = copy.deepcopy(td)
        t.schema = creation_schema(s, td.schema or None, t.temporary)
        if reg.get(t.name, t.schema) is not None or reg.get_view(t.name, t.schema) is not None \
                or reg.sequence_def(f"{t.schema}.{t.name}") is not None:
            if if_not_exists:
                return [Notice(f'relation "{t.name}" already exists, skipping', sqlstate="42P07")]
            from engine.errors import DuplicateTable
            raise DuplicateTable(f'relation "{t.name}" already exists')
        _check_not_virtual(t.name)
        if t.schema != "public":
            for c in t.columns:
                if c.default == f"nextval('{t.name}_{c.name}_seq'::regclass)":
                    c.default = f"nextval('{t.schema}.{t.name}_{c.name}_seq'::regclass)"
        resolve_foreign_keys(t, lambda n, sch: find_table(s, n, sch))
        reg.create(t)
        return []
    return _ddl(sql, "CREATE TABLE", fn)


def _check_not_virtual(name: str) -> None:
    from engine.virtual import lookup_virtual

    if lookup_virtual("public", name) is not None:
        from engine.errors import DuplicateTable
        raise DuplicateTable(f'relation "{name}" already exists')


def _create_table_as(session: Any, sql: str, node: exp.Create, materialized: bool = False) -> Statement:
    """CREATE TABLE … AS query, and CREATE MATERIALIZED VIEW (a table of kind 'm' holding the query's rows,
    recomputed by REFRESH MATERIALIZED VIEW)."""
    from engine.sql.dml import insert_rows
    from engine.sql.scope import ExecState
    from engine.sql.statements import planner_for

    schema_node = node.this
    tbl = schema_node.this if isinstance(schema_node, exp.Schema) else schema_node
    names = [e.name for e in schema_node.expressions] if isinstance(schema_node, exp.Schema) else []
    query = node.args["expression"]
    step = planner_for(session, {}).query(query)
    cols = []
    for i, c in enumerate(step.cols):
        cols.append(ColumnDef(name=names[i] if i < len(names) else c.name, type_oid=c.oid if c.oid != T.UNKNOWN else T.TEXT,
                              typmod=c.typmod))
    td = TableDef(name=tbl.name, columns=cols)
    td.temporary = "__temp__" in _rem_options(node) and not materialized
    if materialized:
        td.kind, td.view_sql = "m", query.sql(dialect=DIALECT)
    if_not_exists = bool(node.args.get("exists"))

    def run(s: Any, txn: Any, params: list[Any]) -> Result:
        from engine.session import ExecCtx
        from engine.sql.schemas import creation_schema

        reg = _registry(s)
        new = copy.deepcopy(td)
        new.schema = creation_schema(s, tbl.db or None, new.temporary)
        if if_not_exists and reg.get(td.name, new.schema) is not None:
            return Result(tag="SELECT 0", notices=[Notice(f'relation "{td.name}" already exists, skipping',
                                                          sqlstate="42P07")])
        rows = step.run(ExecState(params, ExecCtx(s, txn)))
        with journal.active(s):
            t = reg.create(new)
        s.db.bump_schema()
        insert_rows(s, txn, t, [c.name for c in cols], rows)
        return Result(tag=f"SELECT {len(rows)}")
    return Statement(sql, [], None, run, kind="ddl", needs_txn=True, writes=True, cacheable=False,
                     replannable=False)


# ------------------------------------------------------------------ CREATE / DROP INDEX
def _create_index(sql: str, node: exp.Create) -> Statement:
    idx = node.this
    name = idx.name or None
    table = idx.args.get("table")
    params = idx.args.get("params")
    if table is None or params is None:
        raise FeatureNotSupported("CREATE INDEX form not supported")
    method = str(params.args.get("using") or "btree").lower()
    method = {"ivfflat": "hnsw"}.get(method, method)
    if method not in ("btree", "hnsw", "hash"):
        raise UndefinedObject(f'access method "{method}" does not exist')
    cols: list[str] = []
    opclass = None
    for c in params.args.get("columns") or []:
        e = c.this if isinstance(c, exp.Ordered) else c
        if isinstance(e, exp.Column):
            cols.append(e.name)
        elif isinstance(e, exp.Opclass) or type(e).__name__ == "Opclass":
            cols.append(e.this.name)
            opclass = e.expression.name
        else:
            raise FeatureNotSupported("expression indexes are not supported")
    if params.args.get("where") is not None:
        raise FeatureNotSupported("partial indexes are not supported")
    unique = bool(node.args.get("unique"))
    opts: dict[str, Any] = {}
    ws = params.args.get("with_storage")
    if isinstance(ws, list):
        for p in ws:
            if isinstance(p, exp.Property) or hasattr(p, "name"):
                v = p.args.get("value") if isinstance(p, exp.Property) else p.expression
                opts[p.name.lower() if isinstance(p, exp.Property) else p.this.name.lower()] = \
                    int(v.name) if v is not None and str(v.name).isdigit() else (v.name if v is not None else None)
    if opclass:
        opts["opclass"] = opclass
    if_not_exists = bool(node.args.get("exists"))
    tname = table.name
    tschema = table.db or None

    def fn(s: Any, txn: Any) -> list[Notice]:
        from engine.sql.schemas import find_table

        reg = _registry(s)
        td = find_table(s, tname, tschema)
        if td is None:
            raise UndefinedTable(f'relation "{tname}" does not exist')
        iname = name or f"{tname}_{'_'.join(cols)}_idx"
        for t in reg.tables():
            if t.schema != td.schema:
                continue
            for ix in t.indexes:
                if ix.name == iname:
                    if if_not_exists:
                        return [Notice(f'relation "{iname}" already exists, skipping', sqlstate="42P07")]
                    from engine.errors import DuplicateTable
                    raise DuplicateTable(f'relation "{iname}" already exists')
        new = copy.deepcopy(td)
        for c in cols:
            col = new.column(c)
            if col is None:
                raise UndefinedColumn(f'column "{c}" does not exist')
        if method == "hnsw":
            col = new.column(cols[0])
            if col is None or col.type_oid != T.VECTOR and col.type_oid not in (T.array_of(T.FLOAT4), T.array_of(T.FLOAT8)):
                raise FeatureNotSupported("hnsw indexes need a vector column")
            new.indexes.append(IndexDef(name=iname, columns=cols, method="hnsw", options=opts))
            reg.alter(new)
            _vectors(s, "table_changed", reg.get(tname, new.schema))
            return []
        else:
            if unique:  # committed rows are checked by the backfill; rows this transaction wrote, here
                mine = txn is not None and any(t.oid == td.oid for t, _i, _r in txn.pending_rows())
                existing = _find_duplicates(s, txn, new, cols) if mine else None
                if existing:
                    from engine.errors import UniqueViolation
                    raise UniqueViolation(f'could not create unique index "{iname}"',
                                          detail=f"Key ({', '.join(cols)})=({existing}) is duplicated.")
            new.indexes.append(IndexDef(name=iname, columns=cols, unique=unique, method="btree"))
            if len(cols) == 1:
                col = new.column(cols[0])
                assert col is not None
                col.indexed = True
                if cols[0] not in new.indexed_fields:
                    new.indexed_fields.append(cols[0])
        reg.alter(new)
        return []
    st = _ddl(sql, "CREATE INDEX", fn)
    st.needs_txn = unique
    return st


def _find_duplicates(s: Any, txn: Any, td: TableDef, cols: list[str]) -> str | None:
    if txn is None:
        return None
    seen = set()
    for k in txn.scan_tuples(td, cols):  # the transaction's own rows included; no row dicts copied
        if None in k:
            continue
        if k in seen:
            return ", ".join(str(v) for v in k)
        seen.add(k)
    return None


def _drop_tables(sql: str, node: exp.Drop, relkind: str = "r") -> Statement:
    given = [(t.name, t.db or None) for t in node.expressions or []] if node.expressions else \
        [(t.name, t.db or None) for t in node.args.get("tables") or [node.this]]
    if_exists = bool(node.args.get("exists"))
    cascade = bool(node.args.get("cascade"))

    def fn(s: Any, txn: Any) -> list[Notice]:
        from engine.sql.schemas import table_schema
        from engine.sql.views import check_no_views
        from engine.virtual import lookup_virtual

        reg = _registry(s)
        notices = []
        names = [(n, table_schema(s, n, sch)) for n, sch in given]
        what = "materialized view" if relkind == "m" else "table"
        for n, sch in names:
            t0 = reg.get(n, sch)
            if t0 is not None and (t0.kind == "m") != (relkind == "m"):
                raise WrongObjectType(f'"{n}" is not a {what}')
            if t0 is None:
                if lookup_virtual(sch, n) is not None or lookup_virtual("pg_catalog", n) is not None:
                    raise WrongObjectType(f'"{n}" is not a table')
                if reg.get_view(n, sch) is not None:
                    raise WrongObjectType(f'"{n}" is not a table', hint="Use DROP VIEW to remove a view.")
                if if_exists:
                    notices.append(Notice(f'{what} "{n}" does not exist, skipping'))
                    continue
                raise UndefinedTable(f'{what} "{n}" does not exist')
        dropping = {(n, sch) for n, sch in names if reg.get(n, sch) is not None}
        for n, sch in names:
            t = reg.get(n, sch)
            if t is not None:
                notices += _drop_referencing_fks(reg, t, dropping, cascade)
                check_no_views(reg, t, cascade)
        for n, sch in names:
            t = reg.get(n, sch)
            if t is not None:
                _vectors(s, "drop_table", t)
                reg.drop(n, sch)
        return notices
    return _ddl(sql, "DROP MATERIALIZED VIEW" if relkind == "m" else "DROP TABLE", fn)


def _drop_referencing_fks(reg: Any, t: TableDef, dropping: set[tuple[str, str]], cascade: bool) -> list[Notice]:
    """Foreign keys of other tables that reference ``t``: 2BP01 unless CASCADE, which drops those constraints."""
    notices = []
    deps = []
    for other in reg.tables():
        if (other.name, other.schema) in dropping:
            continue
        fks = [c for c in other.constraints if c.kind == "f" and c.ref_table == t.name
               and (c.ref_schema or other.schema) == t.schema]
        if fks:
            deps.append((other, fks))
    if deps and not cascade:
        from engine.errors import DependentObjectsStillExist
        raise DependentObjectsStillExist(
            f"cannot drop table {t.name} because other objects depend on it",
            detail="\n".join(f"constraint {c.name} on table {other.name} depends on table {t.name}"
                             for other, fks in deps for c in fks),
            hint="Use DROP ... CASCADE to drop the dependent objects too.")
    for other, fks in deps:
        new = copy.deepcopy(other)
        new.constraints = [c for c in new.constraints if c not in fks]
        reg.alter(new)
        for c in fks:
            notices.append(Notice(f"drop cascades to constraint {c.name} on table {other.name}"))
    return notices


def _drop_index(sql: str, node: exp.Drop) -> Statement:
    targets = [(t.name, t.db or None) for t in (node.args.get("tables") or [node.this])]
    if_exists = bool(node.args.get("exists"))

    def fn(s: Any, txn: Any) -> list[Notice]:
        from engine.sql.schemas import _path

        reg = _registry(s)
        notices = []
        for n, sch in targets:
            hit = None
            for schema in reversed([sch] if sch else _path(s)):  # the first schema of the path wins
                for t in reg.tables():
                    if t.schema != schema:
                        continue
                    for ix in t.indexes:
                        if ix.name == n:
                            hit = (t, ix)
            if hit is None:
                if if_exists:
                    notices.append(Notice(f'index "{n}" does not exist, skipping'))
                    continue
                raise UndefinedObject(f'index "{n}" does not exist')
            t, ix = hit
            if ix.primary:
                from engine.errors import error
                raise error("2BP01", f"cannot drop index {n} because constraint {n} on table {t.name} requires it")
            new = copy.deepcopy(t)
            new.indexes = [i for i in new.indexes if i.name != n]
            if len(ix.columns) == 1 and ix.method == "btree":
                c = new.column(ix.columns[0])
                if c is not None:
                    c.indexed = False
                new.indexed_fields = [f for f in new.indexed_fields if f != ix.columns[0]]
            reg.alter(new)
            if ix.method == "hnsw":
                _vectors(s, "table_changed", reg.get(new.name, new.schema))
        return notices
    return _ddl(sql, "DROP INDEX", fn)


# ------------------------------------------------------------------ ALTER TABLE / TRUNCATE
def _alter_table(sql: str, node: exp.Alter) -> Statement:
    tname = node.this.name
    tschema = node.this.db or None
    if_exists = bool(node.args.get("exists"))
    actions = node.args.get("actions") or []

    def fn(s: Any, txn: Any) -> list[Notice]:
        from engine.sql.schemas import find_table

        reg = _registry(s)
        td = find_table(s, tname, tschema)
        if td is None:
            if if_exists:
                return [Notice(f'relation "{tname}" does not exist, skipping')]
            raise UndefinedTable(f'relation "{tname}" does not exist')
        new = copy.deepcopy(td)
        defaults: dict[str, Any] = {}
        notices: list[Notice] = []
        added_cons: list[ConstraintDef] = []
        for a in actions:
            if isinstance(a, exp.ColumnDef):
                if new.column(a.name) is not None and not any(c.system for c in [new.column(a.name)]):
                    if a.args.get("exists"):
                        notices.append(Notice(f'column "{a.name}" of relation "{tname}" already exists, skipping',
                                              sqlstate="42701"))
                        continue
                    raise DuplicateColumn(f'column "{a.name}" of relation "{tname}" already exists')
                pk: list[str] = []
                ncons = len(new.constraints)
                col = column_def(a, tname, new.constraints, pk, _taken(reg, new), s)
                if pk:
                    raise FeatureNotSupported("ADD COLUMN … PRIMARY KEY is not supported")
                added_cons.extend(new.constraints[ncons:])
                if col.default is not None:
                    defaults[col.name] = _eval_default(s, col)
                elif col.not_null and txn is not None:
                    pass
                new.columns.append(col)
            elif isinstance(a, exp.Drop) and str(a.args.get("kind") or "").upper() == "COLUMN":
                for c in a.args.get("tables") or [a.this]:
                    col = new.column(c.name)
                    if col is None or col.system:
                        if a.args.get("exists"):
                            notices.append(Notice(f'column "{c.name}" of relation "{tname}" does not exist, skipping'))
                            continue
                        raise UndefinedColumn(f'column "{c.name}" of relation "{tname}" does not exist')
                    if c.name in new.primary_key:
                        raise FeatureNotSupported("dropping a primary key column is not supported")
                    new.columns = [x for x in new.columns if x.name != c.name]
                    new.indexes = [ix for ix in new.indexes if c.name not in ix.columns]
                    new.constraints = [k for k in new.constraints if c.name not in k.columns]
                    new.indexed_fields = [f for f in new.indexed_fields if f != c.name]
                    new.embedding_fields = [f for f in new.embedding_fields if f != c.name]
                    if new.key_field == c.name:
                        new.key_field = None
            elif isinstance(a, exp.RenameColumn):
                old, to = a.this.name, a.args["to"].name
                col = new.column(old)
                if col is None or col.system:
                    raise UndefinedColumn(f'column "{old}" does not exist')
                if new.column(to) is not None and not new.column(to).system:  # type: ignore[union-attr]
                    raise DuplicateColumn(f'column "{to}" of relation "{tname}" already exists')
                col.name = to
                _rename_refs(new, old, to)
            elif isinstance(a, exp.AlterRename):
                to = a.this.name
                if reg.get(to, new.schema) is not None:
                    from engine.errors import DuplicateTable
                    raise DuplicateTable(f'relation "{to}" already exists')
                new.name = to
            elif isinstance(a, exp.AlterColumn):
                col = new.column(a.name)
                if col is None or col.system:
                    raise UndefinedColumn(f'column "{a.name}" of relation "{tname}" does not exist')
                if a.args.get("drop") and a.args.get("allow_null") is not None:
                    col.not_null = False
                elif a.args.get("allow_null") is False:
                    col.not_null = True
                    if txn is not None:
                        for r in txn.scan(td):
                            if r.get(col.name) is None:
                                from engine.errors import NotNullViolation
                                raise NotNullViolation(f'column "{col.name}" of relation "{tname}" contains null values')
                elif a.args.get("drop"):
                    col.default = None
                elif a.args.get("default") is not None:
                    col.default = a.args["default"].sql(dialect=DIALECT)
                elif a.args.get("dtype") is not None:
                    raise FeatureNotSupported("ALTER COLUMN TYPE is not supported")
                else:
                    raise FeatureNotSupported(f"ALTER COLUMN form not supported: {a.sql(dialect=DIALECT)}")
            elif isinstance(a, exp.AddConstraint) or type(a).__name__ == "AddConstraint":
                pk2: list[str] = []
                ncons = len(new.constraints)
                for e in a.expressions:
                    table_constraint(e, tname, new.constraints, pk2, _taken(reg, new))
                if pk2:
                    if new.primary_key:
                        raise InvalidParameterValue(f'multiple primary keys for table "{tname}" are not allowed',
                                                    sqlstate="42P16")
                    raise FeatureNotSupported("ALTER TABLE ADD PRIMARY KEY is not supported")
                added_cons.extend(new.constraints[ncons:])
            elif isinstance(a, exp.Drop) and str(a.args.get("kind") or "").upper() == "CONSTRAINT":
                for c in a.args.get("tables") or [a.this]:
                    hit = [k for k in new.constraints if k.name == c.name]
                    if not hit:
                        if a.args.get("exists"):
                            notices.append(Notice(f'constraint "{c.name}" of relation "{tname}" does not exist, '
                                                  "skipping"))
                            continue
                        raise UndefinedObject(f'constraint "{c.name}" of relation "{tname}" does not exist')
                    if hit[0].kind == "p":
                        raise FeatureNotSupported("dropping a primary key is not supported")
                    new.constraints = [k for k in new.constraints if k.name != c.name]
                    if hit[0].kind == "u":
                        new.indexes = [ix for ix in new.indexes if ix.name != c.name]
            else:
                raise FeatureNotSupported(f"ALTER TABLE action not supported: {a.sql(dialect=DIALECT)}")
        if added_cons:
            from engine.schema.fkeys import validate_existing
            from engine.sql.ddl_constraints import resolve_foreign_keys
            from engine.sql.schemas import find_table as _find

            resolve_foreign_keys(new, lambda n, sch: _find(s, n, sch))
            if txn is not None:
                validate_existing(s, txn, new, added_cons, defaults)
        new.json_schema = {}
        reg.alter(new, defaults=defaults)
        _vectors(s, "table_changed", reg.get(new.name, new.schema))
        return notices
    st = _ddl(sql, "ALTER TABLE", fn)
    st.needs_txn = True
    return st


def _taken(reg: Any, t: TableDef) -> set[str]:
    """Constraint and index names already used on ``t`` (new generated names avoid them)."""
    return {c.name for c in t.constraints} | {ix.name for ix in t.indexes}


def _rename_refs(t: TableDef, old: str, to: str) -> None:
    t.primary_key = [to if c == old else c for c in t.primary_key]
    if t.key_field == old:
        t.key_field = to
    t.embedding_fields = [to if c == old else c for c in t.embedding_fields]
    t.indexed_fields = [to if c == old else c for c in t.indexed_fields]
    for ix in t.indexes:
        ix.columns = [to if c == old else c for c in ix.columns]
    for k in t.constraints:
        k.columns = [to if c == old else c for c in k.columns]
        if k.expr:
            import re
            k.expr = re.sub(rf"\b{re.escape(old)}\b", to, k.expr)


def _eval_default(s: Any, col: ColumnDef) -> Any:
    from engine.sql.dml import compile_default
    from engine.sql.scope import ExecState

    fn = compile_default(s, col)
    if fn is None:
        return None
    from engine.session import ExecCtx

    return fn((), ExecState([], ExecCtx(s, None)))


def _truncate(sql: str, node: exp.TruncateTable) -> Statement:
    names = [(t.name, t.db or None) for t in node.expressions]

    def fn(s: Any, txn: Any) -> list[Notice]:
        from engine.sql.schemas import find_table
        from engine.sql.wrong_object import check_truncate

        tables = []
        for n, sch in names:
            td = find_table(s, n, sch)
            check_truncate(s, n, sch, td)
            if td is None:
                raise UndefinedTable(f'relation "{n}" does not exist')
            tables.append(td)
        for td in tables:
            ids = [r[td.id_column] for r in txn.scan(td)]
            if ids:
                txn.delete(td, ids)
        return []
    return _ddl(sql, "TRUNCATE TABLE", fn)


__all__ = ["prepare", "build_table", "DuplicateObject"]


def refresh_materialized_view(session: Any, sql: str, name: str, schema: str | None, with_data: bool) -> Statement:
    """REFRESH MATERIALIZED VIEW: the stored query runs again and replaces the rows."""
    from engine.sql.dml import insert_rows
    from engine.sql.scope import ExecState
    from engine.sql.statements import parse_one, planner_for

    def run(s: Any, txn: Any, params: list[Any]) -> Result:
        from engine.session import ExecCtx
        from engine.sql.schemas import find_table

        t = find_table(s, name, schema)
        if t is None:
            raise UndefinedTable(f'relation "{name}" does not exist')
        if t.kind != "m":
            raise WrongObjectType(f'"{name}" is not a materialized view')
        ids = [r[t.id_column] for r in txn.scan(t)]
        if ids:
            txn.delete(t, ids)
        if with_data:
            step = planner_for(s, {}).query(parse_one(t.view_sql or ""))
            rows = step.run(ExecState([], ExecCtx(s, txn)))
            insert_rows(s, txn, t, [c.name for c in t.columns if not c.system], rows)
        return Result(tag="REFRESH MATERIALIZED VIEW")
    return Statement(sql, [], None, run, kind="ddl", needs_txn=True, writes=True, cacheable=False,
                     replannable=False)
