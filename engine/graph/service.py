"""The graph service: TRAVERSE, LOOKUP and FUZZY over one store, kept current by the write path's commit hook.

``GraphService(store, registry)`` builds its derived indexes from the store (edges from the ``edges`` column
family, nodes from ``entities`` and ``key_index``) and registers :meth:`GraphService.on_commit` with
``store.add_commit_hook``, so every commit updates the adjacency and trigram indexes before the committer
returns. Row data always comes from the caller's transaction (``txn.get``), so a row deleted or changed in
that transaction shows as the transaction sees it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import logging
import uuid
import weakref
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from engine import types as T
from engine.errors import InvalidParameterValue
from engine.graph import source
from engine.graph.adjacency import Adjacency, Edge
from engine.graph.batch import DataMemo, TraverseBatch
from engine.graph.datacache import DataCache
from engine.graph.fuzzy import TrigramIndex
from engine.graph.traverse import Level, bfs, check_args
from engine.schema.model import TableDef
from engine.store import Registry, Txn

UUID_ARRAY = T.array_of(T.UUID)
TRAVERSE_COLUMNS: tuple[tuple[str, int], ...] = (
    ("id", T.UUID), ("entity_type", T.TEXT), ("key", T.TEXT), ("depth", T.INT4), ("path", UUID_ARRAY),
    ("rel_type", T.TEXT), ("weight", T.FLOAT8), ("data", T.JSONB),
)
LOOKUP_COLUMNS: tuple[tuple[str, int], ...] = (
    ("id", T.UUID), ("entity_type", T.TEXT), ("key", T.TEXT), ("data", T.JSONB),
)
FUZZY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("id", T.UUID), ("entity_type", T.TEXT), ("key", T.TEXT), ("similarity", T.FLOAT4), ("data", T.JSONB),
)


class TraverseRow(NamedTuple):
    id: uuid.UUID
    entity_type: str
    key: str | None
    depth: int
    path: list[uuid.UUID]
    rel_type: str
    weight: float
    data: dict[str, Any] | None


class LookupRow(NamedTuple):
    id: uuid.UUID
    entity_type: str
    key: str | None
    data: dict[str, Any] | None


class FuzzyRow(NamedTuple):
    id: uuid.UUID
    entity_type: str
    key: str | None
    similarity: float
    data: dict[str, Any] | None


Notice = Callable[[str], None]


_PLAIN = frozenset({str, int, float, bool, type(None)})


_CONVERT: dict[type, Callable[[Any], Any]] = {
    uuid.UUID: str, dt.datetime: dt.datetime.isoformat, dt.date: dt.date.isoformat, dt.time: dt.time.isoformat,
}


def jsonable(v: Any) -> Any:
    """A Python value of a column as a JSON value (uuid/timestamps as text, vectors as lists)."""
    if type(v) in _PLAIN:
        return v
    f = _CONVERT.get(type(v))
    if f is not None:
        return f(v)
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, bytes):
        return "\\x" + v.hex()
    if v is T.JSON_NULL:
        return None
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


_DATA_COLS: dict[tuple[int, int, int], tuple[tuple[str, ...], Callable[[bytes], dict[str, Any]]]] = {}
_ALL_COLUMNS = frozenset(n for n, _ in TRAVERSE_COLUMNS)
_NEVER = 2**62  # a data-cache floor no snapshot reaches (cache unused until the service is built)
_NO_DATA = _ALL_COLUMNS - {"data"}


def _no_columns(raw: bytes) -> dict[str, Any]:
    return {}


_NO_COLUMNS = _no_columns


def data_columns(table: TableDef) -> tuple[tuple[str, ...], Callable[[bytes], dict[str, Any]]]:
    """The columns of a row's ``data`` (visible columns, embeddings left out) and a decoder of only those."""
    k = (table.oid, table.version, id(table))
    hit = _DATA_COLS.get(k)
    if hit is None:
        skip = {table.system_column("embedding")} if table.embedding_fields else set()
        cols = tuple(c.name for c in table.visible_columns if c.name not in skip)
        if len(_DATA_COLS) > 1024:
            _DATA_COLS.clear()
        hit = _DATA_COLS[k] = (cols, source.row_decoder(cols))
    return hit


