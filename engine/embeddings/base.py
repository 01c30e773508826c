"""The embedding provider interface: texts in, L2-normalised float32 vectors out, in batches.

A provider knows its ``name`` (the spec it was built from, e.g. ``local:all-MiniLM-L6-v2``) and ``dim`` up
front; ``embed(texts)`` returns ``float32[n, dim]`` with unit rows (zero rows stay zero).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class EmbeddingProvider(Protocol):
    """Anything that turns texts into unit vectors of a fixed dimension."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """``float32[len(texts), dim]``, rows L2-normalised."""


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as C-contiguous float32.

    >>> l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x.reshape(1, -1)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return np.ascontiguousarray(x / n, dtype=np.float32)


def in_batches(texts: Sequence[str], batch_size: int, fn: Callable[[list[str]], np.ndarray], dim: int) -> np.ndarray:
    """Call ``fn`` on consecutive slices of at most ``batch_size`` texts and stack the results."""
    if not texts:
        return np.zeros((0, dim), np.float32)
    size = max(1, int(batch_size))
    parts = [fn(list(texts[i:i + size])) for i in range(0, len(texts), size)]
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
