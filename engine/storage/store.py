"""The open store: RocksDB handles, the single writer, the registry, a decoded-row cache, edges and roles.

:class:`RemStore` implements :class:`engine.store.Store`. Other engineers' entry points:
``begin()``, ``add_commit_hook(fn)``, ``set_embedder(fn)``, ``edges_from/edges_to/scan_edges/rebuild_edges``,
``get_role/set_role``, ``vacuum(table)``, ``lookup_key(key)``.
"""

from __future__ import annotations

import gc
import operator
import os
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from rocksdict import ReadOptions

from engine.ids import derive_id, id_source
from engine.schema.model import TableDef
from engine.schema.registry import SchemaRegistry
from engine.settings import Settings
from engine.storage import codec
from engine.storage.backfill import reindex
from engine.storage.columns import ColumnSet, ColumnView
from engine.storage.keys import TABLE, entity_key, escape, prefix_end, split_edge_key
from engine.storage.rocks import Rocks
from engine.txn import RemTxn
from engine.write import Change, CommitSummary, Edge, Writer, tinfo

Row = dict[str, Any]
Embedder = Callable[[TableDef, list[Row]], list[Any]]


_INT = operator.attrgetter("int")


def _tune_gc() -> None:
    """Rarer young-generation collections: a store keeps many live objects (cached rows, overlays), and with
    CPython's default threshold (700) cyclic GC passes cost 30–45 % of bulk-insert time (measured)."""
    g0, g1, g2 = gc.get_threshold()
    if 0 < g0 < 50_000:
        gc.set_threshold(50_000, max(g1, 20), max(g2, 100))


class TableCache:
    """One table's cached live rows: ``rows`` (id → row) and their ids in key order (uuid byte order).

    Reads return the rows in key order — the order of a cold scan — so a query gives the same order whether or
    not the cache served it. Ids inserted since the last read are merged in at the next read (Timsort merges the
    appended sorted run in linear time); the materialized list is reused until the table changes."""

    __slots__ = ("rows", "order", "new", "stale", "listed", "cols")

    def __init__(self, rows: dict[uuid.UUID, Row]) -> None:
        self.rows = rows  # filled in key order by a cold scan, or empty
        self.order: list[uuid.UUID] = list(rows)
        self.new: list[uuid.UUID] = []
        self.stale = 0
        self.listed: list[Row] | None = None
        self.cols: ColumnSet | None = None  # Arrow columns, built on the first columnar read

    def upsert(self, i: uuid.UUID, r: Row) -> None:
        existed = i in self.rows
        if not existed:
            self.new.append(i)
        self.rows[i] = r
        self.listed = None
        if self.cols is not None:
            self.cols.upsert(i, r, existed)

    def delete(self, i: uuid.UUID) -> None:
        if self.rows.pop(i, None) is not None:
            self.stale += 1
            self.listed = None
            if self.cols is not None:
                self.cols.delete(i)

    def values(self) -> list[Row]:
        """The rows in key order (a shared list: read it, never mutate it)."""
        if self.listed is None:
            order = self.order
            if self.new or self.stale:
                if self.new:
                    order.extend(self.new)
                    order.sort(key=_INT)
                    self.new = []
                rows = self.rows
                prev = None
                kept = []
                for i in order:  # drop deleted ids and the duplicates of deleted-then-reinserted ones
                    if i != prev and i in rows:
                        kept.append(i)
                    prev = i
                self.order = order = kept
                self.stale = 0
            rows = self.rows
            self.listed = [rows[i] for i in order]
        return self.listed


