"""CancelRequest and statement_timeout stop a running statement with 57014; the session stays usable."""

from __future__ import annotations

import threading

import psycopg
import pytest

from remwire.protocol import messages as m
from tests.fix_server import RemServer
from tests.wire.rawclient import RawClient


def test_cancel_with_psycopg(rem_dsn: str) -> None:
    c = psycopg.connect(rem_dsn, autocommit=True)
    started = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        started.set()
        try:
            c.execute("select pg_sleep(60)")
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    started.wait()
    # cancel until the statement is seen to stop (the request may arrive before the statement starts)
    while t.is_alive():
        c.cancel()
        t.join(0.2)
    assert len(errors) == 1 and isinstance(errors[0], psycopg.errors.QueryCanceled)
    assert errors[0].sqlstate == "57014"
    assert c.execute("select 1").fetchone() == (1,)
    c.close()


def test_cancel_with_wrong_key_is_ignored(rem_server: RemServer) -> None:
    victim = RawClient(rem_server.host, rem_server.port)
    victim.startup()
    assert victim.key is not None
    pid, key = victim.key
    bad = RawClient(rem_server.host, rem_server.port)
    bad.send(m.CancelRequest(pid, key ^ 0x5A5A))
    assert bad.closed_by_server()
    victim.send(m.Query("select pg_sleep(0.3)"))
    msgs = victim.until()
    assert not any(isinstance(x, m.ErrorResponse) for x in msgs)
    victim.close()


def test_statement_timeout(conn: psycopg.Connection) -> None:
    conn.execute("set statement_timeout = 200")
    with pytest.raises(psycopg.errors.QueryCanceled) as e:
        conn.execute("select pg_sleep(30)")
    assert "statement timeout" in str(e.value)
    conn.execute("set statement_timeout = 0")
    assert conn.execute("select 1").fetchone() == (1,)


def test_statement_timeout_extended_protocol(conn: psycopg.Connection) -> None:
    conn.execute("set statement_timeout = '150ms'")
    with pytest.raises(psycopg.errors.QueryCanceled):
        conn.execute("select pg_sleep(%s)", (30,))
    conn.execute("reset statement_timeout")
    assert conn.execute("select %s::int4", (1,)).fetchone() == (1,)


def test_slow_statement_does_not_block_others(rem_dsn: str) -> None:
    slow = psycopg.connect(rem_dsn, autocommit=True)
    fast = psycopg.connect(rem_dsn, autocommit=True)
    done = threading.Event()

    def run() -> None:
        try:
            slow.execute("select pg_sleep(60)")
        except psycopg.errors.QueryCanceled:
            pass
        done.set()

    t = threading.Thread(target=run)
    t.start()
    for i in range(20):  # served while the slow statement is still running
        assert fast.execute("select %s::int4", (i,)).fetchone() == (i,)
    assert not done.is_set()
    while t.is_alive():
        slow.cancel()
        t.join(0.2)
    slow.close()
    fast.close()
