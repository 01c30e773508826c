"""Property tests: input functions never crash, and output → input round-trips for the scalar types."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import types as T
from engine.errors import RemError
from engine.sql.operators import binary_op
from engine.textio import format_text, parse_text

INPUT_TYPES = [T.BOOL, T.INT2, T.INT4, T.INT8, T.FLOAT4, T.FLOAT8, T.NUMERIC, T.BYTEA, T.UUID, T.DATE, T.TIME,
               T.TIMETZ, T.TIMESTAMP, T.TIMESTAMPTZ, T.INTERVAL, T.JSON, T.JSONB, 1007, 1009, T.VECTOR, T.OID]
_TEXT = st.text(alphabet=st.sampled_from(list("0123456789-+.:eE ,{}[]\"\\/abcdxyzTZPYMDHSinfty@")), max_size=24)


@pytest.mark.parametrize("oid", INPUT_TYPES, ids=lambda o: T.by_oid(o).name)
@settings(max_examples=150, deadline=None)
@given(text=_TEXT)
def test_input_never_crashes(oid: int, text: str) -> None:
    try:
        v = parse_text(oid, text)
    except RemError:
        return
    format_text(oid, v)


@settings(max_examples=300, deadline=None)
@given(x=st.floats(allow_nan=False, allow_infinity=False))
def test_float8_round_trip(x: float) -> None:
    assert parse_text(T.FLOAT8, format_text(T.FLOAT8, x)) == x


@settings(max_examples=200, deadline=None)
@given(x=st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_float4_round_trip(x: float) -> None:
    assert parse_text(T.FLOAT4, format_text(T.FLOAT4, x)) == x


@settings(max_examples=200, deadline=None)
@given(d=st.decimals(allow_nan=False, allow_infinity=False, places=None))
def test_numeric_round_trip(d: Decimal) -> None:
    assert parse_text(T.NUMERIC, format_text(T.NUMERIC, d)) == d


@settings(max_examples=200, deadline=None)
@given(ts=st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
       zone=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata", "Europe/Paris", "Pacific/Chatham"]))
def test_timestamptz_round_trip_in_any_zone(ts: dt.datetime, zone: str) -> None:
    v = ts.replace(tzinfo=dt.UTC)
    assert parse_text(T.TIMESTAMPTZ, format_text(T.TIMESTAMPTZ, v, timezone=zone), timezone=zone) == v


@settings(max_examples=200, deadline=None)
@given(m=st.integers(-10**6, 10**6), d=st.integers(-10**6, 10**6), us=st.integers(-10**15, 10**15))
def test_interval_round_trip(m: int, d: int, us: int) -> None:
    iv = T.Interval(m, d, us)
    assert parse_text(T.INTERVAL, format_text(T.INTERVAL, iv)) == iv


@settings(max_examples=300, deadline=None)
@given(a=st.integers(-(2**31), 2**31 - 1), b=st.integers(-(2**31), 2**31 - 1))
def test_int4_division_identity(a: int, b: int) -> None:
    div, _ = binary_op("/", T.INT4, T.INT4)
    mod, _ = binary_op("%", T.INT4, T.INT4)
    if b == 0 or (a == -(2**31) and b == -1):
        with pytest.raises(RemError):
            div(a, b)
        return
    q, r = div(a, b), mod(a, b)
    assert q * b + r == a and abs(r) < abs(b) and (r == 0 or math.copysign(1, r) == math.copysign(1, a))
