"""Date/time functions of PostgreSQL 15: now(), date_trunc, date_part/extract, age, make_*, to_char, to_date, …

Session-dependent functions take the ExecContext (``needs_ctx=True``) and read ``ctx.session.get_setting("TimeZone")``,
``ctx.statement_timestamp`` and ``ctx.transaction_timestamp`` (aware UTC datetimes; now() is the transaction's).
"""

from __future__ import annotations

import calendar
import datetime as dt
import decimal
import re
from decimal import Decimal
from typing import Any

from engine import types as T
from engine.errors import (
    DatetimeFieldOverflow,
    FeatureNotSupported,
    InvalidDatetimeFormat,
    InvalidParameterValue,
)
from engine.functions import function
from engine.sql import datetime_ops as D
from engine.textio_datetime import (
    EPOCH,
    MONTHS,
    USECS_PER_DAY,
    USECS_PER_SEC,
    format_offset,
    localize,
    to_local,
    tzinfo_for,
)

TS, TZ, DATE, IV, TX, F8, NUM, I4, TM = (T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE, T.INTERVAL, T.TEXT, T.FLOAT8,
                                         T.NUMERIC, T.INT4, T.TIME)
UTC = dt.UTC


def session_tz(ctx: Any) -> str:
    try:
        return str(ctx.session.get_setting("TimeZone") or "UTC")
    except Exception:  # noqa: BLE001 - a context without a session: UTC
        return "UTC"


