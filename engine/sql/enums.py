"""CREATE TYPE … AS ENUM / DROP TYPE, and enum-typed columns.

An enum type is a registry object (pg_type with typtype 'e', pg_enum rows). A column of an enum type stores its
values as text: the column's JSON Schema lists the labels, so any other value is rejected (23514), and the
catalogs report the column with the enum's type OID.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from engine import types as T
from engine.api import Notice
from engine.errors import DependentObjectsStillExist, FeatureNotSupported, UndefinedObject
from engine.schema.model import ColumnDef
from engine.sql.schemas import ddl_statement
from engine.sql.statements import Statement


def create_type(sql: str, node: exp.Create) -> Statement:
    from engine.sql.schemas import creation_schema

    tbl = node.this
    dt = node.args.get("expression")
    if not isinstance(dt, exp.DataType) or dt.this != exp.DataType.Type.ENUM:
        raise FeatureNotSupported("CREATE TYPE is only supported for enums (CREATE TYPE … AS ENUM)")
    labels = [e.name for e in dt.expressions]

    def fn(s: Any) -> list[Notice]:
        schema = creation_schema(s, tbl.db or None)
        s.db.registry.create_enum(schema, tbl.name, labels)
        return []
    return ddl_statement(sql, "CREATE TYPE", fn)


def drop_type(sql: str, node: exp.Drop) -> Statement:
    from engine.sql.schemas import _path

    targets = [(t.name, t.db or None) for t in (node.args.get("tables") or [node.this])]
    if_exists = bool(node.args.get("exists"))
    cascade = bool(node.args.get("cascade"))

    def fn(s: Any) -> list[Notice]:
        reg = s.db.registry
        notices = []
        for name, schema in targets:
            hit = next((sch for sch in ([schema] if schema else _path(s)) if reg.get_enum(name, sch)), None)
            if hit is None:
                if if_exists:
                    notices.append(Notice(f'type "{name}" does not exist, skipping'))
                    continue
                raise UndefinedObject(f'type "{name}" does not exist')
            users = [(t, c) for t in reg.tables() for c in t.columns if c.enum_type == f"{hit}.{name}"]
            if users and not cascade:
                raise DependentObjectsStillExist(
                    f"cannot drop type {name} because other objects depend on it",
                    detail="\n".join(f"column {c.name} of table {t.name} depends on type {name}" for t, c in users),
                    hint="Use DROP ... CASCADE to drop the dependent objects too.")
            if users:
                raise FeatureNotSupported("DROP TYPE … CASCADE of a type in use is not supported")
            reg.drop_enum(hit, name)
        return notices
    return ddl_statement(sql, "DROP TYPE", fn)


def user_type_name(kind: exp.DataType) -> tuple[str | None, str] | None:
    """(schema, name) of a user-defined (non built-in) type reference, else None."""
    if kind.this != exp.DataType.Type.USERDEFINED:
        return None
    k = kind.args.get("kind")
    if isinstance(k, exp.Dot):
        return k.this.name, k.expression.name
    if isinstance(k, exp.Identifier):
        return None, k.name
    return None, str(k)


def enum_column(session: Any, name: str, kind: exp.DataType) -> ColumnDef | None:
    """A text column constrained to an enum's labels, when ``kind`` names an enum type; None otherwise."""
    ref = user_type_name(kind)
    reg = getattr(session.db, "registry", None) if session is not None else None
    if ref is None or reg is None or not hasattr(reg, "get_enum"):
        return None
    from engine.sql.schemas import _path

    schema, tname = ref
    for sch in ([schema] if schema else _path(session)):
        d = reg.get_enum(tname, sch)
        if d is not None:
            return ColumnDef(name=name, type_oid=T.TEXT, enum_type=f"{sch}.{tname}",
                             json_schema={"type": "string", "enum": list(d["labels"])})
    return None
