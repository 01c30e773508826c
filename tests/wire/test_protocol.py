"""Protocol paths on a raw socket against a real ``rem serve``: exact message sequences, as PostgreSQL sends them."""

from __future__ import annotations

import struct

import pytest

from remwire.protocol import messages as m
from tests.fix_server import RemServer
from tests.wire.rawclient import RawClient, int4, kinds


@pytest.fixture
def raw(rem_server: RemServer):
    c = RawClient(rem_server.host, rem_server.port)
    c.startup()
    yield c
    c.close()


def _err(msgs: list[m.BackendMessage]) -> m.ErrorResponse:
    return next(x for x in msgs if isinstance(x, m.ErrorResponse))


def test_startup_sequence(rem_server: RemServer) -> None:
    c = RawClient(rem_server.host, rem_server.port)
    msgs = c.startup(application_name="rawtest", client_encoding="'utf-8'")
    assert isinstance(msgs[0], m.Authentication) and msgs[0].code == 0
    assert kinds(msgs)[-2:] == ["BackendKeyData", "ReadyForQuery"]
    assert msgs[-1] == m.ReadyForQuery("I")
    for name in ("server_version", "server_encoding", "client_encoding", "DateStyle", "TimeZone",
                 "integer_datetimes", "standard_conforming_strings", "application_name", "is_superuser",
                 "session_authorization", "IntervalStyle"):
        assert name in c.params, name
    assert c.params["client_encoding"] == "UTF8"
    assert c.params["integer_datetimes"] == "on"
    assert c.params["server_version"].startswith("15.")
    assert c.params["application_name"] == "rawtest"
    c.close()


@pytest.mark.parametrize("request_msg", [m.SSLRequest(), m.GSSENCRequest()], ids=["ssl", "gssenc"])
def test_ssl_and_gssenc_requests_answered_n(rem_server: RemServer, request_msg: m.FrontendMessage) -> None:
    c = RawClient(rem_server.host, rem_server.port)
    c.send(request_msg)
    assert c.recv_byte() == b"N"
    msgs = c.startup()
    assert msgs[-1] == m.ReadyForQuery("I")
    c.close()


def test_options_applied_as_settings(rem_server: RemServer) -> None:
    c = RawClient(rem_server.host, rem_server.port)
    c.startup(options="-c statement_timeout=1234 --application-name=fromopts")
    rows = [x for x in c.query("show statement_timeout") if isinstance(x, m.DataRow)]
    assert rows[0].values[0] in (b"1234ms", b"1234")
    c.close()


def test_protocol_minor_version_negotiated(rem_server: RemServer) -> None:
    c = RawClient(rem_server.host, rem_server.port)
    c.send(m.StartupMessage(m.PROTOCOL_3_0 + 2, {"user": "rem", "database": "rem", "_pq_.unknown": "x"}))
    msgs = c.until()
    assert msgs[0] == m.NegotiateProtocolVersion(0, ("_pq_.unknown",))
    assert msgs[-1] == m.ReadyForQuery("I")
    c.close()


def test_protocol_2_refused(rem_server: RemServer) -> None:
    c = RawClient(rem_server.host, rem_server.port)
    c.send(m.StartupMessage(2 << 16, {"user": "rem"}))
    msgs = c.until(m.ErrorResponse)
    assert _err(msgs).get("C") == "0A000" and _err(msgs).get("S") == "FATAL"
    assert c.closed_by_server()


def test_simple_query_several_statements(raw: RawClient) -> None:
    msgs = raw.query("select 1; select 2")
    assert kinds(msgs) == ["RowDescription", "DataRow", "CommandComplete"] * 2 + ["ReadyForQuery"]
    assert [x.tag for x in msgs if isinstance(x, m.CommandComplete)] == ["SELECT 1", "SELECT 1"]
    assert [x.values for x in msgs if isinstance(x, m.DataRow)] == [(b"1",), (b"2",)]


def test_empty_query(raw: RawClient) -> None:
    assert kinds(raw.query("")) == ["EmptyQueryResponse", "ReadyForQuery"]
    assert kinds(raw.query("  ;  ")) in (["EmptyQueryResponse", "ReadyForQuery"], ["ReadyForQuery"])


