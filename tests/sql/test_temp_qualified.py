"""The ``pg_temp`` schema alias and temporary sequences, two sessions on each side, compared with PostgreSQL 15.

Each script runs on REM and on the reference server; every step's rows (or SQLSTATE) must match. ``{A}`` in a
statement and in the results stands for session A's own temporary schema (``pg_temp_<n>``, numbered differently
on each side).
"""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.sql.two_sessions import compare

# (session, statement): sessions "A" and "B" are two connections to the same server
PG_TEMP_ALIAS = [
    ("A", "select a from pg_temp.tq_t"),  # no temporary schema yet: 42P01
    ("A", "create table pg_temp.tq_t (a int, b serial)"),  # no TEMP keyword: still a temporary table
    ("A", "select relpersistence, relnamespace::regnamespace::text from pg_class where relname = 'tq_t'"),
    ("A", "insert into pg_temp.tq_t (a) values (1), (2)"),
    ("A", "select a, b from pg_temp.tq_t order by a"),
    ("A", "select a, b from tq_t order by a"),
    ("A", "select a from PG_TEMP.tq_t order by a"),
    ("A", 'select a from "PG_TEMP".tq_t'),  # quoted: not the alias
    ("A", "select pg_temp.tq_t.a from pg_temp.tq_t order by 1"),
    ("A", "update pg_temp.tq_t set a = a + 10"),
    ("A", "delete from pg_temp.tq_t where a = 11"),
    ("A", "alter table pg_temp.tq_t add column c text"),
    ("A", "create index on pg_temp.tq_t (a)"),
    ("A", "select 'pg_temp.tq_t'::regclass::text, to_regclass('pg_temp.tq_t')::text"),
    ("A", "select 'pg_temp.tq_t'::regclass = '{A}.tq_t'::regclass"),
    ("A", "select pg_my_temp_schema()::regnamespace::text, pg_is_other_temp_schema(pg_my_temp_schema())"),
    ("A", "comment on table pg_temp.tq_t is 'temporary'"),
    ("A", "select obj_description('pg_temp.tq_t'::regclass, 'pg_class')"),
    ("A", "begin"),
    ("A", "create table pg_temp.tq_rb (a int)"),
    ("A", "rollback"),
    ("A", "select a from pg_temp.tq_rb"),
    ("A", "create view pg_temp.tq_v as select a from pg_temp.tq_t"),
    ("A", "select relpersistence from pg_class where relname = 'tq_v'"),
    ("A", "select a from pg_temp.tq_v"),
    ("A", "create temp table pg_temp.tq_t2 (a int)"),
    ("A", "create table pg_temp.tq_ctas as select 1 as a"),
    ("A", "select relpersistence from pg_class where relname = 'tq_ctas'"),
    ("A", "create table pg_temp.tq_t (a int)"),  # 42P07
    ("A", "create table if not exists pg_temp.tq_t (a int)"),
    ("A", "create temp table public.tq_bad (a int)"),  # 42P16
    ("A", "create table pg_temp_99999.tq_bad (a int)"),  # 3F000
    ("A", "create schema pg_temp"),  # 42939
    ("A", "create schema pg_temp_5"),
    ("A", "drop schema pg_temp"),  # 3F000: the alias names no real schema
    ("A", "create materialized view pg_temp.tq_mv as select 1"),  # 42501
    ("A", "select * from pg_temp.tq_nosuch"),
    ("A", "insert into pg_temp.tq_nosuch values (1)"),
    ("A", "drop table pg_temp.tq_nosuch"),
    ("A", "drop table if exists pg_temp.tq_nosuch"),
    ("A", "select 'pg_temp.tq_nosuch'::regclass"),
    # the other session: no temporary schema of its own, A's visible in the catalogs only
    ("B", "select a from pg_temp.tq_t"),
    ("B", "select pg_my_temp_schema()"),
    ("B", "create table tq_t (x int)"),
    ("B", "insert into tq_t (x) values (5)"),
    ("A", "select a from tq_t order by a"),  # the temporary table shadows B's permanent one
    ("A", "select x from public.tq_t"),
    ("B", "select n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
          "where relname = 'tq_t' and relpersistence = 't'"),
    ("B", "select '{A}.tq_t'::regclass::text"),
    ("B", "select '{A}.tq_t'::regclass = (select oid from pg_class where relname = 'tq_t' and relpersistence = 't')"),
    ("B", "select pg_is_other_temp_schema('{A}'::regnamespace)"),
    ("B", "select a from {A}.tq_t"),  # 0A000
    ("B", "insert into {A}.tq_t (a) values (2)"),
    ("B", "alter table {A}.tq_t add column z int"),
    ("B", "truncate {A}.tq_t"),
    ("B", "create index on {A}.tq_t (a)"),
    ("B", "select a from {A}.tq_v"),  # the view reads A's temporary table: 0A000
    ("A", "create temp view tq_v1 as select 1 as one"),
    ("B", "select one from {A}.tq_v1"),  # a temporary view of constants can be read
    ("B", "select a from {A}.tq_nosuch"),  # 42P01
    ("B", "create table {A}.tq_x (a int)"),  # 42P16
    ("B", "create temp table {A}.tq_x (a int)"),
    ("B", "create view {A}.tq_x as select 1"),
    ("B", "drop table {A}.tq_t2"),  # PostgreSQL lets a superuser drop it
    ("A", "select count(*) from pg_class where relname = 'tq_t2'"),
    ("A", "drop view pg_temp.tq_v"),
    ("A", "drop table pg_temp.tq_t"),
    ("A", "select a from pg_temp.tq_t"),
    ("A", "select x from tq_t"),  # the permanent table again
    ("B", "drop table tq_t"),
]

