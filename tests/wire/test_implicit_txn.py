"""The extended protocol's implicit transaction: every Execute up to Sync runs in one transaction, as in
PostgreSQL, so a pipelined executemany commits once, and an error rolls back the statements before it in the
same pipeline and skips the rest up to Sync. Each scenario runs on REM and on PostgreSQL 15 and must agree."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

SETUP = ["drop table if exists imp", "create table imp (id int primary key, v text not null)"]
INSERT = "insert into imp values (%s, %s)"


def _fresh(dsn: str) -> psycopg.Connection:
    c = psycopg.connect(dsn, autocommit=True)
    for s in SETUP:
        c.execute(s)
    return c


def _rows(c: psycopg.Connection) -> list[tuple[Any, ...]]:
    return c.execute("select id, v from imp order by id").fetchall()


def _executemany(dsn: str, rows: list[tuple[Any, ...]]) -> tuple[str | None, list[tuple[Any, ...]]]:
    with _fresh(dsn) as c:
        err = None
        try:
            with c.cursor() as cur:
                cur.executemany(INSERT, rows)
        except psycopg.Error as e:
            err = e.sqlstate
        return err, _rows(c)


@pytest.mark.parametrize("rows", [
    [(i, f"v{i}") for i in range(50)],
    [(1, "a"), (2, "b"), (2, "dup"), (3, "c")],  # unique violation in the middle
    [(1, "a"), (2, None), (3, "c")],  # not-null violation in the middle
    [(1, "a"), (2, "b"), (3, "c"), (3, "c")],  # the last row fails
])
def test_executemany_matches_postgres(rem_dsn: str, pg_dsn: str, rows: list[tuple[Any, ...]]) -> None:
    assert _executemany(rem_dsn, rows) == _executemany(pg_dsn, rows)


def _pipeline(dsn: str) -> tuple[list[Any], list[tuple[Any, ...]], str]:
    """A pipeline that inserts, reads its own write, fails, then syncs and carries on."""
    with _fresh(dsn) as c:
        seen: list[Any] = []
        with c.pipeline() as p, c.cursor() as cur:
            cur.execute(INSERT, (1, "a"))
            cur.execute("select count(*) from imp")
            p.sync()
            seen.append(cur.fetchone())
            cur.execute(INSERT, (2, "b"))
            cur.execute("select count(*) from imp where id <= %s", (2,))
            try:
                p.sync()
                seen.append(cur.fetchone())
                cur.execute(INSERT, (2, "again"))
                cur.execute(INSERT, (3, "never"))
                p.sync()
            except psycopg.Error as e:
                seen.append(e.sqlstate)
        with c.pipeline() as p, c.cursor() as cur:
            cur.execute(INSERT, (4, "d"))
        status = c.info.transaction_status.name
        return seen, _rows(c), status


def test_pipeline_matches_postgres(rem_dsn: str, pg_dsn: str) -> None:
    rem = _pipeline(rem_dsn)
    assert rem == _pipeline(pg_dsn)
    assert rem[1] == [(1, "a"), (2, "b"), (4, "d")]


def test_explicit_block_in_pipeline(rem_dsn: str, pg_dsn: str) -> None:
    def run(dsn: str) -> tuple[list[tuple[Any, ...]], str]:
        with _fresh(dsn) as c:
            with c.pipeline(), c.cursor() as cur:
                cur.execute(INSERT, (1, "a"))
                cur.execute("begin")
                cur.execute(INSERT, (2, "b"))
                cur.execute("rollback")
                cur.execute(INSERT, (3, "c"))
            return _rows(c), c.info.transaction_status.name
    assert run(rem_dsn) == run(pg_dsn)
