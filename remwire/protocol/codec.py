"""Framing and decoding of protocol messages from a byte stream (pure; no I/O, no engine).

:class:`FrontendReader` turns bytes from a client into frontend messages: untyped startup packets until
:meth:`FrontendReader.startup_done` is called, typed messages afterwards. Size limits are tight before
startup (PostgreSQL's 10000-byte startup packet limit) and ``max_message_size`` after. :class:`BackendReader`
decodes server output (used by tests and the raw test client). Faults raise :class:`FramingError`.
"""

from __future__ import annotations

import struct

from remwire.protocol import messages as m

STARTUP_MAX = 10000
_I32 = struct.Struct("!i")
_I16 = struct.Struct("!h")
_U32 = struct.Struct("!I")


class FramingError(Exception):
    """A malformed or oversized message; the connection cannot continue."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.too_large = too_large


class _Body:
    """A cursor over one message body; every read checks bounds."""

    __slots__ = ("buf", "pos", "what")

    def __init__(self, buf: bytes, what: str) -> None:
        self.buf = buf
        self.pos = 0
        self.what = what

    def _need(self, n: int) -> None:
        if n < 0 or self.pos + n > len(self.buf):
            raise FramingError(f"invalid {self.what} message format")

    def i16(self) -> int:
        self._need(2)
        v = _I16.unpack_from(self.buf, self.pos)[0]
        self.pos += 2
        return int(v)

    def i32(self) -> int:
        self._need(4)
        v = _I32.unpack_from(self.buf, self.pos)[0]
        self.pos += 4
        return int(v)

    def u32(self) -> int:
        self._need(4)
        v = _U32.unpack_from(self.buf, self.pos)[0]
        self.pos += 4
        return int(v)

    def byte(self) -> str:
        self._need(1)
        v = self.buf[self.pos : self.pos + 1].decode("latin-1")
        self.pos += 1
        return v

    def raw(self, n: int) -> bytes:
        self._need(n)
        v = self.buf[self.pos : self.pos + n]
        self.pos += n
        return v

    def cstr(self) -> str:
        end = self.buf.find(b"\0", self.pos)
        if end < 0:
            raise FramingError(f"invalid string in {self.what} message")
        try:
            v = self.buf[self.pos : end].decode()
        except UnicodeDecodeError as e:
            raise FramingError(f"invalid byte sequence for encoding \"UTF8\" in {self.what} message") from e
        self.pos = end + 1
        return v

    def rest(self) -> bytes:
        v = self.buf[self.pos :]
        self.pos = len(self.buf)
        return v

    def end(self) -> None:
        if self.pos != len(self.buf):
            raise FramingError(f"invalid {self.what} message format")


def decode_startup(body: bytes) -> m.FrontendMessage:
    """Decode an untyped startup-phase packet body (after its length word)."""
    b = _Body(body, "startup packet")
    code = b.i32()
    if code == m.SSL_REQUEST_CODE:
        b.end()
        return m.SSLRequest()
    if code == m.GSSENC_REQUEST_CODE:
        b.end()
        return m.GSSENCRequest()
    if code == m.CANCEL_REQUEST_CODE:
        pid, key = b.i32(), b.i32()
        b.end()
        return m.CancelRequest(pid, key)
    params: dict[str, str] = {}
    while True:
        name = b.cstr()
        if name == "":
            break
        params[name] = b.cstr()
    b.end()
    return m.StartupMessage(code, params)


_SYNC, _FLUSH, _TERMINATE, _COPY_DONE = m.Sync(), m.Flush(), m.Terminate(), m.CopyDone()
_EMPTY_BODY: dict[int, m.FrontendMessage] = {0x53: _SYNC, 0x48: _FLUSH, 0x58: _TERMINATE, 0x63: _COPY_DONE}
_unpack_i16 = _I16.unpack_from
_unpack_i32 = _I32.unpack_from


def _i16s(body: bytes, pos: int, n: int) -> tuple[int, ...]:
    if n == 0:
        return ()
    if n == 1:
        return (_unpack_i16(body, pos)[0],)
    return struct.unpack_from(f"!{n}h", body, pos)


BindParts = tuple[str, str, tuple[int, ...], tuple[bytes | None, ...], tuple[int, ...]]


def _decode_bind(body: bytes) -> m.Bind:
    """Bind, the hottest message: straight-line struct reads; any overrun is a framing fault."""
    return m.Bind(*split_bind(body))


def split_bind(body: bytes) -> BindParts:
    """A Bind body's (portal, statement, parameter formats, parameter values, result formats)."""
    try:
        e1 = body.index(0)
        e2 = body.index(0, e1 + 1)
        portal = body[:e1].decode() if e1 else ""
        stmt = body[e1 + 1 : e2].decode() if e2 > e1 + 1 else ""
        pos = e2 + 1
        nf = _unpack_i16(body, pos)[0]
        if nf < 0:
            raise FramingError("invalid Bind message format")
        fmts = _i16s(body, pos + 2, nf)
        pos += 2 + 2 * nf
        npar = _unpack_i16(body, pos)[0]
        pos += 2
        if npar < 0:
            raise FramingError("invalid Bind message format")
        vals: list[bytes | None] = []
        end = len(body)
        for _ in range(npar):
            ln = _unpack_i32(body, pos)[0]
            pos += 4
            if ln == -1:
                vals.append(None)
            elif ln < 0 or pos + ln > end:
                raise FramingError("invalid Bind message format")
            else:
                vals.append(body[pos : pos + ln])
                pos += ln
        nr = _unpack_i16(body, pos)[0]
        if nr < 0:
            raise FramingError("invalid Bind message format")
        rfmts = _i16s(body, pos + 2, nr)
        pos += 2 + 2 * nr
    except (ValueError, struct.error) as e:
        raise FramingError("invalid Bind message format") from e
    if pos != len(body):
        raise FramingError("invalid Bind message format")
    return portal, stmt, fmts, tuple(vals), rfmts


