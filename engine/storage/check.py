"""Consistency check of a store: every derived entry (field indexes, key index, edges, embeddings) agrees
with the rows, and every row has its derived entries. Used by the crash tests; cheap enough for a CLI check.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from engine.storage import codec
from engine.storage.keys import TABLE, entity_key

if TYPE_CHECKING:
    from engine.storage.store import RemStore


def verify(store: RemStore, limit: int = 20) -> list[str]:
    """Problems found (empty = consistent); stops after ``limit`` problems."""
    problems: list[str] = []
    expected: dict[str, set[bytes]] = {"indexes": set(), "key_index": set(), "edges": set(), "edges_reverse": set()}
    index_oids: set[int] = set()
    live: set[bytes] = set()
    for t in store.registry.tables():
        index_oids.update(ix.oid for ix in t.indexes)
        for k, v in store._latest_rows(t):
            if codec.is_deleted(v):
                continue
            live.add(k)
            row = codec.decode_row(v)
            if row.get(t.id_column) != uuid.UUID(bytes=k[4:20]):
                problems.append(f"{t.name}: row key {k.hex()} holds id {row.get(t.id_column)}")
            for cf, dk, _ in store.writer._derived_puts(t, uuid.UUID(bytes=k[4:20]), row):
                expected[cf].add(dk)
    for cf, want in expected.items():
        have = set(store.rocks.cf[cf].keys())
        if cf == "indexes":
            have = {k for k in have if TABLE.unpack(k[:4])[0] in index_oids}
        for k in list(want - have)[:limit]:
            problems.append(f"{cf}: missing entry {k.hex()}")
        for k in list(have - want)[:limit]:
            problems.append(f"{cf}: stale entry {k.hex()}")
    for k in store.rocks.cf["embeddings"].keys():
        if k not in live:
            problems.append(f"embeddings: vector of a missing or deleted row {k.hex()}")
    return problems[:limit]


def count_live(store: RemStore, table_oid: int, ids: list[uuid.UUID]) -> int:
    """How many of ``ids`` are live rows of the table (latest state)."""
    ent = store.rocks.cf["entities"]
    n = 0
    for i in ids:
        raw = ent.get(entity_key(table_oid, i))
        n += raw is not None and not codec.is_deleted(raw)
    return n
