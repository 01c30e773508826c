"""Row value serialization for the ``entities`` column family: one status byte + msgpack of the row dict.

Status byte: ``L`` live, ``D`` soft-deleted (scans and counts skip deleted rows without decoding them).
Python values that msgpack lacks travel as msgpack ext types (see ``_EXT_*``). Why msgpack: docs/storage.md.

>>> import uuid; r = {"id": uuid.UUID(int=1), "n": 2}
>>> decode_row(encode_row(r)) == r
True
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import struct
import uuid
from typing import Any

import msgpack
import numpy as np

from engine.types import JSON_NULL, Interval

LIVE = b"L"
DELETED = b"D"

_EXT_UUID = 1
_EXT_TSTZ = 2
_EXT_TS = 3
_EXT_DATE = 4
_EXT_TIME = 5
_EXT_DECIMAL = 6
_EXT_INTERVAL = 7
_EXT_JSON_NULL = 8
_EXT_VECTOR = 9
_EXT_BIGINT = 10

_Q = struct.Struct(">q")
_IV = struct.Struct(">qqq")
_EPOCH = dt.datetime(1970, 1, 1)
_packb = msgpack.packb
_EPOCH_TZ = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)


def _micros(d: dt.timedelta) -> int:
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def _default(v: Any) -> Any:
    if isinstance(v, uuid.UUID):
        return msgpack.ExtType(_EXT_UUID, v.bytes)
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            return msgpack.ExtType(_EXT_TS, _Q.pack(_micros(v - _EPOCH)))
        return msgpack.ExtType(_EXT_TSTZ, _Q.pack(_micros(v - _EPOCH_TZ)))
    if isinstance(v, dt.date):
        return msgpack.ExtType(_EXT_DATE, _Q.pack(v.toordinal()))
    if isinstance(v, dt.time):
        us = ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond
        return msgpack.ExtType(_EXT_TIME, _Q.pack(us))
    if isinstance(v, decimal.Decimal):
        return msgpack.ExtType(_EXT_DECIMAL, str(v).encode())
    if isinstance(v, Interval):
        return msgpack.ExtType(_EXT_INTERVAL, _IV.pack(v.months, v.days, v.microseconds))
    if v is JSON_NULL:
        return msgpack.ExtType(_EXT_JSON_NULL, b"")
    if isinstance(v, np.ndarray):
        return msgpack.ExtType(_EXT_VECTOR, np.asarray(v, dtype=np.float32).tobytes())
    if isinstance(v, np.integer | np.floating | np.bool_):
        return v.item()
    if isinstance(v, int):  # beyond 64 bits
        return msgpack.ExtType(_EXT_BIGINT, str(v).encode())
    if isinstance(v, (set, frozenset)):
        return list(v)
    raise TypeError(f"cannot store a value of type {type(v).__name__}")


_ext_new = tuple.__new__  # msgpack.ExtType(code, data) without its Python-level argument checks
_ExtType = msgpack.ExtType


def _ext_uuid(v: uuid.UUID) -> Any:
    return _ext_new(_ExtType, (_EXT_UUID, v.bytes))


_last_dt: tuple[Any, Any] = (None, None)  # the last datetime encoded and its ext (a row's created/modified share one)


def _ext_datetime(v: dt.datetime) -> Any:
    global _last_dt
    last = _last_dt
    if last[0] is v:
        return last[1]
    if v.tzinfo is None:
        e = _ext_new(_ExtType, (_EXT_TS, _Q.pack(_micros(v - _EPOCH))))
    else:
        e = _ext_new(_ExtType, (_EXT_TSTZ, _Q.pack(_micros(v - _EPOCH_TZ))))
    _last_dt = (v, e)
    return e


def _ext_decimal(v: decimal.Decimal) -> Any:
    return _ext_new(_ExtType, (_EXT_DECIMAL, str(v).encode()))


# the common exact types first (one dict lookup); subclasses and the rest go through _default's isinstance chain
_BY_TYPE: dict[type, Any] = {uuid.UUID: _ext_uuid, dt.datetime: _ext_datetime, decimal.Decimal: _ext_decimal}
_by_type = _BY_TYPE.get


def _fast_default(v: Any) -> Any:
    """:func:`_default` (the same ext types, byte for byte) with a type lookup for uuid, datetime and Decimal."""
    f = _by_type(type(v))
    return f(v) if f is not None else _default(v)


_new = object.__new__
_set = object.__setattr__
_from = int.from_bytes
_UNKNOWN = uuid.SafeUUID.unknown


def fast_uuid(data: bytes) -> uuid.UUID:
    """``uuid.UUID(bytes=data)`` without the constructor's argument checking (3x faster)."""
    u = _new(uuid.UUID)
    _set(u, "int", _from(data, "big"))
    _set(u, "is_safe", _UNKNOWN)
    return u


