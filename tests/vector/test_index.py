"""The FAISS index manager on real FAISS: add/search, tombstones, updates, partial builds, compaction, filters."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from engine.errors import DataException, InvalidParameterValue
from engine.vector import index as index_mod
from engine.vector.index import IndexParams, VectorIndex
from tests.vector.data import clustered, exact, ids

N, D, K = 6000, 64, 10


@pytest.fixture(scope="module")
def data():
    base = clustered(N + 50, D)
    return base[:N], base[N:], ids(N)


_built: dict = {}


def built(base, rid, metric="cosine", params=None) -> VectorIndex:
    """A fully built index over ``base`` (the graph is built once per module, then copied via snapshot)."""
    key = (id(base), len(rid), metric, repr(params))
    if key not in _built:
        idx = VectorIndex(base.shape[1], metric, params)
        idx.upsert(rid, base)
        while idx.index_pending(2000):
            pass
        _built[key] = idx.snapshot()
    snap = _built[key]
    graph = faiss.deserialize_index(snap["graph"])
    return VectorIndex.restore(snap, graph, snap["uuids"], snap["alive"], snap["tail"])


def recall(got, want):
    return len({u for u, _ in got} & set(want)) / len(want)


@pytest.mark.parametrize("metric", ["cosine", "l2", "ip"])
def test_search_matches_exact(data, metric):
    base, qs, rid = data
    idx = built(base, rid, metric, IndexParams(ef_search=64))
    assert idx.indexed == N and idx.pending == 0
    rs = [recall(idx.search(q, K), exact(base, rid, q, K, metric)) for q in qs]
    assert np.mean(rs) >= 0.95
    r = idx.search(qs[0], K, exact=True)
    assert [u for u, _ in r] == exact(base, rid, qs[0], K, metric)
    dists = [d for _, d in r]
    assert dists == sorted(dists)
    q = qs[0].astype(np.float64)
    v = base[rid.index(r[0][0])].astype(np.float64)
    want = {"cosine": 1 - v @ q / np.linalg.norm(v) / np.linalg.norm(q), "l2": np.linalg.norm(v - q),
            "ip": -(v @ q)}[metric]
    assert r[0][1] == pytest.approx(want, abs=1e-5)


def test_unbuilt_tail_is_searched_exactly(data):
    base, qs, rid = data
    idx = VectorIndex(D)
    idx.upsert(rid, base)
    assert idx.indexed == 0
    assert [u for u, _ in idx.search(qs[1], K)] == exact(base, rid, qs[1], K)
    idx.index_pending(2500)  # half built: graph part + exact tail merged
    assert idx.indexed == 2500 and idx.pending == N - 2500
    assert recall(idx.search(qs[1], K, ef_search=200), exact(base, rid, qs[1], K)) >= 0.9


def test_tombstones_never_come_back(data):
    base, qs, rid = data
    idx = built(base, rid)
    first = [u for u, _ in idx.search(qs[2], 50)]
    gone = first[:25]
    assert idx.delete(gone) == 25 and len(idx) == N - 25 and idx.tombstones == 25
    got = idx.search(qs[2], 50)
    assert len(got) == 50 and not ({u for u, _ in got} & set(gone))
    alive = np.array([u not in set(gone) for u in rid])
    want = exact(base, rid, qs[2], K, allowed=np.nonzero(alive)[0])
    assert recall(idx.search(qs[2], K), want) >= 0.9
    assert idx.delete(gone) == 0  # deleting again is a no-op


def test_update_leaves_no_duplicates(data):
    base, qs, rid = data
    idx = built(base, rid)
    target = rid[7]
    idx.upsert([target], qs[3:4])  # move row 7 onto query 3
    idx.upsert([target], qs[3:4])  # twice
    got = idx.search(qs[3], 20)
    assert got[0][0] == target and got[0][1] == pytest.approx(0.0, abs=1e-5)
    assert [u for u, _ in got].count(target) == 1
    assert len(idx) == N
    idx.upsert([rid[8], rid[8]], np.stack([qs[4], qs[5]]))  # same id twice in a batch: last wins
    assert idx.search(qs[5], 1)[0][0] == rid[8]
    assert [u for u, _ in idx.search(qs[4], 30)].count(rid[8]) <= 1


def test_dimension_mismatch(data):
    base, qs, rid = data
    idx = built(base[:100], rid[:100])
    with pytest.raises(DataException) as ei:
        idx.search(np.ones(3, np.float32), K)
    assert ei.value.sqlstate == "22000" and "64" in str(ei.value) and "3" in str(ei.value)
    with pytest.raises(DataException, match="different vector dimensions 64 and 5"):
        idx.upsert([rid[0]], np.ones((1, 5), np.float32))
    with pytest.raises(DataException, match="NaN"):
        idx.upsert([rid[0]], np.full((1, 64), np.nan, np.float32))


def test_params_validation():
    assert IndexParams.from_options({"m": 8, "ef_construction": 40}) == IndexParams(8, 40, 40)
    with pytest.raises(InvalidParameterValue):
        IndexParams.from_options({"m": 1})
    with pytest.raises(InvalidParameterValue):
        IndexParams.from_options({"m": 16, "ef_construction": 20})


def test_compaction_drops_tombstones(data):
    base, qs, rid = data
    idx = built(base, rid)
    dead = rid[::2]
    idx.delete(dead)
    before = idx.version
    idx.compact()
    assert idx.version > before and idx.tombstones == 0 and len(idx) == N // 2 and idx.indexed == N // 2
    alive = np.arange(1, N, 2)
    for q in qs[:10]:
        got = idx.search(q, K)
        assert len(got) == K and not ({u for u, _ in got} & set(dead))
    assert np.mean([recall(idx.search(q, K), exact(base, rid, q, K, allowed=alive)) for q in qs]) >= 0.95


def test_compaction_replays_changes_made_during_the_build(data):
    base, qs, rid = data

    class Racy(VectorIndex):
        def _new_graph(self, params=None):
            if self.building:  # a writer commits while the compaction builds its graph
                self.delete(rid[1:11])
                self.upsert([rid[11], rid[0]], qs[6:8])  # update one live row, re-add a dead one
            return super()._new_graph(params)

    idx = Racy(D)
    idx.upsert(rid, base)
    idx.index_pending()
    idx.delete(rid[:1])
    idx.compact()
    assert len(idx) == N - 10
    assert idx.search(qs[6], 1)[0][0] == rid[11] and idx.search(qs[7], 1)[0][0] == rid[0]
    got = {u for u, _ in idx.search(qs[8], 200)}
    assert not (got & set(rid[1:11]))
    assert idx.pending == 2  # the re-added rows wait in the exact tail
    idx.index_pending()
    assert idx.search(qs[6], 1)[0][0] == rid[11]


@pytest.mark.parametrize("fraction", [0.5, 0.1, 0.01, 0.001])
def test_filtered_equals_exact(data, fraction):
    base, qs, rid = data
    idx = built(base, rid)
    rng = np.random.default_rng(int(fraction * 1000))
    allowed = np.sort(rng.choice(N, max(1, int(N * fraction)), replace=False))
    aset = idx.allowed([rid[i] for i in allowed])
    for q in qs[:20]:
        got = idx.search(q, K, allowed=aset)
        want = exact(base, rid, q, K, allowed=allowed)
        assert [u for u, _ in got] == want  # small N: the planner searches exactly
        assert len(got) == min(K, len(allowed))


@pytest.mark.parametrize("fraction", [0.5, 0.1, 0.01, 0.001])
def test_filtered_through_hnsw_never_short(data, fraction, monkeypatch):
    monkeypatch.setattr(index_mod, "EXACT_MAX_ROWS", 0)  # force the HNSW + ID selector path
    monkeypatch.setattr(index_mod, "EXACT_MAX_FRACTION", 0.0)
    base, qs, rid = data
    idx = built(base, rid)
    rng = np.random.default_rng(7)
    allowed = np.sort(rng.choice(N, max(1, int(N * fraction)), replace=False))
    aset = idx.allowed([rid[i] for i in allowed])
    rs = []
    for q in qs:
        got = idx.search(q, K, allowed=aset)
        assert len(got) == min(K, len(allowed))
        assert {u for u, _ in got} <= {rid[i] for i in allowed}
        rs.append(recall(got, exact(base, rid, q, K, allowed=allowed)))
        sel = aset._selector
        assert sel is not None and idx.search(q, K, allowed=aset) == got and aset._selector is sel  # reused
    assert np.mean(rs) >= 0.95


def test_allowed_set_follows_changes(data):
    base, qs, rid = data
    idx = built(base[:500], rid[:500])
    aset = idx.allowed(rid[:20])
    assert rid[3] not in [u for u, _ in idx.search(qs[9], 3, allowed=aset)]  # (its vectors copied once)
    assert aset._gathered is not None
    idx.upsert([rid[3]], qs[9:10])  # an allowed row gets a new label
    idx.delete([rid[4]])
    got = [u for u, _ in idx.search(qs[9], 20, allowed=aset)]
    assert got[0] == rid[3] and rid[4] not in got and len(got) == 19


def test_rewriting_a_row_with_its_own_vector_keeps_its_label():
    """A row re-committed with the same vector (a DDL rewrite, a WAL replay, an UPDATE of another column) keeps
    its label and graph node; a changed vector still gets a new label and tombstones the old one."""
    base = clustered(300, 16, centres=5, seed=8)
    rid = ids(300, seed=9)
    idx = VectorIndex(16, "cosine")
    idx.upsert(rid, base)
    idx.index_pending()
    idx.upsert(rid, base.copy())  # every row again, same vectors
    assert (idx.total, idx.tombstones, idx.pending, len(idx)) == (300, 0, 0, 300)
    moved = base[:3] + 0.5
    idx.upsert(rid[:3] + rid[3:5], np.vstack([moved, base[3:5]]))
    assert (idx.total, idx.tombstones, idx.pending, len(idx)) == (303, 3, 3, 300)
    q = moved[0]
    assert idx.search(q, 1)[0][0] == rid[0]
    assert [u for u, _ in idx.search(base[4], 3, exact=True)][0] == rid[4]