def decode_frontend(type_byte: int, body: bytes) -> m.FrontendMessage:
    """Decode one typed frontend message."""
    t = type_byte
    if t == 0x42:  # B
        return _decode_bind(body)
    if t == 0x45:  # E
        end = body.find(b"\0")
        if end < 0 or len(body) != end + 5:
            raise FramingError("invalid Execute message format")
        try:
            portal = body[:end].decode()
        except UnicodeDecodeError as e:
            raise FramingError("invalid Execute message format") from e
        return m.Execute(portal, _unpack_i32(body, end + 1)[0])
    if t in (0x53, 0x48, 0x58, 0x63):  # S H X c
        if body:
            raise FramingError("invalid message format")
        return {0x53: _SYNC, 0x48: _FLUSH, 0x58: _TERMINATE, 0x63: _COPY_DONE}[t]
    if t == 0x51:  # Q
        b = _Body(body, "Query")
        q = b.cstr()
        b.end()
        return m.Query(q)
    if t == 0x50:  # P
        b = _Body(body, "Parse")
        name, query = b.cstr(), b.cstr()
        n = b.i16()
        if n < 0:
            raise FramingError("invalid Parse message format")
        oids = tuple(b.u32() for _ in range(n))
        b.end()
        return m.Parse(name, query, oids)
    if t == 0x44 or t == 0x43:  # D, C
        what = "Describe" if t == 0x44 else "Close"
        b = _Body(body, what)
        kind = b.byte()
        name = b.cstr()
        b.end()
        if kind not in ("S", "P"):
            raise FramingError(f"invalid {what} message subtype {ord(kind)}")
        return m.Describe(kind, name) if t == 0x44 else m.Close(kind, name)
    if t == 0x64:  # d
        return m.CopyData(body)
    if t == 0x66:  # f
        b = _Body(body, "CopyFail")
        msg = b.cstr()
        b.end()
        return m.CopyFail(msg)
    if t == 0x70:  # p
        return m.PasswordMessage(body)
    if t == 0x46:  # F
        return m.FunctionCall(body)
    raise FramingError(f"invalid frontend message type {t}")


