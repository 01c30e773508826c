"""A prepared statement whose result columns change after DDL fails as in PostgreSQL (0A000 "cached plan must
not change result type"); one whose result is unchanged is re-planned quietly. Both protocol-level (Parse) and
SQL-level (PREPARE/EXECUTE) statements, run on REM and on the reference PostgreSQL 15."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from remwire.protocol import messages as m
from tests.wire.rawclient import RawClient


def _outcome(msgs: list[Any]) -> object:
    err = next((x for x in msgs if isinstance(x, m.ErrorResponse)), None)
    if err is not None:
        return (err.get("C"), err.get("M"))
    return [tuple(v.decode() if v is not None else None for v in x.values) for x in msgs if isinstance(x, m.DataRow)]


def _protocol(host: str, port: int, user: str, database: str, dsn: str) -> list[object]:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("drop table if exists cpr_p")
        c.execute("create table cpr_p (a int primary key, b text)")
        c.execute("insert into cpr_p values (1, 'x')")
    cl = RawClient(host, port)
    try:
        cl.startup(user=user, database=database)
        cl.send(m.Parse("cpr_s", "select * from cpr_p where a = $1", (23,)), m.Sync())
        cl.until()
        run = (m.Bind("", "cpr_s", (0,), (b"1",), ()), m.Execute(""), m.Sync())
        out: list[object] = []
        cl.send(*run)
        out.append(_outcome(cl.until()))
        cl.query("alter table cpr_p alter column b set default 'd'")  # same result columns
        cl.send(*run)
        out.append(_outcome(cl.until()))
        cl.query("alter table cpr_p add column c int default 7")
        cl.send(*run)
        out.append(_outcome(cl.until()))
        out.append(_outcome(cl.query("select * from cpr_p where a = 1")))
        cl.query("drop table cpr_p")
        return out
    finally:
        cl.close()


def _sql_level(dsn: str) -> list[object]:
    out: list[object] = []
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=None) as c:
        c.execute("drop table if exists cpr_t")
        c.execute("create table cpr_t (a int primary key, b text)")
        c.execute("insert into cpr_t values (1, 'x')")
        c.execute("prepare cpr_q as select * from cpr_t order by a")
        out.append(c.execute("execute cpr_q").fetchall())
        c.execute("alter table cpr_t alter column b set default 'd'")
        out.append(c.execute("execute cpr_q").fetchall())
        c.execute("alter table cpr_t add column c int default 7")
        try:
            out.append(c.execute("execute cpr_q").fetchall())
        except psycopg.Error as e:
            out.append((e.sqlstate, str(e).splitlines()[0]))
        c.execute("deallocate cpr_q")
        c.execute("prepare cpr_q as select * from cpr_t order by a")
        out.append(c.execute("execute cpr_q").fetchall())
        c.execute("deallocate cpr_q")
        c.execute("drop table cpr_t")
    return out


@pytest.mark.pg_reference
def test_protocol_statement_result_change(rem_server: Any, pg: Any) -> None:
    rem = _protocol(rem_server.host, rem_server.port, "rem", "rem", rem_server.dsn)
    ref = _protocol("127.0.0.1", pg.port, "rem", "postgres", pg.dsn)
    assert ref[2] == ("0A000", "cached plan must not change result type")
    assert rem == ref


@pytest.mark.pg_reference
def test_sql_prepared_result_change(rem_dsn: str, pg_dsn: str) -> None:
    rem, ref = _sql_level(rem_dsn), _sql_level(pg_dsn)
    assert ref[2] == ("0A000", "cached plan must not change result type")
    assert rem == ref
