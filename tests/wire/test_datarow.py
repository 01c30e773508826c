"""Compiled DataRow encoders (remwire.protocol.datarow) give the bytes of the per-cell loop for every shape."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from engine import types as T
from engine.api import Column
from remwire import pgtypes
from remwire.protocol.datarow import MAX_COLUMNS, row_encoder
from remwire.protocol.messages import encode_data_row
from remwire.results import data_row_encoder, encoders_for

OPTS = pgtypes.DEFAULT_TEXT_OPTIONS
COLS = [Column("i", T.INT4), Column("s", T.TEXT), Column("b", T.INT8), Column("v", T.VARCHAR),
        Column("n", T.NUMERIC), Column("t", T.TIMESTAMPTZ), Column("u", T.UUID), Column("f", T.FLOAT8),
        Column("j", T.JSONB), Column("x", T.BOOL)]
ROWS: list[Any] = [
    (1, "a", 2**40, "v", Decimal("1.50"), dt.datetime(2024, 1, 1, tzinfo=dt.UTC), uuid.UUID(int=5), 0.1,
     {"k": [1]}, True),
    (None,) * 10,
    (-7, "", 0, "é", Decimal("-0"), dt.datetime(2023, 6, 30, 12, tzinfo=dt.UTC), uuid.UUID(int=0), -0.0, [], False),
    (True, "x", False, "y", 3, dt.datetime(2020, 1, 1), None, 1, None, None),  # other Python types: general text
]


def loop(cols: list[Column], formats: tuple[int, ...], row: Any) -> bytes:
    _, encs = encoders_for(cols, formats, OPTS)
    return encode_data_row([None if v is None else e(v) for e, v in zip(encs, row, strict=False)])


@pytest.mark.parametrize("formats", [(), (1,), (0, 1, 0, 1, 0, 1, 0, 1, 0, 1)])
def test_same_bytes_as_the_loop(formats: tuple[int, ...]) -> None:
    cols = list(COLS)
    enc = data_row_encoder(cols, formats, OPTS)
    for row in ROWS:
        if formats and row[0] is True:
            continue  # binary int4 of a bool: not a value the engine produces
        assert enc(row) == loop(cols, formats, row)


def test_row_lengths_and_widths() -> None:
    encs = [pgtypes.encoder(T.INT4, 0)] * 3
    enc = row_encoder(encs, ["int"] * 3)
    for row in [(1, 2, 3), (1, 2), (1, 2, 3, 4), [4, None, 6]]:
        assert enc(row) == encode_data_row([None if v is None else e(v) for e, v in zip(encs, row, strict=False)])
    one = row_encoder(encs[:1], ["int"])
    assert one((5,)) == encode_data_row([b"5"])
    wide = [pgtypes.encoder(T.TEXT, 0)] * (MAX_COLUMNS + 1)
    row = tuple(str(i) for i in range(MAX_COLUMNS + 1))
    assert row_encoder(wide, ["str"] * len(wide))(row) == encode_data_row([v.encode() for v in row])
    exact = wide[:MAX_COLUMNS]
    assert row_encoder(exact, ["str"] * MAX_COLUMNS)(row[:MAX_COLUMNS]) == encode_data_row(
        [v.encode() for v in row[:MAX_COLUMNS]])
