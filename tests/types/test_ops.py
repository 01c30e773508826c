"""In-process checks of what the reference PostgreSQL cannot answer (pgvector is not installed there) and of
the resolution helpers the executor calls."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import types as T
from engine.errors import RemError
from engine.sql.casts import can_cast, cast, common_type
from engine.sql.operators import binary_op, compare_any, unary_op
from engine.textio import format_text, parse_text


def vec(s: str) -> np.ndarray:
    return parse_text(T.VECTOR, s)


def test_vector_distance_operators() -> None:
    l2, res = binary_op("<->", T.VECTOR, T.VECTOR)
    assert res == T.FLOAT8
    assert l2(vec("[1,2,3]"), vec("[3,2,1]")) == pytest.approx(math.sqrt(8))
    cos, _ = binary_op("<=>", T.VECTOR, T.VECTOR)
    assert cos(vec("[1,0]"), vec("[0,1]")) == pytest.approx(1.0)
    ip, _ = binary_op("<#>", T.VECTOR, T.VECTOR)
    assert ip(vec("[1,2]"), vec("[3,4]")) == -11.0
    add, res = binary_op("+", T.VECTOR, T.VECTOR)
    assert res == T.VECTOR and format_text(res, add(vec("[1,2]"), vec("[3,4]"))) == "[4,6]"
    with pytest.raises(RemError) as ei:
        l2(vec("[1,2]"), vec("[1,2,3]"))
    assert ei.value.sqlstate == "22000"


def test_vector_text_and_casts() -> None:
    assert format_text(T.VECTOR, vec("[1, 2.5, -3e2]")) == "[1,2.5,-300]"
    assert vec("[0.1]").dtype == np.float32
    for bad, code in (("[1,2", "22P02"), ("[]", "22000"), ("[1,NaN]", "22000")):
        with pytest.raises(RemError) as ei:
            vec(bad)
        assert ei.value.sqlstate == code
    v = cast([1, 2, 3], 1007, T.VECTOR)
    assert format_text(T.VECTOR, v) == "[1,2,3]"
    assert cast(vec("[1,2]"), T.VECTOR, 1021) == [1.0, 2.0]
    with pytest.raises(RemError):
        cast([1, 2], 1007, T.VECTOR, 3)


def test_resolution_helpers() -> None:
    assert common_type([T.INT4, T.INT8, T.NUMERIC]) == T.NUMERIC
    assert common_type([T.UNKNOWN, T.UNKNOWN]) == T.TEXT
    assert common_type([T.DATE, T.TIMESTAMP]) == T.TIMESTAMP
    with pytest.raises(RemError) as ei:
        common_type([T.INT4, T.TEXT], "CASE")
    assert ei.value.sqlstate == "42804" and ei.value.message == "CASE types integer and text cannot be matched"
    assert can_cast(T.INT4, T.INT8, "i") and not can_cast(T.INT8, T.INT4, "i") and can_cast(T.INT8, T.INT4, "a")
    assert can_cast(T.TEXT, T.INT4, "e") and not can_cast(T.TEXT, T.INT4, "a")
    assert can_cast(T.INT4, T.TEXT, "a") and not can_cast(T.INT4, T.TEXT, "i")
    with pytest.raises(RemError) as ei:
        binary_op("+", T.INT4, T.TEXT)
    assert ei.value.sqlstate == "42883" and ei.value.message == "operator does not exist: integer + text"
    assert ei.value.hint and ei.value.hint.startswith("No operator matches")
    neg, res = unary_op("-", T.INT2)
    assert res == T.INT2 and neg(5) == -5
    eq, _ = binary_op("=", T.INT4, T.INT4)
    assert compare_any(eq, 3, [1, None]) is None and compare_any(eq, 1, [1, None]) is True
    assert compare_any(eq, 1, [], all_=True) is True


def test_assignment_cast_length_rules() -> None:
    assert cast("abcd", T.TEXT, T.VARCHAR, 3 + 4) == "abc"
    assert cast("ab   ", T.TEXT, T.VARCHAR, 3 + 4, explicit=False) == "ab "
    with pytest.raises(RemError) as ei:
        cast("abcd", T.TEXT, T.VARCHAR, 3 + 4, explicit=False)
    assert ei.value.sqlstate == "22001"
    assert cast("ab", T.TEXT, T.BPCHAR, 4 + 4) == "ab  "


def test_timestamptz_interval_arithmetic_follows_session_zone() -> None:
    add, res = binary_op("+", T.TIMESTAMPTZ, T.INTERVAL)
    ts = parse_text(T.TIMESTAMPTZ, "2024-03-09 12:00", timezone="America/New_York")
    out = add(ts, T.Interval(0, 1, 0), "America/New_York")  # across the DST change: wall clock kept
    assert format_text(res, out, timezone="America/New_York") == "2024-03-10 12:00:00-04"
    assert format_text(res, add(ts, T.Interval(0, 0, 86_400_000_000), "America/New_York"),
                       timezone="America/New_York") == "2024-03-10 13:00:00-04"
