"""REM's storage engine on RocksDB: open a data dir with :func:`open_store`.

Layout, key encodings, value codec, consistency and durability: docs/storage.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.settings import Settings
from engine.storage import functions as _functions  # noqa: F401  (registers rem_vacuum)

if TYPE_CHECKING:
    from engine.storage.store import RemStore


def open_store(settings: Settings) -> RemStore:
    """Open (creating if needed) the store in ``settings.data_dir``.

    Raises LockNotAvailable (55P03) ``data directory "X" is locked by another REM process`` when another
    process holds it.
    """
    from engine.storage.store import RemStore
    return RemStore(settings)


def __getattr__(name: str) -> Any:
    if name == "RemStore":  # lazy: engine.schema.registry imports engine.storage.keys
        from engine.storage.store import RemStore
        return RemStore
    raise AttributeError(name)


__all__ = ["RemStore", "open_store"]
