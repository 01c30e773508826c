"""Prepared point gets by primary key (engine.sql.pointget) over a real server: the fast path answers exactly what
the general plan answers. The oracle is the same statement with ``and 1 = 1`` added, which the fast path does not
recognize, so it runs through the general plan (index lookup, Filter, Project)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from engine.database import open_database
from engine.settings import Settings

DDL = ("create table pg_pt (id int primary key, name text, price numeric(10,2), qty int, "
       "created timestamptz, tags jsonb, ok boolean)")
ROWS = [
    (1, "one", Decimal("1.50"), 3, "2024-01-01 00:00:00+00", '{"a": 1}', True),
    (2, None, None, None, None, None, None),
    (3, "three", Decimal("0.00"), -1, "2023-06-30 12:34:56.789+00", "[1, 2]", False),
]


def both(conn: psycopg.Connection, sql: str, args: tuple[Any, ...], binary: bool = False) -> list[Any]:
    """Rows of ``sql`` (fast path) and of its general-plan twin; asserts they are equal, returns them."""
    with conn.cursor(binary=binary) as c:
        fast = c.execute(sql, args, prepare=True).fetchall()
        fast_desc = [(d.name, d.type_code) for d in c.description or []]
        general = c.execute(sql + " and 1 = 1", args, prepare=True).fetchall()
        general_desc = [(d.name, d.type_code) for d in c.description or []]
    assert fast == general
    assert fast_desc == general_desc
    return fast


@pytest.fixture
def table(conn: psycopg.Connection) -> Any:
    conn.execute("drop table if exists pg_pt")
    conn.execute(DDL)
    with conn.cursor() as c:
        c.executemany("insert into pg_pt values (%s, %s, %s, %s, %s, %s, %s)", ROWS)
    yield conn
    conn.execute("drop table if exists pg_pt")


@pytest.mark.parametrize("binary", [False, True])
def test_rows_and_nulls(table: psycopg.Connection, binary: bool) -> None:
    for k in (1, 2, 3, 4, -7):
        got = both(table, "select * from pg_pt where id = %s", (k,), binary)
        assert len(got) == (1 if k in (1, 2, 3) else 0)
    assert both(table, "select * from pg_pt where id = %s", (2,))[0][1:] == (None,) * 6
    assert both(table, "select name, price from pg_pt where id = %s", (1,)) == [("one", Decimal("1.50"))]
    assert both(table, "select p.qty, p.name, p.qty from pg_pt p where p.id = %s", (3,)) == [(-1, "three", -1)]
    assert both(table, "select name from pg_pt where %s = id", (1,)) == [("one",)]
    assert both(table, "select * from pg_pt where id = %s", (None,)) == []
    # literals instead of parameters (the plan of the statement's template): simple and prepared
    assert table.execute("select name from pg_pt where id = 1").fetchall() == [("one",)]
    assert table.execute("select name from pg_pt where id = 3", prepare=True).fetchall() == [("three",)]
    assert table.execute("select name from pg_pt where id = 3", prepare=True).fetchall() == [("three",)]


def test_numeric_and_timestamptz_text(table: psycopg.Connection) -> None:
    with table.cursor() as c:
        c.execute("select price::text, created::text from pg_pt where id = 3 and 1 = 1")
        assert c.fetchone() == ("0.00", "2023-06-30 12:34:56.789+00")
    raw = table.pgconn.exec_params(b"select price, created from pg_pt where id = $1", [b"1"], result_format=0)
    assert (raw.get_value(0, 0), raw.get_value(0, 1)) == (b"1.50", b"2024-01-01 00:00:00+00")
    table.execute("set timezone = 'Europe/Paris'")
    try:
        assert both(table, "select created from pg_pt where id = %s", (1,))
        raw = table.pgconn.exec_params(b"select created from pg_pt where id = $1", [b"1"], result_format=0)
        assert raw.get_value(0, 0) == b"2024-01-01 01:00:00+01"
    finally:
        table.execute("reset timezone")


def test_soft_deleted_and_updated_rows(table: psycopg.Connection) -> None:
    table.execute("delete from pg_pt where id = 1")
    assert both(table, "select * from pg_pt where id = %s", (1,)) == []
    table.execute("update pg_pt set name = 'THREE' where id = 3")
    assert both(table, "select name from pg_pt where id = %s", (3,)) == [("THREE",)]
    table.execute("update pg_pt set id = 30 where id = 3")  # the key moves: the row's id is derived again
    assert both(table, "select name from pg_pt where id = %s", (3,)) == []
    assert both(table, "select name from pg_pt where id = %s", (30,)) == [("THREE",)]
    table.execute("insert into pg_pt (id, name) values (1, 'again')")
    assert both(table, "select name from pg_pt where id = %s", (1,)) == [("again",)]


def test_transaction_visibility(table: psycopg.Connection, rem_dsn: str) -> None:
    other = psycopg.connect(rem_dsn, autocommit=True)
    try:
        table.execute("begin")
        table.execute("insert into pg_pt (id, name) values (10, 'mine')")
        table.execute("update pg_pt set name = 'changed' where id = 1")
        table.execute("delete from pg_pt where id = 3")
        assert both(table, "select name from pg_pt where id = %s", (10,)) == [("mine",)]
        assert both(table, "select name from pg_pt where id = %s", (1,)) == [("changed",)]
        assert both(table, "select name from pg_pt where id = %s", (3,)) == []
        # another session does not see the open transaction's writes
        assert both(other, "select name from pg_pt where id = %s", (10,)) == []
        assert both(other, "select name from pg_pt where id = %s", (1,)) == [("one",)]
        assert both(other, "select name from pg_pt where id = %s", (3,)) == [("three",)]
        table.execute("rollback")
        assert both(table, "select name from pg_pt where id = %s", (10,)) == []
        assert both(table, "select name from pg_pt where id = %s", (1,)) == [("one",)]
        assert both(table, "select name from pg_pt where id = %s", (3,)) == [("three",)]
    finally:
        other.close()


def test_pipeline_sees_its_own_writes(table: psycopg.Connection) -> None:
    with table.pipeline(), table.cursor() as c:
        c.execute("insert into pg_pt (id, name) values (%s, %s)", (20, "piped"), prepare=True)
        c.execute("select name from pg_pt where id = %s", (20,), prepare=True)
        assert c.fetchall() == [("piped",)]
    assert both(table, "select name from pg_pt where id = %s", (20,)) == [("piped",)]


def test_schema_changes_invalidate_the_plan(table: psycopg.Connection) -> None:
    sql = "select * from pg_pt where id = %s"
    assert len(both(table, sql, (1,))[0]) == 7
    table.execute("alter table pg_pt add column extra text default 'x'")
    got = both(table, "select name, extra from pg_pt where id = %s", (1,))
    assert got == [("one", "x")]
    table.execute("alter table pg_pt rename to pg_pt2")  # ids were derived from the old name: the index decides
    assert both(table, "select name from pg_pt2 where id = %s", (1,)) == [("one",)]
    table.execute("drop table pg_pt2")
    table.execute("create table pg_pt (id text primary key, name text)")
    table.execute("insert into pg_pt values ('1', 'text key'), ('é x ', 'unicode')")
    assert both(table, "select name from pg_pt where id = %s", ("1",)) == [("text key",)]
    assert both(table, "select name from pg_pt where id = %s", ("é x ",)) == [("unicode",)]
    assert both(table, "select name from pg_pt where id = %s", ("é x",)) == []


def test_view_named_like_a_table(table: psycopg.Connection) -> None:
    table.execute("create schema pt_s")
    table.execute("create table pt_s.v (id int primary key, ok boolean)")
    table.execute("insert into pt_s.v values (1, false), (2, true)")
    table.execute("create view v as select * from pt_s.v where ok")
    try:
        assert both(table, "select * from v where id = %s", (1,)) == []
        assert both(table, "select * from v where id = %s", (2,)) == [(2, True)]
        assert both(table, "select * from pt_s.v where id = %s", (1,)) == [(1, False)]
    finally:
        table.execute("drop view v")
        table.execute("drop table pt_s.v")
        table.execute("drop schema pt_s")


def test_statement_timeout_and_failed_transaction(table: psycopg.Connection) -> None:
    table.execute("set statement_timeout = '5s'")
    try:
        assert both(table, "select name from pg_pt where id = %s", (1,)) == [("one",)]
    finally:
        table.execute("reset statement_timeout")
    table.execute("begin")
    with pytest.raises(psycopg.errors.DivisionByZero):
        table.execute("select 1 / 0")
    with pytest.raises(psycopg.errors.InFailedSqlTransaction):
        table.execute("select name from pg_pt where id = %s", (1,), prepare=True)
    table.execute("rollback")
    assert both(table, "select name from pg_pt where id = %s", (1,)) == [("one",)]


def test_parameter_errors(table: psycopg.Connection) -> None:
    sql = "select name from pg_pt where id = %t"
    for _ in range(3):  # prepared: later executions are one Bind/Describe/Execute/Sync batch
        assert table.execute(sql, ("1",), prepare=True).fetchall() == [("one",)]
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        table.execute(sql, ("abc",), prepare=True)
    assert table.execute(sql, ("3",), prepare=True).fetchall() == [("three",)]
    table.execute("begin")
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        table.execute(sql, ("x",), prepare=True)
    with pytest.raises(psycopg.errors.InFailedSqlTransaction):
        table.execute(sql, ("1",), prepare=True)
    table.execute("rollback")
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        table.execute("select * from pg_pt where id = %t", ("abc",), prepare=True)
    assert both(table, "select name from pg_pt where id = %s", (1,)) == [("one",)]
    assert both(table, "select name from pg_pt where id = %s", (2**40,)) == []  # an int8 beyond int4: no row
    with pytest.raises(psycopg.errors.UndefinedFunction):
        table.execute("select * from pg_pt where id = %s::text", ("1",), prepare=True)


@pytest.mark.parametrize(("ddl", "sql", "fast"), [
    ("create table t (id int primary key, v text)", "select * from t where id = $1", True),
    ("create table t (id int primary key, v text)", "select v from t x where x.id = $1", True),
    ("create table t (k text primary key, v text)", "select k, v from t where k = $1", True),
    ("create table t (id int primary key, v text)", "select * from t where v = $1", False),
    ("create table t (id int primary key, v text)", "select * from t where id = $1 and v = 'a'", False),
    ("create table t (id int primary key, v text)", "select * from t where id = $1 limit 1", False),
    ("create table t (id int primary key, v text)", "select v || 'x' from t where id = $1", False),
    ("create table t (id int primary key, v text)", "select count(*) from t where id = $1", False),
    ("create table t (a int, b int, v text, primary key (a, b))", "select * from t where a = $1", False),
    ("create table t (id int, v text) with (key_field = 'v')", "select * from t where v = $1", False),
    ("create schema o; create table o.t (id int primary key, ok bool); create view t as select * from o.t where ok",
     "select * from t where id = $1", False),
    ("create schema o; create table o.t (id int primary key, ok bool); create view t as select * from o.t where ok",
     "select * from o.t where id = $1", True),
])
def test_recognized_shapes(tmp_path: Path, ddl: str, sql: str, fast: bool) -> None:
    db = open_database(Settings(data_dir=tmp_path / "db", core_schemas=False))
    s = db.session("rem", "rem")
    try:
        for d in ddl.split("; "):
            s.execute(s.prepare(d))
        st = s.prepare(sql)
        assert (getattr(st, "point", None) is not None) is fast
    finally:
        s.close()
        db.close()


def test_derived_id_is_the_inserted_id() -> None:
    from engine.ids import derive_id, hash_id
    from engine.sql.pointget import derive

    for key in ("1", "-5", "abc", "é x ", "9" * 40, ""):
        assert derive("bench:", key) == hash_id("bench:" + key)
        assert str(derive("bench:", key)) == str(hash_id("bench:" + key))
    assert derive("t:", "7") == derive_id("t", {"id": 7}, None, ["id"])
