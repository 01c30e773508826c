"""PostgreSQL text input/output of date, time, timestamp, timestamptz and interval (ISO DateStyle).

Infinity: ``datetime.date.max``/``datetime.datetime.max`` (naive, or with tzinfo=UTC for timestamptz) stand for
``infinity`` and ``date.min``/``datetime.min`` for ``-infinity``. Years BC are not representable (22008).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from contextvars import ContextVar
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import DatetimeFieldOverflow, InvalidDatetimeFormat, InvalidParameterValue
from engine.types import Interval

UTC = dt.UTC
USECS_PER_SEC = 1_000_000
USECS_PER_DAY = 86_400 * USECS_PER_SEC
EPOCH = dt.datetime(1970, 1, 1)
EPOCH_TZ = dt.datetime(1970, 1, 1, tzinfo=UTC)

DATE_POS_INF = dt.date.max
DATE_NEG_INF = dt.date.min
TS_POS_INF = dt.datetime.max
TS_NEG_INF = dt.datetime.min
TSTZ_POS_INF = dt.datetime.max.replace(tzinfo=UTC)
TSTZ_NEG_INF = dt.datetime.min.replace(tzinfo=UTC)

MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_ABBREV_OFFSETS = {
    "utc": 0, "gmt": 0, "z": 0, "zulu": 0, "ut": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7,
    "mdt": -6, "pst": -8, "pdt": -7, "cet": 1, "cest": 2, "eet": 2, "eest": 3, "bst": 1, "ist": 2, "jst": 9,
    "msk": 3, "wet": 0, "west": 1,
}


# ---------------------------------------------------------------- time zones
@functools.lru_cache(maxsize=256)
def tzinfo_for(name: str, iso: bool = False) -> dt.tzinfo:
    """The tzinfo for a TimeZone setting / AT TIME ZONE argument (an offset like ``+05:30`` is POSIX: west
    positive; a plain number ``-3`` is hours east), or with ``iso=True`` for a zone written inside a timestamp
    literal (ISO 8601: east positive)."""
    n = name.strip()
    low = n.lower()
    if low in ("utc", "gmt", "z", "zulu", "etc/utc", "universal", "ut"):
        return UTC
    m = re.fullmatch(r"([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?", n)
    if m:
        secs = int(m[2]) * 3600 + int(m[3] or 0) * 60 + int(m[4] or 0)
        plain_number = ":" not in n and len(n) <= 3  # SET TimeZone = '-03' means hours east, like an interval
        east = (m[1] == "+") == (iso or plain_number)
        return dt.timezone(dt.timedelta(seconds=secs if east else -secs))
    if low in _ABBREV_OFFSETS:
        return dt.timezone(dt.timedelta(hours=_ABBREV_OFFSETS[low]))
    try:
        return ZoneInfo(n)
    except (ZoneInfoNotFoundError, ValueError):
        for cand in (n.upper(), n.title()):
            try:
                return ZoneInfo(cand)
            except (ZoneInfoNotFoundError, ValueError):
                pass
    raise InvalidParameterValue(f'time zone "{name}" not recognized')


def format_offset(off: dt.timedelta | None) -> str:
    """``+00``, ``+05:30``, ``-03:30``, ``+00:19:32`` as PostgreSQL prints a UTC offset."""
    secs = int(off.total_seconds()) if off is not None else 0
    sign = "-" if secs < 0 else "+"
    secs = abs(secs)
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    out = f"{sign}{h:02d}"
    if m or s:
        out += f":{m:02d}"
    if s:
        out += f":{s:02d}"
    return out


# ---------------------------------------------------------------- output
def _frac(us: int) -> str:
    return f".{us:06d}".rstrip("0") if us else ""


def format_date(d: dt.date) -> str:
    if d == DATE_POS_INF:
        return "infinity"
    if d == DATE_NEG_INF:
        return "-infinity"
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def format_time(t: dt.time) -> str:
    out = f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}{_frac(t.microsecond)}"
    if t.tzinfo is not None:
        out += format_offset(t.utcoffset())
    return out


def format_timestamp(ts: dt.datetime) -> str:
    if ts.replace(tzinfo=None) == TS_POS_INF:
        return "infinity"
    if ts.replace(tzinfo=None) == TS_NEG_INF:
        return "-infinity"
    return f"{format_date(ts.date())} {format_time(ts.time())}"


def format_timestamptz(ts: dt.datetime, timezone: str = "UTC") -> str:
    if timezone == "UTC" and ts.tzinfo is UTC and 1 < ts.year < 9999:
        return (f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d} {ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}"
                f"{_frac(ts.microsecond)}+00")
    naive = ts.replace(tzinfo=None)
    if naive in (TS_POS_INF, TS_NEG_INF):
        return format_timestamp(naive)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    try:
        local = ts.astimezone(tzinfo_for(timezone))
    except OverflowError:
        raise DatetimeFieldOverflow("timestamp out of range") from None
    return format_timestamp(local.replace(tzinfo=None)) + format_offset(local.utcoffset())


_DOW_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MON_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _style(datestyle: str) -> tuple[str, bool]:
    """(output style ISO/SQL/POSTGRES/GERMAN, day-before-month) of a DateStyle setting."""
    parts = [p.strip().upper() for p in datestyle.replace(" ", ",").split(",") if p.strip()]
    style = next((p for p in parts if p in ("ISO", "SQL", "POSTGRES", "GERMAN")), "ISO")
    dmy = any(p in ("DMY", "EUROPEAN", "EURO") for p in parts) or style == "GERMAN"
    return style, dmy


def format_datetime_styled(v: dt.date, datestyle: str, timezone: str | None = None) -> str:
    """A date, timestamp or (with ``timezone``) timestamptz in a non-ISO DateStyle (SQL, Postgres, German)."""
    style, dmy = _style(datestyle)
    if isinstance(v, dt.datetime):
        naive = v.replace(tzinfo=None)
        if naive in (TS_POS_INF, TS_NEG_INF):
            return format_timestamp(naive)
    elif v in (DATE_POS_INF, DATE_NEG_INF):
        return format_date(v)
    abbrev = ""
    if isinstance(v, dt.datetime) and timezone is not None:
        zone = tzinfo_for(timezone)
        v = (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(zone)
        abbrev = (v.tzname() or "") if (isinstance(zone, ZoneInfo) or zone is UTC) else ""
    y, m, d = f"{v.year:04d}", f"{v.month:02d}", f"{v.day:02d}"
    if not isinstance(v, dt.datetime):
        if style == "SQL":
            return f"{d}/{m}/{y}" if dmy else f"{m}/{d}/{y}"
        if style == "GERMAN":
            return f"{d}.{m}.{y}"
        return f"{d}-{m}-{y}" if dmy else f"{m}-{d}-{y}"
    t = f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}{_frac(v.microsecond)}"
    if style == "SQL":
        out = (f"{d}/{m}/{y}" if dmy else f"{m}/{d}/{y}") + " " + t
    elif style == "GERMAN":
        out = f"{d}.{m}.{y} {t}"
    else:
        dow, mon = _DOW_ABBR[v.weekday()], _MON_ABBR[v.month - 1]
        out = f"{dow} {d} {mon} {t} {y}" if dmy else f"{dow} {mon} {d} {t} {y}"
    return out + (" " + abbrev if timezone is not None else "")


def interval_fields(iv: Interval) -> tuple[int, int, int, int, int, int, int]:
    """(years, months, days, hours, minutes, seconds, microseconds), each truncated toward zero like C."""
    years = int(iv.months / 12) if iv.months >= 0 else -((-iv.months) // 12)
    months = iv.months - years * 12
    t = abs(iv.microseconds)
    sign = -1 if iv.microseconds < 0 else 1
    h, t = divmod(t, 3_600_000_000)
    mi, t = divmod(t, 60_000_000)
    s, us = divmod(t, 1_000_000)
    return years, months, iv.days, sign * h, sign * mi, sign * s, sign * us


def format_interval(iv: Interval, style: str = "postgres") -> str:
    """An interval in the IntervalStyle ``postgres`` (default) or ``iso_8601``."""
    years, months, days, h, mi, s, us = interval_fields(iv)
    if style.lower() == "iso_8601":
        if not (years or months or days or h or mi or s or us):
            return "PT0S"
        out = "P"
        for v, u in ((years, "Y"), (months, "M"), (days, "D")):
            if v:
                out += f"{v}{u}"
        if h or mi or s or us:
            out += "T"
            if h:
                out += f"{h}H"
            if mi:
                out += f"{mi}M"
            if s or us:
                neg = "-" if (s < 0 or us < 0) else ""
                out += f"{neg}{abs(s)}{_frac(abs(us))}S"
        return out
    parts: list[str] = []
    is_before = False
    for v, unit in ((years, "year"), (months, "mon"), (days, "day")):
        if v:
            plus = "+" if is_before and v > 0 else ""
            parts.append(f"{plus}{v} {unit}{'' if v == 1 else 's'}")
            is_before = v < 0
    if not parts or h or mi or s or us:
        minus = h < 0 or mi < 0 or s < 0 or us < 0
        sign = "-" if minus else ("+" if is_before else "")
        parts.append(f"{sign}{abs(h):02d}:{abs(mi):02d}:{abs(s):02d}{_frac(abs(us))}")
    return " ".join(parts)


# ---------------------------------------------------------------- input
_ISO_DATE = re.compile(r"(\d{4,})-(\d{1,2})-(\d{1,2})")
_YMD_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MDY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{1,4})")
_YMD_SLASH = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_MON_D_Y = re.compile(r"([a-z]+)\.?[\s-]+(\d{1,2})(?:st|nd|rd|th)?,?[\s-]+(\d{1,4})")
_D_MON_Y = re.compile(r"(\d{1,2})[\s-]+([a-z]+)\.?,?[\s-]+(\d{1,4})")
_Y_MON_D = re.compile(r"(\d{4})[\s-]+([a-z]+)[\s-]+(\d{1,2})")
_TIME = re.compile(r"(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d*))?)?(?:\s*(am|pm|a\.m\.|p\.m\.)(?![a-z]))?")
_TZ = re.compile(r"\s*(z|utc|gmt|[+-]\d{1,2}(?::?\d{2}){0,2}|[a-z][a-z0-9_/+-]*)$")


def _bad(typ: str, text: str) -> InvalidDatetimeFormat:
    return InvalidDatetimeFormat(f'invalid input syntax for type {typ}: "{text}"')


def _range(text: str) -> DatetimeFieldOverflow:
    return DatetimeFieldOverflow(f'date/time field value out of range: "{text}"')


def _mkdate(y: int, m: int, d: int, text: str) -> dt.date:
    if y == 0:
        raise _range(text)
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise _range(text) from None


def _year2(y: str) -> int:
    v = int(y)
    if len(y) <= 2:
        v += 2000 if v < 70 else 1900
    return v


_PG_STYLE = re.compile(r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?([a-z]+)\s+(\d{1,2})\s+"
                       r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)\s+(\d{4})(.*)")
_DOW = re.compile(r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*")


DATE_ORDER: ContextVar[str] = ContextVar("rem_date_order", default="MDY")
"""The field order of the session's DateStyle (MDY, DMY or YMD) for dates like 01/02/2020."""


