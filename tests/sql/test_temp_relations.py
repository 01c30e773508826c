"""Temporary tables and views end with their session, over the wire, as in PostgreSQL."""

from __future__ import annotations

import os
import signal
import time

import psycopg
import pytest

from tests.fix_server import RemServer


def _exists(c: psycopg.Connection, name: str) -> bool:
    return c.execute("select count(*) from pg_class where relname = %s", (name,)).fetchone()[0] == 1


def _wait_gone(c: psycopg.Connection, name: str, seconds: float = 10.0) -> bool:
    """The server closes the session after the socket closes: poll until the relation is gone."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not _exists(c, name):
            return True
        time.sleep(0.05)
    return False


def test_temp_relations_dropped_when_the_session_ends(rem_dsn: str) -> None:
    with psycopg.connect(rem_dsn, autocommit=True) as other:
        with psycopg.connect(rem_dsn, autocommit=True) as c:
            c.execute("create temp table tmp_sess (a int primary key, b text)")
            c.execute("insert into tmp_sess values (1, 'x'), (2, 'y')")
            c.execute("create temp table tmp_ctas as select a * 10 as a10 from tmp_sess")
            c.execute("create temp view tmp_view as select a from tmp_sess where a > 1")
            c.execute("create table keep_me (a int)")
            assert c.execute("select count(*) from tmp_view").fetchone()[0] == 1
            assert c.execute("select sum(a10) from tmp_ctas").fetchone()[0] == 30
            assert _exists(other, "tmp_sess")
            # private to the session: invisible by name to others, whose own temp table of that name is separate
            with pytest.raises(psycopg.errors.UndefinedTable):
                other.execute("select * from tmp_sess")
            other.execute("create temp table tmp_sess (z text)")
            other.execute("insert into tmp_sess values ('other')")
            assert c.execute("select count(*) from tmp_sess").fetchone()[0] == 2
            assert other.execute("select z from tmp_sess").fetchall() == [("other",)]
            other.execute("drop table tmp_sess")
            temp = c.execute("select (current_schemas(true))[1]").fetchone()[0]
            assert temp.startswith("pg_temp_")
            assert c.execute("select n.nspname from pg_class r join pg_namespace n on n.oid = r.relnamespace "
                             "where relname = 'tmp_ctas'").fetchone()[0] == temp
            assert c.execute("select relpersistence from pg_class where relname = 'tmp_view'").fetchone()[0] == "t"
            assert c.execute("select pg_table_is_visible('tmp_sess'::regclass)").fetchone()[0] is True
            assert c.execute("select (current_schemas(true))[1]").fetchone()[0] == temp
            assert other.execute("select count(*) from pg_namespace where nspname = %s", (temp,)).fetchone()[0] == 1
        for name in ("tmp_view", "tmp_sess", "tmp_ctas"):
            assert _wait_gone(other, name), name
        assert other.execute("select count(*) from pg_namespace where nspname = %s", (temp,)).fetchone()[0] == 0
        assert _exists(other, "keep_me")
        other.execute("drop table keep_me")
        # the name is free again
        other.execute("create temp table tmp_sess (z int)")
        other.execute("drop table tmp_sess")


def test_temp_table_rolled_back_is_not_dropped_twice(rem_dsn: str) -> None:
    with psycopg.connect(rem_dsn) as c:
        c.execute("create temp table tmp_rb (a int)")
        c.rollback()
        c.execute("create table tmp_rb (a int)")  # a regular table of the same name, created after the rollback
        c.commit()
    with psycopg.connect(rem_dsn, autocommit=True) as other:
        time.sleep(0.3)
        assert _exists(other, "tmp_rb")  # not temporary: survives the session
        other.execute("drop table tmp_rb")


def test_leftover_temp_tables_dropped_at_start_after_kill() -> None:
    srv = RemServer()
    srv.start()
    try:
        with psycopg.connect(srv.dsn, autocommit=True) as c:
            c.execute("create temp table tmp_orphan (a int)")
            c.execute("insert into tmp_orphan values (1)")
            c.execute("create table durable (a int)")
            c.execute("insert into durable values (7)")
            assert srv.proc is not None
            os.kill(srv.proc.pid, signal.SIGKILL)
            srv.proc.wait()
        srv.start()
        with psycopg.connect(srv.dsn, autocommit=True) as c:
            assert not _exists(c, "tmp_orphan")
            assert c.execute("select a from durable").fetchall() == [(7,)]
    finally:
        srv.cleanup()


def test_temp_table_options(rem_dsn: str) -> None:
    with psycopg.connect(rem_dsn, autocommit=True) as c:
        with pytest.raises(psycopg.errors.InvalidTableDefinition):
            c.execute("create temp table public.tmp_bad (a int)")
        c.execute("create temp table tmp_serial (id serial primary key, v text)")
        c.execute("insert into tmp_serial (v) values ('a'), ('b')")
        assert c.execute("select id, v from tmp_serial order by id").fetchall() == [(1, "a"), (2, "b")]
        c.execute("create table tmp_perm (a int)")  # a permanent table still goes to public
        assert c.execute("select n.nspname from pg_class r join pg_namespace n on n.oid = r.relnamespace "
                         "where relname = 'tmp_perm'").fetchone()[0] == "public"
        c.execute("drop table tmp_perm")
