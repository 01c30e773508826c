"""Column batches of TRAVERSE rows: the whole-column text encoding (numpy) gives the very DataRow bytes the
per-row wire path gives, for every column, NULL keys, several depths and paths, and projections."""

from __future__ import annotations

import uuid

import numpy as np

from engine.graph.batch import TraverseBatch, uuid_text
from engine.graph.service import TRAVERSE_COLUMNS
from remwire import pgtypes
from remwire.protocol import messages as m
from remwire.results import cell_data_rows, text_data_rows


def _batch() -> TraverseBatch:
    ids = [uuid.UUID(int=(i * 0x9E3779B97F4A7C15_1234567) % 2**128) for i in range(12)]
    raw = np.frombuffer(b"".join(u.bytes for u in ids), np.uint8).reshape(-1, 16)
    nodes = np.array([3, 5, 7, 9, 11], np.int64)
    depths = np.array([1, 1, 2, 2, 10], np.int64)
    paths = np.full((5, 11), -1, np.int64)
    paths[:, 0] = 0
    paths[:, 1] = [3, 5, 3, 5, 3]
    paths[2:4, 2] = [7, 9]
    paths[4, 1:11] = [3, 1, 2, 4, 6, 8, 10, 0, 5, 11]
    return TraverseBatch(ids, uuid_text(raw), nodes, depths, np.array([0, 1, 0, 1, 0], np.int32),
                         np.array([1.0, 0.25, 0.1, 1.0, 0.3333333333333333]), rel_names=["knows", "wrote é"],
                         types=["people", "docs", "people", "", "docs"], keys=["a:b/c", None, "ünï code", "", "k"],
                         paths=paths, data=[{"b": 1, "a": [1, 2]}, {}, {"x": None}, {"s": "q\"uote"}, {"n": 1.5}])


def _per_row(b: TraverseBatch, encs: list) -> bytes:
    return b"".join(m.encode_data_row([None if v is None else e(v) for e, v in zip(encs, r, strict=True)])
                    for r in b.rows())


def test_uuid_text_is_the_canonical_form() -> None:
    us = [uuid.uuid4() for _ in range(50)] + [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]
    raw = np.frombuffer(b"".join(u.bytes for u in us), np.uint8).reshape(-1, 16)
    assert [bytes(r).decode() for r in uuid_text(raw)] == [str(u) for u in us]


def test_text_columns_equal_the_per_row_encoding() -> None:
    b = _batch()
    encs = [pgtypes.encoder(oid, 0) for _, oid in TRAVERSE_COLUMNS]
    assert text_data_rows(b.text_columns(encs)) == _per_row(b, encs)
    assert b.rows()[4][4][-1] == b.ids[11] and len(b.rows()[4][4]) == 11
    for cols in ([0, 3], [4], [2, 1], [7, 0, 6]):
        p = b.project(cols)
        assert text_data_rows(p.text_columns([encs[c] for c in cols])) == _per_row(p, [encs[c] for c in cols])
    kept = b.take(np.array([True, False, True, False, True]))
    assert kept.rows() == [b.rows()[i] for i in (0, 2, 4)]
    assert text_data_rows(kept.text_columns(encs)) == _per_row(kept, encs)


def test_small_batches_give_the_same_cells() -> None:
    """Up to SMALL rows the columns come as DataRow cells built in plain Python: the very bytes again, for every
    column (a depth of 10, NULL keys, a memo of data texts), projections and a batch with rows left out."""
    b = _batch()
    encs = [pgtypes.encoder(oid, 0) for _, oid in TRAVERSE_COLUMNS]
    cells = b.text_cells(encs)
    assert cells is not None and cell_data_rows(cells) == _per_row(b, encs)
    for cols in ([0, 3], [3, 0], [4], [2, 1], [7, 0, 6], [5, 5, 2]):
        p = b.project(cols)
        pe = [encs[c] for c in cols]
        got = p.text_cells(pe)
        assert got is not None and cell_data_rows(got) == _per_row(p, pe)
    b.data_memo = {}
    for _ in range(2):  # the second time from the memo
        got = b.text_cells(encs)
        assert got is not None and cell_data_rows(got) == _per_row(b, encs)
    kept = b.take(np.array([False, True, False, True, True]))
    got = kept.text_cells(encs)
    assert got is not None and cell_data_rows(got) == _per_row(kept, encs)
    it = iter(b)
    assert it.text_cells(encs) is not None and list(it) == []
    it = iter(b)
    next(it)
    assert it.text_cells(encs) is None and len(list(it)) == 4


