"""The in-memory adjacency index: node id ↔ dense int, CSR arrays per direction, and a delta overlay.

Derived data only (the entities' ``edges`` fields are the source of truth). The base is two CSR matrices in
numpy (out: src → dst, in: dst → src) with a relation-type id and a weight per edge; changes made after the
last build live in an overlay of per-edge deltas ((neighbour, rel) → weight, or None for a removed base edge)
per node and direction, O(1) per changed edge, merged into a new base by :meth:`Adjacency.compact` once it
grows. A node with deltas ("dirty") is expanded from its merged list, cached until its next change. Within one node, edges are kept in the canonical order
(relation type name, neighbour uuid), so a traversal gives the same rows whatever the build history.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.graph.batch import uuid_text

OUT, IN = 0, 1
_EMPTY_I = np.empty(0, np.int64)
_EMPTY_F = np.empty(0, np.float64)


@dataclass(frozen=True)
class Edge:
    """One outgoing edge as the owning entity declares it (dst already resolved to a uuid)."""

    dst: uuid.UUID
    rel_type: str
    weight: float = 1.0


@dataclass
class _Csr:
    """One direction: ``indptr`` over base nodes, neighbour / relation id / weight per edge (``views``: the three
    edge arrays as memoryviews, whose slices and ``tolist`` cost less than numpy's for a few edges)."""

    indptr: np.ndarray  # int64, n_base + 1
    nbr: np.ndarray  # int64
    rel: np.ndarray  # int32
    weight: np.ndarray  # float64
    views: tuple[memoryview, memoryview, memoryview] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.views = _views(self.nbr, self.rel, self.weight)


@dataclass
class _List:
    """A node's full neighbour list in one direction, overriding the base CSR (canonical order)."""

    nbr: np.ndarray
    rel: np.ndarray
    weight: np.ndarray
    views: tuple[memoryview, memoryview, memoryview] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.views = _views(self.nbr, self.rel, self.weight)


def _views(nbr: np.ndarray, rel: np.ndarray, weight: np.ndarray) -> tuple[memoryview, memoryview, memoryview]:
    return (memoryview(np.ascontiguousarray(nbr)), memoryview(np.ascontiguousarray(rel)),
            memoryview(np.ascontiguousarray(weight)))


def _empty_csr(n: int) -> _Csr:
    return _Csr(np.zeros(n + 1, np.int64), _EMPTY_I, np.empty(0, np.int32), _EMPTY_F)


class Adjacency:
    """Nodes, relation types, base CSR per direction and the overlay; all mutations under one lock."""

    COMPACT_MIN = 50_000  # overlay entries before a merge is considered
    COMPACT_FRACTION = 0.25  # … and at least this fraction of the base

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.ids: list[uuid.UUID] = []
        self.index: dict[uuid.UUID, int] = {}
        self.rels: list[str] = []
        self.rel_index: dict[str, int] = {}
        self._cap = 0
        self.alive = np.zeros(0, bool)  # node has a visible (not soft-deleted) entity
        self.table = np.zeros(0, np.int64)  # table OID of the node's entity, 0 unknown
        self.keys: list[str | None] = []
        self.n_base = 0
        self.csr = [_empty_csr(0), _empty_csr(0)]
        self.dirty = [np.zeros(0, bool), np.zeros(0, bool)]
        self.delta: list[dict[int, dict[tuple[int, int], float | None]]] = [{}, {}]
        self.merged: list[dict[int, _List]] = [{}, {}]  # cache of dirty nodes' merged lists
        self.over_edges = 0
        self._seen = np.zeros(0, bool)  # scratch() arrays
        self._first = np.zeros(0, np.int64)
        self._hex = np.empty((0, 36), np.uint8)  # uuid text of nodes 0 … _hex_n - 1 (capacity doubles)
        self._hex_n = 0
        self._cow: list[set[int]] | None = None  # a fork: per direction, the nodes whose delta it owns

    def fork(self) -> Adjacency:
        """A private copy to change for one statement (a transaction's own writes): shares the base CSR arrays
        (replaced, never changed in place) and the per-node deltas until it changes them (copy on write)."""
        with self.lock:
            f = Adjacency.__new__(Adjacency)
            f.lock = threading.RLock()
            f.ids, f.index, f.keys = list(self.ids), dict(self.index), list(self.keys)
            f.rels, f.rel_index = list(self.rels), dict(self.rel_index)
            f._cap, f.n_base, f.csr = self._cap, self.n_base, list(self.csr)
            f.alive, f.table = self.alive.copy(), self.table.copy()
            f.dirty = [d.copy() for d in self.dirty]
            f.delta = [dict(d) for d in self.delta]
            f.merged = [dict(m) for m in self.merged]
            f.over_edges = self.over_edges
            self.hex_ids()
            f._hex, f._hex_n = self._hex[:self._hex_n], self._hex_n  # full: a new node makes the fork copy it
            f._cow = [set(), set()]
            f._seen, f._first = np.zeros(0, bool), np.zeros(0, np.int64)  # its own scratch (its own lock)
            return f

    # --- nodes and relation types -------------------------------------------------------------------------
    def node(self, nid: uuid.UUID) -> int:
        """The dense int of ``nid``, allocating one (dead, no edges) when new."""
        i = self.index.get(nid)
        if i is None:
            i = len(self.ids)
            self.ids.append(nid)
            self.index[nid] = i
            self.keys.append(None)
            if i >= self._cap:
                self._grow(max(16, 2 * self._cap, i + 1))
        return i

    def _grow(self, cap: int) -> None:
        def grow(a: np.ndarray, fill: object) -> np.ndarray:
            b = np.full(cap, fill, a.dtype)
            b[: len(a)] = a
            return b

        self.alive = grow(self.alive, False)
        self.table = grow(self.table, 0)
        self.dirty = [grow(d, False) for d in self.dirty]
        self._cap = cap

    def scratch(self) -> tuple[np.ndarray, np.ndarray]:
        """Two per-node work arrays for a traversal holding ``lock``: a bool array that is all False and an int64
        array that is all int64-max; the user must restore those values before releasing the lock."""
        n = len(self.ids)
        if len(self._seen) < n:
            size = max(n, 2 * len(self._seen))
            self._seen = np.zeros(size, bool)
            self._first = np.full(size, np.iinfo(np.int64).max, np.int64)
        return self._seen, self._first

    def hex_ids(self) -> np.ndarray:
        """(n, 36) uint8: the text of every node's uuid (extended for the nodes added since the last call)."""
        with self.lock:
            n, have = len(self.ids), self._hex_n
            if have < n:
                if n > len(self._hex):
                    grown = np.empty((max(n, 2 * len(self._hex)), 36), np.uint8)
                    grown[:have] = self._hex[:have]
                    self._hex = grown
                raw = np.frombuffer(b"".join([u.bytes for u in self.ids[have:n]]), np.uint8).reshape(-1, 16)
                self._hex[have:n] = uuid_text(raw)
                self._hex_n = n
            return self._hex[:n]

    def rel_id(self, name: str) -> int:
        """The id of relation type ``name`` (allocated when new)."""
        r = self.rel_index.get(name)
        if r is None:
            r = len(self.rels)
            self.rels.append(name)
            self.rel_index[name] = r
        return r

    def set_node(self, nid: uuid.UUID, table: int, key: str | None, alive: bool) -> int:
        """Record an entity's table OID, key and visibility."""
        with self.lock:
            i = self.node(nid)
            self.table[i] = table
            self.keys[i] = key
            self.alive[i] = alive
            return i

    def forget_node(self, nid: uuid.UUID) -> None:
        """The entity is gone (hard delete or table drop): dead, no out edges."""
        with self.lock:
            i = self.index.get(nid)
            if i is not None:
                self.set_out_edges(nid, ())
                self.alive[i] = False
                self.table[i] = 0
                self.keys[i] = None

    # --- reading neighbour lists ------------------------------------------------------------------------
    def _base(self, d: int, i: int) -> _List:
        if i >= self.n_base:
            return _List(_EMPTY_I, np.empty(0, np.int32), _EMPTY_F)
        c = self.csr[d]
        a, b = c.indptr[i], c.indptr[i + 1]
        return _List(c.nbr[a:b], c.rel[a:b], c.weight[a:b])

    def _list(self, d: int, i: int) -> _List:
        delta = self.delta[d].get(i)
        if delta is None:
            return self._base(d, i)
        m = self.merged[d].get(i)
        if m is None:
            b = self._base(d, i)
            ent: dict[tuple[int, int], float | None] = dict(
                zip(zip(b.nbr.tolist(), b.rel.tolist(), strict=True), b.weight.tolist(), strict=True))
            ent.update(delta)
            keys = [k for k, w in ent.items() if w is not None]
            m = self._canonical([k[0] for k in keys], [k[1] for k in keys], [ent[k] for k in keys])  # type: ignore[misc]
            self.merged[d][i] = m
        return m

    def expand(self, frontier: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every edge leaving ``frontier`` in direction ``d``: (frontier position, neighbour, rel, weight).

        Ordered by frontier position, then canonical edge order.
        """
        dirty = self.dirty[d][frontier] | (frontier >= self.n_base)
        c = self.csr[d]
        if not dirty.any():
            return _gather(c, frontier, np.arange(len(frontier)))
        pos = np.flatnonzero(~dirty)
        parts = [_gather(c, frontier[pos], pos)] if len(pos) else []
        for p in np.flatnonzero(dirty).tolist():
            lst = self._list(d, int(frontier[p]))
            if len(lst.nbr):
                parts.append((np.full(len(lst.nbr), p, np.int64), lst.nbr, lst.rel, lst.weight))
        if not parts:
            return _EMPTY_I, _EMPTY_I, np.empty(0, np.int32), _EMPTY_F
        fpos, nbr, rel, w = (np.concatenate(x) for x in zip(*parts, strict=True))
        order = np.argsort(fpos, kind="stable")
        return fpos[order], nbr[order], rel[order], w[order]

    # --- updates ------------------------------------------------------------------------------------------
    def _canonical(self, nbr: Sequence[int], rel: Sequence[int], w: Sequence[float]) -> _List:
        order = sorted(range(len(nbr)), key=lambda k: (self.rels[rel[k]], self.ids[nbr[k]].bytes))
        return _List(
            np.array([nbr[k] for k in order], np.int64),
            np.array([rel[k] for k in order], np.int32),
            np.array([w[k] for k in order], np.float64),
        )

    def _put(self, d: int, i: int, key: tuple[int, int], w: float | None) -> None:
        delta = self.delta[d].get(i)
        if delta is None:
            delta = self.delta[d][i] = {}
            self.dirty[d][i] = True
        elif self._cow is not None and i not in self._cow[d]:
            delta = self.delta[d][i] = dict(delta)
        if self._cow is not None:
            self._cow[d].add(i)
        if key not in delta:
            self.over_edges += 1
        delta[key] = w
        self.merged[d].pop(i, None)

    def set_out_edges(self, src: uuid.UUID, edges: Iterable[Edge]) -> None:
        """Replace every outgoing edge of ``src`` (edges are unique by (dst, rel_type); the last wins)."""
        with self.lock:
            s = self.node(src)
            new: dict[tuple[int, int], float] = {}
            for e in edges:
                new[(self.node(e.dst), self.rel_id(e.rel_type))] = float(e.weight)
            cur = self._list(OUT, s)
            old = dict(zip(zip(cur.nbr.tolist(), cur.rel.tolist(), strict=True), cur.weight.tolist(), strict=True))
            for k in old.keys() - new.keys():
                self._put(OUT, s, k, None)
                self._put(IN, k[0], (s, k[1]), None)
            for k, w in new.items():
                if old.get(k) != w:
                    self._put(OUT, s, k, w)
                    self._put(IN, k[0], (s, k[1]), w)

    def needs_compaction(self) -> bool:
        base = len(self.csr[OUT].nbr)
        return self.over_edges > max(self.COMPACT_MIN, self.COMPACT_FRACTION * base)

    # --- bulk build ---------------------------------------------------------------------------------------
    def edge_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every current edge (base minus overridden nodes, plus the overlay): src, dst, rel, weight."""
        with self.lock:
            c = self.csr[OUT]
            src = np.repeat(np.arange(self.n_base, dtype=np.int64), np.diff(c.indptr))
            keep = ~self.dirty[OUT][src] if len(src) else np.zeros(0, bool)
            parts = [(src[keep], c.nbr[keep], c.rel[keep], c.weight[keep])]
            for i in list(self.delta[OUT]):
                lst = self._list(OUT, i)
                if len(lst.nbr):
                    parts.append((np.full(len(lst.nbr), i, np.int64), lst.nbr, lst.rel, lst.weight))
            s, d, r, w = (np.concatenate(x) for x in zip(*parts, strict=True))
            return s, d.astype(np.int64), r.astype(np.int32), w.astype(np.float64)

    def load(self, src: np.ndarray, dst: np.ndarray, rel: np.ndarray, weight: np.ndarray) -> None:
        """Replace the base by these edges (dense ints, unique by (src, dst, rel)); clears the overlay."""
        with self.lock:
            n = len(self.ids)
            node_rank = np.empty(n, np.int64)
            if n:
                raw = np.frombuffer(b"".join(u.bytes for u in self.ids), dtype=">u8").reshape(n, 2)
                node_rank[np.lexsort((raw[:, 1], raw[:, 0]))] = np.arange(n)
            rel_rank = np.empty(len(self.rels), np.int64)
            rel_rank[sorted(range(len(self.rels)), key=self.rels.__getitem__)] = np.arange(len(self.rels))
            src = np.asarray(src, np.int64)
            dst = np.asarray(dst, np.int64)
            rel = np.asarray(rel, np.int32)
            weight = np.asarray(weight, np.float64)
            csr = []
            for a, b in ((src, dst), (dst, src)):
                order = np.lexsort((node_rank[b], rel_rank[rel], a)) if len(a) else _EMPTY_I
                indptr = np.zeros(n + 1, np.int64)
                np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
                csr.append(_Csr(indptr, b[order], rel[order], weight[order]))
            self.csr = csr
            self.n_base = n
            self.delta = [{}, {}]
            self.merged = [{}, {}]
            self.over_edges = 0
            self.dirty = [np.zeros(self._cap, bool), np.zeros(self._cap, bool)]

    def compact(self) -> None:
        """Merge the overlay into a new base CSR."""
        with self.lock:
            self.load(*self.edge_arrays())

    # --- listing ------------------------------------------------------------------------------------------
    def edge_list(self) -> list[tuple[uuid.UUID, uuid.UUID, str, float]]:
        """Every edge whose source entity is visible: (src, dst, rel_type, weight)."""
        with self.lock:
            s, d, r, w = self.edge_arrays()
            ids, rels, alive = self.ids, self.rels, self.alive
            return [(ids[a], ids[b], rels[c], x)
                    for a, b, c, x in zip(s.tolist(), d.tolist(), r.tolist(), w.tolist(), strict=True) if alive[a]]

    def out_degree(self, nid: uuid.UUID) -> int:
        i = self.index.get(nid)
        return 0 if i is None else len(self._list(OUT, i).nbr)


def _gather(c: _Csr, nodes: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CSR rows of ``nodes`` concatenated: (pos of the row's node, neighbour, rel, weight)."""
    starts = c.indptr[nodes]
    counts = c.indptr[nodes + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return _EMPTY_I, _EMPTY_I, np.empty(0, np.int32), _EMPTY_F
    if len(nodes) == 1:
        a = int(starts[0])
        return np.full(total, pos[0], np.int64), c.nbr[a:a + total], c.rel[a:a + total], c.weight[a:a + total]
    offs = np.cumsum(counts) - counts
    eidx = np.arange(total, dtype=np.int64) + np.repeat(starts - offs, counts)
    return np.repeat(pos, counts), c.nbr[eidx], c.rel[eidx], c.weight[eidx]
