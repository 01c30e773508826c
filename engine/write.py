"""THE write path: every byte REM writes to RocksDB goes through :class:`Writer`.

A commit turns a transaction's changes into ONE WriteBatch under the commit lock: entity values, field-index
entries, key index, edges/edges_reverse, embeddings, a WAL record (``wal`` CF, keyed by commit sequence) and
the sequence number in ``meta``. It is written with the RocksDB WAL on (survives ``kill -9``); with
synchronous commit the committer then waits for an fsync shared with concurrent committers (group commit).
After the write, commit hooks get a :class:`CommitSummary` (per table: upserted rows, deleted ids, edges).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from engine import errors as E
from engine.ids import id_source, key_text
from engine.schema.model import IndexDef, TableDef
from engine.storage import codec
from engine.storage.keys import (
    TABLE,
    edge_key,
    encode_value,
    encode_values,
    entity_key,
    index_prefix,
    key_index_prefix,
    prefix_end,
    seq_key,
)

if TYPE_CHECKING:
    from engine.storage.rocks import Rocks

_log = logging.getLogger("rem.storage")
Row = dict[str, Any]
Op = tuple[str, bytes, bytes | None]  # (column family, key, value or None = delete)


@dataclass(frozen=True)
class Edge:
    """One graph edge as stored (src owns it)."""

    src: uuid.UUID
    rel_type: str
    dst: uuid.UUID
    weight: float = 1.0
    properties: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    created_at: dt.datetime | None = field(default=None, compare=False, hash=False)


@dataclass
class TableChanges:
    """What one commit did to one table."""

    table: TableDef
    upserted: list[Row] = field(default_factory=list)
    deleted: list[uuid.UUID] = field(default_factory=list)
    edges_added: list[Edge] = field(default_factory=list)
    edges_removed: list[Edge] = field(default_factory=list)


@dataclass
class CommitSummary:
    """Passed to every commit hook after a commit is written."""

    seq: int
    tables: dict[int, TableChanges] = field(default_factory=dict)


@dataclass
class Change:
    """One row change of a transaction: new version (``row``), or None to remove the row physically."""

    table: TableDef
    id: uuid.UUID
    row: Row | None
    insert: bool = False  # plain INSERT: the id must not be live at commit
    old_table: TableDef | None = None  # the definition the stored version was written with (ALTER rewrites)
    expect: bytes | None = None  # the stored value this change was computed from (checked when check is set)
    check: bool = False


def count_key(table_oid: int) -> bytes:
    """``meta`` key of a table's live row count (8 bytes BE signed)."""
    return b"cnt:" + TABLE.pack(table_oid)


def unique_error(table: TableDef, name: str, cols: list[str], values: list[Any]) -> E.UniqueViolation:
    """PostgreSQL's duplicate-key error."""
    vals = ", ".join("null" if v is None else key_text(v) for v in values)
    return E.UniqueViolation(f'duplicate key value violates unique constraint "{name}"',
                             detail=f"Key ({', '.join(cols)})=({vals}) already exists.")


def id_constraint(table: TableDef) -> tuple[str, list[str]]:
    """Name and columns of the constraint a duplicate id violates."""
    if table.primary_key:
        for c in table.constraints:
            if c.kind == "p":
                return c.name, list(c.columns)
        return f"{table.name}_pkey", list(table.primary_key)
    from engine.schema.registry import key_column
    kc = key_column(table)
    if kc:
        return f"{table.name}_{kc}_key", [kc]
    return f"{table.name}_pkey", [table.id_column]


@dataclass
class TableInfo:
    """Per-table-version facts the write path needs for every row (computed once per TableDef object)."""

    id: str
    deleted_at: str
    edges: str
    embedding: str | None
    btree: list[tuple[int, tuple[str, ...]]]
    unique: bool = False  # has a UNIQUE index besides the primary key (checked at commit)
    # ``btree`` as (index OID prefix, the column of a one-column index or None, columns): what _derived_puts encodes
    entries: list[tuple[bytes, str | None, tuple[str, ...]]] = field(default_factory=list)
    # names of the system columns an insert sets: entity_type, created_at, modified_at, deleted_at, edges, embedding
    system: tuple[str, str, str, str, str, str] = ("entity_type", "created_at", "modified_at", "deleted_at",
                                                   "edges", "embedding")
    unique_ixs: list[IndexDef] = field(default_factory=list)  # UNIQUE btree indexes besides the primary key


