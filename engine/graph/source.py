"""Where the graph service reads the store: the one module that knows the storage layout (read-only).

Reads the ``entities`` and ``key_index`` column families (``store.prefix_items`` with the key encodings of
:mod:`engine.storage.keys`) and the edges (``store.scan_edges``); never writes (writes go through ``Txn`` and
the single writer).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from engine.ids import id_source, key_text
from engine.schema.model import TableDef
from engine.storage import codec
from engine.storage.keys import TABLE, split_key_index_key
from engine.store import Registry


def commit_lock(store: Any) -> contextlib.AbstractContextManager[Any]:
    """The writer's commit lock (no commit lands while a rebuild reads the column families)."""
    w = getattr(store, "writer", None)
    lock = getattr(w, "lock", None)
    return lock if lock is not None else contextlib.nullcontext()


def add_commit_hook(store: Any, fn: Callable[[Any], None]) -> None:
    """Register ``fn`` to run after every commit (once, however often it is asked)."""
    add = getattr(store, "add_commit_hook", None)
    hooks = getattr(getattr(store, "writer", None), "hooks", None)
    if hooks is not None and any(h == fn for h in hooks):
        return
    if add is not None:
        add(fn)
    elif hooks is not None:
        hooks.append(fn)


def row_key(t: TableDef, row: dict[str, Any]) -> str | None:
    """The key text of a row, as the key index stores it (None when the row has no key)."""
    src = id_source(row, t.key_field, t.primary_key)
    return key_text(src[1]) if src is not None else None


def _key_map(store: Any) -> dict[uuid.UUID, str]:
    out: dict[uuid.UUID, str] = {}
    for k in store.prefix_items("key_index", b"", keys_only=True):
        key, _, nid = split_key_index_key(bytes(k))
        out[nid] = key
    return out


def nodes(store: Any, registry: Registry) -> Iterator[tuple[int, uuid.UUID, bool, str | None, str | None]]:
    """Every stored entity: (table OID, id, visible, key, name)."""
    keys = _key_map(store)
    for t in registry.tables():
        has_name = t.column("name") is not None
        for k, v in store.prefix_items("entities", TABLE.pack(t.oid)):
            k, v = bytes(k), bytes(v)
            nid = uuid.UUID(bytes=k[4:20])
            live = not codec.is_deleted(v)
            name = None
            if live and has_name:
                n = codec.decode_row(v).get("name")
                name = n if isinstance(n, str) else None
            yield t.oid, nid, live, keys.get(nid), name


def edges(store: Any) -> Iterator[tuple[uuid.UUID, str, uuid.UUID, float]]:
    """Every edge of the ``edges`` column family: (src, rel_type, dst, weight)."""
    for e in store.scan_edges():
        yield e.src, e.rel_type, e.dst, e.weight


def key_ids(store: Any, key: str, txn: Any = None) -> list[tuple[int, uuid.UUID]]:
    """(table OID, id) of every visible entity with key text ``key``, through the key index (as ``txn``
    sees it when given, else the committed state)."""
    if txn is not None and hasattr(txn, "lookup_key"):
        return list(txn.lookup_key(key))
    return [(t.oid, nid) for t, nid in store.lookup_key(key)]
