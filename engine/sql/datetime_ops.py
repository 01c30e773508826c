"""Date/time arithmetic with PostgreSQL semantics (month clamping, DST-aware timestamptz ± interval)."""

from __future__ import annotations

import calendar
import datetime as dt
import math

from engine.errors import DatetimeFieldOverflow, DivisionByZero
from engine.textio_datetime import (
    DATE_NEG_INF,
    DATE_POS_INF,
    TS_NEG_INF,
    TS_POS_INF,
    USECS_PER_DAY,
    USECS_PER_SEC,
    localize,
    to_local,
)
from engine.types import Interval

_I32 = 2**31
_I64 = 2**63


def _ts_out_of_range() -> DatetimeFieldOverflow:
    return DatetimeFieldOverflow("timestamp out of range")


def is_inf(v: dt.date) -> bool:
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None) in (TS_POS_INF, TS_NEG_INF)
    return v in (DATE_POS_INF, DATE_NEG_INF)


def check_interval(months: int, days: int, us: int) -> Interval:
    if not (-_I32 <= months < _I32 and -_I32 <= days < _I32 and -_I64 <= us < _I64):
        raise DatetimeFieldOverflow("interval out of range")
    return Interval(months, days, us)


def add_months(ts: dt.datetime, months: int) -> dt.datetime:
    if not months:
        return ts
    total = ts.year * 12 + (ts.month - 1) + months
    y, m = divmod(total, 12)
    if not 1 <= y <= 9999:
        raise _ts_out_of_range()
    d = min(ts.day, calendar.monthrange(y, m + 1)[1])
    return ts.replace(year=y, month=m + 1, day=d)


def _plus_us(ts: dt.datetime, us: int) -> dt.datetime:
    try:
        return ts + dt.timedelta(microseconds=us)
    except OverflowError:
        raise _ts_out_of_range() from None


def timestamp_plus_interval(ts: dt.datetime, iv: Interval) -> dt.datetime:
    if is_inf(ts):
        return ts
    ts = add_months(ts, iv.months)
    return _plus_us(ts, iv.days * USECS_PER_DAY + iv.microseconds)


def timestamptz_plus_interval(ts: dt.datetime, iv: Interval, tz: str = "UTC") -> dt.datetime:
    """Months and days move the local wall clock of zone ``tz``; the time part is absolute."""
    if is_inf(ts):
        return ts
    if iv.months or iv.days:
        local = to_local(ts, tz)
        local = add_months(local, iv.months)
        local = _plus_us(local, iv.days * USECS_PER_DAY)
        ts = localize(local, tz)
    return _plus_us(ts, iv.microseconds)


def neg_interval(iv: Interval) -> Interval:
    return check_interval(-iv.months, -iv.days, -iv.microseconds)


def interval_add(a: Interval, b: Interval) -> Interval:
    return check_interval(a.months + b.months, a.days + b.days, a.microseconds + b.microseconds)


def interval_sub(a: Interval, b: Interval) -> Interval:
    return check_interval(a.months - b.months, a.days - b.days, a.microseconds - b.microseconds)


def _tsround(x: float) -> float:
    return round(x * 1e6) / 1e6


def interval_mul(iv: Interval, factor: float) -> Interval:
    """interval_mul of PostgreSQL 15: fractional months cascade to days (30/month), days to seconds."""
    if math.isnan(factor) or math.isinf(factor):
        raise DatetimeFieldOverflow("interval out of range")
    m_d = iv.months * factor
    d_d = iv.days * factor
    months, days = int(m_d), int(d_d)
    month_remainder_days = _tsround((m_d - months) * 30)
    sec_remainder = _tsround((d_d - days + month_remainder_days - int(month_remainder_days)) * 86400)
    if abs(sec_remainder) >= 86400:
        days += int(sec_remainder / 86400)
        sec_remainder -= int(sec_remainder / 86400) * 86400
    days += int(month_remainder_days)
    us = round(iv.microseconds * factor + sec_remainder * USECS_PER_SEC)
    return check_interval(months, days, int(us))


def interval_div(iv: Interval, factor: float) -> Interval:
    if factor == 0:
        raise DivisionByZero("division by zero")
    return _interval_div(iv, factor)