def _split_date(s: str, text: str, typ: str) -> tuple[dt.date, str]:
    """Parse a leading date; return it and the rest of the string."""
    m = _DOW.match(s)
    if m:
        s = s[m.end():]
    for rx, order in ((_ISO_DATE, "ymd"), (_YMD_SLASH, "ymd"), (_MDY, "mdy"), (_YMD_COMPACT, "ymd")):
        m = rx.match(s)
        if m:
            a, b, c = m.groups()
            if order == "ymd":
                return _mkdate(int(a), int(b), int(c), text), s[m.end():]
            if DATE_ORDER.get() == "DMY":
                return _mkdate(_year2(c), int(b), int(a), text), s[m.end():]
            return _mkdate(_year2(c), int(a), int(b), text), s[m.end():]
    for rx, order in ((_MON_D_Y, "mdy"), (_D_MON_Y, "dmy"), (_Y_MON_D, "ymd")):
        m = rx.match(s)
        if m:
            g = m.groups()
            if order == "mdy":
                mon, d, y = MONTHS.get(g[0]), int(g[1]), _year2(g[2])
            elif order == "dmy":
                mon, d, y = MONTHS.get(g[1]), int(g[0]), _year2(g[2])
            else:
                mon, d, y = MONTHS.get(g[1]), int(g[2]), int(g[0])
            if mon is None:
                raise _bad(typ, text)
            return _mkdate(y, mon, d, text), s[m.end():]
    raise _bad(typ, text)


