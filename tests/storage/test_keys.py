"""Property tests of the order-preserving key encodings (engine.storage.keys)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.storage import keys as K

ints = st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)
floats = st.floats(allow_nan=False)
texts = st.text()
aware = st.datetimes(timezones=st.just(dt.UTC))


def _roundtrip(v: object) -> None:
    assert K.decode_value(K.encode_value(v)) == v


@given(st.one_of(ints, floats, texts, st.binary(), st.uuids(), st.dates(), st.datetimes(), aware, st.times(),
                 st.booleans(), st.none(), st.lists(st.one_of(ints, texts, st.none()), max_size=5)))
def test_round_trip(v: object) -> None:
    _roundtrip(v)


@given(st.one_of(st.tuples(ints, ints), st.tuples(floats, floats), st.tuples(ints, floats),
                 st.tuples(texts, texts), st.tuples(st.binary(), st.binary()),
                 st.tuples(st.dates(), st.dates()), st.tuples(aware, aware), st.tuples(st.datetimes(), st.datetimes()),
                 st.tuples(st.uuids(), st.uuids()), st.tuples(st.times(), st.times())))
def test_order_preserved(pair: tuple[object, object]) -> None:
    a, b = pair
    ea, eb = K.encode_value(a), K.encode_value(b)
    if isinstance(a, uuid.UUID):
        a, b = a.bytes, b.bytes  # uuid order in PostgreSQL is byte order
    if isinstance(a, str):
        a, b = a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")  # C collation
    assert (ea < eb) == (a < b)  # type: ignore[operator]
    assert (ea == eb) == (a == b)


@given(st.lists(st.tuples(texts, ints), min_size=2, max_size=2))
def test_composite_keys_sort_like_tuples(pairs: list[tuple[str, int]]) -> None:
    (a1, a2), (b1, b2) = pairs
    ea, eb = K.encode_values([a1, a2]), K.encode_values([b1, b2])
    assert (ea < eb) == ((a1.encode("utf-8", "surrogatepass"), a2) < (b1.encode("utf-8", "surrogatepass"), b2))


@given(st.one_of(ints, floats, texts, aware))
def test_null_sorts_last(v: object) -> None:
    assert K.encode_value(v) < K.encode_value(None)


@settings(max_examples=300)
@given(st.integers(min_value=-(1 << 62), max_value=1 << 62), st.floats(allow_nan=False, allow_infinity=False,
                                                                   min_value=-1e19, max_value=1e19))
def test_ints_and_floats_share_one_order(i: int, f: float) -> None:
    ei, ef = K.encode_value(i), K.encode_value(f)
    exact = decimal.Decimal(i) - decimal.Decimal(f)
    assert (ei < ef) == (exact < 0) and (ei == ef) == (exact == 0)


def test_text_with_nul_and_separators_is_prefix_free() -> None:
    vals = ["a", "a\x00", "a\x00b", "a:b", "a/b", "a b", "é", "日本", ""]
    enc = sorted(vals, key=lambda s: K.encode_value(s))
    assert enc == sorted(vals, key=lambda s: s.encode())
    for v in vals:
        _roundtrip(v)


def test_equal_numbers_of_different_types_encode_equally() -> None:
    assert K.encode_value(1) == K.encode_value(1.0) == K.encode_value(decimal.Decimal("1.00"))


def test_key_index_and_edge_keys_split_back() -> None:
    i, j = uuid.uuid4(), uuid.uuid4()
    assert K.split_key_index_key(K.key_index_key("https://x/a b:c", 16400, i)) == ("https://x/a b:c", 16400, i)
    assert K.split_edge_key(K.edge_key(i, "cites\x00x", j)) == (i, "cites\x00x", j)


def test_prefix_end() -> None:
    assert K.prefix_end(b"ab") == b"ac"
    assert K.prefix_end(b"a\xff") == b"b"
    assert K.prefix_end(b"\xff\xff") is None
