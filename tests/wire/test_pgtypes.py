"""Binary and text codecs of every listed type round-trip Python values (pure, no server)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from engine import types as t
from engine.errors import InvalidBinaryRepresentation, ProtocolViolation
from engine.types import Interval
from remwire import pgtypes

UTC = dt.UTC

CASES: list[tuple[int, Any]] = [
    (t.BOOL, True), (t.BOOL, False),
    (t.INT2, -32768), (t.INT4, 2147483647), (t.INT8, -(2**63)),
    (t.FLOAT4, 1.5), (t.FLOAT8, -1e300),
    (t.NUMERIC, Decimal("0")), (t.NUMERIC, Decimal("-12345.678900")), (t.NUMERIC, Decimal("0.000001")),
    (t.NUMERIC, Decimal("123456789012345678901234567890")), (t.NUMERIC, Decimal("NaN")),
    (t.TEXT, "héllo"), (t.VARCHAR, ""), (t.BPCHAR, "ab "), (t.NAME, "pg_class"),
    (t.BYTEA, b"\x00\xff\x10"), (t.UUID, uuid.UUID("12345678-1234-5678-1234-567812345678")),
    (t.DATE, dt.date(2024, 2, 29)), (t.DATE, dt.date(1, 1, 1)),
    (t.TIME, dt.time(23, 59, 59, 999999)),
    (t.TIMESTAMP, dt.datetime(1999, 12, 31, 23, 59, 59, 123456)),
    (t.TIMESTAMPTZ, dt.datetime(2030, 1, 1, 12, 0, tzinfo=UTC)),
    (t.INTERVAL, Interval(14, -3, 3_600_000_001)),
    (t.TIMETZ, dt.time(1, 2, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=-5)))),
    (t.JSON, {"a": [1, 2, {"b": None}]}), (t.JSONB, [1, "x", True]),
    (t.OID, 4294967295),
    (1007, [1, None, 3]), (1009, [["a", "b"], ["c", None]]), (1028, [26, 1259]), (1003, ["pg_class"]),
    (1016, []), (1022, [1.5, -0.0]), (1000, [True, False]), (1231, [Decimal("1.5")]),
    (1182, [dt.date(2020, 1, 1)]), (2951, [uuid.UUID(int=1)]), (1001, [b"\x01"]),
    (t.INT2VECTOR, [1, 2, 3]), (t.OIDVECTOR, [23, 25]),
]


@pytest.mark.parametrize(("oid", "value"), CASES, ids=lambda x: repr(x)[:30])
@pytest.mark.parametrize("fmt", [0, 1], ids=["text", "binary"])
def test_roundtrip(oid: int, value: Any, fmt: int) -> None:
    enc = pgtypes.encoder(oid, fmt)(value)
    assert isinstance(enc, bytes)
    back = pgtypes.decoder(oid, fmt)(enc)
    if isinstance(value, Decimal) and value.is_nan():
        assert back.is_nan()
    else:
        assert back == value


@pytest.mark.parametrize("fmt", [0, 1])
def test_vector_roundtrip(fmt: int) -> None:
    v = np.array([1.0, -2.5, 0.125], dtype=np.float32)
    back = pgtypes.decoder(t.VECTOR, fmt)(pgtypes.encoder(t.VECTOR, fmt)(v))
    assert back.dtype == np.float32 and np.array_equal(back, v)


def test_vector_binary_layout() -> None:
    b = pgtypes.binary_encoder(t.VECTOR)(np.array([1.0, 2.0], dtype=np.float32))
    assert b == b"\x00\x02\x00\x00\x3f\x80\x00\x00\x40\x00\x00\x00"


def test_numeric_binary_matches_postgres_layout() -> None:
    # 12345.678 → ndigits 3, weight 1, sign +, dscale 3, digits [1, 2345, 6780]
    assert pgtypes.binary_encoder(t.NUMERIC)(Decimal("12345.678")) == bytes.fromhex("0003000100000003000109291a7c")


@pytest.mark.parametrize(("oid", "data"), [(t.INT4, b"\x00\x01\x00\x00\x00"), (t.BOOL, b"\x01\x00"),
                                           (t.UUID, b"x"), (t.JSONB, b"\x02{}"), (1007, b"\x00\x00")])
def test_bad_binary_is_22p03(oid: int, data: bytes) -> None:
    with pytest.raises(InvalidBinaryRepresentation):
        pgtypes.binary_decoder(oid)(data)


@pytest.mark.parametrize(("oid", "data"), [(t.INT4, b"\x00\x01"), (t.INT8, b""), (t.BOOL, b""), (t.DATE, b"\x00")])
def test_short_binary_is_08p01(oid: int, data: bytes) -> None:
    with pytest.raises(ProtocolViolation):
        pgtypes.binary_decoder(oid)(data)
