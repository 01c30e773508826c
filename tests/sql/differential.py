"""The differential harness: run a case file's statements on REM and on PostgreSQL 15 and compare.

Case files (tests/sql/cases/*.sql) are plain SQL scripts. Every statement runs on both servers over psycopg
(autocommit, so BEGIN/COMMIT in a script behave as in psql). For each statement the two sides must agree on:
success or failure (and the SQLSTATE when both fail), the command status, the column names and types, and the
rows — compared in order when the statement has a top-level ORDER BY, as multisets otherwise. Numeric values
compare with their scale (``1.50`` ≠ ``1.5``), as a client printing them would see.

Directive comments on the line before a statement: ``-- unordered`` forces multiset comparison,
``-- error-class`` compares only the SQLSTATE class (first two characters).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from engine.sql.lexer import split

CASES = Path(__file__).parent / "cases"


@dataclass
class Outcome:
    """What one statement produced on one server."""

    ok: bool
    status: str | None = None
    columns: list[tuple[str, int]] | None = None
    rows: list[tuple[Any, ...]] | None = None
    sqlstate: str | None = None
    message: str | None = None


@dataclass
class Stmt:
    sql: str
    ordered: bool
    error_class_only: bool
    line: int


def statements(path: Path) -> list[Stmt]:
    text = path.read_text()
    out: list[Stmt] = []
    for s in split(text):
        directives = re.findall(r"^\s*--\s*([a-z-]+)\s*$", s, re.M)
        body = "\n".join(ln for ln in s.split("\n") if not ln.strip().startswith("--")).strip()
        if not body:
            continue
        line = text[: text.find(body)].count("\n") + 1 if body in text else 0
        out.append(Stmt(body, has_top_level_order_by(body) and "unordered" not in directives,
                        "error-class" in directives, line))
    return out


def has_top_level_order_by(sql: str) -> bool:
    depth = 0
    low = sql.lower()
    i = 0
    quote = None
    while i < len(low):
        ch = low[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and low.startswith("order by", i):
            return True
        i += 1
    return False


def norm(v: Any) -> Any:
    if isinstance(v, Decimal):
        return ("dec", str(v))
    if isinstance(v, float):
        return ("float", repr(v))
    if isinstance(v, list):
        return ("list", tuple(norm(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted((k, norm(x)) for k, x in v.items())))
    return v


def run_one(conn: psycopg.Connection, sql: str) -> Outcome:
    try:
        with conn.cursor() as cur:
            cur.execute(sql.encode() if False else sql, prepare=False)  # type: ignore[call-overload]
            cols = [(d.name, d.type_code) for d in cur.description] if cur.description else None
            rows = [tuple(norm(v) for v in r) for r in cur.fetchall()] if cur.description else None
            return Outcome(True, cur.statusmessage, cols, rows)
    except psycopg.Error as e:
        return Outcome(False, sqlstate=e.sqlstate, message=str(e).split("\n")[0])


def compare(st: Stmt, rem: Outcome, pg: Outcome) -> str | None:
    """None when the outcomes agree, else a description of the difference."""
    if rem.ok != pg.ok:
        if pg.ok:
            return f"REM failed ({rem.sqlstate}: {rem.message}) where PostgreSQL succeeded"
        return f"REM succeeded ({rem.status}) where PostgreSQL failed ({pg.sqlstate}: {pg.message})"
    if not pg.ok:
        a, b = (rem.sqlstate or "")[:2], (pg.sqlstate or "")[:2]
        if st.error_class_only:
            return None if a == b else f"SQLSTATE {rem.sqlstate} vs {pg.sqlstate} ({pg.message})"
        return None if rem.sqlstate == pg.sqlstate else \
            f"SQLSTATE {rem.sqlstate} ({rem.message}) vs {pg.sqlstate} ({pg.message})"
    if rem.status != pg.status:
        return f"status {rem.status!r} vs {pg.status!r}"
    if rem.columns != pg.columns:
        return f"columns {rem.columns} vs {pg.columns}"
    if rem.rows is None or pg.rows is None:
        return None if rem.rows == pg.rows else "rows vs no rows"
    if st.ordered:
        return None if rem.rows == pg.rows else f"rows (ordered)\n  REM: {rem.rows[:20]}\n  PG:  {pg.rows[:20]}"
    if Counter(map(repr, rem.rows)) != Counter(map(repr, pg.rows)):
        return f"rows\n  REM: {sorted(map(repr, rem.rows))[:20]}\n  PG:  {sorted(map(repr, pg.rows))[:20]}"
    return None


def run_file(path: Path, rem_dsn: str, pg_dsn: str) -> tuple[int, list[str]]:
    """Run every statement of ``path`` on both servers; returns (statements run, differences)."""
    diffs: list[str] = []
    stmts = statements(path)
    with psycopg.connect(rem_dsn, autocommit=True) as rc, psycopg.connect(pg_dsn, autocommit=True) as pc:
        for st in stmts:
            rem = run_one(rc, st.sql)
            pg = run_one(pc, st.sql)
            d = compare(st, rem, pg)
            if d:
                diffs.append(f"{path.name}:{st.line}: {st.sql}\n  {d}")
        # leave the shared servers as found (other suites use the same REM server)
        created = re.findall(r"create\s+table\s+(?:if\s+not\s+exists\s+)?(\w+)", path.read_text(), re.I)
        for conn in (rc, pc):
            if conn.info.transaction_status != 0:
                conn.execute("rollback")
            for t in dict.fromkeys(created):
                conn.execute(f"drop table if exists {t}")
    return len(stmts), diffs


def assert_script_matches(path: Path, sql: str, rem_dsn: str, pg_dsn: str, at_least: int) -> None:
    """Write ``sql`` to ``path``, run it on both servers (:func:`run_file`) and require identical outcomes for
    every statement (at least ``at_least`` of them)."""
    path.write_text(sql)
    n, diffs = run_file(path, rem_dsn, pg_dsn)
    assert n >= at_least
    assert not diffs, f"{len(diffs)} of {n} statements differ:\n" + "\n".join(diffs)
