"""Object definitions as PostgreSQL prints them: pg_get_indexdef, pg_get_constraintdef, pg_get_expr,
pg_get_viewdef, pg_get_function_arguments / _result (SQLAlchemy and psql parse this text)."""

from __future__ import annotations

from typing import Any

from engine.catalog import names
from engine.catalog.objects import Constraint, Index, Snapshot, snapshot

_ACTION_SQL = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _visible(ctx: Any, snap: Snapshot, schema: str, name: str) -> bool:
    for s in names.search_path(ctx, set(snap.schemas)):
        if (s, name) in snap.by_name:
            return s == schema
    return False


def rel_name(ctx: Any, oid: int, snap: Snapshot | None = None) -> str | None:
    """A relation's name as regclass prints it (schema-qualified when not visible), or None."""
    snap = snap or snapshot(ctx)
    rel = snap.by_oid.get(oid)
    if rel is None:
        return None
    return names.qualified(rel.schema, rel.name, _visible(ctx, snap, rel.schema, rel.name))


def _index_column(ix: Index, k: int) -> str:
    col = names.quote_ident(ix.colnames[k])
    opc = ix.opclass_names[k] if k < len(ix.opclass_names) else None
    if opc:
        col += f" {opc}"
    if k < len(ix.desc) and ix.desc[k]:
        col += " DESC"
    return col


def indexdef(ctx: Any, oid: int, column: int = 0, pretty: bool = False) -> str | None:
    """pg_get_indexdef(oid, column, pretty): the CREATE INDEX statement, or one column's definition."""
    snap = snapshot(ctx)
    ix = snap.index_by_oid.get(oid)
    if ix is None:
        return None
    if column:
        if column > len(ix.colnames):
            return ""
        return names.quote_ident(ix.colnames[column - 1])
    rel = snap.by_oid[ix.relid]
    table = (names.qualified(rel.schema, rel.name, _visible(ctx, snap, rel.schema, rel.name)) if pretty
             else f"{names.quote_ident(rel.schema)}.{names.quote_ident(rel.name)}")
    cols = ", ".join(_index_column(ix, k) for k in range(len(ix.colnames)))
    sql = f"CREATE {'UNIQUE ' if ix.unique else ''}INDEX {names.quote_ident(ix.name)} ON {table} USING {ix.method} ({cols})"
    opts = {k: v for k, v in ix.options.items() if k != "opclass"}
    if opts:
        sql += " WITH (" + ", ".join(f"{k}='{v}'" for k, v in opts.items()) + ")"
    return sql


def constraintdef(ctx: Any, oid: int, pretty: bool = False) -> str | None:
    """pg_get_constraintdef(oid, pretty): ``PRIMARY KEY (id)``, ``FOREIGN KEY (a) REFERENCES t(b) …``."""
    snap = snapshot(ctx)
    c = snap.constraint_by_oid.get(oid)
    if c is None:
        return None
    return _condef(ctx, snap, c, pretty)


def _cols(cols: list[str]) -> str:
    return ", ".join(names.quote_ident(c) for c in cols)


def _condef(ctx: Any, snap: Snapshot, c: Constraint, pretty: bool = False) -> str:
    if c.kind == "p":
        sql = f"PRIMARY KEY ({_cols(c.colnames)})"
    elif c.kind == "u":
        sql = f"UNIQUE ({_cols(c.colnames)})"
    elif c.kind == "c":
        from engine.catalog.exprs import check_expr

        expr = ((check_expr(c.raw, True, c.types) if pretty and c.raw else c.expr) or "").strip()
        sql = f"CHECK ({expr})"
    elif c.kind == "f":
        target = snap.by_oid.get(c.confrelid)
        ref = (names.qualified(target.schema, target.name, _visible(ctx, snap, target.schema, target.name))
               if target else "???")
        sql = f"FOREIGN KEY ({_cols(c.colnames)}) REFERENCES {ref}({_cols(c.ref_colnames)})"
        if c.on_update in _ACTION_SQL:
            sql += f" ON UPDATE {_ACTION_SQL[c.on_update]}"
        if c.on_delete in _ACTION_SQL:
            sql += f" ON DELETE {_ACTION_SQL[c.on_delete]}"
    else:
        sql = f"EXCLUDE ({_cols(c.colnames)})"
    if c.deferrable:
        sql += " DEFERRABLE"
        if c.deferred:
            sql += " INITIALLY DEFERRED"
    return sql


def expr(text: str | None) -> str | None:
    """pg_get_expr(pg_node_tree, relid): REM keeps expressions as SQL text, so it is the text itself."""
    return text


def viewdef(ctx: Any, oid: int) -> str | None:
    """pg_get_viewdef(oid): a REM view's defining query (None when REM does not know one)."""
    rel = snapshot(ctx).by_oid.get(oid)
    if rel is None or rel.kind not in ("v", "m"):
        return None
    t = rel.table
    for attr in ("view_sql", "definition", "query"):
        v = getattr(t, attr, None) if t is not None else None
        if v:
            return f" {str(v).strip().rstrip(';')};"
    return None