def test_error_stops_rest_of_query_string(raw: RawClient) -> None:
    msgs = raw.query("select 1; select * from no_such_table_x; select 3")
    assert kinds(msgs) == ["RowDescription", "DataRow", "CommandComplete", "ErrorResponse", "ReadyForQuery"]
    assert _err(msgs).get("C") == "42P01"
    assert kinds(raw.query("select 4"))[-1] == "ReadyForQuery"


def test_syntax_error_has_position(raw: RawClient) -> None:
    e = _err(raw.query("selec 1"))
    assert e.get("C") == "42601" and e.get("S") == "ERROR" and e.get("P") is not None


def test_transaction_status_in_ready_for_query(raw: RawClient) -> None:
    assert raw.query("begin")[-1] == m.ReadyForQuery("T")
    assert raw.query("select * from no_such_table_x")[-1] == m.ReadyForQuery("E")
    assert _err(raw.query("select 1")).get("C") == "25P02"
    assert raw.query("rollback")[-1] == m.ReadyForQuery("I")


def test_extended_query_flow(raw: RawClient) -> None:
    raw.send(m.Parse("s1", "select $1::int4 + 1", (0,)), m.Describe("S", "s1"), m.Sync())
    msgs = raw.until()
    assert kinds(msgs) == ["ParseComplete", "ParameterDescription", "RowDescription", "ReadyForQuery"]
    assert msgs[1] == m.ParameterDescription((23,))
    raw.send(m.Bind("", "s1", (1,), (int4(41),), (1,)), m.Describe("P", ""), m.Execute("", 0), m.Sync())
    msgs = raw.until()
    assert kinds(msgs) == ["BindComplete", "RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"]
    assert msgs[1].fields[0].format == 1 and msgs[1].fields[0].type_oid == 23
    assert msgs[2].values == (int4(42),)
    assert msgs[3] == m.CommandComplete("SELECT 1")
    # text parameter and text result on the same statement
    raw.send(m.Bind("", "s1", (), (b"9",), ()), m.Execute("", 0), m.Sync())
    msgs = raw.until()
    assert [x.values for x in msgs if isinstance(x, m.DataRow)] == [(b"10",)]


def test_portal_suspended_and_resume(raw: RawClient) -> None:
    raw.query("begin")
    raw.send(m.Parse("", "select x from generate_series(1, 5) as g(x)"), m.Bind("c1", "", (), (), ()),
             m.Execute("c1", 2), m.Sync())
    msgs = raw.until()
    assert kinds(msgs) == ["ParseComplete", "BindComplete", "DataRow", "DataRow", "PortalSuspended", "ReadyForQuery"]
    assert msgs[-1] == m.ReadyForQuery("T")
    # the portal survives Sync inside the transaction block
    raw.send(m.Execute("c1", 2), m.Sync())
    assert kinds(raw.until()) == ["DataRow", "DataRow", "PortalSuspended", "ReadyForQuery"]
    raw.send(m.Execute("c1", 2), m.Sync())
    msgs = raw.until()
    assert kinds(msgs) == ["DataRow", "CommandComplete", "ReadyForQuery"]
    assert msgs[1] == m.CommandComplete("SELECT 1")
    raw.send(m.Close("P", "c1"), m.Sync())
    assert kinds(raw.until()) == ["CloseComplete", "ReadyForQuery"]
    raw.query("commit")


def test_error_skips_to_sync(raw: RawClient) -> None:
    raw.send(m.Parse("", "select * from no_such_table_x"), m.Bind("", "", (), (), ()), m.Execute("", 0),
             m.Parse("", "select 1"), m.Sync())
    msgs = raw.until()
    assert kinds(msgs) == ["ErrorResponse", "ReadyForQuery"]
    raw.send(m.Parse("", "select 1"), m.Bind("", "", (), (), ()), m.Execute("", 0), m.Sync())
    assert kinds(raw.until()) == ["ParseComplete", "BindComplete", "DataRow", "CommandComplete", "ReadyForQuery"]