def test_the_iterator_hands_columns_over_once() -> None:
    b = _batch()
    encs = [pgtypes.encoder(oid, 0) for _, oid in TRAVERSE_COLUMNS]
    it = iter(b)
    assert next(it) == b.rows()[0]
    assert it.text_columns(encs) is None  # iteration started: the rows keep coming one by one
    assert list(it) == b.rows()[1:]
    it2 = iter(b)
    assert it2.text_columns(encs) is not None
    assert list(it2) == []


def test_large_batches_take_the_numpy_paths() -> None:
    rng = np.random.default_rng(7)
    n_nodes, n = 500, 300
    ids = [uuid.UUID(int=int(x)) for x in rng.integers(0, 2**63, n_nodes)]
    raw = np.frombuffer(b"".join(u.bytes for u in ids), np.uint8).reshape(-1, 16)
    depths = np.sort(rng.integers(1, 11, n))
    paths = np.full((n, 11), -1, np.int64)
    for i, d in enumerate(depths.tolist()):
        paths[i, : d + 1] = rng.integers(0, n_nodes, d + 1)
    nodes = paths[np.arange(n), depths]
    keys = [None if i % 7 == 0 else "k" * (i % 13) + "é" for i in range(n)]
    b = TraverseBatch(ids, uuid_text(raw), nodes, depths, rng.integers(0, 3, n).astype(np.int32), rng.random(n),
                      rel_names=["a", "bb", "ccc"], types=["t"] * n, keys=keys, paths=paths,
                      data=[{"i": i, "s": "x" * (i % 5)} for i in range(n)])
    encs = [pgtypes.encoder(oid, 0) for _, oid in TRAVERSE_COLUMNS]
    assert text_data_rows(b.text_columns(encs)) == _per_row(b, encs)
    p = b.project([0, 3])
    assert text_data_rows(p.text_columns([encs[0], encs[3]])) == _per_row(p, [encs[0], encs[3]])
    assert b.text_cells(encs) is None and iter(b).text_cells(encs) is None  # too large: the numpy paths


def test_larger_batches_and_fixed_width_columns() -> None:
    """Above SMALL rows: uuid and one-digit depth columns are fixed-width (framed without padding), alone or next
    to variable-width and NULL columns, and a depth of 10 makes the depth column variable again."""
    from engine.graph import batch as B

    n = 3 * B.SMALL + 7
    ids = [uuid.UUID(int=(i * 0x9E3779B97F4A7C15_1234567 + 99) % 2**128) for i in range(n + 1)]
    raw = np.frombuffer(b"".join(u.bytes for u in ids), np.uint8).reshape(-1, 16)
    nodes = np.arange(1, n + 1, dtype=np.int64)
    encs = [pgtypes.encoder(oid, 0) for _, oid in TRAVERSE_COLUMNS]
    for top in (3, 10):
        depths = np.arange(n, dtype=np.int64) % top + 1
        b = TraverseBatch(ids, uuid_text(raw), nodes, depths, np.zeros(n, np.int32), np.full(n, 0.5),
                          rel_names=["r"], keys=[None if i % 5 == 0 else f"k{i}" for i in range(n)])
        assert b.text_cells(encs) is None
        for cols in ([0, 3], [3], [0], [0, 2, 3], [5, 0]):
            p = b.project(cols)
            pe = [encs[c] for c in cols]
            assert text_data_rows(p.text_columns(pe)) == _per_row(p, pe), (top, cols)


def test_small_batches_with_unbuilt_columns() -> None:
    """Columns a traversal did not build (entity type, key, path, data) are NULL cells, as the per-row path."""
    b = _batch()
    bare = TraverseBatch(b.ids, b.hex_ids, b.nodes, b.depths, b.rels, b.weights, rel_names=b.rel_names)
    encs = [pgtypes.encoder(oid, 0) for _, oid in TRAVERSE_COLUMNS]
    got = bare.text_cells(encs)
    assert got is not None and cell_data_rows(got) == _per_row(bare, encs)
    assert got[1] == got[2] == got[4] == got[7] == [b"\xff\xff\xff\xff"] * 5
