"""``interval`` type modifiers: field restrictions (``interval hour to minute``) and second precision
(``interval(2)``, ``interval second(3)``), with PostgreSQL's typmod encoding ``(range << 16) | precision``."""

from __future__ import annotations

import re

from engine import types as T
from engine.errors import InvalidParameterValue

FULL_RANGE = 0x7FFF
FULL_PRECISION = 0xFFFF
_MONTH, _YEAR, _DAY, _HOUR, _MINUTE, _SECOND = (1 << 1, 1 << 2, 1 << 3, 1 << 10, 1 << 11, 1 << 12)
_US_HOUR = 3_600_000_000
_US_MINUTE = 60_000_000
# the rightmost field of each range: the unit of a bare number (DecodeInterval)
_LAST_UNIT = {_YEAR: "year", _MONTH: "month", _YEAR | _MONTH: "month", _DAY: "day", _HOUR: "hour",
              _DAY | _HOUR: "hour", _MINUTE: "minute", _HOUR | _MINUTE: "minute", _DAY | _HOUR | _MINUTE: "minute"}
_BARE = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)\s*")
_MMSS = re.compile(r"\s*([-+]?)(\d+):(\d+(?:\.\d*)?)\s*")


def split(typmod: int) -> tuple[int, int]:
    """(range mask, precision) of an interval typmod (-1: full range, full precision)."""
    if typmod < 0:
        return FULL_RANGE, FULL_PRECISION
    return (typmod >> 16) & 0x7FFF, typmod & 0xFFFF


def with_precision(typmod: int) -> int:
    """Encode a bare ``interval(p)`` precision (the parser's raw number) as a full-range typmod."""
    return typmod if typmod > 0xFFFF or typmod < 0 else (FULL_RANGE << 16) | typmod


def parse(text: str, typmod: int) -> T.Interval:
    """``'text'::interval<typmod>``: a bare number counts in the range's last field; then :func:`apply`."""
    from engine.textio import parse_text

    rng, _ = split(typmod)
    if rng != FULL_RANGE:
        if _BARE.fullmatch(text) and rng in _LAST_UNIT:
            text = f"{text.strip()} {_LAST_UNIT[rng]}"
        elif rng == _MINUTE | _SECOND and (m := _MMSS.fullmatch(text)):
            text = f"{m[1]}{m[2]} minutes {m[1]}{m[3]} seconds"
    return apply(parse_text(T.INTERVAL, text), typmod)


def _trunc(us: int, unit: int) -> int:
    q = abs(us) // unit * unit
    return q if us >= 0 else -q


def apply(iv: T.Interval, typmod: int) -> T.Interval:
    """AdjustIntervalForTypmod: drop the fields below the range, round seconds to the precision."""
    if typmod < 0 or iv is None:
        return iv
    rng, prec = split(typmod)
    months, days, us = iv.months, iv.days, iv.microseconds
    if rng != FULL_RANGE:
        if rng == _YEAR:
            months, days, us = int(months / 12) * 12, 0, 0
        elif rng in (_MONTH, _YEAR | _MONTH):
            days, us = 0, 0
        elif rng == _DAY:
            us = 0
        elif rng in (_HOUR, _DAY | _HOUR):
            us = _trunc(us, _US_HOUR)
        elif rng in (_MINUTE, _HOUR | _MINUTE, _DAY | _HOUR | _MINUTE):
            us = _trunc(us, _US_MINUTE)
    if prec != FULL_PRECISION:
        if prec > 6:
            prec = 6
        scale = 10 ** (6 - prec)
        half = scale // 2
        us = (us + half) // scale * scale if us >= 0 else -((-us + half) // scale * scale)
    return T.Interval(months, days, us)


def check_precision(p: int) -> int:
    if p < 0:
        raise InvalidParameterValue(f"INTERVAL({p}) precision must not be negative")
    return min(p, 6)