def test_pipelining_many_batches(raw: RawClient) -> None:
    batch = []
    for i in range(50):
        batch += [m.Parse("", f"select {i}"), m.Bind("", "", (), (), ()), m.Execute("", 0), m.Sync()]
    raw.send(*batch)
    values = []
    for _ in range(50):
        values += [x.values[0] for x in raw.until() if isinstance(x, m.DataRow)]
    assert values == [str(i).encode() for i in range(50)]


def test_named_statements_and_errors(raw: RawClient) -> None:
    raw.send(m.Parse("dup", "select 1"), m.Parse("dup", "select 2"), m.Sync())
    msgs = raw.until()
    assert kinds(msgs) == ["ParseComplete", "ErrorResponse", "ReadyForQuery"]
    assert _err(msgs).get("C") == "42P05"
    raw.send(m.Bind("", "nope", (), (), ()), m.Sync())
    assert _err(raw.until()).get("C") == "26000"
    raw.send(m.Execute("nope", 0), m.Sync())
    assert _err(raw.until()).get("C") == "34000"
    raw.send(m.Close("S", "never-existed"), m.Close("P", "never-existed"), m.Close("S", "dup"), m.Sync())
    assert kinds(raw.until()) == ["CloseComplete"] * 3 + ["ReadyForQuery"]
    raw.send(m.Bind("", "dup", (), (), ()), m.Sync())
    assert _err(raw.until()).get("C") == "26000"


def test_bind_parameter_count_mismatch(raw: RawClient) -> None:
    raw.send(m.Parse("", "select $1::int4"), m.Bind("", "", (), (), ()), m.Sync())
    assert _err(raw.until()).get("C") == "08P01"


def test_bad_binary_parameter(raw: RawClient) -> None:
    raw.send(m.Parse("", "select $1::int4", (23,)), m.Bind("", "", (1,), (b"\x01\x02\x03\x04\x05",), ()), m.Sync())
    e = _err(raw.until())
    assert e.get("C") == "22P03" and e.get("M") == "incorrect binary data format in bind parameter 1"
    raw.send(m.Bind("", "", (1,), (b"\x01",), ()), m.Sync())
    assert _err(raw.until()).get("C") == "08P01"  # too short: "insufficient data left in message", as PostgreSQL


def test_flush_sends_without_ready_for_query(raw: RawClient) -> None:
    raw.send(m.Parse("f1", "select $1::text"), m.Describe("S", "f1"), m.Flush())
    assert kinds([raw.recv(), raw.recv(), raw.recv()]) == ["ParseComplete", "ParameterDescription", "RowDescription"]
    raw.send(m.Sync())
    assert kinds(raw.until()) == ["ReadyForQuery"]


def test_function_call_not_supported(raw: RawClient) -> None:
    raw.send(m.FunctionCall(b"\x00\x00\x00\x01"))
    msgs = raw.until()
    assert _err(msgs).get("C") == "0A000"


def _second_session_ok(rem_server: RemServer, other: RawClient) -> None:
    assert kinds(other.query("select 1"))[-1] == "ReadyForQuery"


@pytest.mark.parametrize("garbage", [
    b"Q\x00\x00\x00\x02",  # length too small
    b"S\x00\x00\x00\x08abcd",  # Sync with a body
    b"\x01\x00\x00\x00\x04",  # unknown message type
    b"P\x00\x00\x00\x08s\x00q\x00",  # truncated Parse (no parameter count)
    b"B\x00\x00\x00\x0bp\x00s\x00\x00\x01\x00",  # truncated Bind
], ids=["short-length", "sync-body", "unknown-type", "truncated-parse", "truncated-bind"])
def test_malformed_message_closes_only_that_connection(rem_server: RemServer, garbage: bytes) -> None:
    other = RawClient(rem_server.host, rem_server.port)
    other.startup()
    bad = RawClient(rem_server.host, rem_server.port)
    bad.startup()
    bad.send(garbage)
    msgs = bad.until(m.ErrorResponse)
    e = _err(msgs)
    assert e.get("C") == "08P01" and e.get("S") == "FATAL"
    assert bad.closed_by_server()
    _second_session_ok(rem_server, other)
    other.close()