TEMP_SEQUENCES = [
    ("A", "create temp sequence tq_s"),
    ("A", "create temporary sequence tq_s2 start 10"),
    ("A", "create sequence tq_ps"),
    ("A", "create sequence tq_s"),  # the permanent one of the same name
    ("A", "select relpersistence, relnamespace::regnamespace::text, relname from pg_class "
          "where relkind = 'S' and relname like 'tq%' order by relname, 2"),
    ("A", "select nextval('tq_s'), nextval('tq_s2'), nextval('tq_ps')"),
    ("A", "select nextval('public.tq_s')"),
    ("A", "select nextval('pg_temp.tq_s')"),
    ("A", "select nextval('{A}.tq_s')"),
    ("A", "select currval('tq_s'), currval('pg_temp.tq_s2'), lastval()"),
    ("A", "select setval('pg_temp.tq_s2', 42), nextval('tq_s2')"),
    ("A", "select 'tq_s'::regclass::text, 'public.tq_s'::regclass::text, 'pg_temp.tq_s'::regclass::text"),
    ("A", "select nextval('pg_temp.tq_nosuch')"),
    ("A", "alter sequence pg_temp.tq_nosuch restart"),
    ("B", "select nextval('tq_s')"),  # the permanent one
    ("B", "select nextval('tq_s2')"),  # 42P01
    ("B", "select nextval('{A}.tq_s2')"),  # 0A000
    ("B", "select setval('{A}.tq_s2', 5)"),
    ("B", "alter sequence {A}.tq_s2 restart"),
    ("B", "create sequence {A}.tq_s5"),  # 42P16
    ("B", "create temp sequence {A}.tq_s5"),
    ("B", "select schemaname, sequencename from pg_sequences where sequencename like 'tq%' order by 2, 1"),
    ("A", "select schemaname, sequencename from pg_sequences where sequencename like 'tq%' order by 2, 1"),
    ("A", "alter sequence tq_s restart with 100"),
    ("A", "select nextval('tq_s')"),
    ("A", "drop sequence tq_s"),  # the temporary one: the permanent one shows through again
    ("A", "select nextval('tq_s')"),
    ("A", "create sequence pg_temp.tq_s3"),
    ("A", "select relpersistence, relnamespace::regnamespace::text from pg_class where relname = 'tq_s3'"),
    ("A", "drop sequence pg_temp.tq_s3"),
    ("A", "create temp sequence public.tq_s4"),  # 42P16
    ("A", "create temp table tq_ser (id serial, b bigserial, v text)"),
    ("A", "select c.relname, c.relpersistence, n.nspname from pg_class c join pg_namespace n "
          "on n.oid = c.relnamespace where relkind = 'S' and relname like 'tq_ser%' order by 1"),
    ("A", "select pg_get_serial_sequence('tq_ser', 'id'), pg_get_serial_sequence('pg_temp.tq_ser', 'b')"),
    ("A", "insert into tq_ser (v) values ('x'), ('y')"),
    ("A", "select id, b, v from tq_ser order by id"),
    ("A", "select currval('tq_ser_id_seq'), lastval()"),
    ("B", "select nextval('tq_ser_id_seq')"),  # 42P01: A's serial sequence is private
    ("B", "create temp table tq_ser (id serial, v text)"),  # B's own, independent
    ("B", "insert into tq_ser (v) values ('b')"),
    ("B", "select id, v from tq_ser"),
    ("B", "drop table tq_ser"),
    ("A", "create temp sequence tq_ps"),  # shadows the permanent tq_ps
    ("A", "select nextval('tq_ps'), nextval('public.tq_ps')"),
    ("A", "drop sequence tq_ps"),
    ("A", "select nextval('tq_ps')"),
]

