"""Prepared statements that read tables outside a transaction block run in a reused read-only store transaction
(``Session.with_txn`` → ``_read_txn``) and, alone in a Bind…Sync batch, without the implicit transaction; the
session's TimeZone/DateStyle for casts and the plan version are derived once per SET. Nothing of that may show:
settings changed between two executions apply, each statement sees the commits acknowledged before it, a SELECT
that writes commits, errors and timeouts behave as before."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from engine.database import open_database
from engine.settings import Settings


@pytest.fixture
def table(conn: psycopg.Connection) -> Any:
    name = f"rs_{uuid.uuid4().hex[:8]}"
    conn.execute(f"CREATE TABLE {name} (id int PRIMARY KEY, category text, ts timestamptz, note text)")
    conn.execute(f"CREATE INDEX ON {name} (category)")
    conn.execute(f"INSERT INTO {name} VALUES (1, 'a', '2024-01-02 03:04:05+00', '01/02/2020'), "
                 "(2, 'a', '2024-06-01 12:00:00+00', '03/04/2021'), (3, 'b', NULL, NULL)")
    yield name
    conn.execute(f"DROP TABLE {name}")


def test_set_timezone_between_executions_changes_output(conn: psycopg.Connection, table: str) -> None:
    sql = f"SELECT id, ts::text FROM {table} WHERE category = %s ORDER BY id"
    conn.execute("SET TimeZone = 'UTC'")
    assert conn.execute(sql, ("a",), prepare=True).fetchall() == [
        (1, "2024-01-02 03:04:05+00"), (2, "2024-06-01 12:00:00+00")]
    conn.execute("SET TimeZone = 'Asia/Tokyo'")
    assert conn.execute(sql, ("a",), prepare=True).fetchall() == [
        (1, "2024-01-02 12:04:05+09"), (2, "2024-06-01 21:00:00+09")]
    with conn.transaction():  # SET LOCAL, then its end: the next statement is back in Tokyo
        conn.execute("SET LOCAL TimeZone = 'UTC'")
        assert conn.execute(sql, ("a",), prepare=True).fetchall()[0] == (1, "2024-01-02 03:04:05+00")
    assert conn.execute(sql, ("a",), prepare=True).fetchall()[0] == (1, "2024-01-02 12:04:05+09")
    conn.execute("RESET TimeZone")


def test_set_datestyle_between_executions_changes_casts(conn: psycopg.Connection, table: str) -> None:
    sql = f"SELECT note::date::text FROM {table} WHERE id = %s"
    conn.execute("SET DateStyle = 'ISO, MDY'")
    assert conn.execute(sql, (1,), prepare=True).fetchone() == ("2020-01-02",)
    conn.execute("SET DateStyle = 'ISO, DMY'")
    assert conn.execute(sql, (1,), prepare=True).fetchone() == ("2020-02-01",)
    conn.execute("RESET DateStyle")
    assert conn.execute(sql, (1,), prepare=True).fetchone() == ("2020-01-02",)


def test_each_read_sees_commits_acknowledged_before_it(conn: psycopg.Connection, rem_dsn: str, table: str) -> None:
    sql = f"SELECT count(*) FROM {table} WHERE category = %s"
    with psycopg.connect(rem_dsn, autocommit=True) as other:
        for i in range(10, 20):
            assert conn.execute(sql, ("c",), prepare=True).fetchone() == (i - 10,)
            other.execute(f"INSERT INTO {table} VALUES (%s, 'c', NULL, NULL)", (i,))
        assert conn.execute(sql, ("c",), prepare=True).fetchone() == (10,)
        other.execute(f"DELETE FROM {table} WHERE category = 'c'")
        assert conn.execute(sql, ("c",), prepare=True).fetchone() == (0,)


def test_a_select_that_writes_commits(conn: psycopg.Connection, rem_dsn: str) -> None:
    tag = uuid.uuid4().hex[:8]
    conn.execute(f"CREATE TABLE rs_nodes_{tag} (name text, note text)")
    a, b = f"{tag}:a", f"{tag}:b"
    conn.execute(f"INSERT INTO rs_nodes_{tag} (name, note) VALUES (%s, 'x'), (%s, 'y')", (a, b))
    assert conn.execute("SELECT rem_add_edge(%s, %s, 'r', 1.0)", (a, b), prepare=True).fetchone() == (True,)
    with psycopg.connect(rem_dsn, autocommit=True) as other:
        got = other.execute("SELECT count(*) FROM rem_traverse(%s, 1)", (a,), prepare=True).fetchone()
    assert got == (1,)
    conn.execute(f"DROP TABLE rs_nodes_{tag}")


def test_errors_and_timeouts_of_reads(conn: psycopg.Connection, table: str) -> None:
    sql = f"SELECT 10 / (id - %s) FROM {table} WHERE category = 'a' ORDER BY id"
    with pytest.raises(psycopg.errors.DivisionByZero):
        conn.execute(sql, (1,), prepare=True)
    assert conn.execute(sql, (0,), prepare=True).fetchall() == [(10,), (5,)]
    conn.execute("SET statement_timeout = 100")
    try:
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute(f"SELECT pg_sleep(%s) FROM {table} WHERE id = 1", (2,), prepare=True)
    finally:
        conn.execute("SET statement_timeout = 0")
    assert conn.execute(f"SELECT count(*) FROM {table} WHERE category = %s", ("a",), prepare=True).fetchone() == (2,)


def test_txid_differs_per_statement_outside_a_block(conn: psycopg.Connection, table: str) -> None:
    sql = f"SELECT txid_current(), count(*) FROM {table}"
    one = conn.execute(sql, prepare=True).fetchone()
    two = conn.execute(sql, prepare=True).fetchone()
    assert one is not None and two is not None and one[0] != two[0]
    with conn.transaction():
        three = conn.execute(sql, prepare=True).fetchone()
        four = conn.execute(sql, prepare=True).fetchone()
        assert three is not None and four is not None and three[0] == four[0]


def test_the_read_transaction_is_reused_and_never_holds_writes(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path / "db", core_schemas=False))
    s = db.session("rem", "rem")
    try:
        s.execute(s.prepare("CREATE TABLE t (id int PRIMARY KEY, v text)"))
        s.execute(s.prepare("INSERT INTO t VALUES (1, 'a')"))
        read = s.prepare("SELECT v FROM t WHERE v = $1", [25])
        assert list(s.execute(read, ["a"]).rows) == [("a",)]
        txn = s._ro_txn
        assert txn is not None and not txn.closed
        other = db.session("rem", "rem")
        other.execute(other.prepare("INSERT INTO t VALUES (2, 'a')"))
        other.close()
        assert sorted(s.execute(read, ["a"]).rows) == [("a",), ("a",)]  # a new snapshot per statement
        assert s._ro_txn is txn and not txn.has_writes
        s.execute(s.prepare("BEGIN"))
        s.execute(s.prepare("INSERT INTO t VALUES (3, 'a')"))
        assert len(list(s.execute(read, ["a"]).rows)) == 3  # in a block: the block's transaction
        s.execute(s.prepare("ROLLBACK"))
        assert len(list(s.execute(read, ["a"]).rows)) == 2
        assert s._ro_txn is txn and not txn.has_writes
    finally:
        s.close()
        db.close()


def _batch(stmt: str, params: list[bytes | None], rfmts: tuple[int, ...] = (0,)) -> bytes:
    from remwire.protocol import messages as m

    return (m.Bind("", stmt, (0,), tuple(params), rfmts).encode() + m.Describe("P", "").encode()
            + m.Execute("", 0).encode() + m.Sync().encode())


def test_read_batches_answer_as_the_message_loop(tmp_path: Path) -> None:
    """The same bytes whether a Bind/Describe/Execute/Sync batch takes the read fast path (one feed) or the
    message loop (fed in two pieces): rows, text and binary, errors, a stale plan, inside a block, constant
    SELECTs."""
    from remwire.connection import Connection
    from remwire.protocol import messages as m

    dbs = [open_database(Settings(data_dir=tmp_path / d, core_schemas=False)) for d in ("fast", "loop")]
    conns = [Connection(db) for db in dbs]
    taken: list[bool] = []
    real = conns[0]._read_batch

    def counted(p: Any, parts: Any) -> bool:
        taken.append(real(p, parts))
        return taken[-1]

    conns[0]._read_batch = counted  # type: ignore[method-assign]
    try:
        def both(data: bytes) -> bytes:
            fast, loop = conns[0].feed(data), conns[1].feed(data[:3]) + conns[1].feed(data[3:])
            assert fast == loop
            return fast

        for c in conns:
            c.feed(m.StartupMessage(m.PROTOCOL_3_0, {"user": "rem", "database": "rem"}).encode())
        both(m.Query("CREATE TABLE t (id int PRIMARY KEY, category text, n int)").encode())
        both(m.Query("CREATE INDEX ON t (category)").encode())
        both(m.Query("INSERT INTO t SELECT g, 'c' || (g % 7), g FROM generate_series(1, 100) g").encode())
        both(m.Parse("s", "SELECT * FROM t WHERE category = $1", (25,)).encode() + m.Sync().encode())
        both(m.Parse("d", "SELECT 10 / (n - $1) FROM t WHERE category = 'c1' ORDER BY id", (23,)).encode()
             + m.Sync().encode())
        both(m.Parse("c", "SELECT $1::int + 1, $1::text || 'x', 10 / $1::int", (0,)).encode() + m.Sync().encode())
        for stmt, params, rfmts in [("s", [b"c3"], (0,)), ("s", [b"c3"], (1,)), ("s", [b"none"], ()),
                                    ("s", [None], ()), ("d", [b"0"], ()), ("d", [b"8"], ()), ("d", [b"x"], ()),
                                    ("c", [b"41"], (0,)), ("c", [b"41"], (1,)), ("c", [None], ()),
                                    ("c", [b"0"], ())]:
            out = both(_batch(stmt, params, rfmts))
            assert out.endswith(b"Z\x00\x00\x00\x05I")
        assert b"SELECT 14\x00" in both(_batch("s", [b"c3"]))
        assert b"22012" in both(_batch("d", [b"8"]))  # division by zero, after some rows
        assert b"22012" in both(_batch("c", [b"0"]))  # a constant SELECT (no table) takes the same path
        both(m.Query("ALTER TABLE t ADD COLUMN extra text DEFAULT 'x'").encode())
        both(_batch("s", [b"c3"]))  # stale plan: replanned (a different column list is reported, alike)
        both(m.Parse("s2", "SELECT * FROM t WHERE category = $1", (25,)).encode() + m.Sync().encode())
        assert b"SELECT 14" in both(_batch("s2", [b"c3"]))
        both(m.Query("BEGIN").encode())
        both(m.Query("INSERT INTO t (id, category, n) VALUES (1000, 'c3', 0)").encode())
        assert b"SELECT 15" in both(_batch("s2", [b"c3"]))
        both(m.Query("ROLLBACK").encode())
        assert b"SELECT 14" in both(_batch("s2", [b"c3"]))
        assert taken.count(True) >= 15  # most took the fast path (not: in the block, an undecodable parameter)
    finally:
        for c, db in zip(conns, dbs, strict=True):
            c.close()
            db.close()
