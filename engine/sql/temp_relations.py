"""Temporary tables and views: private to the session that created them, gone when it ends.

As in PostgreSQL, a session's temporary relations live in its own schema ``pg_temp_<pid>``, created on the
first CREATE TEMP TABLE / VIEW. That schema is searched first for unqualified relation names (and is the first
entry of ``current_schemas(true)``), so other sessions neither see those names nor collide with them. When the
session closes (after its open transaction rolls back) the schema is dropped with everything in it; opening a
data dir drops the temporary schemas of a process that died.

The schema name ``pg_temp`` is an alias of the session's own temporary schema: ``CREATE TABLE pg_temp.t`` creates
a temporary table (as does ``CREATE VIEW`` / ``SEQUENCE``), and ``pg_temp.t`` elsewhere names the session's
temporary relation (42P01 while the session has none). :func:`qualify` rewrites a parsed statement accordingly
and refuses, as PostgreSQL does, to read, write, alter or index another session's temporary tables (0A000) or
to create relations in another session's temporary schema (42P16); naming them stays possible for the catalogs
(``'pg_temp_7.t'::regclass``) and for DROP.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlglot import exp

from engine.catalog.names import quote_ident
from engine.errors import FeatureNotSupported, InsufficientPrivilege, InvalidParameterValue, UndefinedSchema

log = logging.getLogger("rem.engine")

_TEMP = re.compile(r"^pg_temp_\d+$")
ALIAS = "pg_temp"


def is_temp_schema(name: str | None) -> bool:
    return bool(name) and bool(_TEMP.match(name or ""))


def current(session: Any) -> str | None:
    """The session's temporary schema when it exists (a rolled-back first CREATE TEMP removes it)."""
    name = getattr(session, "temp_schema", None)
    if name is None:
        return None
    reg = getattr(session.db, "registry", None)
    return name if reg is not None and name in reg.schemas() else None


def is_own(session: Any, name: str | None) -> bool:
    """``name`` denotes the session's temporary schema (``pg_temp`` or its ``pg_temp_<n>`` name)."""
    return name == ALIAS or (name is not None and name == getattr(session, "temp_schema", None))


def is_other(session: Any, name: str | None) -> bool:
    """``name`` is the temporary schema of another session."""
    return is_temp_schema(name) and name != getattr(session, "temp_schema", None)


def alias(session: Any, name: str | None) -> str | None:
    """``name`` with ``pg_temp`` replaced by the session's temporary schema when it has one."""
    if name == ALIAS and session is not None:
        return current(session) or name
    return name


def creation_schema(session: Any, given: str | None) -> str:
    """The schema a CREATE TEMP TABLE / VIEW / SEQUENCE (or a CREATE of ``pg_temp.x``) goes to, created if
    needed; 42P16 for a permanent schema or another session's temporary schema."""
    reg = session.db.registry
    if is_other(session, given) and given not in reg.schemas():
        raise UndefinedSchema(f'schema "{given}" does not exist')
    if is_other(session, given):
        raise InvalidParameterValue("cannot create relations in temporary schemas of other sessions",
                                    sqlstate="42P16")
    if given is not None and not is_own(session, given):
        raise InvalidParameterValue("cannot create temporary relation in non-temporary schema", sqlstate="42P16")
    name = f"pg_temp_{session.process_id}"
    if name not in reg.schemas():
        reg.create_schema(name)
    session.temp_schema = name
    return name


def qualify(session: Any, sql: str, node: exp.Expression) -> exp.Expression:
    """``node`` with the ``pg_temp`` schema qualifier resolved to the session's temporary schema (a CREATE of
    ``pg_temp.x`` made temporary); 0A000 for data access to another session's temporary table."""
    if "pg_temp" not in sql.lower() or str(node.args.get("kind") or "").upper() == "SCHEMA":
        return node  # CREATE / DROP SCHEMA pg_temp name the schema itself, as in PostgreSQL
    own = current(session)
    target = _created(node)
    for q in node.find_all(exp.Table, exp.Column):
        ident = q.args.get("db")
        name = ident.name if isinstance(ident, exp.Identifier) else None
        if name == ALIAS and own is not None:
            if isinstance(q, exp.Table) and isinstance(node, _READS) and not _exists(session, own, q.name):
                continue  # left as pg_temp.x: 42P01 names it so, as in PostgreSQL
            ident.set("this", own)
        elif isinstance(q, exp.Table) and q is not target and is_other(session, name):
            _refuse_other(session, node, q, name)
    if target is not None and target.args.get("db") is not None and is_own(session, target.args["db"].name):
        _make_temporary(node)
    return node


