"""One FAISS index over one (table, vector column): ids, tombstones, exact tail, filtered search, compaction.

Labels: every vector added gets the next int64 label (a per-index counter, never reused), equal to its row in
``vecs`` and to its position inside the HNSW graph, so label → vector is an array lookup. A row's UUID maps to
its *current* label; an update tombstones the old label and appends a new one (faiss does not de-duplicate), a
delete tombstones it. Labels ``[0, hnsw_n)`` are in ``IndexIDMap2(IndexHNSWFlat)``; the tail ``[hnsw_n, n)``
is searched exactly and merged, so a query is always complete while the background builder catches up.
Compaction rebuilds the graph from live vectors (new labels) and swaps it in, replaying what changed meanwhile.

Distances are pgvector's: cosine → ``1 - cos`` (vectors normalised, inner product in FAISS), l2 → euclidean,
ip → ``-inner product``. Smaller is better.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import faiss
import numpy as np

from engine.errors import DataException, InvalidParameterValue
from engine.storage.codec import fast_uuid
from engine.vector.hugepages import advise_graph

METRICS = {"cosine": faiss.METRIC_INNER_PRODUCT, "ip": faiss.METRIC_INNER_PRODUCT, "l2": faiss.METRIC_L2}
OPCLASS_METRIC = {"vector_cosine_ops": "cosine", "vector_l2_ops": "l2", "vector_ip_ops": "ip"}
EXACT_MAX_ROWS = 20_000  # filtered search: allowed sets at most this big are searched exactly …
EXACT_MAX_FRACTION = 0.10  # … and so are sets below this fraction of the live rows
FILTER_MIN_EF = 200  # HNSW with an ID selector gets at least this efSearch …
FILTER_EF_PER_ROW = 4  # … and k × this / (allowed fraction), so about 4k allowed rows are candidates
HUGEPAGE_MIN_ROWS = 50_000  # graphs from this size on get huge pages (again each time they have doubled)
GATHER_MAX_BYTES = 32 << 20  # an allowed set searched exactly keeps a contiguous copy of its vectors up to this
TIE_EXTRA = 16  # candidates kept past the k-th, so that rows tied at the k-th distance are chosen by row id


@dataclass
class IndexParams:
    """HNSW parameters (pgvector's names and defaults)."""

    m: int = 16
    ef_construction: int = 64
    ef_search: int = 40

    @classmethod
    def from_options(cls, options: dict | None) -> IndexParams:
        """From ``CREATE INDEX … WITH (m = 16, ef_construction = 64)`` options (unknown keys ignored)."""
        o = {str(k).lower(): v for k, v in (options or {}).items()}
        p = cls(int(o.get("m", 16)), int(o.get("ef_construction", 64)), int(o.get("ef_search", 40)))
        if not (2 <= p.m <= 100):
            raise InvalidParameterValue(f"value {p.m} out of bounds for option \"m\"",
                                        detail="Valid values are between \"2\" and \"100\".")
        if not (4 <= p.ef_construction <= 1000) or p.ef_construction < 2 * p.m:
            raise InvalidParameterValue(f"value {p.ef_construction} out of bounds for option \"ef_construction\"",
                                        detail="Valid values are between \"4\" and \"1000\" and at least 2*m.")
        if not (1 <= p.ef_search <= 1000):
            raise InvalidParameterValue(f"value {p.ef_search} out of bounds for option \"ef_search\"")
        return p


def check_dims(expected: int, got: int) -> None:
    """DataException 22000 naming both dimensions (pgvector's wording) when they differ."""
    if expected != got:
        raise DataException(f"different vector dimensions {expected} and {got}")


@dataclass
class AllowedSet:
    """A filter resolved to labels once (reusable across queries while the index does not change)."""

    labels: np.ndarray  # int64, sorted, live labels
    version: int
    ids: list[uuid.UUID] = field(default_factory=list, repr=False)  # to re-resolve after index changes
    _bitmap: np.ndarray | None = field(default=None, repr=False)
    _split: tuple[int, np.ndarray, np.ndarray] | None = field(default=None, repr=False)  # (indexed, head, tail)
    _selector: tuple[int, object] | None = field(default=None, repr=False)  # (graph size, (IDSelectorBitmap, bitmap))
    _gathered: tuple[int, np.ndarray] | None = field(default=None, repr=False)  # (graph size, vectors of the head)

    def split(self, hn: int) -> tuple[np.ndarray, np.ndarray]:
        """(labels in the graph, labels in the exact tail) for a graph of ``hn`` labels, cached."""
        if self._split is None or self._split[0] != hn:
            cut = int(np.searchsorted(self.labels, hn))
            self._split = (hn, self.labels[:cut], self.labels[cut:])
        return self._split[1], self._split[2]

    def __len__(self) -> int:
        return int(self.labels.shape[0])


class VectorIndex:
    """Thread-safe vector index for one (table, column); see the module docstring for the design."""

    def __init__(self, dim: int, metric: str = "cosine", params: IndexParams | None = None) -> None:
        if metric not in METRICS:
            raise InvalidParameterValue(f"unknown vector metric {metric!r}", hint="cosine, l2 or ip")
        self.dim = int(dim)
        self.metric = metric
        self.params = params or IndexParams()
        self.seq = 0  # storage sequence number whose effects this index includes
        self._state = threading.RLock()  # short: arrays, label map, counters
        self._graph = threading.RLock()  # HNSW add/search/swap; order: _graph before _state
        cap = 1024
        self._vecs = np.zeros((cap, self.dim), np.float32)
        self._uuids = np.zeros((cap, 16), np.uint8)
        self._alive = np.zeros(cap, bool)
        self._n = 0
        self._live = 0
        self._labels: dict[bytes, int] = {}
        self._hnsw: faiss.IndexIDMap2 | None = None
        self._hnsw_n = 0
        self._version = 0  # bumps on every change (invalidates cached selectors / allowed sets)
        self._tomb_cache: tuple[int, object] | None = None
        self._live_head_cache: tuple[int, int, int] = (-1, -1, 0)  # (version, indexed, live labels in the graph)
        self.building = False  # a compaction / rebuild is in flight
        self._params: dict[tuple[int, int], tuple[object, object]] = {}  # (ef, id(sel)) → (params, sel)
        self._advised_n = 0  # graph size when its arrays last got huge pages

    # ------------------------------------------------------------------ sizes
    def __len__(self) -> int:
        return self._live

    @property
    def total(self) -> int:
        """Labels ever added to the current generation (live + tombstoned)."""
        return self._n

    @property
    def indexed(self) -> int:
        """Labels in the HNSW graph (the rest are searched exactly)."""
        return self._hnsw_n

    @property
    def tombstones(self) -> int:
        return self._n - self._live

    @property
    def version(self) -> int:
        return self._version

    def ids(self) -> list[uuid.UUID]:
        """Every live row id (unordered)."""
        with self._state:
            return [uuid.UUID(bytes=b) for b in self._labels]

    # ------------------------------------------------------------------ writes
    def prepare(self, vecs: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """Float32 ``[n, dim]`` (normalised for cosine); DataException on a dimension mismatch."""
        v = np.asarray(vecs, dtype=np.float32)
        if v.ndim == 1:
            v = v.reshape(1, -1)
        if v.ndim != 2:
            raise DataException("vector must have one dimension")
        check_dims(self.dim, v.shape[1])
        if not np.all(np.isfinite(v)):
            raise DataException("NaN or infinity not allowed in vector")
        v = np.ascontiguousarray(v)
        if self.metric == "cosine":
            n = np.linalg.norm(v, axis=1, keepdims=True)
            n[n == 0] = 1.0
            v = np.ascontiguousarray(v / n, dtype=np.float32)
        return v

    def _grow(self, need: int) -> None:
        cap = self._vecs.shape[0]
        if need <= cap:
            return
        while cap < need:
            cap *= 2
        for name in ("_vecs", "_uuids", "_alive"):
            old = getattr(self, name)
            new = np.zeros((cap,) + old.shape[1:], old.dtype)
            new[: self._n] = old[: self._n]
            setattr(self, name, new)

    def upsert(self, ids: Sequence[uuid.UUID], vecs: np.ndarray | Sequence[Sequence[float]],
               seq: int | None = None) -> None:
        """Insert or replace the vectors of ``ids`` (an update never leaves the old vector searchable)."""
        v = self.prepare(vecs) if len(ids) else np.zeros((0, self.dim), np.float32)
        if v.shape[0] != len(ids):
            raise DataException(f"{len(ids)} ids but {v.shape[0]} vectors")
        keys = [u.bytes for u in ids]
        if len(set(keys)) != len(keys):  # the same row twice in one batch: the last one wins
            last = {k: i for i, k in enumerate(keys)}
            order = sorted(last.values())
            keys = [keys[i] for i in order]
            v = v[order]
        with self._state:
            keys, v = self._drop_unchanged(keys, v)
            start = self._n
            self._grow(start + len(keys))
            for i, k in enumerate(keys):
                old = self._labels.get(k)
                if old is not None:
                    self._alive[old] = False
                    self._live -= 1
                self._labels[k] = start + i
            end = start + len(keys)
            self._vecs[start:end] = v
            self._uuids[start:end] = np.frombuffer(b"".join(keys), np.uint8).reshape(-1, 16) if keys else 0
            self._alive[start:end] = True
            self._n = end
            self._live += len(keys)
            self._version += 1
            if seq is not None:
                self.seq = max(self.seq, seq)

    def _drop_unchanged(self, keys: list[bytes], v: np.ndarray) -> tuple[list[bytes], np.ndarray]:
        """``keys``/``v`` without rows whose live vector is already exactly ``v`` (call under ``_state``): a row
        rewritten with the same vector (a DDL rewrite, a WAL replay, an UPDATE of other columns) keeps its
        label and its place in the graph instead of a tombstone and a new graph node."""
        get = self._labels.get
        olds = [get(k) for k in keys]
        pos = [i for i, o in enumerate(olds) if o is not None]
        if not pos:
            return keys, v
        labs = np.asarray([olds[i] for i in pos], np.int64)
        same = np.all(self._vecs[labs] == v[pos], axis=1) & self._alive[labs]
        if not same.any():
            return keys, v
        drop = {pos[j] for j in np.nonzero(same)[0].tolist()}
        keep = [i for i in range(len(keys)) if i not in drop]
        return [keys[i] for i in keep], v[keep]

    def delete(self, ids: Iterable[uuid.UUID], seq: int | None = None) -> int:
        """Tombstone the vectors of ``ids``; returns how many were live."""
        gone = 0
        with self._state:
            for u in ids:
                old = self._labels.pop(u.bytes, None)
                if old is not None:
                    self._alive[old] = False
                    gone += 1
            self._live -= gone
            self._version += 1
            if seq is not None:
                self.seq = max(self.seq, seq)
        return gone

    def get(self, row_id: uuid.UUID) -> np.ndarray | None:
        """The stored (normalised for cosine) vector of a live row, or None."""
        with self._state:
            lab = self._labels.get(row_id.bytes)
            return None if lab is None else self._vecs[lab].copy()

    # ------------------------------------------------------------------ graph building
    def _new_graph(self, params: IndexParams | None = None) -> faiss.IndexIDMap2:
        p = params or self.params
        h = faiss.IndexHNSWFlat(self.dim, p.m, METRICS[self.metric])
        h.hnsw.efConstruction = p.ef_construction
        h.hnsw.efSearch = p.ef_search
        return faiss.IndexIDMap2(h)

    def index_pending(self, max_items: int | None = None) -> int:
        """Add up to ``max_items`` tail vectors to the HNSW graph (creating it); returns how many were added."""
        with self._graph:
            with self._state:
                lo, hi = self._hnsw_n, self._n
                if max_items is not None:
                    hi = min(hi, lo + max_items)
                if hi <= lo:
                    return 0
                chunk = self._vecs[lo:hi].copy()
            if self._hnsw is None:
                self._hnsw = self._new_graph()
            self._hnsw.add_with_ids(chunk, np.arange(lo, hi, dtype=np.int64))
            with self._state:
                self._hnsw_n = hi
            if hi >= max(HUGEPAGE_MIN_ROWS, 2 * self._advised_n) and hi == self._n:
                advise_graph(self._hnsw)  # a build just finished (or the graph doubled): arrays moved
                self._advised_n = hi
            return hi - lo

    @property
    def pending(self) -> int:
        """Vectors not yet in the graph."""
        return self._n - self._hnsw_n

    def compact(self, params: IndexParams | None = None, chunk: int = 4096) -> None:
        """Rebuild the graph from live vectors only (and with ``params`` if given), then swap it in.

        Searches and writes go on meanwhile; changes made during the build are replayed at the swap."""
        with self._state:
            n0 = self._n
            live = np.nonzero(self._alive[:n0])[0]
            vecs = self._vecs[live].copy()
            uuids = self._uuids[live].copy()
            v0 = self._version
            self.building = True
        try:
            new_params = params or self.params
            graph = self._new_graph(new_params)
            for s in range(0, len(live), chunk):
                graph.add_with_ids(vecs[s:s + chunk], np.arange(s, min(s + chunk, len(live)), dtype=np.int64))
            labels = {uuids[i].tobytes(): i for i in range(len(live))}
            if len(live) >= HUGEPAGE_MIN_ROWS:
                advise_graph(graph)  # not shared yet: no lock held
            with self._graph, self._state:
                still = self._alive[live]
                tail = np.arange(n0, self._n)[self._alive[n0:self._n]]
                m = len(live) + len(tail)
                cap = max(1024, 1 << int(np.ceil(np.log2(max(m, 1) * 1.25 + 1))))
                nv = np.zeros((cap, self.dim), np.float32)
                nu = np.zeros((cap, 16), np.uint8)
                na = np.zeros(cap, bool)
                nv[: len(live)] = vecs
                nu[: len(live)] = uuids
                na[: len(live)] = still
                nv[len(live):m] = self._vecs[tail]
                nu[len(live):m] = self._uuids[tail]
                na[len(live):m] = True
                if self._version != v0:  # rows changed during the build: fix the label map
                    for i in np.nonzero(~still)[0]:
                        labels.pop(uuids[i].tobytes(), None)
                    for j, lab in enumerate(tail):
                        labels[self._uuids[lab].tobytes()] = len(live) + j
                self._vecs, self._uuids, self._alive = nv, nu, na
                self._labels = labels
                self._n, self._live = m, int(na[:m].sum())
                self._hnsw, self._hnsw_n = graph, len(live)
                self._advised_n = len(live)
                self.params = new_params
                self._version += 1
                self._tomb_cache = None
        finally:
            self.building = False

    # ------------------------------------------------------------------ search
    def _query(self, q: np.ndarray | Sequence[float]) -> np.ndarray:
        """The query as a C-contiguous float32 ``[1, dim]`` row (normalised for cosine): no copy is kept of the
        caller's array."""
        v = q if isinstance(q, np.ndarray) and q.dtype == np.float32 else np.asarray(q, dtype=np.float32)
        if v.ndim != 1:
            v = v.reshape(-1)
        check_dims(self.dim, v.shape[0])
        if self.metric == "cosine":
            n = float(np.sqrt(np.dot(v, v)))
            if n > 0:
                return (v / np.float32(n)).reshape(1, -1)  # a fresh contiguous array
        return np.ascontiguousarray(v.reshape(1, -1))

    def _to_distance(self, raw: np.ndarray) -> np.ndarray:
        """FAISS scores (IP similarity / squared L2) → pgvector distances."""
        raw = raw.astype(np.float64)
        if self.metric == "cosine":
            return 1.0 - raw
        if self.metric == "ip":
            return -raw
        return np.sqrt(np.maximum(raw, 0.0))

    def _exact(self, q: np.ndarray, labels: np.ndarray, vecs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k over ``labels`` → (labels, distances) ascending by distance, ties by label."""
        if labels.shape[0] == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0)
        d = _distances(q[0], vecs, np.ascontiguousarray(labels, dtype=np.int64), self.metric == "l2")
        return self._top_of(labels, d, k)

    def _exact_rows(self, q: np.ndarray, labels: np.ndarray, rows: np.ndarray, k: int
                    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_exact` over ``rows`` = the vectors of ``labels`` gathered contiguously: FAISS's ``*_ny``
        kernels stream them (15× faster than the by-index kernel on 10k rows of 1M × 384)."""
        n = labels.shape[0]
        if n == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0)
        d = np.empty(n, np.float32)
        qc = np.ascontiguousarray(q[0], dtype=np.float32)
        if self.metric == "l2":
            faiss.fvec_L2sqr_ny(faiss.swig_ptr(d), faiss.swig_ptr(qc), faiss.swig_ptr(rows), self.dim, n)
        else:
            faiss.fvec_inner_products_ny(faiss.swig_ptr(d), faiss.swig_ptr(qc), faiss.swig_ptr(rows), self.dim, n)
            np.negative(d, out=d)
        return self._top_of(labels, d, k)

    def _top_of(self, labels: np.ndarray, d: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` (+ tie candidates) smallest of scores ``d`` (squared L2 or negated inner product)."""
        kk = min(k + TIE_EXTRA, d.shape[0])
        part = np.argpartition(d, kk - 1)[:kk] if kk < d.shape[0] else np.arange(d.shape[0])
        order = np.lexsort((labels[part], d[part]))
        sel = part[order]
        raw = d[sel] if self.metric == "l2" else -d[sel]
        return labels[sel].astype(np.int64), self._to_distance(raw)

    def _live_in_graph(self, hn: int) -> int:
        """Live labels among the first ``hn`` (the graph), cached per index version (call under ``_state``)."""
        v, h, c = self._live_head_cache
        if v != self._version or h != hn:
            c = hn if self._live == self._n else int(self._alive[:hn].sum())
            self._live_head_cache = (self._version, hn, c)
        return c

    def _tombstone_selector(self) -> object | None:
        """``IDSelectorNot(IDSelectorBatch(dead labels in the graph))``, cached per version."""
        if self._tomb_cache is not None and self._tomb_cache[0] == self._version:
            return self._tomb_cache[1]
        dead = np.nonzero(~self._alive[: self._hnsw_n])[0].astype(np.int64)
        if dead.shape[0] == 0:
            sel = None
        else:
            batch = faiss.IDSelectorBatch(dead)
            sel = (faiss.IDSelectorNot(batch), batch)  # keep the inner selector alive
        self._tomb_cache = (self._version, sel)
        return sel

    def _search_params(self, ef: int, sel: object | None) -> object:
        """``SearchParametersHNSW(efSearch=ef, sel=sel)``, made once per (ef, selector) and reused: FAISS only
        reads it. The entry keeps ``sel`` alive (so its id is not reused while cached)."""
        key = (ef, id(sel))
        got = self._params.get(key)
        if got is not None and got[1] is sel:
            return got[0]
        kw: dict[str, object] = {"efSearch": ef}
        if sel is not None:
            kw["sel"] = sel[0] if isinstance(sel, tuple) else sel
        prm = faiss.SearchParametersHNSW(**kw)
        if len(self._params) >= 64:
            self._params.clear()
        self._params[key] = (prm, sel)
        return prm

    def _graph_search(self, q: np.ndarray, k: int, ef: int, sel: object | None, expect: int
                      ) -> tuple[np.ndarray, np.ndarray] | None:
        """HNSW top-k under selector ``sel``; raises k/ef until ``min(k, expect)`` hits. None: fall back to exact."""
        e = max(ef, k)
        kk = min(e, k + TIE_EXTRA)  # free: the graph keeps ``e`` candidates anyway (ties at the k-th are then
        while True:                 # broken by row id as an exact scan would, not by graph order)
            prm = self._search_params(e, sel)
            with self._graph:
                if self._hnsw is None:
                    return None
                dd, ii = self._hnsw.search(q, kk, params=prm)
            labels, raw = ii[0], dd[0]
            if labels.shape[0] and labels[-1] < 0:
                ok = labels >= 0
                labels, raw = labels[ok], raw[ok]
            if labels.shape[0] >= min(k, expect):
                return labels, self._to_distance(raw)
            if kk >= expect:
                return None
            kk, e = min(expect, kk * 2), min(max(e * 2, kk * 2), 4096)

    def allowed(self, ids: Iterable[uuid.UUID]) -> AllowedSet:
        """Resolve row ids to live labels (rows without a vector are dropped)."""
        ids = list(ids)
        with self._state:
            get = self._labels.get
            labs = [lab for lab in (get(u.bytes) for u in ids) if lab is not None]
            return AllowedSet(np.unique(np.asarray(labs, np.int64)), self._version, ids)

    def search(self, q: np.ndarray | Sequence[float], k: int, *, allowed: AllowedSet | Iterable[uuid.UUID] | None = None,
               ef_search: int | None = None, exact: bool = False) -> list[tuple[uuid.UUID, float]]:
        """Top-k live rows nearest to ``q`` as ``(row id, distance)``, best first (ties: by row id).

        ``allowed`` restricts the candidates (a filter); never fewer than ``min(k, matching rows)`` results."""
        labs, dist = self._top(q, k, allowed, ef_search, exact)
        return list(zip(self._ids_of(labs), dist.tolist(), strict=True))

    def search_ids(self, q: np.ndarray | Sequence[float], k: int, *,
                   allowed: AllowedSet | Iterable[uuid.UUID] | None = None, ef_search: int | None = None,
                   exact: bool = False) -> list[uuid.UUID]:
        """The row ids of :meth:`search`, best first, without the distances."""
        return self._ids_of(self._top(q, k, allowed, ef_search, exact)[0])

    def _ids_of(self, labs: np.ndarray) -> list[uuid.UUID]:
        raw = self._uuids[labs].tobytes()
        return [fast_uuid(raw[i:i + 16]) for i in range(0, len(raw), 16)]

    def _top(self, q: np.ndarray | Sequence[float], k: int, allowed: AllowedSet | Iterable[uuid.UUID] | None,
             ef_search: int | None, exact: bool) -> tuple[np.ndarray, np.ndarray]:
        """(labels, distances) of the top k, best first."""
        qv = self._query(q)
        k = int(k)
        if k <= 0:
            return _NO_LABELS, _NO_DIST
        ef = int(ef_search or self.params.ef_search)
        threads = faiss.omp_get_max_threads()  # this thread's OpenMP setting (the builder thread keeps its own)
        if threads != 1:  # one query needs no thread team: on a busy machine waking one costs milliseconds
            faiss.omp_set_num_threads(1)
        try:
            with self._graph:  # no graph swap (compaction) while a query runs
                return self._search(qv, k, allowed, ef, exact)
        finally:
            if threads != 1:
                faiss.omp_set_num_threads(threads)

    def _flat(self, q: np.ndarray, k: int, sel: object | None) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k over the graph's own flat storage (labels < indexed), optionally under a selector."""
        storage = faiss.downcast_index(faiss.downcast_index(self._hnsw.index).storage)
        params = None if sel is None else faiss.SearchParameters(sel=sel[0] if isinstance(sel, tuple) else sel)
        dd, ii = storage.search(q, k, params=params)
        ok = ii[0] >= 0
        return ii[0][ok].astype(np.int64), self._to_distance(dd[0][ok])

    def _bitmap_selector(self, allowed: AllowedSet, hn: int) -> tuple[object, np.ndarray]:
        """IDSelectorBitmap of the allowed labels below ``hn`` (bitmap and selector cached on the set, so that a
        repeated filter also reuses its search parameters)."""
        if allowed._bitmap is None or allowed._bitmap.shape[0] * 8 < hn:
            mask = np.zeros(hn, bool)
            mask[allowed.labels[allowed.labels < hn]] = True
            allowed._bitmap = np.packbits(mask, bitorder="little")
            allowed._selector = allowed._gathered = None
        got = allowed._selector
        if got is None or got[0] != hn:
            bm = allowed._bitmap
            got = allowed._selector = (hn, (faiss.IDSelectorBitmap(hn, faiss.swig_ptr(bm)), bm))
        return got[1]  # type: ignore[return-value]

    def _gathered(self, allowed: AllowedSet, head: np.ndarray, hn: int, vecs: np.ndarray) -> np.ndarray | None:
        """The vectors of the allowed labels in the graph as one contiguous array, copied at the first exact
        search and kept on the set while it is valid (labels below ``hn`` never change their vector); None
        above GATHER_MAX_BYTES (then the rows are read in place)."""
        got = allowed._gathered
        if got is not None and got[0] == hn:
            return got[1]
        if head.shape[0] * self.dim * 4 > GATHER_MAX_BYTES:
            return None
        rows = np.ascontiguousarray(vecs[head], dtype=np.float32)
        allowed._gathered = (hn, rows)
        return rows

    def _search(self, qv: np.ndarray, k: int, allowed: AllowedSet | Iterable[uuid.UUID] | None, ef: int,
                exact: bool) -> list[tuple[uuid.UUID, float]]:
        if allowed is not None and not isinstance(allowed, AllowedSet):
            allowed = self.allowed(allowed)
        elif allowed is not None and allowed.version != self._version:  # rows changed since: re-resolve
            fresh = self.allowed(allowed.ids)
            allowed.labels, allowed.version, allowed._bitmap, allowed._split = fresh.labels, fresh.version, None, None
            allowed._selector = allowed._gathered = None
        with self._state:
            n, hn, vecs, alive, live = self._n, self._hnsw_n, self._vecs, self._alive, self._live
            tomb = self._tombstone_selector()
            live_head = self._live_in_graph(hn)
        if self._hnsw is None:
            hn = 0
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        if allowed is None:
            if hn > 0:
                g = None
                if not exact:
                    g = self._graph_search(qv, k, ef, tomb, live_head)
                parts.append(g if g is not None else self._flat(qv, k, tomb))
            if n > hn:
                parts.append(self._exact(qv, hn + np.nonzero(alive[hn:n])[0], vecs, k))
        else:
            labels = allowed.labels
            head, tail = allowed.split(hn)
            small = len(labels) <= EXACT_MAX_ROWS or len(labels) < EXACT_MAX_FRACTION * max(live, 1)
            if len(head) and (small or exact):
                rows = self._gathered(allowed, head, hn, vecs)
                parts.append(self._exact(qv, head, vecs, k) if rows is None else self._exact_rows(qv, head, rows, k))
            elif len(head):
                sel = self._bitmap_selector(allowed, hn)
                frac = len(head) / max(1, live_head)
                ef_f = min(4096, max(ef, FILTER_MIN_EF, int(FILTER_EF_PER_ROW * k / max(frac, 1e-6))))
                g = self._graph_search(qv, k, ef_f, sel, len(head))
                parts.append(g if g is not None else self._flat(qv, k, sel))
            if len(tail):
                parts.append(self._exact(qv, tail, vecs, k))
        parts = [p for p in parts if p[0].shape[0]]
        if not parts:
            return _NO_LABELS, _NO_DIST
        if len(parts) == 1:
            labs, dist = parts[0]
            if len(labs) < 2 or not bool(np.any(dist[1:] <= dist[:-1])):
                return labs[:k], dist[:k]  # strictly ascending already (the usual graph answer)
        else:
            labs = np.concatenate([p[0] for p in parts])
            dist = np.concatenate([p[1] for p in parts])
        ids = self._uuids[labs].view(">u8")  # [n, 2]: row id as two big-endian halves (its byte order)
        order = np.lexsort((ids[:, 1], ids[:, 0], dist))[:k]  # distance, then row id (a scan's order)
        return labs[order], dist[order]

    # ------------------------------------------------------------------ persistence helpers
    def snapshot(self) -> dict:
        """Consistent copy of the state for saving (call with nothing locked)."""
        with self._graph:  # the graph cannot change; commits (state only) go on while it is serialised
            with self._state:
                hn, n = self._hnsw_n, self._n
                snap = {
                    "uuids": self._uuids[:n].copy(), "alive": self._alive[:n].copy(),
                    "tail": self._vecs[hn:n].copy(), "hnsw_n": hn, "n": n, "seq": self.seq,
                    "dim": self.dim, "metric": self.metric,
                    "params": {"m": self.params.m, "ef_construction": self.params.ef_construction,
                               "ef_search": self.params.ef_search},
                }
            snap["graph"] = faiss.serialize_index(self._hnsw) if self._hnsw is not None and hn > 0 else None
            return snap

    @classmethod
    def restore(cls, meta: dict, graph: faiss.Index | None, uuids: np.ndarray, alive: np.ndarray,
                tail: np.ndarray) -> VectorIndex:
        """Rebuild an index from :meth:`snapshot` pieces (graph vectors come back out of the graph)."""
        idx = cls(int(meta["dim"]), meta["metric"], IndexParams(**meta["params"]))
        hn, n = int(meta["hnsw_n"]), int(meta["n"])
        idx._grow(max(n, 1))
        if graph is not None and hn > 0:
            inner = faiss.downcast_index(graph.index)
            inner.hnsw.efSearch = idx.params.ef_search
            idx._vecs[:hn] = inner.reconstruct_n(0, hn)
            idx._hnsw = graph
            if hn >= HUGEPAGE_MIN_ROWS:
                advise_graph(graph)
                idx._advised_n = hn
        idx._vecs[hn:n] = tail
        idx._uuids[:n] = uuids
        idx._alive[:n] = alive
        idx._n, idx._hnsw_n = n, (hn if graph is not None else 0)
        idx._live = int(alive.sum())
        idx._labels = {uuids[i].tobytes(): int(i) for i in np.nonzero(alive)[0]}
        idx.seq = int(meta["seq"])
        return idx


_NO_LABELS = np.zeros(0, np.int64)
_NO_DIST = np.zeros(0, np.float64)
def _distances(q: np.ndarray, vecs: np.ndarray, labels: np.ndarray, l2: bool) -> np.ndarray:
    """Exact scores of ``q`` against ``vecs[labels]`` (squared L2, else negated inner product: smaller is better).

    FAISS's single-threaded SIMD kernels read the rows in place: no gathered copy (page faults on large
    temporaries) and no multi-threaded BLAS matrix-vector product (which stalls on a busy machine)."""
    n, d = labels.shape[0], q.shape[0]
    out = np.empty(n, np.float32)
    qc = np.ascontiguousarray(q, dtype=np.float32)
    if not vecs.flags.c_contiguous:
        vecs = np.ascontiguousarray(vecs)
    if l2:
        faiss.fvec_L2sqr_by_idx(faiss.swig_ptr(out), faiss.swig_ptr(qc), faiss.swig_ptr(vecs),
                                faiss.swig_ptr(labels), d, 1, n)
        return out
    faiss.fvec_inner_products_by_idx(faiss.swig_ptr(out), faiss.swig_ptr(qc), faiss.swig_ptr(vecs),
                                     faiss.swig_ptr(labels), d, 1, n)
    return -out