def row_data(table: TableDef, row: dict[str, Any]) -> dict[str, Any]:
    """The ``data`` column: the row's visible columns as a JSON object (embeddings left out)."""
    get = row.get
    return {c: (v if type(v := get(c)) in _PLAIN else jsonable(v)) for c in data_columns(table)[0]}


@functools.lru_cache(maxsize=4096)
def _as_uuid(text: str) -> uuid.UUID | None:
    """The uuid spelled by ``text`` (None if it is none), remembered: traversals start again and again from the
    same nodes, and parsing a uuid costs about a microsecond."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


_DEPTHS: dict[int, np.ndarray] = {}


def _const_depths(depth: int, n: int) -> np.ndarray:
    """``n`` times ``depth`` as int64: for small ``n`` a read-only slice of a shared array (no allocation)."""
    if n > 64:
        return np.full(n, depth, np.int64)
    a = _DEPTHS.get(depth)
    if a is None:
        a = np.full(64, depth, np.int64)
        a.flags.writeable = False
        _DEPTHS[depth] = a
    return a[:n]


def _batch(adj: Adjacency, levels: list[Level], paths: bool,
           table_name: Callable[[int], str | None] | None, keys: bool) -> TraverseBatch:
    """TRAVERSE rows (``data`` None) of the reached nodes, in BFS order, as a column batch; the path, entity type
    (``table_name`` of the node's table OID) and key are NULL unless asked for (caller holds ``adj.lock``)."""
    if len(levels) == 1:
        lv = levels[0]
        nodes, rels, weights = lv.nodes, lv.rels, lv.weights
        depths = _const_depths(lv.depth, len(nodes))
    elif levels:
        nodes = np.concatenate([lv.nodes for lv in levels])
        depths = np.repeat(np.array([lv.depth for lv in levels], np.int64), [len(lv.nodes) for lv in levels])
        rels = np.concatenate([lv.rels for lv in levels])
        weights = np.concatenate([lv.weights for lv in levels])
    else:
        nodes = depths = np.empty(0, np.int64)
        rels, weights = np.empty(0, np.int32), np.empty(0, np.float64)
    types = None
    if table_name is not None:
        names: dict[int, str | None] = {}
        types = [names[o] if o in names else names.setdefault(o, table_name(o)) for o in adj.table[nodes].tolist()]
    keyl = adj.keys
    return TraverseBatch(adj.ids, adj.hex_ids(), nodes, depths, rels, weights, rel_names=adj.rels,  # append-only
                         types=types, keys=[keyl[x] for x in nodes.tolist()] if keys else None,
                         paths=_paths(levels, len(nodes)) if paths else None)


def _empty_batch(adj: Adjacency) -> TraverseBatch:
    e = np.empty(0, np.int64)
    return TraverseBatch(adj.ids, adj.hex_ids(), e, e, np.empty(0, np.int32), np.empty(0, np.float64),
                         rel_names=list(adj.rels))


def _paths(levels: list[Level], n: int) -> np.ndarray:
    """(n, depth + 1) node matrix: row i = the path from the start to the i-th reached node (-1 after its end)."""
    m = np.full((n, len(levels) + 1), -1, np.int64)
    at = 0
    prev: np.ndarray | None = None
    prev_at = 0
    for j, lv in enumerate(levels):
        k = len(lv.nodes)
        if prev is None:
            m[at:at + k, 0] = lv.parents
        else:  # each parent is a node of the previous level: copy its path
            order = np.argsort(prev, kind="stable")
            pos = order[np.searchsorted(prev, lv.parents, sorter=order)]
            m[at:at + k, :j + 1] = m[prev_at + pos, :j + 1]
        m[at:at + k, j + 1] = lv.nodes
        prev, prev_at, at = lv.nodes, at, at + k
    return m


class GraphService:
    """Derived graph, key and trigram indexes of one store, and the operations over them."""

    def __init__(self, store: Any, registry: Registry | None = None, *, build: bool = True) -> None:
        self.store = store
        self.registry: Registry = registry if registry is not None else store.registry
        self.adj = Adjacency()
        self._trgm: TrigramIndex | None = None
        self._stale = False
        self._data = DataCache(_NEVER)
        self._data_memo: DataMemo = {}
        self._version = 0  # bumped by every commit applied to the adjacency
        # (transaction, adjacency, version, its pending rows, the fork): the last fork, see _view
        self._last_fork: tuple[Any, Adjacency, int, list[Any], Adjacency] | None = None
        if build:
            self.rebuild()

    # --- building and keeping current ----------------------------------------------------------------------
    def rebuild(self) -> None:
        """Rebuild the adjacency index from the store's column families; (re)register the commit hook.

        The trigram index is built on the first FUZZY (also from the store) and kept current from then on."""
        with source.commit_lock(self.store):
            adj = Adjacency()
            source.load(self.store, self.registry, adj)
            seq = source.commit_seq(self.store)
            adj.hex_ids()  # the uuid text table, built once here rather than by the first traversal
            self.adj, self._trgm, self._data = adj, None, DataCache(_NEVER if seq is None else seq)
            source.add_commit_hook(self.store, self.on_commit)

    @property
    def trgm(self) -> TrigramIndex:
        """The trigram index over keys and names (built on first use)."""
        idx = self._trgm
        if idx is None:
            with source.commit_lock(self.store):
                idx = self._trgm
                if idx is None:
                    idx = TrigramIndex()
                    keys = {u: k for u, k in zip(self.adj.ids, self.adj.keys, strict=True) if k is not None}
                    for oid, nid, texts in source.texts(self.store, self.registry, keys):
                        idx.set(nid, str(oid), texts)
                    self._trgm = idx
        return idx

    def on_commit(self, summary: Any) -> None:
        """Apply one commit (``engine.write.CommitSummary``) to the derived indexes.

        Runs after the commit is written: it never raises into the committer. Should applying fail, the
        indexes are marked stale and rebuilt from the column families before the next read."""
        try:
            self._data.changed_at([r[tc.table.id_column] for tc in summary.tables.values() for r in tc.upserted]
                                  + [i for tc in summary.tables.values() for i in tc.deleted], int(summary.seq))
            self._apply_commit(summary)
        except Exception:  # noqa: BLE001 - the commit is durable; the derived index is rebuilt instead
            logging.getLogger("rem.graph").exception("graph index update failed; rebuilding on next use")
            self._data = DataCache(_NEVER)
            self._stale = True

    def _fresh(self) -> Adjacency:
        """The adjacency index, rebuilt first if a commit could not be applied to it."""
        if self._stale:
            with source.commit_lock(self.store):
                if self._stale:
                    self.rebuild()
                    self._stale = False
        return self.adj

    def _apply_commit(self, summary: Any) -> None:
        adj = self.adj
        with adj.lock:
            self._version += 1  # forks of the adjacency taken before this commit are stale
            touched: dict[uuid.UUID, None] = {}
            for tc in summary.tables.values():
                t: TableDef = tc.table
                idc = t.id_column
                for row in tc.upserted:
                    nid = row[idc]
                    key, name = source.row_key(t, row), row.get("name")
                    adj.set_node(nid, t.oid, key, True)
                    if self._trgm is not None:
                        self._trgm.set(nid, str(t.oid), [key, name if isinstance(name, str) else None])
                for nid in tc.deleted:
                    i = adj.index.get(nid)
                    if i is not None:
                        adj.alive[i] = False
                    if self._trgm is not None:
                        self._trgm.remove(nid)
                for e in tc.edges_removed:
                    touched[e.src] = None
                for e in tc.edges_added:
                    touched[e.src] = None
            if touched:
                removed = [(e.src, e.rel_type, e.dst) for tc in summary.tables.values() for e in tc.edges_removed]
                added = [(e.src, e.rel_type, e.dst, e.weight)
                         for tc in summary.tables.values() for e in tc.edges_added]
                self._apply_edges(removed, added)
            if adj.needs_compaction():
                adj.compact()

    def _apply_edges(self, removed: Sequence[tuple[uuid.UUID, str, uuid.UUID]],
                     added: Sequence[tuple[uuid.UUID, str, uuid.UUID, float]]) -> None:
        adj = self.adj
        by_src: dict[uuid.UUID, dict[tuple[uuid.UUID, str], float]] = {}
        for s, r, d in removed:
            cur = by_src.get(s)
            if cur is None:
                cur = by_src[s] = self._out_edges(s)
            cur.pop((d, r), None)
        for s, r, d, w in added:
            cur = by_src.get(s)
            if cur is None:
                cur = by_src[s] = self._out_edges(s)
            cur[(d, r)] = w
        for s, edges in by_src.items():
            adj.set_out_edges(s, [Edge(d, r, w) for (d, r), w in edges.items()])

    def _out_edges(self, src: uuid.UUID) -> dict[tuple[uuid.UUID, str], float]:
        adj = self.adj
        i = adj.index.get(src)
        if i is None:
            return {}
        lst = adj._list(0, i)
        return {(adj.ids[n], adj.rels[r]): w
                for n, r, w in zip(lst.nbr.tolist(), lst.rel.tolist(), lst.weight.tolist(), strict=True)}

    # --- resolving ids and keys ----------------------------------------------------------------------------
    def resolve(self, ref: str | uuid.UUID, txn: Txn | None = None, adj: Adjacency | None = None) -> list[uuid.UUID]:
        """Visible entity ids named by ``ref``: a uuid (of a visible entity) or a key (any table), in ``adj``
        (default: the committed graph)."""
        adj = self.adj if adj is None else adj
        if isinstance(ref, uuid.UUID):
            i = adj.index.get(ref)
            return [ref] if i is not None and adj.alive[i] else []
        ref = str(ref)
        u = _as_uuid(ref)
        if u is not None:
            i = adj.index.get(u)
            if i is not None and adj.alive.item(i):
                return [u]
        return [nid for _, nid in source.key_ids(self.store, ref, txn)
                if (i := adj.index.get(nid)) is not None and adj.alive[i]]

    def _fetch(self, txn: Txn, ids: Sequence[uuid.UUID], data: bool = True
               ) -> dict[uuid.UUID, tuple[TableDef, dict[str, Any]]]:
        """(table, ``data`` object) of each of ``ids`` that ``txn`` sees (missing / deleted ones left out);
        read-only. Without ``data`` it is a visibility check (the object is empty)."""
        index, table = self.adj.index, self.adj.table
        by_table: dict[int, list[uuid.UUID]] = {}
        for nid in ids:
            i = index.get(nid)
            if i is not None and table[i] > 0:
                by_table.setdefault(int(table[i]), []).append(nid)
        out: dict[uuid.UUID, tuple[TableDef, dict[str, Any]]] = {}
        for oid, tids in by_table.items():
            t = self.registry.get_by_oid(oid)
            if t is None:
                continue
            got = self._data_of(txn, t, tids) if data else source.fetch(txn, t, tids, (), _NO_COLUMNS)
            for nid, d in zip(tids, got, strict=True):
                if d is not None:
                    out[nid] = (t, d)
        return out

    def _fetch_rows(self, txn: Txn, adj: Adjacency, nodes: np.ndarray, ids: list[uuid.UUID], data: bool
                    ) -> list[dict[str, Any] | None]:
        """Per node (``ids[k]`` of node ``nodes[k]``) its ``data`` object as ``txn`` sees it, None when it sees
        no such row; without ``data`` only visibility (an empty object)."""
        out: list[dict[str, Any] | None] = [None] * len(ids)
        tabs = adj.table[nodes]
        oids = sorted(set(tabs.tolist())) if len(ids) <= 64 else np.unique(tabs).tolist()
        for oid in oids:
            t = self.registry.get_by_oid(oid) if oid > 0 else None
            if t is None:
                continue
            pos = range(len(ids)) if len(oids) == 1 else np.flatnonzero(tabs == oid).tolist()
            tids = ids if len(oids) == 1 else [ids[k] for k in pos]
            got = self._data_of(txn, t, tids) if data else source.fetch(txn, t, tids, (), _NO_COLUMNS)
            for k, d in zip(pos, got, strict=True):
                out[k] = d
        return out

    def _data_of(self, txn: Txn, t: TableDef, ids: list[uuid.UUID]) -> list[dict[str, Any] | None]:
        """The ``data`` objects of rows ``ids`` of ``t`` as ``txn`` sees them (None: no visible row), from the
        data cache where it may serve this transaction's snapshot, else read (data columns only) and cached."""
        cache = self._data
        snap = source.view_seq(txn, t)
        tkey = (t.oid, t.version)
        out: list[dict[str, Any] | None] = [None] * len(ids)
        miss: list[int] = []
        if snap is None:
            miss = list(range(len(ids)))
        else:
            out = cache.get_many(ids, snap, tkey)
            miss = [k for k, d in enumerate(out) if d is None]
        if miss:
            names, decode = data_columns(t)
            rows = source.fetch(txn, t, [ids[k] for k in miss], names, decode)
            for k, row in zip(miss, rows, strict=True):
                if row is not None:
                    d = out[k] = row_data(t, row)
                    if snap is not None:
                        cache.put(ids[k], snap, tkey, d)
        return out

    def _view(self, txn: Txn | None) -> Adjacency:
        """The graph as ``txn`` sees it: the committed adjacency, or, when the transaction has written rows
        of its own, a private fork of it with those rows applied (their edges, inserts and deletes)."""
        pending = source.pending_rows(txn)
        if not pending:
            return self.adj
        base = self.adj
        with base.lock:  # the version and the fork of one committed state (commits apply under this lock)
            version = self._version
            hit = self._last_fork
            if (hit is not None and hit[0]() is txn and hit[1] is base and hit[2] == version
                    and len(hit[3]) == len(pending)
                    and all(a[0] is b[0] and a[1] == b[1] and a[2] is b[2]
                            for a, b in zip(hit[3], pending, strict=True))):
                return hit[4]  # the same transaction, with the same writes, over the same committed graph
            adj = base.fork()
        with adj.lock:
            for t, nid, row in pending:
                if row is None or row.get(t.system_column("deleted_at")) is not None:
                    i = adj.index.get(nid)
                    if i is not None:
                        adj.alive[i] = False
                    continue
                adj.set_node(nid, t.oid, source.row_key(t, row), True)
                adj.set_out_edges(nid, source.row_edges(t, row))
        try:  # kept for the transaction's next traversal (the pending row objects pin their identities)
            self._last_fork = (weakref.ref(txn), base, version, pending, adj)
        except TypeError:  # a transaction object without weak references: not cached
            pass
        return adj

    def _with_txn(self, txn: Txn | None) -> tuple[Txn, bool]:
        return (txn, False) if txn is not None else (self.store.begin(), True)

    # --- operations ----------------------------------------------------------------------------------------
    def traverse(
        self,
        start: str | uuid.UUID,
        depth: int = 1,
        direction: str = "out",
        types: Iterable[str] | None = None,
        limit: int | None = None,
        *,
        txn: Txn | None = None,
        notice: Notice | None = None,
        with_data: bool = True,
    ) -> list[TraverseRow]:
        """Entities reachable from ``start`` (id or key) within ``depth`` hops, breadth-first.

        Each entity once, at its smallest depth; ``path`` runs from the start to the entity; ``rel_type`` and
        ``weight`` are those of the edge that reached it. Unknown start → [] and a notice. Without
        ``with_data`` no row is read (``data`` is None).
        """
        cols = None if with_data else _NO_DATA
        return [TraverseRow._make(r) for r in self.traverse_rows(start, depth, direction, types, limit, txn=txn,
                                                                 notice=notice, columns=cols)]

    def traverse_rows(
        self,
        start: str | uuid.UUID,
        depth: int = 1,
        direction: str = "out",
        types: Iterable[str] | None = None,
        limit: int | None = None,
        *,
        txn: Txn | None = None,
        notice: Notice | None = None,
        columns: Collection[str] | None = None,
    ) -> TraverseBatch:
        """:meth:`traverse` as a sequence of plain tuples in ``TRAVERSE_COLUMNS`` order (a column batch, see
        :mod:`engine.graph.batch`), building only ``columns`` (None: all; the others are None). Without ``data``
        no row is read: visibility is the graph's (the latest committed state), checked against ``txn`` only when
        it has writes of its own. Without ``path`` no path is built."""
        depth, direction, limit = check_args(depth, direction, limit)
        types = None if types is None else [str(t) for t in types]
        want = _ALL_COLUMNS if columns is None else frozenset(columns)
        need_data, need_path = "data" in want, "path" in want
        own = False
        if txn is None and (need_data or not self._is_node(start)):
            txn, own = self._with_txn(None)
        try:
            self._fresh()
            adj = self._view(txn)
            starts = self.resolve(start, txn, adj)
            if not starts:
                if notice is not None:
                    notice(f'TRAVERSE: no entity with id or key "{start}"')
                return _empty_batch(adj)
            with adj.lock:
                idx = [adj.index[s] for s in starts]
                batch = _batch(adj, bfs(adj, idx, depth, direction, types, limit), need_path,
                               self._table_name if "entity_type" in want else None, "key" in want)
            if need_data or (txn is not None and getattr(txn, "has_writes", True)):
                assert txn is not None
                got = self._fetch_rows(txn, adj, batch.nodes, batch.column(0), need_data)
            else:
                return batch
        finally:
            if own and txn is not None:
                txn.rollback()
        keep = np.fromiter((d is not None for d in got), bool, len(got))
        if not keep.all():
            batch = batch.take(keep)
            got = [d for d in got if d is not None]
        if need_data:
            batch.data = got
            if not getattr(txn, "has_writes", True):  # the objects come from (or went into) the data cache
                batch.data_memo = self._data_memo
        return batch

    def _is_node(self, ref: str | uuid.UUID) -> bool:
        """``ref`` names a visible entity by uuid (no key lookup needed)."""
        try:
            u = ref if isinstance(ref, uuid.UUID) else uuid.UUID(str(ref))
        except ValueError:
            return False
        i = self.adj.index.get(u)
        return i is not None and bool(self.adj.alive[i])

    def _table_name(self, oid: int) -> str:
        t = self.registry.get_by_oid(oid) if oid > 0 else None
        return t.name if t is not None else ""

    def lookup(self, keys: Iterable[str], *, txn: Txn | None = None) -> list[LookupRow]:
        """Entities whose key is one of ``keys``, across all tables, through the key index (in key order)."""
        txn, own = self._with_txn(txn)
        try:
            out = []
            for k in keys:
                if k is None:
                    continue
                k = str(k)
                by_table: dict[int, list[uuid.UUID]] = {}
                for oid, nid in source.key_ids(self.store, k, txn):
                    by_table.setdefault(oid, []).append(nid)
                for oid, ids in by_table.items():
                    t = self.registry.get_by_oid(oid)
                    if t is None:
                        continue
                    for nid, d in zip(ids, self._data_of(txn, t, ids), strict=True):
                        if d is not None:
                            out.append(LookupRow(nid, t.name, k, d))
            return out
        finally:
            if own:
                txn.rollback()

    def fuzzy(
        self,
        text: str,
        table: str | None = None,
        threshold: float = 0.3,
        limit: int | None = 10,
        *,
        txn: Txn | None = None,
    ) -> list[FuzzyRow]:
        """Entities whose key or name is trigram-similar to ``text`` (≥ ``threshold``), best first."""
        try:
            th = float(threshold)
        except (TypeError, ValueError):
            raise InvalidParameterValue(f"FUZZY threshold must be a number, got {threshold!r}") from None
        if not 0.0 <= th <= 1.0:
            raise InvalidParameterValue(f"FUZZY threshold must be between 0 and 1, got {threshold}")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise InvalidParameterValue(f"FUZZY limit must be a non-negative integer, got {limit!r}")
        tables = None
        if table is not None:
            t = self.registry.get(table) if "." not in table else self.registry.get(*reversed(table.split(".", 1)))
            if t is None:
                from engine.errors import UndefinedTable
                raise UndefinedTable(f'relation "{table}" does not exist')
            tables = {str(t.oid)}
        want = None if limit is None else 2 * limit + 16  # spare hits for rows this transaction cannot see
        self._fresh()
        hits = self.trgm.search(str(text), th, want, tables)
        out: list[FuzzyRow] = []
        if not hits:
            return out
        txn, own = self._with_txn(txn)
        try:
            step = max(16, 2 * (limit or 0))
            for a in range(0, len(hits), step):
                chunk = hits[a:a + step]
                got = self._fetch(txn, [h.id for h in chunk])
                for h in chunk:
                    g = got.get(h.id)
                    if g is None:
                        continue
                    i = self.adj.index.get(h.id)
                    key = self.adj.keys[i] if i is not None else None
                    out.append(FuzzyRow(h.id, g[0].name, key, h.similarity, g[1]))
                    if limit is not None and len(out) >= limit:
                        return out
            if want is not None and len(hits) == want and limit is not None and len(out) < limit:
                return self.fuzzy(text, table, threshold, None, txn=txn)[:limit]
            return out
        finally:
            if own:
                txn.rollback()

    def edges(self) -> list[tuple[uuid.UUID, uuid.UUID, str, float]]:
        """Every committed edge between visible entities: (src, dst, rel_type, weight)."""
        adj = self.adj
        with adj.lock:
            alive = adj.alive
            return [e for e in adj.edge_list() if alive[adj.index[e[1]]]]
