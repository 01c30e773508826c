"""Messages of the PostgreSQL frontend/backend protocol v3, as frozen dataclasses.

Frontend messages (client → server) are produced by :func:`remwire.protocol.codec.decode_frontend`; backend
messages (server → client) are serialised by their ``encode()`` method. Both directions can be encoded and
decoded, so tests (and the raw test client) can round-trip every message. No I/O, no engine imports.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

_I32 = struct.Struct("!i")
_I16 = struct.Struct("!h")
_HDR = struct.Struct("!ci")

PROTOCOL_3_0 = 196608
SSL_REQUEST_CODE = 80877103
GSSENC_REQUEST_CODE = 80877104
CANCEL_REQUEST_CODE = 80877102


class MessageType(IntEnum):
    """Type bytes of typed messages (F: frontend, B: backend)."""

    # frontend
    QUERY = ord("Q")
    PARSE = ord("P")
    BIND = ord("B")
    DESCRIBE = ord("D")  # also backend DataRow
    EXECUTE = ord("E")  # also backend ErrorResponse
    CLOSE = ord("C")  # also backend CommandComplete
    SYNC = ord("S")  # also backend ParameterStatus
    FLUSH = ord("H")  # also backend CopyOutResponse
    TERMINATE = ord("X")
    PASSWORD = ord("p")
    FUNCTION_CALL = ord("F")
    COPY_DATA = ord("d")
    COPY_DONE = ord("c")
    COPY_FAIL = ord("f")
    # backend only
    AUTHENTICATION = ord("R")
    BACKEND_KEY_DATA = ord("K")
    READY_FOR_QUERY = ord("Z")
    ROW_DESCRIPTION = ord("T")
    EMPTY_QUERY = ord("I")
    NOTICE = ord("N")
    PARSE_COMPLETE = ord("1")
    BIND_COMPLETE = ord("2")
    CLOSE_COMPLETE = ord("3")
    NO_DATA = ord("n")
    PARAMETER_DESCRIPTION = ord("t")
    PORTAL_SUSPENDED = ord("s")
    COPY_IN_RESPONSE = ord("G")
    COPY_BOTH_RESPONSE = ord("W")
    NEGOTIATE_PROTOCOL_VERSION = ord("v")
    NOTIFICATION = ord("A")


def frame(type_byte: bytes, body: bytes) -> bytes:
    """A typed message: type byte, int32 length (including itself), body."""
    return _HDR.pack(type_byte, len(body) + 4) + body


def cstr(s: str) -> bytes:
    """A NUL-terminated UTF-8 string."""
    return s.encode() + b"\0"


# --------------------------------------------------------------------------- frontend: untyped startup packets


@dataclass(frozen=True)
class StartupMessage:
    """StartupMessage: protocol version and parameters (user, database, options, ...)."""

    version: int
    params: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        body = b"".join(cstr(k) + cstr(v) for k, v in self.params.items()) + b"\0"
        return _I32.pack(len(body) + 8) + _I32.pack(self.version) + body


@dataclass(frozen=True)
class SSLRequest:
    """SSLRequest: the server answers one byte, ``S`` or ``N``."""

    def encode(self) -> bytes:
        return _I32.pack(8) + _I32.pack(SSL_REQUEST_CODE)


@dataclass(frozen=True)
class GSSENCRequest:
    """GSSENCRequest: answered like SSLRequest."""

    def encode(self) -> bytes:
        return _I32.pack(8) + _I32.pack(GSSENC_REQUEST_CODE)


@dataclass(frozen=True)
class CancelRequest:
    """CancelRequest: cancel the running statement of the backend with this key pair."""

    process_id: int
    secret_key: int

    def encode(self) -> bytes:
        return struct.pack("!iiii", 16, CANCEL_REQUEST_CODE, self.process_id, self.secret_key)


# --------------------------------------------------------------------------- frontend: typed messages


@dataclass(frozen=True)
class Query:
    """Simple query: one string, possibly several statements."""

    sql: str

    def encode(self) -> bytes:
        return frame(b"Q", cstr(self.sql))


@dataclass(frozen=True)
class Parse:
    """Parse: prepare ``query`` as statement ``name`` with client-given parameter OIDs (0 = infer)."""

    name: str
    query: str
    param_oids: tuple[int, ...] = ()

    def encode(self) -> bytes:
        body = cstr(self.name) + cstr(self.query) + _I16.pack(len(self.param_oids))
        body += b"".join(struct.pack("!I", o) for o in self.param_oids)
        return frame(b"P", body)


@dataclass(frozen=True)
class Bind:
    """Bind: make portal ``portal`` from statement ``statement`` with parameter values and formats."""

    portal: str
    statement: str
    param_formats: tuple[int, ...] = ()
    params: tuple[bytes | None, ...] = ()
    result_formats: tuple[int, ...] = ()

    def encode(self) -> bytes:
        parts = [cstr(self.portal), cstr(self.statement), _I16.pack(len(self.param_formats))]
        parts += [_I16.pack(f) for f in self.param_formats]
        parts.append(_I16.pack(len(self.params)))
        for p in self.params:
            parts.append(_I32.pack(-1) if p is None else _I32.pack(len(p)) + p)
        parts.append(_I16.pack(len(self.result_formats)))
        parts += [_I16.pack(f) for f in self.result_formats]
        return frame(b"B", b"".join(parts))


@dataclass(frozen=True)
class Describe:
    """Describe a statement (``kind='S'``) or a portal (``kind='P'``)."""

    kind: str
    name: str

    def encode(self) -> bytes:
        return frame(b"D", self.kind.encode() + cstr(self.name))


@dataclass(frozen=True)
class Execute:
    """Execute a portal, returning at most ``max_rows`` rows (0: all)."""

    portal: str
    max_rows: int = 0

    def encode(self) -> bytes:
        return frame(b"E", cstr(self.portal) + _I32.pack(self.max_rows))


@dataclass(frozen=True)
class Close:
    """Close a statement (``'S'``) or portal (``'P'``)."""

    kind: str
    name: str

    def encode(self) -> bytes:
        return frame(b"C", self.kind.encode() + cstr(self.name))


@dataclass(frozen=True)
class Sync:
    """Sync: end of an extended-query batch."""

    def encode(self) -> bytes:
        return b"S\0\0\0\4"


@dataclass(frozen=True)
class Flush:
    """Flush: send pending output now."""

    def encode(self) -> bytes:
        return b"H\0\0\0\4"


@dataclass(frozen=True)
class Terminate:
    """Terminate: the client is closing the connection."""

    def encode(self) -> bytes:
        return b"X\0\0\0\4"


@dataclass(frozen=True)
class PasswordMessage:
    """PasswordMessage / SASLInitialResponse / SASLResponse: raw body, interpreted by the auth module."""

    data: bytes

    def encode(self) -> bytes:
        return frame(b"p", self.data)


@dataclass(frozen=True)
class FunctionCall:
    """FunctionCall (fast-path interface): not supported, answered with an error."""

    data: bytes

    def encode(self) -> bytes:
        return frame(b"F", self.data)


@dataclass(frozen=True)
class CopyData:
    """CopyData (both directions)."""

    data: bytes

    def encode(self) -> bytes:
        return frame(b"d", self.data)


@dataclass(frozen=True)
class CopyDone:
    """CopyDone (both directions)."""

    def encode(self) -> bytes:
        return b"c\0\0\0\4"


@dataclass(frozen=True)
class CopyFail:
    """CopyFail: the client aborts COPY FROM STDIN."""

    message: str

    def encode(self) -> bytes:
        return frame(b"f", cstr(self.message))


# --------------------------------------------------------------------------- backend messages


class AuthCode(IntEnum):
    """Authentication request codes."""

    OK = 0
    CLEARTEXT = 3
    MD5 = 5
    SASL = 10
    SASL_CONTINUE = 11
    SASL_FINAL = 12


@dataclass(frozen=True)
class Authentication:
    """AuthenticationOk/SASL/SASLContinue/SASLFinal/...: a code and its payload."""

    code: int
    payload: bytes = b""

    def encode(self) -> bytes:
        return frame(b"R", _I32.pack(self.code) + self.payload)


@dataclass(frozen=True)
class ParameterStatus:
    """ParameterStatus: a reportable run-time parameter's value."""

    name: str
    value: str

    def encode(self) -> bytes:
        return frame(b"S", cstr(self.name) + cstr(self.value))


