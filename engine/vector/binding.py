"""Wiring the vector service to the store: embedder hook, commit hook, recovery from RocksDB on start.

``attach(db)`` (called by :class:`engine.database.RemDatabase`) creates the :class:`VectorService`, installs
``store.set_embedder(service.embed_rows)`` and a commit hook turning each :class:`engine.write.CommitSummary`
into index changes, then recovers every vector index: load the saved files and replay the ``wal`` column
family past the saved sequence (changed ids → current vectors from RocksDB), or — without saved files, or when
the WAL no longer reaches back — scan the vectors (``embeddings`` CF, or the rows for ``vector(n)`` columns)
and build in the background.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from engine.vector import persist
from engine.vector.index import OPCLASS_METRIC, IndexParams
from engine.vector.service import VectorChange, VectorCommit, VectorService, table_key

log = logging.getLogger("rem.vector")


def vector_columns(t: Any) -> list[tuple[str, str, IndexParams, int | None]]:
    """(column, metric, params, dim or None) of every indexed vector column of table ``t``."""
    out: list[tuple[str, str, IndexParams, int | None]] = []
    if getattr(t, "embedding_fields", None):
        out.append((t.system_column("embedding"), "cosine", IndexParams(), t.embedding_dim))
    for ix in getattr(t, "indexes", []) or []:
        if ix.method == "hnsw" and ix.columns:
            col = t.column(ix.columns[0])
            metric = OPCLASS_METRIC.get(str(ix.options.get("opclass") or "vector_l2_ops"), "l2")
            dim = col.typmod if col is not None and col.typmod and col.typmod > 0 else None
            out.append((ix.columns[0], metric, IndexParams.from_options(ix.options), dim))
    return out


class StoreBinding:
    """Reads vectors and the WAL out of a :class:`engine.storage.RemStore` for the service."""

    def __init__(self, svc: VectorService, store: Any) -> None:
        self.svc = svc
        self.store = store

    # ------------------------------------------------------------------ reading RocksDB
    def _prefix_items(self, cf: str, oid: int) -> Iterator[tuple[bytes, bytes]]:
        from engine.storage.keys import TABLE, prefix_end

        p = TABLE.pack(oid)
        end = prefix_end(p)
        for k, v in self.store.rocks.cf[cf].items(from_key=p):
            if end is not None and k >= end:
                break
            yield k, v

    def scan_vectors(self, t: Any, column: str) -> Iterator[tuple[uuid.UUID, np.ndarray]]:
        """Every live (row id, vector) of ``t.column`` as stored now."""
        from engine.storage import codec

        if t.embedding_fields and column == t.system_column("embedding"):
            for k, v in self._prefix_items("embeddings", t.oid):
                yield uuid.UUID(bytes=k[4:20]), codec.decode_vector(v)
            return
        for k, v in self._prefix_items("entities", t.oid):
            if codec.is_deleted(v):
                continue
            val = codec.decode_row(v).get(column)
            if val is not None:
                yield uuid.UUID(bytes=k[4:20]), np.asarray(val, np.float32)

    def current_vector(self, t: Any, column: str, rid: uuid.UUID) -> np.ndarray | None:
        """The vector of row ``rid`` now (None: no live row or no vector)."""
        from engine.storage import codec
        from engine.storage.keys import entity_key

        key = entity_key(t.oid, rid)
        if t.embedding_fields and column == t.system_column("embedding"):
            raw = self.store.rocks.cf["embeddings"].get(key)
            return None if raw is None else codec.decode_vector(raw)
        raw = self.store.rocks.cf["entities"].get(key)
        if raw is None or codec.is_deleted(raw):
            return None
        val = codec.decode_row(raw).get(column)
        return None if val is None else np.asarray(val, np.float32)

    def wal_changes(self, oid: int, after: int) -> tuple[dict[bytes, int], int] | None:
        """Ids of table ``oid`` changed by commits after ``after`` (id → last seq), and the last seq seen.

        None when the WAL does not reach back to ``after + 1`` (trimmed): the caller reconciles instead."""
        from engine.storage import codec
        from engine.storage.keys import seq_key

        changed: dict[bytes, int] = {}
        last = after
        first = True
        for k, v in self.store.rocks.cf["wal"].items(from_key=seq_key(after + 1)):
            seq = int.from_bytes(k, "big")
            if first and seq > after + 1 and after > 0:
                return None
            first = False
            for entry in codec.decode_obj(v).get("changes", []):
                if entry[0] == oid:
                    changed[bytes(entry[2])] = seq
            last = seq
        return changed, last

    # ------------------------------------------------------------------ lifecycle
    def recover_table(self, t: Any, only_missing: bool = False) -> None:
        """Load or build every vector index of ``t`` and bring it up to the store's sequence."""
        store_seq = int(getattr(self.store.writer, "seq", 0))
        for column, metric, params, dim in vector_columns(t):
            if only_missing and self.svc.index(t, column) is not None:
                continue
            folder = self.svc._folder(table_key(t), column)
            saved = persist.current_generation(folder) is not None
            if dim is None:
                first = next(iter(self.scan_vectors(t, column)), None)
                if first is None and not saved:
                    continue  # no rows, no dimension yet: created on the first committed vector
                dim = int(first[1].shape[0]) if first is not None else None
            if saved:
                idx = self.svc.open_index(t, column, dim=dim or 0, metric=metric, params=params) if dim else None
                if idx is not None and idx.seq > 0:
                    got = self.wal_changes(t.oid, idx.seq)
                    if got is None:
                        up, gone = self.svc.reconcile(t, column, self.scan_vectors(t, column), seq=store_seq)
                        log.info("vector index %s.%s reconciled: %d upserted, %d deleted", t.name, column, up, gone)
                    else:
                        changed, _ = got
                        ups, dels = [], []
                        for raw in changed:
                            rid = uuid.UUID(bytes=raw)
                            v = self.current_vector(t, column, rid)
                            (dels.append(rid) if v is None else ups.append((rid, v)))
                        self.svc.apply(t, column, ups, dels, seq=store_seq)
                    continue
            self.svc.build_index(t, column, self.scan_vectors(t, column), dim=dim, metric=metric,
                                 params=params, seq=store_seq)

    def sync_table(self, t: Any) -> None:
        """Drop indexes of columns ``t`` no longer indexes; build the ones it gained."""
        want = {c for c, *_ in vector_columns(t)}
        key = table_key(t)
        for k in [k for k in list(self.svc._indexes) if k[0] == key and k[1] not in want]:
            self.svc.drop_index(*k)
        if any(self.svc.index(t, c) is None for c in want):
            self.recover_table(t, only_missing=True)

    def recover(self) -> None:
        """Recover the indexes of every table."""
        for t in self.store.registry.tables():
            try:
                self.recover_table(t)
            except Exception:  # one broken index must not keep the server down; queries fall back later
                log.exception("could not recover the vector indexes of %s", t.name)

    def on_commit(self, summary: Any) -> None:
        """Commit hook: the committed vectors of every table with indexed vector columns."""
        changes = []
        for tc in summary.tables.values():
            t = tc.table
            cols = vector_columns(t)
            if not cols:
                continue
            idc = t.id_column
            for column, metric, params, dim in cols:
                ups, dels = [], list(tc.deleted)
                for row in tc.upserted:
                    v = row.get(column)
                    if v is None:
                        dels.append(row[idc])
                    else:
                        ups.append((row[idc], np.asarray(v, np.float32)))
                if self.svc.index(t, column) is None:
                    if not ups:
                        continue
                    self.svc.open_index(t, column, dim=dim or int(ups[0][1].shape[0]), metric=metric,
                                        params=params)
                changes.append(VectorChange(table_key(t), column, ups, dels))
        if changes:
            self.svc.on_commit(VectorCommit(int(summary.seq), changes))


def attach(db: Any) -> VectorService:
    """Create the vector service of database ``db`` and hook it into its store."""
    store = db.store
    svc = VectorService(db.settings, index_dir=Path(db.settings.data_dir) / "vectors")
    binding = StoreBinding(svc, store)
    svc.binding = binding
    store.set_embedder(svc.embed_rows)
    store.add_commit_hook(binding.on_commit)
    binding.recover()
    return svc