def test_truncated_message_then_disconnect(rem_server: RemServer) -> None:
    other = RawClient(rem_server.host, rem_server.port)
    other.startup()
    bad = RawClient(rem_server.host, rem_server.port)
    bad.startup()
    bad.send(b"Q\x00\x00\x01\x00select")  # promises 256 bytes, sends 6, hangs up
    bad.sock.close()
    _second_session_ok(rem_server, other)
    other.close()


def test_garbage_startup_packet(rem_server: RemServer) -> None:
    bad = RawClient(rem_server.host, rem_server.port)
    bad.send(struct.pack("!i", 3) + b"xx")
    assert bad.closed_by_server()


def test_message_size_limit() -> None:
    with RemServer(env={"P8_MAX_MESSAGE_SIZE": "4096"}) as srv:
        c = RawClient(srv.host, srv.port)
        c.startup()
        c.send(m.Query("select '" + "x" * 10000 + "'"))
        e = _err(c.until(m.ErrorResponse))
        assert e.get("S") == "FATAL" and e.get("C") in ("54000", "08P01")
        assert c.closed_by_server()
        ok = RawClient(srv.host, srv.port)
        ok.startup()
        assert kinds(ok.query("select '" + "x" * 1000 + "'"))[-1] == "ReadyForQuery"
        ok.close()


def test_terminate_closes(raw: RawClient) -> None:
    raw.send(m.Terminate())
    assert raw.closed_by_server()


def test_empty_statement_extended(raw: RawClient) -> None:
    raw.send(m.Parse("", ""), m.Bind("", "", (), (), ()), m.Describe("P", ""), m.Execute("", 0), m.Sync())
    assert kinds(raw.until()) == ["ParseComplete", "BindComplete", "NoData", "EmptyQueryResponse", "ReadyForQuery"]


def test_describe_statement_without_rows(raw: RawClient) -> None:
    raw.send(m.Parse("b", "begin"), m.Describe("S", "b"), m.Sync())
    msgs = raw.until()
    assert kinds(msgs) == ["ParseComplete", "ParameterDescription", "NoData", "ReadyForQuery"]
    assert msgs[1] == m.ParameterDescription(())


def test_mixed_result_formats(raw: RawClient) -> None:
    raw.send(m.Parse("", "select 1::int4, 'x'::text"), m.Bind("", "", (), (), (1, 0)), m.Describe("P", ""),
             m.Execute("", 0), m.Sync())
    msgs = raw.until()
    rd = next(x for x in msgs if isinstance(x, m.RowDescription))
    assert [f.format for f in rd.fields] == [1, 0]
    assert next(x for x in msgs if isinstance(x, m.DataRow)).values == (int4(1), b"x")
    raw.send(m.Parse("", "select 1, 2, 3"), m.Bind("", "", (), (), (1, 0)), m.Sync())
    assert _err(raw.until()).get("C") == "08P01"


def test_unnamed_portal_dropped_at_sync_outside_transaction(raw: RawClient) -> None:
    raw.send(m.Parse("", "select 1"), m.Bind("keep", "", (), (), ()), m.Sync())
    raw.until()
    raw.send(m.Execute("keep", 0), m.Sync())
    assert _err(raw.until()).get("C") == "34000"


def test_large_result_streams(raw: RawClient) -> None:
    raw.send(m.Query("select x, repeat('y', 100) from generate_series(1, 100000) as g(x)"))
    n = 0
    while True:
        msg = raw.recv()
        assert msg is not None
        if isinstance(msg, m.DataRow):
            n += 1
        elif isinstance(msg, m.ReadyForQuery):
            break
        elif isinstance(msg, m.CommandComplete):
            assert msg.tag == "SELECT 100000"
    assert n == 100000


def test_client_vanishing_mid_result_leaves_server_fine(rem_server: RemServer) -> None:
    bad = RawClient(rem_server.host, rem_server.port)
    bad.startup()
    bad.send(m.Query("select x, repeat('y', 1000) from generate_series(1, 200000) as g(x)"))
    bad.recv()
    bad.sock.close()
    ok = RawClient(rem_server.host, rem_server.port)
    ok.startup()
    assert kinds(ok.query("select 1"))[-1] == "ReadyForQuery"
    ok.close()