class RowCache:
    """Decoded live rows per table, kept current by the write path (a commit hook running under the lock).

    A reader whose snapshot is at commit sequence S may use a table's cache iff the table's last change
    L <= S (then the cache, which always holds the state as of L, equals the snapshot's view).
    """

    def __init__(self, writer: Writer, budget_rows: int) -> None:
        self._w = writer
        self.budget = budget_rows
        self.tables: dict[int, TableCache] = {}
        self.hits = 0
        self.misses = 0
        self.weights: dict[int, int] = {}
        # an upper bound of _size() (None: unknown): commits add their upserted rows' weight to it, and only a
        # bound over the budget is checked against the exact size (a sum over every cached table)
        self._bound: int | None = None

    @staticmethod
    def weight(t: TableDef) -> int:
        """Budget units per row: 1, more for rows carrying an embedding (a 384-d vector ≈ 4 plain rows)."""
        return 1 + ((t.embedding_dim or 384) // 128 if t.embedding_fields else 0)

    def _size(self) -> int:
        self._bound = None  # callers that add or drop tables computed it; recomputed on the next commit
        return sum(len(c.rows) * self.weights.get(oid, 1) for oid, c in self.tables.items())

    def _valid(self, oid: int, seq: int) -> TableCache | None:
        c = self.tables.get(oid)
        if c is None or self._w.table_versions.get(oid, 0) > seq:
            return None
        return c

    def rows(self, oid: int, seq: int) -> list[Row] | None:
        """The cached rows in key order, or None when the cache cannot serve a view at ``seq``."""
        with self._w.lock:
            c = self._valid(oid, seq)
            if c is None:
                self.misses += 1
                return None
            self.hits += 1
            return c.values()

    def get_many(self, oid: int, ids: list[uuid.UUID], seq: int) -> list[Row | None] | None:
        """Cached rows by id (None = no live row), or None when the cache cannot serve a view at ``seq``."""
        with self._w.lock:
            c = self._valid(oid, seq)
            if c is None:
                return None
            self.hits += 1
            d = c.rows
            return [d.get(i) for i in ids]

    def columns(self, t: TableDef, seq: int, overlay: dict[uuid.UUID, Row | None] | None) -> ColumnView | None:
        """Arrow columns of the rows a view at ``seq`` sees, merged with a transaction's ``overlay``; None when
        the cache cannot serve that view."""
        with self._w.lock:
            c = self._valid(t.oid, seq)
            if c is None:
                return None
            cs = c.cols
            if cs is None:
                cs = c.cols = ColumnSet(c.values(), t.id_column)
            elif cs.needs_compaction():
                cs = c.cols = cs.compacted()
            self.hits += 1
            return cs.view(overlay, t.system_column("deleted_at"), c.rows)

    def count(self, oid: int, seq: int) -> int | None:
        with self._w.lock:
            c = self._valid(oid, seq)
            return None if c is None else len(c.rows)

    def offer(self, t: TableDef, rows: dict[uuid.UUID, Row], seq: int) -> None:
        """Rows of a complete cold scan (in key order) at ``seq``."""
        with self._w.lock:
            if self._w.table_versions.get(t.oid, 0) > seq or t.oid in self.tables:
                return
            w = self.weight(t)
            if self._size() + len(rows) * w > self.budget:
                return
            self._bound = None
            self.tables[t.oid] = TableCache(rows)
            self.weights[t.oid] = w

    def drop(self, oid: int) -> None:
        with self._w.lock:
            self._bound = None
            self.tables.pop(oid, None)
            self.weights.pop(oid, None)

    def start_empty(self, t: TableDef) -> None:
        """A new table: cache it from its first row on (its inserts keep it warm)."""
        with self._w.lock:
            if self.budget > 0:
                self._bound = None
                self.tables[t.oid] = TableCache({})
                self.weights[t.oid] = self.weight(t)

    def on_commit(self, s: CommitSummary) -> None:
        added = 0
        for oid, tc in s.tables.items():
            c = self.tables.get(oid)
            if c is None:
                continue
            idc = tinfo(tc.table).id
            for r in tc.upserted:
                c.upsert(r[idc], r)
            for i in tc.deleted:
                c.delete(i)
            added += len(tc.upserted) * self.weights.get(oid, 1)
        if not added:
            return
        bound = self._bound
        if bound is not None and bound + added <= self.budget:
            self._bound = bound + added
            return
        size = self._size()
        if size > self.budget:  # over budget: forget the largest tables first
            for oid in sorted(self.tables, key=lambda o: -len(self.tables[o].rows) * self.weights.get(o, 1)):
                self.tables.pop(oid, None)
                self.weights.pop(oid, None)
                size = self._size()
                if size <= self.budget:
                    break
        self._bound = size


def default_row_cache_rows() -> int:
    """Row-cache budget when ``P8_ROW_CACHE_ROWS`` is unset: one row per 8 KiB of physical memory (a cached row
    with its Arrow columns takes ~1 KiB), at least 1M and at most 10M rows (3M on a 24 GiB machine)."""
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1_000_000
    return max(1_000_000, min(10_000_000, mem // 8192))


class RemStore:
    """The open store of one data dir (holds the RocksDB lock until :meth:`close`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        _tune_gc()
        self.rocks = Rocks(settings.data_dir, settings)
        self.writer = Writer(self.rocks, settings.synchronous_commit)
        try:
            budget = int(settings.extra.get("P8_ROW_CACHE_ROWS") or default_row_cache_rows())
        except ValueError:
            budget = default_row_cache_rows()
        self.cache = RowCache(self.writer, budget)
        self.writer.hooks.append(self.cache.on_commit)
        self.embedder: Embedder | None = None
        self._txns: weakref.WeakSet[RemTxn] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._view: tuple[dict[str, Any], int] | None = None
        self.registry = SchemaRegistry(self)

    def shared_view(self) -> tuple[dict[str, Any], int]:
        """A statement view (per-CF pinned iterator + snapshot, one point in time) and its commit sequence.

        Views are shared by every statement that starts before the next commit (their iterators are re-seeked
        per chunk under the view's ``_lock``)."""
        with self.writer.lock:
            v = self._view
            if v is None or v[1] != self.writer.seq:
                view: dict[str, Any] = dict(self.rocks.statement_view())
                view["_lock"] = threading.Lock()
                v = self._view = (view, self.writer.seq)
            return v

    # ------------------------------------------------------------------ transactions and hooks
    def begin(self, synchronous_commit: bool | None = None) -> RemTxn:
        """Start a transaction (``synchronous_commit`` None = the server default)."""
        t = RemTxn(self, synchronous_commit)
        self._txns.add(t)
        return t

    def add_commit_hook(self, fn: Callable[[CommitSummary], None]) -> None:
        """Call ``fn(summary)`` after every commit, in commit order (under the commit lock: keep it short).

        The summary's rows are shared with the row cache: read them, never mutate them."""
        self.writer.hooks.append(fn)

    def remove_commit_hook(self, fn: Callable[[CommitSummary], None]) -> None:
        if fn in self.writer.hooks:
            self.writer.hooks.remove(fn)

    def set_embedder(self, fn: Embedder | None) -> None:
        """``fn(table, rows) -> vectors`` called once per statement batch for tables with embedding fields."""
        self.embedder = fn

    # ------------------------------------------------------------------ scans
    def prefix_items(self, cf: str, prefix: bytes, keys_only: bool = False) -> Iterator[Any]:
        """Items (or keys) of ``cf`` (latest state) whose key starts with ``prefix``.

        The ReadOptions carrying the upper bound stays referenced for the iterator's whole life: rocksdict
        leaves RocksDB pointing at its bound, and a freed bound silently ends iterations early (measured)."""
        ro = ReadOptions()
        end = prefix_end(prefix)
        if end is not None:
            ro.set_iterate_upper_bound(end)
        h = self.rocks.cf[cf]
        it = h.keys(from_key=prefix, read_opt=ro) if keys_only else h.items(from_key=prefix, read_opt=ro)
        yield from it
        del ro

    def scan_view(self, t: TableDef, view: dict[str, Any], lock: threading.Lock, seq: int) -> Iterator[Row]:
        """Decode every live row of ``t`` from a statement view (embeddings merged in); fills the cache."""
        from engine.txn import iter_range
        p = TABLE.pack(t.oid)
        end = prefix_end(p)
        ents = iter_range(view["entities"][0], lock, p, end, True)
        collect: dict[uuid.UUID, Row] | None = {} if self.cache.budget > 0 else None
        cap = self.cache.budget // self.cache.weight(t)
        idc = t.id_column
        decode = codec.decode_row
        ecol = t.system_column("embedding") if t.embedding_fields else None
        embs = iter(iter_range(view["embeddings"][0], lock, p, end, True)) if ecol else None
        ek, ev = next(embs, (None, None)) if embs is not None else (None, None)
        for k, v in ents:
            if v[:1] == codec.DELETED:
                continue
            row = decode(v)
            if embs is not None:
                while ek is not None and ek < k:
                    ek, ev = next(embs, (None, None))
                row[ecol] = codec.decode_vector(ev) if ek == k else None  # type: ignore[index]
            if collect is not None:
                collect[row[idc]] = row
                if len(collect) > cap:
                    collect = None
            yield row
        if collect is not None:
            self.cache.offer(t, collect, seq)

    def cache_rows(self, t: TableDef, seq: int) -> list[Row] | None:
        return self.cache.rows(t.oid, seq)

    def column_view(self, t: TableDef, seq: int,
                    overlay: dict[uuid.UUID, Row | None] | None = None) -> ColumnView | None:
        """Arrow columns of ``t`` as a view at ``seq`` sees them plus ``overlay`` (None: not cached)."""
        return self.cache.columns(t, seq, overlay)

    def cached_count(self, t: TableDef, seq: int) -> int | None:
        return self.cache.count(t.oid, seq)

    def table_changed(self, t: TableDef) -> None:
        """Schema change: forget cached rows of ``t``."""
        self.cache.drop(t.oid)

    def _latest_rows(self, t: TableDef, with_deleted: bool = True) -> Iterator[tuple[bytes, bytes]]:
        p = TABLE.pack(t.oid)
        yield from self.prefix_items("entities", p)

    # ------------------------------------------------------------------ DDL support
    def migrate_table(self, prev: TableDef, t: TableDef, defaults: dict[str, Any]) -> None:
        """Rewrite rows after ALTER (renamed, dropped, added columns; changed indexes or keys)."""
        prev_user = {c.attnum: c.name for c in prev.columns if not c.system and c.attnum > 0}
        new_user = {c.attnum: c.name for c in t.columns if not c.system and c.attnum > 0}
        new_names = {c.name for c in t.columns if not c.system}
        renames = {prev_user[a]: n for a, n in new_user.items() if a in prev_user and prev_user[a] != n}
        dropped = {n for n in prev_user.values() if n not in new_names and n not in renames}
        added = {n for n in new_names if n not in prev_user.values() and n not in renames.values()}
        ix_changed = ({(i.oid, tuple(i.columns)) for i in prev.indexes if i.method != "hnsw"}  # vector indexes
                      != {(i.oid, tuple(i.columns)) for i in t.indexes if i.method != "hnsw"})  # live in FAISS
        keys_changed = (prev.key_field, prev.primary_key) != (t.key_field, t.primary_key)
        sys_renamed = {c.role: c.name for c in prev.columns if c.role} != {c.role: c.name for c in t.columns if c.role}
        renamed_table = prev.name != t.name
        if not (renames or dropped or added or keys_changed or sys_renamed or renamed_table):
            if ix_changed:  # field indexes only: their entries written/purged, rows untouched (cached ones read)
                reindex(self, prev, t)
            self.cache.drop(t.oid)
            return
        self.cache.drop(t.oid)
        prev_sys = {c.role: c.name for c in prev.columns if c.role}
        new_sys = {c.role: c.name for c in t.columns if c.role}
        by_name = {n: r for r, n in prev_sys.items()}
        rederive = keys_changed or renamed_table  # ids hash the entity type and the key
        emb = self.rocks.cf["embeddings"]
        plan: list[tuple[uuid.UUID, uuid.UUID, Row]] = []
        seen: dict[uuid.UUID, uuid.UUID] = {}
        idc, etc, dac = t.id_column, t.system_column("entity_type"), t.system_column("deleted_at")
        for k, v in list(self._latest_rows(prev)):  # pass 1: new versions and ids, conflicts found first
            row = codec.decode_row(v)
            new: Row = {}
            for name, val in row.items():
                if name in dropped:
                    continue
                role = by_name.get(name)
                new[new_sys[role] if role in new_sys else renames.get(name, name)] = val  # type: ignore[index]
            for n in added:
                new.setdefault(n, defaults.get(n))
            if t.embedding_fields:
                ev = emb.get(k)
                new[t.system_column("embedding")] = codec.decode_vector(ev) if ev is not None else None
            old_id = uuid.UUID(bytes=k[4:20])
            new_id = old_id
            new[etc] = t.name
            if rederive and id_source(new, t.key_field, t.primary_key) is not None:
                new_id = derive_id(t.name, new, t.key_field, t.primary_key)
            new[idc] = new_id
            if new.get(dac) is None and not codec.is_deleted(v):
                if new_id in seen:
                    from engine.write import id_constraint, unique_error
                    name, cols = id_constraint(t)
                    raise unique_error(t, name, cols, [new.get(c) for c in cols])
                seen[new_id] = old_id
            plan.append((old_id, new_id, new))
        batch: list[Change] = []
        for old_id, new_id, new in plan:  # pass 2: write
            if new_id != old_id:
                batch.append(Change(prev, old_id, None))
            batch.append(Change(t, new_id, new, old_table=prev if new_id == old_id else None))
            if len(batch) >= 1000:
                self.writer.commit(batch)
                batch = []
        if batch:
            self.writer.commit(batch)
        self.cache.drop(t.oid)

    def purge_table(self, t: TableDef) -> None:
        """Remove every row of ``t`` and all its derived entries (DROP TABLE)."""
        batch: list[Change] = []
        for k, _v in list(self._latest_rows(t)):
            batch.append(Change(t, uuid.UUID(bytes=k[4:20]), None))
            if len(batch) >= 1000:
                self.writer.commit(batch)
                batch = []
        if batch:
            self.writer.commit(batch)
        self.writer.stop_building(t.oid)
        for ix in t.indexes:
            self.writer.delete_prefix("indexes", TABLE.pack(ix.oid))
        self.cache.drop(t.oid)

    def vacuum(self, table: TableDef) -> int:
        """Physically remove soft-deleted rows of ``table``; returns how many."""
        ids = [uuid.UUID(bytes=k[4:20]) for k, v in self._latest_rows(table) if codec.is_deleted(v)]
        for i in range(0, len(ids), 1000):
            chunk = ids[i:i + 1000]
            with self.writer.lock:  # re-check under the lock: a row revived meanwhile is kept
                ent = self.rocks.cf["entities"]
                still = [x for x in chunk if (raw := ent.get(entity_key(table.oid, x))) is not None
                         and codec.is_deleted(raw)]
                self.writer.commit([Change(table, x, None) for x in still])
        return len(ids)

    # ------------------------------------------------------------------ keys and edges
    def lookup_key(self, key: str) -> list[tuple[TableDef, uuid.UUID]]:
        """Every live row whose key (primary key/uri/key field/key/name) is ``key``, across tables."""
        t = self.begin()
        try:
            out = []
            for oid, i in t.lookup_key(key):
                td = self.registry.get_by_oid(oid)
                if td is not None:
                    out.append((td, i))
            return out
        finally:
            t.rollback()

    @staticmethod
    def _edge(k: bytes, v: bytes, reverse: bool) -> Edge:
        a, rel, b = split_edge_key(k)
        d = codec.decode_obj(v)
        src, dst = (b, a) if reverse else (a, b)
        return Edge(src, rel, dst, float(d.get("w", 1.0)), d.get("p") or {}, d.get("c"))

    def scan_edges(self) -> Iterator[Edge]:
        """Every edge (src, rel_type, dst, weight, properties, created_at), in (src, rel_type, dst) order."""
        for k, v in self.rocks.cf["edges"].items():
            yield self._edge(k, v, False)

    def _edges_cf(self, cf: str, ids: list[uuid.UUID], rel_type: str | None, reverse: bool) -> list[Edge]:
        out = []
        for i in ids:
            p = i.bytes + (escape(rel_type.encode()) if rel_type is not None else b"")
            for k, v in self.prefix_items(cf, p):
                out.append(self._edge(k, v, reverse))
        return out

    def edges_from(self, src_ids: list[uuid.UUID], rel_type: str | None = None) -> list[Edge]:
        """Outgoing edges of ``src_ids`` (optionally of one rel_type), through the ``edges`` CF."""
        return self._edges_cf("edges", list(src_ids), rel_type, False)

    def edges_to(self, dst_ids: list[uuid.UUID], rel_type: str | None = None) -> list[Edge]:
        """Incoming edges of ``dst_ids``, through the ``edges_reverse`` CF."""
        return self._edges_cf("edges_reverse", list(dst_ids), rel_type, True)

    def rebuild_edges(self) -> int:
        """Rebuild ``edges`` and ``edges_reverse`` from the live rows' ``edges`` fields; returns the edge count."""
        from engine.write import edge_list
        n = 0
        with self.writer.lock:
            ops: list[tuple[str, bytes, bytes | None]] = []
            for cf in ("edges", "edges_reverse"):
                ops.extend((cf, k, None) for k in self.rocks.cf[cf].keys())
            for t in self.registry.tables():
                for _k, v in self._latest_rows(t):
                    if codec.is_deleted(v):
                        continue
                    for cf, k, val in self.writer._derived_puts(t, uuid.UUID(bytes=_k[4:20]), codec.decode_row(v)):
                        if cf in ("edges", "edges_reverse"):
                            ops.append((cf, k, val))
                    n += len(edge_list(codec.decode_row(v), t))
            self.writer.apply(ops)
        return n

    # ------------------------------------------------------------------ WAL records
    def wal_records(self, after_seq: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
        """(commit sequence, record) of every kept commit record after ``after_seq`` (for replication)."""
        for k, v in self.rocks.cf["wal"].items(from_key=(after_seq + 1).to_bytes(8, "big")):
            yield int.from_bytes(k, "big"), codec.decode_obj(v)

    def trim_wal(self, upto_seq: int) -> None:
        """Forget commit records up to and including ``upto_seq``."""
        if upto_seq > 0:
            self.writer.delete_prefix_range("wal", b"", (upto_seq + 1).to_bytes(8, "big"))

    # ------------------------------------------------------------------ roles
    def get_role(self, name: str) -> dict[str, Any] | None:
        """``{"name", "verifier", "superuser", "login"}`` of a role, or None."""
        raw = self.rocks.cf["meta"].get(b"role:" + name.encode())
        return codec.decode_obj(raw) if raw is not None else None

    def set_role(self, name: str, verifier: str | None = None, superuser: bool | None = None,
                 login: bool | None = None) -> dict[str, Any]:
        """Create or update a role (fields left None keep their value)."""
        r = self.get_role(name) or {"name": name, "verifier": None, "superuser": False, "login": True}
        if verifier is not None:
            r["verifier"] = verifier
        if superuser is not None:
            r["superuser"] = superuser
        if login is not None:
            r["login"] = login
        self.writer.apply([("meta", b"role:" + name.encode(), codec.encode_obj(r))])
        return r

    def drop_role(self, name: str) -> bool:
        if self.get_role(name) is None:
            return False
        self.writer.apply([("meta", b"role:" + name.encode(), None)])
        return True

    def roles(self) -> list[dict[str, Any]]:
        out = []
        for _k, v in self.prefix_items("meta", b"role:"):
            out.append(codec.decode_obj(v))
        return out

    # ------------------------------------------------------------------ flags
    def get_flag(self, name: str) -> Any:
        """A small persistent value in the ``meta`` CF (``flag:<name>``), or None."""
        raw = self.rocks.cf["meta"].get(b"flag:" + name.encode())
        return codec.decode_obj(raw) if raw is not None else None

    def set_flag(self, name: str, value: Any) -> None:
        self.writer.apply([("meta", b"flag:" + name.encode(), codec.encode_obj(value))])

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Release every snapshot and handle, then the RocksDB lock."""
        if getattr(self.rocks, "db", None) is not None:
            self.registry.flush_sequences()
        for t in list(self._txns):
            t._snap = None
            t.closed = True
        self._txns = weakref.WeakSet()
        self._view = None
        self.cache.tables.clear()
        self.rocks.close()

    def __enter__(self) -> RemStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
