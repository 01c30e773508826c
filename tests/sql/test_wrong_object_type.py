"""Statements on the wrong kind of relation (a sequence, view, materialized view, catalog) and reserved schema
names: the same SQLSTATE, message, detail and hint on REM (a real server) as on PostgreSQL 15."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

SETUP = [
    "create sequence s",
    "create table t (id int primary key, x int)",
    "create view v as select count(*) from t",
    "create view vd as select distinct x from t",
    "create view vj as select t.id from t, t t2",
    "create view vc as select 1 as a from t",
    "create view vs as select * from s",
    "create materialized view mv as select 1 as a",
]


def outcomes(dsn: str, schema: str, stmts: list[str]) -> list[tuple[Any, ...]]:
    """Each statement's outcome in a fresh schema: ("ok", tag, rows) or (sqlstate, message, detail, hint)."""
    out: list[tuple[Any, ...]] = []
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(f"create schema {schema}")
        c.execute(f"set search_path = {schema}")
        try:
            for sql in SETUP + stmts:
                try:
                    cur = c.execute(sql)
                    out.append(("ok", cur.statusmessage, cur.fetchall() if cur.description else None))
                except psycopg.Error as e:
                    d = e.diag
                    out.append((e.sqlstate, d.message_primary, d.message_detail, d.message_hint))
        finally:
            c.execute(f"drop schema {schema} cascade")
    return out[len(SETUP):]


def same(rem_dsn: str, pg_dsn: str, schema: str, stmts: list[str]) -> dict[str, tuple[Any, ...]]:
    """Asserts REM and PostgreSQL give each statement the same outcome; the outcomes by statement."""
    rem, ref = outcomes(rem_dsn, schema, stmts), outcomes(pg_dsn, schema, stmts)
    for sql, r, p in zip(stmts, rem, ref, strict=True):
        assert r == p, f"{sql}\n  REM: {r}\n  PG:  {p}"
    return dict(zip(stmts, rem, strict=True))


def test_writes_to_a_sequence(rem_dsn: str, pg_dsn: str) -> None:
    got = same(rem_dsn, pg_dsn, "wot_seq", [
        "insert into s values (1, 0, false)",
        "insert into s (last_value) values (1)",
        "update s set last_value = 5",
        "delete from s",
        "delete from wot_seq.s",
        "truncate s",
        "truncate t, s",
        "truncate s, nosuch",
        "truncate nosuch, s",
        "select last_value, is_called from s",
    ])
    assert got["update s set last_value = 5"][:2] == ("42809", 'cannot change sequence "s"')
    assert got["truncate t, s"][:2] == ("42809", '"s" is not a table')
    assert got["select last_value, is_called from s"] == ("ok", "SELECT 1", [(1, False)])


def test_row_locks_over_a_sequence(rem_dsn: str, pg_dsn: str) -> None:
    got = same(rem_dsn, pg_dsn, "wot_lock", [
        "select * from s for update",
        "select * from s for share",
        "select last_value from s for key share",
        "select * from s for no key update nowait",
        "select * from t, s for update of t",
        "select * from t join s on true for update",
        "select * from (select * from s) q for update",
        "select * from vs for update",
        "select * from mv for update",
        "select * from t where exists (select 1 from s) for update",
        "with q as (select * from s) select last_value from q for update",
        "select * from t for update",
    ])
    assert got["select * from vs for update"][:2] == ("42809", 'cannot lock rows in sequence "s"')
    assert got["select * from mv for update"][:2] == ("42809", 'cannot lock rows in materialized view "mv"')
    assert got["with q as (select * from s) select last_value from q for update"] == ("ok", "SELECT 1", [(1,)])


def test_writes_to_views_and_materialized_views(rem_dsn: str, pg_dsn: str) -> None:
    got = same(rem_dsn, pg_dsn, "wot_view", [
        "insert into v values (1)",
        "update v set count = 1",
        "delete from v",
        "insert into vd values (1)",
        "delete from vj",
        "insert into vc values (1)",
        "truncate v",
        "truncate t, vs",
        "insert into vs values (1, 0, false)",
        "delete from vs",
        "insert into mv values (1)",
        "update mv set a = 2",
        "delete from mv",
        "truncate mv",
    ])
    assert got["delete from v"] == (
        "55000", 'cannot delete from view "v"', "Views that return aggregate functions are not automatically updatable.",
        "To enable deleting from the view, provide an INSTEAD OF DELETE trigger or an unconditional ON DELETE DO "
        "INSTEAD rule.")
    assert got["insert into mv values (1)"][:2] == ("42809", 'cannot change materialized view "mv"')


def test_writes_to_catalogs(rem_dsn: str, pg_dsn: str) -> None:
    """TRUNCATE as PostgreSQL; DML on a catalog view keeps PostgreSQL's SQLSTATE, message and hint (no detail)."""
    same(rem_dsn, pg_dsn, "wot_cat", ["truncate pg_class", "truncate information_schema.tables"])
    stmts = ["insert into information_schema.tables (table_name) values ('x')", "delete from pg_tables where false",
             "update pg_views set viewname = 'x' where false"]
    for sql, r, p in zip(stmts, outcomes(rem_dsn, "wot_cat", stmts), outcomes(pg_dsn, "wot_cat", stmts), strict=True):
        assert (r[0], r[1], r[3]) == (p[0], p[1], p[3]), sql
    # PostgreSQL lets a superuser write its catalogs; REM's are computed: 42501, PostgreSQL's TRUNCATE text
    for sql in ("insert into pg_class (relname) values ('x')", "update pg_class set relname = 'y' where false"):
        assert outcomes(rem_dsn, "wot_cat", [sql]) == [
            ("42501", 'permission denied: "pg_class" is a system catalog', None, None)]


@pytest.mark.parametrize("name", ["pg_foo", '"pg_Foo"', "pg_"])
def test_pg_schema_names_are_reserved(rem_dsn: str, pg_dsn: str, name: str) -> None:
    got = same(rem_dsn, pg_dsn, "wot_nsp", [f"create schema {name}", f"create schema if not exists {name}"])
    shown = name.strip('"')
    assert got[f"create schema {name}"] == (
        "42939", f'unacceptable schema name "{shown}"', 'The prefix "pg_" is reserved for system schemas.', None)


def test_views_through_which_postgresql_writes(conn: psycopg.Connection) -> None:
    """A view PostgreSQL updates automatically: REM does not write through views (0A000)."""
    conn.execute("create table wot_base (id int primary key)")
    conn.execute("create view wot_vu as select * from wot_base")
    try:
        with pytest.raises(psycopg.errors.FeatureNotSupported, match='cannot insert into view "wot_vu"'):
            conn.execute("insert into wot_vu values (1)")
    finally:
        conn.execute("drop view wot_vu")
        conn.execute("drop table wot_base")
