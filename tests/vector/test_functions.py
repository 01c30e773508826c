"""pgvector value functions and operators against numpy, and their registration in engine.functions."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from engine import functions, types
from engine.errors import DataException, InvalidTextRepresentation
from engine.settings import Settings
from engine.vector.functions import (
    OPERATORS,
    cosine_distance,
    inner_product,
    l1_distance,
    l2_distance,
    rem_embed,
    vector_dims,
    vector_norm,
)
from engine.vector.values import check_typmod, format_vector, parse_vector, to_vector
from tests.vector.data import clustered


def test_against_numpy():
    a, b = clustered(2, 16).astype(np.float64) * np.array([[3.0], [0.5]])
    assert l2_distance(a, b) == pytest.approx(np.linalg.norm(a - b), rel=1e-6)
    assert inner_product(a, b) == pytest.approx(a @ b, rel=1e-6)
    cos = a @ b / np.linalg.norm(a) / np.linalg.norm(b)
    assert cosine_distance(a, b) == pytest.approx(1 - cos, abs=1e-6)
    assert l1_distance(a, b) == pytest.approx(np.abs(a - b).sum(), rel=1e-6)
    assert vector_norm(a) == pytest.approx(np.linalg.norm(a), rel=1e-6)
    assert OPERATORS["<->"](a, b) == l2_distance(a, b)
    assert OPERATORS["<=>"](a, b) == cosine_distance(a, b)
    assert OPERATORS["<#>"](a, b) == -inner_product(a, b)


def test_pgvector_readme_values():
    # SELECT '[1,2,3]' <-> '[4,5,6]' etc., as pgvector answers them
    assert l2_distance("[1,2,3]", "[4,5,6]") == pytest.approx(5.196152422706632)
    assert OPERATORS["<#>"]("[1,2,3]", "[4,5,6]") == -32.0
    assert cosine_distance("[1,2,3]", "[4,5,6]") == pytest.approx(0.025368153802923787)
    assert vector_dims("[1,2,3]") == 3
    assert math.isnan(cosine_distance("[0,0]", "[1,1]"))


def test_dimension_mismatch_names_both():
    with pytest.raises(DataException) as ei:
        l2_distance([1, 2, 3], [1, 2])
    assert ei.value.sqlstate == "22000" and str(ei.value) == "different vector dimensions 3 and 2"


def test_text_form():
    assert parse_vector("[1, 2.5, -3]").tolist() == [1.0, 2.5, -3.0]
    assert format_vector(np.array([1, 2.5, 0.1, 1e-7], np.float32)) == "[1,2.5,0.1,1e-07]"
    for bad in ("1,2", "[1,a]", "[1,,2]"):
        with pytest.raises(InvalidTextRepresentation):
            parse_vector(bad)
    with pytest.raises(DataException, match="at least 1 dimension"):
        parse_vector("[]")
    with pytest.raises(DataException, match="NaN"):
        parse_vector("[NaN]")
    with pytest.raises(DataException, match="expected 3 dimensions, not 2"):
        check_typmod(to_vector([1, 2]), 3)


def test_registered():
    for name in ("l2_distance", "cosine_distance", "inner_product", "vector_dims", "vector_norm", "rem_embed"):
        assert functions.lookup(name), name
    (f,) = [f for f in functions.lookup("vector_dims")]
    assert f.arg_oids == (types.VECTOR,) and f.return_oid == types.INT4
    assert {f.arg_oids for f in functions.lookup("rem_embed")} == {(types.TEXT,), (types.TEXT, types.TEXT)}


def test_rem_embed_uses_the_default_model():
    ctx = SimpleNamespace(db=SimpleNamespace(vectors=None, settings=Settings()))
    v = rem_embed(ctx, "A man is eating food.")
    w = rem_embed(ctx, "A man is eating a piece of bread.", "local:all-MiniLM-L6-v2")
    assert v.shape == (384,) and v.dtype == np.float32
    assert 1 - cosine_distance(v, w) == pytest.approx(0.753, abs=0.02)
    with pytest.raises(DataException):
        rem_embed(ctx, "  ")
