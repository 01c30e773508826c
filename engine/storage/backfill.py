"""Field-index changes without rewriting rows: new indexes are backfilled, dropped ones purged.

``CREATE INDEX`` (and any ALTER whose only change is the set of field indexes) writes just the new index entries:
the writer is told first (:meth:`Writer.start_building`), so every commit from then on writes the new entries
itself; then the table's live rows (the row cache's when it holds the table, else a scan) get their entries
written in batches of :data:`BATCH` (:meth:`Writer.backfill_index` re-reads the rows under the commit lock when the
table changed meanwhile); then a unique index is checked for duplicate keys. The registry publishes the new table version only after this returns, so the planner never reads
a half-built index.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from engine import errors as E
from engine.ids import key_text
from engine.schema.model import IndexDef, TableDef
from engine.storage import codec
from engine.storage.keys import TABLE, decode_values, entity_key

if TYPE_CHECKING:
    from engine.storage.store import RemStore

BATCH = 10_000  # index entries per WriteBatch


def _btree(t: TableDef) -> dict[int, IndexDef]:
    return {i.oid: i for i in t.indexes if i.method == "btree"}


def reindex(store: RemStore, prev: TableDef, t: TableDef) -> None:
    """Purge the entries of field indexes ``t`` no longer has; backfill those it gained (23505 when a new unique
    index meets duplicate keys: its entries are removed again)."""
    w = store.writer
    old, new = _btree(prev), _btree(t)
    gone = {o for o, i in old.items() if o not in new or new[o].columns != i.columns}
    if gone:
        w.stop_building(t.oid, gone)
        for o in gone:
            w.delete_prefix("indexes", TABLE.pack(o))
    added = [new[o] for o in new if o not in old or o in gone]
    if added:
        backfill(store, t, added)


def backfill(store: RemStore, t: TableDef, ixs: list[IndexDef]) -> int:
    """Write the entries of ``ixs`` for every live row of ``t``; returns how many entries."""
    w = store.writer
    spec = [(i.oid, tuple(i.columns)) for i in ixs]
    for o, _ in spec:  # leftovers of a backfill a crash interrupted
        w.delete_prefix("indexes", TABLE.pack(o))
    w.start_building(t.oid, ixs)
    n = 0
    try:
        chunk: list[tuple[bytes, bytes | dict[str, Any]]] = []
        per_row = max(1, len(spec))
        with w.lock:
            since = w.seq  # the scan's view is at least this recent
            cached = store.cache.rows(t.oid, since)  # decoded live rows as of ``since``, when the table is cached
        source: Iterator[tuple[bytes, bytes | dict[str, Any]]]
        if cached is not None:
            source = ((entity_key(t.oid, r[t.id_column]), r) for r in cached)
        else:
            source = ((k, v) for k, v in store.prefix_items("entities", TABLE.pack(t.oid)) if not codec.is_deleted(v))
        for k, v in source:
            chunk.append((k, v))
            if len(chunk) * per_row >= BATCH:
                n += w.backfill_index(t.oid, spec, chunk, since)
                chunk = []
        if chunk:
            n += w.backfill_index(t.oid, spec, chunk, since)
        for ix in ixs:
            if ix.unique:
                dup = duplicate_key(store, ix)
                if dup is not None:
                    vals = ", ".join("null" if v is None else key_text(v) for v in dup)
                    raise E.UniqueViolation(f'could not create unique index "{ix.name}"',
                                            detail=f"Key ({', '.join(ix.columns)})=({vals}) is duplicated.")
    except BaseException:
        w.stop_building(t.oid, {o for o, _ in spec})
        for o, _ in spec:
            w.delete_prefix("indexes", TABLE.pack(o))
        raise
    return n


def duplicate_key(store: RemStore, ix: IndexDef) -> list[Any] | None:
    """Values of the first key two entries of ``ix`` share (NULLs never collide), or None."""
    prev = None
    for k in store.prefix_items("indexes", TABLE.pack(ix.oid), keys_only=True):
        vals = k[4:-16]
        if vals == prev:
            out = decode_values(vals, len(ix.columns))
            if all(v is not None for v in out):
                return out
        prev = vals
    return None
