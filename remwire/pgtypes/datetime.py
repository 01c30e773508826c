"""Dates and times: date (int32 days), time/timestamp/timestamptz (int64 µs), interval (µs, days, months).

Epoch is 2000-01-01; timestamptz is UTC on the wire; ±infinity has no Python value and is refused.
"""

from __future__ import annotations

import datetime as dt
import struct
from typing import Any

from engine.errors import DatetimeFieldOverflow, InvalidBinaryRepresentation, ProtocolViolation
from engine.types import Interval

_EPOCH_DATE = dt.date(2000, 1, 1)
_EPOCH_ORD = _EPOCH_DATE.toordinal()
_EPOCH = dt.datetime(2000, 1, 1)
_EPOCH_TZ = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_I = struct.Struct("!i")
_Q = struct.Struct("!q")
_IV = struct.Struct("!qii")
_US = dt.timedelta(microseconds=1)


def _need(b: bytes, n: int, what: str) -> None:
    if len(b) < n:
        raise ProtocolViolation("insufficient data left in message")
    if len(b) > n:
        raise InvalidBinaryRepresentation(f"incorrect binary data format for type {what}")


def send_date(v: Any) -> bytes:
    return _I.pack(v.toordinal() - _EPOCH_ORD)


def recv_date(b: bytes) -> dt.date:
    _need(b, 4, "date")
    days = _I.unpack(b)[0]
    try:
        return dt.date.fromordinal(days + _EPOCH_ORD)
    except (ValueError, OverflowError) as e:
        raise DatetimeFieldOverflow("date out of range") from e


def send_time(v: Any) -> bytes:
    return _Q.pack(((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond)


def recv_time(b: bytes) -> dt.time:
    _need(b, 8, "time")
    us = _Q.unpack(b)[0]
    if not 0 <= us <= 86_400_000_000:
        raise DatetimeFieldOverflow("time out of range")
    if us == 86_400_000_000:
        us -= 1
    s, us = divmod(us, 1_000_000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return dt.time(h, m, s, us)


def _delta_us(d: dt.timedelta) -> int:
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def send_timestamp(v: Any) -> bytes:
    if v.tzinfo is not None:
        v = v.astimezone(dt.UTC).replace(tzinfo=None)
    return _Q.pack(_delta_us(v - _EPOCH))


def recv_timestamp(b: bytes) -> dt.datetime:
    _need(b, 8, "timestamp")
    try:
        return _EPOCH + _Q.unpack(b)[0] * _US
    except OverflowError as e:
        raise DatetimeFieldOverflow("timestamp out of range") from e


def send_timestamptz(v: Any) -> bytes:
    if v.tzinfo is None:
        v = v.replace(tzinfo=dt.UTC)
    return _Q.pack(_delta_us(v - _EPOCH_TZ))


def recv_timestamptz(b: bytes) -> dt.datetime:
    _need(b, 8, "timestamptz")
    try:
        return _EPOCH_TZ + _Q.unpack(b)[0] * _US
    except OverflowError as e:
        raise DatetimeFieldOverflow("timestamp out of range") from e


def send_interval(v: Any) -> bytes:
    if isinstance(v, dt.timedelta):
        return _IV.pack(v.seconds * 1_000_000 + v.microseconds, v.days, 0)
    return _IV.pack(v.microseconds, v.days, v.months)


def recv_interval(b: bytes) -> Interval:
    _need(b, 16, "interval")
    us, days, months = _IV.unpack(b)
    return Interval(months, days, us)


_TZ = struct.Struct("!qi")


def send_timetz(v: Any) -> bytes:
    """timetz: µs since midnight, then the zone's offset in seconds west of UTC."""
    off = v.utcoffset() if v.tzinfo is not None else None
    west = -int(off.total_seconds()) if off is not None else 0
    us = ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond
    return _TZ.pack(us, west)


def recv_timetz(b: bytes) -> dt.time:
    _need(b, 12, "time with time zone")
    us, west = _TZ.unpack(b)
    t = recv_time(_Q.pack(us))
    return t.replace(tzinfo=dt.timezone(dt.timedelta(seconds=-west)))