DISCARD = [
    ("A", "create temp table tq_d (a int)"),
    ("A", "create temp sequence tq_ds"),
    ("A", "select nextval('tq_ds')"),
    ("A", "discard temp"),
    ("A", "select a from tq_d"),
    ("A", "select nextval('tq_ds')"),
    ("A", "select lastval()"),  # the sequence is gone
    ("A", "select count(*) from pg_namespace where oid = pg_my_temp_schema()"),  # the schema stays
    ("A", "create temp table tq_d (a int)"),
    ("A", "begin"),
    ("A", "discard temp"),
    ("A", "rollback"),
    ("A", "select a from tq_d"),  # back
    ("A", "create sequence tq_dp"),
    ("A", "select nextval('tq_dp')"),
    ("A", "discard sequences"),
    ("A", "select currval('tq_dp')"),
    ("A", "select lastval()"),
    ("A", "select nextval('tq_dp')"),
    ("A", "create temp table tq_d2 (a int)"),
    ("B", "create temp table tq_d2 (b int)"),
    ("A", "discard all"),
    ("A", "select a from tq_d2"),
    ("A", "select currval('tq_dp')"),
    ("B", "select b from tq_d2"),  # another session's temporary table is untouched
    ("A", "drop sequence tq_dp"),
]


def test_pg_temp_alias_two_sessions(rem_dsn: str, pg_dsn: str) -> None:
    out = compare(rem_dsn, pg_dsn, PG_TEMP_ALIAS)
    assert out["create table pg_temp.tq_t (a int, b serial)"] == ("rows", "'CREATE TABLE'")
    assert out["select relpersistence from pg_class where relname = 'tq_ctas'"] == ("rows", "[('t',)]")
    assert out["select a from {A}.tq_t"] == ("error", "0A000")
    assert out["select a from pg_temp.tq_t"] == ("error", "42P01")


def test_temp_sequences_two_sessions(rem_dsn: str, pg_dsn: str) -> None:
    try:
        out = compare(rem_dsn, pg_dsn, TEMP_SEQUENCES)
    finally:
        for dsn in (rem_dsn, pg_dsn):
            with psycopg.connect(dsn, autocommit=True) as c:
                c.execute("drop sequence if exists tq_s, tq_ps")
    assert out["select nextval('tq_s'), nextval('tq_s2'), nextval('tq_ps')"] == ("rows", "[(1, 10, 1)]")
    assert out["select nextval('tq_s2')"] == ("error", "42P01")


def _temp_relations(c: psycopg.Connection, prefix: str) -> list[str]:
    return [r[0] for r in c.execute("select relname::text from pg_class where relname like %s and "
                                    "relpersistence = 't' order by 1", (prefix + "%",)).fetchall()]


def _wait_gone(c: psycopg.Connection, prefix: str, seconds: float = 10.0) -> list[str]:
    end = time.monotonic() + seconds
    while (left := _temp_relations(c, prefix)) and time.monotonic() < end:
        time.sleep(0.05)
    return left


def test_temp_sequences_dropped_with_the_session(rem_dsn: str, pg_dsn: str) -> None:
    for dsn in (rem_dsn, pg_dsn):
        with psycopg.connect(dsn, autocommit=True) as other:
            with psycopg.connect(dsn, autocommit=True) as c:
                c.execute("create temp sequence tq_end_s")
                c.execute("create table pg_temp.tq_end_t (id serial, v text)")
                c.execute("insert into tq_end_t (v) values ('x')")
                assert c.execute("select nextval('tq_end_s')").fetchone()[0] == 1
                assert _temp_relations(other, "tq_end") == ["tq_end_s", "tq_end_t", "tq_end_t_id_seq"]
            assert _wait_gone(other, "tq_end") == []
            other.execute("create sequence tq_end_s")  # the name is free in public
            assert other.execute("select nextval('tq_end_s')").fetchone()[0] == 1
            other.execute("drop sequence tq_end_s")


def test_missing_pg_temp_relation_named_as_given(rem_dsn: str) -> None:
    with psycopg.connect(rem_dsn, autocommit=True) as c:
        for _ in range(2):  # without, then with a temporary schema
            with pytest.raises(psycopg.errors.UndefinedTable, match='relation "pg_temp.tq_none" does not exist'):
                c.execute("select a from pg_temp.tq_none")
            c.execute("create temp table if not exists tq_some (a int)")


def test_copy_into_pg_temp(rem_dsn: str, pg_dsn: str) -> None:
    for dsn in (rem_dsn, pg_dsn):
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("create temp table tq_copy (a int, v text)")
            with c.cursor().copy("copy pg_temp.tq_copy (a, v) from stdin") as cp:
                cp.write_row((1, "x"))
                cp.write_row((2, "y"))
            assert c.execute("select a, v from pg_temp.tq_copy order by a").fetchall() == [(1, "x"), (2, "y")]
            with c.cursor().copy("copy pg_temp.tq_copy (a, v) to stdout") as cp:
                assert sorted(bytes(b) for b in cp) == [b"1\tx\n", b"2\ty\n"]


def test_discard_temp_and_sequences(rem_dsn: str, pg_dsn: str) -> None:
    out = compare(rem_dsn, pg_dsn, DISCARD)
    assert out["select a from tq_d2"] == ("error", "42P01")
    assert out["select b from tq_d2"] == ("rows", "[]")
