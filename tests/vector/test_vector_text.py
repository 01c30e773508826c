"""The ``vector`` text form: the fast whole-list parse agrees with PostgreSQL/pgvector's rules."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import DataException, InvalidTextRepresentation
from engine.textio import format_vector, parse_vector


@pytest.mark.parametrize("text, want", [
    ("[1,2,3]", [1, 2, 3]),
    ("[ 1 , 2 ]", [1, 2]),
    (" [-1e-3,+.5,5.] ", [-0.001, 0.5, 5.0]),
    ("[1E+2]", [100.0]),
])
def test_valid(text, want):
    got = parse_vector(text)
    assert got.dtype == np.float32
    assert got.tolist() == pytest.approx(want)


@pytest.mark.parametrize("text, err", [
    ("[1,,2]", InvalidTextRepresentation),
    ("[1.2.3]", InvalidTextRepresentation),
    ("[1e]", InvalidTextRepresentation),
    ("[--1]", InvalidTextRepresentation),
    ("[1_0]", InvalidTextRepresentation),
    ("[a]", InvalidTextRepresentation),
    ("1,2", InvalidTextRepresentation),
    ("[nan]", DataException),
    ("[inf]", DataException),
    ("[1e50]", DataException),
    ("[]", DataException),
])
def test_invalid(text, err):
    with pytest.raises(err):
        parse_vector(text)


def test_typmod_and_roundtrip():
    v = np.random.default_rng(1).standard_normal(384).astype(np.float32)
    assert np.array_equal(parse_vector(format_vector(v), 384), v)
    with pytest.raises(DataException, match="expected 3 dimensions, not 384"):
        parse_vector(format_vector(v), 3)
