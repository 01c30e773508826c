"""Vector search: FAISS indexes derived from RocksDB (service.py), pgvector values and functions."""

from __future__ import annotations

from engine.vector import functions as _functions  # noqa: F401  (registers the SQL functions)
from engine.vector import reembed as _reembed  # noqa: F401  (registers rem_reembed)
from engine.vector import views as _views  # noqa: F401  (registers rem_jobs, rem_vector_indexes)
from engine.vector.binding import attach
from engine.vector.index import AllowedSet, IndexParams, VectorIndex
from engine.vector.service import VectorChange, VectorCommit, VectorService

__all__ = ["attach", "AllowedSet", "IndexParams", "VectorChange", "VectorCommit", "VectorIndex", "VectorService"]
