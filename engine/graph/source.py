"""Where the graph service reads the store: the one module that knows the storage layout (read-only).

Reads the ``entities``, ``key_index`` and ``edges`` column families through ``store.rocks`` with the key
encodings of :mod:`engine.storage.keys`; never writes (writes go through ``Txn`` and the single writer).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from engine.ids import id_source, key_text
from engine.schema.model import TableDef
from engine.storage import codec
from engine.storage.keys import TABLE, key_index_prefix, split_edge_key, split_key_index_key
from engine.store import Registry


def _cf(store: Any, name: str) -> Any:
    return store.rocks.cf[name]


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
    for k in _cf(store, "key_index").keys():
        key, _, nid = split_key_index_key(bytes(k))
        out[nid] = key
    return out


def nodes(store: Any, registry: Registry) -> Iterator[tuple[int, uuid.UUID, bool, str | None, str | None]]:
    """Every stored entity: (table OID, id, visible, key, name)."""
    keys = _key_map(store)
    tables: dict[int, TableDef | None] = {}
    for k, v in _cf(store, "entities").items():
        k, v = bytes(k), bytes(v)
        oid = TABLE.unpack(k[:4])[0]
        nid = uuid.UUID(bytes=k[4:20])
        t = tables.get(oid, False)
        if t is False:
            t = tables[oid] = registry.get_by_oid(oid)
        if t is None:
            continue
        live = not codec.is_deleted(v)
        name = None
        if live and t.column("name") is not None:
            n = codec.decode_row(v).get("name")
            name = n if isinstance(n, str) else None
        yield oid, nid, live, keys.get(nid), name


def edges(store: Any) -> Iterator[tuple[uuid.UUID, str, uuid.UUID, float]]:
    """Every edge of the ``edges`` column family: (src, rel_type, dst, weight)."""
    for k, v in _cf(store, "edges").items():
        src, rel, dst = split_edge_key(bytes(k))
        meta = codec.decode_obj(bytes(v)) if v else {}
        yield src, rel, dst, float(meta.get("w", 1.0)) if isinstance(meta, dict) else 1.0


def key_ids(store: Any, key: str) -> list[tuple[int, uuid.UUID]]:
    """(table OID, id) of every entity with key text ``key``, through the ``key_index`` column family."""
    p = key_index_prefix(key)
    out = []
    for k in _cf(store, "key_index").keys(from_key=p):
        k = bytes(k)
        if not k.startswith(p):
            break
        _, oid, nid = split_key_index_key(k)
        out.append((oid, nid))
    return out
