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

import msgpack
import numpy as np

from engine.graph.adjacency import Adjacency, Edge
from engine.ids import id_source, key_text
from engine.schema.model import TableDef
from engine.storage import codec
from engine.storage.keys import TABLE
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


def row_edges(t: TableDef, row: dict[str, Any]) -> list[Edge]:
    """The out-edges a row declares (its normalized ``edges`` field: dst a uuid, rel_type, weight)."""
    out = []
    for e in row.get(t.system_column("edges")) or ():
        if isinstance(e, dict) and isinstance(e.get("dst"), uuid.UUID):
            out.append(Edge(e["dst"], str(e.get("rel_type")), float(e.get("weight", 1.0))))
    return out


def pending_rows(txn: Any) -> list[tuple[TableDef, uuid.UUID, dict[str, Any] | None]]:
    """The rows ``txn`` has written and not yet committed, as it sees them (None: gone), in write order of
    tables; [] for a transaction without writes (or one that cannot say)."""
    if txn is None or not getattr(txn, "has_writes", False):
        return []
    f = getattr(txn, "pending_rows", None)  # engine.txn.RemTxn.pending_rows
    return list(f()) if f is not None else []


def _unescape(b: bytes) -> bytes:
    return b.replace(b"\x00\xff", b"\x00") if b"\x00" in b else b


def _skip_ext(code: int, data: bytes) -> None:
    return None


def load(store: Any, registry: Registry, adj: Adjacency) -> None:
    """Fill an empty ``adj`` from the column families: nodes from ``entities`` (table OID, live/deleted
    status byte), keys from ``key_index``, edges from ``edges``; bulk-builds the CSR base."""
    bmap: dict[bytes, int] = {}
    deleted = codec.DELETED
    for t in registry.tables():
        for k, v in store.prefix_items("entities", TABLE.pack(t.oid)):
            b = bytes(k[4:20])
            i = adj.node(codec.fast_uuid(b))
            bmap[b] = i
            adj.table[i] = t.oid
            adj.alive[i] = v[:1] != deleted
    keys = adj.keys
    for k in store.prefix_items("key_index", b"", keys_only=True):
        i = bmap.get(bytes(k[-16:]))
        if i is not None:
            keys[i] = _unescape(bytes(k[:-22])).decode("utf-8", "surrogatepass")
    src: list[int] = []
    dst: list[int] = []
    rel: list[int] = []
    w: list[float] = []
    rels: dict[bytes, int] = {}
    unpack = msgpack.unpackb
    for k, v in store.prefix_items("edges", b""):
        k = bytes(k)
        sb, db, rb = k[:16], k[-16:], k[16:-18]
        s = bmap.get(sb)
        if s is None:
            s = bmap[sb] = adj.node(codec.fast_uuid(sb))
        d = bmap.get(db)
        if d is None:
            d = bmap[db] = adj.node(codec.fast_uuid(db))
        r = rels.get(rb)
        if r is None:
            r = rels[rb] = adj.rel_id(_unescape(rb).decode("utf-8"))
        meta = unpack(v, ext_hook=_skip_ext, raw=False, strict_map_key=False) if v else None
        src.append(s)
        dst.append(d)
        rel.append(r)
        w.append(float(meta.get("w", 1.0)) if isinstance(meta, dict) else 1.0)
    adj.load(np.array(src, np.int64), np.array(dst, np.int64), np.array(rel, np.int32), np.array(w, np.float64))


def texts(store: Any, registry: Registry, keys: dict[uuid.UUID, str | None]) -> Iterator[
        tuple[int, uuid.UUID, list[str | None]]]:
    """(table OID, id, [key, name]) of every live entity, for the trigram index."""
    from engine.schema.registry import key_column

    for t in registry.tables():
        col = t.column("name")
        has_name = col is not None and not col.system and key_column(t) != "name"  # else the key is the name
        for k, v in store.prefix_items("entities", TABLE.pack(t.oid)):
            if codec.is_deleted(v):
                continue
            nid = codec.fast_uuid(bytes(k[4:20]))
            name = None
            if has_name:
                n = codec.decode_row(bytes(v)).get("name")
                name = n if isinstance(n, str) else None
            yield t.oid, nid, [keys.get(nid), name]


def key_ids(store: Any, key: str, txn: Any = None) -> list[tuple[int, uuid.UUID]]:
    """(table OID, id) of every visible entity with key text ``key``, through the key index (as ``txn``
    sees it when given, else the committed state)."""
    if txn is not None and hasattr(txn, "lookup_key"):
        return list(txn.lookup_key(key))
    return [(t.oid, nid) for t, nid in store.lookup_key(key)]


def row_decoder(names: tuple[str, ...]) -> Callable[[bytes], dict[str, Any]]:
    """``value -> {name: value}`` for the columns ``names`` of a stored ``entities`` value, skipping the
    others undecoded (an entity's edge list can hold thousands of entries)."""
    want = frozenset(names)
    n_want = len(want)
    hook = codec._ext_hook  # the codec's extension types (uuid, timestamps, …)
    unpacker = msgpack.Unpacker

    def decode(raw: bytes) -> dict[str, Any]:
        up = unpacker(None, ext_hook=hook, raw=False, strict_map_key=False)
        up.feed(memoryview(raw)[1:])
        out: dict[str, Any] = {}
        for _ in range(up.read_map_header()):
            k = up.unpack()
            if k in want:
                out[k] = up.unpack()
                if len(out) == n_want:
                    break
            else:
                up.skip()
        return out
    return decode


def fetch(txn: Any, table: TableDef, ids: list[uuid.UUID], names: tuple[str, ...],
          decode: Callable[[bytes], dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Rows of ``ids`` as ``txn`` sees them, read-only, with at least the columns ``names`` (``decode`` =
    :func:`row_decoder` of them): only those columns are decoded when rows come from storage."""
    partial = getattr(txn, "get_partial", None)
    if partial is None:
        return list(txn.get(table, ids))
    return list(partial(table, ids, decode))


def commit_seq(store: Any) -> int | None:
    """The store's last commit sequence (None when the store does not say)."""
    seq = getattr(getattr(store, "writer", None), "seq", None)
    return int(seq) if isinstance(seq, int) else None


def view_seq(txn: Any, table: TableDef) -> int | None:
    """The commit sequence ``txn``'s statement view is at (the view taken now if it has none yet); None when
    the transaction has writes of its own or cannot say."""
    if getattr(txn, "has_writes", True) or getattr(txn, "get_partial", None) is None:
        return None
    txn.get_partial(table, [], _skip_ext)
    seq = getattr(txn, "snapshot_seq", None)
    return int(seq) if isinstance(seq, int) else None