def tinfo(t: TableDef) -> TableInfo:
    """Cached :class:`TableInfo` of ``t`` (recomputed when its column or index lists change)."""
    c = t.__dict__.get("_tinfo")
    if c is None or c[0] is not t.columns or c[1] is not t.indexes or c[2] != (len(t.columns), len(t.indexes)):
        btree = [(ix.oid, tuple(ix.columns)) for ix in t.indexes if ix.method == "btree"]
        uniq = [ix for ix in t.indexes if ix.unique and not ix.primary and ix.method == "btree"]
        sc = t.system_column
        info = TableInfo(t.id_column, sc("deleted_at"), sc("edges"),
                         sc("embedding") if t.embedding_fields else None, btree, bool(uniq),
                         [(TABLE.pack(o), cols[0] if len(cols) == 1 else None, cols) for o, cols in btree],
                         (sc("entity_type"), sc("created_at"), sc("modified_at"), sc("deleted_at"), sc("edges"),
                          sc("embedding")), uniq)
        c = (t.columns, t.indexes, (len(t.columns), len(t.indexes)), info)
        t.__dict__["_tinfo"] = c
    return c[3]


def index_entry(ix_oid: int, cols: tuple[str, ...], row: Row, idb: bytes) -> bytes | None:
    """Key of a row's entry in field index ``ix_oid``: OID ‖ order-preserving encoding of its values ‖ id (None when
    a value has no key encoding). The one encoder of field-index keys (commits and backfills)."""
    try:
        return TABLE.pack(ix_oid) + encode_values([row.get(c) for c in cols]) + idb
    except TypeError:
        return None


def edge_list(row: Row | None, table: TableDef, ti: TableInfo | None = None) -> list[Edge]:
    """The (normalized) edges a row owns (``ti``: the table's :func:`tinfo`, when the caller has it)."""
    if ti is None:
        ti = tinfo(table)
    if row is None or row.get(ti.deleted_at) is not None:
        return []
    edges = row.get(ti.edges)
    if not edges:
        return []
    src = row[ti.id]
    out = []
    for e in edges:
        if isinstance(e, dict) and isinstance(e.get("dst"), uuid.UUID):
            out.append(Edge(src, str(e.get("rel_type") or ""), e["dst"], float(e.get("weight", 1.0)),
                            e.get("properties") or {}, e.get("created_at")))
    return out


class GroupSync:
    """Group commit: committers wait until the WAL is fsynced past their sequence; one leader syncs for all."""

    def __init__(self, rocks: Rocks) -> None:
        self._rocks = rocks
        self._cond = threading.Condition()
        self._leader = False
        self.synced = 0
        self.written = 0
        self.fsyncs = 0
        self.waits = 0

    def wait_durable(self, seq: int) -> None:
        with self._cond:
            self.waits += 1
            while self.synced < seq:
                if self._leader:
                    self._cond.wait()
                    continue
                self._leader = True
                target = self.written
                self._cond.release()
                try:
                    self._rocks.flush_wal()
                finally:
                    self._cond.acquire()
                    self._leader = False
                self.fsyncs += 1
                self.synced = max(self.synced, target)
                self._cond.notify_all()


