"""Clustered test vectors (never i.i.d. random: HNSW recall on those is meaningless) and exact answers."""

from __future__ import annotations

import uuid

import numpy as np


def clustered(n: int, d: int = 64, centres: int = 50, seed: int = 1) -> np.ndarray:
    """``n`` unit vectors around ``centres`` centres in a low-rank subspace plus jitter (like embeddings)."""
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centres, d)).astype(np.float32)
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    proj = np.linalg.qr(rng.standard_normal((d, 8)))[0].T.astype(np.float32)
    x = c[rng.integers(0, centres, n)] + 0.15 * rng.standard_normal((n, 8)).astype(np.float32) @ proj
    x += 0.1 * rng.standard_normal((n, d)).astype(np.float32) / np.sqrt(d)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def ids(n: int, seed: int = 2) -> list[uuid.UUID]:
    """Deterministic row ids."""
    rng = np.random.default_rng(seed)
    return [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(n)]


def exact(base: np.ndarray, row_ids: list[uuid.UUID], q: np.ndarray, k: int, metric: str = "cosine",
          allowed: np.ndarray | None = None) -> list[uuid.UUID]:
    """Reference top-k ids by numpy (ties by position)."""
    idx = np.arange(base.shape[0]) if allowed is None else np.asarray(allowed)
    sub = base[idx].astype(np.float64)
    qq = q.astype(np.float64)
    if metric == "l2":
        d = ((sub - qq) ** 2).sum(1)
    elif metric == "ip":
        d = -(sub @ qq)
    else:
        d = 1 - (sub @ qq) / (np.linalg.norm(sub, axis=1) * np.linalg.norm(qq))
    order = np.lexsort((idx, d))[:k]
    return [row_ids[i] for i in idx[order]]
