"""The row encoder's type-lookup fast path writes the same bytes as the plain ``_default`` chain (stored values
and WAL records must not change with the encoder)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import msgpack
import numpy as np

from engine.storage import codec
from engine.types import JSON_NULL, Interval


class _SubDecimal(decimal.Decimal):
    pass


class _SubDatetime(dt.datetime):
    pass


VALUES = [
    uuid.UUID(int=7), uuid.uuid4(),
    dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC), dt.datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
    dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    dt.datetime(2024, 5, 1, 12, 30, 1, 5), dt.datetime(1, 1, 1),
    _SubDatetime(2020, 2, 2, tzinfo=dt.UTC),
    dt.date(1999, 12, 31), dt.time(23, 59, 58, 7),
    decimal.Decimal("-12.345"), decimal.Decimal("NaN"), decimal.Decimal("1E+30"), decimal.Decimal("0.00"),
    _SubDecimal("3.5"),
    Interval(1, 2, 3), JSON_NULL, 2**70, -(2**80), "héllo", None, True, 1.5, b"\x00x",
    np.array([0.5, -1.0], dtype=np.float32), np.int64(3), np.float32(2.5), {"a", "b"},
    [uuid.UUID(int=1), decimal.Decimal("1.1")], {"k": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)},
]


def _reference(obj: object) -> bytes:
    return msgpack.packb(obj, default=codec._default, use_bin_type=True, datetime=False)


def test_encode_row_bytes_unchanged() -> None:
    row = {f"c{i}": v for i, v in enumerate(VALUES) if not isinstance(v, set)}
    assert codec.encode_row(row) == b"L" + _reference(row)
    assert codec.encode_row(row, deleted=True) == b"D" + _reference(row)
    for i, v in enumerate(VALUES):
        assert codec.encode_obj({"v": v}) == _reference({"v": v}), (i, v)


def test_fast_ext_types_are_ext_types() -> None:
    for v in (uuid.UUID(int=9), dt.datetime(2024, 1, 1), decimal.Decimal("2.50")):
        e = codec._fast_default(v)
        assert isinstance(e, msgpack.ExtType)
        assert e == codec._default(v)
        assert (e.code, e.data) == (codec._default(v).code, codec._default(v).data)


def test_repeated_datetimes_encode_alike() -> None:
    """A datetime object met again (a row's created_at and modified_at) is written like a fresh one."""
    a = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC)
    b = dt.datetime(2024, 5, 1, 12, 30)
    row = {"x": a, "y": a, "z": b, "w": a, "v": b, "u": dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC)}
    assert codec.encode_row(row) == b"L" + _reference(row)
    assert codec.decode_row(codec.encode_row(row)) == row