class FrontendReader:
    """Accumulates client bytes and yields complete frontend messages.

    Raises :class:`FramingError` for malformed frames; the caller then closes the connection.
    """

    def __init__(self, max_message_size: int) -> None:
        self.buf = bytearray()
        self.pos = 0
        self.max_message_size = max_message_size
        self.in_startup = True

    def feed(self, data: bytes) -> None:
        if self.pos:
            del self.buf[: self.pos]
            self.pos = 0
        self.buf += data

    @property
    def pending(self) -> int:
        """Bytes received but not yet decoded."""
        return len(self.buf) - self.pos

    def startup_done(self) -> None:
        """Switch to typed messages (after a StartupMessage was accepted)."""
        self.in_startup = False

    def next(self) -> m.FrontendMessage | None:
        """The next complete message, or None when more bytes are needed."""
        buf, pos = self.buf, self.pos
        avail = len(buf) - pos
        if self.in_startup:
            if avail < 4:
                return None
            ln = _I32.unpack_from(buf, pos)[0]
            if ln < 8 or ln > STARTUP_MAX:
                raise FramingError("invalid length of startup packet", too_large=ln > STARTUP_MAX)
            if avail < ln:
                return None
            body = bytes(buf[pos + 4 : pos + ln])
            self.pos = pos + ln
            return decode_startup(body)
        if avail < 5:
            return None
        t = buf[pos]
        ln = _I32.unpack_from(buf, pos + 1)[0]
        if ln < 4:
            raise FramingError(f"invalid message length {ln}")
        if ln > self.max_message_size:
            raise FramingError(
                f"message of {ln} bytes exceeds the limit of {self.max_message_size} bytes", too_large=True
            )
        if avail < ln + 1:
            return None
        self.pos = pos + ln + 1
        if ln == 4:
            return _EMPTY_BODY.get(t) or decode_frontend(t, b"")
        if t == 0x45 and ln == 9 and buf[pos + 5] == 0:  # Execute of the unnamed portal
            return m.Execute("", _unpack_i32(buf, pos + 6)[0])
        if t == 0x44 or t == 0x43:  # Describe / Close: kind byte + name
            end = pos + ln + 1
            if buf[end - 1] == 0 and buf.find(b"\0", pos + 6, end) == end - 1:
                kind = buf[pos + 5]
                if kind == 0x50 or kind == 0x53:
                    try:
                        name = buf[pos + 6 : end - 1].decode() if end - 1 > pos + 6 else ""
                    except UnicodeDecodeError:
                        name = None
                    if name is not None:
                        k = "P" if kind == 0x50 else "S"
                        return m.Describe(k, name) if t == 0x44 else m.Close(k, name)
        return decode_frontend(t, bytes(buf[pos + 5 : pos + ln + 1]))


# --------------------------------------------------------------------------- backend decoding (tests, raw client)


def _fields(body: bytes) -> tuple[tuple[str, str], ...]:
    b = _Body(body, "ErrorResponse")
    out = []
    while True:
        code = b.byte()
        if code == "\0":
            break
        out.append((code, b.cstr()))
    return tuple(out)


def decode_backend(type_byte: int, body: bytes) -> m.BackendMessage:
    """Decode one backend message (for clients and tests)."""
    c = chr(type_byte)
    b = _Body(body, c)
    if c == "R":
        return m.Authentication(b.i32(), b.rest())
    if c == "S":
        return m.ParameterStatus(b.cstr(), b.cstr())
    if c == "K":
        return m.BackendKeyData(b.i32(), b.i32())
    if c == "Z":
        return m.ReadyForQuery(b.byte())
    if c == "T":
        n = b.i16()
        fl = []
        for _ in range(n):
            name = b.cstr()
            toid, att, typ, size, mod, fmt = struct.unpack("!IhIhih", b.raw(18))
            fl.append(m.FieldDescription(name, toid, att, typ, size, mod, fmt))
        return m.RowDescription(tuple(fl))
    if c == "D":
        n = b.i16()
        vals: list[bytes | None] = []
        for _ in range(n):
            ln = b.i32()
            vals.append(None if ln == -1 else b.raw(ln))
        return m.DataRow(tuple(vals))
    if c == "C":
        return m.CommandComplete(b.cstr())
    if c == "E":
        return m.ErrorResponse(_fields(body))
    if c == "N":
        return m.NoticeResponse(_fields(body))
    if c == "t":
        n = b.i16()
        return m.ParameterDescription(tuple(b.u32() for _ in range(n)))
    if c in ("G", "H"):
        fmt = b.raw(1)[0]
        n = b.i16()
        cols = tuple(b.i16() for _ in range(n))
        return m.CopyInResponse(fmt, cols) if c == "G" else m.CopyOutResponse(fmt, cols)
    if c == "d":
        return m.CopyData(body)
    if c == "v":
        minor, n = b.i32(), b.i32()
        return m.NegotiateProtocolVersion(minor, tuple(b.cstr() for _ in range(n)))
    if c == "A":
        return m.NotificationResponse(b.i32(), b.cstr(), b.cstr())
    simple = {"I": m.EmptyQueryResponse, "1": m.ParseComplete, "2": m.BindComplete, "3": m.CloseComplete,
              "n": m.NoData, "s": m.PortalSuspended, "c": m.CopyDone}
    if c in simple:
        return simple[c]()  # type: ignore[no-any-return]
    raise FramingError(f"unknown backend message type {c!r}")


class BackendReader:
    """Accumulates server bytes and yields backend messages (the raw test client's half)."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, data: bytes) -> None:
        self.buf += data

    def next(self) -> m.BackendMessage | None:
        if len(self.buf) < 5:
            return None
        t = self.buf[0]
        ln = _I32.unpack_from(self.buf, 1)[0]
        if len(self.buf) < ln + 1:
            return None
        body = bytes(self.buf[5 : ln + 1])
        del self.buf[: ln + 1]
        return decode_backend(t, body)
