"""LISTEN/NOTIFY between sessions of one server: NotificationResponse reaches listening connections once the
notifying transaction commits (idle listeners at once, listeners inside a transaction block when it ends)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import psycopg
import pytest

from tests.fix_server import RemServer


@pytest.fixture
def pair(rem_dsn: str) -> Iterator[tuple[psycopg.Connection, psycopg.Connection]]:
    a = psycopg.connect(rem_dsn, autocommit=True)
    b = psycopg.connect(rem_dsn, autocommit=True)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def _until(conn: psycopg.Connection, payload: str) -> list[tuple[str, str, int]]:
    """Notifications received by ``conn`` up to and including the one carrying ``payload``."""
    got = []
    for n in conn.notifies(timeout=30):
        got.append((n.channel, n.payload, n.pid))
        if n.payload == payload:
            break
    return got


def test_idle_listener_receives_notify(pair: tuple[psycopg.Connection, psycopg.Connection]) -> None:
    listener, sender = pair
    listener.execute("listen news")
    sender.execute("notify news, 'hello'")
    assert _until(listener, "hello") == [("news", "hello", sender.info.backend_pid)]
    sender.execute("notify other_channel, 'nobody listens'")
    sender.execute("notify news")  # empty payload
    assert _until(listener, "") == [("news", "", sender.info.backend_pid)]


def test_delivery_waits_for_commit_and_rollback_drops(pair: tuple[psycopg.Connection, psycopg.Connection]) -> None:
    listener, sender = pair
    listener.execute("listen jobs")
    sender.execute("begin")
    sender.execute("notify jobs, 'a'")
    sender.execute("notify jobs, 'a'")  # duplicates within a transaction are folded
    sender.execute("notify jobs, 'b'")
    sender.execute("commit")
    assert [p for _c, p, _pid in _until(listener, "b")] == ["a", "b"]
    sender.execute("begin")
    sender.execute("notify jobs, 'rolled back'")
    sender.execute("rollback")
    sender.execute("notify jobs, 'after'")
    assert [p for _c, p, _pid in _until(listener, "after")] == ["after"]


def test_listener_in_a_transaction_gets_it_when_the_block_ends(
        pair: tuple[psycopg.Connection, psycopg.Connection]) -> None:
    listener, sender = pair
    seen: list[str] = []
    listener.add_notify_handler(lambda n: seen.append(n.payload))
    listener.execute("listen q")
    listener.execute("begin")
    sender.execute("notify q, 'during'")
    listener.execute("select 1")
    assert seen == []
    listener.execute("commit")  # sent before ReadyForQuery
    assert seen == ["during"]


def test_self_notify_and_unlisten(pair: tuple[psycopg.Connection, psycopg.Connection]) -> None:
    me, _other = pair
    seen: list[tuple[str, int]] = []
    me.add_notify_handler(lambda n: seen.append((n.payload, n.pid)))
    me.execute("listen self_ch")
    me.execute("notify self_ch, 'to me'")
    assert seen == [("to me", me.info.backend_pid)]
    me.execute("unlisten self_ch")
    me.execute("notify self_ch, 'not any more'")
    me.execute("select 1")
    assert seen == [("to me", me.info.backend_pid)]


def test_pg_notify_function(pair: tuple[psycopg.Connection, psycopg.Connection]) -> None:
    listener, sender = pair
    listener.execute("listen fn_ch")
    sender.execute("select pg_notify('fn_ch', %s)", ("via function",))
    assert _until(listener, "via function") == [("fn_ch", "via function", sender.info.backend_pid)]
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="channel name cannot be empty"):
        sender.execute("select pg_notify('', 'x')")


def test_payload_too_long(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="payload string too long"):
        conn.execute("notify ch, '" + "x" * 8000 + "'")


def test_asyncpg_add_listener(rem_server: RemServer) -> None:
    async def main() -> tuple[int, str, str, int]:
        listener = await asyncpg.connect(rem_server.url)
        sender = await asyncpg.connect(rem_server.url)
        try:
            fut: asyncio.Future[tuple[int, str, str]] = asyncio.get_running_loop().create_future()
            await listener.add_listener("Events", lambda _c, pid, ch, payload: fut.done()
                                        or fut.set_result((pid, ch, payload)))
            await sender.execute("""NOTIFY "Events", 'from asyncpg'""")
            pid, ch, payload = await asyncio.wait_for(fut, 30)
            return pid, ch, payload, sender.get_server_pid()
        finally:
            await listener.close()
            await sender.close()

    pid, ch, payload, sender_pid = asyncio.run(main())
    assert (pid, ch, payload) == (sender_pid, "Events", "from asyncpg")
