"""The direct text encoders of numeric and timestamptz in remwire.pgtypes print exactly what the general
``format_text`` prints, and results.py's per-column-list caches hand back one entry per list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import types as T
from engine.api import Column
from remwire import pgtypes, results

OPTS = [("ISO, MDY", "UTC", "postgres", 1), ("ISO, DMY", "Asia/Kolkata", "postgres", 1),
        ("iso", "America/New_York", "postgres", 0), ("SQL, DMY", "UTC", "postgres", 1),
        ("Postgres, MDY", "Europe/Paris", "postgres", 1), ("German", "America/New_York", "postgres", 1)]

DECIMALS = [Decimal("0"), Decimal("-0"), Decimal("0.00"), Decimal("-0.000"), Decimal("-1.50"), Decimal("1E+3"),
            Decimal("1E-7"), Decimal("NaN"), Decimal("-NaN"), Decimal("Infinity"), Decimal("-Infinity"),
            Decimal("123456789.123"), Decimal("-" + "9" * 40), 5, 2.5, 0, "7.25"]
UTC = dt.UTC
STAMPS = [dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2023, 6, 30, 12, 34, 56, 789000, tzinfo=UTC),
          dt.datetime(2024, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
          dt.datetime(2024, 7, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-9, minutes=-30))),
          dt.datetime(1, 1, 1, tzinfo=UTC), dt.datetime(1, 1, 2, tzinfo=UTC),
          dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), dt.datetime.max.replace(tzinfo=UTC),
          dt.datetime.min.replace(tzinfo=UTC), dt.datetime(2020, 2, 29, 10, 0), dt.date(2020, 2, 29)]


def _outcome(enc: Any, v: Any) -> Any:
    try:
        return enc(v)
    except Exception as e:  # noqa: BLE001 - e.g. year 1 shifted out of range: the same error both ways
        return type(e)


def _general(oid: int, opts: Any) -> Any:
    return lambda v: pgtypes.format_text(oid, v, opts).encode()


@pytest.mark.parametrize("opts", OPTS)
def test_numeric_and_timestamptz_text_match_format_text(opts: Any) -> None:
    for oid, values in ((T.NUMERIC, DECIMALS), (T.TIMESTAMPTZ, STAMPS)):
        fast, general = pgtypes.encoder(oid, 0, opts), _general(oid, opts)
        for v in values + values:  # twice: remembered values too
            assert _outcome(fast, v) == _outcome(general, v), (oid, v)


def test_remembered_timestamptz_text_is_per_time_zone() -> None:
    v = dt.datetime(2024, 3, 1, 12, tzinfo=UTC)
    utc, kolkata = OPTS[0], OPTS[1]
    assert pgtypes.encoder(T.TIMESTAMPTZ, 0, utc)(v) == b"2024-03-01 12:00:00+00"
    assert pgtypes.encoder(T.TIMESTAMPTZ, 0, kolkata)(v) == b"2024-03-01 17:30:00+05:30"
    assert pgtypes.encoder(T.TIMESTAMPTZ, 0, utc)(v) == b"2024-03-01 12:00:00+00"


@settings(max_examples=300, deadline=None)
@given(st.decimals(allow_nan=True, allow_infinity=True), st.datetimes(timezones=st.timezones()),
       st.sampled_from(OPTS))
def test_any_value_prints_like_format_text(d: Decimal, ts: dt.datetime, opts: Any) -> None:
    for oid, v in ((T.NUMERIC, d), (T.TIMESTAMPTZ, ts)):
        assert _outcome(pgtypes.text_encoder(oid, opts), v) == _outcome(_general(oid, opts), v), (oid, v, opts)


def test_results_caches_are_per_column_list() -> None:
    opts = pgtypes.DEFAULT_TEXT_OPTIONS
    a = [Column("n", T.NUMERIC), Column("t", T.TIMESTAMPTZ)]
    b = list(a)  # equal columns, another list
    fa, ea = results.encoders_for(a, [0], opts)
    assert (fa, ea) == results.encoders_for(a, [0], opts)
    assert results.encoders_for(a, [0], opts)[1] is ea
    assert results.encoders_for(b, [0], opts)[1] is not ea
    assert results.encoders_for(a, [1], opts)[0] == [1, 1]
    assert results.data_row_encoder(a, [0], opts) is results.data_row_encoder(a, [0], opts)
    assert results.row_description(a) is results.row_description(a) == results.row_description(b)


def test_id_cache_keeps_its_lists_and_empties_over_its_size() -> None:
    cache = results.IdCache(size=2)
    lists = [[i] for i in range(3)]
    for i, owner in enumerate(lists):
        cache.put((id(owner), 0), owner, i)
    assert [cache.get((id(owner), 0)) for owner in lists] == [0, 1, 2]
    ids = {id(owner) for owner in lists}
    del lists, owner  # the cache keeps them: no new list can take their ids while they are cached
    fresh = [[9] for _ in range(50)]
    assert not ids & {id(f) for f in fresh}
    extra: list[int] = []
    cache.put((id(extra), 0), extra, 3)  # over its size: emptied first
    assert dict(cache) == {(id(extra), 0): 3}
