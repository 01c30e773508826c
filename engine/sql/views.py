"""Views: CREATE [OR REPLACE] VIEW / DROP VIEW, stored as SQL in the registry and expanded by the planner like a
subquery in FROM; and COMMENT ON TABLE / VIEW / COLUMN (descriptions kept on the TableDef / ColumnDef)."""

from __future__ import annotations

import copy
from typing import Any

from sqlglot import exp

from engine import types as T
from engine.api import Notice
from engine.errors import (
    DependentObjectsStillExist,
    DuplicateTable,
    InvalidParameterValue,
    UndefinedColumn,
    UndefinedTable,
    WrongObjectType,
)
from engine.schema.model import ColumnDef, TableDef
from engine.sql.dialect import DIALECT
from engine.sql.lexer import Cursor
from engine.sql.schemas import ddl_statement
from engine.sql.statements import Statement


def expand_view(planner: Any, view: TableDef, alias: str, colnames: list[str]) -> Any:
    """A view in FROM: its stored query planned afresh (outer CTEs invisible), columns renamed as declared."""
    from engine.sql import plan
    from engine.sql.statements import parse_one

    sub = type(planner)(planner.env, {})
    step = sub.query(parse_one(view.view_sql or ""), None)
    names = list(colnames) + [c.name for c in view.columns][len(colnames):]
    return plan.SubqueryScan(step, alias, planner._rename(step.cols, alias, names[:len(step.cols)]))


def create_view(session: Any, sql: str, node: exp.Create) -> Statement:
    from engine.sql.schemas import creation_schema
    from engine.sql.statements import planner_for

    target = node.this
    names = [e.name for e in target.expressions] if isinstance(target, exp.Schema) else []
    tbl = target.this if isinstance(target, exp.Schema) else target
    query = node.args["expression"]
    replace = bool(node.args.get("replace"))
    planner = planner_for(session, {})
    depends: list[list[str]] = []
    resolve = planner.resolve_table

    def resolve_and_note(name: str, schema: str | None) -> tuple[str, Any]:
        kind, rel = resolve(name, schema)
        if (kind in ("table", "view") or getattr(rel, "kind", "") == "S") and [rel.schema, rel.name] not in depends:
            depends.append([rel.schema, rel.name])
        return kind, rel

    planner.resolve_table = resolve_and_note  # the relations the view depends on (views_on)
    step = planner.query(query)
    if len(names) > len(step.cols):
        raise InvalidParameterValue("CREATE VIEW specifies more column names than columns", sqlstate="42601")
    cols = [ColumnDef(name=names[i] if i < len(names) else c.name,
                      type_oid=c.oid if c.oid != T.UNKNOWN else T.TEXT, typmod=c.typmod)
            for i, c in enumerate(step.cols)]
    seen: set[str] = set()
    for c in cols:
        if c.name in seen:
            from engine.errors import DuplicateColumn
            raise DuplicateColumn(f'column "{c.name}" specified more than once')
        seen.add(c.name)
    view_sql = query.sql(dialect=DIALECT)
    props = node.args.get("properties")
    temporary = any(isinstance(p, exp.TemporaryProperty) for p in (props.expressions if props else []))

    def fn(s: Any) -> list[Notice]:
        reg = s.db.registry
        schema = creation_schema(s, tbl.db or None, temporary)
        if reg.get(tbl.name, schema) is not None or reg.sequence_def(f"{schema}.{tbl.name}") is not None:
            raise DuplicateTable(f'relation "{tbl.name}" already exists')
        old = reg.get_view(tbl.name, schema)
        if old is not None and not replace:
            raise DuplicateTable(f'relation "{tbl.name}" already exists')
        if old is not None:
            for a, b in zip(old.columns, cols, strict=False):
                if a.name != b.name:
                    raise InvalidParameterValue(
                        f'cannot change name of view column "{a.name}" to "{b.name}"', sqlstate="42P16")
            if len(cols) < len(old.columns):
                raise InvalidParameterValue("cannot drop columns from view", sqlstate="42P16")
            for c in cols:
                prev = old.column(c.name)
                if prev is not None:
                    c.description = prev.description
        view = TableDef(name=tbl.name, schema=schema, columns=copy.deepcopy(cols), kind="v", view_sql=view_sql,
                        description=old.description if old is not None else None, temporary=temporary,
                        depends_on=depends)
        reg.put_view(view)
        return []
    return ddl_statement(sql, "CREATE VIEW", fn)


def drop_view(sql: str, node: exp.Drop) -> Statement:
    from engine.sql.schemas import _path

    targets = [(t.name, t.db or None) for t in (node.args.get("tables") or [node.this])]
    if_exists = bool(node.args.get("exists"))
    cascade = bool(node.args.get("cascade"))

    def fn(s: Any) -> list[Notice]:
        reg = s.db.registry
        notices = []
        for name, schema in targets:
            hit = None
            for sch in ([schema] if schema else _path(s)):
                if reg.get_view(name, sch) is not None:
                    hit = sch
                    break
                t = reg.get(name, sch)
                if t is not None:
                    hint = ("Use DROP MATERIALIZED VIEW to remove a materialized view." if t.kind == "m"
                            else "Use DROP TABLE to remove a table.")
                    raise WrongObjectType(f'"{name}" is not a view', hint=hint)
            if hit is None:
                if if_exists:
                    notices.append(Notice(f'view "{name}" does not exist, skipping'))
                    continue
                raise UndefinedTable(f'view "{name}" does not exist')
            check_no_views(reg, reg.get_view(name, hit), cascade)
            reg.drop_view(name, hit)
        return notices
    return ddl_statement(sql, "DROP VIEW", fn)