def _interval_div(iv: Interval, factor: float) -> Interval:
    m_d = iv.months / factor
    d_d = iv.days / factor
    months, days = int(m_d), int(d_d)
    month_remainder_days = _tsround((m_d - months) * 30)
    sec_remainder = _tsround((d_d - days + month_remainder_days - int(month_remainder_days)) * 86400)
    if abs(sec_remainder) >= 86400:
        days += int(sec_remainder / 86400)
        sec_remainder -= int(sec_remainder / 86400) * 86400
    days += int(month_remainder_days)
    us = round(iv.microseconds / factor + sec_remainder * USECS_PER_SEC)
    return check_interval(months, days, int(us))


def interval_span(iv: Interval) -> int:
    """The total used to compare intervals: 1 month = 30 days, 1 day = 24 hours."""
    return (iv.months * 30 + iv.days) * USECS_PER_DAY + iv.microseconds


def justify_hours(iv: Interval) -> Interval:
    days = int(iv.microseconds / USECS_PER_DAY)
    us = iv.microseconds - days * USECS_PER_DAY
    d = iv.days + days
    if d > 0 and us < 0:
        us += USECS_PER_DAY
        d -= 1
    elif d < 0 and us > 0:
        us -= USECS_PER_DAY
        d += 1
    return check_interval(iv.months, d, us)


def justify_days(iv: Interval) -> Interval:
    months = int(iv.days / 30)
    d = iv.days - months * 30
    m = iv.months + months
    if m > 0 and d < 0:
        d += 30
        m -= 1
    elif m < 0 and d > 0:
        d -= 30
        m += 1
    return check_interval(m, d, iv.microseconds)


def justify_interval(iv: Interval) -> Interval:
    m, d, us = iv.months, iv.days, iv.microseconds
    wd = int(us / USECS_PER_DAY)
    d += wd
    us -= wd * USECS_PER_DAY
    wm = int(d / 30)
    m += wm
    d -= wm * 30
    if m > 0 and (d < 0 or (d == 0 and us < 0)):
        d += 30
        m -= 1
    elif m < 0 and (d > 0 or (d == 0 and us > 0)):
        d -= 30
        m += 1
    if d > 0 and us < 0:
        us += USECS_PER_DAY
        d -= 1
    elif d < 0 and us > 0:
        us -= USECS_PER_DAY
        d += 1
    return check_interval(m, d, us)


def timestamp_diff(a: dt.datetime, b: dt.datetime) -> Interval:
    """a - b for two timestamps (both naive or both aware) → interval (justify_hours applied)."""
    if is_inf(a) or is_inf(b):
        raise DatetimeFieldOverflow("cannot subtract infinite timestamps")
    delta = a - b
    us = (delta.days * 86400 + delta.seconds) * USECS_PER_SEC + delta.microseconds
    return justify_hours(Interval(0, 0, us))


def date_plus_days(d: dt.date, n: int) -> dt.date:
    if is_inf(d):
        return d
    try:
        return d + dt.timedelta(days=n)
    except OverflowError:
        raise DatetimeFieldOverflow("date out of range") from None


def date_diff(a: dt.date, b: dt.date) -> int:
    if is_inf(a) or is_inf(b):
        raise DatetimeFieldOverflow("cannot subtract infinite dates")
    return (a - b).days


def date_to_ts(d: dt.date) -> dt.datetime:
    if d == DATE_POS_INF:
        return TS_POS_INF
    if d == DATE_NEG_INF:
        return TS_NEG_INF
    return dt.datetime.combine(d, dt.time())


def time_plus_interval(t: dt.time, iv: Interval) -> dt.time:
    us = ((t.hour * 60 + t.minute) * 60 + t.second) * USECS_PER_SEC + t.microsecond
    us = (us + iv.microseconds) % USECS_PER_DAY
    s, us = divmod(us, USECS_PER_SEC)
    return dt.time(s // 3600, s // 60 % 60, s % 60, us, tzinfo=t.tzinfo)


def time_diff(a: dt.time, b: dt.time) -> Interval:
    def us(t: dt.time) -> int:
        return ((t.hour * 60 + t.minute) * 60 + t.second) * USECS_PER_SEC + t.microsecond

    return Interval(0, 0, us(a) - us(b))
