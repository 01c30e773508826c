"""Temporary tables and views live as long as the session that created them.

CREATE TEMP TABLE / VIEW records the relation on its session; the session drops them when it closes (after its
open transaction is rolled back, as PostgreSQL does at backend exit), and opening a data dir drops temporary
relations left behind by a process that died.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("rem.engine")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def remember(session: Any, kind: str, schema: str, name: str) -> None:
    """Note a temporary relation ("r" table, "v" view) created by ``session``."""
    rels = getattr(session, "temp_relations", None)
    if rels is None:
        rels = session.temp_relations = []
    if (kind, schema, name) not in rels:
        rels.append((kind, schema, name))


def _drop(session: Any, kind: str, schema: str, name: str) -> None:
    what = "VIEW" if kind == "v" else "TABLE"
    stmt = session.prepare(f"DROP {what} IF EXISTS {_quote(schema)}.{_quote(name)} CASCADE")
    session.execute(stmt, [])


def drop_session_temps(session: Any) -> None:
    """Drop the temporary relations ``session`` created that still exist (views first: they may use tables)."""
    rels = getattr(session, "temp_relations", None) or []
    reg = session.db.registry
    for kind, schema, name in sorted(rels, key=lambda r: r[0] != "v"):
        cur = reg.get_view(name, schema) if kind == "v" else reg.get(name, schema)
        if cur is None or not getattr(cur, "temporary", False):
            continue
        try:
            _drop(session, kind, schema, name)
        except Exception:  # noqa: BLE001 - closing: a failed drop is logged, the session still closes
            log.exception("could not drop temporary relation %s.%s", schema, name)
    rels.clear()


def drop_orphans(db: Any) -> int:
    """Drop temporary relations of a previous process (no session can own them any more); returns how many."""
    reg = db.registry
    if reg is None:
        return 0
    found = [("v", v.schema, v.name) for v in reg.views() if getattr(v, "temporary", False)]
    found += [("r", t.schema, t.name) for t in reg.tables() if getattr(t, "temporary", False)]
    if not found:
        return 0
    s = db.session(db.settings.admin_user, "rem")
    try:
        for kind, schema, name in found:
            try:
                _drop(s, kind, schema, name)
            except Exception:  # noqa: BLE001 - start-up must not fail on a leftover
                log.exception("could not drop leftover temporary relation %s.%s", schema, name)
    finally:
        s.close()
    return len(found)
