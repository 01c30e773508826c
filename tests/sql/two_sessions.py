"""Scripts of two sessions (A and B) run step by step on REM and on PostgreSQL 15, outcomes compared.

A step is ``(session, sql)``; ``{A}`` in the SQL stands for session A's temporary schema (``pg_temp_<n>``), and
the same name in results is shown as ``{A}``, since the two servers number their temporary schemas apart.
"""

from __future__ import annotations

from typing import Any

import psycopg

Steps = list[tuple[str, str]]


def temp_schema(c: psycopg.Connection) -> str | None:
    """The session's temporary schema, None while it has none."""
    row = c.execute("select nspname::text from pg_namespace where oid = pg_my_temp_schema()").fetchone()
    return row[0] if row else None


def run_steps(dsn: str, steps: Steps, as_text: bool = False) -> list[tuple[str, Any]]:
    """Each step's outcome: ("rows", rows — as text when ``as_text`` — or the command tag) or ("error", sqlstate)."""
    out: list[tuple[str, Any]] = []
    conns = {k: psycopg.connect(dsn, autocommit=True) for k in "AB"}
    try:
        for who, sql in steps:
            if "{A}" in sql:
                temp = temp_schema(conns["A"])
                assert temp is not None, sql
                sql = sql.replace("{A}", temp)
            try:
                cur = conns[who].execute(sql)
                rows: Any = cur.fetchall() if cur.description else cur.statusmessage
                if as_text and cur.description:
                    rows = [tuple(None if v is None else str(v) for v in r) for r in rows]
                a = temp_schema(conns["A"])
                out.append(("rows", repr(rows).replace(a, "{A}") if a else repr(rows)))
            except psycopg.Error as e:
                out.append(("error", e.sqlstate))
    finally:
        for c in conns.values():
            c.close()
    return out


def compare(rem_dsn: str, pg_dsn: str, steps: Steps, as_text: bool = False) -> dict[str, tuple[str, Any]]:
    """Asserts every step has the same outcome on both servers; the outcomes by SQL text."""
    rem, ref = run_steps(rem_dsn, steps, as_text), run_steps(pg_dsn, steps, as_text)
    for (who, sql), r, p in zip(steps, rem, ref, strict=True):
        assert r == p, f"{who}: {sql}\n  REM: {r}\n  PG:  {p}"
    return dict(zip([s for _, s in steps], rem, strict=False))