@dataclass(frozen=True)
class BackendKeyData:
    """BackendKeyData: the key pair a CancelRequest must present."""

    process_id: int
    secret_key: int

    def encode(self) -> bytes:
        return frame(b"K", struct.pack("!ii", self.process_id, self.secret_key))


@dataclass(frozen=True)
class ReadyForQuery:
    """ReadyForQuery with transaction status I, T or E."""

    status: str

    def encode(self) -> bytes:
        return frame(b"Z", self.status.encode())


@dataclass(frozen=True)
class FieldDescription:
    """One RowDescription field."""

    name: str
    table_oid: int = 0
    attnum: int = 0
    type_oid: int = 25
    type_size: int = -1
    typmod: int = -1
    format: int = 0

    def encode(self) -> bytes:
        return cstr(self.name) + struct.pack(
            "!IhIhih", self.table_oid, self.attnum, self.type_oid, self.type_size, self.typmod, self.format
        )


@dataclass(frozen=True)
class RowDescription:
    """RowDescription: the columns of the rows that follow."""

    fields: tuple[FieldDescription, ...]

    def encode(self) -> bytes:
        return frame(b"T", _I16.pack(len(self.fields)) + b"".join(f.encode() for f in self.fields))


def encode_data_row(values: list[bytes | None] | tuple[bytes | None, ...]) -> bytes:
    """DataRow bytes from already-encoded column values (the hot path; no dataclass)."""
    parts = [_I16.pack(len(values))]
    append = parts.append
    pack = _I32.pack
    for v in values:
        if v is None:
            append(b"\xff\xff\xff\xff")
        else:
            append(pack(len(v)))
            append(v)
    body = b"".join(parts)
    return _HDR.pack(b"D", len(body) + 4) + body


