"""Embedding providers: ``get_provider('local:all-MiniLM-L6-v2', settings).embed(texts) -> float32[n, d]``."""

from __future__ import annotations

from engine.embeddings.base import EmbeddingProvider, l2_normalize
from engine.embeddings.registry import clear_cache, get_provider, parse_spec

__all__ = ["EmbeddingProvider", "clear_cache", "get_provider", "l2_normalize", "parse_spec"]
