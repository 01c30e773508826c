"""Schemas (namespaces): CREATE / DROP SCHEMA, the creation schema of unqualified DDL, and name resolution for
statements that target one table (INSERT / UPDATE / DELETE / COPY / DDL) through ``search_path``."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from engine.api import Notice, Result
from engine.errors import DependentObjectsStillExist, DuplicateSchema, ReservedName, UndefinedSchema
from engine.schema import journal
from engine.sql.statements import Statement, search_path

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


def _path(s: Any) -> list[str]:
    return [s.user if p == "$user" else p for p in search_path(s)]


def creation_schema(s: Any, schema: str | None, temporary: bool = False) -> str:
    """Where CREATE puts an object: the named schema (3F000 if absent), else the first existing schema of
    ``search_path``; a temporary relation, or one named in ``pg_temp`` / a ``pg_temp_<n>`` schema, goes to the
    session's own schema (engine/sql/temp_relations.py)."""
    from engine.sql import temp_relations

    if temporary or schema == temp_relations.ALIAS or temp_relations.is_temp_schema(schema):
        return temp_relations.creation_schema(s, schema)
    existing = s.db.registry.schemas()
    if schema is not None:
        if schema not in existing:
            raise UndefinedSchema(f'schema "{schema}" does not exist')
        return schema
    for p in _path(s):
        if p in existing and not p.startswith("pg_temp_"):  # the session's temporary schema only on request
            return p
    raise UndefinedSchema("no schema has been selected to create in")


def find_table(s: Any, name: str, schema: str | None) -> Any:
    """The TableDef an unqualified or qualified name denotes (search_path order), or None."""
    reg = s.db.registry
    if schema is not None:
        from engine.sql.temp_relations import alias

        return reg.get(name, alias(s, schema))
    for p in _path(s):
        t = reg.get(name, p)
        if t is not None:
            return t
    return None


def table_schema(s: Any, name: str, schema: str | None) -> str:
    """The schema holding table ``name`` (for DROP/ALTER/INSERT): the first search_path hit, else ``schema`` or
    the creation schema (so that the caller's "does not exist" error names the right relation)."""
    t = find_table(s, name, schema)
    if t is not None:
        return str(t.schema)
    return schema or next((p for p in _path(s) if p in s.db.registry.schemas()), "public")


def ddl_statement(sql: str, tag: str, fn: Any, needs_txn: bool = False) -> Statement:
    """A DDL statement running ``fn(session)`` (its notices) inside the session's DDL journal, then bumping the
    schema version so that cached plans are replanned."""
    def run(s: Any, txn: Any, params: list[Any]) -> Result:
        with journal.active(s):
            notices = fn(s) or []
        bump = getattr(s.db, "bump_schema", None)
        if bump:
            bump()
        return Result(tag=tag, notices=notices)
    return Statement(sql, [], None, run, kind="ddl", cacheable=False, replannable=False, needs_txn=needs_txn)


def create_schema(sql: str, node: exp.Create) -> Statement:
    t = node.this
    name = t.db or t.name
    if_not = bool(node.args.get("exists"))

    def fn(s: Any) -> list[Notice]:
        reg = s.db.registry
        if name.startswith("pg_"):  # as PostgreSQL (data dirs made before this rule may still hold pg_ schemas)
            raise ReservedName(f'unacceptable schema name "{name}"',
                               detail='The prefix "pg_" is reserved for system schemas.')
        if name in reg.schemas() or name in SYSTEM_SCHEMAS:
            if if_not:
                return [Notice(f'schema "{name}" already exists, skipping', sqlstate="42P06")]
            raise DuplicateSchema(f'schema "{name}" already exists')
        reg.create_schema(name)
        return []
    return ddl_statement(sql, "CREATE SCHEMA", fn)


def drop_schema(sql: str, node: exp.Drop) -> Statement:
    names = [t.db or t.name for t in (node.args.get("tables") or [node.this])]
    if_exists = bool(node.args.get("exists"))
    cascade = bool(node.args.get("cascade"))

    def fn(s: Any) -> list[Notice]:
        reg = s.db.registry
        notices = []
        for n in names:
            if n not in reg.schemas():
                if if_exists:
                    notices.append(Notice(f'schema "{n}" does not exist, skipping'))
                    continue
                raise UndefinedSchema(f'schema "{n}" does not exist')
            tables = [t for t in reg.tables() if t.schema == n]
            views = [v for v in reg.views() if v.schema == n]
            seqs = [d for d in reg.sequence_defs() if d.schema == n and not d.owner_table]
            if (tables or views or seqs) and not cascade:
                objs = sorted([(t.oid, "table", t.name) for t in tables] + [(v.oid, "view", v.name) for v in views]
                              + [(d.oid, "sequence", d.name) for d in seqs])
                raise DependentObjectsStillExist(
                    f"cannot drop schema {n} because other objects depend on it",
                    detail="\n".join(f"{kind} {n}.{name} depends on schema {n}" for _, kind, name in objs),
                    hint="Use DROP ... CASCADE to drop the dependent objects too.")
            drop_contents(s, n)
            if n == "public":
                continue
            reg.drop_schema(n)
        return notices
    return ddl_statement(sql, "DROP SCHEMA", fn)


def drop_contents(s: Any, name: str) -> None:
    """Drop every view, table (with its vectors and owned sequences) and sequence of schema ``name`` (inside
    the caller's DDL journal)."""
    reg = s.db.registry
    for v in [v for v in reg.views() if v.schema == name]:
        reg.drop_view(v.name, name)
    for t in [t for t in reg.tables() if t.schema == name]:
        vec = getattr(s.db, "vectors", None)
        if vec is not None and hasattr(vec, "drop_table"):
            vec.drop_table(t)
        reg.drop(t.name, name)
    for d in [d for d in reg.sequence_defs() if d.schema == name and not d.owner_table]:
        reg.drop_sequence(d.key)
