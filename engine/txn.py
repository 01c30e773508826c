"""A transaction: committed data as of the statement snapshot, merged with this transaction's write overlay.

Reads see one consistent point: per-column-family RocksDB snapshots taken together under the writer's commit
lock (no commit can land between them; see docs/storage.md). :meth:`RemTxn.new_statement` moves the snapshot
forward (READ COMMITTED); without it the first snapshot is kept for the whole transaction.
Writes are buffered in an overlay (table OID → id → row, ``None`` = physically removed) with an undo log for
statement atomicity and savepoints; :meth:`commit` hands everything to the writer as ONE WriteBatch.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from engine import errors as E
from engine.ids import derive_id, id_source, key_text
from engine.schema import fkeys
from engine.schema.model import IndexDef, TableDef
from engine.schema.validate import validator_for
from engine.storage import codec
from engine.storage.keys import (
    TABLE,
    encode_value,
    encode_values,
    entity_key,
    index_prefix,
    key_index_prefix,
    prefix_end,
)
from engine.write import Change, count_key, id_constraint, tinfo, unique_error

if TYPE_CHECKING:
    from engine.storage.store import RemStore

Row = dict[str, Any]
_MISSING = object()
_TXIDS = itertools.count(1000)  # txid_current(): one per transaction (a recycled one gets a new one)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RemTxn:
    """Implements :class:`engine.store.Txn`."""

    def __init__(self, store: RemStore, synchronous_commit: bool | None = None) -> None:
        self._store = store
        self._rocks = store.rocks
        self.synchronous_commit = synchronous_commit  # None: the store's default
        self._ov: dict[int, dict[uuid.UUID, Row | None]] = {}
        self._tables: dict[int, TableDef] = {}
        self._ins: set[tuple[int, uuid.UUID]] = set()
        self._ovix: dict[tuple[int, bytes], set[uuid.UUID]] = {}  # (index oid, encoded values) → ids
        self._ovkey: dict[str, set[tuple[int, uuid.UUID]]] = {}  # key text → (table oid, id)
        self._ovix_built: set[int] = set()
        self._ovkey_built = False
        self._undo: list[tuple[int, uuid.UUID, Any, bool]] = []
        self._expect: dict[tuple[int, uuid.UUID], bytes | None] = {}  # committed value an update/delete read
        self._savepoints: list[tuple[str, int]] = []
        self._snap: dict[str, Any] | None = None  # CF → (iterator, snapshot), one point in time
        self._itlock = threading.Lock()
        self.snapshot_seq = 0
        self.closed = False
        self._upserted = False  # an ON CONFLICT statement inserted rows (a commit-time 23505 is then 40001)
        self.txid = next(_TXIDS)

    # ------------------------------------------------------------------ snapshot
    def new_statement(self) -> None:
        """Start a new statement: later reads see everything committed until now."""
        self._snap = None

    def recycle(self) -> bool:
        """Make this open transaction a new one if it wrote and locked nothing (what a commit then a new begin
        would give, without the allocation): no view, a new txid. False (nothing done) when it holds writes."""
        if self.closed or self._ov or self._expect or self._undo or self._savepoints or self._ins or self._upserted:
            return False
        self._snap = None
        self._ovix.clear()
        self._ovkey.clear()
        self._ovix_built.clear()
        self._ovkey_built = False
        self.txid = next(_TXIDS)
        return True

    def _s(self) -> dict[str, Any]:
        if self._snap is None:  # (a finished transaction still reads: committed data, fresh view)
            self._snap, self.snapshot_seq = self._store.shared_view()
            self._itlock = self._snap["_lock"]
        return self._snap

    def _sget(self, cf: str, key: bytes) -> bytes | None:
        try:
            return self._s()[cf][1][key]
        except Exception:  # rocksdict: "key not found"
            return None

    def _sprefix(self, cf: str, prefix: bytes, start: bytes | None = None,
                 end: bytes | None = None, values: bool = False) -> Iterator[Any]:
        """Keys (or items) of ``cf`` in the statement view within [start or prefix, end or prefix_end(prefix))."""
        return iter_range(self._s()[cf][0], self._itlock, start or prefix,
                          end if end is not None else prefix_end(prefix), values)

    # ------------------------------------------------------------------ reads
    def _committed(self, t: TableDef, id_: uuid.UUID) -> Row | None:
        """The live committed row (snapshot), embedding attached; None if absent or deleted."""
        k = entity_key(t.oid, id_)
        raw = self._sget("entities", k)
        if raw is None or codec.is_deleted(raw):
            return None
        row = codec.decode_row(raw)
        if t.embedding_fields:
            v = self._sget("embeddings", k)
            row[t.system_column("embedding")] = codec.decode_vector(v) if v is not None else None
        return row

    def _exists_for_write(self, t: TableDef, id_: uuid.UUID,
                          latest: dict[uuid.UUID, bytes | None] | None = None) -> bool:
        """Is ``id_`` a live row (overlay, else committed)? Without a statement view yet, the latest committed
        state is checked (no view is built for a blind insert; the writer re-checks at commit anyway), read from
        ``latest`` (:meth:`_latest_raws` of the statement's ids) when given."""
        ov = self._ov.get(t.oid)
        if ov is not None and id_ in ov:
            r = ov[id_]
            return r is not None and r.get(tinfo(t).deleted_at) is None
        if self._snap is not None:
            k = entity_key(t.oid, id_)  # what _committed reads, without decoding the row
            raw = self._sget("entities", k)
        else:
            raw = latest.get(id_, _MISSING) if latest is not None else _MISSING
            if raw is _MISSING:
                raw = self._rocks.cf["entities"].get(entity_key(t.oid, id_))
        return raw is not None and not codec.is_deleted(raw)

    def _latest_raws(self, t: TableDef, ids: list[uuid.UUID]) -> dict[uuid.UUID, bytes | None] | None:
        """The latest committed ``entities`` values of ``ids`` in one multi_get (what :meth:`_exists_for_write`
        reads one by one without a statement view); None when a view exists (it reads the view instead)."""
        if self._snap is not None:
            return None
        oid = t.oid
        raws = self._rocks.cf["entities"].get([entity_key(oid, i) for i in ids])
        return dict(zip(ids, raws, strict=True))

    def _visible(self, t: TableDef, id_: uuid.UUID) -> Row | None:
        ov = self._ov.get(t.oid)
        if ov is not None and id_ in ov:
            r = ov[id_]
            return r if r is not None and r.get(tinfo(t).deleted_at) is None else None
        return self._committed(t, id_)

    def scan(self, table: TableDef) -> Iterator[Row]:
        t = table
        ov = self._ov.get(t.oid) or {}
        ov_items = list(ov.items())
        ov_ids = set(ov)
        dcol = t.system_column("deleted_at")
        self._s()
        cached = self._store.cache_rows(t, self.snapshot_seq)
        if cached is not None:
            idc = t.id_column
            for r in cached:
                if r[idc] not in ov_ids:
                    yield dict(r)
        else:
            for r in self._store.scan_view(t, self._s(), self._itlock, self.snapshot_seq):
                if ov_ids and r[t.id_column] in ov_ids:
                    continue
                yield dict(r)
        for _, r in ov_items:
            if r is not None and r.get(dcol) is None:
                yield dict(r)

    def scan_tuples(self, table: TableDef, names: Sequence[str]) -> list[tuple[Any, ...]]:
        """Every visible row as a tuple of ``names`` (missing keys → None): ``scan`` without dict copies."""
        t = table
        names = list(names)
        if not names:
            return [() for _ in self.scan(t)]
        ig = operator.itemgetter(*names) if len(names) > 1 else (lambda r: (r[names[0]],))

        def tup(r: Row) -> tuple[Any, ...]:
            try:
                return ig(r)  # type: ignore[no-any-return]
            except KeyError:
                return tuple(r.get(n) for n in names)

        ov = self._ov.get(t.oid) or {}
        self._s()
        rows = self._store.cache_rows(t, self.snapshot_seq)
        if rows is None:
            rows = self._store.scan_view(t, self._s(), self._itlock, self.snapshot_seq)
        idc = t.id_column
        if ov:
            out = [tup(r) for r in rows if r[idc] not in ov]
            dcol = tinfo(t).deleted_at
            out.extend(tup(r) for r in list(ov.values()) if r is not None and r.get(dcol) is None)
        else:
            out = [tup(r) for r in rows]
        return out

    def column_view(self, table: TableDef) -> Any:
        """Arrow columns of every visible row (:class:`engine.storage.columns.ColumnView`: the statement's
        snapshot plus this transaction's writes), or None when the row cache cannot serve the snapshot."""
        self._s()
        return self._store.column_view(table, self.snapshot_seq, self._ov.get(table.oid))

    def get(self, table: TableDef, ids: Sequence[uuid.UUID]) -> list[Row | None]:
        out: list[Row | None] = []
        uids = [i if isinstance(i, uuid.UUID) else uuid.UUID(str(i)) for i in ids]
        if len(uids) > 8 and not self._ov.get(table.oid):
            self._s()
            for k in range(0, len(uids), 4096):  # the row cache, a chunk per lock hold
                part = uids[k:k + 4096]
                got = self._store.cache.get_many(table.oid, part, self.snapshot_seq)
                if got is None:
                    out.extend(self.get(table, part) if len(part) <= 8 else self._get_each(table, part))
                else:
                    out.extend(dict(r) if r is not None else None for r in got)
            return out
        return self._get_each(table, uids)

    def get_shared(self, table: TableDef, ids: Sequence[uuid.UUID]) -> list[Row | None]:
        """Visible rows of ``ids`` like :meth:`get`, without copying cached and overlay rows: read-only (the
        plan's Scan turns them into tuples at once)."""
        uids = [i if isinstance(i, uuid.UUID) else uuid.UUID(str(i)) for i in ids]
        if len(uids) > 8 and not self._ov.get(table.oid):
            self._s()
            out: list[Row | None] = []
            for k in range(0, len(uids), 4096):  # the row cache, a chunk per lock hold
                part = uids[k:k + 4096]
                got = self._store.cache.get_many(table.oid, part, self.snapshot_seq)
                out.extend(self._get_each(table, part) if got is None else got)
            return out
        return [self._visible(table, i) for i in uids]

    def get_partial(self, table: TableDef, ids: Sequence[uuid.UUID],
                    decode: Callable[[bytes], Row]) -> list[Row | None]:
        """Visible rows of ``ids`` (uuids) like :meth:`get`, read-only (never mutate them), for readers that need
        a few columns: a row read from storage is ``decode(value)`` (the stored ``entities`` value, see
        :mod:`engine.storage.codec`; no embedding attached); cached and overlay rows come whole."""
        ov = self._ov.get(table.oid)
        self._s()
        if not ov:
            got = self._store.cache.get_many(table.oid, list(ids), self.snapshot_seq)
            if got is not None:
                return got
        dcol = tinfo(table).deleted_at if ov else ""
        snap = self._snap["entities"][1] if self._snap is not None else None
        oid = table.oid
        out: list[Row | None] = []
        for i in ids:
            if ov and i in ov:
                r = ov[i]
                out.append(r if r is not None and r.get(dcol) is None else None)
                continue
            try:
                raw = snap[entity_key(oid, i)]
            except Exception:  # rocksdict: "key not found"
                raw = None
            out.append(None if raw is None or codec.is_deleted(raw) else decode(raw))
        return out

    def get_one(self, table: TableDef, id_: uuid.UUID) -> Row | None:
        """The visible row ``id_`` or None, read-only (never mutate it): this transaction's writes, else the row
        cache when it serves the statement's snapshot, else one RocksDB get (the point-get path)."""
        ov = self._ov.get(table.oid)
        if ov is not None and id_ in ov:
            r = ov[id_]
            return r if r is not None and r.get(tinfo(table).deleted_at) is None else None
        self._s()
        if not table.embedding_fields:
            got = self._store.cache.get_many(table.oid, [id_], self.snapshot_seq)
            if got is not None:
                return got[0]
        return self._committed(table, id_)

    def _get_each(self, table: TableDef, ids: Sequence[uuid.UUID]) -> list[Row | None]:
        out: list[Row | None] = []
        for i in ids:
            r = self._visible(table, i if isinstance(i, uuid.UUID) else uuid.UUID(str(i)))
            out.append(dict(r) if r is not None else None)
        return out

    def count(self, table: TableDef) -> int:
        t = table
        self._s()
        raw = self._sget("meta", count_key(t.oid))
        n = int.from_bytes(raw, "big", signed=True) if raw is not None else self._store.cached_count(
            t, self.snapshot_seq)
        if n is None:
            n = sum(1 for _, v in self._sprefix("entities", TABLE.pack(t.oid), values=True)
                    if not codec.is_deleted(v))
        dcol = t.system_column("deleted_at")
        for id_, r in (self._ov.get(t.oid) or {}).items():
            was = self._committed(t, id_) is not None
            now = r is not None and r.get(dcol) is None
            n += int(now) - int(was)
        return n

    def _index_for(self, t: TableDef, column: str) -> IndexDef | None:
        best = None
        for ix in t.indexes:
            if ix.method == "btree" and ix.columns and ix.columns[0] == column:
                if best is None or len(ix.columns) < len(best.columns):
                    best = ix
        return best

    def _coerce_key(self, t: TableDef, column: str, v: Any) -> Any:
        col = t.column(column)
        if col is None or v is None or col.system and col.role != "id":
            return v
        try:
            from engine.schema.validate import _coercer
            return _coercer(t, col)(v)
        except (E.RemError, TypeError, ValueError):
            return v

    def lookup(self, table: TableDef, column: str, values: Sequence[Any]) -> list[uuid.UUID]:
        t = table
        if t.column(column) is None:
            raise E.UndefinedColumn(f'column "{column}" does not exist')
        out: list[uuid.UUID] = []
        seen: set[uuid.UUID] = set()

        def add(i: uuid.UUID) -> None:
            if i not in seen:
                seen.add(i)
                out.append(i)

        if column == t.id_column:
            for v in values:
                try:
                    i = v if isinstance(v, uuid.UUID) else uuid.UUID(str(v))
                except ValueError:
                    continue
                if self._visible(t, i) is not None:
                    add(i)
            return out
        ix = self._index_for(t, column)
        ov = self._ov.get(t.oid) or {}
        if ix is None:
            want = [self._coerce_key(t, column, v) for v in values]
            for r in self.scan(t):
                if r.get(column) is not None and r.get(column) in want:
                    add(r[t.id_column])
            return out
        for v in values:
            v = self._coerce_key(t, column, v)
            if v is None:
                continue
            try:
                p = index_prefix(ix.oid, [v])
            except TypeError:
                continue
            for k in self._sprefix("indexes", p):
                i = codec.fast_uuid(k[-16:])
                if i not in ov:
                    add(i)
            if ov:
                if len(ix.columns) == 1:
                    for i in list(self._ovix_for(t).get((ix.oid, p[4:]), ())):
                        if self._visible(t, i) is not None:
                            add(i)
                else:
                    for i, r in ov.items():
                        if r is not None and r.get(column) == v and self._visible(t, i) is not None:
                            add(i)
        return out

    def range(self, table: TableDef, column: str, lo: Any = None, hi: Any = None,
              lo_inclusive: bool = True, hi_inclusive: bool = True) -> list[uuid.UUID]:
        t = table
        if t.column(column) is None:
            raise E.UndefinedColumn(f'column "{column}" does not exist')
        lo = self._coerce_key(t, column, lo)
        hi = self._coerce_key(t, column, hi)
        ov = self._ov.get(t.oid) or {}
        out: list[uuid.UUID] = []
        ix = self._index_for(t, column)

        def within(v: Any) -> bool:
            if v is None:
                return False
            ev = encode_value(v)
            if lo is not None:
                el = encode_value(lo)
                if ev < el or (ev == el and not lo_inclusive):
                    return False
            if hi is not None:
                eh = encode_value(hi)
                if ev > eh or (ev == eh and not hi_inclusive):
                    return False
            return True

        if ix is None:
            for r in self.scan(t):
                try:
                    if within(r.get(column)):
                        out.append(r[t.id_column])
                except TypeError:
                    continue
            return out
        base = TABLE.pack(ix.oid)
        start = base + (encode_value(lo) if lo is not None else b"")
        if lo is not None and not lo_inclusive:
            start = prefix_end(start) or start
        if hi is None:
            end = base + b"\xff"  # NULLs (tag FF) sort last: excluded
        else:
            eh = base + encode_value(hi)
            end = (prefix_end(eh) or eh) if hi_inclusive else eh
        if start < end:
            for k in self._sprefix("indexes", base, start=start, end=end):
                i = codec.fast_uuid(k[-16:])
                if i not in ov:
                    out.append(i)
        for i, r in ov.items():
            if r is not None and r.get(t.system_column("deleted_at")) is None:
                try:
                    if within(r.get(column)):
                        out.append(i)
                except TypeError:
                    continue
        return out

    def lookup_key(self, key: str) -> list[tuple[int, uuid.UUID]]:
        """(table OID, id) of every visible row whose key (uri/key field/key/name/primary key) is ``key``."""
        p = key_index_prefix(key)
        out = []
        for k in self._sprefix("key_index", p):
            oid, i = TABLE.unpack(k[len(p):len(p) + 4])[0], codec.fast_uuid(k[-16:])
            t = self._store.registry.get_by_oid(oid)
            if t is not None and i not in (self._ov.get(oid) or {}):
                out.append((oid, i))
        for oid, i in list(self._ovkey_map().get(key, ())):
            t = self._tables.get(oid)
            if t is not None and self._visible(t, i) is not None and (oid, i) not in out:
                out.append((oid, i))
        return out

    def find_conflict(self, table: TableDef, row: Row) -> Row | None:
        t = table
        cand = self._candidate_id(t, row)
        if cand is not None:
            r = self._visible(t, cand)
            if r is not None:
                return dict(r)
        own = cand
        for ix in t.indexes:
            if not ix.unique or ix.method != "btree" or ix.primary:
                continue
            other = self._unique_hit(t, ix, row, own)
            if other is not None:
                r = self._visible(t, other)
                if r is not None:
                    return dict(r)
        return None

    def conflicts(self, table: TableDef, rows: Sequence[Row], columns: Sequence[str] | None = None
                  ) -> list[tuple[Row | None, tuple[Any, ...]]]:
        """For each proposed row: the visible row it collides with (or None) and its conflict keys (hashable;
        two proposed rows sharing one collide with each other). ``columns`` is the arbiter (the id, key field
        or primary key, or a unique index's columns); None checks every unique constraint. The id candidates
        of all rows are read with one batched get."""
        t = table
        cols = list(columns) if columns else None
        by_id = cols is None or cols == [t.id_column] or (bool(t.primary_key) and cols == list(t.primary_key)) \
            or (t.key_field is not None and cols == [t.key_field])
        ixs = [ix for ix in t.indexes if ix.unique and ix.method == "btree" and not ix.primary
               and (cols is None or list(ix.columns) == cols)]
        n = len(rows)
        found: list[Row | None] = [None] * n
        keys: list[list[Any]] = [[] for _ in range(n)]
        cands: list[uuid.UUID | None] = [None] * n
        if by_id:
            for k, r in enumerate(rows):
                c = self._candidate_id(t, r)
                cands[k] = c
                if c is not None:
                    keys[k].append(("id", c))
            want = list(dict.fromkeys(c for c in cands if c is not None))
            got = dict(zip(want, self._visible_many(t, want), strict=True))
            for k, c in enumerate(cands):
                hit = got.get(c) if c is not None else None
                if hit is not None:
                    found[k] = dict(hit)
        for ix in ixs:
            for k, r in enumerate(rows):
                vals = [r.get(c) for c in ix.columns]
                if any(v is None for v in vals):
                    continue
                try:
                    keys[k].append((ix.oid, encode_values(vals)))
                except TypeError:
                    continue
                if found[k] is None:
                    other = self._unique_hit(t, ix, r, cands[k])
                    hit = self._visible(t, other) if other is not None else None
                    if hit is not None:
                        found[k] = dict(hit)
        return [(f, tuple(k)) for f, k in zip(found, keys, strict=True)]

    def _visible_many(self, t: TableDef, ids: Sequence[uuid.UUID]) -> list[Row | None]:
        """Visible rows by id (overlay first, then the statement view in one batched read); not copied."""
        ov = self._ov.get(t.oid) or {}
        dcol = tinfo(t).deleted_at
        out: list[Row | None] = [None] * len(ids)
        need: list[int] = []
        for k, i in enumerate(ids):
            if i in ov:
                r = ov[i]
                out[k] = r if r is not None and r.get(dcol) is None else None
            else:
                need.append(k)
        if need:
            for k, r in zip(need, self._committed_many(t, [ids[k] for k in need]), strict=True):
                out[k] = r
        return out

    def _committed_many(self, t: TableDef, ids: list[uuid.UUID]) -> list[Row | None]:
        """Live committed rows by id at the statement view: the row cache when it covers the view, else one
        RocksDB multi_get when nothing was committed since the view (the latest state IS the view then;
        checked under the commit lock), else point reads of the view's snapshot."""
        self._s()
        got = self._store.cache.get_many(t.oid, ids, self.snapshot_seq)
        if got is not None:
            return [dict(r) if r is not None else None for r in got]
        keys = [entity_key(t.oid, i) for i in ids]
        w = self._store.writer
        raws = vecs = None
        with w.lock:
            if w.seq == self.snapshot_seq:
                raws = self._rocks.cf["entities"].get(keys)
                if t.embedding_fields:
                    vecs = self._rocks.cf["embeddings"].get(keys)
        if raws is None:
            return [self._committed(t, i) for i in ids]
        ecol = t.system_column("embedding") if t.embedding_fields else None
        out: list[Row | None] = []
        for k, raw in enumerate(raws):
            if raw is None or codec.is_deleted(raw):
                out.append(None)
                continue
            row = codec.decode_row(raw)
            if ecol is not None:
                v = vecs[k] if vecs is not None else None
                row[ecol] = codec.decode_vector(v) if v is not None else None
            out.append(row)
        return out

    # ------------------------------------------------------------------ writes
    def _candidate_id(self, t: TableDef, row: Row) -> uuid.UUID | None:
        v = row.get(t.id_column) if not t.primary_key else None
        if v is not None:
            return v if isinstance(v, uuid.UUID) else uuid.UUID(str(v))
        if id_source(row, t.key_field, t.primary_key) is None:
            return None
        return derive_id(t.name, row, t.key_field, t.primary_key)

    def _unique_hit(self, t: TableDef, ix: IndexDef, row: Row, own: uuid.UUID | None) -> uuid.UUID | None:
        vals = [row.get(c) for c in ix.columns]
        if any(v is None for v in vals):
            return None
        p = index_prefix(ix.oid, vals)
        ov = self._ov.get(t.oid) or {}
        for k in self._sprefix("indexes", p):
            if len(k) != len(p) + 16:
                continue
            i = codec.fast_uuid(k[-16:])
            if i != own and i not in ov:
                return i
        for i in list(self._ovix_for(t).get((ix.oid, p[4:]), ())):
            if i != own and self._visible(t, i) is not None:
                return i
        return None

    def _aux(self, t: TableDef, r: Row | None, id_: uuid.UUID, add: bool) -> None:
        """Add/remove a live overlay row in the overlay's index and key maps (only once they are built)."""
        if r is None or r.get(tinfo(t).deleted_at) is not None:
            return
        if t.oid in self._ovix_built:
            for ix in t.indexes:
                if ix.method != "btree":
                    continue
                try:
                    enc = encode_values([r.get(c) for c in ix.columns])
                except TypeError:
                    continue
                s = self._ovix.setdefault((ix.oid, enc), set())
                (s.add if add else s.discard)(id_)
        if self._ovkey_built:
            src = id_source(r, t.key_field, t.primary_key)
            if src is not None:
                s2 = self._ovkey.setdefault(key_text(src[1]), set())
                (s2.add if add else s2.discard)((t.oid, id_))

    def _set(self, t: TableDef, id_: uuid.UUID, row: Row | None) -> None:
        """Overlay write without undo (maintains the overlay's index and key maps when built)."""
        ov = self._ov.setdefault(t.oid, {})
        if t.oid in self._ovix_built or self._ovkey_built:
            self._aux(t, ov.get(id_), id_, False)
            self._aux(t, row, id_, True)
        ov[id_] = row

    def _ovix_for(self, t: TableDef) -> dict[tuple[int, bytes], set[uuid.UUID]]:
        """The overlay's field-index map, built on first use for table ``t`` (bulk inserts never pay for it)."""
        if t.oid not in self._ovix_built:
            self._ovix_built.add(t.oid)
            saved, self._ovkey_built = self._ovkey_built, False
            for i, r in (self._ov.get(t.oid) or {}).items():
                self._aux(t, r, i, True)
            self._ovkey_built = saved
        return self._ovix

    def _ovkey_map(self) -> dict[str, set[tuple[int, uuid.UUID]]]:
        if not self._ovkey_built:
            self._ovkey_built = True
            built, self._ovix_built = self._ovix_built, set()
            for oid, d in self._ov.items():
                for i, r in d.items():
                    self._aux(self._tables[oid], r, i, True)
            self._ovix_built = built
        return self._ovkey

    def _put(self, t: TableDef, id_: uuid.UUID, row: Row | None, insert: bool = False) -> None:
        self._tables[t.oid] = t
        ov = self._ov.setdefault(t.oid, {})
        key = (t.oid, id_)
        if not insert and id_ not in ov and key not in self._expect:  # modifies a committed row: remember it
            self._expect[key] = self._sget("entities", entity_key(t.oid, id_))
        self._undo.append((t.oid, id_, ov.get(id_, _MISSING), key in self._ins))
        if insert and id_ not in ov:
            self._ins.add(key)
        self._set(t, id_, row)

    def _put_new(self, t: TableDef, id_: uuid.UUID, row: Row) -> None:
        """:meth:`_put` of an insert of an id not in the overlay (nothing to remember: no committed row read)."""
        oid = t.oid
        self._tables[oid] = t
        ins = self._ins
        n = len(ins)
        ins.add((oid, id_))
        self._undo.append((oid, id_, _MISSING, len(ins) == n))  # (was it in _ins already)
        if oid in self._ovix_built or self._ovkey_built:
            self._set(t, id_, row)
            return
        ov = self._ov.get(oid)
        if ov is None:
            ov = self._ov[oid] = {}
        ov[id_] = row

    def _revert(self, pos: int) -> None:
        while len(self._undo) > pos:
            oid, id_, prev, was_ins = self._undo.pop()
            t = self._tables[oid]
            if prev is _MISSING:
                self._set(t, id_, None)
                del self._ov[oid][id_]
            else:
                self._set(t, id_, prev)
            (self._ins.add if was_ins else self._ins.discard)((oid, id_))

    def _edges(self, t: TableDef, edges: Any, now: dt.datetime) -> list[dict[str, Any]]:
        """Normalized edges: dst resolved to a UUID (keys through the key index), defaults filled."""
        if edges is None:
            return []
        if not isinstance(edges, list):
            raise E.InvalidParameterValue('"edges" must be a JSON array of edge objects')
        out = []
        for e in edges:
            if isinstance(e, str):
                e = {"dst": e}
            if not isinstance(e, dict) or e.get("dst") is None:
                raise E.InvalidParameterValue('each edge needs a "dst" (a UUID or a key)')
            dst = e["dst"]
            if not isinstance(dst, uuid.UUID):
                try:
                    dst = uuid.UUID(str(dst))
                except ValueError:
                    hits = self.lookup_key(str(dst))
                    if not hits:
                        raise E.ForeignKeyViolation(
                            f'insert or update on table "{t.name}" violates edge target constraint',
                            detail=f'Key (dst)=({dst}) is not present in any table.') from None
                    dst = hits[0][1]
            created = e.get("created_at") or now
            if isinstance(created, str):
                created = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
            out.append({"dst": dst, "rel_type": str(e.get("rel_type") or e.get("type") or "related"),
                        "weight": float(e.get("weight", 1.0)), "properties": e.get("properties") or {},
                        "created_at": created})
        if len(out) > 1:  # one edge per (dst, rel_type): a repeated pair keeps its last entry
            out = list({(e["dst"], e["rel_type"]): e for e in out}.values())
        return out

    def _embed(self, t: TableDef, rows: list[Row]) -> None:
        """Fill the embedding column of rows that lack one, with one embedder call."""
        col = t.system_column("embedding")
        need = [r for r in rows if r.get(col) is None]
        fn = self._store.embedder
        if not need or fn is None:
            return
        vecs = fn(t, need)
        if len(vecs) != len(need):
            raise E.InternalError("embedder returned a wrong number of vectors")
        for r, v in zip(need, vecs, strict=True):
            r[col] = v

    def insert(self, table: TableDef, rows: Sequence[Row]) -> list[Row]:
        pos = len(self._undo)
        try:
            out = self._insert_rows(table, rows)
            if table.embedding_fields:
                self._embed(table, out)
        except BaseException:
            self._revert(pos)
            raise
        return [dict(r) for r in out]

    def _insert_rows(self, table: TableDef, rows: Sequence[Row]) -> list[Row]:
        """Validate and buffer new rows (no embedding yet); the caller reverts to its undo mark on failure."""
        t = table
        val = validator_for(t)
        now = _now()
        ti = tinfo(t)
        idc = ti.id
        et, ca, ma, da, ed, ecol = ti.system
        pos = len(self._undo)
        out: list[Row] = []
        uniq = ti.unique_ixs
        pk = t.primary_key
        try:
            # pass 1: validated rows and their ids (pure); a failure is raised at its row's turn in pass 2, so that
            # the first error is the one the row-by-row order gives
            staged: list[tuple[Row, Row, uuid.UUID]] = []
            failed: Exception | None = None
            for src in rows:
                try:
                    r = val.check(src)
                    explicit = src.get(idc) if not pk else None  # a primary key always decides the id
                    if explicit is not None:
                        try:
                            id_ = explicit if isinstance(explicit, uuid.UUID) else uuid.UUID(str(explicit))
                        except ValueError:
                            raise E.InvalidTextRepresentation(
                                f'invalid input syntax for type uuid: "{explicit}"') from None
                    else:
                        id_ = derive_id(t.name, r, t.key_field, pk)
                except Exception as e:  # noqa: BLE001 - re-raised below
                    failed = e
                    break
                staged.append((src, r, id_))
            stored = self._latest_raws(t, [x[2] for x in staged]) if len(staged) > 1 else None
            for src, r, id_ in staged:
                r[idc] = id_
                r[et] = t.name
                r[ca] = src.get(ca) or now
                r[ma] = now
                r[da] = None
                given = src.get(ed)
                r[ed] = self._edges(t, given, now) if given else []
                if t.embedding_fields:
                    emb = src.get(ecol)
                    r[ecol] = None if emb is None else validator_for_vector(emb, t)
                if self._exists_for_write(t, id_, stored):
                    name, cols = id_constraint(t)
                    raise unique_error(t, name, cols, [r.get(c) for c in cols])
                for ix in uniq:
                    if self._unique_hit(t, ix, r, id_) is not None:
                        raise unique_error(t, ix.name, ix.columns, [r.get(c) for c in ix.columns])
                ov = self._ov.get(t.oid)
                if ov is None or id_ not in ov:
                    self._put_new(t, id_, r)
                else:
                    self._put(t, id_, r, insert=False)
                out.append(r)
            if failed is not None:
                raise failed
            fkeys.check_rows(self, t, out)
        except BaseException:
            self._revert(pos)
            raise
        return out

    def update(self, table: TableDef, rows: Sequence[Row], olds: Sequence[Row] | None = None) -> list[Row]:
        """Replace rows (matched by id; ``olds``: their visible versions when the caller read them already);
        an ``edges`` value replaces the row's edge list; one embedder call for every changed embedded text."""
        pos = len(self._undo)
        try:
            to_embed: list[Row] = []
            out = self._update_rows(table, rows, to_embed, olds=olds)
            if to_embed:
                self._embed(table, to_embed)
        except BaseException:
            self._revert(pos)
            raise
        return [dict(r) for r in out]

    def upsert(self, table: TableDef, inserts: Sequence[Row], updates: Sequence[Row],
               olds: Sequence[Row] | None = None) -> tuple[list[Row], list[Row]]:
        """One ``INSERT … ON CONFLICT DO UPDATE`` batch: buffer new rows and new versions of existing ones, then
        embed every row whose embedded text is new or changed in ONE embedder call (unchanged text keeps its
        stored vector). Edges of updated rows merge into the stored ones by (dst, rel_type). All or nothing."""
        t = table
        pos = len(self._undo)
        try:
            ins = self._insert_rows(t, inserts)
            self._upserted = self._upserted or bool(ins)
            to_embed = [r for r in ins if t.embedding_fields and r.get(t.system_column("embedding")) is None]
            upd = self._update_rows(t, updates, to_embed, olds=olds, merge_edges=True)
            if to_embed and t.embedding_fields:
                self._embed(t, to_embed)
        except BaseException:
            self._revert(pos)
            raise
        return [dict(r) for r in ins], [dict(r) for r in upd]

    def _update_rows(self, table: TableDef, rows: Sequence[Row], to_embed: list[Row],
                     olds: Sequence[Row | None] | None = None, merge_edges: bool = False) -> list[Row]:
        """Validate and buffer new versions; rows needing an embedding are appended to ``to_embed``."""
        t = table
        val = validator_for(t)
        now = _now()
        idc = t.id_column
        sc = t.system_column
        ed = sc("edges")
        out: list[Row] = []
        fk_olds = fkeys.before_update(self, t, rows, olds)
        for k, src in enumerate(rows):
            raw_id = src.get(idc)
            if raw_id is None:
                raise E.InternalError(f'update of "{t.name}" needs the row id column "{idc}"')
            id_ = raw_id if isinstance(raw_id, uuid.UUID) else uuid.UUID(str(raw_id))
            old = olds[k] if olds is not None else self._visible(t, id_)
            if old is None:
                continue
            r = val.check(src)
            r[sc("entity_type")] = t.name
            r[sc("created_at")] = old.get(sc("created_at"))
            r[sc("modified_at")] = now
            r[sc("deleted_at")] = None
            given = src.get(ed, old.get(ed))
            if given is old.get(ed):
                r[ed] = list(given or [])
            elif merge_edges:
                r[ed] = merge_edges_by_target(old.get(ed) or [], self._edges(t, given, now))
            else:
                r[ed] = self._edges(t, given, now)
            new_id = id_
            old_src = id_source(old, t.key_field, t.primary_key)
            new_src = id_source(r, t.key_field, t.primary_key)
            if old_src is not None and new_src is not None and (
                    old_src[0] != new_src[0] or key_text(old_src[1]) != key_text(new_src[1])
                    or (old_src[0] == "uri" and old.get("chunk_ordinal") != r.get("chunk_ordinal"))):
                new_id = derive_id(t.name, r, t.key_field, t.primary_key)
            r[idc] = new_id
            if new_id != id_ and self._visible(t, new_id) is not None:
                name, cols = id_constraint(t)
                raise unique_error(t, name, cols, [r.get(c) for c in cols])
            for ix in t.indexes:
                if ix.unique and not ix.primary and ix.method == "btree":
                    hit = self._unique_hit(t, ix, r, new_id)
                    if hit is not None and hit != id_:
                        raise unique_error(t, ix.name, ix.columns, [r.get(c) for c in ix.columns])
            if t.embedding_fields:
                ecol = sc("embedding")
                changed = any(r.get(f) != old.get(f) for f in t.embedding_fields)
                emb = src.get(ecol)
                if changed and (emb is None or _same_vector(emb, old.get(ecol))):
                    r[ecol] = None
                    to_embed.append(r)
                else:
                    r[ecol] = None if emb is None else validator_for_vector(emb, t)
                    if r[ecol] is None:
                        to_embed.append(r)
            if new_id != id_:
                self._put(t, id_, None)
                self._put(t, new_id, r, insert=True)
            else:
                self._put(t, id_, r)
            out.append(r)
        fkeys.after_update(self, t, fk_olds, out)
        return out

    def delete(self, table: TableDef, ids: Sequence[uuid.UUID]) -> list[Row]:
        t = table
        now = _now()
        out = []
        pos = len(self._undo)
        uids = [i if isinstance(i, uuid.UUID) else uuid.UUID(str(i)) for i in ids]
        try:
            for i, old in zip(uids, self._visible_many(t, uids), strict=True):
                if old is None:
                    continue
                new = dict(old)
                new[t.system_column("deleted_at")] = now
                if t.embedding_fields:
                    new[t.system_column("embedding")] = None
                self._put(t, i, new)
                out.append(dict(old))
            fkeys.on_delete(self, t, out)
        except BaseException:
            self._revert(pos)
            raise
        return out

    # ------------------------------------------------------------------ savepoints / end
    def savepoint(self, name: str) -> None:
        self._savepoints.append((name, len(self._undo)))

    def _find_sp(self, name: str) -> int:
        for i in range(len(self._savepoints) - 1, -1, -1):
            if self._savepoints[i][0] == name:
                return i
        raise E.InvalidSavepointSpecification(f'savepoint "{name}" does not exist')

    def rollback_to(self, name: str) -> None:
        i = self._find_sp(name)
        self._revert(self._savepoints[i][1])
        del self._savepoints[i + 1:]

    def release(self, name: str) -> None:
        i = self._find_sp(name)
        del self._savepoints[i:]

    def pending_rows(self) -> Iterator[tuple[TableDef, uuid.UUID, Row | None]]:
        """The rows this transaction has written and not committed, as it sees them (None: removed; a deleted
        row carries its ``deleted_at``). The graph service walks them over its committed adjacency."""
        for oid, rows in self._ov.items():
            t = self._tables.get(oid)
            if t is not None:
                yield from ((t, id_, row) for id_, row in rows.items())

    @property
    def has_writes(self) -> bool:
        return any(self._ov.values())

    def commit(self, sync: bool | None = None) -> None:
        if self.closed:
            return
        if not self._ov:  # read only: nothing to write
            self._finish()
            return
        try:
            exp = self._expect
            ins = self._ins
            if exp:
                changes = [Change(self._tables[oid], id_, row, insert=(oid, id_) in ins,
                                  expect=exp.get((oid, id_)), check=(oid, id_) in exp)
                           for oid, d in self._ov.items() for id_, row in d.items()]
            else:  # nothing read for an update: no expected values to look up
                changes = [Change(self._tables[oid], id_, row, (oid, id_) in ins)
                           for oid, d in self._ov.items() for id_, row in d.items()]
            s = self.synchronous_commit if sync is None else sync
            try:
                self._store.writer.commit(changes, sync=s)
            except E.UniqueViolation as e:
                if not self._upserted:
                    raise
                # an ON CONFLICT row met a key another transaction committed after this one read: retryable
                raise E.SerializationFailure("could not serialize access due to concurrent insert",
                                             detail=e.message + (" " + e.detail if e.detail else "")) from None
        finally:
            self._finish()

    def rollback(self) -> None:
        self._finish()

    def _finish(self) -> None:
        self.closed = True
        self._ov.clear()
        self._ovix.clear()
        self._ovkey.clear()
        self._ovix_built.clear()
        self._ovkey_built = False
        self._undo.clear()
        self._expect.clear()
        self._ins.clear()
        self._savepoints.clear()
        self._snap = None


def validator_for_vector(v: Any, t: TableDef) -> Any:
    """An explicit embedding value as float32 of the table's dimension."""
    import numpy as np
    a = np.asarray(v, dtype=np.float32).reshape(-1)
    if t.embedding_dim and a.shape[0] != t.embedding_dim:
        raise E.DataException(f"expected {t.embedding_dim} dimensions, not {a.shape[0]}")
    return a


def iter_range(it: Any, lock: threading.Lock, start: bytes, end: bytes | None, values: bool,
               chunk: int = 1024) -> Iterator[Any]:
    """Keys (or (key, value) pairs) in [start, end) read through a pinned RocksDB iterator, in chunks.

    The iterator is shared by every read of the statement, so each chunk re-seeks (others may move it)."""
    pos = start
    while True:
        out: list[Any] = []
        done = False
        with lock:
            it.seek(pos)
            while it.valid():
                k = it.key()
                if end is not None and k >= end:
                    done = True
                    break
                out.append((k, it.value()) if values else k)
                if len(out) >= chunk:
                    break
                it.next()
            else:
                done = True
        yield from out
        if done or not out:
            return
        last = out[-1][0] if values else out[-1]
        pos = last + b"\x00"


def _same_vector(a: Any, b: Any) -> bool:
    import numpy as np
    return b is not None and np.array_equal(np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32))


def merge_edges_by_target(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Upsert's edge merge: an edge with the (dst, rel_type) of a stored one replaces it (weight, properties;
    the stored ``created_at`` is kept), other new edges are appended, other stored edges are kept."""
    out = [dict(e) for e in old]
    where = {(e.get("dst"), e.get("rel_type")): i for i, e in enumerate(out)}
    for e in new:
        k = (e.get("dst"), e.get("rel_type"))
        i = where.get(k)
        if i is None:
            where[k] = len(out)
            out.append(e)
        else:
            out[i] = {**e, "created_at": out[i].get("created_at") or e.get("created_at")}
    return out