def _parse_time_part(s: str, text: str, typ: str) -> tuple[dt.time, str]:
    m = _TIME.match(s)
    if not m:
        raise _bad(typ, text)
    h, mi = int(m[1]), int(m[2])
    sec = int(m[3] or 0)
    frac = m[4] or ""
    us = int(Decimal("0." + frac).quantize(Decimal("0.000001"), ROUND_HALF_EVEN) * USECS_PER_SEC) if frac else 0
    ampm = (m[5] or "").replace(".", "")
    if ampm:
        if not 1 <= h <= 12:
            raise _range(text)
        h = h % 12 + (12 if ampm == "pm" else 0)
    carry = 0
    if us >= USECS_PER_SEC:
        us -= USECS_PER_SEC
        sec += 1
    if h == 24 and mi == 0 and sec == 0 and us == 0:
        h, carry = 0, 1
    if h > 23 or mi > 59 or sec > 60:
        raise _range(text)
    if sec == 60:
        sec, mi = 0, mi + 1
        if mi == 60:
            mi, h = 0, h + 1
            if h == 24:
                h, carry = 0, 1
    t = dt.time(h, mi, sec, us)
    rest = s[m.end():]
    if carry:
        rest = "\x00" + rest  # marks a day carry (24:00:00)
    return t, rest