def _view_reads_temp(reg: Any, schema: str, name: str) -> bool:
    """View ``schema.name`` selects from a table of its (temporary) schema."""
    from engine.sql.statements import parse_one

    view = reg.get_view(name, schema)
    if view is None or not view.view_sql:
        return False
    return any((t.db or schema) == schema and reg.get(t.name, schema) is not None
               for t in parse_one(view.view_sql).find_all(exp.Table))


_READS = (exp.Select, exp.SetOperation, exp.Insert, exp.Update, exp.Delete)


def _exists(session: Any, schema: str, name: str) -> bool:
    reg = session.db.registry
    return reg.get(name, schema) is not None or reg.get_view(name, schema) is not None \
        or reg.sequence_def(f"{schema}.{name}") is not None


def _created(node: exp.Expression) -> exp.Table | None:
    """The table a CREATE TABLE / VIEW names (not CREATE INDEX's table), else None."""
    if not isinstance(node, exp.Create) or str(node.args.get("kind") or "").upper() not in ("TABLE", "VIEW"):
        return None
    t = node.this.this if isinstance(node.this, exp.Schema) else node.this
    return t if isinstance(t, exp.Table) else None


def _make_temporary(node: exp.Expression) -> None:
    props = node.args.get("properties")
    items = list(props.expressions) if props is not None else []
    if any(isinstance(p, exp.TemporaryProperty) for p in items):
        return
    if any(isinstance(p, exp.MaterializedProperty) for p in items):
        raise InsufficientPrivilege("cannot create temporary table within security-restricted operation")
    node.set("properties", exp.Properties(expressions=[*items, exp.TemporaryProperty()]))


def _refuse_other(session: Any, node: exp.Expression, q: exp.Table, schema: str) -> None:
    """0A000 when ``q`` is another session's temporary table that ``node`` would read, write, alter, truncate
    or index (DROP and catalog look-ups by name are allowed, as in PostgreSQL)."""
    reg = session.db.registry
    if isinstance(node, exp.Drop):
        return
    if reg.get(q.name, schema) is None and reg.sequence_def(f"{schema}.{q.name}") is None \
            and not _view_reads_temp(reg, schema, q.name):
        return
    verb = "access"
    if isinstance(node, exp.Alter):
        verb = "alter"
    elif isinstance(node, exp.TruncateTable):
        verb = "truncate"
    elif isinstance(node, exp.Create) and str(node.args.get("kind") or "").upper() == "INDEX":
        verb = "create indexes on"
    raise FeatureNotSupported(f"cannot {verb} temporary tables of other sessions")


def _drop_schema(session: Any, name: str) -> None:
    session.execute(session.prepare(f"DROP SCHEMA IF EXISTS {quote_ident(name)} CASCADE"), [])


def discard(session: Any) -> None:
    """DISCARD TEMP / ALL: drop every temporary relation of the session (its schema stays, as in PostgreSQL;
    undone by ROLLBACK inside a transaction block)."""
    from engine.schema import journal
    from engine.sql.schemas import drop_contents

    name = current(session)
    if name is None:
        return
    with journal.active(session):
        drop_contents(session, name)
    bump = getattr(session.db, "bump_schema", None)
    if bump:
        bump()


def drop_session_temps(session: Any) -> None:
    """Drop the session's temporary schema and everything in it."""
    name = current(session)
    session.temp_schema = None
    if name is None:
        return
    try:
        _drop_schema(session, name)
    except Exception:  # noqa: BLE001 - closing: a failed drop is logged, the session still closes
        log.exception("could not drop temporary schema %s", name)


def drop_orphans(db: Any) -> int:
    """Drop temporary schemas (and temporary relations elsewhere, from older data dirs) of a previous process:
    no session can own them any more. Returns how many objects were dropped."""
    reg = db.registry
    if reg is None:
        return 0
    schemas = [n for n in reg.schemas() if is_temp_schema(n)]
    rels = [("VIEW", v.schema, v.name) for v in reg.views()
            if getattr(v, "temporary", False) and v.schema not in schemas]
    rels += [("TABLE", t.schema, t.name) for t in reg.tables()
             if getattr(t, "temporary", False) and t.schema not in schemas]
    if not schemas and not rels:
        return 0
    s = db.session(db.settings.admin_user, "rem")
    try:
        for what, schema, name in rels:
            _run_quietly(s, f"DROP {what} IF EXISTS {quote_ident(schema)}.{quote_ident(name)} CASCADE")
        for name in schemas:
            _run_quietly(s, f"DROP SCHEMA IF EXISTS {quote_ident(name)} CASCADE")
    finally:
        s.close()
    return len(schemas) + len(rels)


def _run_quietly(s: Any, sql: str) -> None:
    try:
        s.execute(s.prepare(sql), [])
    except Exception:  # noqa: BLE001 - start-up must not fail on a leftover
        log.exception("could not run %s", sql)
