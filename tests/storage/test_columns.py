"""The column cache (engine.storage.columns) on a real store: after any mix of committed inserts, updates and
deletes (with compaction), and with a transaction's uncommitted writes on top, a ColumnView holds exactly the rows
a row scan returns, in the same order, and never shows another transaction's writes."""

from __future__ import annotations

import random

import pyarrow.compute as pc
import pytest

from engine import types as T
from engine.schema.model import ColumnDef, TableDef
from engine.storage import RemStore, columns
from engine.storage.columns import ColumnView, Unavailable


def _table(store: RemStore) -> TableDef:
    return store.registry.create(TableDef(
        name="items",
        columns=[ColumnDef("id", T.INT4), ColumnDef("name", T.TEXT), ColumnDef("qty", T.INT4),
                 ColumnDef("price", T.NUMERIC, typmod=((8 << 16) | 2) + 4), ColumnDef("loose", T.NUMERIC)],
        primary_key=["id"]))


def _check(tx, t: TableDef, view: ColumnView) -> None:
    """The view against the row path of the same transaction."""
    rows = list(tx.scan(t))
    idc = t.id_column
    assert view.n == len(rows)
    assert [r[idc] for r in view.take()] == [r[idc] for r in rows]
    for name, oid, typmod in (("qty", T.INT4, -1), ("name", T.TEXT, -1), ("price", T.NUMERIC, t.column("price").typmod)):
        col = view.column(name, oid, typmod)
        assert len(col) == len(rows)
        assert sorted(col.to_pylist(), key=repr) == sorted((r.get(name) for r in rows), key=repr)
    qty = view.column("qty", T.INT4)
    got = view.take(pc.greater(qty, 50))
    assert [r[idc] for r in got] == [r[idc] for r in rows if r.get("qty") is not None and r["qty"] > 50]
    order = pc.sort_indices(view.rank_key()).to_numpy()  # the rank key orders the view as a row scan
    assert [r[idc] for r in view.rows_at(order)] == [r[idc] for r in rows]
    if view.scan_ordered():
        assert [r[idc] for r in view.rows_at(list(range(view.n)))] == [r[idc] for r in rows]


def _random_commit(store: RemStore, t: TableDef, rnd: random.Random, live: set[int], next_id: list[int]) -> None:
    tx = store.begin()
    for _ in range(rnd.randrange(1, 40)):
        op = rnd.random()
        if op < 0.5 or not live:
            i = next_id[0]
            next_id[0] += 1
            tx.insert(t, [{"id": i, "name": f"n{i % 37}", "qty": rnd.choice([None, rnd.randrange(100)]),
                           "price": rnd.choice([None, rnd.randrange(10_000) / 100])}])
            live.add(i)
        elif op < 0.8:
            i = rnd.choice(sorted(live))
            [uid] = tx.lookup(t, "id", [i])
            [old] = tx.get(t, [uid])
            assert old is not None
            tx.update(t, [{**old, "qty": rnd.randrange(100), "name": "upd"}])
        else:
            i = rnd.choice(sorted(live))
            tx.delete(t, tx.lookup(t, "id", [i]))
            live.discard(i)
    tx.commit()


def test_view_matches_row_scan_through_updates_deletes_and_compaction(store: RemStore, monkeypatch) -> None:
    monkeypatch.setattr(columns, "COMPACT_MIN", 64)
    t = _table(store)
    rnd = random.Random(5)
    live: set[int] = set()
    next_id = [1]
    tx = store.begin()
    tx.insert(t, [{"id": i, "name": f"n{i}", "qty": i % 90, "price": i / 4} for i in range(1, 301)])
    tx.commit()
    live.update(range(1, 301))
    next_id[0] = 301
    compactions = 0
    for _ in range(40):
        _random_commit(store, t, rnd, live, next_id)
        before = store.cache.tables[t.oid].cols
        tx = store.begin()
        view = tx.column_view(t)
        assert view is not None
        compactions += store.cache.tables[t.oid].cols is not before and before is not None
        _check(tx, t, view)
        tx.rollback()
    assert compactions >= 2


def test_own_uncommitted_writes_visible_others_not(store: RemStore) -> None:
    t = _table(store)
    tx = store.begin()
    tx.insert(t, [{"id": i, "name": "a", "qty": 1} for i in range(100)])
    tx.commit()
    store.begin().column_view(t)  # build the column set
    a, b = store.begin(), store.begin()
    a.insert(t, [{"id": 1000, "name": "new", "qty": 7}])
    a.update(t, [{**a.get(t, a.lookup(t, "id", [5]))[0], "qty": 7}])
    a.delete(t, a.lookup(t, "id", [6]))
    va = a.column_view(t)
    _check(a, t, va)
    assert sorted(va.column("qty", T.INT4).to_pylist()) == [1] * 98 + [7, 7]
    vb = b.column_view(t)
    _check(b, t, vb)
    assert vb.column("qty", T.INT4).to_pylist() == [1] * 100
    a.commit()
    assert vb.column("qty", T.INT4).to_pylist() == [1] * 100  # a view is a snapshot
    assert b.column_view(t) is None  # the same statement's snapshot predates the commit: row path
    b.new_statement()
    vb2 = b.column_view(t)
    _check(b, t, vb2)
    assert sorted(vb2.column("qty", T.INT4).to_pylist()) == [1] * 98 + [7, 7]


def test_rollback_leaves_no_trace(store: RemStore) -> None:
    t = _table(store)
    tx = store.begin()
    tx.insert(t, [{"id": i, "name": "a", "qty": i} for i in range(50)])
    tx.commit()
    a = store.begin()
    a.delete(t, a.lookup(t, "id", [1, 2, 3]))
    a.insert(t, [{"id": 99, "name": "z", "qty": 1}])
    assert a.column_view(t).n == 48
    a.rollback()
    r = store.begin()
    _check(r, t, r.column_view(t))
    assert r.column_view(t).n == 50


def test_columns_without_an_exact_arrow_image_are_unavailable(store: RemStore) -> None:
    t = _table(store)
    tx = store.begin()
    tx.insert(t, [{"id": 1, "name": "a", "qty": 1, "loose": "1.5"}])
    tx.commit()
    view = store.begin().column_view(t)
    with pytest.raises(Unavailable):
        view.column("loose", T.NUMERIC)  # numeric without typmod: no fixed Arrow scale
    with pytest.raises(Unavailable):
        view.column("name", T.JSONB)


def test_values_that_do_not_convert_make_the_column_unavailable(store: RemStore) -> None:
    t = _table(store)
    tx = store.begin()
    tx.insert(t, [{"id": 1, "name": "a", "price": "NaN"}, {"id": 2, "name": "b", "price": "2.50"}])
    tx.commit()
    view = store.begin().column_view(t)
    with pytest.raises(Unavailable):
        view.column("price", T.NUMERIC, t.column("price").typmod)
    assert sorted(view.column("name", T.TEXT).to_pylist()) == ["a", "b"]