def _tz_from(rest: str, text: str, typ: str) -> tuple[dt.tzinfo | None, str]:
    r = rest.strip()
    if not r:
        return None, ""
    m = _TZ.match(r)
    if not m:
        raise _bad(typ, text)
    z = m[1]
    try:
        return tzinfo_for(z, True), ""
    except InvalidParameterValue:
        raise InvalidDatetimeFormat(f'time zone "{z}" not recognized') from None


def _special(s: str, typ: str, timezone: str) -> dt.datetime | dt.date | None:
    now = dt.datetime.now(UTC).astimezone(tzinfo_for(timezone))
    today = dt.datetime.combine(now.date(), dt.time())
    table = {
        "epoch": EPOCH,
        "today": today,
        "tomorrow": today + dt.timedelta(days=1),
        "yesterday": today - dt.timedelta(days=1),
        "now": now.replace(tzinfo=None),
        "infinity": TS_POS_INF, "+infinity": TS_POS_INF, "-infinity": TS_NEG_INF,
    }
    v = table.get(s)
    if v is None:
        return None
    if typ == "date":
        return {TS_POS_INF: DATE_POS_INF, TS_NEG_INF: DATE_NEG_INF}.get(v, v.date())
    if typ == "timestamptz":
        if v in (TS_POS_INF, TS_NEG_INF):
            return v.replace(tzinfo=UTC)
        if s == "now":
            return now.astimezone(UTC)
        if s == "epoch":
            return EPOCH_TZ
        return v.replace(tzinfo=tzinfo_for(timezone)).astimezone(UTC)
    return v


def parse_date(text: str, timezone: str = "UTC") -> dt.date:
    s = text.strip().lower()
    sp = _special(s, "date", timezone)
    if sp is not None:
        return sp  # type: ignore[return-value]
    d, rest = _split_date(s, text, "date")
    rest = rest.strip()
    if rest.startswith("t") or (rest and rest[0].isdigit()):
        _parse_time_part(rest.lstrip("t"), text, "date")
    elif rest:
        _tz_from(rest, text, "date")
    return d


def parse_timestamp(text: str, with_tz: bool, timezone: str = "UTC") -> dt.datetime:
    typ = "timestamp with time zone" if with_tz else "timestamp without time zone"
    s = text.strip().lower()
    sp = _special(s, "timestamptz" if with_tz else "timestamp", timezone)
    if sp is not None:
        return sp  # type: ignore[return-value]
    m = _PG_STYLE.fullmatch(s)
    if m:  # DateStyle "Postgres" output: "Tue Jan 02 03:04:05 2024 UTC"
        s = f"{m[1]} {m[2]} {m[4]} {m[3]}{m[5]}"
    d, rest = _split_date(s, text, typ)
    rest = rest.lstrip()
    if rest.startswith("t"):
        rest = rest[1:]
    t = dt.time()
    carry = False
    if rest and rest[0].isdigit():
        t, rest = _parse_time_part(rest, text, typ)
        if rest.startswith("\x00"):
            carry, rest = True, rest[1:]
    tz, rest = _tz_from(rest, text, typ)
    if rest:
        raise _bad(typ, text)
    ts = dt.datetime.combine(d, t)
    if carry:
        ts += dt.timedelta(days=1)
    if not with_tz:
        return ts
    zone = tz or tzinfo_for(timezone)
    return _localize(ts, zone).astimezone(UTC)


