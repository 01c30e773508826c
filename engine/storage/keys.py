"""Binary-safe, order-preserving key encodings for RocksDB (documented in docs/storage.md).

Every encoded value starts with a type tag byte and is self-delimiting, so a concatenation of encoded values
(composite index keys) sorts like the tuple of values. Byte order of encodings equals SQL order within a type;
``None`` (SQL NULL) sorts after every value, as PostgreSQL's ``ASC NULLS LAST``.

>>> decode_value(encode_value("a:b/c d")) == "a:b/c d"
True
>>> encode_value(1) < encode_value(2.5) < encode_value(None)
True
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import struct
import uuid
from typing import Any

import numpy as np
import orjson

from engine.types import JSON_NULL, Interval

# type tags (the first byte of every encoded value)
T_JSON_NULL = 0x08
T_FALSE = 0x10
T_TRUE = 0x11
T_NUM = 0x20
T_TEXT = 0x30
T_BYTES = 0x31
T_UUID = 0x40
T_DATE = 0x50
T_TS = 0x51  # naive timestamp
T_TSTZ = 0x52  # aware timestamp (UTC)
T_TIME = 0x53
T_INTERVAL = 0x54
T_ARRAY = 0x60
T_VECTOR = 0x61
T_JSON = 0x70
T_NULL = 0xFF

_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_TZ = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_I64 = struct.Struct(">Q")
_F64 = struct.Struct(">d")
_SIGN = 1 << 63
_MASK = (1 << 64) - 1

TABLE = struct.Struct(">I")  # table / index OID prefixes


def _int64(v: int) -> bytes:
    """Sortable 8 bytes of a signed 64-bit integer (clamped)."""
    v = max(-_SIGN, min(_SIGN - 1, v))
    return _I64.pack((v + _SIGN) & _MASK)


def _un_int64(b: bytes) -> int:
    return _I64.unpack(b)[0] - _SIGN


def _float64(f: float) -> bytes:
    """Sortable 8 bytes of a float (NaN sorts above +inf, as in PostgreSQL; -0.0 == 0.0)."""
    if math.isnan(f):
        return b"\xff" * 8
    if f == 0.0:
        f = 0.0
    (u,) = _I64.unpack(_F64.pack(f))
    u = (u ^ _MASK) if u & _SIGN else (u | _SIGN)
    return _I64.pack(u)


def _un_float64(b: bytes) -> float:
    if b == b"\xff" * 8:
        return math.nan
    (u,) = _I64.unpack(b)
    u = (u & ~_SIGN & _MASK) if u & _SIGN else (u ^ _MASK)
    return _F64.unpack(_I64.pack(u))[0]


def escape(b: bytes) -> bytes:
    """Escape ``00`` as ``00 FF`` and terminate with ``00 00`` (prefix-free, order-preserving)."""
    return b.replace(b"\x00", b"\x00\xff") + b"\x00\x00"


def _unescape(buf: bytes, pos: int) -> tuple[bytes, int]:
    out = bytearray()
    while True:
        i = buf.index(b"\x00", pos)
        out += buf[pos:i]
        if buf[i + 1] == 0x00:
            return bytes(out), i + 2
        out.append(0)
        pos = i + 2


def _num(v: int | float | decimal.Decimal) -> bytes:
    """Numbers of every kind in one order: float64 image, then the exact integer remainder."""
    if isinstance(v, decimal.Decimal):
        if v.is_nan():
            return bytes([T_NUM]) + b"\xff" * 8 + _int64(0)
        if v.is_finite() and v == v.to_integral_value():
            v = int(v)
        else:
            return _NUM + _float64(float(v)) + _ZERO8
    if isinstance(v, int):
        try:
            f = float(v)
        except OverflowError:
            f = math.inf if v > 0 else -math.inf
        rem = v - int(f) if math.isfinite(f) else 0
        return bytes([T_NUM]) + _float64(f) + _int64(rem)
    return bytes([T_NUM]) + _float64(v) + _int64(0)


def _micros(d: dt.timedelta) -> int:
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


_ZERO8 = _int64(0)
_TEXT = bytes([T_TEXT])
_NUM = bytes([T_NUM])
_SAFE = 1 << 53
_DECIMAL = decimal.Decimal


def encode_value(v: Any) -> bytes:
    """Order-preserving, self-delimiting encoding of one SQL value (``None`` = NULL, sorts last)."""
    tv = type(v)
    if tv is str:
        return _TEXT + escape(v.encode("utf-8", "surrogatepass"))
    if tv is int and -_SAFE <= v <= _SAFE:
        return _NUM + _float64(float(v)) + _ZERO8
    if tv is float and v == v:
        return _NUM + _float64(v) + _ZERO8
    if tv is _DECIMAL:
        return _num(v)
    if v is None:
        return b"\xff"
    if v is JSON_NULL:
        return bytes([T_JSON_NULL])
    if v is True:
        return bytes([T_TRUE])
    if v is False:
        return bytes([T_FALSE])
    if isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool):
        return _num(v)
    if isinstance(v, np.integer | np.floating):
        return _num(v.item())
    if isinstance(v, str):
        return bytes([T_TEXT]) + escape(v.encode("utf-8", "surrogatepass"))
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes([T_BYTES]) + escape(bytes(v))
    if isinstance(v, uuid.UUID):
        return bytes([T_UUID]) + v.bytes
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            return bytes([T_TS]) + _int64(_micros(v - _EPOCH))
        return bytes([T_TSTZ]) + _int64(_micros(v - _EPOCH_TZ))
    if isinstance(v, dt.date):
        return bytes([T_DATE]) + _int64(v.toordinal())
    if isinstance(v, dt.time):
        us = ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond
        return bytes([T_TIME]) + _int64(us)
    if isinstance(v, Interval):
        total = (v.months * 30 + v.days) * 86_400_000_000 + v.microseconds  # PostgreSQL's comparison key
        return bytes([T_INTERVAL]) + _int64(total) + _int64(v.months) + _int64(v.days) + _int64(v.microseconds)
    if isinstance(v, np.ndarray):
        return bytes([T_VECTOR]) + escape(np.asarray(v, dtype=np.float32).tobytes())
    if isinstance(v, (list, tuple)):
        return bytes([T_ARRAY]) + b"".join(encode_value(x) for x in v) + b"\x00"
    if isinstance(v, dict):
        return bytes([T_JSON]) + escape(orjson.dumps(v, option=orjson.OPT_SORT_KEYS, default=str))
    raise TypeError(f"cannot encode {type(v).__name__} as an index key")


def encode_values(values: list[Any] | tuple[Any, ...]) -> bytes:
    """Encoding of a tuple of values (composite keys)."""
    return b"".join(encode_value(v) for v in values)


def decode_value(buf: bytes, pos: int = 0) -> Any:
    """Inverse of :func:`encode_value` (first value of ``buf`` at ``pos``)."""
    return _decode(buf, pos)[0]


def decode_values(buf: bytes, n: int) -> list[Any]:
    """Inverse of :func:`encode_values` for the first ``n`` values of ``buf``."""
    out, pos = [], 0
    for _ in range(n):
        v, pos = _decode(buf, pos)
        out.append(v)
    return out


def _decode(buf: bytes, pos: int) -> tuple[Any, int]:
    tag = buf[pos]
    p = pos + 1
    if tag == T_NULL:
        return None, p
    if tag == T_JSON_NULL:
        return JSON_NULL, p
    if tag == T_TRUE:
        return True, p
    if tag == T_FALSE:
        return False, p
    if tag == T_NUM:
        f = _un_float64(buf[p:p + 8])
        rem = _un_int64(buf[p + 8:p + 16])
        if math.isfinite(f) and (rem != 0 or f == int(f)):
            return int(f) + rem, p + 16
        return f, p + 16
    if tag in (T_TEXT, T_BYTES, T_JSON, T_VECTOR):
        raw, p = _unescape(buf, p)
        if tag == T_TEXT:
            return raw.decode("utf-8", "surrogatepass"), p
        if tag == T_JSON:
            return orjson.loads(raw), p
        if tag == T_VECTOR:
            return np.frombuffer(raw, dtype=np.float32).copy(), p
        return raw, p
    if tag == T_UUID:
        return uuid.UUID(bytes=bytes(buf[p:p + 16])), p + 16
    if tag in (T_TS, T_TSTZ):
        us = _un_int64(buf[p:p + 8])
        base = _EPOCH if tag == T_TS else _EPOCH_TZ
        return base + dt.timedelta(microseconds=us), p + 8
    if tag == T_DATE:
        return dt.date.fromordinal(_un_int64(buf[p:p + 8])), p + 8
    if tag == T_TIME:
        us = _un_int64(buf[p:p + 8])
        s, us = divmod(us, 1_000_000)
        m, s = divmod(s, 60)
        h, m = divmod(m, 60)
        return dt.time(h, m, s, us), p + 8
    if tag == T_INTERVAL:
        return Interval(_un_int64(buf[p + 8:p + 16]), _un_int64(buf[p + 16:p + 24]),
                        _un_int64(buf[p + 24:p + 32])), p + 32
    if tag == T_ARRAY:
        out = []
        while buf[p] != 0x00:
            x, p = _decode(buf, p)
            out.append(x)
        return out, p + 1
    raise ValueError(f"bad key tag 0x{tag:02x}")


def prefix_end(prefix: bytes) -> bytes | None:
    """The smallest key greater than every key starting with ``prefix`` (None: no upper bound)."""
    b = bytearray(prefix)
    while b and b[-1] == 0xFF:
        b.pop()
    if not b:
        return None
    b[-1] += 1
    return bytes(b)


# --- column-family key layouts ---------------------------------------------------------------------------

def entity_key(table_oid: int, id_: uuid.UUID) -> bytes:
    """``entities`` / ``embeddings``: table OID (4 bytes BE) + id (16 bytes)."""
    return TABLE.pack(table_oid) + id_.bytes


def index_prefix(index_oid: int, values: list[Any] | None = None) -> bytes:
    """``indexes``: index OID (4 bytes BE) + encoded column values (+ id)."""
    return TABLE.pack(index_oid) + (encode_values(values) if values is not None else b"")


def index_key(index_oid: int, values: list[Any], id_: uuid.UUID) -> bytes:
    return index_prefix(index_oid, values) + id_.bytes


def key_index_prefix(key_text: str, table_oid: int | None = None) -> bytes:
    """``key_index``: escaped UTF-8 key text + table OID + id (value empty). Prefix-scan by key text."""
    p = escape(key_text.encode("utf-8", "surrogatepass"))
    return p if table_oid is None else p + TABLE.pack(table_oid)


def key_index_key(key_text: str, table_oid: int, id_: uuid.UUID) -> bytes:
    return key_index_prefix(key_text, table_oid) + id_.bytes


def split_key_index_key(k: bytes) -> tuple[str, int, uuid.UUID]:
    """(key text, table OID, id) of a ``key_index`` key."""
    raw, p = _unescape(k, 0)
    return raw.decode("utf-8", "surrogatepass"), TABLE.unpack(k[p:p + 4])[0], uuid.UUID(bytes=k[p + 4:p + 20])


def edge_key(a: uuid.UUID, rel_type: str, b: uuid.UUID) -> bytes:
    """``edges`` (a=src, b=dst) and ``edges_reverse`` (a=dst, b=src): a(16) + escaped rel_type + b(16)."""
    return a.bytes + escape(rel_type.encode("utf-8")) + b.bytes


def split_edge_key(k: bytes) -> tuple[uuid.UUID, str, uuid.UUID]:
    """(a, rel_type, b) of an edge key."""
    raw, p = _unescape(k, 16)
    return uuid.UUID(bytes=k[:16]), raw.decode("utf-8"), uuid.UUID(bytes=k[p:p + 16])


def seq_key(seq: int) -> bytes:
    """``wal``: commit sequence number, 8 bytes BE."""
    return seq.to_bytes(8, "big")
