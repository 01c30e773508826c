"""pgvector's functions and operators on values, registered in :mod:`engine.functions`.

Operators as plain functions for the executor (``OPERATORS``): ``<->`` → :func:`l2_distance`, ``<=>`` →
:func:`cosine_distance`, ``<#>`` → :func:`negative_inner_product`; arguments are vectors (see
:func:`engine.vector.values.to_vector`), results Python floats. A dimension mismatch raises DataException
22000 ``different vector dimensions m and n``. SQL functions: ``l2_distance``, ``cosine_distance``,
``inner_product``, ``l1_distance``, ``vector_dims``, ``vector_norm`` and ``rem_embed(text [, provider])``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from engine import types
from engine.errors import DataException
from engine.functions import FunctionDef, register
from engine.vector.index import check_dims
from engine.vector.values import to_vector


def _pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = to_vector(a), to_vector(b)
    check_dims(x.shape[0], y.shape[0])
    return x.astype(np.float64), y.astype(np.float64)


def l2_distance(a: Any, b: Any) -> float:
    """Euclidean distance (``<->``).

    >>> l2_distance([0, 0], [3, 4])
    5.0
    """
    x, y = _pair(a, b)
    return float(np.sqrt(np.sum((x - y) ** 2)))


def inner_product(a: Any, b: Any) -> float:
    """Inner product.

    >>> inner_product([1, 2], [3, 4])
    11.0
    """
    x, y = _pair(a, b)
    return float(x @ y)


def negative_inner_product(a: Any, b: Any) -> float:
    """``<#>``: the negated inner product (so smaller is nearer)."""
    return -inner_product(a, b)


def cosine_distance(a: Any, b: Any) -> float:
    """``<=>``: ``1 - cos(a, b)``; NaN when either vector is zero (as pgvector).

    >>> cosine_distance([1, 0], [0, 1])
    1.0
    """
    x, y = _pair(a, b)
    nn = float(np.sqrt((x @ x) * (y @ y)))
    if nn == 0.0:
        return float("nan")
    sim = max(-1.0, min(1.0, float(x @ y) / nn))
    return 1.0 - sim


def l1_distance(a: Any, b: Any) -> float:
    """Taxicab distance (``<+>``)."""
    x, y = _pair(a, b)
    return float(np.sum(np.abs(x - y)))


def vector_dims(v: Any) -> int:
    """Number of dimensions.

    >>> vector_dims("[1,2,3]")
    3
    """
    return int(to_vector(v).shape[0])


def vector_norm(v: Any) -> float:
    """Euclidean norm.

    >>> vector_norm([3, 4])
    5.0
    """
    x = to_vector(v).astype(np.float64)
    return float(np.sqrt(x @ x))


OPERATORS: dict[str, Callable[[Any, Any], float]] = {
    "<->": l2_distance,
    "<=>": cosine_distance,
    "<#>": negative_inner_product,
    "<+>": l1_distance,
}
OPERATOR_METRIC = {"<->": "l2", "<=>": "cosine", "<#>": "ip"}  # which index metric serves ORDER BY col <op> q


def rem_embed(ctx: Any, text: str, provider: str | None = None) -> np.ndarray:
    """The embedding of ``text`` with ``provider`` (default: the configured default provider)."""
    if not isinstance(text, str):
        text = str(text)
    if not text.strip():
        raise DataException("rem_embed: empty text")
    db = ctx.db
    svc = getattr(db, "vectors", None)
    if svc is not None:
        return svc.embed_text(text, provider)
    from engine.embeddings import get_provider

    return get_provider(provider or db.settings.default_embedding, db.settings).embed([text])[0]


def rem_search(ctx: Any, table: str, query: str, k: int = 10) -> Any:
    """``SEARCH query IN table LIMIT k`` as a set-returning function: (id, score, rank) best first, to join."""
    from engine.errors import InvalidParameterValue, UndefinedTable
    from engine.vector.sqlscan import session_ef_search

    if table is None or query is None:
        return iter(())
    schema, _, name = str(table).rpartition(".")
    td = ctx.db.registry.get(name, schema or "public")
    if td is None:
        raise UndefinedTable(f'relation "{table}" does not exist')
    if k is None or int(k) < 0:
        raise InvalidParameterValue("rem_search: k must not be negative")
    svc = getattr(ctx.db, "vectors", None)
    if svc is None:
        raise UndefinedTable(f'relation "{table}" has no vector index')
    hits = svc.search_text(td, str(query), int(k), ef_search=session_ef_search(ctx))
    return iter([(rid, float(score), i + 1) for i, (rid, score) in enumerate(hits)])


def _null_safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """NULL in → NULL out, checked here (``is None``: arrays must never be compared with ``in``/``==``)."""

    def call(*args: Any) -> Any:
        return None if any(a is None for a in args) else fn(*args)

    call.__name__, call.__doc__ = fn.__name__, fn.__doc__
    return call


def _register() -> None:
    V, F8, I4, T = types.VECTOR, types.FLOAT8, types.INT4, types.TEXT
    for name, impl, desc in (
        ("l2_distance", l2_distance, "Euclidean distance between two vectors"),
        ("cosine_distance", cosine_distance, "cosine distance (1 - cosine similarity)"),
        ("inner_product", inner_product, "inner product of two vectors"),
        ("l1_distance", l1_distance, "taxicab distance between two vectors"),
        ("vector_negative_inner_product", negative_inner_product, "negated inner product (operator <#>)"),
    ):
        register(FunctionDef(name, _null_safe(impl), F8, (V, V), strict=False, description=desc))
    register(FunctionDef("vector_dims", _null_safe(vector_dims), I4, (V,), strict=False,
                         description="number of dimensions"))
    register(FunctionDef("vector_norm", _null_safe(vector_norm), F8, (V,), strict=False,
                         description="Euclidean norm"))
    for args in ((T, T), (T, T, types.INT8), (T, T, I4)):
        register(FunctionDef("rem_search", rem_search, types.RECORD, args, strict=False, set_returning=True,
                             columns=(("id", types.UUID), ("score", F8), ("rank", I4)), needs_ctx=True,
                             arg_names=("table_name", "query", "k")[: len(args)],
                             description="semantic search of a table with embedding fields (SEARCH as a function)"))
    register(FunctionDef("rem_embed", rem_embed, V, (T,), needs_ctx=True, volatile=False,
                         description="embedding of a text with the default provider"))
    register(FunctionDef("rem_embed", rem_embed, V, (T, T), needs_ctx=True,
                         description="embedding of a text with the given provider (local:… / openai:…)"))


_register()