def _localize(ts: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """Attach ``zone`` to a local time like PostgreSQL: in a DST gap use the offset before the jump (fold=0);
    an ambiguous time (the hour repeated when clocks go back) is the later one, standard time (fold=1)."""
    aware = ts.replace(tzinfo=zone, fold=0)
    if isinstance(zone, ZoneInfo):
        other = ts.replace(tzinfo=zone, fold=1)
        if aware.utcoffset() != other.utcoffset():
            back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
            if back == ts:  # exists twice: ambiguous
                return other
    return aware


def localize(ts: dt.datetime, timezone: str) -> dt.datetime:
    """A naive local timestamp in session zone ``timezone`` → aware UTC datetime."""
    if ts in (TS_POS_INF, TS_NEG_INF):
        return ts.replace(tzinfo=UTC)
    return _localize(ts, tzinfo_for(timezone)).astimezone(UTC)


def to_local(ts: dt.datetime, timezone: str) -> dt.datetime:
    """An aware timestamp → naive local time in session zone ``timezone``."""
    naive = ts.replace(tzinfo=None)
    if naive in (TS_POS_INF, TS_NEG_INF):
        return naive
    return ts.astimezone(tzinfo_for(timezone)).replace(tzinfo=None)


def parse_time(text: str, with_tz: bool = False) -> dt.time:
    typ = "time with time zone" if with_tz else "time without time zone"
    s = text.strip().lower()
    if s == "allballs":
        return dt.time(tzinfo=UTC if with_tz else None)
    if _ISO_DATE.match(s):
        _, s = _split_date(s, text, typ)
        s = s.strip().lstrip("t")
    t, rest = _parse_time_part(s, text, typ)
    if rest.startswith("\x00"):
        t, rest = dt.time(0), rest[1:]
        if not with_tz:
            # PostgreSQL keeps 24:00:00 as a time value; Python cannot: use the max time instead.
            t = dt.time(23, 59, 59, 999999)
    tz, rest = _tz_from(rest, text, typ)
    if rest:
        raise _bad(typ, text)
    if with_tz:
        tz = tz or UTC
        off = tz.utcoffset(dt.datetime(2000, 1, 1)) if not isinstance(tz, dt.timezone) else tz.utcoffset(None)
        return t.replace(tzinfo=dt.timezone(off or dt.timedelta(0)))
    return t


# ---------------------------------------------------------------- interval input
_UNITS: dict[str, str] = {}
for _names, _unit in (
    (("microsecond", "microseconds", "us", "usec", "usecs", "microsecon"), "us"),
    (("millisecond", "milliseconds", "ms", "msec", "msecs", "millisecon"), "ms"),
    (("second", "seconds", "s", "sec", "secs"), "s"),
    (("minute", "minutes", "m", "min", "mins"), "min"),
    (("hour", "hours", "h", "hr", "hrs"), "h"),
    (("day", "days", "d"), "d"),
    (("week", "weeks", "w"), "w"),
    (("month", "months", "mon", "mons"), "mon"),
    (("year", "years", "y", "yr", "yrs"), "y"),
    (("decade", "decades", "dec", "decs"), "dec"),
    (("century", "centuries", "c", "cent"), "cent"),
    (("millennium", "millennia", "mil", "mils", "millenniums"), "mil"),
):
    for _n in _names:
        _UNITS[_n] = _unit

_IV_TOKEN = re.compile(
    r"\s*(?:(?P<time>[+-]?\d+:\d+(?::\d+(?:\.\d*)?)?)|(?P<ym>[+-]?\d+-\d+)|(?P<num>[+-]?(?:\d+\.?\d*|\.\d+))"
    r"|(?P<word>[a-z]+)|(?P<at>@))"
)
_ISO_IV = re.compile(
    r"p(?:(?P<y>[-+]?[\d.]+)y)?(?:(?P<mo>[-+]?[\d.]+)m)?(?:(?P<w>[-+]?[\d.]+)w)?(?:(?P<d>[-+]?[\d.]+)d)?"
    r"(?:t(?:(?P<h>[-+]?[\d.]+)h)?(?:(?P<mi>[-+]?[\d.]+)m)?(?:(?P<s>[-+]?[\d.]+)s)?)?"
)


class _IvAcc:
    """Accumulates interval fields, cascading fractions down like PostgreSQL."""

    def __init__(self) -> None:
        self.months = 0
        self.days = 0
        self.us = Decimal(0)

    def add(self, val: Decimal, unit: str) -> None:
        if unit in ("y", "dec", "cent", "mil"):
            mult = {"y": 12, "dec": 120, "cent": 1200, "mil": 12000}[unit]
            whole = int(val)
            self.months += whole * mult
            self.months += int(((val - whole) * mult).to_integral_value(ROUND_HALF_EVEN))
        elif unit == "mon":
            whole = int(val)
            self.months += whole
            self._days((val - whole) * 30)
        elif unit == "w":
            self._days(val * 7)
        elif unit == "d":
            self._days(val)
        else:
            mult = {"h": 3600 * USECS_PER_SEC, "min": 60 * USECS_PER_SEC, "s": USECS_PER_SEC, "ms": 1000, "us": 1}[unit]
            self.us += val * mult

    def _days(self, val: Decimal) -> None:
        whole = int(val)
        self.days += whole
        self.us += (val - whole) * USECS_PER_DAY

    def result(self, negate: bool = False) -> Interval:
        us = int(self.us.to_integral_value(ROUND_HALF_EVEN))
        iv = Interval(self.months, self.days, us)
        return Interval(-iv.months, -iv.days, -iv.microseconds) if negate else iv


def _time_us(tok: str) -> Decimal:
    neg = tok.startswith("-")
    parts = tok.lstrip("+-").split(":")
    h, mi = int(parts[0]), int(parts[1])
    sec = Decimal(parts[2]) if len(parts) > 2 and parts[2] else Decimal(0)
    if mi > 59 or sec >= 60:
        raise ValueError
    us = (h * 3600 + mi * 60) * USECS_PER_SEC + sec * USECS_PER_SEC
    return -us if neg else us


def parse_interval(text: str) -> Interval:
    """PostgreSQL interval input: ``1 day 02:03:04``, ``2 hours 3 minutes``, ``1-2``, ``P1Y2M``, ``@ 1 day ago``."""
    s = text.strip().lower()
    bad = InvalidDatetimeFormat(f'invalid input syntax for type interval: "{text}"')
    if not s:
        raise bad
    acc = _IvAcc()
    try:
        m = _ISO_IV.fullmatch(s)
        if m and s != "p":
            for key, unit in (("y", "y"), ("mo", "mon"), ("w", "w"), ("d", "d"), ("h", "h"), ("mi", "min"), ("s", "s")):
                if m[key]:
                    acc.add(Decimal(m[key]), unit)
            return acc.result()
        pos, pending, ago, seen = 0, None, False, False
        while pos < len(s):
            tm = _IV_TOKEN.match(s, pos)
            if not tm or tm.end() == pos:
                if s[pos:].strip() == "":
                    break
                raise bad
            pos = tm.end()
            if tm["at"]:
                continue
            if tm["time"]:
                if pending is not None:  # "1 2:03:04": a bare number before a time is days
                    acc.add(pending, "d")
                    pending = None
                acc.us += _time_us(tm["time"])
                seen = True
            elif tm["ym"]:
                neg = tm["ym"].startswith("-")
                y, mo = tm["ym"].lstrip("+-").split("-")
                if int(mo) > 11:
                    raise bad
                v = int(y) * 12 + int(mo)
                acc.months += -v if neg else v
                seen = True
            elif tm["num"]:
                if pending is not None:
                    if "." not in tm["num"] and pending == int(pending) and not tm["num"].startswith(("+", "-")):
                        raise bad
                    acc.add(pending, "s")
                pending = Decimal(tm["num"])
            else:
                w = tm["word"]
                if w == "ago":
                    ago = True
                    continue
                unit = _UNITS.get(w)
                if unit is None or pending is None:
                    raise bad
                acc.add(pending, unit)
                pending, seen = None, True
        if pending is not None:
            acc.add(pending, "s")
            seen = True
        if not seen:
            raise bad
        return acc.result(negate=ago)
    except (ValueError, ArithmeticError):
        raise DatetimeFieldOverflow(f'interval field value out of range: "{text}"') from None
