"""Every protocol message round-trips through its encoder and the decoders; framing faults are caught."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remwire.protocol import messages as m
from remwire.protocol.codec import BackendReader, FramingError, FrontendReader

FRONTEND = [
    m.Query("select 1; select 2"),
    m.Parse("s1", "select $1::int, $2", (23, 0)),
    m.Parse("", "select 1"),
    m.Bind("p", "s1", (1, 0), (b"\x00\x00\x00\x05", None), (1,)),
    m.Bind("", "", (), (), ()),
    m.Describe("S", "s1"),
    m.Describe("P", ""),
    m.Execute("p", 10),
    m.Close("P", "p"),
    m.Close("S", "s1"),
    m.Sync(),
    m.Flush(),
    m.Terminate(),
    m.PasswordMessage(b"SCRAM-SHA-256\x00\x00\x00\x00\x04n,,x"),
    m.CopyData(b"1\tx\n"),
    m.CopyDone(),
    m.CopyFail("stop"),
]

BACKEND = [
    m.Authentication(0),
    m.Authentication(10, b"SCRAM-SHA-256\x00\x00"),
    m.ParameterStatus("TimeZone", "UTC"),
    m.BackendKeyData(12, 34),
    m.ReadyForQuery("T"),
    m.RowDescription((m.FieldDescription("a", 0, 0, 23, 4, -1, 1), m.FieldDescription("é", 16400, 2, 25))),
    m.DataRow((b"1", None, b"")),
    m.CommandComplete("SELECT 1"),
    m.EmptyQueryResponse(),
    m.ErrorResponse((("S", "ERROR"), ("C", "42601"), ("M", "syntax error"), ("P", "3"))),
    m.NoticeResponse((("S", "WARNING"), ("C", "25001"), ("M", "already in a transaction"))),
    m.ParseComplete(),
    m.BindComplete(),
    m.CloseComplete(),
    m.NoData(),
    m.PortalSuspended(),
    m.ParameterDescription((23, 25)),
    m.CopyInResponse(0, (0, 0)),
    m.CopyOutResponse(1, (1,)),
    m.CopyData(b"x"),
    m.CopyDone(),
    m.NegotiateProtocolVersion(0, ("_pq_.x",)),
    m.NotificationResponse(7, "ch", "payload"),
]


def _typed_reader() -> FrontendReader:
    r = FrontendReader(1 << 20)
    r.startup_done()
    return r


@pytest.mark.parametrize("msg", FRONTEND, ids=lambda x: type(x).__name__)
def test_frontend_roundtrip(msg: m.FrontendMessage) -> None:
    r = _typed_reader()
    data = msg.encode()
    for i in range(len(data)):  # byte by byte: partial frames give None
        r.feed(data[i : i + 1])
        got = r.next()
        if i < len(data) - 1:
            assert got is None
    assert got == msg


@pytest.mark.parametrize("msg", BACKEND, ids=lambda x: type(x).__name__)
def test_backend_roundtrip(msg: m.BackendMessage) -> None:
    r = BackendReader()
    r.feed(msg.encode() + msg.encode())
    assert r.next() == msg
    assert r.next() == msg
    assert r.next() is None


@pytest.mark.parametrize("msg", [
    m.StartupMessage(196608, {"user": "rem", "database": "db", "client_encoding": "'utf-8'"}),
    m.SSLRequest(), m.GSSENCRequest(), m.CancelRequest(5, -7),
])
def test_startup_packets(msg: m.FrontendMessage) -> None:
    r = FrontendReader(1 << 20)
    r.feed(msg.encode())
    assert r.next() == msg


def test_pipelined_messages_decode_in_order() -> None:
    r = _typed_reader()
    r.feed(b"".join(x.encode() for x in FRONTEND))
    got = []
    while (x := r.next()) is not None:
        got.append(x)
    assert got == FRONTEND


@pytest.mark.parametrize("data", [
    b"Q\x00\x00\x00\x02",  # length below 4
    b"S\x00\x00\x00\x05x",  # Sync with a body
    b"Z\x00\x00\x00\x04",  # unknown frontend type
    b"Q\x00\x00\x00\x06ab",  # string without NUL
    b"D\x00\x00\x00\x06Xa\x00",  # bad Describe kind
    b"B\x00\x00\x00\x0ap\x00s\x00\xff\xff",  # negative count
    b"E\x00\x00\x00\x07p\x00\x00",  # truncated int32
])
def test_malformed_frames_raise(data: bytes) -> None:
    r = _typed_reader()
    r.feed(data)
    with pytest.raises(FramingError):
        r.next()


def test_size_limit() -> None:
    r = FrontendReader(100)
    r.startup_done()
    r.feed(b"Q" + struct.pack("!i", 1000))
    with pytest.raises(FramingError) as e:
        r.next()
    assert e.value.too_large


def test_startup_packet_limit() -> None:
    r = FrontendReader(1 << 20)
    r.feed(struct.pack("!i", 20000))
    with pytest.raises(FramingError):
        r.next()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64), st.sampled_from(list(b"QPBDECSHXpFdcf")))
def test_random_bodies_decode_or_raise_framing_error(body: bytes, t: int) -> None:
    r = _typed_reader()
    r.feed(bytes([t]) + struct.pack("!i", len(body) + 4) + body)
    try:
        r.next()
    except FramingError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_random_startup_packets(data: bytes) -> None:
    r = FrontendReader(1 << 20)
    r.feed(struct.pack("!i", len(data) + 4) + data)
    try:
        r.next()
    except FramingError:
        pass