def _ctx_ts(ctx: Any, attr: str) -> dt.datetime:
    v = getattr(ctx, attr, None)
    if v is None and attr == "transaction_timestamp":
        v = getattr(ctx, "txn_start", None)  # the session's transaction start (now())
    if isinstance(v, dt.datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    return dt.datetime.now(UTC)


@function("now", TZ, arg_oids=(), needs_ctx=True)
@function("current_timestamp", TZ, arg_oids=(), needs_ctx=True)
@function("transaction_timestamp", TZ, arg_oids=(), needs_ctx=True)
def now(ctx: Any) -> dt.datetime:
    return _ctx_ts(ctx, "transaction_timestamp")


@function("statement_timestamp", TZ, arg_oids=(), needs_ctx=True)
def statement_timestamp(ctx: Any) -> dt.datetime:
    return _ctx_ts(ctx, "statement_timestamp")


@function("clock_timestamp", TZ, arg_oids=(), volatile=True)
def clock_timestamp() -> dt.datetime:
    return dt.datetime.now(UTC)


@function("timeofday", TX, arg_oids=(), volatile=True, needs_ctx=True)
def timeofday(ctx: Any) -> str:
    t = dt.datetime.now(UTC).astimezone(tzinfo_for(session_tz(ctx)))
    return t.strftime("%a %b %d %H:%M:%S.%f %Y ") + (t.tzname() or "UTC")


@function("current_date", DATE, arg_oids=(), needs_ctx=True)
def current_date(ctx: Any) -> dt.date:
    return to_local(now(ctx), session_tz(ctx)).date()


@function("current_time", T.TIMETZ, arg_oids=(), needs_ctx=True)
def current_time(ctx: Any) -> dt.time:
    aware = now(ctx).astimezone(tzinfo_for(session_tz(ctx)))
    return aware.timetz().replace(tzinfo=dt.timezone(aware.utcoffset() or dt.timedelta(0)))


@function("localtimestamp", TS, arg_oids=(), needs_ctx=True)
def localtimestamp(ctx: Any) -> dt.datetime:
    return to_local(now(ctx), session_tz(ctx))


@function("localtime", TM, arg_oids=(), needs_ctx=True)
def localtime(ctx: Any) -> dt.time:
    return localtimestamp(ctx).time()


# --------------------------------------------------------------------------- date_trunc
_TRUNC_UNITS = ("microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month", "quarter",
                "year", "decade", "century", "millennium")
_UNIT_ALIASES = {
    "microsecond": "microseconds", "us": "microseconds", "usec": "microseconds", "usecs": "microseconds",
    "millisecond": "milliseconds", "ms": "milliseconds", "msec": "milliseconds", "msecs": "milliseconds",
    "seconds": "second", "sec": "second", "secs": "second", "s": "second", "minutes": "minute", "min": "minute",
    "mins": "minute", "m": "minute", "hours": "hour", "hr": "hour", "hrs": "hour", "h": "hour", "days": "day",
    "d": "day", "weeks": "week", "w": "week", "months": "month", "mon": "month", "mons": "month",
    "quarters": "quarter", "qtr": "quarter", "years": "year", "y": "year", "yr": "year", "yrs": "year",
    "decades": "decade", "dec": "decade", "centuries": "century", "cent": "century", "c": "century",
    "millenniums": "millennium", "millennia": "millennium", "mil": "millennium", "mils": "millennium",
    "epoch": "epoch", "dow": "dow", "isodow": "isodow", "doy": "doy", "julian": "julian", "isoyear": "isoyear",
    "timezone": "timezone", "timezone_hour": "timezone_hour", "timezone_minute": "timezone_minute",
    "tz": "timezone",
}


def _unit(field: str) -> str:
    f = field.strip().lower()
    return _UNIT_ALIASES.get(f, f)


def trunc_ts(unit: str, ts: dt.datetime, type_name: str = "timestamp without time zone") -> dt.datetime:
    if D.is_inf(ts):
        return ts
    u = _unit(unit)
    if u == "microseconds":
        return ts
    if u == "milliseconds":
        return ts.replace(microsecond=ts.microsecond // 1000 * 1000)
    if u == "second":
        return ts.replace(microsecond=0)
    if u == "minute":
        return ts.replace(second=0, microsecond=0)
    if u == "hour":
        return ts.replace(minute=0, second=0, microsecond=0)
    day = ts.replace(hour=0, minute=0, second=0, microsecond=0)
    if u == "day":
        return day
    if u == "week":
        return day - dt.timedelta(days=day.weekday())
    if u == "month":
        return day.replace(day=1)
    if u == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if u == "year":
        return day.replace(month=1, day=1)
    if u == "decade":
        return day.replace(year=day.year // 10 * 10, month=1, day=1)
    if u == "century":
        return day.replace(year=(day.year - 1) // 100 * 100 + 1, month=1, day=1)
    if u == "millennium":
        return day.replace(year=(day.year - 1) // 1000 * 1000 + 1, month=1, day=1)
    if u in _UNIT_ALIASES.values() or u in _TRUNC_UNITS:
        raise FeatureNotSupported(f'unit "{unit}" not supported for type {type_name}')
    raise InvalidParameterValue(f'unit "{unit}" not recognized for type {type_name}')


@function("date_trunc", TS, arg_oids=(TX, TS))
def date_trunc_ts(unit: str, ts: dt.datetime) -> dt.datetime:
    return trunc_ts(unit, ts)


@function("date_trunc", TZ, arg_oids=(TX, TZ), needs_ctx=True)
def date_trunc_tz(ctx: Any, unit: str, ts: dt.datetime) -> dt.datetime:
    return date_trunc_tz_zone(unit, ts, session_tz(ctx))


@function("date_trunc", TZ, arg_oids=(TX, TZ, TX))
def date_trunc_tz_zone(unit: str, ts: dt.datetime, zone: str) -> dt.datetime:
    if D.is_inf(ts):
        return ts
    local = trunc_ts(unit, to_local(ts, zone), "timestamp with time zone")
    return localize(local, zone)


@function("date_trunc", IV, arg_oids=(TX, IV))
def date_trunc_iv(unit: str, iv: T.Interval) -> T.Interval:
    u = _unit(unit)
    order = ["millennium", "century", "decade", "year", "quarter", "month", "day", "hour", "minute", "second",
             "milliseconds", "microseconds"]
    if u not in order:
        raise InvalidParameterValue(f'unit "{unit}" not recognized for type interval')
    months = iv.months
    if u in ("millennium", "century", "decade", "year", "quarter"):
        div = {"millennium": 12000, "century": 1200, "decade": 120, "year": 12, "quarter": 3}[u]
        return T.Interval(int(months / div) * div, 0, 0)
    if u == "month":
        return T.Interval(months, 0, 0)
    if u == "day":
        return T.Interval(months, iv.days, 0)
    unit_us = {"hour": 3600 * USECS_PER_SEC, "minute": 60 * USECS_PER_SEC, "second": USECS_PER_SEC,
               "milliseconds": 1000, "microseconds": 1}[u]
    return T.Interval(months, iv.days, int(iv.microseconds / unit_us) * unit_us)


# --------------------------------------------------------------------------- extract / date_part
def _epoch_us(ts: dt.datetime) -> int:
    base = EPOCH.replace(tzinfo=UTC) if ts.tzinfo else EPOCH
    d = ts - base
    return (d.days * 86400 + d.seconds) * USECS_PER_SEC + d.microseconds


def extract_value(field: str, value: Any, oid: int, timezone: str = "UTC") -> Decimal:
    """EXTRACT(field FROM value) as numeric (PostgreSQL 14+ semantics and scales)."""
    u = _unit(field)
    if oid == IV:
        return _extract_interval(u, field, value)
    if oid == TM or oid == T.TIMETZ:
        us = ((value.hour * 60 + value.minute) * 60 + value.second) * USECS_PER_SEC + value.microsecond
        return _extract_time(u, field, value, us, oid)
    is_date = oid == DATE
    if is_date:
        ts = D.date_to_ts(value)
    elif oid == TZ:
        ts = to_local(value, timezone)
    else:
        ts = value
    tname = {DATE: "date", TS: "timestamp without time zone", TZ: "timestamp with time zone"}[oid]
    if D.is_inf(ts):
        if u in ("epoch", "year", "decade", "century", "millennium", "julian", "isoyear"):
            return Decimal("Infinity") if ts.year == 9999 else Decimal("-Infinity")
        return None  # type: ignore[return-value]
    if is_date and u in ("microseconds", "milliseconds", "second", "minute", "hour", "timezone",
                         "timezone_hour", "timezone_minute"):
        raise FeatureNotSupported(f'unit "{field}" not supported for type date')
    if oid == TS and u in ("timezone", "timezone_hour", "timezone_minute"):
        raise FeatureNotSupported(f'unit "{field}" not supported for type {tname}')
    sec_us = ts.second * USECS_PER_SEC + ts.microsecond
    if u == "microseconds":
        return Decimal(sec_us)
    if u == "milliseconds":
        return Decimal(sec_us).scaleb(-3)
    if u == "second":
        return Decimal(sec_us).scaleb(-6)
    if u == "minute":
        return Decimal(ts.minute)
    if u == "hour":
        return Decimal(ts.hour)
    if u == "day":
        return Decimal(ts.day)
    if u == "month":
        return Decimal(ts.month)
    if u == "quarter":
        return Decimal((ts.month - 1) // 3 + 1)
    if u == "year":
        return Decimal(ts.year)
    if u == "decade":
        return Decimal(ts.year // 10)
    if u == "century":
        return Decimal((ts.year + 99) // 100)
    if u == "millennium":
        return Decimal((ts.year + 999) // 1000)
    if u == "week":
        return Decimal(ts.isocalendar()[1])
    if u == "isoyear":
        return Decimal(ts.isocalendar()[0])
    if u == "dow":
        return Decimal(ts.isoweekday() % 7)
    if u == "isodow":
        return Decimal(ts.isoweekday())
    if u == "doy":
        return Decimal(ts.timetuple().tm_yday)
    if u == "julian":
        jd = ts.toordinal() + 1721425
        if is_date:
            return Decimal(jd)
        return Decimal(jd) + (Decimal((ts.hour * 3600 + ts.minute * 60) * USECS_PER_SEC + sec_us)
                              / Decimal(USECS_PER_DAY))
    if u == "epoch":
        us = _epoch_us(value if oid == TZ else ts)
        return Decimal(us // USECS_PER_DAY * 86400) if is_date else Decimal(us).scaleb(-6)
    if u in ("timezone", "timezone_hour", "timezone_minute"):
        off = int(value.astimezone(tzinfo_for(timezone)).utcoffset().total_seconds())
        if u == "timezone":
            return Decimal(off)
        h = int(off / 3600)
        return Decimal(h if u == "timezone_hour" else int((off - h * 3600) / 60))
    raise InvalidParameterValue(f'unit "{field}" not recognized for type {tname}')


def _extract_time(u: str, field: str, value: dt.time, us: int, oid: int) -> Decimal:
    sec_us = value.second * USECS_PER_SEC + value.microsecond
    table = {"microseconds": Decimal(sec_us), "milliseconds": Decimal(sec_us).scaleb(-3),
             "second": Decimal(sec_us).scaleb(-6), "minute": Decimal(value.minute), "hour": Decimal(value.hour),
             "epoch": Decimal(us).scaleb(-6)}
    if u in table:
        return table[u]
    raise FeatureNotSupported(f'unit "{field}" not supported for type time without time zone'
                              if oid == TM else f'unit "{field}" not supported for type time with time zone')


def _extract_interval(u: str, field: str, iv: T.Interval) -> Decimal:
    us = iv.microseconds
    neg = us < 0
    a = abs(us)
    hours, rem = divmod(a, 3600 * USECS_PER_SEC)
    mins, sec_us = divmod(rem, 60 * USECS_PER_SEC)
    sgn = -1 if neg else 1
    years = int(iv.months / 12)
    table = {
        "microseconds": Decimal(sgn * sec_us), "milliseconds": Decimal(sgn * sec_us).scaleb(-3),
        "second": Decimal(sgn * sec_us).scaleb(-6), "minute": Decimal(sgn * mins), "hour": Decimal(sgn * hours),
        "day": Decimal(iv.days), "month": Decimal(iv.months - years * 12),
        "quarter": Decimal(int((iv.months - years * 12) / 3) + 1), "year": Decimal(years),
        "decade": Decimal(int(years / 10)), "century": Decimal(int(years / 100)),
        "millennium": Decimal(int(years / 1000)),
    }
    if u in table:
        return table[u]
    if u == "epoch":
        secs = Decimal(int(iv.months / 12) * 36525 * 864) + Decimal((iv.months - int(iv.months / 12) * 12) * 30 * 86400)
        return secs + Decimal(iv.days * 86400) + Decimal(us).scaleb(-6)
    raise InvalidParameterValue(f'unit "{field}" not recognized for type interval')


@function("extract", NUM, arg_oids=(TX, TS))
def extract_ts(field: str, v: dt.datetime) -> Decimal:
    return extract_value(field, v, TS)


@function("extract", NUM, arg_oids=(TX, TZ), needs_ctx=True)
def extract_tz(ctx: Any, field: str, v: dt.datetime) -> Decimal:
    return extract_value(field, v, TZ, session_tz(ctx))


@function("extract", NUM, arg_oids=(TX, DATE))
def extract_date(field: str, v: dt.date) -> Decimal:
    return extract_value(field, v, DATE)


@function("extract", NUM, arg_oids=(TX, IV))
def extract_iv(field: str, v: T.Interval) -> Decimal:
    return extract_value(field, v, IV)


@function("extract", NUM, arg_oids=(TX, TM))
def extract_time(field: str, v: dt.time) -> Decimal:
    return extract_value(field, v, TM)


def _f8(d: Decimal | None) -> float | None:
    return None if d is None else float(d)


@function("date_part", F8, arg_oids=(TX, TS))
def date_part_ts(field: str, v: dt.datetime) -> float | None:
    return _f8(extract_value(field, v, TS))


@function("date_part", F8, arg_oids=(TX, TZ), needs_ctx=True)
def date_part_tz(ctx: Any, field: str, v: dt.datetime) -> float | None:
    return _f8(extract_value(field, v, TZ, session_tz(ctx)))


@function("date_part", F8, arg_oids=(TX, DATE))
def date_part_date(field: str, v: dt.date) -> float | None:
    return _f8(extract_value(field, D.date_to_ts(v), TS))


@function("date_part", F8, arg_oids=(TX, IV))
def date_part_iv(field: str, v: T.Interval) -> float | None:
    return _f8(extract_value(field, v, IV))


@function("date_part", F8, arg_oids=(TX, TM))
def date_part_time(field: str, v: dt.time) -> float | None:
    return _f8(extract_value(field, v, TM))


# --------------------------------------------------------------------------- age, make_*, justify, date_bin
def age_between(a: dt.datetime, b: dt.datetime) -> T.Interval:
    """age(a, b): symbolic years/months/days, PostgreSQL's timestamp_age."""
    neg = a < b
    hi, lo = (b, a) if neg else (a, b)
    months = (hi.year - lo.year) * 12 + hi.month - lo.month
    days = hi.day - lo.day
    us = ((hi.hour - lo.hour) * 3600 + (hi.minute - lo.minute) * 60 + hi.second - lo.second) * USECS_PER_SEC + \
        hi.microsecond - lo.microsecond
    if us < 0:
        us += USECS_PER_DAY
        days -= 1
    if days < 0:
        months -= 1
        days += calendar.monthrange(lo.year, lo.month)[1]  # PostgreSQL borrows the earlier month's length
    iv = T.Interval(months, days, us)
    return D.neg_interval(iv) if neg else iv


@function("age", IV, arg_oids=(TS, TS))
def age2(a: dt.datetime, b: dt.datetime) -> T.Interval:
    return age_between(a, b)


@function("age", IV, arg_oids=(TZ, TZ), needs_ctx=True)
def age2_tz(ctx: Any, a: dt.datetime, b: dt.datetime) -> T.Interval:
    tz = session_tz(ctx)
    return age_between(to_local(a, tz), to_local(b, tz))


@function("age", IV, arg_oids=(TS,), needs_ctx=True)
def age1(ctx: Any, a: dt.datetime) -> T.Interval:
    return age_between(dt.datetime.combine(current_date(ctx), dt.time()), a)


@function("make_date", DATE, arg_oids=(I4, I4, I4))
def make_date(y: int, m: int, d: int) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise DatetimeFieldOverflow(f"date field value out of range: {y}-{m:02d}-{d:02d}") from None


@function("make_time", TM, arg_oids=(I4, I4, F8))
def make_time(h: int, mi: int, s: float) -> dt.time:
    us = round(s * USECS_PER_SEC)
    try:
        return dt.time(h, mi, us // USECS_PER_SEC, us % USECS_PER_SEC)
    except ValueError:
        raise DatetimeFieldOverflow(f"time field value out of range: {h}:{mi:02d}:{s:02}") from None


@function("make_timestamp", TS, arg_oids=(I4, I4, I4, I4, I4, F8))
def make_timestamp(y: int, m: int, d: int, h: int, mi: int, s: float) -> dt.datetime:
    t = make_time(h, mi, s)
    return dt.datetime.combine(make_date(y, m, d), t)


@function("make_timestamptz", TZ, arg_oids=(I4, I4, I4, I4, I4, F8), needs_ctx=True)
def make_timestamptz(ctx: Any, y: int, m: int, d: int, h: int, mi: int, s: float) -> dt.datetime:
    return localize(make_timestamp(y, m, d, h, mi, s), session_tz(ctx))


@function("make_timestamptz", TZ, arg_oids=(I4, I4, I4, I4, I4, F8, TX))
def make_timestamptz_zone(y: int, m: int, d: int, h: int, mi: int, s: float, zone: str) -> dt.datetime:
    return localize(make_timestamp(y, m, d, h, mi, s), zone)


def make_interval(years: int = 0, months: int = 0, weeks: int = 0, days: int = 0, hours: int = 0, mins: int = 0,
                  secs: float = 0.0) -> T.Interval | None:
    vals = (years, months, weeks, days, hours, mins, secs)
    if any(v is None for v in vals):
        return None
    us = round((hours * 3600 + mins * 60) * USECS_PER_SEC + secs * USECS_PER_SEC)
    return D.check_interval(years * 12 + months, weeks * 7 + days, int(us))


_MI_ARGS = (I4, I4, I4, I4, I4, I4, F8)
_MI_NAMES = ("years", "months", "weeks", "days", "hours", "mins", "secs")
for _n in range(len(_MI_ARGS) + 1):  # every argument has a default (0)
    function("make_interval", IV, arg_oids=_MI_ARGS[:_n], arg_names=_MI_NAMES[:_n])(make_interval)


function("justify_days", IV, arg_oids=(IV,))(D.justify_days)
function("justify_hours", IV, arg_oids=(IV,))(D.justify_hours)
function("justify_interval", IV, arg_oids=(IV,))(D.justify_interval)


@function("isfinite", T.BOOL, arg_oids=(TS,))
def isfinite_ts(v: dt.datetime) -> bool:
    return not D.is_inf(v)


@function("isfinite", T.BOOL, arg_oids=(DATE,))
def isfinite_date(v: dt.date) -> bool:
    return not D.is_inf(v)


@function("date_bin", TS, arg_oids=(IV, TS, TS))
def date_bin(stride: T.Interval, source: dt.datetime, origin: dt.datetime) -> dt.datetime:
    if stride.months:
        raise FeatureNotSupported("timestamps cannot be binned into intervals containing months or years")
    step = stride.days * USECS_PER_DAY + stride.microseconds
    if step <= 0:
        raise InvalidParameterValue("stride must be greater than zero")
    diff = source - origin
    d_us = (diff.days * 86400 + diff.seconds) * USECS_PER_SEC + diff.microseconds
    q = d_us - d_us % step if d_us >= 0 else d_us - (d_us % step)
    return origin + dt.timedelta(microseconds=q)


@function("date_bin", TZ, arg_oids=(IV, TZ, TZ))
def date_bin_tz(stride: T.Interval, source: dt.datetime, origin: dt.datetime) -> dt.datetime:
    return date_bin(stride, source, origin)


@function("timezone", TS, arg_oids=(TX, TZ))
def at_time_zone_tz(zone: str, ts: dt.datetime) -> dt.datetime:
    """``tstz AT TIME ZONE zone`` → local timestamp in ``zone``."""
    return to_local(ts, zone)


@function("timezone", TZ, arg_oids=(TX, TS))
def at_time_zone_ts(zone: str, ts: dt.datetime) -> dt.datetime:
    """``ts AT TIME ZONE zone`` → the instant when the wall clock of ``zone`` shows ``ts``."""
    return localize(ts, zone)


# --------------------------------------------------------------------------- to_char / to_date / to_timestamp
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December"]
_PATTERNS = ["HH24", "HH12", "HH", "MI", "SS", "MS", "US", "AM", "PM", "am", "pm", "A.M.", "P.M.", "YYYY", "YYY",
             "YY", "Y,YYY", "IYYY", "MONTH", "Month", "month", "MON", "Mon", "mon", "MM", "DAY", "Day", "day", "DY",
             "Dy", "dy", "DDD", "DD", "D", "ID", "IW", "WW", "Q", "TZH", "TZM", "TZ", "tz", "OF", "CC", "J", "SSSS"]
_PATTERNS.sort(key=len, reverse=True)


def _tokens(fmt: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(fmt):
        if fmt[i] == '"':
            j = fmt.find('"', i + 1)
            j = len(fmt) if j < 0 else j
            out.append(("lit", fmt[i + 1:j]))
            i = j + 1
            continue
        if fmt[i] == "\\" and i + 1 < len(fmt):
            out.append(("lit", fmt[i + 1]))
            i += 2
            continue
        fm = fmt.startswith("FM", i)
        j = i + 2 if fm else i
        for p in _PATTERNS:
            if fmt.startswith(p, j):
                out.append(("FM" + p if fm else p, p))
                i = j + len(p)
                break
        else:
            out.append(("lit", fmt[i]))
            i += 1
    return out


def _case(word: str, pat: str) -> str:
    if pat.isupper():
        return word.upper()
    if pat[0].isupper():
        return word
    return word.lower()


def to_char_ts(ts: dt.datetime, fmt: str, tz_name: str | None = None) -> str:
    out = []
    for tok, pat in _tokens(fmt):
        if tok == "lit":
            out.append(pat)
            continue
        fm = tok.startswith("FM")
        p = pat

        def num(v: int, width: int, _fm: bool = fm) -> str:
            return str(v) if _fm else f"{v:0{width}d}"
        if p in ("HH24",):
            out.append(num(ts.hour, 2))
        elif p in ("HH12", "HH"):
            out.append(num(ts.hour % 12 or 12, 2))
        elif p == "MI":
            out.append(num(ts.minute, 2))
        elif p == "SS":
            out.append(num(ts.second, 2))
        elif p == "SSSS":
            out.append(str(ts.hour * 3600 + ts.minute * 60 + ts.second))
        elif p == "MS":
            out.append(num(ts.microsecond // 1000, 3))
        elif p == "US":
            out.append(num(ts.microsecond, 6))
        elif p in ("AM", "PM", "am", "pm"):
            s = "AM" if ts.hour < 12 else "PM"
            out.append(s if p.isupper() else s.lower())
        elif p in ("A.M.", "P.M."):
            out.append("A.M." if ts.hour < 12 else "P.M.")
        elif p == "YYYY":
            out.append(num(ts.year, 4))
        elif p == "Y,YYY":
            out.append(f"{ts.year // 1000},{ts.year % 1000:03d}")
        elif p == "IYYY":
            out.append(num(ts.isocalendar()[0], 4))
        elif p == "YYY":
            out.append(num(ts.year % 1000, 3))
        elif p == "YY":
            out.append(num(ts.year % 100, 2))
        elif p in ("MONTH", "Month", "month"):
            w = _case(_MONTH_NAMES[ts.month - 1], p)
            out.append(w if fm else w.ljust(9))
        elif p in ("MON", "Mon", "mon"):
            out.append(_case(_MONTH_NAMES[ts.month - 1][:3], p))
        elif p == "MM":
            out.append(num(ts.month, 2))
        elif p in ("DAY", "Day", "day"):
            w = _case(_DAYS[ts.weekday()], p)
            out.append(w if fm else w.ljust(9))
        elif p in ("DY", "Dy", "dy"):
            out.append(_case(_DAYS[ts.weekday()][:3], p))
        elif p == "DDD":
            out.append(num(ts.timetuple().tm_yday, 3))
        elif p == "DD":
            out.append(num(ts.day, 2))
        elif p == "D":
            out.append(str(ts.isoweekday() % 7 + 1))
        elif p == "ID":
            out.append(str(ts.isoweekday()))
        elif p == "IW":
            out.append(num(ts.isocalendar()[1], 2))
        elif p == "WW":
            out.append(num((ts.timetuple().tm_yday - 1) // 7 + 1, 2))
        elif p == "Q":
            out.append(str((ts.month - 1) // 3 + 1))
        elif p == "CC":
            out.append(num((ts.year + 99) // 100, 2))
        elif p == "J":
            out.append(str(ts.toordinal() + 1721425))
        elif p in ("TZ", "tz"):
            name = ""
            if ts.tzinfo is not None:
                name = ts.tzname() or ""
                if name.startswith(("+", "-")):
                    name = format_offset(ts.utcoffset())
            out.append(name if p == "TZ" else name.lower())
        elif p == "OF":
            out.append(format_offset(ts.utcoffset()) if ts.tzinfo else "+00")
        elif p in ("TZH", "TZM"):
            off = int(ts.utcoffset().total_seconds()) if ts.tzinfo else 0
            if p == "TZH":
                out.append(("-" if off < 0 else "+") + f"{abs(off) // 3600:02d}")
            else:
                out.append(f"{abs(off) % 3600 // 60:02d}")
    return "".join(out)


@function("to_char", TX, arg_oids=(TS, TX))
def to_char_timestamp(ts: dt.datetime, fmt: str) -> str:
    return to_char_ts(ts, fmt)


@function("to_char", TX, arg_oids=(TZ, TX), needs_ctx=True)
def to_char_timestamptz(ctx: Any, ts: dt.datetime, fmt: str) -> str:
    return to_char_ts(ts.astimezone(tzinfo_for(session_tz(ctx))), fmt)


@function("to_char", TX, arg_oids=(IV, TX))
def to_char_interval(iv: T.Interval, fmt: str) -> str:
    us = iv.microseconds
    h, rem = divmod(abs(us), 3600 * USECS_PER_SEC)
    base = dt.datetime(2000, 1, 1) + dt.timedelta(microseconds=rem)
    s = to_char_ts(base.replace(hour=0), fmt.replace("HH24", '"' + f"{h:02d}" + '"'))
    return s


@function("to_char", TX, arg_oids=(NUM, TX))
def to_char_numeric(v: Decimal, fmt: str) -> str:
    return to_char_number(v, fmt)


for _o in (T.INT4, T.INT8, F8):
    function("to_char", TX, arg_oids=(_o, TX))(lambda v, fmt: to_char_number(Decimal(repr(v)) if isinstance(v, float)
                                                                            else Decimal(v), fmt))


def to_char_number(v: Decimal, fmt: str) -> str:
    """Numeric to_char basics: 9, 0, '.', 'D', ',', 'G', FM, S, MI, PR, EEEE."""
    fm = "FM" in fmt
    f = fmt.replace("FM", "")
    if "EEEE" in f:
        return _to_char_sci(v, f.replace("EEEE", ""), fm)
    if "PR" in f:  # negative values in angle brackets, positive ones padded by a space each side
        body = to_char_number(v.copy_abs(), ("FM" if fm else "") + f.replace("PR", "")).lstrip(" ")
        width = len(f.replace("PR", ""))
        core = f"<{body}>" if v < 0 else (body if fm else f" {body} ")
        return core if fm else core.rjust(width + 2)
    int_part, _, frac_part = f.replace("D", ".").partition(".")
    ndec = sum(1 for c in frac_part if c in "90")
    rounded = v.copy_abs().quantize(Decimal(1).scaleb(-ndec), rounding="ROUND_HALF_UP",
                                    context=decimal.Context(prec=3000))
    digits_int, _, digits_frac = format(rounded, "f").partition(".")
    slots = [c for c in int_part if c in "90"]
    if len(digits_int.lstrip("0")) > len(slots):
        return ("#" * len(int_part.replace(",", "").replace("G", "")) + ("." + "#" * ndec if "." in f or "D" in fmt
                                                                            else "")).rjust(len(f) + 1)
    di = digits_int.lstrip("0") if digits_int != "0" or "0" not in slots else digits_int
    di = di.rjust(len(slots), " ")
    out, k = [], 0
    first_zero = next((i for i, c in enumerate(slots) if c == "0"), len(slots))
    started = False
    for c in int_part:
        if c in "90":
            ch = di[k]
            if ch == " " and k >= first_zero:
                ch = "0"
            if ch != " ":
                started = True
            out.append(ch)
            k += 1
        elif c in ",G":
            out.append("," if started else " ")
        elif c not in "SMIPR":
            out.append(c)
    s = "".join(out)
    if "." in f or "D" in fmt:
        fd = digits_frac.ljust(ndec, "0")
        if fm:
            fd = fd.rstrip("0") if "0" not in frac_part else fd
        s += "." + fd
    sign = "-" if v < 0 else " "
    s = sign + s.lstrip() if fm else _place_sign(s, sign)
    return s.strip() if fm else s


def _to_char_sci(v: Decimal, f: str, fm: bool) -> str:
    """to_char(x, '9.99EEEE'): a mantissa with the format's decimals and a signed two-digit exponent."""
    ndec = len(f.partition(".")[2].replace("D", "")) if "." in f else 0
    if v == 0:
        mant, exp = Decimal(0).quantize(Decimal(1).scaleb(-ndec)), 0
    else:
        exp = v.copy_abs().adjusted()
        mant = v.copy_abs().scaleb(-exp).quantize(Decimal(1).scaleb(-ndec), rounding="ROUND_HALF_UP")
        if mant >= 10:
            mant, exp = (mant / 10).quantize(Decimal(1).scaleb(-ndec), rounding="ROUND_HALF_UP"), exp + 1
    body = f"{format(mant, 'f')}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    sign = "-" if v < 0 else ("" if fm else " ")
    return sign + body


def _place_sign(s: str, sign: str) -> str:
    stripped = s.lstrip(" ")
    pad = len(s) - len(stripped)
    return " " * pad + sign + stripped


def _parse_with_format(text: str, fmt: str, what: str) -> dt.datetime:
    vals: dict[str, int] = {}
    pos = 0
    pm: bool | None = None
    frac_us = 0
    for tok, pat in _tokens(fmt):
        while pos < len(text) and text[pos] == " " and (tok != "lit" or pat != " "):
            pos += 1
        if tok == "lit":
            if pos < len(text) and (text[pos] == pat or not pat.isalnum()):
                pos += 1 if pos < len(text) and (text[pos] == pat or not text[pos].isalnum()) else 0
            continue
        if pat in ("MONTH", "Month", "month", "MON", "Mon", "mon"):
            m = re.match(r"[A-Za-z]+", text[pos:])
            name = (m.group() if m else "").lower()
            mon = MONTHS.get(name) or MONTHS.get(name[:3])
            if mon is None:
                raise InvalidDatetimeFormat(f'invalid value "{text[pos:pos + 3]}" for "{pat}"')
            vals["month"] = mon
            pos += len(name)
            continue
        if pat in ("DAY", "Day", "day", "DY", "Dy", "dy"):
            m = re.match(r"[A-Za-z]+", text[pos:])
            pos += len(m.group()) if m else 0
            continue
        if pat in ("AM", "PM", "am", "pm", "A.M.", "P.M."):
            chunk = text[pos:pos + len(pat)].upper()
            pm = chunk.startswith("P")
            pos += len(pat)
            continue
        width = {"YYYY": 4, "IYYY": 4, "YYY": 3, "YY": 2, "MM": 2, "DD": 2, "DDD": 3, "HH24": 2, "HH12": 2, "HH": 2,
                 "MI": 2, "SS": 2, "MS": 3, "US": 6, "D": 1, "ID": 1, "Q": 1, "CC": 2, "J": 7, "SSSS": 5,
                 "TZH": 3, "TZM": 2, "IW": 2, "WW": 2}.get(pat, 2)
        maxw = width if pat != "J" else 9
        m = re.match(rf"[+-]?\d{{1,{maxw}}}", text[pos:])
        if not m:
            raise InvalidDatetimeFormat(f'invalid value "{text[pos:pos + width]}" for "{pat}"',
                                        detail="Value must be an integer.")
        n = int(m.group())
        pos += len(m.group())
        key = {"YYYY": "year", "IYYY": "year", "YYY": "year", "YY": "year", "MM": "month", "DD": "day",
               "HH24": "hour", "HH12": "hour", "HH": "hour", "MI": "minute", "SS": "second"}.get(pat)
        if pat == "YY":
            n += 2000 if n < 70 else 1900
        if pat == "MS":
            frac_us = int(m.group().lstrip("+-").ljust(3, "0")) * 1000
        elif pat == "US":
            frac_us = int(m.group().lstrip("+-").ljust(6, "0"))
        elif key:
            vals[key] = n
    y = vals.get("year", 1)
    mo = vals.get("month", 1)
    d = vals.get("day", 1)
    h = vals.get("hour", 0)
    if pm is not None:
        h = h % 12 + (12 if pm else 0)
    try:
        return dt.datetime(y, mo, d, h, vals.get("minute", 0), vals.get("second", 0), frac_us)
    except ValueError:
        raise DatetimeFieldOverflow(f'date/time field value out of range: "{text}"') from None


@function("to_date", DATE, arg_oids=(TX, TX))
def to_date(text: str, fmt: str) -> dt.date:
    return _parse_with_format(text, fmt, "date").date()


@function("to_timestamp", TZ, arg_oids=(TX, TX), needs_ctx=True)
def to_timestamp2(ctx: Any, text: str, fmt: str) -> dt.datetime:
    return localize(_parse_with_format(text, fmt, "timestamp"), session_tz(ctx))


@function("to_timestamp", TZ, arg_oids=(F8,))
def to_timestamp1(epoch: float) -> dt.datetime:
    import math

    if math.isinf(epoch):
        return (dt.datetime.max if epoch > 0 else dt.datetime.min).replace(tzinfo=UTC)
    if math.isnan(epoch):
        raise DatetimeFieldOverflow("timestamp cannot be NaN")
    us = round(epoch * USECS_PER_SEC)
    try:
        return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=us)
    except OverflowError:
        raise DatetimeFieldOverflow(f'timestamp out of range: "{epoch}"') from None

