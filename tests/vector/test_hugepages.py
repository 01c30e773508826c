"""Huge pages for a graph's arrays: advised on Linux, and the graph answers exactly as before."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from engine.vector.hugepages import MIN_BYTES, advise_graph
from tests.vector.data import clustered


def test_advise_graph_keeps_answers():
    n, d = 20_000, 256  # 20 MB of vectors: above the size worth advising
    base = clustered(n, d, centres=20, seed=3)
    g = faiss.IndexIDMap2(faiss.IndexHNSWFlat(d, 8, faiss.METRIC_INNER_PRODUCT))
    faiss.downcast_index(g.index).hnsw.efConstruction = 16
    g.add_with_ids(base, np.arange(n, dtype=np.int64))
    qs = clustered(20, d, centres=20, seed=4)
    before = g.search(qs, 10)
    done = advise_graph(g)
    thp = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    if thp.exists() and "[never]" not in thp.read_text():
        assert done >= MIN_BYTES  # at least the vectors were advised (the kernel has transparent huge pages)
    after = g.search(qs, 10)
    assert np.array_equal(before[1], after[1]) and np.array_equal(before[0], after[0])
    assert advise_graph(faiss.IndexFlatIP(d)) == 0  # not a graph: nothing to do