@dataclass(frozen=True)
class DataRow:
    """DataRow: encoded column values (None: SQL NULL)."""

    values: tuple[bytes | None, ...]

    def encode(self) -> bytes:
        return encode_data_row(self.values)


@dataclass(frozen=True)
class CommandComplete:
    """CommandComplete with its command tag."""

    tag: str

    def encode(self) -> bytes:
        return frame(b"C", cstr(self.tag))


@dataclass(frozen=True)
class EmptyQueryResponse:
    """EmptyQueryResponse: the query string held no statement."""

    def encode(self) -> bytes:
        return b"I\0\0\0\4"


def _encode_fields(fields: tuple[tuple[str, str], ...]) -> bytes:
    return b"".join(code.encode() + cstr(value) for code, value in fields) + b"\0"


@dataclass(frozen=True)
class ErrorResponse:
    """ErrorResponse: (field code, value) pairs such as ('S', 'ERROR'), ('C', '42601'), ('M', '...')."""

    fields: tuple[tuple[str, str], ...]

    def encode(self) -> bytes:
        return frame(b"E", _encode_fields(self.fields))

    def get(self, code: str) -> str | None:
        """The value of field ``code`` (e.g. 'C' for the SQLSTATE)."""
        return next((v for c, v in self.fields if c == code), None)


@dataclass(frozen=True)
class NoticeResponse:
    """NoticeResponse: same fields as ErrorResponse."""

    fields: tuple[tuple[str, str], ...]

    def encode(self) -> bytes:
        return frame(b"N", _encode_fields(self.fields))

    def get(self, code: str) -> str | None:
        """The value of field ``code``."""
        return next((v for c, v in self.fields if c == code), None)


@dataclass(frozen=True)
class ParseComplete:
    def encode(self) -> bytes:
        return b"1\0\0\0\4"


@dataclass(frozen=True)
class BindComplete:
    def encode(self) -> bytes:
        return b"2\0\0\0\4"


@dataclass(frozen=True)
class CloseComplete:
    def encode(self) -> bytes:
        return b"3\0\0\0\4"


@dataclass(frozen=True)
class NoData:
    def encode(self) -> bytes:
        return b"n\0\0\0\4"


@dataclass(frozen=True)
class PortalSuspended:
    def encode(self) -> bytes:
        return b"s\0\0\0\4"


@dataclass(frozen=True)
class ParameterDescription:
    """ParameterDescription: the parameter type OIDs of a prepared statement."""

    oids: tuple[int, ...]

    def encode(self) -> bytes:
        return frame(b"t", _I16.pack(len(self.oids)) + b"".join(struct.pack("!I", o) for o in self.oids))


@dataclass(frozen=True)
class CopyInResponse:
    """CopyInResponse: overall format (0 text, 1 binary) and per-column formats."""

    format: int
    column_formats: tuple[int, ...]

    def encode(self) -> bytes:
        body = struct.pack("!bh", self.format, len(self.column_formats))
        return frame(b"G", body + b"".join(_I16.pack(f) for f in self.column_formats))


@dataclass(frozen=True)
class CopyOutResponse:
    """CopyOutResponse: overall format and per-column formats."""

    format: int
    column_formats: tuple[int, ...]

    def encode(self) -> bytes:
        body = struct.pack("!bh", self.format, len(self.column_formats))
        return frame(b"H", body + b"".join(_I16.pack(f) for f in self.column_formats))


@dataclass(frozen=True)
class NegotiateProtocolVersion:
    """NegotiateProtocolVersion: newest minor version supported and unrecognised ``_pq_.`` options."""

    minor: int
    unrecognized: tuple[str, ...] = ()

    def encode(self) -> bytes:
        body = _I32.pack(self.minor) + _I32.pack(len(self.unrecognized))
        return frame(b"v", body + b"".join(cstr(o) for o in self.unrecognized))


@dataclass(frozen=True)
class NotificationResponse:
    """NotificationResponse (LISTEN/NOTIFY)."""

    process_id: int
    channel: str
    payload: str

    def encode(self) -> bytes:
        return frame(b"A", _I32.pack(self.process_id) + cstr(self.channel) + cstr(self.payload))


FrontendMessage = (
    StartupMessage | SSLRequest | GSSENCRequest | CancelRequest | Query | Parse | Bind | Describe | Execute
    | Close | Sync | Flush | Terminate | PasswordMessage | FunctionCall | CopyData | CopyDone | CopyFail
)
BackendMessage = (
    Authentication | ParameterStatus | BackendKeyData | ReadyForQuery | RowDescription | DataRow
    | CommandComplete | EmptyQueryResponse | ErrorResponse | NoticeResponse | ParseComplete | BindComplete
    | CloseComplete | NoData | PortalSuspended | ParameterDescription | CopyInResponse | CopyOutResponse
    | CopyData | CopyDone | NegotiateProtocolVersion | NotificationResponse
)
