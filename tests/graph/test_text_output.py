"""The fast paths of text output that TRAVERSE rows go through (flat jsonb objects, uuid[]) print exactly what
the general formatters print."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import textio
from engine import types as T
from engine.textio_json import _emit, format_json

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text())


def _general(v: object) -> str:
    parts: list[str] = []
    _emit(v, parts, True)
    return "".join(parts)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(), scalars, max_size=8))
def test_flat_jsonb_objects_print_like_the_general_path(d: dict) -> None:
    assert format_json(d) == _general(d)


def test_flat_jsonb_examples() -> None:
    d = {"name": 'a "q"\n\x01\\/é', "bb": 1.5, "a": None, "ccc": True, "x": 10**20, "f": 1e16, "g": -0.0}
    assert format_json(d) == _general(d)
    assert format_json(d).startswith('{"a": null, "f": 10000000000000000, "g": -0.0, "x": 100000000000000000000')
    assert format_json({}) == "{}"
    assert format_json({"k": [1, {"b": 1, "a": 2}]}) == '{"k": [1, {"a": 2, "b": 1}]}'


@settings(max_examples=100, deadline=None)
@given(st.lists(st.uuids(), max_size=6))
def test_uuid_arrays_print_like_the_general_path(us: list[uuid.UUID]) -> None:
    want = "{" + ",".join(str(u) for u in us) + "}"
    assert textio.format_text(T.array_of(T.UUID), us) == want
    assert textio.format_text(T.array_of(T.UUID), us + [None]) == want[:-1] + ("," if us else "") + "NULL}"


@settings(max_examples=200, deadline=None)
@given(st.uuids(), st.floats(), st.dictionaries(st.text(), scalars, max_size=4), st.lists(st.uuids(), max_size=4),
       st.sampled_from([-15, 0, 1, 3]))
def test_wire_text_encoders_print_like_format_text(u, f, d, us, efd) -> None:
    from remwire import pgtypes

    opts = ("ISO, MDY", "UTC", "postgres", efd)
    for oid, v in ((T.UUID, u), (T.FLOAT8, f), (T.JSONB, d), (T.array_of(T.UUID), us),
                   (T.array_of(T.UUID), us + [None]), (T.UUID, str(u))):
        assert pgtypes.text_encoder(oid, opts)(v) == pgtypes.format_text(oid, v, opts).encode()