def _depends(v: TableDef, rel: TableDef) -> bool:
    """Does view ``v`` name ``rel`` (recorded at CREATE VIEW; by name for views stored before that)?"""
    if v.depends_on is not None:
        return [rel.schema, rel.name] in v.depends_on
    return _mentions(v, rel.name)


def _mentions(v: TableDef, name: str) -> bool:
    import re

    pat = re.compile(rf'(?<![\w"]){re.escape(name)}(?![\w"])|"{re.escape(name)}"')
    return bool(v.view_sql and pat.search(v.view_sql))


def views_on(reg: Any, table: TableDef) -> list[tuple[TableDef, str, str]]:
    """Views depending on ``table`` (directly or through other views), with "view x depends on table|view y"."""
    out: list[tuple[TableDef, str, str]] = []
    todo = [(table, "view" if table.kind == "v" else "table")]
    seen: set[tuple[str, str]] = set()
    while todo:
        rel, kind = todo.pop(0)
        for v in reg.views():
            key = (v.schema, v.name)
            if key not in seen and key != (rel.schema, rel.name) and _depends(v, rel):
                seen.add(key)
                out.append((v, kind, rel.name))
                todo.append((v, "view"))
    return out


def check_no_views(reg: Any, table: TableDef, cascade: bool) -> None:
    deps = views_on(reg, table)
    if not deps:
        return
    if cascade:
        for v, _, _ in deps:
            reg.drop_view(v.name, v.schema)
        return
    raise DependentObjectsStillExist(
        f"cannot drop {'view' if table.kind == 'v' else 'table'} {table.name} because other objects depend on it",
        detail="\n".join(f"view {v.name} depends on {kind} {name}" for v, kind, name in deps),
        hint="Use DROP ... CASCADE to drop the dependent objects too.")


# ------------------------------------------------------------------ COMMENT ON
def prepare_comment(session: Any, sql: str, c: Cursor) -> Statement:
    """COMMENT ON TABLE|VIEW|COLUMN|SCHEMA|INDEX|… name IS 'text' | NULL."""
    c.expect("COMMENT", "ON")
    kind = c.next().text.upper()
    if kind == "MATERIALIZED":
        c.expect("VIEW")
        kind = "VIEW"
    parts = [c.ident()]
    while c.cur is not None and c.cur.text == ".":
        c.next()
        parts.append(c.ident())
    on: list[str] = []
    if kind == "CONSTRAINT":
        c.expect("ON")
        c.match("DOMAIN")
        on = [c.ident()]
        while c.cur is not None and c.cur.text == ".":
            c.next()
            on.append(c.ident())
    c.expect("IS")
    text: str | None
    if c.match("NULL"):
        text = None
    else:
        if not c.is_string():
            c.error()
        tok = c.next()
        text = tok.text
    if not c.at_end():
        c.error()
    text = text if text else None

    def fn(s: Any) -> list[Notice]:
        from engine.sql.schemas import _path
        from engine.sql.temp_relations import alias  # pg_temp: the session's temporary schema

        reg = s.db.registry
        if kind in ("TABLE", "VIEW", "COLUMN"):
            if kind == "COLUMN":
                if len(parts) < 2:
                    from engine.errors import SyntaxError_
                    raise SyntaxError_("column name must be qualified")
                rel_parts, col = parts[:-1], parts[-1]
            else:
                rel_parts, col = parts, None
            name, schema = rel_parts[-1], (rel_parts[-2] if len(rel_parts) > 1 else None)
            for sch in ([alias(s, schema)] if schema else _path(s)):
                t = reg.get(name, sch)
                v = reg.get_view(name, sch)
                if t is None and v is None:
                    continue
                new = copy.deepcopy(t if t is not None else v)
                if col is None:
                    new.description = text
                else:
                    cd = new.column(col)
                    if cd is None or cd.system and cd.hidden:
                        raise UndefinedColumn(f'column "{col}" of relation "{name}" does not exist')
                    cd.description = text
                if t is not None:
                    reg.set_description(new)
                else:
                    reg.put_view(new)
                return []
            raise UndefinedTable(f'relation "{".".join(rel_parts)}" does not exist')
        if kind == "CONSTRAINT":
            name, schema = on[-1], (on[-2] if len(on) > 1 else None)
            for sch in ([schema] if schema else _path(s)):
                t = reg.get(name, sch)
                if t is None:
                    continue
                new = copy.deepcopy(t)
                hit = [k for k in new.constraints if k.name == parts[-1]]
                if not hit:
                    from engine.errors import UndefinedObject
                    raise UndefinedObject(f'constraint "{parts[-1]}" for table "{name}" does not exist')
                hit[0].description = text
                reg.set_description(new)
                return []
            raise UndefinedTable(f'relation "{".".join(on)}" does not exist')
        return []  # comments on other objects are accepted and not kept
    return ddl_statement(sql, "COMMENT", fn)