class Writer:
    """The single writer: commit lock, commit sequence, batch building, hooks, group commit."""

    def __init__(self, rocks: Rocks, synchronous_commit: bool = False) -> None:
        self.rocks = rocks
        self.lock = threading.RLock()
        raw = rocks.cf["meta"].get(b"commit_seq")
        self.seq = int.from_bytes(raw, "big") if raw else 0
        self.synchronous_commit = synchronous_commit
        self.group = GroupSync(rocks)
        self.group.written = self.group.synced = self.seq
        self.hooks: list[Callable[[CommitSummary], None]] = []
        self.table_versions: dict[int, int] = {}  # table OID → seq of its last change (cache invalidation)
        self.commits = 0
        self._counts: dict[int, int | None] = {}  # table OID → live rows as stored in meta (None: not kept)
        # table OID → field indexes added by a backfill: every commit writes their entries, whatever TableDef
        # version it carries (a transaction planned before CREATE INDEX still indexes its rows)
        self.building: dict[int, list[tuple[int, tuple[str, ...]]]] = {}
        self.building_unique: dict[int, list[IndexDef]] = {}  # the UNIQUE ones: every commit checks them
        self.building_gen = 0

    # --- raw ops (registry, meta, roles, maintenance)
    def apply(self, ops: list[Op], sync: bool | None = None) -> int:
        """Write raw operations in one batch (WAL on); returns the commit sequence."""
        with self.lock:
            wb = self.rocks.batch()
            for cf, k, v in ops:
                if cf == "meta" and k.startswith(b"cnt:"):
                    self._counts.pop(TABLE.unpack(k[4:8])[0], None)
                if v is None:
                    wb.delete(k, self.rocks.h[cf])
                else:
                    wb.put(k, v, self.rocks.h[cf])
            self.seq += 1
            seq = self.seq
            wb.put(b"commit_seq", seq.to_bytes(8, "big"), self.rocks.h["meta"])
            self.rocks.write(wb)
            self.group.written = seq
        if self.synchronous_commit if sync is None else sync:
            self.group.wait_durable(seq)
        return seq

    # --- transaction commit
    def commit(self, changes: list[Change], sync: bool | None = None) -> CommitSummary | None:
        """Apply a transaction's changes atomically; returns the summary (None when nothing changed).

        New versions are encoded before taking the commit lock; under it, the stored versions are read and
        checked, their derived entries deleted, and the batch written."""
        if not changes:
            return None
        gen = self.building_gen
        prepared = []
        infos: dict[int, TableInfo] = {}  # id(TableDef) → tinfo, once per table of the batch
        no_edges: frozenset[Edge] = frozenset()
        ekeys = [entity_key(c.table.oid, c.id) for c in changes]  # table OID ‖ id bytes: [4:] is the id's bytes
        for c, ekey in zip(changes, ekeys, strict=True):
            t, new = c.table, c.row
            ti = infos.get(id(t))
            if ti is None:
                ti = infos[id(t)] = tinfo(t)
            new_live = new is not None and new.get(ti.deleted_at) is None
            value, vec, new_puts, new_edges = None, None, [], no_edges
            if new is not None:
                if ti.embedding:
                    stored = dict(new)
                    vec = stored.pop(ti.embedding, None)
                else:
                    stored = new  # encoded as is (not modified)
                try:
                    value = codec.encode_row(stored, deleted=not new_live)
                except (TypeError, ValueError, OverflowError) as e:
                    raise E.DataException(f'cannot store a row of "{t.name}": {e}') from None
                if new_live:
                    el = edge_list(new, t, ti)
                    new_puts = self._derived_puts(t, c.id, new, ti, el, ekey[4:])
                    if el:
                        new_edges = set(el)  # type: ignore[assignment]
                    if vec is not None:
                        vec = codec.encode_vector(np.asarray(vec))
            prepared.append((c, new_live, value, vec, new_puts, new_edges, ti))
        with self.lock:
            if gen != self.building_gen:  # an index backfill started since the entries were computed
                prepared = [(c, live, value, vec, self._derived_puts(c.table, c.id, c.row) if live else puts, ed, ti)
                            for c, live, value, vec, puts, ed, ti in prepared]
            summary = CommitSummary(seq=self.seq + 1)
            deletes: list[Op] = []
            puts: list[Op] = []
            wal: list[list[Any]] = []
            changed_ids: set[tuple[int, uuid.UUID]] | None = None  # built when a unique index needs it
            unique_ixs: dict[int, list[IndexDef]] = {}  # id(TableDef) → unique indexes to check, once per batch
            live_delta: dict[int, int] = {}
            ent = self.rocks.cf["entities"]
            raws = ent.get(ekeys) if len(ekeys) > 1 else [ent.get(ekeys[0])]  # one multi_get
            for (c, new_live, value, vec, new_puts, new_edges, ti), ekey, raw in zip(prepared, ekeys, raws,
                                                                                    strict=True):
                t = c.table
                new = c.row
                old_live = raw is not None and not codec.is_deleted(raw)
                if c.check and raw != c.expect:  # first updater wins; never a silently lost update
                    raise E.SerializationFailure("could not serialize access due to concurrent update")
                live_delta[t.oid] = live_delta.get(t.oid, 0) + int(new_live) - int(old_live)
                if c.insert and old_live and new_live:
                    name, cols = id_constraint(t)
                    raise unique_error(t, name, cols, [new.get(x) for x in cols])  # type: ignore[union-attr]
                if new_live and (ti.unique or t.oid in self.building_unique):
                    if changed_ids is None:
                        changed_ids = {(x.table.oid, x.id) for x in changes}
                    ixs = unique_ixs.get(id(t))
                    if ixs is None:
                        ixs = unique_ixs[id(t)] = self._unique_indexes(t)
                    self._check_unique(t, ixs, c.id, new, changed_ids)  # type: ignore[arg-type]
                tc = summary.tables.get(t.oid)
                if tc is None:
                    tc = summary.tables[t.oid] = TableChanges(t)
                old_edges: set[Edge] | frozenset[Edge] = no_edges
                if old_live:  # derived entries of the stored version (a deleted version has none)
                    old = codec.decode_row(raw)  # type: ignore[arg-type]
                    deletes.extend(self._derived_keys(c.old_table or t, c.id, old))
                    old_edges = set(edge_list(old, c.old_table or t))
                if old_edges or new_edges:
                    tc.edges_removed.extend(e for e in old_edges if e not in new_edges)
                    tc.edges_added.extend(e for e in new_edges if e not in old_edges)
                if new is None:
                    deletes.append(("entities", ekey, None))
                    deletes.append(("embeddings", ekey, None))
                    tc.deleted.append(c.id)
                    wal.append([t.oid, "x", ekey[4:]])
                    continue
                puts.append(("entities", ekey, value))
                # a vector is only ever stored next to a stored live row (check.py): no stored row, none to delete
                if new_live:
                    puts.extend(new_puts)
                    if vec is not None:
                        puts.append(("embeddings", ekey, vec))
                    elif raw is not None:
                        deletes.append(("embeddings", ekey, None))
                    tc.upserted.append(new)
                    wal.append([t.oid, "u", ekey[4:]])
                else:
                    if raw is not None:
                        deletes.append(("embeddings", ekey, None))
                    tc.deleted.append(c.id)
                    wal.append([t.oid, "d", ekey[4:]])
            self.seq += 1
            seq = self.seq
            wb = self.rocks.batch()
            h = self.rocks.h
            for cf, k, _ in deletes:
                wb.delete(k, h[cf])
            for cf, k, v in puts:
                wb.put(k, v, h[cf])
            for oid, d in live_delta.items():  # live row counts, kept with the rows (O(1) count(*))
                cur = self._count(oid)
                if d and cur is not None:
                    self._counts[oid] = cur + d
                    wb.put(count_key(oid), (cur + d).to_bytes(8, "big", signed=True), h["meta"])
            wb.put(seq_key(seq), codec.encode_obj({"ts": time.time(), "changes": wal}), h["wal"])
            wb.put(b"commit_seq", seq.to_bytes(8, "big"), h["meta"])
            self.rocks.write(wb)
            self.group.written = seq
            self.commits += 1
            for oid in summary.tables:
                self.table_versions[oid] = seq
            summary.seq = seq
            for hook in list(self.hooks):
                try:
                    hook(summary)
                except Exception:  # the commit is durable already: a failing follower must not undo it
                    _log.exception("commit hook %r failed at commit %d", hook, seq)
        if self.synchronous_commit if sync is None else sync:
            self.group.wait_durable(seq)
        return summary

    def _count(self, oid: int) -> int | None:
        """A table's stored live-row count (under the lock; kept in memory after the first read: every count
        write goes through this writer)."""
        if oid not in self._counts:
            cur = self.rocks.cf["meta"].get(count_key(oid))
            self._counts[oid] = int.from_bytes(cur, "big", signed=True) if cur is not None else None
        return self._counts[oid]

    def _unique_indexes(self, t: TableDef) -> list[IndexDef]:
        """The indexes :meth:`_check_unique` goes through for rows of ``t``: its own, plus the UNIQUE indexes
        being backfilled (added after this transaction's table version was read). Under the lock."""
        extra = self.building_unique.get(t.oid)
        if not extra:
            return t.indexes
        have = {i.oid for i in t.indexes}
        return t.indexes + [x for x in extra if x.oid not in have]

    def _check_unique(self, t: TableDef, ixs: list[IndexDef], id_: uuid.UUID, row: Row,
                      changed: set[tuple[int, uuid.UUID]]) -> None:
        """Unique indexes ``ixs`` (from :meth:`_unique_indexes`) against the latest committed data (concurrent
        committers)."""
        cf = self.rocks.cf["indexes"]
        for ix in ixs:
            if not ix.unique or ix.primary or ix.method != "btree":
                continue
            vals = [row.get(c) for c in ix.columns]
            if any(v is None for v in vals):
                continue
            p = index_prefix(ix.oid, vals)
            for k in cf.keys(from_key=p):
                if not k.startswith(p) or len(k) != len(p) + 16:
                    break
                other = uuid.UUID(bytes=k[-16:])
                if other != id_ and (t.oid, other) not in changed:
                    raise unique_error(t, ix.name, ix.columns, vals)

    def _derived_keys(self, t: TableDef, id_: uuid.UUID, row: Row) -> list[Op]:
        """Keys of every derived entry of a live row (to delete)."""
        out: list[Op] = []
        for cf, k, _ in self._derived_puts(t, id_, row):
            out.append((cf, k, None))
        return out

    def _derived_puts(self, t: TableDef, id_: uuid.UUID, row: Row, ti: TableInfo | None = None,
                      edges: list[Edge] | None = None, idb: bytes | None = None) -> list[Op]:
        """Field-index entries, key index entry and edges of a live row (``ti``: ``tinfo(t)``, ``edges``:
        ``edge_list(row, t)``, ``idb``: ``id_.bytes``, when the caller has them)."""
        out: list[Op] = []
        if idb is None:
            idb = id_.bytes
        if ti is None:
            ti = tinfo(t)
        if self.building and t.oid in self.building:  # plus indexes being (or since) backfilled, once per version
            btree = ti.btree
            c = t.__dict__.get("_btree_building")
            if c is None or c[0] != self.building_gen or c[1] is not btree:
                have = {o for o, _ in btree}
                c = (self.building_gen, btree, btree + [x for x in self.building[t.oid] if x[0] not in have])
                t.__dict__["_btree_building"] = c
            for oid, cols in c[2]:
                k = index_entry(oid, cols, row, idb)
                if k is not None:
                    out.append(("indexes", k, b""))
        else:
            get = row.get
            for pfx, col, cols in ti.entries:  # what index_entry gives, without its per-call list and join
                try:
                    enc = encode_value(get(col)) if col is not None else encode_values([get(x) for x in cols])
                except TypeError:
                    continue
                out.append(("indexes", pfx + enc + idb, b""))
        src = id_source(row, t.key_field, t.primary_key)
        if src is not None:
            out.append(("key_index", key_index_prefix(key_text(src[1]), t.oid) + idb, b""))  # = key_index_key
        for e in edge_list(row, t, ti) if edges is None else edges:
            v = codec.encode_obj({"w": e.weight, "p": e.properties, "c": e.created_at, "t": t.oid})
            out.append(("edges", edge_key(e.src, e.rel_type, e.dst), v))
            out.append(("edges_reverse", edge_key(e.dst, e.rel_type, e.src), v))
        return out

    # --- field-index backfill (derived entries only; rows untouched)
    def start_building(self, table_oid: int, ixs: list[IndexDef]) -> None:
        """From now on every commit of ``table_oid`` writes (and deletes) entries of ``ixs`` too, and checks the
        UNIQUE ones."""
        with self.lock:
            oids = {i.oid for i in ixs}
            cur = [x for x in self.building.get(table_oid, []) if x[0] not in oids]
            self.building[table_oid] = cur + [(i.oid, tuple(i.columns)) for i in ixs]
            uniq = [i for i in self.building_unique.get(table_oid, []) if i.oid not in oids]
            uniq += [i for i in ixs if i.unique]
            if uniq:
                self.building_unique[table_oid] = uniq
            self.building_gen += 1

    def stop_building(self, table_oid: int, ix_oids: set[int] | None = None) -> None:
        """Forget indexes of ``table_oid`` (all when ``ix_oids`` is None): dropped, or their backfill failed."""
        with self.lock:
            cur = [x for x in self.building.pop(table_oid, []) if ix_oids is not None and x[0] not in ix_oids]
            if cur:
                self.building[table_oid] = cur
            uniq = [i for i in self.building_unique.pop(table_oid, []) if ix_oids is not None and i.oid not in ix_oids]
            if uniq:
                self.building_unique[table_oid] = uniq
            self.building_gen += 1

    def backfill_index(self, table_oid: int, ixs: list[tuple[int, tuple[str, ...]]],
                       rows: list[tuple[bytes, bytes | Row]], scanned_at: int) -> int:
        """Write the entries of field indexes ``ixs`` for ``rows`` of ``table_oid`` (entity key, stored value or
        decoded live row) read from a view no older than commit ``scanned_at``, in one batch; returns how many.
        When the table changed since, each row is re-read under the commit lock: one changed since the scan is
        indexed by its current version, one deleted meanwhile is skipped (call :meth:`start_building` first, so
        commits from then on write their own entries)."""
        def entries(k: bytes, v: bytes | Row) -> list[bytes]:
            if isinstance(v, bytes):
                if codec.is_deleted(v):
                    return []
                v = codec.decode_row(v)
            return [e for oid, cols in ixs if (e := index_entry(oid, cols, v, k[4:20])) is not None]
        computed = [entries(k, v) for k, v in rows]
        with self.lock:
            now: list[Any]
            if self.table_versions.get(table_oid, 0) > scanned_at:
                now = self.rocks.cf["entities"].get([k for k, _ in rows])
            else:  # no commit touched the table since the scan started: the scanned values are current
                now = [v for _, v in rows]
            wb = self.rocks.batch()
            h = self.rocks.h["indexes"]
            n = 0
            for (k, v), cur, keys in zip(rows, now, computed, strict=True):
                if cur is None:
                    continue
                for e in keys if cur is v or cur == v else entries(k, cur):
                    wb.put(e, b"", h)
                    n += 1
            self.seq += 1
            wb.put(b"commit_seq", self.seq.to_bytes(8, "big"), self.rocks.h["meta"])
            self.rocks.write(wb)
            self.group.written = self.seq
        return n

    # --- maintenance
    def delete_prefix(self, cf: str, prefix: bytes) -> None:
        """Delete every key of ``cf`` starting with ``prefix`` (one range tombstone)."""
        end = prefix_end(prefix)
        with self.lock:
            if cf == "meta":
                self._counts.clear()
            wb = self.rocks.batch()
            if end is None:
                for k in self.rocks.cf[cf].keys(from_key=prefix):
                    wb.delete(k, self.rocks.h[cf])
            else:
                wb.delete_range(prefix, end, self.rocks.h[cf])
            self.seq += 1
            wb.put(b"commit_seq", self.seq.to_bytes(8, "big"), self.rocks.h["meta"])
            self.rocks.write(wb)
            self.group.written = self.seq

    def delete_prefix_range(self, cf: str, start: bytes, end: bytes) -> None:
        """Delete the keys of ``cf`` in [start, end) (one range tombstone)."""
        with self.lock:
            if cf == "meta":
                self._counts.clear()
            wb = self.rocks.batch()
            wb.delete_range(start, end, self.rocks.h[cf])
            self.seq += 1
            wb.put(b"commit_seq", self.seq.to_bytes(8, "big"), self.rocks.h["meta"])
            self.rocks.write(wb)
            self.group.written = self.seq
