"""A sequence read as a one-row relation (``SELECT * FROM s``) and ``information_schema.sequences``, compared
with PostgreSQL 15 over the wire: the same statements on both servers, rows (or SQLSTATEs) equal.

``{A}`` in a statement and in the results stands for session A's temporary schema (numbered differently on each
side); values are compared as text so that domain-typed information_schema columns match.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg

from engine.database import open_database
from engine.settings import Settings
from tests.sql.two_sessions import compare

READ = [
    ("A", "create sequence sr_s"),
    ("A", "select last_value, log_cnt, is_called from sr_s"),
    ("A", "select * from sr_s"),
    ("A", "select nextval('sr_s')"),
    ("A", "select * from sr_s"),
    ("A", "select nextval('sr_s'), nextval('sr_s')"),
    ("A", "select last_value, log_cnt, is_called from public.sr_s"),
    ("A", "select setval('sr_s', 10, false)"),
    ("A", "select * from sr_s"),
    ("A", "select nextval('sr_s')"),
    ("A", "select * from sr_s"),
    ("A", "select setval('sr_s', 20)"),
    ("A", "select * from sr_s"),
    ("A", "select nextval('sr_s')"),
    ("A", "select * from sr_s"),
    ("A", "alter sequence sr_s restart"),
    ("A", "select * from sr_s"),
    ("A", "alter sequence sr_s restart with 50"),
    ("A", "select * from sr_s"),
    ("A", "select nextval('sr_s')"),
    ("A", "select s.last_value + 1 as nxt, s.is_called from sr_s as s where s.log_cnt > 0"),
    ("A", "select sr_s.last_value from sr_s"),
    ("A", "select x.a, x.b from sr_s as x (a, b)"),
    ("A", "select g, last_value from generate_series(1, 2) g, sr_s order by g"),
    ("A", "select count(*) from sr_s"),
    ("A", "alter sequence sr_s increment by 5"),  # keeps the current value
    ("A", "select * from sr_s"),
    ("A", "select nextval('sr_s')"),
    ("A", "select * from sr_s"),
    ("A", "alter sequence sr_s start 7"),  # START alone does not restart
    ("A", "select * from sr_s"),
    ("A", "create sequence sr_fresh start 5"),
    ("A", "alter sequence sr_fresh start 7"),
    ("A", "select * from sr_fresh"),
    ("A", "select nextval('sr_fresh')"),
    ("A", "alter sequence sr_fresh minvalue 100"),  # 22023: the current value is below the new minimum
    ("A", "create sequence sr_down increment by -3 start with -10 minvalue -100 maxvalue -1"),
    ("A", "select * from sr_down"),
    ("A", "select nextval('sr_down'), nextval('sr_down')"),
    ("A", "select * from sr_down"),
    ("A", "select setval('sr_down', -50, false)"),
    ("A", "select * from sr_down"),
    ("A", "select sequencename, last_value from pg_sequences where sequencename in ('sr_s', 'sr_down') order by 1"),
    ("A", "create sequence sr_small as smallint maxvalue 3"),
    ("A", "select nextval('sr_small')"),
    ("A", "select * from sr_small"),
    ("A", "select nextval('sr_small'), nextval('sr_small')"),
    ("A", "select * from sr_small"),
    ("A", "create schema sr_sch"),
    ("A", "create sequence sr_sch.q start 5 increment 10"),
    ("A", "select * from sr_sch.q"),
    ("A", "select nextval('sr_sch.q')"),
    ("A", "select q.last_value, q.is_called from sr_sch.q"),
    ("A", "select * from q"),  # 42P01: not on the search path
    ("A", "set search_path = sr_sch, public"),
    ("A", "select * from q"),
    ("A", "reset search_path"),
    ("A", "select * from sr_nosuch"),
    ("A", "select * from sr_sch.sr_s"),
    ("A", "select nosuch from sr_s"),
    ("A", "create table sr_tab (id serial, v text)"),
    ("A", "insert into sr_tab (v) values ('a'), ('b')"),
    ("A", "select * from sr_tab_id_seq"),
    ("A", "create table sr_ident (id int generated always as identity (start with 7 increment by 2), v text)"),
    ("A", "select * from sr_ident_id_seq"),
    ("A", "insert into sr_ident (v) values ('a')"),
    ("A", "select * from sr_ident_id_seq"),
    ("A", "create temp sequence sr_t start 3"),
    ("A", "select * from sr_t"),
    ("A", "select nextval('pg_temp.sr_t')"),
    ("A", "select * from pg_temp.sr_t"),
    ("A", "select * from {A}.sr_t"),
    ("B", "select * from sr_t"),  # 42P01
    ("B", "select * from {A}.sr_t"),  # 0A000
    ("B", "select * from sr_s"),
    ("A", "begin"),
    ("A", "select nextval('sr_s')"),
    ("A", "rollback"),
    ("A", "select * from sr_s"),  # nextval is not undone
    ("A", "select setval('sr_s', 70, false)"),
    ("A", "begin"),
    ("A", "alter sequence sr_s increment by 3 restart with 5"),
    ("A", "select nextval('sr_s')"),
    ("A", "rollback"),
    ("A", "select * from sr_s"),
    ("A", "select nextval('sr_s')"),
    ("A", "begin"),
    ("A", "drop sequence sr_s"),
    ("A", "rollback"),
    ("A", "select * from sr_s"),
    ("A", "create view sr_v as select last_value, is_called from sr_s"),
    ("A", "create view sr_v2 as select last_value from sr_v"),
    ("A", "select * from sr_v2"),
    ("A", "drop sequence sr_s"),  # 2BP01
    ("A", "drop sequence sr_s restrict"),
    ("A", "drop sequence sr_s cascade"),
    ("A", "select * from sr_v"),
    ("A", "select is_called from sr_s"),
    ("A", "create sequence sr_s"),
    ("A", "drop sequence sr_t"),
    ("A", "select * from pg_temp.sr_t"),
]

INFO = [
    ("A", "create schema sr_is"),
    ("A", "create sequence sr_is.plain"),
    ("A", "create sequence sr_is.neg as integer increment by -2 minvalue -50 maxvalue 0 cycle"),
    ("A", "create sequence sr_is.small as smallint start 10 minvalue 5 maxvalue 300 increment 3"),
    ("A", "create table sr_is.t (id serial, b bigserial, s smallserial)"),
    ("A", "create table sr_is.i (id bigint generated by default as identity (start 100), v text)"),
    ("A", "select sequence_catalog = current_database(), sequence_schema, sequence_name, data_type, "
          "numeric_precision, numeric_precision_radix, numeric_scale, start_value, minimum_value, maximum_value, "
          "increment, cycle_option from information_schema.sequences where sequence_schema = 'sr_is' "
          "order by sequence_name"),
    ("A", "select column_name, data_type from information_schema.columns where table_schema = 'information_schema' "
          "and table_name = 'sequences' order by ordinal_position"),
    ("A", "select nextval('sr_is.plain')"),
    ("A", "alter sequence sr_is.plain maxvalue 1000 no cycle"),
    ("A", "select maximum_value, cycle_option from information_schema.sequences "
          "where sequence_schema = 'sr_is' and sequence_name = 'plain'"),
    ("A", "create temp sequence sr_is_tmp start 2"),
    ("A", "select sequence_schema = '{A}', start_value from information_schema.sequences "
          "where sequence_name = 'sr_is_tmp'"),
    ("B", "select count(*) from information_schema.sequences where sequence_name = 'sr_is_tmp'"),  # not another's
    ("A", "drop sequence sr_is_tmp"),
    ("A", "drop table sr_is.t"),
    ("A", "select sequence_name from information_schema.sequences where sequence_schema = 'sr_is' order by 1"),
]


def _cleanup(dsns: tuple[str, ...], sql: str) -> None:
    for dsn in dsns:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(sql)


def test_sequence_read_as_a_relation(rem_dsn: str, pg_dsn: str) -> None:
    try:
        out = compare(rem_dsn, pg_dsn, READ, as_text=True)
    finally:
        _cleanup((rem_dsn, pg_dsn), "drop sequence if exists sr_s, sr_fresh, sr_down, sr_small; "
                                    "drop table if exists sr_tab, sr_ident; drop schema if exists sr_sch cascade")
    assert out["select * from sr_s"][0] == "rows"
    assert out["select last_value, log_cnt, is_called from sr_s"] == ("rows", "[('1', '0', 'False')]")
    assert out["select * from sr_nosuch"] == ("error", "42P01")


def test_information_schema_sequences(rem_dsn: str, pg_dsn: str) -> None:
    try:
        out = compare(rem_dsn, pg_dsn, INFO, as_text=True)
    finally:
        _cleanup((rem_dsn, pg_dsn), "drop schema if exists sr_is cascade")
    listed = out["select sequence_name from information_schema.sequences where sequence_schema = 'sr_is' order by 1"]
    assert listed == ("rows", "[('neg',), ('plain',), ('small',)]")


def _psql(dsn: str, command: str) -> str:
    psql = shutil.which("psql")
    assert psql is not None
    res = subprocess.run([psql, "-X", "-d", dsn, "-c", command], capture_output=True, text=True, timeout=60,
                         check=False)
    return res.stdout + res.stderr


def test_psql_describe_sequence(rem_dsn: str, pg_dsn: str) -> None:
    setup = ("create sequence sr_psql as integer start 3 increment 2 maxvalue 999 cycle; "
             "select nextval('sr_psql'); create table sr_psql_t (id serial)")
    _cleanup((rem_dsn, pg_dsn), setup)
    try:
        for cmd in (r"\d sr_psql", r"\d sr_psql_t_id_seq", r"\ds sr_psql*", "table sr_psql",
                    "select * from sr_psql_t_id_seq"):
            assert _psql(rem_dsn, cmd) == _psql(pg_dsn, cmd), cmd
    finally:
        _cleanup((rem_dsn, pg_dsn), "drop sequence if exists sr_psql; drop table if exists sr_psql_t")


def test_is_called_survives_a_restart(tmp_path: Path) -> None:
    """setval(…, false) / RESTART state is stored: after reopening, the relation shows it unchanged."""
    settings = Settings(data_dir=tmp_path / "db")
    steps = ["create sequence sr_r1", "select setval('sr_r1', 40, false)",
             "create sequence sr_r2 start 9", "alter sequence sr_r2 restart with 20",
             "create sequence sr_r3", "select nextval('sr_r3')"]
    query = "select (select row(last_value, is_called)::text from sr_r1), " \
            "(select row(last_value, is_called)::text from sr_r2), (select row(last_value, is_called)::text from sr_r3)"
    db = open_database(settings)
    try:
        s = db.session("rem", "rem", {})
        for sql in steps:
            s.execute(s.prepare(sql, ()), ())
        before = list(s.execute(s.prepare(query, ()), ()).rows)
        s.close()
    finally:
        db.close()
    db = open_database(settings)
    try:
        s = db.session("rem", "rem", {})
        after = list(s.execute(s.prepare(query, ()), ()).rows)
        nxt = list(s.execute(s.prepare("select nextval('sr_r1'), nextval('sr_r2'), nextval('sr_r3')", ()), ()).rows)
        s.close()
    finally:
        db.close()
    assert before == after == [("(40,f)", "(20,f)", "(1,t)")]
    assert nxt == [(40, 20, 2)]


def _drop_error(dsn: str) -> tuple[str | None, str | None, str | None]:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("create sequence sr_dep; create view sr_dep_v as select last_value from sr_dep; "
                  "create view sr_dep_v2 as select * from sr_dep_v")
        try:
            c.execute("drop sequence sr_dep")
        except psycopg.Error as e:
            return e.sqlstate, e.diag.message_primary, e.diag.message_detail
        finally:
            c.execute("drop sequence if exists sr_dep cascade")
    return None, None, None


def test_drop_sequence_read_by_a_view(rem_dsn: str, pg_dsn: str) -> None:
    rem = _drop_error(rem_dsn)
    assert rem == _drop_error(pg_dsn)
    assert rem[0] == "2BP01"
