"""Temporary tables and views: private to the session that created them, gone when it ends.

As in PostgreSQL, a session's temporary relations live in its own schema ``pg_temp_<pid>``, created on the
first CREATE TEMP TABLE / VIEW. That schema is searched first for unqualified relation names (and is the first
entry of ``current_schemas(true)``), so other sessions neither see those names nor collide with them. When the
session closes (after its open transaction rolls back) the schema is dropped with everything in it; opening a
data dir drops the temporary schemas of a process that died.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from engine.catalog.names import quote_ident
from engine.errors import InvalidParameterValue

log = logging.getLogger("rem.engine")

_TEMP = re.compile(r"^pg_temp_\d+$")


def is_temp_schema(name: str | None) -> bool:
    return bool(name) and bool(_TEMP.match(name or ""))


def current(session: Any) -> str | None:
    """The session's temporary schema when it exists (a rolled-back first CREATE TEMP removes it)."""
    name = getattr(session, "temp_schema", None)
    if name is None:
        return None
    reg = getattr(session.db, "registry", None)
    return name if reg is not None and name in reg.schemas() else None


def creation_schema(session: Any, given: str | None) -> str:
    """The schema a CREATE TEMP TABLE / VIEW goes to (created if needed); 42P16 for a permanent schema."""
    if given is not None and given != "pg_temp" and given != getattr(session, "temp_schema", None):
        raise InvalidParameterValue("cannot create temporary relation in non-temporary schema", sqlstate="42P16")
    name = f"pg_temp_{session.process_id}"
    reg = session.db.registry
    if name not in reg.schemas():
        reg.create_schema(name)
    session.temp_schema = name
    return name


def _drop_schema(session: Any, name: str) -> None:
    session.execute(session.prepare(f"DROP SCHEMA IF EXISTS {quote_ident(name)} CASCADE"), [])


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
