"""The connection state machine on bytes alone (no socket), over a real in-process database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.database import open_database
from engine.settings import Settings
from remwire.connection import Connection, ConnState, parse_options, parse_timeout_ms
from remwire.protocol import messages as m
from remwire.protocol.codec import BackendReader


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    s = Settings()
    s.data_dir = Path(tmp_path_factory.mktemp("conn-db"))
    d = open_database(s)
    yield d
    d.close()


def _decode(data: bytes) -> list[m.BackendMessage]:
    r = BackendReader()
    r.feed(data)
    out = []
    while (x := r.next()) is not None:
        out.append(x)
    return out


def _session_bytes() -> bytes:
    return b"".join(x.encode() for x in [
        m.Query("select 1; select 'a'::text"),
        m.Parse("s", "select $1::int4 * 2"),
        m.Bind("p", "s", (0,), (b"21",), ()),
        m.Execute("p", 0),
        m.Sync(),
        m.Query("begin"),
        m.Query("select * from no_such_table_y"),
        m.Query("rollback"),
    ])


def _strip_keys(msgs: list[m.BackendMessage]) -> list[m.BackendMessage]:
    return [x for x in msgs if not isinstance(x, m.BackendKeyData)]


def test_same_output_for_any_split(db: object) -> None:
    startup = m.StartupMessage(m.PROTOCOL_3_0, {"user": "rem", "database": "rem"}).encode()
    stream = startup + _session_bytes()
    whole = Connection(db)  # type: ignore[arg-type]
    expected = _strip_keys(_decode(whole.feed(stream)))
    whole.close()
    assert expected[-1] == m.ReadyForQuery("I")
    for step in (1, 3, 7):
        c = Connection(db)  # type: ignore[arg-type]
        out = b"".join(c.feed(stream[i : i + step]) for i in range(0, len(stream), step))
        assert _strip_keys(_decode(out)) == expected
        c.close()


def test_states(db: object) -> None:
    c = Connection(db)  # type: ignore[arg-type]
    assert c.state is ConnState.STARTUP
    assert c.feed(m.SSLRequest().encode()) == b"N"
    c.feed(m.StartupMessage(m.PROTOCOL_3_0, {"user": "rem"}).encode())
    assert c.state is ConnState.READY
    c.feed(m.Parse("", "select * from no_such_table_y").encode())
    assert c.state is ConnState.AWAITING_SYNC
    assert c.feed(m.Execute("", 0).encode()) == b""  # discarded until Sync
    assert _decode(c.feed(m.Sync().encode())) == [m.ReadyForQuery("I")]
    assert c.state is ConnState.READY
    c.feed(m.Terminate().encode())
    assert c.state is ConnState.CLOSED
    c.close()


def test_parse_options() -> None:
    assert parse_options("-c search_path=a,b --application-name=x -c a\\ b=c\\ d") == {
        "search_path": "a,b", "application_name": "x", "a b": "c d"}
    assert parse_options("-csearch_path=public") == {"search_path": "public"}


@pytest.mark.parametrize(("text", "ms"), [("0", 0), ("250", 250), ("150ms", 150), ("5s", 5000), ("2min", 120000),
                                          ("1h", 3600000), ("junk", 0)])
def test_parse_timeout(text: str, ms: float) -> None:
    assert parse_timeout_ms(text) == ms


_MESSAGES = [
    m.Query("select 1"), m.Query(""), m.Query("select * from no_such_table_y"), m.Query("begin"),
    m.Query("commit"), m.Query("rollback"), m.Parse("", "select $1::int4"), m.Parse("n", "select 2"),
    m.Bind("", "", (), (b"5",), ()), m.Bind("", "n", (), (), (1,)), m.Bind("p", "n", (), (), ()),
    m.Bind("", "", (1,), (b"\x00",), ()), m.Describe("S", ""), m.Describe("P", "p"), m.Execute("", 0),
    m.Execute("p", 1), m.Close("S", "n"), m.Close("P", "p"), m.Sync(), m.Flush(), m.CopyData(b"x"),
    m.CopyDone(), m.FunctionCall(b""),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_MESSAGES), max_size=25))
def test_any_message_sequence_is_answered(db: object, seq: list[m.FrontendMessage]) -> None:
    c = Connection(db)  # type: ignore[arg-type]
    c.feed(m.StartupMessage(m.PROTOCOL_3_0, {"user": "rem"}).encode())
    out = c.feed(b"".join(x.encode() for x in seq) + m.Sync().encode() + m.Query("rollback").encode())
    msgs = _decode(out)
    assert c.state is ConnState.READY
    assert isinstance(msgs[-1], m.ReadyForQuery) and msgs[-1].status == "I"
    assert not any(isinstance(x, m.ErrorResponse) and x.get("C") == "XX000" for x in msgs)
    c.close()