@functools.lru_cache(maxsize=8192)
def _tstz(data: bytes) -> dt.datetime:  # cached: a statement's rows share their timestamps (datetime is immutable)
    return _EPOCH_TZ + dt.timedelta(microseconds=_Q.unpack(data)[0])


@functools.lru_cache(maxsize=8192)
def _ts(data: bytes) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=_Q.unpack(data)[0])


@functools.lru_cache(maxsize=8192)
def _date(data: bytes) -> dt.date:
    return dt.date.fromordinal(_Q.unpack(data)[0])


def _time(data: bytes) -> dt.time:
    us = _Q.unpack(data)[0]
    s, us = divmod(us, 1_000_000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return dt.time(h, m, s, us)


_HOOKS: dict[int, Any] = {
    _EXT_UUID: fast_uuid,
    _EXT_TSTZ: _tstz,
    _EXT_TS: _ts,
    _EXT_DATE: _date,
    _EXT_TIME: _time,
    _EXT_DECIMAL: lambda d: decimal.Decimal(d.decode()),
    _EXT_INTERVAL: lambda d: Interval(*_IV.unpack(d)),
    _EXT_JSON_NULL: lambda d: JSON_NULL,
    _EXT_VECTOR: lambda d: np.frombuffer(d, dtype=np.float32).copy(),
    _EXT_BIGINT: lambda d: int(d.decode()),
}


def _hook_of(hooks: dict[int, Any]) -> Any:
    """An msgpack ``ext_hook`` decoding with ``hooks`` (an unknown code stays an ``msgpack.ExtType``)."""
    get = hooks.get

    def ext_hook(code: int, data: bytes) -> Any:
        f = get(code)
        return f(data) if f is not None else msgpack.ExtType(code, data)

    return ext_hook


_ext_hook = _hook_of(_HOOKS)
_ext_hook_skip_vectors = _hook_of({**_HOOKS, _EXT_VECTOR: lambda d: None})


def encode_row(row: dict[str, Any], deleted: bool = False) -> bytes:
    """Status byte + msgpack of ``row``."""
    return (DELETED if deleted else LIVE) + _packb(row, default=_fast_default, use_bin_type=True, datetime=False)


def decode_row(value: bytes) -> dict[str, Any]:
    """The row dict of an ``entities`` value."""
    return msgpack.unpackb(value[1:], ext_hook=_ext_hook, raw=False, strict_map_key=False)


def decode_row_without_vectors(value: bytes) -> dict[str, Any]:
    """:func:`decode_row` with ``vector`` values left out (None): for readers that do not read them (no copy of
    the vectors' bytes)."""
    return msgpack.unpackb(memoryview(value)[1:], ext_hook=_ext_hook_skip_vectors, raw=False,
                           strict_map_key=False)


def is_deleted(value: bytes) -> bool:
    """True for a soft-deleted row's value (no decoding)."""
    return value[:1] == DELETED


def encode_obj(obj: Any) -> bytes:
    """msgpack of any storable value (edge values, WAL records, meta)."""
    return _packb(obj, default=_fast_default, use_bin_type=True, datetime=False)


def decode_obj(data: bytes) -> Any:
    return msgpack.unpackb(data, ext_hook=_ext_hook, raw=False, strict_map_key=False)


def encode_vector(v: np.ndarray) -> bytes:
    """``embeddings`` value: raw little-endian float32."""
    return np.asarray(v, dtype="<f4").tobytes()


def decode_vector(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4").copy()
