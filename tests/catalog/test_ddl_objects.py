"""DDL objects over the wire, REM next to PostgreSQL 15: constraints (catalog text and enforcement), schemas and
search_path, sequences and identity options, views, comments. Each test runs the same statements on both servers
(a fresh database on each side) and compares results, SQLSTATEs and messages."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from tests.fix_server import RemServer

_DB = itertools.count()


@pytest.fixture(scope="module")
def rem_ddl() -> Iterator[RemServer]:
    with RemServer() as srv:
        yield srv


@pytest.fixture()
def both(rem_ddl: RemServer, pg_dsn: str) -> Iterator[tuple[psycopg.Connection, psycopg.Connection]]:
    """(rem, pg) autocommit connections to fresh, empty databases."""
    name = f"ddl_{next(_DB)}"
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        c.execute(f"drop database if exists {name}")
        c.execute(f"create database {name}")
    pg = psycopg.connect(pg_dsn.replace("dbname=postgres", f"dbname={name}"), autocommit=True)
    rem = psycopg.connect(rem_ddl.dsn, autocommit=True)
    for s in rem.execute("select nspname from pg_namespace where nspname not in "
                         "('pg_catalog','information_schema','pg_toast','public')").fetchall():
        rem.execute(f'drop schema "{s[0]}" cascade')
    rem.execute("drop schema public cascade")
    rem.execute("set search_path to default")
    try:
        yield rem, pg
    finally:
        rem.close()
        pg.close()


def run(conn: psycopg.Connection, sql: str) -> Any:
    """Rows (or the status), or ('ERR', sqlstate, message, detail) for an error."""
    try:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else cur.statusmessage
    except psycopg.Error as e:
        return ("ERR", e.sqlstate, e.diag.message_primary, e.diag.message_detail)


def same(both: tuple[psycopg.Connection, psycopg.Connection], *stmts: str) -> list[Any]:
    rem, pg = both
    out = []
    for sql in stmts:
        a, b = run(rem, sql), run(pg, sql)
        assert a == b, f"{sql}\nREM: {a}\nPG:  {b}"
        out.append(a)
    return out


CONDEF = ("select conname, contype, pg_get_constraintdef(oid) from pg_constraint "
          "where conrelid = '{t}'::regclass order by conname")


def test_constraints_named_and_printed_like_postgres(both: Any) -> None:
    same(both,
         "create table p (id int primary key, name text unique, a int, b int, unique (a, b))",
         "create table c (id int primary key, pid int references p(id) on delete cascade on update set null, "
         "x int constraint x_pos check (x > 0), y text check (y <> 'hi' and x < 5), a int, b int, "
         "foreign key (a, b) references p (a, b) on delete set null deferrable initially deferred, "
         "constraint c_nm foreign key (y) references p (name) on delete restrict, check (x <> a), "
         "check (x < 100))",
         CONDEF.format(t="c"), CONDEF.format(t="p"),
         "select conname, confupdtype, confdeltype, confmatchtype, conkey, confkey, condeferrable, condeferred "
         "from pg_constraint where contype = 'f' order by 1",
         "select relchecks, relhastriggers from pg_class where relname in ('c', 'p') order by relname")


def test_constraint_catalog_views(both: Any) -> None:
    same(both,
         "create table p (id int primary key, code text unique)",
         "create table c (id int primary key, pid int references p, code text references p (code), "
         "n int check (n > 0))",
         "select constraint_name, table_name, constraint_type from information_schema.table_constraints "
         "where table_schema = 'public' and constraint_type <> 'CHECK' order by 1",
         "select constraint_name, column_name, ordinal_position from information_schema.key_column_usage "
         "where table_schema = 'public' order by 1, 3",
         "select constraint_name, unique_constraint_name, update_rule, delete_rule "
         "from information_schema.referential_constraints order by 1")


def test_foreign_keys_enforced(both: Any) -> None:
    same(both,
         "create table p (id int primary key, name text unique)",
         "create table c (id int primary key, pid int references p(id) on delete set null on update cascade, "
         "nm text references p(name) on delete restrict)",
         "create table g (id int primary key, cid int references c on delete cascade)",
         "insert into p values (1, 'a'), (2, 'b')",
         "insert into c values (1, 1, 'b'), (2, 2, null)",
         "insert into c values (3, 9, null)",
         "insert into c values (3, null, 'zz')",
         "insert into g values (1, 1), (2, 2)",
         "update c set pid = 5 where id = 1",
         "update p set id = 10 where id = 1",
         "select * from c order by id",
         "delete from p where id = 10",
         "select * from c order by id",
         "delete from p where id = 2",
         "delete from c where id = 1",
         "select * from g order by id",
         "drop table p",
         "drop table c cascade",
         "select conname from pg_constraint where conrelid = 'g'::regclass order by 1",
         "insert into g values (3, 77)")


def test_composite_and_self_references(both: Any) -> None:
    same(both,
         "create table p2 (a int, b int, primary key (a, b))",
         "create table c2 (id serial primary key, a int, b int, foreign key (a, b) references p2 on delete cascade)",
         "insert into p2 values (1, 1), (1, 2)",
         "insert into c2 (a, b) values (1, 1), (1, 2), (1, 2), (2, null)",
         "insert into c2 (a, b) values (2, 1)",
         "delete from p2 where b = 2",
         "select a, b from c2 order by id",
         "create table tree (id int primary key, parent int references tree)",
         "insert into tree values (1, null), (2, 1), (3, 2)",
         "insert into tree values (4, 99)",
         "delete from tree where id = 2",
         "create table x (id int)",
         "create table y (xid int references x)",
         "create table y (xid int references x (id))",
         "create table y (xid int references nosuch)")


def test_check_and_unique_enforced(both: Any) -> None:
    same(both,
         "create table t (id int primary key, x int check (x > 0) check (x < 10), y int constraint yy check (y > 0), "
         "a text, b text, check (x <> y), unique (a, b))",
         CONDEF.format(t="t"),
         "insert into t values (1, 1, 2, 'p', 'q')",
         "insert into t values (2, 0, 2, 'p', 'r')",
         "insert into t values (3, 1, 1, 'p', 'r')",
         "insert into t values (4, 11, 2, 'p', 'r')",
         "insert into t values (5, 1, -2, 'p', 'r')",
         "insert into t values (6, 1, 2, 'p', 'q')",
         "insert into t values (7, 1, 2, 'p', null), (8, 1, 2, 'p', null)",
         "update t set x = 20 where id = 1",
         "select id from t order by id")


def test_alter_table_constraints(both: Any) -> None:
    same(both,
         "create table p (id int primary key)",
         "create table c (id int primary key, pid int, n int)",
         "insert into p values (1)",
         "insert into c values (1, 1, 5), (2, 2, -1)",
         "alter table c add constraint c_fk foreign key (pid) references p",
         "alter table c add constraint n_pos check (n > 0)",
         "delete from c where id = 2",
         "alter table c add constraint c_fk foreign key (pid) references p",
         "alter table c add constraint n_pos check (n > 0)",
         "alter table c add unique (n)",
         CONDEF.format(t="c"),
         "insert into c values (3, 7, 1)",
         "insert into c values (3, 1, -7)",
         "alter table c drop constraint c_fk",
         "insert into c values (3, 7, 1)",
         "alter table c drop constraint nosuch",
         "alter table c drop constraint if exists nosuch")


def test_schemas_and_search_path(both: Any) -> None:
    same(both,
         "create schema test_schema",
         "create schema test_schema",
         "create schema if not exists test_schema",
         "create table test_schema.t (id serial primary key, x int)",
         "insert into test_schema.t (x) values (1), (2)",
         "select * from test_schema.t order by id",
         "select * from t",
         "set search_path to test_schema, public",
         "select current_schema(), current_schema",
         "select * from t order by id",
         "create table t2 (a int primary key)",
         "insert into t2 values (7)",
         "update t2 set a = 8",
         "select * from test_schema.t2",
         "select schemaname, tablename from pg_tables where schemaname not in ('pg_catalog', 'information_schema') "
         "order by 1, 2",
         "select pg_get_serial_sequence('test_schema.t', 'id')",
         "select nspname from pg_namespace where nspname like 'test%'",
         "create table nosuch.t (a int)",
         "set search_path to nosuch",
         "select current_schema()",
         "set search_path to public",
         "drop schema test_schema",
         "drop schema test_schema cascade",
         "drop schema test_schema",
         "drop schema if exists test_schema",
         "select nspname from pg_namespace where nspname like 'test%'")


def test_sequences(both: Any) -> None:
    same(both,
         "create sequence s1 start with 5 increment by 3",
         "select nextval('s1'), nextval('s1')",
         "select currval('s1')",
         "select setval('s1', 100)",
         "select nextval('s1')",
         "select setval('s1', 7, false)",
         "select nextval('s1')",
         "select sequencename, data_type, start_value, min_value, max_value, increment_by, cycle, last_value "
         "from pg_sequences",
         "select seqstart, seqincrement, seqmax, seqmin, seqcache, seqcycle from pg_sequence",
         "select relname, relkind from pg_class where relname = 's1'",
         "create sequence s1",
         "create sequence if not exists s1",
         "create sequence s2 as smallint maxvalue 3 no minvalue cycle",
         "select nextval('s2'), nextval('s2'), nextval('s2'), nextval('s2')",
         "create sequence s3 maxvalue 2",
         "select nextval('s3'), nextval('s3'), nextval('s3')",
         "select currval('s3')",
         "create sequence s4",
         "select currval('s4')",
         "drop sequence s1, s2",
         "select nextval('s1')",
         "drop sequence if exists s1",
         "create table q (id int default nextval('s3'))",
         "select relname from pg_class where relkind = 'S' order by 1")


def test_identity_and_serial_restart_after_drop(both: Any) -> None:
    same(both,
         "create table t (id int generated by default as identity (start with 3 increment by 5 no minvalue "
         "no maxvalue cache 10), x int)",
         "insert into t (x) values (1), (2)",
         "select * from t order by x",
         "drop table t",
         "create table t (id int generated always as identity, x int)",
         "insert into t (x) values (1), (2)",
         "select * from t order by x",
         "insert into t (id, x) values (9, 9)",
         "create table u (id serial, x int)",
         "insert into u (x) values (5), (6)",
         "drop table u",
         "create table u (id serial, x int)",
         "insert into u (x) values (5) returning id",
         "select currval('u_id_seq'), lastval()")


def test_views(both: Any) -> None:
    same(both,
         "create table t (a int, b text)",
         "insert into t values (1, 'x'), (2, 'y')",
         "create view v as select a, b from t where a > 1",
         "select * from v",
         "create view v as select 1",
         "create or replace view v as select a, b, a + 1 as c from t",
         "select * from v order by a",
         "select v.c, t.b from v join t on t.a = v.a order by 1",
         "create view w (n) as select count(*) from v",
         "select * from w",
         "select table_name from information_schema.views where table_schema = 'public' "
         "and table_name not like 'rem%' order by 1",
         "select viewname from pg_views where schemaname = 'public' and viewname not like 'rem%' order by 1",
         "select relname, relkind from pg_class where relname in ('v', 'w') order by 1",
         "select attname, format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'v'::regclass "
         "and attnum > 0 order by attnum",
         "drop table t",
         "drop view t",
         "drop view v",
         "drop view w",
         "drop view v",
         "drop view if exists v",
         "select * from v")


def test_comments(both: Any) -> None:
    same(both,
         "create table t (a int primary key, b text)",
         "comment on table t is 'the table'",
         "comment on column t.a is 'col a'",
         "select obj_description(oid, 'pg_class') from pg_class where relname = 't'",
         "select col_description(attrelid, attnum) from pg_attribute where attrelid = 't'::regclass "
         "and attnum > 0 order by attnum",
         "comment on column t.a is null",
         "comment on table t is ''",
         "select description from pg_description where objoid = 't'::regclass",
         "comment on column t.zz is 'x'",
         "comment on table nosuch is 'x'",
         "create table u (id int primary key, x int constraint zz check (x > 0))",
         "comment on constraint zz on u is 'u check'",
         "select obj_description(oid, 'pg_constraint') from pg_constraint where conname = 'zz'",
         "create table w (a varchar(5) primary key, constraint cc check (a = 'it''s'::text or a = 'b'))",
         "select pg_get_constraintdef(oid, true) from pg_constraint where conname = 'cc'")


def test_sqlalchemy_inspector(both: Any, rem_ddl: RemServer, pg_dsn: str) -> None:
    rem, pg = both
    ddl = ["create schema other",
           "create table p (id int primary key, code text, constraint p_code_uq unique (code))",
           "create table c (id int primary key, pid int references p on delete cascade, code text, n int, "
           "constraint c_code_fk foreign key (code) references p (code), constraint n_pos check (n > 0), "
           "unique (n, code))",
           "create table other.o (id int primary key, cid int references public.c (id))",
           "create view cv as select id, n from c",
           "comment on table c is 'children'"]
    same(both, *ddl)
    db = pg.info.dbname
    urls = [f"postgresql+psycopg://rem@127.0.0.1:{rem_ddl.port}/rem",
            f"postgresql+psycopg://rem@127.0.0.1:{pg.info.port}/{db}"]
    results = []
    for url in urls:
        eng = sa.create_engine(url)
        try:
            ins = sa.inspect(eng)
            results.append({
                "fks": ins.get_foreign_keys("c"),
                "other_fks": ins.get_foreign_keys("o", schema="other"),
                "uniques": sorted(ins.get_unique_constraints("c"), key=lambda u: u["name"]),
                "checks": ins.get_check_constraints("c"),
                "views": [v for v in ins.get_view_names() if not v.startswith("rem_")],
                "tables": sorted(ins.get_table_names()),
                "other_tables": ins.get_table_names(schema="other"),
                "schemas": sorted(s for s in ins.get_schema_names() if s != "information_schema"),
                "comment": ins.get_table_comment("c"),
                "view_cols": [c["name"] for c in ins.get_columns("cv")],
            })
        finally:
            eng.dispose()
    assert results[0] == results[1]


def test_transactional_ddl(both: Any) -> None:
    same(both,
         "create table keep (id int primary key, v text)",
         "insert into keep values (1, 'a')",
         "begin",
         "create table t1 (id serial primary key, x int)",
         "insert into t1 (x) values (1)",
         "drop table keep",
         "alter table t1 add column y int",
         "create view v1 as select * from t1",
         "create sequence sq",
         "create schema s9",
         "comment on table t1 is 'x'",
         "rollback",
         "select * from keep",
         "select * from t1",
         "select * from v1",
         "select nextval('sq')",
         "select nspname from pg_namespace where nspname = 's9'",
         "begin",
         "alter table keep add column z int",
         "alter table keep drop column v",
         "savepoint a",
         "create table t2 (a int primary key)",
         "rollback to savepoint a",
         "select * from t2",
         "rollback",
         "select * from keep",
         "begin",
         "drop table keep",
         "create table keep (id int primary key, w int)",
         "insert into keep values (5, 5)",
         "commit",
         "select * from keep",
         "begin",
         "create table t3 (a int primary key)",
         "insert into t3 values (1)",
         "select 1/0",
         "commit",
         "select * from t3")


def test_materialized_views_temp_tables_and_index_names_per_schema(both: Any) -> None:
    same(both,
         "create table t (a int primary key, b text)",
         "insert into t values (1, 'x')",
         "create materialized view mv as select a, b from t",
         "insert into t values (2, 'y')",
         "select * from mv order by a",
         "refresh materialized view mv",
         "select * from mv order by a",
         "create index mvi on mv (b)",
         "select relkind from pg_class where relname = 'mv'",
         "select matviewname from pg_matviews",
         "select attname from pg_attribute where attrelid = 'mv'::regclass and attnum > 0 order by attnum",
         "drop view mv",
         "drop table mv",
         "drop materialized view mv",
         "create temporary table tt (a int primary key)",
         "select relpersistence from pg_class where relname = 't'",
         "create schema s2",
         "create table s2.t (a int primary key, b text)",
         "create index b_idx on t (b)",
         "create index b_idx on s2.t (b)",
         "create index b_idx on s2.t (b)",
         "drop index s2.b_idx",
         "drop index b_idx",
         "drop index b_idx")


def test_generated_columns(both: Any) -> None:
    same(both,
         "create table sq (id serial primary key, side int, area int generated always as (side * side) stored, "
         "d int default 42)",
         "insert into sq (side) values (3), (null)",
         "update sq set side = 4 where id = 1",
         "select * from sq order by id",
         "select attname, attgenerated, pg_get_expr(adbin, adrelid) from pg_attribute a left join pg_attrdef d "
         "on d.adrelid = a.attrelid and d.adnum = a.attnum where attrelid = 'sq'::regclass and attnum > 0 "
         "order by attnum")


def test_enum_types(both: Any) -> None:
    same(both,
         "create type mood as enum ('sad', 'ok', 'happy')",
         "create type mood as enum ('x')",
         "create table p (id int primary key, m mood)",
         "insert into p values (1, 'ok'), (3, null)",
         "insert into p values (2, 'nope')",
         "select * from p order by id",
         "select t.typname, t.typtype, e.enumlabel, e.enumsortorder from pg_type t join pg_enum e "
         "on e.enumtypid = t.oid order by e.enumsortorder",
         "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'p'::regclass and attname = 'm'",
         "drop type mood",
         "drop table p",
         "drop type mood",
         "drop type if exists mood",
         "begin",
         "create type t2 as enum ('a')",
         "rollback",
         "select count(*) from pg_type where typname = 't2'")


def test_ddl_objects_survive_restart() -> None:
    srv = RemServer()
    srv.start()
    try:
        with psycopg.connect(srv.dsn, autocommit=True) as c:
            for q in ["create schema s1", "create table s1.p (id serial primary key, v text)",
                      "create table c (id int primary key, pid int references s1.p on delete cascade, "
                      "n int check (n > 0))",
                      "create sequence sq start 10", "select nextval('sq')", "create view v as select * from c",
                      "create type mood as enum ('a', 'b')", "create table e (id int primary key, m mood)",
                      "insert into s1.p (v) values ('x')", "insert into c values (1, 1, 1)",
                      "comment on table c is 'cc'"]:
                c.execute(q)
        srv.stop()
        srv.start()
        with psycopg.connect(srv.dsn, autocommit=True) as c:
            assert c.execute("select nextval('sq')").fetchone() == (11,)
            assert c.execute("select * from v").fetchall() == [(1, 1, 1)]
            assert c.execute("select conname from pg_constraint where conrelid = 'c'::regclass order by 1"
                             ).fetchall() == [("c_n_check",), ("c_pid_fkey",), ("c_pkey",)]
            assert c.execute("select obj_description('c'::regclass::oid, 'pg_class')").fetchone() == ("cc",)
            assert c.execute("insert into s1.p (v) values ('y') returning id").fetchone() == (2,)
            assert run(c, "insert into e values (1, 'z')")[1] == "22P02"
            assert run(c, "insert into c values (2, 99, 1)")[1] == "23503"
            c.execute("delete from s1.p")
            assert c.execute("select count(*) from c").fetchone() == (0,)
    finally:
        srv.cleanup()


def test_copy_through_search_path(rem_ddl: RemServer) -> None:
    with psycopg.connect(rem_ddl.dsn, autocommit=True) as c:
        c.execute("drop schema if exists cs cascade")
        c.execute("create schema cs")
        c.execute("create table cs.t (a int primary key, b text)")
        c.execute("set search_path to cs")
        with c.cursor().copy("copy t from stdin") as cp:
            cp.write_row((1, "x"))
        with c.cursor().copy("copy cs.t (a, b) from stdin") as cp:
            cp.write_row((2, "y"))
        assert c.execute("select * from cs.t order by a").fetchall() == [(1, "x"), (2, "y")]
        with c.cursor().copy("copy t to stdout") as cp:
            assert b"".join(bytes(x) for x in cp) == b"1\tx\n2\ty\n"
        c.execute("drop schema cs cascade")


def test_ddl_of_an_abandoned_transaction_is_undone(rem_ddl: RemServer) -> None:
    c = psycopg.connect(rem_ddl.dsn, autocommit=True)
    c.execute("drop table if exists abandoned")
    c.execute("begin")
    c.execute("create table abandoned (a int primary key)")
    c.close()
    with psycopg.connect(rem_ddl.dsn, autocommit=True) as c2:
        for _ in range(50):  # the server closes the session when it notices the disconnect
            if c2.execute("select count(*) from pg_class where relname = 'abandoned'").fetchone() == (0,):
                break
            time.sleep(0.1)
        assert c2.execute("select count(*) from pg_class where relname = 'abandoned'").fetchone() == (0,)
