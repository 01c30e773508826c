"""``get_provider(spec, settings)``: the one place provider specs (``local:…``, ``openai:…``) become providers.

Providers are cached per (spec, relevant settings), so a model loads once per process.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from engine.embeddings.base import EmbeddingProvider
from engine.errors import InvalidParameterValue

_cache: dict[tuple[Any, ...], EmbeddingProvider] = {}
_lock = threading.Lock()


def _models_dir(settings: Any) -> Path | None:
    extra = getattr(settings, "extra", None) or {}
    if extra.get("P8_MODELS_DIR"):
        return Path(extra["P8_MODELS_DIR"]).expanduser()
    data_dir = getattr(settings, "data_dir", None)
    return Path(data_dir) / "models" if data_dir is not None else None


def parse_spec(spec: str) -> tuple[str, str]:
    """``'local:all-MiniLM-L6-v2'`` → ``('local', 'all-MiniLM-L6-v2')``; a bare model name means local.

    >>> parse_spec("openai:text-embedding-3-small")
    ('openai', 'text-embedding-3-small')
    """
    s = (spec or "").strip()
    kind, sep, model = s.partition(":")
    if not sep:
        kind, model = "local", s
    kind = kind.lower()
    if kind not in ("local", "openai", "fastembed") or not model:
        raise InvalidParameterValue(
            f"invalid embedding provider {spec!r}", hint="use local:<model> or openai:<model>")
    return ("local" if kind == "fastembed" else kind), model


def get_provider(spec: str, settings: Any) -> EmbeddingProvider:
    """The (cached) provider for ``spec`` configured from ``settings`` (an :class:`engine.settings.Settings`)."""
    kind, model = parse_spec(spec)
    batch = int(getattr(settings, "embedding_batch_size", 64) or 64)
    if kind == "local":
        key: tuple[Any, ...] = (kind, model.lower(), batch, str(_models_dir(settings)))
    else:
        key = (kind, model, batch, getattr(settings, "openai_api_key", None),
               getattr(settings, "openai_base_url", None))
    with _lock:
        p = _cache.get(key)
        if p is not None:
            return p
        if kind == "local":
            from engine.embeddings.local import LocalProvider

            p = LocalProvider(model, models_dir=_models_dir(settings), batch_size=batch)
        else:
            from engine.embeddings.openai_provider import OpenAIProvider

            p = OpenAIProvider(model, api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                               batch_size=batch)
        _cache[key] = p
        return p


def clear_cache() -> None:
    """Forget every cached provider (tests)."""
    with _lock:
        _cache.clear()
