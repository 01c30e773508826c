"""Row codec: every stored value type round-trips; the vector-skipping decoder differs only in vector values."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import msgpack
import numpy as np

from engine.storage import codec
from engine.types import JSON_NULL, Interval

ROW = {
    "id": uuid.UUID(int=7),
    "tstz": dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
    "ts": dt.datetime(2024, 5, 1, 12, 30, 1, 5),
    "d": dt.date(1999, 12, 31),
    "t": dt.time(23, 59, 58, 7),
    "num": decimal.Decimal("-12.345"),
    "iv": Interval(1, 2, 3),
    "jnull": JSON_NULL,
    "big": 2**70,
    "txt": "héllo",
    "n": None,
    "emb": np.array([0.5, -1.0, 2.0], dtype=np.float32),
    "nested": {"v": np.array([1.0], dtype=np.float32), "xs": [1, "a"]},
}


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b and type(a) is type(b)


def test_decode_row_round_trips_every_type() -> None:
    for deleted in (False, True):
        value = codec.encode_row(ROW, deleted=deleted)
        assert codec.is_deleted(value) is deleted
        assert _same(codec.decode_row(value), ROW)


def test_decode_without_vectors_leaves_only_vectors_out() -> None:
    got = codec.decode_row_without_vectors(codec.encode_row(ROW))
    want = dict(ROW, emb=None, nested={"v": None, "xs": [1, "a"]})
    assert _same(got, want)


def test_unknown_ext_code_stays_ext_type_in_both_decoders() -> None:
    value = codec.LIVE + msgpack.packb({"x": msgpack.ExtType(99, b"ab")}, use_bin_type=True)
    for decode in (codec.decode_row, codec.decode_row_without_vectors):
        assert decode(value) == {"x": msgpack.ExtType(99, b"ab")}
