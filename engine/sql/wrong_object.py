"""PostgreSQL 15's errors for a statement on the wrong kind of relation: INSERT / UPDATE / DELETE of a sequence,
materialized view, view or catalog, TRUNCATE of anything but a table, FOR UPDATE / SHARE over a sequence or a
materialized view. Each check returns quietly when the relation is an ordinary table (or absent: the caller's
42P01)."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from engine.errors import (
    FeatureNotSupported,
    InsufficientPrivilege,
    ObjectNotInPrerequisiteState,
    WrongObjectType,
)

_CATALOG_SCHEMAS = ("pg_catalog", "information_schema")
_VERBS = {exp.Insert: ("insert into", "INSERT", "inserting into"), exp.Update: ("update", "UPDATE", "updating"),
          exp.Delete: ("delete from", "DELETE", "deleting from")}


def classify(s: Any, name: str, schema: str | None) -> tuple[str, Any] | None:
    """The first relation ``name`` denotes in search_path order (pg_catalog first) that is not a table:
    ('sequence', SequenceDef), ('view', TableDef), ('catalog', VirtualTable); None when there is none."""
    from engine.sql.statements import search_path
    from engine.sql.temp_relations import alias
    from engine.virtual import lookup_virtual

    reg = s.db.registry
    schemas = [alias(s, schema)] if schema is not None else ["pg_catalog", *search_path(s)]
    for p in schemas:
        vt = lookup_virtual(p, name)
        if vt is not None:
            return "catalog", vt
        if p in _CATALOG_SCHEMAS or reg.get(name, p) is not None:
            continue
        d = reg.sequence_def(f"{p}.{name}")
        if d is not None:
            return "sequence", d
        v = reg.get_view(name, p)
        if v is not None:
            return "view", v
    return None


def check_write(s: Any, name: str, schema: str | None, node: exp.Expression) -> None:
    """INSERT / UPDATE / DELETE (the statement holding ``node``) of a relation that is not a table: 42809 for a
    sequence, 42501 for a catalog table, 55000 for a view that PostgreSQL cannot update automatically, 0A000 for
    one it can (REM does not write through views)."""
    found = classify(s, name, schema)
    if found is None:
        return
    kind, rel = found
    if kind == "sequence":
        raise WrongObjectType(f'cannot change sequence "{name}"')
    if kind == "catalog" and rel.kind == "r":
        raise InsufficientPrivilege(f'permission denied: "{name}" is a system catalog')
    stmt = node if isinstance(node, tuple(_VERBS)) else node.find_ancestor(exp.Insert, exp.Update, exp.Delete)
    verb, cmd, gerund = _VERBS[type(stmt)] if stmt is not None else _VERBS[exp.Insert]
    hint = (f"To enable {gerund} the view, provide an INSTEAD OF {cmd} trigger or an unconditional "
            f"ON {cmd} DO INSTEAD rule.")
    detail = None if kind == "catalog" else not_updatable(rel.view_sql or "", cmd != "DELETE")
    if kind == "view" and detail is None and _reads_sequence(s, rel):
        detail = _detail("that do not select from a single table or view")
    if kind == "view" and detail is None:
        raise FeatureNotSupported(f'cannot {verb} view "{name}"',
                                  detail="REM does not write through views.")
    raise ObjectNotInPrerequisiteState(f'cannot {verb} view "{name}"', detail=detail, hint=hint)


def not_updatable(view_sql: str, check_cols: bool) -> str | None:
    """Why PostgreSQL cannot update a view of this query automatically (view_query_is_auto_updatable's
    texts, in its order), or None when it can."""
    from engine.sql.statements import parse_one

    q = parse_one(view_sql)
    if isinstance(q, exp.SetOperation):
        return _detail("containing UNION, INTERSECT, or EXCEPT")
    if not isinstance(q, exp.Select):
        return _detail("that do not select from a single table or view")
    if q.args.get("distinct"):
        return _detail("containing DISTINCT")
    if q.args.get("group"):
        return _detail("containing GROUP BY")
    if q.args.get("having"):
        return _detail("containing HAVING")
    if q.args.get("with_") or q.args.get("with"):
        return _detail("containing WITH")
    if q.args.get("limit") or q.args.get("offset"):
        return _detail("containing LIMIT or OFFSET")
    outputs = [e.unalias() for e in q.expressions]
    if any(e.find(exp.AggFunc) is not None and e.find(exp.Window) is None for e in outputs):
        return _detail("that return aggregate functions")
    if any(e.find(exp.Window) is not None for e in outputs):
        return _detail("that return window functions")
    frm = q.args.get("from_") or q.args.get("from")
    if frm is None or q.args.get("joins") or frm.expressions or not isinstance(frm.this, exp.Table):
        return _detail("that do not select from a single table or view")
    if check_cols and not any(isinstance(e, (exp.Column, exp.Star)) for e in outputs):
        return _detail("that have no updatable columns")
    return None


def _reads_sequence(s: Any, view: Any) -> bool:
    """Whether the one relation a view selects from is a sequence (PostgreSQL does not write through those)."""
    from engine.sql.statements import parse_one

    frm = parse_one(view.view_sql or "").args.get("from_")
    t = frm.this if frm is not None else None
    if not isinstance(t, exp.Table):
        return False
    found = classify(s, t.name, t.db or None)
    return found is not None and found[0] == "sequence"


def _detail(what: str) -> str:
    return f"Views {what} are not automatically updatable."


def check_truncate(s: Any, name: str, schema: str | None, td: Any) -> None:
    """TRUNCATE of ``td`` (None when no table has the name): 42809 for anything but a table, 42501 for a
    catalog table."""
    if td is not None:
        if td.kind == "m":
            raise WrongObjectType(f'"{name}" is not a table')
        return
    found = classify(s, name, schema)
    if found is None:
        return
    kind, rel = found
    if kind == "catalog" and rel.kind == "r":
        raise InsufficientPrivilege(f'permission denied: "{name}" is a system catalog')
    raise WrongObjectType(f'"{name}" is not a table')


def check_locks(step: Any) -> None:
    """FOR UPDATE / SHARE over the FROM clause planned as ``step``: 42809 when it reads a sequence or a
    materialized view (through subqueries and views, not through CTEs)."""
    from engine.sql import plan

    if isinstance(step, (plan.CteScan, plan.WorkTableScan, plan.RecursiveCte)):
        return
    if isinstance(step, plan.VirtualScan) and step.vt.kind == "S":
        raise WrongObjectType(f'cannot lock rows in sequence "{step.vt.name}"')
    table = getattr(step, "table", None)
    if isinstance(step, plan.Scan) and getattr(table, "kind", "r") == "m":
        raise WrongObjectType(f'cannot lock rows in materialized view "{table.name}"')
    for c in step.children():
        check_locks(c)
