"""format_text / parse_text: round trips and PostgreSQL's input errors, in process."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from engine import types as T
from engine.errors import RemError
from engine.textio import format_text, parse_text

ROUND_TRIPS = [
    (T.BOOL, " TRUE ", "t"), (T.BOOL, "of", "f"), (T.INT4, " 12 ", "12"), (T.INT8, "-9223372036854775808", "-9223372036854775808"),
    (T.FLOAT8, "1e15", "1e+15"), (T.FLOAT8, "0.0001", "0.0001"), (T.FLOAT8, "1e-5", "1e-05"), (T.FLOAT8, "0.1", "0.1"),
    (T.FLOAT8, "-inf", "-Infinity"), (T.FLOAT8, "nan", "NaN"), (T.FLOAT4, "0.1", "0.1"), (T.FLOAT4, "1e6", "1e+06"),
    (T.NUMERIC, "1e5", "100000"), (T.NUMERIC, "-0", "0"), (T.NUMERIC, "1.50", "1.50"), (T.NUMERIC, "inf", "Infinity"),
    (T.BYTEA, "\\xDEADbeef", "\\xdeadbeef"), (T.BYTEA, "a\\000b", "\\x610062"),
    (T.UUID, "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    (T.DATE, "Jan 2 2024", "2024-01-02"), (T.DATE, "1/2/2024", "2024-01-02"), (T.DATE, "infinity", "infinity"),
    (T.TIME, "12:34:56.789", "12:34:56.789"), (T.TIMESTAMP, "2024-01-02T03:04:05Z", "2024-01-02 03:04:05"),
    (T.TIMESTAMPTZ, "2024-01-02 03:04:05.5+05:30", "2024-01-01 21:34:05.5+00"),
    (T.INTERVAL, "1 year 2 mons -3 days 04:05:06.5", "1 year 2 mons -3 days +04:05:06.5"),
    (T.INTERVAL, "1.5 weeks", "10 days 12:00:00"), (T.INTERVAL, "P1Y2M3DT4H5M6.5S", "1 year 2 mons 3 days 04:05:06.5"),
    (T.INTERVAL, "1 day ago", "-1 days"), (T.INTERVAL, "5", "00:00:05"),
    (T.JSONB, '{"bb":1,"a":{"c":[1,2]},"a":3}', '{"a": 3, "bb": 1}'), (T.JSONB, "1e20", "100000000000000000000"),
    (1009, '{"a b","","NULL",NULL,"x\\"y","{}"}', '{"a b","","NULL",NULL,"x\\"y","{}"}'),
    (1007, "[1:2]={1,2}", "{1,2}"), (1007, "{{1,2},{3,4}}", "{{1,2},{3,4}}"), (T.VECTOR, "[1, 2.5,3]", "[1,2.5,3]"),
    (T.REGTYPE, "int4", "integer"), (T.REGTYPE, "_text", "text[]"),
]


@pytest.mark.parametrize(("oid", "text", "out"), ROUND_TRIPS)
def test_round_trip(oid: int, text: str, out: str) -> None:
    assert format_text(oid, parse_text(oid, text)) == out


ERRORS = [
    (T.INT4, "abc", "22P02", 'invalid input syntax for type integer: "abc"'),
    (T.INT4, "99999999999", "22003", 'value "99999999999" is out of range for type integer'),
    (T.INT2, "40000", "22003", 'value "40000" is out of range for type smallint'),
    (T.FLOAT8, "1e400", "22003", '"1e400" is out of range for type double precision'),
    (T.BOOL, "maybe", "22P02", 'invalid input syntax for type boolean: "maybe"'),
    (T.DATE, "x", "22007", 'invalid input syntax for type date: "x"'),
    (T.DATE, "2024-13-01", "22008", 'date/time field value out of range: "2024-13-01"'),
    (1007, "{{1,2},{3}}", "22P02", 'malformed array literal: "{{1,2},{3}}"'),
    (T.JSONB, "{a}", "22P02", "invalid input syntax for type json"),
    (T.VARCHAR, "abcd", "22001", "value too long for type character varying(3)"),
    (T.VECTOR, "[1,2]", "22000", "expected 3 dimensions, not 2"),
]


@pytest.mark.parametrize(("oid", "text", "code", "msg"), ERRORS)
def test_input_errors(oid: int, text: str, code: str, msg: str) -> None:
    typmod = 7 if oid == T.VARCHAR else (3 if oid == T.VECTOR else -1)
    with pytest.raises(RemError) as ei:
        parse_text(oid, text, typmod)
    assert (ei.value.sqlstate, ei.value.message) == (code, msg)


def test_values_format() -> None:
    assert format_text(T.TIMESTAMPTZ, dt.datetime(2024, 7, 1, 12, tzinfo=dt.UTC), timezone="America/New_York") == \
        "2024-07-01 08:00:00-04"
    assert format_text(T.NUMERIC, Decimal("1E+2")) == "100"
    assert format_text(T.VECTOR, np.array([0.1, 1e6], dtype=np.float32)) == "[0.1,1e+06]"
    assert format_text(T.JSONB, {"b": [1, None], "a": "x\n"}) == '{"a": "x\\n", "b": [1, null]}'
    assert format_text(T.RECORD, (1, "a b", None, "")) == '(1,"a b",,"")'
    assert format_text(T.INTERVAL, T.Interval(14, 3, 4_000_000), intervalstyle="iso_8601") == "P1Y2M3DT4S"
    assert parse_text(T.NUMERIC, "123.456", ((5 << 16) | 2) + 4) == Decimal("123.46")
    assert parse_text(T.BPCHAR, "ab", 3 + 4) == "ab "
